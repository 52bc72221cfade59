"""`pgship comment` and `pgship review --comment` as a workflow runs them: the real PyGithub
client talks HTTP to a local stand-in for the GitHub API (tests/github_fake.py), which records
every request."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from github_fake import ACTIONS_BOT, FakeGitHub, serve, user
from pgship.cli import cli
from pgship.markdown import ZWSP
from pgship.outputs import read_outputs

TOKEN = "ghs_FaKeInStAlLaTiOnToKeN000000000000"
MARKER = "<!-- pgship:review -->"
RUN_URL = "https://github.com/acme/shop/actions/runs/4242"
INDEX = "CREATE INDEX users_email_idx ON users (email);\n"
SAFE_INDEX = (
    "-- pgship:no-transaction\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n"
)
ROLLBACK = "-- pgship:no-transaction\nDROP INDEX CONCURRENTLY users_email_idx;\n"
NEW_FILE_PATCH = "@@ -0,0 +1 @@\n+CREATE INDEX users_email_idx ON users (email);"


@dataclass
class Repo:
    """A checkout in a pull_request workflow: files, the event payload, GITHUB_* variables."""

    root: Path
    github: FakeGitHub
    env: dict[str, str] = field(default_factory=dict)

    def write(self, name: str, text: str) -> str:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return name

    def pgship(self, *args: str, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(cli, list(args), env={**self.env, **(env or {})})

    def comment(self, *args: str, env: dict[str, str] | None = None) -> Result:
        result = self.pgship("comment", *args, env=env)
        assert result.exit_code == 0, (result.stdout, result.stderr)
        return result

    def summary(self) -> str:
        path = Path(self.env["GITHUB_STEP_SUMMARY"])
        return path.read_text(encoding="utf-8") if path.exists() else ""

    def outputs(self) -> dict[str, str]:
        return read_outputs(self.env["GITHUB_OUTPUT"])


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serve(FakeGitHub()) as fake:
        yield fake


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, github: FakeGitHub) -> Repo:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("PGSHIP_", "GITHUB_", "RUNNER_")) or name in ("DATABASE_URL",):
            monkeypatch.delenv(name)
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {
                "action": "synchronize",
                "number": github.number,
                "pull_request": {"number": github.number, "head": {"sha": github.head_sha}},
            }
        ),
        encoding="utf-8",
    )
    (tmp_path / "github_output").touch()
    repo = Repo(tmp_path, github)
    repo.env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_REPOSITORY": github.repository,
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_API_URL": github.api_url,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": "4242",
        "GITHUB_SHA": "4e7ge" + "0" * 35,  # the merge commit: not what the comment names
        "GITHUB_WORKSPACE": str(tmp_path),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "github_output"),
        "PGSHIP_GITHUB_RETRY_BACKOFF": "0.01",
    }
    repo.write(
        "migrations/001_users.sql", "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n"
    )
    repo.write("rollbacks/001_users_rollback.sql", "DROP TABLE users;\n")
    repo.write("rollbacks/002_email_idx_rollback.sql", ROLLBACK)
    return repo


def bodies(github: FakeGitHub, method: str) -> list[str]:
    return [r.body["body"] for r in github.calls(method, r"/issues/")]


def plain(body: str) -> str:
    """The text GitHub would scan for mentions and HTML: outside code blocks and code spans."""
    without_blocks = re.sub(r"^(`{3,})[^\n]*\n.*?^\1$", "", body, flags=re.S | re.M)
    return re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", without_blocks)


# --- the sticky comment ---------------------------------------------------------------------


def test_first_run_creates_the_comment_and_a_second_push_updates_it(repo: Repo) -> None:
    github = repo.github
    path = repo.write("migrations/002_email_idx.sql", INDEX)

    result = repo.comment(path)

    [created] = github.comments
    assert created["body"].startswith(MARKER + "\n## 🛑 pgship review: 1 error")
    assert "| 1:1 | 🛑 error | `require-concurrent-index-creation` |" in created["body"]
    assert "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);" in created["body"]
    assert (
        f"commit [`c0ffee0`](https://github.com/acme/shop/commit/{github.head_sha})"
        in (created["body"])
    )
    assert f"[workflow run]({RUN_URL})" in created["body"]
    assert f"Posted the pgship comment on pull request #7: {created['html_url']}" in result.stdout
    assert f"::add-mask::{TOKEN}\n" in result.stdout
    assert repo.outputs() == {
        "comment-action": "created",
        "comment-id": str(created["id"]),
        "comment-url": created["html_url"],
        "inline-comments": "0",
        "findings": "1",
        "max-severity": "error",
    }
    assert github.calls("GET", r"^/user$")  # the token's identity was asked (403 here)
    auth = github.calls("GET", r"/pulls/7$")[0].headers["Authorization"]
    assert auth == f"token {TOKEN}"

    # The next push adds a second problem: the same comment is edited, no new one.
    github.head_sha = "c0ffee0000000000000000000000000000000002"
    repo.write(
        "event.json", json.dumps({"pull_request": {"number": 7, "head": {"sha": github.head_sha}}})
    )
    repo.write("migrations/002_email_idx.sql", INDEX + "CREATE INDEX users_id_idx ON users (id);\n")

    repo.comment(path)

    assert len(github.calls("POST", r"/issues/7/comments$")) == 1
    [edit] = github.calls("PATCH", rf"/issues/comments/{created['id']}$")
    assert edit.body["body"].startswith(MARKER + "\n## 🛑 pgship review: 2 errors")
    assert "commit [`c0ffee0`]" in edit.body["body"] and github.head_sha in edit.body["body"]
    assert len(github.comments) == 1
    assert repo.outputs()["comment-action"] == "updated"


def test_a_rerun_of_the_same_commit_leaves_the_comment_alone(repo: Repo) -> None:
    path = repo.write("migrations/002_email_idx.sql", INDEX)
    repo.comment(path, "--no-inline")

    result = repo.comment(path, "--no-inline")

    assert len(repo.github.writes()) == 1  # the first POST only
    assert "Kept (unchanged) the pgship comment" in result.stdout


def test_a_push_that_fixes_everything_edits_the_comment_to_say_so(repo: Repo) -> None:
    path = repo.write("migrations/002_email_idx.sql", INDEX)
    repo.comment(path)
    repo.write("migrations/002_email_idx.sql", SAFE_INDEX)

    repo.comment(path)

    [comment] = repo.github.comments
    assert comment["body"].startswith(MARKER + "\n## ✅ pgship review: no findings")
    assert "require-concurrent-index-creation" not in comment["body"]
    assert len(repo.github.calls("PATCH")) == 1


def test_a_clean_first_run_still_reports(repo: Repo) -> None:
    path = repo.write("migrations/002_email_idx.sql", SAFE_INDEX)

    repo.comment(path)

    [comment] = repo.github.comments
    assert "## ✅ pgship review: no findings" in comment["body"]
    assert not repo.github.calls("POST", r"/reviews$")


def test_the_marker_is_found_beyond_the_first_100_comments(repo: Repo) -> None:
    github = repo.github
    for number in range(160):
        github.add_comment(f"comment {number}", user(f"reviewer{number % 7}"))
    ours = github.add_comment(MARKER + "\nold report", dict(ACTIONS_BOT))
    for number in range(20):
        github.add_comment(f"later {number}", user("alice"))
    path = repo.write("migrations/002_email_idx.sql", INDEX)

    repo.comment(path, "--no-inline")

    pages = github.calls("GET", r"/issues/7/comments$")
    assert [p.query.get("page", "1") for p in pages] == ["1", "2"]
    assert all(p.query["per_page"] == "100" for p in pages)
    assert not github.calls("POST", r"/issues/7/comments$")
    [edit] = github.calls("PATCH")
    assert edit.path.endswith(f"/issues/comments/{ours['id']}")
    assert len(github.comments) == 181


def test_someone_elses_comment_holding_the_marker_is_not_taken(repo: Repo) -> None:
    github = repo.github
    quoted = github.add_comment(f"Why does the bot say this?\n> {MARKER}\n> ...", user("alice"))
    path = repo.write("migrations/002_email_idx.sql", INDEX)

    repo.comment(path, "--no-inline")

    assert not github.calls("PATCH")
    assert len(github.calls("POST", r"/issues/7/comments$")) == 1
    assert quoted["body"].startswith("Why does the bot say this?")


def test_with_a_personal_token_its_login_decides_what_is_ours(repo: Repo) -> None:
    github = repo.github
    github.token_login = "shop-ci"  # GET /user answers: a user or machine account's token
    other_bot = github.add_comment(MARKER + "\nanother tool's copy", dict(ACTIONS_BOT))
    ours = github.add_comment(MARKER + "\nold", user("shop-ci"))
    path = repo.write("migrations/002_email_idx.sql", INDEX)

    repo.comment(path, "--no-inline")

    [edit] = github.calls("PATCH")
    assert edit.path.endswith(f"/issues/comments/{ours['id']}")
    assert other_bot["body"].endswith("another tool's copy")


def test_after_a_switch_to_an_app_token_the_old_bot_comment_is_left_alone(repo: Repo) -> None:
    github = repo.github
    old = github.add_comment(MARKER + "\nby GITHUB_TOKEN", dict(ACTIONS_BOT))
    github.app_bot = user("shop-pgship[bot]", "Bot")  # an installation token: GET /user is 403
    path = repo.write("migrations/002_email_idx.sql", INDEX)

    repo.comment(path, "--no-inline")

    assert [r.path.endswith(str(old["id"])) for r in github.calls("PATCH")] == [True]  # 403
    [created] = github.ours()
    assert created["user"]["login"] == "shop-pgship[bot]"

    repo.write("migrations/002_email_idx.sql", INDEX + "CREATE INDEX i2 ON users (id);\n")
    repo.comment(path, "--no-inline")

    assert github.calls("PATCH")[-1].path.endswith(f"/issues/comments/{created['id']}")
    assert len(github.calls("PATCH")) == 2 and not github.calls("DELETE")
    assert "2 errors" in created["body"] and old["body"].endswith("by GITHUB_TOKEN")


def test_duplicates_left_by_a_race_are_deleted(repo: Repo) -> None:
    github = repo.github
    first = github.add_comment(MARKER + "\nrun 1", dict(ACTIONS_BOT))
    second = github.add_comment(MARKER + "\nrun 2", dict(ACTIONS_BOT))
    path = repo.write("migrations/002_email_idx.sql", INDEX)

    repo.comment(path, "--no-inline")

    assert [r.path.rsplit("/", 1)[1] for r in github.calls("PATCH")] == [str(first["id"])]
    assert [r.path.rsplit("/", 1)[1] for r in github.calls("DELETE")] == [str(second["id"])]
    assert [c["id"] for c in github.comments] == [first["id"]]


def test_a_key_keeps_a_separate_comment(repo: Repo) -> None:
    path = repo.write("migrations/002_email_idx.sql", INDEX)
    repo.comment(path, "--no-inline")

    repo.comment(path, "--no-inline", "--key", "analytics")

    default, keyed = repo.github.comments
    assert default["body"].startswith(MARKER + "\n")
    assert keyed["body"].startswith(
        "<!-- pgship:review:analytics -->\n## 🛑 pgship review (analytics):"
    )
    assert not repo.github.calls("PATCH")


def test_a_bad_key_is_a_usage_error(repo: Repo) -> None:
    path = repo.write("migrations/002_email_idx.sql", INDEX)

    result = repo.pgship("comment", path, "--key", "x -->")

    assert result.exit_code == 2
    assert "comment key" in result.stderr
    assert repo.github.requests == []


# --- what cannot be posted -------------------------------------------------------------------


def test_a_fork_token_gets_403_and_the_report_goes_to_annotations_and_the_summary(
    repo: Repo,
) -> None:
    github = repo.github
    github.read_only = True
    github.head_repository = "contributor/shop"
    path = repo.write("migrations/002_email_idx.sql", INDEX)

    result = repo.comment(path)

    assert len(github.calls("POST", r"/issues/7/comments$")) == 1  # tried once: no retry on 403
    assert github.comments == []
    assert "Resource not accessible by integration" in result.stderr
    assert "comes from a fork" in result.stderr and "read-only GITHUB_TOKEN" in result.stderr
    assert "::warning title=pgship comment::The pgship comment was not posted" in result.stdout
    assert (
        "::error file=migrations/002_email_idx.sql,line=1,col=1,"
        "title=require-concurrent-index-creation::" in result.stdout
    )
    summary = repo.summary()
    assert "## 🛑 pgship review: 1 error" in summary
    assert "CREATE INDEX CONCURRENTLY users_email_idx" in summary
    assert repo.outputs()["comment-action"] == "failed"
    assert not github.calls("POST", r"/reviews$")


def test_a_token_without_write_permission_says_which_permission(repo: Repo) -> None:
    repo.github.read_only = True
    path = repo.write("migrations/002_email_idx.sql", INDEX)

    result = repo.comment(path)

    assert "permissions: pull-requests: write" in result.stderr


def test_strict_fails_when_the_comment_is_refused(repo: Repo) -> None:
    repo.github.read_only = True
    path = repo.write("migrations/002_email_idx.sql", INDEX)

    result = repo.pgship("comment", path, "--strict")

    assert result.exit_code == 1
    assert "GitHub did not take the pgship comment" in result.stderr


def test_without_a_token_a_notice_and_exit_0(repo: Repo) -> None:
    path = repo.write("migrations/002_email_idx.sql", INDEX)

    result = repo.comment(path, env={"GITHUB_TOKEN": ""})

    assert repo.github.requests == []
    assert "notice: GITHUB_TOKEN is not set" in result.stderr
    assert "::notice title=pgship comment::GITHUB_TOKEN is not set" in result.stdout
    assert "🛑 pgship review: 1 error" in repo.summary()


def test_on_a_push_event_a_notice_and_exit_0(repo: Repo) -> None:
    repo.write("event.json", json.dumps({"ref": "refs/heads/main", "head_commit": {}}))
    path = repo.write("migrations/002_email_idx.sql", INDEX)

    result = repo.comment(path, env={"GITHUB_EVENT_NAME": "push"})

    assert repo.github.requests == []
    assert "push is not a pull request event" in result.stderr
    assert repo.outputs()["comment-action"] == "skipped"


def test_outside_github_actions_nothing_is_annotated(repo: Repo) -> None:
    path = repo.write("migrations/002_email_idx.sql", INDEX)

    result = repo.comment(path, env={"GITHUB_ACTIONS": "", "GITHUB_TOKEN": ""})

    assert "::" not in result.stdout
    assert "notice: GITHUB_TOKEN is not set" in result.stderr


def test_dry_run_prints_the_comment_and_sends_nothing(repo: Repo) -> None:
    path = repo.write("migrations/002_email_idx.sql", INDEX)

    result = repo.comment(path, "--dry-run", env={"GITHUB_ACTIONS": ""})

    assert result.stdout.startswith(MARKER + "\n## 🛑 pgship review: 1 error")
    assert repo.github.requests == []

    in_actions = repo.comment(path, "--dry-run").stdout.splitlines()
    assert in_actions[0].startswith("::stop-commands::pgship-")  # SQL cannot run commands
    assert in_actions[-1] == "::" + in_actions[0].removeprefix("::stop-commands::") + "::"


# --- retries ---------------------------------------------------------------------------------


def test_5xx_and_rate_limits_are_retried_and_nothing_is_posted_twice(repo: Repo) -> None:
    github = repo.github
    github.fail("GET", r"/pulls/7$", 502, times=2)
    github.fail("GET", r"/issues/7/comments$", 429, headers={"Retry-After": "0"})
    reset = "1"  # long past: wait 0 s
    github.fail(
        "POST",
        r"/issues/7/comments$",
        403,
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset},
        body={"message": "API rate limit exceeded for installation ID 1."},
    )
    path = repo.write("migrations/002_email_idx.sql", INDEX)

    result = repo.comment(path, "--no-inline")

    assert len(github.calls("GET", r"/pulls/7$")) == 3
    assert len(github.calls("POST", r"/issues/7/comments$")) == 2
    assert len(github.comments) == 1
    assert "HTTP 502" in result.stderr and "retry 2 of 3" in result.stderr
    assert "rate limited" in result.stderr


def test_a_write_github_took_before_failing_is_found_not_repeated(repo: Repo) -> None:
    github = repo.github
    github.fail("POST", r"/issues/7/comments$", 502, take=True)
    path = repo.write("migrations/002_email_idx.sql", INDEX)

    repo.comment(path, "--no-inline")

    assert len(github.comments) == 1
    assert len(github.calls("POST", r"/issues/7/comments$")) == 1
    assert not github.calls("PATCH")  # found again, identical: nothing to change


def test_a_final_failure_is_reported_and_the_review_is_not_hidden(repo: Repo) -> None:
    github = repo.github
    github.fail("GET", r"/pulls/7$", 503, times=10)
    path = repo.write("migrations/002_email_idx.sql", INDEX)

    result = repo.comment(path)

    assert len(github.calls("GET", r"/pulls/7$")) == 4  # 1 + 3 retries
    assert "Cannot read pull request #7 of acme/shop (HTTP 503" in result.stderr
    assert "after 4 tries" in result.stderr
    assert "::error file=migrations/002_email_idx.sql" in result.stdout
    assert "🛑 pgship review: 1 error" in repo.summary()

    strict = repo.pgship("comment", path, "--strict", "--retries", "0")
    assert strict.exit_code == 1


def test_a_refused_token_is_reported_and_not_retried(repo: Repo) -> None:
    repo.github.fail("GET", r"/pulls/7$", 401, body={"message": "Bad credentials"})
    path = repo.write("migrations/002_email_idx.sql", INDEX)

    result = repo.comment(path)

    assert len(repo.github.requests) == 1
    assert "Cannot read pull request #7 of acme/shop (HTTP 401: Bad credentials)" in result.stderr
    assert TOKEN not in result.stderr


def test_a_rate_limit_too_long_to_wait_for_is_not_waited_for(repo: Repo) -> None:
    repo.github.fail("GET", r"/pulls/7$", 429, headers={"Retry-After": "3600"})
    path = repo.write("migrations/002_email_idx.sql", INDEX)

    result = repo.comment(path)

    assert len(repo.github.calls("GET", r"/pulls/7$")) == 1
    assert "GitHub asks to wait 3600 s, longer than 60 s: not waiting" in result.stderr


# --- inline review comments ------------------------------------------------------------------


def test_inline_comments_only_on_changed_lines_and_only_once(repo: Repo) -> None:
    github = repo.github
    repo.write(
        "migrations/003_more.sql",
        "CREATE INDEX a_idx ON users (email);\n"
        "ALTER TABLE users ADD COLUMN b int;\n"
        "CREATE INDEX b_idx ON users (b);\n",
    )
    repo.write("rollbacks/003_more_rollback.sql", "ALTER TABLE users DROP COLUMN b;\n")
    repo.write("migrations/002_email_idx.sql", INDEX)
    github.add_file(
        "migrations/003_more.sql",
        "@@ -1,2 +1,3 @@\n CREATE INDEX a_idx ON users (email);\n"
        " ALTER TABLE users ADD COLUMN b int;\n+CREATE INDEX b_idx ON users (b);",
    )
    github.add_file("migrations/002_email_idx.sql", None)  # too big for a patch: skipped
    github.add_file("README.md", "@@ -1 +1 @@\n-a\n+b")

    result = repo.comment("migrations/002_email_idx.sql", "migrations/003_more.sql")

    [review] = github.calls("POST", r"/pulls/7/reviews$")
    assert review.body["event"] == "COMMENT"
    assert review.body["commit_id"] == github.head_sha
    [inline] = review.body["comments"]
    assert (inline["path"], inline["line"], inline["side"]) == (
        "migrations/003_more.sql",
        3,
        "RIGHT",
    )
    assert "CREATE INDEX CONCURRENTLY b_idx ON users (b);" in inline["body"]
    assert re.search(r"<!-- pgship:finding [0-9a-f]{16} -->$", inline["body"])
    assert "1 new, 2 not on changed lines" in result.stdout
    assert repo.outputs()["inline-comments"] == "1"

    # A later push moves the line down: the finding is still there but already commented.
    github.files[0]["patch"] = (
        "@@ -1,2 +1,4 @@\n CREATE INDEX a_idx ON users (email);\n"
        " ALTER TABLE users ADD COLUMN b int;\n+SELECT 1;\n+CREATE INDEX b_idx ON users (b);"
    )
    repo.write(
        "migrations/003_more.sql",
        "CREATE INDEX a_idx ON users (email);\nALTER TABLE users ADD COLUMN b int;\n"
        "SELECT 1;\nCREATE INDEX b_idx ON users (b);\n",
    )

    result = repo.comment("migrations/002_email_idx.sql", "migrations/003_more.sql")

    assert len(github.calls("POST", r"/pulls/7/reviews$")) == 1
    assert "1 already there" in result.stdout
    assert len(github.review_comments) == 1


def test_an_outdated_run_does_not_overwrite_the_newer_report(repo: Repo) -> None:
    github = repo.github
    github.add_file("migrations/002_email_idx.sql", NEW_FILE_PATCH, status="added")
    github.head_sha = "d" * 40  # pushed again while this run was going
    path = repo.write("migrations/002_email_idx.sql", INDEX)

    result = repo.comment(path)

    assert github.comments == [] and github.writes() == []
    assert not github.calls("GET", r"/files$")
    assert "has newer commits (ddddddd) than this run's (c0ffee0)" in result.stderr
    assert "🛑 pgship review: 1 error" in repo.summary()  # this run's own report stays visible


def test_inline_failure_is_a_warning_and_the_comment_stays(repo: Repo) -> None:
    github = repo.github
    github.add_file("migrations/002_email_idx.sql", NEW_FILE_PATCH, status="added")
    github.fail("POST", r"/reviews$", 422, body={"message": "Unprocessable Entity"})
    path = repo.write("migrations/002_email_idx.sql", INDEX)

    result = repo.comment(path)

    assert len(github.comments) == 1
    assert "The inline review comments were not posted" in result.stderr
    assert "HTTP 422" in result.stderr


def test_review_files_under_a_subfolder_map_to_repository_paths(repo: Repo) -> None:
    github = repo.github
    github.add_file("db/migrations/002_email_idx.sql", NEW_FILE_PATCH, status="added")
    (repo.root / "db").mkdir()
    os.chdir(repo.root / "db")
    repo.write("db/migrations/002_email_idx.sql", INDEX)

    repo.comment("migrations/002_email_idx.sql")

    [review] = github.calls("POST", r"/reviews$")
    assert review.body["comments"][0]["path"] == "db/migrations/002_email_idx.sql"


# --- escaping --------------------------------------------------------------------------------

NASTY = (
    "-- pgship:ignore @someone\n"
    "SELECT 1;\n"
    "-- pgship:ignore <img/src=x>\n"
    "SELECT 2;\n"
    "-- pgship:ignore ```\n"
    "SELECT 3;\n"
    'CREATE INDEX "i```" ON "<b>@someone</b>" ("@other | x");\n'
)


def test_mentions_html_and_fences_from_sql_are_defused(repo: Repo) -> None:
    github = repo.github
    path = repo.write("migrations/002_email_idx.sql", NASTY)
    github.add_file(
        "migrations/002_email_idx.sql",
        "@@ -0,0 +1,7 @@\n" + "".join("+" + line + "\n" for line in NASTY.splitlines()),
        status="added",
    )

    repo.comment(path, "--test-report", repo.write("test.json", json.dumps(NASTY_TEST)))

    [comment] = github.comments
    body = comment["body"]
    outside_code = plain(body)
    assert "@someone" not in outside_code and "@other" not in outside_code
    assert f"@{ZWSP}someone" in outside_code
    assert (
        "<b>" not in outside_code and "<img" not in outside_code and "<script" not in outside_code
    )
    assert "&lt;b&gt;" in outside_code
    assert "#12" not in outside_code  # no link to issue 12
    # The SQL with a ``` inside is fenced by a longer fence, and every fence is closed.
    assert "````sql\n-- pgship:no-transaction" in body
    assert 'CREATE INDEX CONCURRENTLY "i```" ON "<b>@someone</b>" ("@other | x");\n````' in body
    assert body.count("<details>") == body.count("</details>")
    # Table rows keep their four columns: a `|` from SQL is escaped.
    for row in (line for line in body.splitlines() if line.startswith("| ") and ":1 |" in line):
        assert len(re.split(r"(?<!\\)\|", row)) == 6, row
    [inline] = github.calls("POST", r"/reviews$")[0].body["comments"]
    assert "@someone" not in plain(inline["body"]) and "<b>" not in plain(inline["body"])


NASTY_TEST = {
    "ok": False,
    "server": "PostgreSQL 17 at <b>@dba</b>",
    "duration_ms": 812,
    "with_data": False,
    "migrations": [
        {
            "version": 2,
            "name": "002_email_idx",
            "verdict": "rollback differs",
            "apply_ms": 3,
            "rollback_ms": 2,
            "differences": ["index @someone <script>x</script> | added ``` #12"],
            "error": None,
            "file": None,
            "line": None,
            "rows_lost": {},
            "note": "",
        }
    ],
    "seeds": [],
    "end_state_problems": [],
}


# --- the round trip and report files ---------------------------------------------------------


def test_the_round_trip_table_comes_from_the_test_report(repo: Repo) -> None:
    report = {
        **NASTY_TEST,
        "ok": True,
        "server": "PostgreSQL 17.2",
        "migrations": [
            {**NASTY_TEST["migrations"][0], "verdict": "ok", "differences": []}  # type: ignore[dict-item]
        ],
    }
    path = repo.write("migrations/002_email_idx.sql", SAFE_INDEX)

    repo.comment(path, "--test-report", repo.write("t.json", json.dumps(report)))

    body = repo.github.comments[0]["body"]
    assert "## ✅ pgship review: no findings · round trip passed" in body
    assert (
        "Round trip (`pgship test`): PASSED: 1 of 1 migrations round-trip cleanly (812 ms)." in body
    )
    assert "| `002_email_idx` | ✅ ok | 3 ms | 2 ms |" in body


def test_a_missing_test_report_is_a_note_not_an_error(repo: Repo) -> None:
    path = repo.write("migrations/002_email_idx.sql", SAFE_INDEX)

    repo.comment(path, "--test-report", "nowhere.json")

    body = repo.github.comments[0]["body"]
    assert body.startswith(MARKER + "\n## ⚠️ pgship review: no findings")
    assert "No `pgship test` report: nowhere.json does not exist" in body


def test_base_reviews_only_what_the_pull_request_changed(repo: Repo) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo.root), *args], check=True, capture_output=True)

    repo.write("migrations/000_old.sql", "CREATE INDEX old_idx ON users (id);\n")  # merged long ago
    repo.write("rollbacks/000_old_rollback.sql", "DROP INDEX old_idx;\n")
    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "base")
    repo.write("migrations/002_email_idx.sql", INDEX)

    repo.comment("--base", "HEAD", "--no-inline")

    body = repo.github.comments[0]["body"]
    assert "### `migrations/002_email_idx.sql`" in body
    assert "000_old" not in body


def test_a_review_report_file_is_posted_as_is(repo: Repo) -> None:
    path = repo.write("migrations/002_email_idx.sql", INDEX)
    review = repo.pgship("review", path, "--format", "json", "--output", "review.json")
    assert review.exit_code == 1
    (repo.root / "migrations/002_email_idx.sql").unlink()  # not read again

    repo.comment("--review-json", "review.json")

    assert "🛑 pgship review: 1 error" in repo.github.comments[0]["body"]


def test_a_file_that_is_not_a_report_is_bad_input(repo: Repo) -> None:
    repo.write("bad.json", json.dumps({"findings": [{"file": "a.sql"}]}))

    result = repo.pgship("comment", "--review-report", "bad.json")

    assert result.exit_code == 2
    assert "bad.json is not a report of `pgship review --format json`" in result.stderr
    assert repo.github.requests == []


def test_an_overlong_report_shrinks_to_counts_and_the_summary_gets_everything(repo: Repo) -> None:
    sql = "".join(f"CREATE INDEX i{n} ON users (a{n});\n" for n in range(700))
    path = repo.write("migrations/002_email_idx.sql", sql)

    repo.comment(path, "--no-inline")

    body = repo.github.comments[0]["body"]
    assert len(body) <= 65_000
    assert "The full report is too long for a comment" in body
    assert "| `migrations/002_email_idx.sql` | `require-concurrent-index-creation` | 700 |" in body
    assert f"job summary of the [workflow run]({RUN_URL})" in body
    assert repo.summary().count("CREATE INDEX CONCURRENTLY") == 700


def test_json_output(repo: Repo) -> None:
    path = repo.write("migrations/002_email_idx.sql", INDEX)

    result = repo.pgship("--format", "json", "comment", path, env={"GITHUB_ACTIONS": ""})

    data = json.loads(result.stdout)
    assert data["action"] == "created" and data["pr"] == 7
    assert data["comment_id"] == repo.github.comments[0]["id"]


# --- pgship review --comment -----------------------------------------------------------------


def test_review_comment_posts_and_keeps_the_review_exit_code(repo: Repo) -> None:
    github = repo.github
    github.add_file("migrations/002_email_idx.sql", NEW_FILE_PATCH, status="added")
    path = repo.write("migrations/002_email_idx.sql", INDEX)

    result = repo.pgship("review", path, "--format", "github", "--comment")

    assert result.exit_code == 1  # the finding, as without --comment
    [comment] = github.comments
    assert comment["body"].startswith(MARKER + "\n## 🛑 pgship review: 1 error")
    assert len(github.calls("POST", r"/reviews$")) == 1
    assert "Posted the pgship comment on pull request #7" in result.stderr
    assert result.stdout.count("::error file=migrations/002_email_idx.sql") == 1


def test_review_comment_with_a_read_only_token_still_exits_as_the_review(repo: Repo) -> None:
    repo.github.read_only = True
    path = repo.write("migrations/002_email_idx.sql", SAFE_INDEX)

    result = repo.pgship("review", path, "--comment")

    assert result.exit_code == 0
    assert "The pgship comment was not posted" in result.stderr
    assert repo.summary().count("pgship review: no findings") == 1  # not written twice


def test_review_comment_with_bad_settings_warns_and_keeps_the_review_result(repo: Repo) -> None:
    path = repo.write("migrations/002_email_idx.sql", INDEX)

    result = repo.pgship(
        "review", path, "--comment", env={"GITHUB_REPOSITORY": "nope", "PGSHIP_COMMENT_KEY": ""}
    )

    assert result.exit_code == 1  # the finding
    assert "warning: no pgship comment: GITHUB_REPOSITORY must be owner/name" in result.stderr
    assert repo.github.requests == []
