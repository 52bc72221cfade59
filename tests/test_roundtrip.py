"""`pgship test`: round trips on a throwaway database, verdicts, seeds, reports and clean-up."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import PgServer
from pgship_testing import EXAMPLE_SEEDS, Project


def _test_databases(pg_server: PgServer) -> set[str]:
    import psycopg

    with psycopg.connect(pg_server.url) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'pgship\\_test\\_%'"
        ).fetchall()
    return {name for (name,) in rows}


def _run_test(project: Project, pg_server: PgServer, *args: str) -> tuple[int, dict]:
    """`pgship test --keep` on the session's server (kept: dropping is slow here)."""
    report = project.root / "report.json"
    result = project.run(
        "test", "--keep", "--report", str(report), *args, env={"DATABASE_URL": pg_server.url}
    )
    return result.exit_code, json.loads(report.read_text())


def test_example_migrations_pass_on_the_embedded_server(project: Project, tmp_path: Path) -> None:
    project.copy_examples()
    (project.root / "seeds").symlink_to(EXAMPLE_SEEDS)
    summary = tmp_path / "summary.md"
    before = set(Path("/tmp").glob("pgship-pg-*"))
    result = project.run("test", env={"DATABASE_URL": "", "GITHUB_STEP_SUMMARY": str(summary)})
    assert result.exit_code == 0, result.output
    assert "Starting an embedded PostgreSQL" in result.stderr
    assert "PASSED: 7 of 7 migrations round-trip cleanly" in result.stdout
    assert "seed seeds/03_projects_and_payouts.sql: ok" in result.stdout
    assert set(Path("/tmp").glob("pgship-pg-*")) == before  # the server was thrown away
    markdown = summary.read_text()
    assert "### pgship test: passed" in markdown
    assert "| `004_payouts` | ✅ ok |" in markdown


ROLLBACK_CASES = [
    pytest.param(
        "CREATE INDEX t_email ON t (email);",
        "SELECT 1;",
        "index public.t_email added",
        id="index",
    ),
    pytest.param(
        "ALTER TABLE t ALTER COLUMN email SET DEFAULT 'none';",
        "SELECT 1;",
        "column public.t.email: default changed none -> 'none'::text",
        id="default",
    ),
    pytest.param(
        "ALTER TYPE mood ADD VALUE 'angry';",
        "SELECT 1;",
        "enum public.mood: values changed [happy, sad] -> [happy, sad, angry]",
        id="enum-value",
    ),
    pytest.param(
        "ALTER TABLE t ENABLE ROW LEVEL SECURITY;"
        " CREATE POLICY own ON t USING (email = current_user);",
        "ALTER TABLE t DISABLE ROW LEVEL SECURITY;",
        "policy own on public.t added",
        id="policy",
    ),
    pytest.param(
        "CREATE FUNCTION shout(text) RETURNS text LANGUAGE sql AS $$ SELECT upper($1) $$;",
        "SELECT 1;",
        "function public.shout(text) added",
        id="function",
    ),
]


@pytest.mark.parametrize(("migration", "rollback", "expected"), ROLLBACK_CASES)
def test_unfaithful_rollback_is_caught_with_a_readable_diff(
    project: Project, pg_server: PgServer, migration: str, rollback: str, expected: str
) -> None:
    project.write(
        "001_base",
        "CREATE TYPE mood AS ENUM ('happy', 'sad'); CREATE TABLE t (id int, email text);",
        "DROP TABLE t; DROP TYPE mood;",
    )
    project.write("002_change", migration, rollback)
    code, report = _run_test(project, pg_server)
    assert code == 1
    first, second = report["migrations"]
    assert first["verdict"] == "ok"
    assert second["verdict"] == "rollback differs"
    assert expected in second["differences"]
    assert report["ok"] is False


def test_unfaithful_rollback_text_output_lists_each_difference(
    project: Project, pg_server: PgServer
) -> None:
    project.write("001_t", "CREATE TABLE t (id int);", "DROP TABLE t;")
    project.write(
        "002_idx",
        "CREATE INDEX t_id ON t (id); COMMENT ON TABLE t IS 'hello';",
        "SELECT 1;",
    )
    result = project.run("test", "--keep", env={"DATABASE_URL": pg_server.url})
    assert result.exit_code == 1
    assert "002_idx: after its rollback the schema differs:" in result.stdout
    assert "  - index public.t_id added" in result.stdout
    assert "  - comment on table public.t added" in result.stdout
    assert "FAILED: 1 of 2 migrations round-trip cleanly" in result.stdout


def test_missing_rollback_is_reported(project: Project, pg_server: PgServer) -> None:
    project.write("001_t", "CREATE TABLE t (id int);", "DROP TABLE t;")
    project.write("002_u", "CREATE TABLE u (id int);")
    code, report = _run_test(project, pg_server)
    assert code == 1
    assert [m["verdict"] for m in report["migrations"]] == ["ok", "rollback missing"]
    assert report["migrations"][1]["note"] == "no rollbacks/002_u_rollback.sql"


def test_failing_migration_names_file_line_and_stops(project: Project, pg_server: PgServer) -> None:
    project.write("001_t", "CREATE TABLE t (id int);", "DROP TABLE t;")
    path = project.write("002_bad", "CREATE TABLE u (id int);\nALTER TABLE nope ADD x int;")
    project.write("003_later", "CREATE TABLE v (id int);", "DROP TABLE v;")
    code, report = _run_test(project, pg_server)
    assert code == 1
    verdicts = report["migrations"]
    assert [m["verdict"] for m in verdicts] == ["ok", "migration failed", "not run"]
    assert verdicts[1]["file"] == str(path)
    assert verdicts[1]["line"] == 2
    assert verdicts[1]["error"] == 'relation "nope" does not exist'
    assert verdicts[2]["note"] == "not run: 002_bad failed"


def test_failing_rollback_is_reported_and_the_run_carries_on(
    project: Project, pg_server: PgServer
) -> None:
    project.write("001_t", "CREATE TABLE t (id int);", "DROP TABLE t;\nDROP TABLE nope;")
    project.write("002_u", "CREATE TABLE u (id int);", "DROP TABLE u;")
    code, report = _run_test(project, pg_server)
    assert code == 1
    first, second = report["migrations"]
    assert first["verdict"] == "rollback failed"
    assert first["line"] == 2
    assert second["verdict"] == "ok"


def test_failing_seed_is_reported_with_file_and_line(project: Project, pg_server: PgServer) -> None:
    project.write("001_t", "CREATE TABLE t (id int PRIMARY KEY);", "DROP TABLE t;")
    seeds = project.root / "seeds"
    seeds.mkdir()
    (seeds / "01_ok.sql").write_text("INSERT INTO t VALUES (1);\n")
    (seeds / "02_dup.sql").write_text(
        "-- oops\nINSERT INTO t VALUES (2);\nINSERT INTO t VALUES (1);\n"
    )
    result = project.run("test", "--keep", env={"DATABASE_URL": pg_server.url})
    assert result.exit_code == 1
    assert "seed seeds/01_ok.sql: ok" in result.stdout
    assert (
        "seed seeds/02_dup.sql failed at seeds/02_dup.sql:3: duplicate key value" in result.stdout
    )


def test_with_data_reports_rows_each_rollback_loses(project: Project, pg_server: PgServer) -> None:
    project.write("001_users", "CREATE TABLE users (id int);", "DROP TABLE users;")
    project.write(
        "002_orders",
        "CREATE TABLE orders (id int); ALTER TABLE users ADD COLUMN note text;",
        "DROP TABLE orders; ALTER TABLE users DROP COLUMN note;",
    )
    seeds = project.root / "seeds"
    seeds.mkdir()
    (seeds / "01.sql").write_text(
        "INSERT INTO users SELECT generate_series(1, 5);"
        " INSERT INTO orders SELECT generate_series(1, 3);"
    )
    code, report = _run_test(project, pg_server, "--with-data")
    assert code == 0
    lost = {m["name"]: m["rows_lost"] for m in report["migrations"]}
    assert lost == {"001_users": {"public.users": 5}, "002_orders": {"public.orders": 3}}


def test_test_databases_are_dropped_even_after_a_failure(
    project: Project, pg_server: PgServer
) -> None:
    project.write("001_t", "CREATE TABLE t (id int);", "SELECT 1;")
    before = _test_databases(pg_server)
    result = project.run("test", env={"DATABASE_URL": pg_server.url})
    assert result.exit_code == 1
    assert _test_databases(pg_server) == before


def test_keep_leaves_the_test_database(project: Project, pg_server: PgServer) -> None:
    project.write("001_t", "CREATE TABLE t (id int);", "DROP TABLE t;")
    before = _test_databases(pg_server)
    result = project.run("test", "--keep", env={"DATABASE_URL": pg_server.url})
    assert result.exit_code == 0
    kept = _test_databases(pg_server) - before
    assert len(kept) == 1
    assert f"Kept test database(s): {kept.pop()}" in result.stderr
