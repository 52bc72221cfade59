"""`pgship schema`, `pgship drift` and `pgship seed` against real databases."""

from __future__ import annotations

import json

from conftest import PgServer
from pgship_testing import EXAMPLE_SEEDS, Project


def test_schema_digest_is_the_same_for_the_same_migrations(project: Project, make_database) -> None:
    project.copy_examples()
    assert project.run("migrate").exit_code == 0
    other = Project(project.root, make_database("other"))
    assert other.run("migrate").exit_code == 0
    first = json.loads(project.run("--format", "json", "schema").stdout)
    second = json.loads(other.run("--format", "json", "schema").stdout)
    assert first["digest"] == second["digest"]
    assert "public.users" in first["schema"]["table"]
    assert not any(key.startswith("pgship.") for key in first["schema"]["table"])
    text = project.run("schema").stdout
    assert "table public.payouts" in text
    assert "policy payouts_creator_reads_own on public.payouts" in text


def test_drift_is_clean_after_migrate_and_names_hand_made_changes(
    project: Project, pg_server: PgServer
) -> None:
    project.copy_examples()
    assert project.run("migrate").exit_code == 0
    replay = ["drift", "--replay-url", pg_server.url]
    clean = project.run(*replay)
    assert clean.exit_code == 0, clean.output
    assert "No drift: the schema matches its 7 applied migration(s)" in clean.stdout

    project.execute("CREATE INDEX users_created_at_idx ON users (created_at)")
    project.execute("ALTER TABLE payouts ALTER COLUMN currency DROP DEFAULT")
    drifted = project.run(*replay)
    assert drifted.exit_code == 1
    assert "  - index public.users_created_at_idx added" in drifted.stdout
    assert "  - column public.payouts.currency: default changed 'USD'::text -> none" in (
        drifted.stdout
    )


def test_drift_replays_only_applied_migrations_on_the_embedded_server(project: Project) -> None:
    project.copy_examples()
    assert project.run("migrate", "--to", "002").exit_code == 0
    result = project.run("--format", "json", "drift")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data == {
        "replayed": ["001_users_and_auth", "002_creators_and_brands"],
        "differences": [],
    }


def test_seed_applies_files_in_order(project: Project) -> None:
    project.copy_examples()
    assert project.run("migrate").exit_code == 0
    result = project.run("seed", "--seeds-dir", str(EXAMPLE_SEEDS))
    assert result.exit_code == 0, result.output
    assert result.stdout.index("01_users_and_auth") < result.stdout.index("03_projects")
    assert project.scalar("SELECT count(*) FROM payouts") == 4


def test_seed_refuses_production_unless_allowed(project: Project) -> None:
    project.write("001_t", "CREATE TABLE t (id int);")
    assert project.run("migrate").exit_code == 0
    seeds = project.root / "seeds"
    seeds.mkdir()
    (seeds / "01.sql").write_text("INSERT INTO t VALUES (1);")
    refused = project.run("--environment", "production", "seed")
    assert refused.exit_code == 2
    assert "Refusing to seed 'production'" in refused.stderr
    assert project.scalar("SELECT count(*) FROM t") == 0

    (project.root / "pgship.yml").write_text(
        "environments:\n  live:\n    production: true\n  staging: {}\n"
    )
    assert project.run("--environment", "live", "seed").exit_code == 2
    assert project.run("--environment", "staging", "seed").exit_code == 0
    allowed = project.run("--environment", "live", "seed", "--allow-production")
    assert allowed.exit_code == 0
    assert project.scalar("SELECT count(*) FROM t") == 2


def test_failing_seed_names_file_and_line(project: Project) -> None:
    project.write("001_t", "CREATE TABLE t (id int PRIMARY KEY);")
    assert project.run("migrate").exit_code == 0
    seeds = project.root / "seeds"
    seeds.mkdir()
    (seeds / "01.sql").write_text("INSERT INTO t VALUES (1);\nINSERT INTO t VALUES (1);\n")
    result = project.run("seed")
    assert result.exit_code == 1
    assert "seeds/01.sql:2" in result.stderr
    assert "duplicate key value" in result.stderr
    assert project.scalar("SELECT count(*) FROM t") == 0
