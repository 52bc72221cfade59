"""`pgship health` on a real server: each check sees the trouble it is for.

Trouble is made for real: an INVALID index from a failed CREATE INDEX CONCURRENTLY, a lock held by
another session with a second one waiting, sessions left idle in a transaction, a long query,
pending migrations and an edited applied file.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import Result

from conftest import PgServer
from pgship.embedded import EmbeddedPostgres
from pgship_testing import Project

CHECKS = [
    "connection",
    "server_version",
    "pending_migrations",
    "checksum_drift",
    "invalid_indexes",
    "connections",
    "long_running_queries",
    "idle_in_transaction",
    "lock_waits",
    "replication_lag",
    "database_size",
]


def health(
    project: Project, *args: str, env: dict[str, str] | None = None
) -> tuple[Result, dict[str, Any]]:
    result = project.run("--format", "json", "health", *args, env=env)
    assert result.exit_code in (0, 1), (result.exit_code, result.output)
    return result, json.loads(result.stdout)


def check(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in report["checks"] if c["name"] == name)


@pytest.fixture
def applied(project: Project) -> Project:
    project.write("001_users", "CREATE TABLE users (id int PRIMARY KEY, email text);")
    project.write("002_orders", "CREATE TABLE orders (id int);")
    assert project.run("migrate").exit_code == 0
    return project


@pytest.fixture
def sessions(project: Project) -> Iterator[list[psycopg.Connection[Any]]]:
    """Extra sessions on the test database, closed afterwards."""
    opened: list[psycopg.Connection[Any]] = []
    yield opened
    for conn in opened:
        conn.close()


def open_session(
    project: Project, opened: list[psycopg.Connection[Any]], **kwargs: Any
) -> psycopg.Connection[Any]:
    conn = psycopg.connect(project.database_url, **kwargs)
    opened.append(conn)
    return conn


def wait_for(project: Project, sql: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not project.scalar(sql):
        assert time.monotonic() < deadline, f"timed out waiting for: {sql}"
        time.sleep(0.02)


def test_a_healthy_database_is_all_ok(applied: Project) -> None:
    result, report = health(applied)

    assert result.exit_code == 0, result.output
    assert [c["name"] for c in report["checks"]] == CHECKS
    assert {c["name"]: c["status"] for c in report["checks"]} == dict.fromkeys(CHECKS, "ok")
    assert report["status"] == "ok"
    assert all(isinstance(c["value"], int | float) for c in report["checks"]), report
    assert check(report, "server_version")["value"] >= 100000
    assert check(report, "database_size")["value"] > 1_000_000
    assert check(report, "replication_lag")["detail"] == "primary with no streaming replica"


def test_text_output_and_step_summary(applied: Project, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"

    result = applied.run("health", env={"GITHUB_STEP_SUMMARY": str(summary)})

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].split() == ["check", "status", "value", "details"]
    assert "11 ok, 0 warn, 0 fail." in result.stdout
    markdown = summary.read_text()
    assert "### pgship health: ✅ ok" in markdown
    assert "| check | status | value | details |" in markdown
    assert "| invalid_indexes | ✅ ok | 0 | no invalid index |" in markdown


def test_invalid_index_from_a_failed_concurrent_build_fails(applied: Project) -> None:
    applied.execute("INSERT INTO orders VALUES (1), (1)")
    with pytest.raises(psycopg.errors.UniqueViolation):
        applied.execute("CREATE UNIQUE INDEX CONCURRENTLY orders_id_key ON orders (id)")

    result, report = health(applied)

    assert result.exit_code == 1
    invalid = check(report, "invalid_indexes")
    assert (invalid["status"], invalid["value"]) == ("fail", 1)
    assert "orders_id_key" in invalid["detail"]
    assert "Health check failed: invalid_indexes." in result.stderr


def test_a_session_waiting_on_a_lock_is_reported_with_its_blocker(
    applied: Project, sessions: list[psycopg.Connection[Any]]
) -> None:
    holder = open_session(applied, sessions)
    holder.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")  # held: the transaction stays open
    holder_pid = holder.info.backend_pid
    waiter = open_session(applied, sessions, autocommit=True)
    thread = threading.Thread(target=lambda: waiter.execute("SELECT count(*) FROM users"))
    thread.start()
    try:
        wait_for(applied, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")

        _, relaxed = health(applied)
        result, strict = health(applied, "--threshold", "lock_wait_fail=1ms")
    finally:
        holder.rollback()
        thread.join(timeout=10)

    waits = check(relaxed, "lock_waits")
    assert (waits["status"], waits["value"]) == ("ok", 1)  # under lock_wait_warn (10s)
    assert f"blocked by pid {holder_pid}" in waits["detail"]
    assert "SELECT count(*) FROM users" in waits["detail"]
    assert (check(strict, "lock_waits")["status"], result.exit_code) == ("fail", 1)
    # the holder is idle in transaction too, but only for a moment: under 1min
    assert check(relaxed, "idle_in_transaction")["status"] == "ok"


def test_idle_in_transaction_sessions_over_the_threshold(
    applied: Project, sessions: list[psycopg.Connection[Any]]
) -> None:
    for _ in range(2):
        open_session(applied, sessions).execute("SELECT 1")  # psycopg opened a transaction
    wait_for(
        applied,
        "SELECT count(*) = 2 FROM pg_stat_activity WHERE state = 'idle in transaction'"
        " AND clock_timestamp() - state_change > interval '150 ms'",
    )

    _, default = health(applied)
    _, warned = health(applied, "--threshold", "idle_in_transaction_warn=100ms")
    result, failed = health(
        applied,
        env={
            "PGSHIP_HEALTH_THRESHOLDS": "idle_in_transaction_warn=50ms idle_in_transaction_fail=100ms"
        },
    )

    assert check(default, "idle_in_transaction")["status"] == "ok"
    idle = check(warned, "idle_in_transaction")
    assert (idle["status"], idle["value"]) == ("warn", 2)
    assert "2 sessions idle in transaction over 100ms: pid" in idle["detail"]
    assert warned["status"] == "warn"
    assert (check(failed, "idle_in_transaction")["status"], result.exit_code) == ("fail", 1)


def test_long_running_query(applied: Project, sessions: list[psycopg.Connection[Any]]) -> None:
    runner = open_session(applied, sessions, autocommit=True)
    pid = runner.info.backend_pid
    thread = threading.Thread(target=lambda: _swallow(runner, "SELECT pg_sleep(30)"))
    thread.start()
    try:
        wait_for(
            applied,
            "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)'"
            " AND clock_timestamp() - query_start > interval '100 ms'",
        )
        _, report = health(applied, "--threshold", "long_query_warn=50ms")
    finally:
        applied.execute("SELECT pg_cancel_backend(%s)", (pid,))
        thread.join(timeout=10)

    long = check(report, "long_running_queries")
    assert (long["status"], long["value"]) == ("warn", 1)
    assert f"pid {pid}" in long["detail"] and "pg_sleep(30)" in long["detail"]


def _swallow(conn: psycopg.Connection[Any], sql: str) -> None:
    with contextlib.suppress(psycopg.errors.QueryCanceled):
        conn.execute(sql)


def test_pending_migrations_warn_and_fail_after_a_deploy(applied: Project) -> None:
    applied.write("003_emails", "CREATE TABLE emails (id int);")

    before, report = health(applied)
    after, after_report = health(applied, "--after-deploy")

    pending = check(report, "pending_migrations")
    assert (pending["status"], pending["value"], before.exit_code) == ("warn", 1, 0)
    assert "003_emails" in pending["detail"]
    assert (check(after_report, "pending_migrations")["status"], after.exit_code) == ("fail", 1)


def test_checksum_drift_fails(applied: Project) -> None:
    applied.write("001_users", "CREATE TABLE users (id bigint PRIMARY KEY, email text);")

    result, report = health(applied)

    drift = check(report, "checksum_drift")
    assert (drift["status"], drift["value"], result.exit_code) == ("fail", 1, 1)
    assert "001_users (changed-since-applied)" in drift["detail"]


def test_connections_and_size_thresholds(applied: Project) -> None:
    _, warned = health(
        applied, "--threshold", "connections_warn=0.5%", "--threshold", "database_size_warn=1MB"
    )
    result, failed = health(applied, "--threshold", "connections_fail=0.5")

    connections = check(warned, "connections")
    assert connections["status"] == "warn" and connections["unit"] == "%"
    assert "of max_connections" in connections["detail"]
    assert check(warned, "database_size")["status"] == "warn"
    assert (check(failed, "connections")["status"], result.exit_code) == ("fail", 1)


def test_thresholds_from_pgship_yml(applied: Project) -> None:
    (applied.root / "pgship.yml").write_text("health:\n  database_size_fail: 1MB\n")

    result, report = health(applied)
    overridden, again = health(applied, "--threshold", "database_size_fail=off")

    assert (check(report, "database_size")["status"], result.exit_code) == ("fail", 1)
    assert (check(again, "database_size")["status"], overridden.exit_code) == ("ok", 0)


@pytest.mark.parametrize(
    ("args", "config", "message"),
    [
        (["--threshold", "conections_warn=1"], "", "unknown threshold 'conections_warn'"),
        (["--threshold", "connections_warn"], "", "is not key=value"),
        (["--threshold", "connections_warn=120"], "", "between 0 and 100"),
        (["--threshold", "lock_wait_warn=soon"], "", "is not a duration"),
        ([], "health:\n  database_size_warn: huge\n", "is not a size"),
        ([], "health: 3\n", "must map threshold names"),
    ],
)
def test_bad_thresholds_are_usage_errors(
    project: Project, args: list[str], config: str, message: str
) -> None:
    if config:
        (project.root / "pgship.yml").write_text(config)

    result = project.run("health", *args)

    assert result.exit_code == 2
    assert message in result.stderr


def test_an_unreachable_database_fails_the_connection_check(project: Project) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    result, report = health(
        project, env={"DATABASE_URL": f"postgresql://app:s3cret@127.0.0.1:{port}/x"}
    )

    assert result.exit_code == 1
    assert [(c["name"], c["status"]) for c in report["checks"]] == [("connection", "fail")]
    assert "s3cret" not in result.output


def test_without_migrations_folder_the_migration_checks_warn(project: Project) -> None:
    result, report = health(project)

    assert result.exit_code == 0
    assert check(report, "pending_migrations")["status"] == "warn"
    assert "does not exist" in check(report, "checksum_drift")["detail"]


# --- replication: a real streaming replica of a small primary ----------------------------------


def _as_postgres(*cmd: str, cwd: Path) -> None:
    """Run a server program as the `postgres` OS user when we are root (PostgreSQL refuses root)."""
    args = ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else list(cmd)
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture
def replica(
    pg_server: PgServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """(primary URL, replica URL): a fresh small primary and a streaming standby of it."""
    if pg_server.binaries is None:
        pytest.skip("needs the PostgreSQL server programs")
    binaries = pg_server.binaries
    with EmbeddedPostgres(binaries) as primary:
        base = Path(tempfile.mkdtemp(prefix="pgship-replica-", dir="/tmp"))
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(base, user.pw_uid, user.pw_gid)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        try:
            _as_postgres(
                str(binaries.tool("pg_basebackup")),
                *("-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres"),
                *("-D", "data", "-R", "-X", "stream", "--no-sync"),
                cwd=base,
            )
            options = f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c fsync=off"
            _as_postgres(
                str(binaries.tool("pg_ctl")),
                *("-D", "data", "-l", "replica.log", "-w", "-o", options, "start"),
                cwd=base,
            )
            yield primary.url, f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            if (base / "data" / "postmaster.pid").exists():
                _as_postgres(
                    str(binaries.tool("pg_ctl")), "-D", "data", "-m", "immediate", "stop", cwd=base
                )
            shutil.rmtree(base, ignore_errors=True)


def test_replication_lag_on_a_replica_and_its_primary(
    project: Project, replica: tuple[str, str]
) -> None:
    primary_url, replica_url = replica
    with psycopg.connect(primary_url, autocommit=True) as conn:
        deadline = time.monotonic() + 10
        while not conn.execute(
            "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"
        ).fetchone()[0]:  # type: ignore[index]
            assert time.monotonic() < deadline, "the replica did not start streaming"
            time.sleep(0.05)

    on_replica_result, on_replica = health(project, env={"DATABASE_URL": replica_url})
    _, on_primary = health(project, env={"DATABASE_URL": primary_url})

    lag = check(on_replica, "replication_lag")
    assert lag["status"] == "ok" and lag["unit"] == "s" and lag["value"] >= 0
    assert lag["detail"].startswith("replica (streaming): replay is")
    primary = check(on_primary, "replication_lag")
    assert primary["status"] == "ok" and primary["value"] >= 0
    assert primary["detail"].startswith("primary with 1 replica(s)")
    # every other check runs on a read-only standby too
    assert on_replica_result.exit_code == 0
    assert all(c["status"] != "fail" for c in on_replica["checks"])
