"""`pgship notify`: the real slack-sdk clients talk HTTP to a local stand-in for Slack.

The stand-in (127.0.0.1, a thread) records every request and answers like Slack's Web API
(chat.postMessage / chat.update) and an incoming webhook; it can be told to answer 429 with
Retry-After, or 5xx, a number of times.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from click.testing import Result

from pgship.outputs import read_outputs
from pgship_testing import REPO, Project

TOKEN = "xoxb-1111-2222-SeCrEtToKeN"
WEBHOOK_PATH = "/services/T000/B000/WeBhOoKsEcReT"
GITHUB = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "acme/shop",
    "GITHUB_RUN_ID": "4242",
    "GITHUB_SHA": "0123abcd4567ef89",
    "GITHUB_REF_NAME": "main",
    "GITHUB_ACTOR": "octocat",
}
RUN_URL = "https://github.com/acme/shop/actions/runs/4242"


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float


@dataclass
class FakeSlack:
    """Answers like Slack; `fail(status, times)` queues error answers first."""

    requests: list[Recorded] = field(default_factory=list)
    queued: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)
    api_errors: dict[str, str] = field(default_factory=dict)  # method -> Slack error code
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    posted: list[str] = field(default_factory=list)  # ts of each chat.postMessage answer

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{WEBHOOK_PATH}"

    def fail(self, status: int, times: int, headers: dict[str, str] | None = None) -> None:
        body = b'{"ok": false, "error": "ratelimited"}' if status == 429 else b"upstream error"
        self.queued += [(status, headers or {}, body)] * times

    def calls(self, method: str) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/" + method)]

    def answer(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            if self.queued:
                return self.queued.pop(0)
            if path == WEBHOOK_PATH:
                return 200, {"Content-Type": "text/html"}, b"ok"
            method = path.rsplit("/", 1)[-1]
            if method in self.api_errors:
                return 200, {}, json.dumps({"ok": False, "error": self.api_errors[method]}).encode()
            if method == "chat.postMessage":
                ts = f"{time.time():.6f}"  # like Slack: the time of the message
                self.posted.append(ts)
                answer = {"ok": True, "channel": "C0DEPLOYS", "ts": ts, "message": {}}
            elif method == "chat.update":
                answer = {"ok": True, "channel": body.get("channel"), "ts": body.get("ts")}
            else:
                answer = {"ok": False, "error": "unknown_method"}
            return 200, {"Content-Type": "application/json"}, json.dumps(answer).encode()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            if "json" in (self.headers.get("Content-Type") or ""):
                body = json.loads(raw or "{}")
            else:
                body = {k: v[0] for k, v in parse_qs(raw).items()}
            with fake.lock:
                fake.requests.append(
                    Recorded(self.path, dict(self.headers), body, time.monotonic())
                )
            status, headers, payload = fake.answer(self.path, body)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def outputs(tmp_path: Path) -> Path:
    path = tmp_path / "github_output"
    path.touch()
    return path


@pytest.fixture
def bot(
    tmp_path: Path, slack: FakeSlack, outputs: Path, monkeypatch: pytest.MonkeyPatch
) -> Project:
    """A repository set up for a bot token timeline in GitHub Actions; no database unless a
    test sets `database_url` (most events need none)."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("PGSHIP_", "GITHUB_", "SLACK_")) or name in (
            "DATABASE_URL",
            "PGOPTIONS",
        ):
            monkeypatch.delenv(name)
    project = Project(tmp_path, "")
    project.env.update(
        {
            **GITHUB,
            "GITHUB_OUTPUT": str(outputs),
            "PGSHIP_ENVIRONMENT": "production",
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_CHANNEL": "#deploys",
            "PGSHIP_SLACK_API_URL": slack.api_url,
            "PGSHIP_SLACK_RETRY_BACKOFF": "0.01",
        }
    )
    return project


@pytest.fixture
def webhook(bot: Project, slack: FakeSlack) -> Project:
    bot.env.update(
        {"SLACK_BOT_TOKEN": "", "SLACK_CHANNEL": "", "SLACK_WEBHOOK_URL": slack.webhook_url}
    )
    return bot


def texts(blocks: list[dict[str, Any]]) -> str:
    """All the mrkdwn / plain text of some blocks, joined."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return "\n".join(found)


def notify(project: Project, *args: str, env: dict[str, str] | None = None) -> Result:
    return project.run("notify", *args, env=env)


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


# --- the bot token timeline -----------------------------------------------------------------


def test_started_posts_the_timeline_head_and_sets_slack_ts(
    bot: Project, slack: FakeSlack, outputs: Path
) -> None:
    result = ok(notify(bot, "started", env={"PGSHIP_BACKUP_ID": "bk-2026-11-25"}))

    [post] = slack.requests
    assert post.path == "/api/chat.postMessage"
    assert post.headers["Authorization"] == f"Bearer {TOKEN}"
    assert post.body["channel"] == "#deploys"
    assert "thread_ts" not in post.body
    blocks = post.body["blocks"]
    assert blocks[0] == {
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": ":ship: Database deploy · production",
            "emoji": True,
        },
    }
    assert blocks[1]["text"]["text"].startswith("*Status:* :rocket: *Deploy started*")
    fields = texts(blocks[2]["fields"])
    for expected in (
        "*Environment*\nproduction",
        "*Repository*\n<https://github.com/acme/shop|acme/shop>",
        "*Ref*\n`main`",
        "*Commit*\n<https://github.com/acme/shop/commit/0123abcd4567ef89|0123abc>",
        "*Actor*\noctocat",
        f"*Run*\n<{RUN_URL}|run 4242>",
        "*Backup*\n`bk-2026-11-25`",
    ):
        assert expected in fields
    assert "Deploy started" in post.body["text"]  # the notification fallback

    written = read_outputs(str(outputs))
    assert written["slack-ts"] == slack.posted[0]
    assert written["slack-channel"] == "C0DEPLOYS"
    assert abs(float(written["started-at"]) - time.time()) < 60
    assert f"ts {slack.posted[0]}" in result.stdout


def test_later_events_update_the_same_message_and_reply_in_its_thread(
    bot: Project, slack: FakeSlack, outputs: Path, tmp_path: Path
) -> None:
    ok(notify(bot, "started"))
    first = read_outputs(str(outputs))
    ts, channel = first["slack-ts"], first["slack-channel"]
    migrate_json = tmp_path / "migrate.json"
    migrate_json.write_text(
        json.dumps(
            {
                "action": "apply",
                "dry_run": False,
                "steps": [
                    {"version": 5, "name": "005_add_email", "execution_ms": 340, "statements": 2},
                    {"version": 6, "name": "006_index", "execution_ms": 1300, "statements": 1},
                ],
                "planned": [],
            }
        )
    )
    follow = {"PGSHIP_SLACK_TS": ts, "SLACK_CHANNEL": channel}

    ok(notify(bot, "migrated", "--migrations-json", str(migrate_json), env=follow))
    ok(notify(bot, "succeeded", env={**follow, "PGSHIP_STARTED_AT": first["started-at"]}))

    top_level = [r for r in slack.calls("chat.postMessage") if "thread_ts" not in r.body]
    assert len(top_level) == 1  # one timeline for the run
    updates = slack.calls("chat.update")
    assert [(u.body["channel"], u.body["ts"]) for u in updates] == [(channel, ts)] * 2
    assert "*Status:* :arrow_forward: *Migrations applied*" in texts(updates[0].body["blocks"])
    assert "*Status:* :white_check_mark: *Migrations succeeded*" in texts(updates[1].body["blocks"])
    assert "since start" in texts(updates[1].body["blocks"])

    replies = [r for r in slack.calls("chat.postMessage") if "thread_ts" in r.body]
    assert [r.body["thread_ts"] for r in replies] == [ts, ts]
    assert not any(r.body.get("reply_broadcast") for r in replies)
    migrated = texts(replies[0].body["blocks"])
    assert "*Migrations applied* (2, 1.6 s in total):" in migrated
    assert "• `005_add_email` · 340 ms · 2 statements" in migrated
    assert "• `006_index` · 1.3 s · 1 statement" in migrated
    # the order Slack saw: update then reply, for each event
    paths = [r.path.rsplit("/", 1)[-1] for r in slack.requests]
    assert paths == ["chat.postMessage", "chat.update", "chat.postMessage"] * 1 + [
        "chat.update",
        "chat.postMessage",
    ]
    assert (
        "slack-ts" not in read_outputs(str(outputs)) or read_outputs(str(outputs))["slack-ts"] == ts
    )


def test_failed_names_the_error_and_the_exact_rollback_command(
    bot: Project, slack: FakeSlack, db_url: str
) -> None:
    bot.database_url = db_url
    bot.write("001_users", "CREATE TABLE users (id int);", "DROP TABLE users;")
    bot.write("002_orders", "CREATE TABLE orders (id int);", "DROP TABLE orders;")
    earlier_run = {"GITHUB_RUN_ID": "4000"}
    assert bot.run("migrate", env=earlier_run).exit_code == 0
    bot.write("003_emails", "CREATE TABLE emails (id int);", "DROP TABLE emails;")
    bot.write("004_broken", "ALTER TABLE nope ADD COLUMN x int; -- <!channel> & co\n")
    failed = bot.run("migrate")
    assert failed.exit_code == 1

    ok(notify(bot, "failed", "--ts", "1700000000.000100"))

    update, reply = slack.requests
    assert update.path == "/api/chat.update"
    assert "*Status:* :x: *Migration failed*" in texts(update.body["blocks"])
    assert reply.body["thread_ts"] == "1700000000.000100"
    assert reply.body["reply_broadcast"] is True  # the channel sees a failure
    shown = texts(reply.body["blocks"])
    assert "*Migrations applied* (1," in shown and "`003_emails`" in shown
    assert "004_broken failed at" in shown
    assert 'relation "nope" does not exist' in shown
    assert "*To roll back this run:* `pgship --environment production rollback --to 002`" in shown
    # the rollback command is right: it takes the database back to where this run started
    rolled = bot.run("--environment", "production", "rollback", "--to", "002")
    assert rolled.exit_code == 0, rolled.output
    assert not bot.table_exists("public.emails") and bot.table_exists("public.orders")


def test_failed_first_migration_says_there_is_nothing_to_roll_back(
    bot: Project, slack: FakeSlack, db_url: str
) -> None:
    bot.database_url = db_url
    bot.write("001_broken", "SELECT * FROM nope;")
    assert bot.run("migrate").exit_code == 1

    ok(notify(bot, "failed"))

    [post] = slack.requests  # no --ts: a standalone message
    shown = texts(post.body["blocks"])
    assert "This run left no migration applied: there is nothing to roll back." in shown
    assert "rollback --to" not in shown


def test_migrations_json_written_by_migrate(
    bot: Project, slack: FakeSlack, tmp_path: Path, db_url: str
) -> None:
    bot.database_url = db_url
    bot.write("001_users", "CREATE TABLE users (id int);\nCREATE INDEX ON users (id);")
    bot.write("002_orders", "CREATE TABLE orders (id int);")
    migrated = bot.run("--format", "json", "migrate")
    assert migrated.exit_code == 0, migrated.output
    report = tmp_path / "migrate.json"
    report.write_text(migrated.stdout)

    ok(notify(bot, "migrated", "--migrations-json", str(report)))

    shown = texts(slack.requests[0].body["blocks"])
    assert "*Migrations applied* (2," in shown
    assert "`001_users`" in shown and "2 statements" in shown
    assert "`002_orders`" in shown


def test_migrations_from_the_history_table_of_this_run(
    bot: Project, slack: FakeSlack, db_url: str
) -> None:
    bot.database_url = db_url
    bot.write("001_users", "CREATE TABLE users (id int);")
    assert bot.run("migrate", env={"GITHUB_RUN_ID": "1"}).exit_code == 0
    bot.write("002_orders", "CREATE TABLE orders (id int);")
    assert bot.run("migrate").exit_code == 0

    ok(notify(bot, "succeeded"))

    shown = texts(slack.requests[0].body["blocks"])
    assert "*Migrations applied* (1," in shown
    assert "`002_orders`" in shown and "001_users" not in shown  # another run's


def test_rolled_back_lists_what_this_run_rolled_back(
    bot: Project, slack: FakeSlack, db_url: str
) -> None:
    bot.database_url = db_url
    bot.write("001_users", "CREATE TABLE users (id int);", "DROP TABLE users;")
    bot.write("002_orders", "CREATE TABLE orders (id int);", "DROP TABLE orders;")
    assert bot.run("migrate").exit_code == 0
    assert bot.run("rollback").exit_code == 0

    ok(notify(bot, "rolled-back"))

    shown = texts(slack.requests[0].body["blocks"])
    assert "*Migrations rolled back* (1," in shown and "`002_orders`" in shown


def test_health_failed_lists_the_checks(bot: Project, slack: FakeSlack, tmp_path: Path) -> None:
    report = tmp_path / "health.json"
    report.write_text(
        json.dumps(
            {
                "status": "fail",
                "checks": [
                    {"name": "connection", "status": "ok", "value": 1, "unit": "ms", "detail": ""},
                    {
                        "name": "invalid_indexes",
                        "status": "fail",
                        "value": 1,
                        "unit": "",
                        "detail": "INVALID: users_email_idx <b>",
                    },
                ],
            }
        )
    )

    ok(notify(bot, "health-failed", "--health-json", str(report), "--rollback-to", "006"))

    shown = texts(slack.requests[0].body["blocks"])
    assert ":x: `invalid_indexes` 1 — INVALID: users_email_idx &lt;b&gt;" in shown
    assert "connection" not in shown.split("Health checks not ok")[1]
    assert "`pgship --environment production rollback --to 006`" in shown


# --- webhook ----------------------------------------------------------------------------------


def test_webhook_posts_each_event_as_its_own_message(
    webhook: Project, slack: FakeSlack, outputs: Path
) -> None:
    for event in ("started", "backup-verified", "deployed"):
        ok(notify(webhook, event, env={"PGSHIP_BACKUP_ID": "bk-1"}))

    assert [r.path for r in slack.requests] == [WEBHOOK_PATH] * 3
    headers = [r.body["blocks"][0]["text"]["text"] for r in slack.requests]
    assert headers == [
        ":rocket: Deploy started · production",
        ":floppy_disk: Backup verified · production",
        ":tada: Deployed · production",
    ]
    assert all("Authorization" not in r.headers for r in slack.requests)
    assert "*Repository*\n<https://github.com/acme/shop|acme/shop>" in texts(slack.requests[1].body)
    written = read_outputs(str(outputs))
    assert "slack-ts" not in written and "started-at" in written


# --- retries and the never-fail rule -----------------------------------------------------------


def test_429_is_retried_after_retry_after(bot: Project, slack: FakeSlack) -> None:
    slack.fail(429, times=1, headers={"Retry-After": "1"})

    result = ok(notify(bot, "started"))

    first, second = slack.requests
    assert first.body == second.body
    assert second.at - first.at >= 1.0  # Retry-After: 1 was honoured
    assert "warning" not in result.stderr


@pytest.mark.parametrize("mode", ["bot", "webhook"])
def test_5xx_is_retried_with_backoff(
    mode: str, bot: Project, slack: FakeSlack, request: pytest.FixtureRequest
) -> None:
    project = request.getfixturevalue(mode)
    slack.fail(500, times=1)
    slack.fail(502, times=1)

    result = ok(notify(project, "started"))

    assert len(slack.requests) == 3
    assert "warning" not in result.stderr
    assert "Sent started to Slack" in result.stdout


@pytest.mark.parametrize("mode", ["bot", "webhook"])
def test_slack_down_warns_and_exits_0_unless_strict(
    mode: str, bot: Project, slack: FakeSlack, request: pytest.FixtureRequest
) -> None:
    project = request.getfixturevalue(mode)
    slack.fail(503, times=100)

    relaxed = ok(notify(project, "started"))
    assert len(slack.requests) == 4  # the first try and 3 retries
    assert "warning: Slack:" in relaxed.stderr
    assert "::warning title=pgship notify::Slack:" in relaxed.stdout
    assert "does not fail the job" in relaxed.stderr

    strict = notify(project, "started", "--strict")
    assert strict.exit_code == 1
    assert "Slack did not take the started notification" in strict.stderr


def test_unreachable_slack_never_fails_the_job(bot: Project, slack: FakeSlack) -> None:
    dead = "http://127.0.0.1:9/api/"  # discard port: nothing listens

    result = ok(notify(bot, "started", env={"PGSHIP_SLACK_API_URL": dead}))

    assert "warning: Slack: chat.postMessage failed" in result.stderr


def test_long_retry_after_is_not_waited_for(bot: Project, slack: FakeSlack) -> None:
    slack.fail(429, times=1, headers={"Retry-After": "3600"})

    started = time.monotonic()
    result = ok(notify(bot, "started"))

    assert time.monotonic() - started < 10
    assert len(slack.requests) == 1
    assert "rate limiting (HTTP 429)" in result.stderr


def test_a_slack_api_error_is_a_warning_with_a_hint(bot: Project, slack: FakeSlack) -> None:
    slack.api_errors["chat.update"] = "channel_not_found"

    result = ok(notify(bot, "succeeded", "--ts", "1700000000.000100"))

    assert "chat.update failed: channel_not_found" in result.stderr
    assert "needs the channel ID" in result.stderr
    assert len(slack.calls("chat.postMessage")) == 1  # the thread reply still went out


def test_no_slack_configured_is_a_notice(bot: Project, slack: FakeSlack) -> None:
    result = ok(notify(bot, "started", env={"SLACK_BOT_TOKEN": "", "SLACK_CHANNEL": ""}))

    assert "Slack is not configured" in result.stderr
    assert "::notice title=pgship notify::Slack is not configured" in result.stdout
    assert slack.requests == []


def test_token_without_channel_is_a_warning(bot: Project, slack: FakeSlack) -> None:
    result = ok(notify(bot, "started", env={"SLACK_CHANNEL": ""}))

    assert "no channel" in result.stderr
    assert slack.requests == []
    assert notify(bot, "started", "--strict", env={"SLACK_CHANNEL": ""}).exit_code == 1


# --- escaping and secrets ---------------------------------------------------------------------


def test_mrkdwn_is_escaped_so_nobody_is_pinged(
    bot: Project, slack: FakeSlack, tmp_path: Path
) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"head_commit": {"message": "Fix <!here> & ping <@U123>\n\nbody"}}))
    error = 'ERROR: syntax error at or near "<!channel>" & <https://evil.example|click>'

    ok(
        notify(
            bot,
            "failed",
            "--error",
            error,
            env={"GITHUB_EVENT_PATH": str(event), "GITHUB_REF_NAME": "<!everyone>"},
        )
    )

    sent = json.dumps([r.body for r in slack.requests])
    for ping in ("<!channel>", "<!here>", "<@U123>", "<!everyone>", "<https://evil"):
        assert ping not in sent
    shown = texts(slack.requests[0].body["blocks"])
    assert '"&lt;!channel&gt;" &amp; &lt;https://evil.example|click&gt;' in shown
    assert "Fix &lt;!here&gt; &amp; ping &lt;@U123&gt;" in shown  # the commit message, first line
    assert "body" not in shown.split("Fix")[1]


def test_mention_on_failure_from_pgship_yml(bot: Project, slack: FakeSlack) -> None:
    (bot.root / "pgship.yml").write_text(
        "slack:\n  mention_on_failure: '<!subteam^S0ONCALL>'\n  events: [started, failed]\n"
    )

    ok(notify(bot, "failed", "--error", "boom"))
    ok(notify(bot, "started"))
    skipped = ok(notify(bot, "migrated"))

    failed, started = slack.requests
    assert "<!subteam^S0ONCALL>" in texts(failed.body["blocks"])
    assert "subteam" not in texts(started.body["blocks"])
    assert "not in pgship.yml slack.events" in skipped.stderr


def test_unknown_slack_setting_is_a_usage_error(bot: Project, slack: FakeSlack) -> None:
    (bot.root / "pgship.yml").write_text("slack:\n  chanel: C1\n")

    result = notify(bot, "started")

    assert result.exit_code == 2
    assert "unknown setting(s) chanel" in result.stderr


@pytest.mark.parametrize("mode", ["bot", "webhook"])
def test_no_secret_in_any_output(
    mode: str, bot: Project, slack: FakeSlack, request: pytest.FixtureRequest
) -> None:
    project = request.getfixturevalue(mode)
    slack.api_errors["chat.postMessage"] = "invalid_auth"
    slack.fail(404, times=1 if mode == "webhook" else 0)
    env = {"GITHUB_ACTIONS": ""}

    results = [
        notify(project, "started", env=env),
        notify(project, "failed", "--error", "x", env=env),
        project.run("--format", "json", "notify", "started", env=env),
        notify(project, "started", "--strict", env=env),
        notify(project, "started", env={"PGSHIP_SLACK_API_URL": "http://127.0.0.1:9/api/", **env}),
    ]

    for result in results:
        everything = result.stdout + result.stderr + repr(result.exception or "")
        assert TOKEN not in everything and "SeCrEtToKeN" not in everything
        assert "WeBhOoKsEcReT" not in everything
    assert "check the SLACK_BOT_TOKEN secret" in results[0].stderr or mode == "webhook"


def test_dry_run_prints_the_payloads_and_sends_nothing(bot: Project, slack: FakeSlack) -> None:
    result = ok(notify(bot, "succeeded", "--ts", "1700000000.000100", "--dry-run"))

    payloads = json.loads(result.stdout)
    assert [p["method"] for p in payloads] == ["chat.update", "chat.postMessage"]
    assert payloads[1]["thread_ts"] == "1700000000.000100"
    assert slack.requests == []
    assert TOKEN not in result.stdout


def test_confirmed_by_is_shown(bot: Project, slack: FakeSlack) -> None:
    ok(notify(bot, "started", env={"PGSHIP_CONFIRMED_BY": "maintainer-alice"}))

    assert "*Confirmed by*\nmaintainer-alice" in texts(slack.requests[0].body["blocks"])


# --- startup cost -----------------------------------------------------------------------------

HELP_PROBE = """
import json, sys
sys.argv = ["pgship", *json.loads(sys.argv[1])]
from pgship.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
watched = ("psycopg", "slack_sdk", "pgship.integrations", "pgship.db")
print("PROBE " + json.dumps([code, sorted(m for m in sys.modules if m.startswith(watched))]))
"""


@pytest.mark.parametrize("command", ["confirm", "notify", "health"])
def test_help_has_an_example_and_imports_nothing_heavy(command: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", HELP_PROBE, json.dumps([command, "--help"])],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO / "scripts")},
        check=False,
    )

    output, _, report = done.stdout.rpartition("PROBE ")
    assert json.loads(report) == [0, []], done.stderr
    assert output.startswith(f"Usage: pgship {command}")
    assert "pgship " in output.split("Example", 1)[1]


def test_slack_sdk_is_imported_by_notify_only_when_sending(bot: Project, slack: FakeSlack) -> None:
    env = {**os.environ, **bot.env, "PYTHONPATH": str(REPO / "scripts")}
    quiet = subprocess.run(
        [sys.executable, "-c", HELP_PROBE, json.dumps(["notify", "started"])],
        capture_output=True,
        text=True,
        timeout=60,
        env={**env, "SLACK_BOT_TOKEN": "", "SLACK_WEBHOOK_URL": ""},
        check=False,
    )
    sent = subprocess.run(
        [sys.executable, "-c", HELP_PROBE, json.dumps(["notify", "started"])],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )

    assert "slack_sdk" not in quiet.stdout.rpartition("PROBE ")[2]
    assert "slack_sdk" in sent.stdout.rpartition("PROBE ")[2]
    assert len(slack.requests) == 1


# --- the Block Kit building blocks ------------------------------------------------------------


def test_escaping_helpers() -> None:
    from pgship.integrations.slack_messages import code, code_block, escape, link

    assert escape("a & <!channel> > b") == "a &amp; &lt;!channel&gt; &gt; b"
    assert link("https://x/y?a=1&b=<2>", "run | 1") == "<https://x/y?a=1&amp;b=&lt;2&gt;|run ¦ 1>"
    assert code("rm `x`") == "`rm ʼxʼ`"
    assert code_block("a ``` b <c>") == "```a `\u200b`` b &lt;c&gt;```"


def test_slack_limits_are_respected(bot: Project, slack: FakeSlack, tmp_path: Path) -> None:
    steps = [
        {"version": v, "name": f"{v:03d}_step", "execution_ms": 5, "statements": 1}
        for v in range(1, 31)
    ]
    report = tmp_path / "migrate.json"
    report.write_text(json.dumps({"steps": steps}))

    ok(notify(bot, "failed", "--migrations-json", str(report), "--error", "x" * 10_000))

    blocks = slack.requests[0].body["blocks"]
    assert len(blocks) <= 50
    for block in blocks:
        if "text" in block and block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        assert len(block.get("fields", [])) <= 10
    shown = texts(blocks)
    assert "`020_step`" in shown and "`021_step`" not in shown and "…and 10 more" in shown
    assert "*To roll back this run:* `pgship --environment production rollback --steps 30`" in shown


def test_rollback_target_from_the_migration_files_without_a_database(
    bot: Project, slack: FakeSlack, tmp_path: Path
) -> None:
    for stem in ("001_a", "002_b", "003_c"):
        bot.write(stem, "SELECT 1;")
    report = tmp_path / "migrate.json"
    report.write_text(
        json.dumps({"steps": [{"version": 2, "name": "002_b"}, {"version": 3, "name": "003_c"}]})
    )

    ok(notify(bot, "health-failed", "--migrations-json", str(report)))

    shown = texts(slack.requests[0].body["blocks"])
    assert "`pgship --environment production rollback --to 001`" in shown


def test_a_partial_no_transaction_failure_says_how_to_resolve_it(
    bot: Project, slack: FakeSlack, db_url: str
) -> None:
    bot.database_url = db_url
    bot.write(
        "001_idx",
        "-- pgship:no-transaction\nCREATE TABLE a (id int);\nCREATE INDEX CONCURRENTLY ON nope (id);\n",
    )
    assert bot.run("migrate").exit_code == 1

    ok(notify(bot, "failed"))

    shown = texts(slack.requests[0].body["blocks"])
    assert "001_idx ran part-way outside a transaction" in shown
    assert "`pgship --environment production resolve 001 --applied`" in shown
    assert "`pgship --environment production resolve 001 --rolled-back`" in shown
    assert "nothing to roll back" not in shown
