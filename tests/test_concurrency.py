"""Locks and the unexpected: lock timeouts with retries, concurrent runners, killed connections."""

from __future__ import annotations

import threading
import time

import psycopg

from pgship_testing import Project


def _hold_table_lock(url: str, table: str, app: str) -> psycopg.Connection:
    """A session that holds ACCESS EXCLUSIVE on `table` in an open transaction."""
    conn = psycopg.connect(url, application_name=app)
    conn.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
    return conn


def test_lock_timeout_is_retried_and_blockers_are_named(project: Project) -> None:
    project.write("001_t", "CREATE TABLE t (id int);")
    assert project.run("migrate").exit_code == 0
    project.write("002_add", "ALTER TABLE t ADD COLUMN note text;")
    blocker = _hold_table_lock(project.database_url, "t", "nightly-report-job")
    try:
        result = project.run("migrate", "--lock-timeout", "200ms", "--retries", "1")
    finally:
        blocker.close()
    assert result.exit_code == 1
    assert "lock timeout (200ms)" in result.stderr  # the retry notice
    assert "try 1 of 2" in result.stderr
    assert "gave up after 2 tries" in result.stderr
    assert "nightly-report-job" in result.stderr
    assert "idle in transaction" in result.stderr
    assert "SQLSTATE 55P03" in result.stderr
    assert project.history() == {1: "applied"}
    assert project.scalar("SELECT sqlstate FROM pgship.events WHERE action = 'fail'") == "55P03"


def test_lock_timeout_retry_succeeds_once_the_blocker_is_gone(project: Project) -> None:
    project.write("001_t", "CREATE TABLE t (id int);")
    assert project.run("migrate").exit_code == 0
    project.write("002_add", "ALTER TABLE t ADD COLUMN note text;")
    blocker = _hold_table_lock(project.database_url, "t", "short-lived-job")
    threading.Timer(0.6, blocker.close).start()
    result = project.run("migrate", "--lock-timeout", "200ms", "--retries", "5")
    assert result.exit_code == 0, result.output
    assert "short-lived-job" in result.stderr
    assert project.history() == {1: "applied", 2: "applied"}


def test_eight_runners_at_once_apply_each_migration_exactly_once(project: Project) -> None:
    project.copy_examples()
    runners = [project.run_process("migrate") for _ in range(8)]
    outputs = [runner.communicate(timeout=120) for runner in runners]
    assert [runner.returncode for runner in runners] == [0] * 8, outputs
    applied_counts = project.query(
        "SELECT version, count(*) FROM pgship.events WHERE action = 'apply'"
        " GROUP BY version ORDER BY version"
    )
    assert applied_counts == [(v, 1) for v in range(1, 8)]
    assert sum("Nothing to do" in out for out, _ in outputs) == 7


def test_second_runner_waits_naming_the_holder_then_gives_up(project: Project) -> None:
    from pgship.migrations.lock import LOCK_KEY

    project.write("001_t", "CREATE TABLE t (id int);")
    holder = psycopg.connect(project.database_url, application_name="pgship migrate run 77")
    holder.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
    try:
        result = project.run("--lock-wait", "1s", "migrate")
    finally:
        holder.close()
    assert result.exit_code == 1
    assert "Waiting for the pgship migration lock, held by pid" in result.stderr
    assert "pgship migrate run 77" in result.stderr
    assert "Gave up waiting for the pgship migration lock after 1s" in result.stderr
    assert not project.table_exists("public.t")


def test_waiting_runner_proceeds_when_the_lock_is_released(project: Project) -> None:
    from pgship.migrations.lock import LOCK_KEY

    project.write("001_t", "CREATE TABLE t (id int);")
    holder = psycopg.connect(project.database_url, autocommit=True)
    holder.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
    threading.Timer(0.7, holder.close).start()
    result = project.run("migrate")
    assert result.exit_code == 0, result.output
    assert "Waiting for the pgship migration lock" in result.stderr
    assert project.table_exists("public.t")


def test_killed_connection_fails_cleanly_and_rerun_converges(project: Project) -> None:
    project.write("001_a", "CREATE TABLE a (id int);")
    project.write(
        "002_slow",
        "CREATE TABLE slow (id int);\n"
        "SELECT pg_sleep(CASE WHEN current_setting('pgship_test.slow', true) = 'on'"
        " THEN 30 ELSE 0 END);\n"
        "CREATE TABLE after_sleep (id int);\n",
    )

    def kill_migrator() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            killed = project.scalar(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE application_name LIKE 'pgship migrate%%' AND query LIKE '%%pg_sleep%%'"
            )
            if killed:
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_migrator)
    killer.start()
    started = time.monotonic()
    result = project.run("migrate", env={"PGOPTIONS": "-c pgship_test.slow=on"})
    killer.join()
    assert time.monotonic() - started < 20
    assert result.exit_code == 1
    assert "The connection to the database was lost" in result.stderr
    assert "nothing of it was kept" in result.stderr
    assert project.history() == {1: "applied"}
    assert not project.table_exists("public.slow")
    assert project.query("SELECT version, action FROM pgship.events WHERE action = 'fail'") == [
        (2, "fail")
    ]

    rerun = project.run("migrate")
    assert rerun.exit_code == 0, rerun.output
    assert project.history() == {1: "applied", 2: "applied"}
    assert project.table_exists("public.after_sleep")


def test_single_transaction_run_is_retried_whole_after_a_lock_timeout(project: Project) -> None:
    project.write("001_t", "CREATE TABLE t (id int);")
    assert project.run("migrate").exit_code == 0
    project.write("002_u", "CREATE TABLE u (id int);")
    project.write("003_add", "ALTER TABLE t ADD COLUMN note text;")
    blocker = _hold_table_lock(project.database_url, "t", "batch-export")
    threading.Timer(0.6, blocker.close).start()
    result = project.run(
        "migrate", "--single-transaction", "--lock-timeout", "200ms", "--retries", "5"
    )
    assert result.exit_code == 0, result.output
    assert "batch-export" in result.stderr
    assert project.history() == {1: "applied", 2: "applied", 3: "applied"}
    assert [a for _, a in project.events()].count("apply") == 3
