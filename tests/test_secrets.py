"""A database password never appears in pgship's output (except in GitHub's ::add-mask:: line)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import psycopg
import pytest
from click.testing import Result
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from pgship_testing import Project

PASSWORD = "Sup3r-S3cret-9x"
WRONG_PASSWORD = "Wr0ng-Gu3ss-4q"
ROLE = "pgship_pw_user"
FAILING_MIGRATION = "CREATE TABLE users (id int);\nSELECT 1 / 0;\n"


def output_of(result: Result) -> str:
    return result.stdout + result.stderr


def with_password(url: str, password: str) -> str:
    """The same connection with `password` in it (the test server trusts local connections)."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        return make_conninfo(url, password=password)
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0] or "postgres"
    return parts._replace(netloc=f"{user}:{password}@{hostport}").geturl()


def secret_url(db_url: str) -> tuple[str, str]:
    """A URL to this database that holds a password, and that password."""
    existing = conninfo_to_dict(db_url).get("password")
    if existing:  # an external server that needs its real password
        return db_url, str(existing)
    return with_password(db_url, PASSWORD), PASSWORD


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- (a) the server rejects a wrong password ----------------------------------------------------


@dataclass
class PasswordDatabase:
    """A database owned by ROLE, which the server admits only with its password."""

    host: str
    port: str
    dbname: str

    def url(self, password: str | None) -> str:
        auth = f"{ROLE}:{password}" if password is not None else ROLE
        return f"postgresql://{auth}@{self.host}:{self.port}/{self.dbname}"


def _write_server_file(conn: psycopg.Connection[tuple[object, ...]], path: str, text: str) -> None:
    """Write `text` to a file on the server, one COPY row per line (text format escapes tabs)."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS hba_lines (n int, line text)")
    conn.execute("TRUNCATE hba_lines")
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO hba_lines VALUES (%s, %s)",
            [(n, line.replace("\t", " ")) for n, line in enumerate(text.splitlines())],
        )
    conn.execute(
        sql.SQL("COPY (SELECT line FROM hba_lines ORDER BY n) TO {}").format(sql.Literal(path))
    )


def _password_is_enforced(database: PasswordDatabase) -> bool:
    """Whether the server now refuses ROLE with a wrong password (the reload is asynchronous)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            psycopg.connect(database.url(WRONG_PASSWORD), connect_timeout=5).close()
        except psycopg.OperationalError as exc:
            return "password authentication failed" in str(exc)
        time.sleep(0.1)
    return False


@pytest.fixture
def password_database(project: Project) -> Iterator[PasswordDatabase]:
    """Make the server require ROLE's password (scram-sha-256) and give ROLE the test database."""
    params = conninfo_to_dict(project.database_url)
    host = str(params.get("host") or "127.0.0.1")
    if host.startswith("/"):
        host = "127.0.0.1"
    database = PasswordDatabase(host, str(params.get("port") or 5432), str(params["dbname"]))
    with psycopg.connect(project.database_url, autocommit=True) as conn:
        row = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
        if not row or not row[0]:
            pytest.skip("needs a superuser to edit pg_hba.conf")
        (hba_file,) = conn.execute(
            "SELECT setting FROM pg_settings WHERE name = 'hba_file'"
        ).fetchone() or ("",)
        (original,) = conn.execute("SELECT pg_read_file(%s)", (hba_file,)).fetchone() or ("",)
        if "\\" in original:
            pytest.skip("pg_hba.conf holds backslashes, which COPY would escape")
        conn.execute("SET password_encryption = 'scram-sha-256'")
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (ROLE,)).fetchone()
        verb = "ALTER" if exists else "CREATE"
        conn.execute(
            sql.SQL(verb + " ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(ROLE), sql.Literal(PASSWORD)
            )
        )
        conn.execute(
            sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                sql.Identifier(database.dbname), sql.Identifier(ROLE)
            )
        )
        rules = f"host all {ROLE} 127.0.0.1/32 scram-sha-256\nlocal all {ROLE} scram-sha-256\n"
        _write_server_file(conn, hba_file, rules + original)
        conn.execute("SELECT pg_reload_conf()")
        try:
            if not _password_is_enforced(database):
                pytest.skip(f"the server does not ask {ROLE} for a password at {host}")
            yield database
        finally:
            _write_server_file(conn, hba_file, original)
            conn.execute("SELECT pg_reload_conf()")
            conn.execute(
                sql.SQL("ALTER DATABASE {} OWNER TO CURRENT_USER").format(
                    sql.Identifier(database.dbname)
                )
            )
            with psycopg.connect(project.database_url, autocommit=True) as db:
                db.execute(
                    sql.SQL("REASSIGN OWNED BY {} TO CURRENT_USER").format(sql.Identifier(ROLE))
                )
                db.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(ROLE)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(ROLE)))


def test_wrong_password_is_rejected_without_printing_either_password(
    project: Project, password_database: PasswordDatabase
) -> None:
    project.write("001_users", "CREATE TABLE users (id int);\n")

    result = project.run("migrate", env={"DATABASE_URL": password_database.url(WRONG_PASSWORD)})

    assert result.exit_code == 2
    assert "rejected the credentials" in result.stderr
    assert ROLE in result.stderr
    assert WRONG_PASSWORD not in output_of(result)
    assert PASSWORD not in output_of(result)
    assert not project.table_exists("public.users")


def test_missing_password_is_reported_as_rejected_credentials(
    project: Project, password_database: PasswordDatabase
) -> None:
    project.write("001_users", "CREATE TABLE users (id int);\n")

    result = project.run("migrate", env={"DATABASE_URL": password_database.url(None)})

    assert result.exit_code == 2
    assert "rejected the credentials" in result.stderr
    assert PASSWORD not in output_of(result)


def test_right_password_works(project: Project, password_database: PasswordDatabase) -> None:
    project.write("001_users", "CREATE TABLE users (id int);\n")

    result = project.run("migrate", env={"DATABASE_URL": password_database.url(PASSWORD)})

    assert result.exit_code == 0, result.stderr
    assert project.history() == {1: "applied"}
    assert PASSWORD not in output_of(result)


# --- (b) no output of any kind holds the password ----------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://app:{PASSWORD}@db.example.com:notaport/app",
        f"postgresql://app:{PASSWORD}@[::1/app",
        f"postgresql://app:{PASSWORD}@db.example.com:5432/app?no_such_option=1",
        f"postgresql://app:{PASSWORD}%zz@db.example.com:5432/app",
        f"host=db.example.com password={PASSWORD} port",
        f"host=db.example.com password='{PASSWORD} port=5432",
    ],
)
def test_malformed_url_does_not_print_the_password(project: Project, url: str) -> None:
    project.write("001_users", "CREATE TABLE users (id int);\n")

    result = project.run("migrate", env={"DATABASE_URL": url})

    assert result.exit_code == 2
    assert "DATABASE_URL" in result.stderr
    assert PASSWORD not in output_of(result)


def test_password_with_an_unencoded_slash_is_not_printed_in_part(project: Project) -> None:
    project.write("001_users", "CREATE TABLE users (id int);\n")
    url = "postgresql://app:Sup3r/S3cret-9x@db.example.com:5432/app"

    result = project.run("migrate", env={"DATABASE_URL": url})

    assert result.exit_code == 2
    assert "Sup3r" not in output_of(result)
    assert "S3cret-9x" not in output_of(result)


def test_unreachable_server_does_not_print_the_password(project: Project) -> None:
    project.write("001_users", "CREATE TABLE users (id int);\n")
    url = f"postgresql://app:{PASSWORD}@127.0.0.1:{closed_port()}/app"

    result = project.run("migrate", env={"DATABASE_URL": url})

    assert result.exit_code == 2
    assert "Cannot connect" in result.stderr
    assert PASSWORD not in output_of(result)


def test_missing_database_does_not_print_the_password(project: Project) -> None:
    url, password = secret_url(project.database_url)
    url = url.rsplit("/", 1)[0] + "/pgship_no_such_db"

    result = project.run("status", env={"DATABASE_URL": url})

    assert result.exit_code == 2
    assert "does not exist" in result.stderr
    assert password not in output_of(result)


def test_failing_migration_does_not_print_the_password(project: Project) -> None:
    url, password = secret_url(project.database_url)
    project.write("001_users", FAILING_MIGRATION)

    result = project.run("migrate", env={"DATABASE_URL": url})

    assert result.exit_code == 1
    assert "division by zero" in result.stderr
    assert password not in output_of(result)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_successful_commands_do_not_print_the_password(project: Project, fmt: str) -> None:
    url, password = secret_url(project.database_url)
    project.write("001_users", "CREATE TABLE users (id int);\n", rollback="DROP TABLE users;\n")
    env = {"DATABASE_URL": url}

    results = [
        project.run("--format", fmt, *args, env=env)
        for args in (["plan", "--sql"], ["migrate"], ["status"], ["verify"], ["rollback"])
    ]

    assert [r.exit_code for r in results] == [0, 0, 0, 0, 0], [r.stderr for r in results]
    for result in results:
        assert password not in output_of(result)


# --- (c) GitHub Actions: mask the password, annotate errors ------------------------------------


def test_github_actions_masks_the_password(project: Project) -> None:
    url, password = secret_url(project.database_url)
    project.write("001_users", "CREATE TABLE users (id int);\n")

    result = project.run("migrate", env={"DATABASE_URL": url, "GITHUB_ACTIONS": "true"})

    assert result.exit_code == 0, result.stderr
    assert f"::add-mask::{password}" in result.stdout.splitlines()


def test_github_actions_failing_run_masks_then_annotates(project: Project) -> None:
    url, password = secret_url(project.database_url)
    project.write("001_users", FAILING_MIGRATION)

    result = project.run("migrate", env={"DATABASE_URL": url, "GITHUB_ACTIONS": "true"})

    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    mask = lines.index(f"::add-mask::{password}")
    errors = [n for n, line in enumerate(lines) if line.startswith("::error")]
    assert errors, result.stdout
    assert mask < errors[0], "the mask must come before anything that could hold the secret"
    assert "division by zero" in lines[errors[0]]
    others = [line for line in lines if not line.startswith("::add-mask::")]
    assert password not in "\n".join(others) + result.stderr


def test_no_mask_outside_github_actions(project: Project) -> None:
    url, _ = secret_url(project.database_url)
    project.write("001_users", "CREATE TABLE users (id int);\n")

    result = project.run("migrate", env={"DATABASE_URL": url})

    assert result.exit_code == 0, result.stderr
    assert "::add-mask::" not in result.stdout
