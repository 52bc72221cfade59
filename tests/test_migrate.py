"""`pgship migrate`, `status`, `plan`, `verify`: the semantics users rely on, on a real server."""

from __future__ import annotations

import json

import psycopg
import pytest

from pgship_testing import Project


def test_example_migrations_apply_once_in_order_with_history(project: Project) -> None:
    project.copy_examples()

    first = project.run("migrate")
    assert first.exit_code == 0, first.output
    assert "Applied 7 migration(s)" in first.stdout
    assert project.table_exists("public.payouts")
    rows = project.query(
        "SELECT version, name, status, length(checksum), statement_count, execution_ms >= 0,"
        " applied_by IS NOT NULL FROM pgship.migrations ORDER BY version"
    )
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5, 6, 7]
    assert {r[2] for r in rows} == {"applied"}
    assert all(r[3] == 64 and r[4] > 0 and r[5] and r[6] for r in rows)
    assert project.events() == [(v, "apply") for v in range(1, 8)]

    second = project.run("migrate")
    assert second.exit_code == 0
    assert "Nothing to do" in second.stdout
    assert len(project.events()) == 7

    status = project.run("--format", "json", "status")
    states = json.loads(status.stdout)["migrations"]
    assert [s["state"] for s in states] == ["applied"] * 7
    assert states[0]["name"] == "001_users_and_auth"


def test_github_context_is_recorded(project: Project) -> None:
    project.write("001_t", "CREATE TABLE t (id int);")
    env = {
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "acme/shop",
        "GITHUB_RUN_ID": "4242",
        "GITHUB_SHA": "0123abcd",
        "GITHUB_ACTOR": "octocat",
        "PGSHIP_ENVIRONMENT": "staging",
        "PGSHIP_BACKUP_ID": "bk-1",
    }
    assert project.run("migrate", env=env).exit_code == 0
    expected = ("https://github.com/acme/shop/actions/runs/4242", "0123abcd", "octocat", "staging")
    row = project.query(
        "SELECT run_url, commit_sha, actor, environment, applied_by, backup_id"
        " FROM pgship.migrations"
    )[0]
    assert row == (*expected, "octocat", "bk-1")
    event = project.query("SELECT run_url, commit_sha, actor, environment FROM pgship.events")
    assert event == [expected]


def test_status_shows_each_state(project: Project) -> None:
    project.write("001_a", "CREATE TABLE a (id int);", "DROP TABLE a;")
    project.write("002_b", "CREATE TABLE b (id int);", "DROP TABLE b;")
    project.write("003_c", "CREATE TABLE c (id int);", "DROP TABLE c;")
    assert project.run("migrate").exit_code == 0
    assert project.run("rollback").exit_code == 0  # 003 rolled back
    project.write("001_a", "CREATE TABLE a (id bigint);")  # edited after it ran
    (project.migrations / "002_b.sql").unlink()  # gone, with its rollback
    (project.rollbacks / "002_b_rollback.sql").unlink()
    project.write("004_d", "CREATE TABLE d (id int);")

    result = project.run("--format", "json", "status")
    assert result.exit_code == 0, result.output
    states = {s["name"]: s["state"] for s in json.loads(result.stdout)["migrations"]}
    assert states == {
        "001_a": "changed-since-applied",
        "002_b": "missing-file",
        "003_c": "rolled back",
        "004_d": "pending",
    }
    text = project.run("status").stdout
    assert "the file changed after it was applied" in text
    assert "its file is gone" in text


def test_plan_lists_pending_and_touches_nothing(project: Project) -> None:
    project.copy_examples()
    result = project.run("plan", "--sql")
    assert result.exit_code == 0, result.output
    assert "7 migration(s) to apply" in result.stdout
    assert "007_concurrent_indexes" in result.stdout
    assert "none (no-transaction)" in result.stdout
    assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS brands_owner_user_id_idx" in result.stdout
    assert "Locks taken by 007_concurrent_indexes:" in result.stdout
    assert "007_concurrent_indexes.sql:9: SHARE UPDATE EXCLUSIVE on brands" in result.stdout
    assert not project.table_exists("pgship.migrations")
    assert not project.table_exists("public.users")

    data = json.loads(project.run("--format", "json", "plan").stdout)
    assert [p["version"] for p in data["pending"]] == list(range(1, 8))
    assert data["pending"][6]["transaction"] == "none"
    assert data["pending"][4]["directives"] == ["lock-timeout 10s"]


def test_dry_run_changes_nothing(project: Project) -> None:
    project.copy_examples()
    result = project.run("migrate", "--dry-run")
    assert result.exit_code == 0
    assert "would apply 7 migration(s)" in result.stdout
    assert not project.table_exists("pgship.migrations")


def test_migrate_to_stops_at_version(project: Project) -> None:
    project.copy_examples()
    assert project.run("migrate", "--to", "003").exit_code == 0
    assert project.history() == {1: "applied", 2: "applied", 3: "applied"}
    assert not project.table_exists("public.payouts")


def test_failed_migration_keeps_nothing_logs_and_names_file_line(project: Project) -> None:
    project.write("001_ok", "CREATE TABLE ok (id int);")
    path = project.write(
        "002_bad",
        "-- adds widgets\n\nCREATE TABLE widgets (id int);\n\nINSERT INTO widgets\n"
        "  SELECT no_such_column FROM ok;\n",
    )
    result = project.run("migrate")
    assert result.exit_code == 1
    assert f"{path}:6" in result.stderr  # the failing clause's line, not the statement's
    assert 'column "no_such_column" does not exist' in result.stderr
    assert "SQLSTATE 42703" in result.stderr
    assert "Nothing of it was kept" in result.stderr
    assert project.table_exists("public.ok")
    assert not project.table_exists("public.widgets")
    assert project.history() == {1: "applied"}
    fail = project.query(
        "SELECT version, action, sqlstate, failed_file, failed_line, error FROM pgship.events"
        " WHERE action = 'fail'"
    )
    assert fail == [(2, "fail", "42703", str(path), 6, 'column "no_such_column" does not exist')]
    states = {
        s["name"]: s
        for s in json.loads(project.run("--format", "json", "status").stdout)["migrations"]
    }
    assert states["002_bad"]["state"] == "failed"
    assert "last attempt failed" in states["002_bad"]["note"]
    assert project.run("verify").exit_code == 0  # nothing of it is in the database: no drift

    project.write("002_bad", "CREATE TABLE widgets (id int);")
    assert project.run("migrate").exit_code == 0
    assert project.history() == {1: "applied", 2: "applied"}


def test_no_transaction_failure_reports_statements_that_ran(project: Project) -> None:
    project.write("001_t", "CREATE TABLE t (id int, v int);")
    path = project.write(
        "002_idx",
        "-- pgship:no-transaction\nCREATE INDEX CONCURRENTLY t_id ON t (id);\n"
        "CREATE INDEX CONCURRENTLY t_v ON t (nope);\n",
    )
    result = project.run("migrate")
    assert result.exit_code == 1
    assert f"{path}:3" in result.stderr
    assert "1 of 2 statements had already run" in result.stderr
    assert "pgship resolve 002 --applied" in result.stderr
    assert project.history() == {1: "applied", 2: "failed"}
    assert project.scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 't_id'") == 1

    again = project.run("migrate")
    assert again.exit_code == 1
    assert "failed part-way" in again.stderr

    project.execute("CREATE INDEX CONCURRENTLY t_v ON t (v)")  # the person finishes it by hand
    resolved = project.run("resolve", "002", "--applied")
    assert resolved.exit_code == 0, resolved.output
    assert project.history() == {1: "applied", 2: "applied"}
    assert project.events()[-1] == (2, "resolve")


def test_no_transaction_failure_at_first_statement_stays_pending(project: Project) -> None:
    project.write("001_t", "-- pgship:no-transaction\nCREATE INDEX CONCURRENTLY x ON nope (id);\n")
    assert project.run("migrate").exit_code == 1
    assert project.history() == {}
    project.write("001_t", "-- pgship:no-transaction\nCREATE TABLE nope (id int);\n")
    assert project.run("migrate").exit_code == 0


def test_single_transaction_keeps_nothing_on_failure(project: Project) -> None:
    project.write("001_a", "CREATE TABLE a (id int);")
    project.write("002_b", "CREATE TABLE b (id int);")
    project.write("003_c", "CREATE TABLE c (id int REFERENCES nope);")
    result = project.run("migrate", "--single-transaction")
    assert result.exit_code == 1
    assert "--single-transaction rolled back all of it" in result.stderr
    assert not project.table_exists("public.a")
    assert project.history() == {}
    assert project.events() == [(3, "fail")]

    project.write("003_c", "CREATE TABLE c (id int REFERENCES a (id));")
    result = project.run("migrate", "--single-transaction")
    assert result.exit_code == 1  # a has no unique key: still fails, still nothing kept
    project.write("001_a", "CREATE TABLE a (id int PRIMARY KEY);")
    result = project.run("migrate", "--single-transaction")
    assert result.exit_code == 0, result.output
    assert project.history() == {1: "applied", 2: "applied", 3: "applied"}


def test_edited_applied_migration_stops_migrate_until_accepted(project: Project) -> None:
    project.write("001_a", "CREATE TABLE a (id int);")
    assert project.run("migrate").exit_code == 0
    project.write("001_a", "-- a harmless comment\nCREATE TABLE a (id int);")
    project.write("002_b", "CREATE TABLE b (id int);")

    result = project.run("migrate")
    assert result.exit_code == 1
    assert "001_a was changed after it was applied" in result.stderr
    assert "pgship resolve 1 --accept-checksum" in result.stderr
    assert not project.table_exists("public.b")
    verify = project.run("verify")
    assert verify.exit_code == 1
    assert "changed-since-applied" in verify.stdout

    assert project.run("resolve", "001", "--accept-checksum").exit_code == 0
    assert project.run("verify").exit_code == 0
    assert project.run("migrate").exit_code == 0
    assert project.table_exists("public.b")


def test_out_of_order_version_is_refused_unless_allowed(project: Project) -> None:
    project.write("001_a", "CREATE TABLE a (id int);")
    project.write("003_c", "CREATE TABLE c (id int);")
    assert project.run("migrate").exit_code == 0
    project.write("002_b", "CREATE TABLE b (id int);")

    result = project.run("migrate")
    assert result.exit_code == 1
    assert "002_b would run out of order" in result.stderr
    assert "--allow-out-of-order" in result.stderr
    assert not project.table_exists("public.b")

    assert project.run("migrate", "--allow-out-of-order").exit_code == 0
    assert project.table_exists("public.b")


def test_missing_file_of_applied_migration_is_reported(project: Project) -> None:
    project.write("001_a", "CREATE TABLE a (id int);")
    project.write("002_b", "CREATE TABLE b (id int);")
    assert project.run("migrate").exit_code == 0
    (project.migrations / "002_b.sql").unlink()
    verify = project.run("verify")
    assert verify.exit_code == 1
    assert "missing-file" in verify.stdout
    result = project.run("migrate")
    assert result.exit_code == 1
    assert "its file is missing" in result.stderr


def test_directive_timeouts_apply_to_their_file(project: Project) -> None:
    project.write(
        "001_show",
        "-- pgship:lock-timeout 1234ms\n-- pgship:statement-timeout 2min\n"
        "CREATE TABLE seen AS SELECT current_setting('lock_timeout') AS lock_timeout,"
        " current_setting('statement_timeout') AS statement_timeout;",
    )
    project.write(
        "002_default",
        "INSERT INTO seen SELECT current_setting('lock_timeout'),"
        " current_setting('statement_timeout');",
    )
    assert project.run("migrate", "--statement-timeout", "45s").exit_code == 0
    assert project.query("SELECT * FROM seen") == [("1234ms", "2min"), ("5s", "45s")]


def test_invalid_index_left_behind_is_warned_about(project: Project) -> None:
    project.write("001_t", "CREATE TABLE t (id int);")
    assert project.run("migrate").exit_code == 0
    project.execute("INSERT INTO t VALUES (1), (1)")
    # a failed concurrent build (duplicate keys) leaves an INVALID index behind
    with (
        psycopg.connect(project.database_url, autocommit=True) as conn,
        pytest.raises(psycopg.errors.UniqueViolation),
    ):
        conn.execute("CREATE UNIQUE INDEX CONCURRENTLY t_id ON t (id)")
    project.write(
        "002_idx",
        "-- pgship:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS t_id ON t (id);",
    )
    result = project.run("migrate")
    assert result.exit_code == 0
    assert "warning: index t_id is INVALID after 002_idx" in result.stderr


@pytest.mark.parametrize("statement", ["COMMIT", "BEGIN", "rollback", "END", "START TRANSACTION"])
def test_transaction_control_in_a_transactional_file_is_refused(
    project: Project, statement: str
) -> None:
    path = project.write(
        "001_t", f"CREATE TABLE t (id int);\n{statement};\nCREATE TABLE u (id int);"
    )
    result = project.run("migrate")
    assert result.exit_code == 2
    assert f"{path}:2:" in result.stderr
    assert "pgship:no-transaction" in result.stderr
    assert not project.table_exists("public.t")


def test_savepoints_stay_allowed_in_a_transactional_file(project: Project) -> None:
    project.write(
        "001_t",
        "CREATE TABLE t (id int);\nSAVEPOINT s;\nCREATE TABLE u (id int);\n"
        "ROLLBACK TO SAVEPOINT s;\nRELEASE SAVEPOINT s;",
    )
    assert project.run("migrate").exit_code == 0
    assert project.table_exists("public.t") and not project.table_exists("public.u")


def test_no_transaction_file_left_inside_its_own_begin_fails(project: Project) -> None:
    path = project.write(
        "001_t",
        "-- pgship:no-transaction\nCREATE TABLE t (id int);\nBEGIN;\nCREATE TABLE u (id int);\n",
    )
    project.write("002_v", "CREATE TABLE v (id int);")
    result = project.run("migrate")
    assert result.exit_code == 1
    assert f"{path}:4" in result.stderr
    assert "BEGIN without COMMIT" in result.stderr
    assert project.history() == {1: "failed"}
    assert project.table_exists("public.t")
    assert not project.table_exists("public.u") and not project.table_exists("public.v")


def test_no_transaction_file_may_manage_its_own_transactions(project: Project) -> None:
    project.write(
        "001_t",
        "-- pgship:no-transaction\nCREATE TABLE t (id int);\nBEGIN;\nINSERT INTO t VALUES (1);\n"
        "COMMIT;\n",
    )
    assert project.run("migrate").exit_code == 0
    assert project.scalar("SELECT count(*) FROM t") == 1
