"""Bad input: exit code 2, a message on stderr that names the problem and the fix, and a database
left exactly as it was (no pgship schema, no history table, no user table)."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable

import pytest
from click.testing import Result

from pgship_testing import Project

CREATE_USERS = "CREATE TABLE users (id bigint PRIMARY KEY);\n"
FOLDER_COMMANDS = ["migrate", "status", "plan"]


def user_tables(project: Project) -> list[str]:
    return [
        name
        for (name,) in project.query(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables"
            " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
        )
    ]


def assert_untouched(project: Project) -> None:
    """Nothing at all was written: no pgship schema, no history table, no user table."""
    assert not project.scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'pgship'")
    assert not project.table_exists("pgship.migrations")
    assert user_tables(project) == []


def assert_usage_error(result: Result, *words: str) -> None:
    """Exit 2 and every word of the message (the problem and the fix) on stderr."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    for word in words:
        assert word in result.stderr, f"{word!r} not in stderr:\n{result.stderr}"


def closed_port() -> int:
    """A port nothing listens on: bound by us for a moment, then released."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def with_dbname(url: str, dbname: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + dbname


# --- the migrations folder ------------------------------------------------------------------


@pytest.mark.parametrize("command", FOLDER_COMMANDS)
def test_missing_migrations_folder(project: Project, command: str) -> None:
    result = project.run(command)

    assert_usage_error(result, str(project.migrations), "does not exist", "--migrations-dir")
    assert_untouched(project)


@pytest.mark.parametrize("command", FOLDER_COMMANDS)
def test_migrations_folder_without_sql_files(project: Project, command: str) -> None:
    project.migrations.mkdir()
    (project.migrations / "README.md").write_text("Migrations go here.\n")

    result = project.run(command)

    assert_usage_error(result, str(project.migrations), "no .sql file", "NNN_name.sql")
    assert_untouched(project)


@pytest.mark.parametrize(
    "filename", ["create_users.sql", "001-create_users.sql", "v001_users.sql", "001.sql"]
)
@pytest.mark.parametrize("command", FOLDER_COMMANDS)
def test_sql_file_not_named_like_a_migration(project: Project, command: str, filename: str) -> None:
    project.write("001_users", CREATE_USERS)
    (project.migrations / filename).write_text("CREATE TABLE other (id int);\n")

    result = project.run(command)

    assert_usage_error(result, filename, "not named like a migration", "NNN_name.sql")
    assert_untouched(project)


@pytest.mark.parametrize(("first", "second"), [("001_a", "1_b"), ("001_a", "001_b")])
@pytest.mark.parametrize("command", FOLDER_COMMANDS)
def test_two_files_with_the_same_version(
    project: Project, command: str, first: str, second: str
) -> None:
    project.write(first, "CREATE TABLE a (id int);\n")
    project.write(second, "CREATE TABLE b (id int);\n")

    result = project.run(command)

    assert_usage_error(
        result, "Two migrations have version 1", f"{first}.sql", f"{second}.sql", "next free number"
    )
    assert_untouched(project)


def test_file_that_is_not_utf8(project: Project) -> None:
    project.write("001_users", CREATE_USERS)
    project.migrations.joinpath("002_cafe.sql").write_bytes(
        "-- le café\nCREATE TABLE café (id int);\n".encode("latin-1")
    )

    result = project.run("migrate")

    assert_usage_error(result, "002_cafe.sql:1", "not valid UTF-8", "Save it as UTF-8")
    assert_untouched(project)


def test_non_utf8_byte_on_a_later_line_is_located(project: Project) -> None:
    project.write("001_users", CREATE_USERS)
    project.migrations.joinpath("002_cafe.sql").write_bytes(
        "-- menu\n\nCREATE TABLE café (id int);\n".encode("latin-1")
    )

    result = project.run("migrate")

    assert_usage_error(result, "002_cafe.sql:3", "UTF-8")
    assert_untouched(project)


@pytest.mark.skipif(
    os.geteuid() == 0, reason="root reads files whatever their mode, so chmod 000 cannot block it"
)
def test_unreadable_file(project: Project) -> None:
    path = project.write("001_users", CREATE_USERS)
    path.chmod(0)
    try:
        result = project.run("migrate")
    finally:
        path.chmod(0o644)

    assert_usage_error(result, "Cannot read", "001_users.sql", "readable")
    assert_untouched(project)


# --- directives ------------------------------------------------------------------------------


def test_unknown_directive(project: Project) -> None:
    project.write(
        "001_index",
        "-- build the index without blocking writes\n"
        "-- pgship:no-transactions\n"
        "CREATE TABLE t (id int);\n",
    )

    result = project.run("migrate")

    assert_usage_error(
        result,
        "001_index.sql:2",
        "unknown directive pgship:no-transactions",
        "pgship:no-transaction",
        "pgship:lock-timeout",
        "pgship:statement-timeout",
    )
    assert_untouched(project)


def test_directive_after_the_first_statement(project: Project) -> None:
    project.write(
        "001_users",
        "CREATE TABLE users (id int);\n-- pgship:lock-timeout 10s\nCREATE TABLE b (id int);\n",
    )

    result = project.run("migrate")

    assert_usage_error(
        result, "001_users.sql:2", "after the first SQL statement", "top of the file"
    )
    assert_untouched(project)


@pytest.mark.parametrize("directive", ["lock-timeout", "statement-timeout"])
def test_bad_directive_value(project: Project, directive: str) -> None:
    project.write("001_users", f"-- pgship:{directive} soon\n{CREATE_USERS}")

    result = project.run("migrate")

    assert_usage_error(
        result, "001_users.sql:1", f"pgship:{directive}", "'soon' is not a duration", "5s"
    )
    assert_untouched(project)


def test_file_with_only_comments(project: Project) -> None:
    project.write("001_users", CREATE_USERS)
    project.write("002_todo", "-- TODO: add the orders table\n\n-- (next sprint)\n")

    result = project.run("migrate")

    assert_usage_error(result, "002_todo.sql", "no SQL statement", "delete the file")
    assert_untouched(project)


# --- rollback files --------------------------------------------------------------------------


@pytest.mark.parametrize("command", FOLDER_COMMANDS)
def test_rollback_without_its_migration(project: Project, command: str) -> None:
    project.write("001_users", CREATE_USERS)
    project.rollbacks.mkdir()
    (project.rollbacks / "009_x_rollback.sql").write_text("DROP TABLE x;\n")

    result = project.run(command)

    assert_usage_error(result, "009_x_rollback.sql", "no migration", "009_x.sql", "Delete it")
    assert_untouched(project)


@pytest.mark.parametrize("command", FOLDER_COMMANDS)
def test_rollback_named_unlike_its_migration(project: Project, command: str) -> None:
    project.write("001_create_users", CREATE_USERS)
    project.rollbacks.mkdir()
    (project.rollbacks / "001_users_rollback.sql").write_text("DROP TABLE users;\n")

    result = project.run(command)

    assert_usage_error(
        result, "001_users_rollback.sql", "Rename it to 001_create_users_rollback.sql"
    )
    assert_untouched(project)


# --- the database URL and the server ----------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("postgresql://u:p@host:notaport/db", ["notaport", "postgresql://user"]),
        ("not a url", ["not a valid PostgreSQL connection string", "postgresql://user"]),
    ],
)
def test_malformed_database_url(project: Project, url: str, words: list[str]) -> None:
    project.write("001_users", CREATE_USERS)

    result = project.run("migrate", env={"DATABASE_URL": url})

    assert_usage_error(result, "DATABASE_URL", *words)
    assert_untouched(project)


def test_unreachable_server(project: Project) -> None:
    project.write("001_users", CREATE_USERS)
    port = closed_port()

    result = project.run("migrate", env={"DATABASE_URL": f"postgresql://app@127.0.0.1:{port}/app"})

    assert_usage_error(result, f"127.0.0.1:{port}", "Cannot connect", "server is running")
    assert_untouched(project)


def test_database_that_does_not_exist(project: Project) -> None:
    project.write("001_users", CREATE_USERS)
    url = with_dbname(project.database_url, "pgship_no_such_db")

    result = project.run("migrate", env={"DATABASE_URL": url})

    assert_usage_error(result, "'pgship_no_such_db' does not exist", "createdb pgship_no_such_db")
    assert_untouched(project)


def test_no_database_url_at_all(project: Project) -> None:
    project.write("001_users", CREATE_USERS)

    result = project.run("migrate", env={"DATABASE_URL": ""})

    assert_usage_error(result, "No database", "--database-url", "DATABASE_URL")
    assert_untouched(project)


# --- options -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--lock-timeout", "soon"], ["--lock-timeout", "'soon' is not a duration", "5s"]),
        (["--statement-timeout", "soon"], ["--statement-timeout", "'soon'", "10min"]),
        (["--retries", "-1"], ["--retries", "-1", "x>=0"]),
    ],
)
def test_bad_migrate_option(project: Project, args: list[str], words: list[str]) -> None:
    project.write("001_users", CREATE_USERS)

    result = project.run("migrate", *args)

    assert_usage_error(result, *words)
    assert_untouched(project)


def test_lock_timeout_from_env_var_is_validated(project: Project) -> None:
    project.write("001_users", CREATE_USERS)

    result = project.run("migrate", env={"PGSHIP_LOCK_TIMEOUT": "soon"})

    assert_usage_error(result, "'soon' is not a duration")
    assert_untouched(project)


def test_resolve_without_an_action(project: Project) -> None:
    project.write("001_users", CREATE_USERS)

    result = project.run("resolve", "001")

    assert_usage_error(result, "--applied", "--rolled-back", "--accept-checksum")
    assert_untouched(project)


def test_resolve_an_unknown_version(project: Project) -> None:
    project.write("001_users", CREATE_USERS)

    result = project.run("resolve", "999", "--applied")

    assert_usage_error(result, "no migration with version 999", "001")
    assert project.history() == {}
    assert not project.table_exists("public.users")


def test_rollback_with_both_steps_and_to(project: Project) -> None:
    project.write("001_users", CREATE_USERS, rollback="DROP TABLE users;\n")

    result = project.run("rollback", "--steps", "1", "--to", "001")

    assert_usage_error(result, "--steps", "--to", "not both")
    assert_untouched(project)


@pytest.mark.parametrize("steps", ["0", "-2"])
def test_rollback_with_steps_below_one(project: Project, steps: str) -> None:
    project.write("001_users", CREATE_USERS, rollback="DROP TABLE users;\n")

    result = project.run("rollback", "--steps", steps)

    assert_usage_error(result, "--steps must be 1 or more")
    assert_untouched(project)


def test_single_transaction_with_a_no_transaction_file_pending(project: Project) -> None:
    project.write("001_users", CREATE_USERS)
    project.write(
        "002_index",
        "-- pgship:no-transaction\nCREATE INDEX CONCURRENTLY users_id ON users (id);\n",
    )

    result = project.run("migrate", "--single-transaction")

    assert_usage_error(result, "--single-transaction", "002_index", "pgship:no-transaction", "--to")
    assert project.history() == {}
    assert not project.table_exists("public.users")


# A rejected command should not leave anything behind, not even pgship's own history tables.
_REJECTED_AFTER_CONNECTING: dict[str, Callable[[Project], Result]] = {
    "resolve-unknown-version": lambda p: p.run("resolve", "999", "--applied"),
    "single-transaction-with-no-transaction-file": lambda p: p.run(
        "migrate", "--single-transaction"
    ),
}


@pytest.mark.parametrize("case", sorted(_REJECTED_AFTER_CONNECTING))
def test_usage_errors_found_after_connecting_leave_no_history_tables(
    project: Project, case: str
) -> None:
    project.write("001_users", CREATE_USERS)
    project.write(
        "002_index",
        "-- pgship:no-transaction\nCREATE INDEX CONCURRENTLY users_id ON users (id);\n",
    )

    result = _REJECTED_AFTER_CONNECTING[case](project)

    assert result.exit_code == 2, result.stderr
    assert_untouched(project)
