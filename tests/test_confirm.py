"""`pgship confirm`: the production gate. Exactly the word passes; it never connects to a database.

DATABASE_URL points at a TCP listener that counts connections: a confirm that tried to reach the
database would show up there (and would find no PostgreSQL).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pgship.cli import cli
from pgship.outputs import read_outputs
from pgship.runcontext import RunContext
from pgship_testing import REPO, Project

GITHUB = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "acme/shop",
    "GITHUB_RUN_ID": "777",
    "GITHUB_SHA": "0123abcd",
    "GITHUB_ACTOR": "maintainer-alice",
}
RUN_URL = "https://github.com/acme/shop/actions/runs/777"


class Listener:
    """A TCP port that accepts and counts connections (and answers nothing)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, listener: Listener) -> Path:
    """A clean working directory whose DATABASE_URL leads nowhere useful."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("PGSHIP_", "GITHUB_")) or name in ("DATABASE_URL", "PGOPTIONS"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", f"postgresql://app:pw@127.0.0.1:{listener.port}/prod")
    return tmp_path


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


def test_exactly_confirm_passes(repo: Path, listener: Listener) -> None:
    result = run("confirm", "--value", "CONFIRM", env={"GITHUB_ACTOR": "maintainer-alice"})

    assert result.exit_code == 0, result.output
    assert "Confirmed by maintainer-alice." in result.stdout
    assert listener.accepted == 0


@pytest.mark.parametrize(
    ("value", "shown", "why"),
    [
        ("confirm", '"confirm"', "the letter case differs"),
        (" CONFIRM", '" CONFIRM"', "remove the spaces around it"),
        ("CONFIRM ", '"CONFIRM "', "remove the spaces around it"),
        ("", '""', "the value is empty"),
        ("yes", '"yes"', ""),
        ("CONFIRM\n", '"CONFIRM\\n"', "remove the spaces"),
    ],
    ids=["lowercase", "leading-space", "trailing-space", "empty", "other", "newline"],
)
def test_anything_else_fails_before_touching_the_database(
    repo: Path, listener: Listener, value: str, shown: str, why: str
) -> None:
    result = run("--environment", "production", "confirm", "--value", value, env=GITHUB)

    assert result.exit_code == 1
    assert f'Not confirmed for production: received {shown}, expected "CONFIRM"' in result.stderr
    assert why in result.stderr
    assert "Nothing was run" in result.stderr
    assert "::error title=pgship::Not confirmed for production" in result.stdout
    assert listener.accepted == 0


def test_a_missing_value_fails(repo: Path, listener: Listener) -> None:
    result = run("confirm", env=GITHUB)

    assert result.exit_code == 1
    assert 'no confirmation word was given (expected "CONFIRM")' in result.stderr
    assert "::error title=pgship::" in result.stdout
    assert listener.accepted == 0


@pytest.mark.parametrize(
    ("value", "code"), [("CONFIRM", 0), ("CONFIRM ", 1), (" CONFIRM", 1), ("", 1)]
)
def test_the_value_from_the_environment_is_not_trimmed(
    repo: Path, listener: Listener, value: str, code: int
) -> None:
    result = run("confirm", env={"PGSHIP_CONFIRM": value})

    assert result.exit_code == code, result.output
    assert listener.accepted == 0


def test_confirm_does_not_even_parse_the_database_url(repo: Path) -> None:
    result = run(
        "confirm", "--value", "CONFIRM", env={"DATABASE_URL": "postgresql://a@h:notaport/x"}
    )

    assert result.exit_code == 0, result.output


def test_confirm_in_a_fresh_process_loads_no_database_code(repo: Path, listener: Listener) -> None:
    probe = (
        "import sys; sys.argv = ['pgship', 'confirm', '--value', 'CONFIRM']\n"
        "from pgship.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\n"
        "watched = ('pgship.db', 'pgship.migrations', 'slack_sdk', 'pgship.integrations')\n"
        "loaded = [m for m in sys.modules if m.startswith(watched)]\n"
        "print('PROBE', code, sorted(loaded))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO / "scripts")},
        check=False,
    )

    assert "PROBE 0 []" in done.stdout, done.stdout + done.stderr
    assert listener.accepted == 0


def test_the_word_comes_from_pgship_yml_per_environment(repo: Path, listener: Listener) -> None:
    (repo / "pgship.yml").write_text(
        "environments:\n  production:\n    confirm_word: SHIP-IT\n  staging:\n    confirm: false\n"
    )

    assert run("--environment", "production", "confirm", "--value", "SHIP-IT").exit_code == 0
    refused = run("--environment", "production", "confirm", "--value", "CONFIRM")
    assert refused.exit_code == 1
    assert 'received "CONFIRM", expected "SHIP-IT"' in refused.stderr
    assert run("--environment", "production", "confirm").exit_code == 1

    # staging does not ask for it: no value passes (with a notice); a wrong value still fails
    not_required = run("--environment", "staging", "confirm", env={"GITHUB_ACTIONS": "true"})
    assert not_required.exit_code == 0, not_required.output
    assert "No confirmation is required for staging" in not_required.stdout
    assert "::notice" in not_required.stdout
    assert run("--environment", "staging", "confirm", "--value", "yes").exit_code == 1
    assert listener.accepted == 0


def test_who_confirmed_is_recorded_in_a_file_and_outputs(repo: Path, listener: Listener) -> None:
    outputs = repo / "out" / "github_output"
    outputs.parent.mkdir()
    outputs.touch()
    record = repo / "records" / "confirm.json"

    result = run(
        "--environment",
        "production",
        "--format",
        "json",
        "confirm",
        "--value",
        "CONFIRM",
        "--record",
        str(record),
        env={**GITHUB, "GITHUB_OUTPUT": str(outputs)},
    )

    assert result.exit_code == 0, result.output
    saved = json.loads(record.read_text())
    assert saved == json.loads(result.stdout)
    assert saved["actor"] == "maintainer-alice"
    assert saved["run_url"] == RUN_URL
    assert saved["environment"] == "production"
    assert saved["commit_sha"] == "0123abcd"
    assert saved["confirmed_at"].endswith("Z")
    written = read_outputs(str(outputs))
    assert written["confirmed-by"] == "maintainer-alice"
    assert written["confirmed-at"] == saved["confirmed_at"]
    assert json.loads(written["confirm-record"]) == saved
    assert listener.accepted == 0


def test_no_record_is_written_when_refused(repo: Path) -> None:
    record = repo / "confirm.json"

    result = run("confirm", "--value", "nope", "--record", str(record))

    assert result.exit_code == 1
    assert not record.exists()


# --- migrate keeps who confirmed ---------------------------------------------------------------


def test_migrate_stores_confirmed_by_from_the_environment(project: Project) -> None:
    project.write("001_t", "CREATE TABLE t (id int);", "DROP TABLE t;")

    assert (
        project.run("migrate", env={**GITHUB, "PGSHIP_CONFIRMED_BY": "maintainer-alice"}).exit_code
        == 0
    )

    assert project.query("SELECT action, detail->>'confirmed_by' FROM pgship.events") == [
        ("apply", "maintainer-alice")
    ]


def test_migrate_reads_the_confirm_record(project: Project) -> None:
    project.write("001_t", "CREATE TABLE t (id int);", "DROP TABLE t;")
    project.write("002_bad", "SELECT * FROM nope;")
    record = project.root / "confirm.json"
    env = {**GITHUB, "PGSHIP_CONFIRM_RECORD": str(record)}

    confirmed = project.run("confirm", "--value", "CONFIRM", env=env)
    assert confirmed.exit_code == 0, confirmed.output
    assert project.run("migrate", env=env).exit_code == 1

    assert project.query(
        "SELECT version, action, detail->>'confirmed_by' FROM pgship.events ORDER BY id"
    ) == [(1, "apply", "maintainer-alice"), (2, "fail", "maintainer-alice")]


def test_without_confirmation_nothing_is_added(project: Project) -> None:
    project.write("001_t", "CREATE TABLE t (id int);")

    assert project.run("migrate").exit_code == 0

    assert project.query("SELECT detail FROM pgship.events") == [(None,)]


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"actor": "alice", "run_url": RUN_URL, "environment": "production"}, "alice"),
        ({"actor": "alice", "run_url": RUN_URL.replace("777", "776")}, None),  # another run
        ({"actor": "alice", "environment": "staging"}, None),  # another environment
        ({"actor": "alice", "required": False}, None),  # nobody had to confirm
        ("not json", None),
    ],
    ids=["this-run", "other-run", "other-environment", "not-required", "unreadable"],
)
def test_which_confirm_records_count(
    tmp_path: Path, record: dict[str, object] | str, expected: str | None
) -> None:
    path = tmp_path / "confirm.json"
    path.write_text(record if isinstance(record, str) else json.dumps(record))
    env = {**GITHUB, "PGSHIP_CONFIRM_RECORD": str(path)}

    context = RunContext.from_environment("production", env)

    assert context.confirmed_by == expected
    assert (
        RunContext.from_environment(
            "production", {**env, "PGSHIP_CONFIRMED_BY": "bob"}
        ).confirmed_by
        == "bob"
    )
