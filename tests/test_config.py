"""Settings precedence (option > env var > pgship.yml > default), pgship.yml and environments."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pgship.cli import cli
from pgship.config import CliValues, load_settings
from pgship_testing import Project

SHOW_LOCK_TIMEOUT = "CREATE TABLE seen AS SELECT current_setting('lock_timeout') AS lock_timeout;\n"


def pgship(*args: str, env: dict[str, str] | None = None) -> Result:
    """`pgship <args>` in the current folder, with only the environment given here.

    Unlike Project.run, no --migrations-dir / --rollbacks-dir is passed, so the settings come
    from wherever pgship would find them for a user.
    """
    return CliRunner().invoke(cli, list(args), env=env or {})


def write_migration(folder: Path, name: str, sql: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.sql").write_text(sql, encoding="utf-8")


def applied_names(project: Project) -> list[str]:
    if not project.table_exists("pgship.migrations"):
        return []
    return [name for (name,) in project.query("SELECT name FROM pgship.migrations ORDER BY 1")]


# --- migrations_dir: option > env var > pgship.yml > default, through the CLI -------------------


@pytest.fixture
def four_folders(project: Project) -> Project:
    """One migration per source of migrations_dir, each creating a table named after it."""
    for source in ("option", "env", "yml"):
        write_migration(
            project.root / f"{source}_dir",
            f"001_from_{source}",
            f"CREATE TABLE from_{source} (id int);\n",
        )
    write_migration(project.migrations, "001_from_default", "CREATE TABLE from_default (id int);\n")
    return project


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"option", "env", "yml"}, "option"),
        ({"env", "yml"}, "env"),
        ({"yml"}, "yml"),
        (set(), "default"),
        ({"option", "yml"}, "option"),
        ({"option", "env"}, "option"),
    ],
)
def test_migrations_dir_precedence(four_folders: Project, given: set[str], expected: str) -> None:
    project = four_folders
    args, env = [], {"DATABASE_URL": project.database_url}
    if "option" in given:
        args += ["--migrations-dir", "option_dir"]
    if "env" in given:
        env["PGSHIP_MIGRATIONS_DIR"] = "env_dir"
    if "yml" in given:
        (project.root / "pgship.yml").write_text("migrations_dir: yml_dir\n")

    result = pgship(*args, "migrate", env=env)

    assert result.exit_code == 0, result.stderr
    assert applied_names(project) == [f"001_from_{expected}"]
    assert project.table_exists(f"from_{expected}")
    status = pgship(*args, "status", env=env)
    assert f"001_from_{expected}" in status.stdout
    assert "applied" in status.stdout


def test_relative_paths_in_pgship_yml_resolve_against_its_folder(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    deploy = project.root / "deploy"
    deploy.mkdir()
    (deploy / "pgship.yml").write_text("migrations_dir: db/migrations\n")
    write_migration(
        deploy / "db" / "migrations", "001_from_deploy", "CREATE TABLE deploy (id int);\n"
    )
    elsewhere = project.root / "elsewhere"
    write_migration(elsewhere / "db" / "migrations", "001_wrong", "CREATE TABLE wrong (id int);\n")
    monkeypatch.chdir(elsewhere)

    result = pgship(
        "--config", "../deploy/pgship.yml", "migrate", env={"DATABASE_URL": project.database_url}
    )

    assert result.exit_code == 0, result.stderr
    assert applied_names(project) == ["001_from_deploy"]
    assert not project.table_exists("wrong")


def test_config_file_from_env_var(project: Project) -> None:
    deploy = project.root / "deploy"
    deploy.mkdir()
    (deploy / "settings.yml").write_text("migrations_dir: sql\n")
    write_migration(deploy / "sql", "001_from_env_config", "CREATE TABLE t (id int);\n")

    result = pgship(
        "migrate",
        env={"DATABASE_URL": project.database_url, "PGSHIP_CONFIG": str(deploy / "settings.yml")},
    )

    assert result.exit_code == 0, result.stderr
    assert applied_names(project) == ["001_from_env_config"]


# --- lock_timeout: the same precedence, seen by the migration itself ---------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"option": "750ms", "env": "3s", "yml": "2s"}, "750ms"),
        ({"env": "3s", "yml": "2s"}, "3s"),
        ({"yml": "2s"}, "2s"),
        ({}, "5s"),
    ],
)
def test_lock_timeout_precedence_through_the_cli(
    project: Project, given: dict[str, str], expected: str
) -> None:
    project.write("001_show", SHOW_LOCK_TIMEOUT)
    args, env = [], {}
    if "option" in given:
        args += ["--lock-timeout", given["option"]]
    if "env" in given:
        env["PGSHIP_LOCK_TIMEOUT"] = given["env"]
    if "yml" in given:
        (project.root / "pgship.yml").write_text(f"lock_timeout: {given['yml']}\n")

    result = project.run("migrate", *args, env=env)

    assert result.exit_code == 0, result.stderr
    assert project.scalar("SELECT lock_timeout FROM seen") == expected


def test_lock_timeout_directive_in_the_file_beats_the_option(project: Project) -> None:
    project.write("001_show", f"-- pgship:lock-timeout 9s\n{SHOW_LOCK_TIMEOUT}")

    result = project.run("migrate", "--lock-timeout", "750ms")

    assert result.exit_code == 0, result.stderr
    assert project.scalar("SELECT lock_timeout FROM seen") == "9s"


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder (no pgship.yml unless a test writes one)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_lock_timeout_default(in_tmp: Path) -> None:
    assert load_settings(CliValues(), env={}).lock_timeout_ms == 5000


def test_lock_timeout_from_pgship_yml_when_not_given(in_tmp: Path) -> None:
    (in_tmp / "pgship.yml").write_text("lock_timeout: 2s\n")

    assert load_settings(CliValues(), env={}).lock_timeout_ms == 2000


def test_lock_timeout_option_or_env_beats_pgship_yml(in_tmp: Path) -> None:
    (in_tmp / "pgship.yml").write_text("lock_timeout: 2s\n")

    assert load_settings(CliValues(lock_timeout="750ms"), env={}).lock_timeout_ms == 750


def test_lock_timeout_zero_means_off(in_tmp: Path) -> None:
    (in_tmp / "pgship.yml").write_text("lock_timeout: 2s\n")

    assert load_settings(CliValues(lock_timeout="off"), env={}).lock_timeout_ms == 0


def test_every_pgship_yml_value_is_used_when_not_given(in_tmp: Path) -> None:
    (in_tmp / "pgship.yml").write_text(
        "migrations_dir: db/migrate\n"
        "rollbacks_dir: db/rollback\n"
        "seeds_dir: db/seed\n"
        "lock_timeout: 2s\n"
        "statement_timeout: 10min\n"
        "retries: 7\n"
        "lock_wait: 1min\n"
    )

    settings = load_settings(CliValues(), env={})

    assert settings.migrations_dir == Path("db/migrate")
    assert settings.rollbacks_dir == Path("db/rollback")
    assert settings.seeds_dir == Path("db/seed")
    assert settings.lock_timeout_ms == 2000
    assert settings.statement_timeout_ms == 600_000
    assert settings.lock_retries == 7
    assert settings.lock_wait_ms == 60_000


def test_cli_values_beat_every_pgship_yml_value(in_tmp: Path) -> None:
    (in_tmp / "pgship.yml").write_text(
        "migrations_dir: a\nrollbacks_dir: a\nlock_timeout: 2s\nstatement_timeout: 1min\n"
        "retries: 7\nlock_wait: 1min\n"
    )

    settings = load_settings(
        CliValues(
            migrations_dir="b",
            rollbacks_dir="b",
            lock_timeout="1s",
            statement_timeout="30s",
            retries=0,
            lock_wait="10s",
        ),
        env={},
    )

    assert settings.migrations_dir == Path("b")
    assert settings.rollbacks_dir == Path("b")
    assert settings.lock_timeout_ms == 1000
    assert settings.statement_timeout_ms == 30_000
    assert settings.lock_retries == 0
    assert settings.lock_wait_ms == 10_000


def test_pgship_yml_paths_are_relative_to_its_folder(tmp_path: Path) -> None:
    (tmp_path / "deploy").mkdir()
    config = tmp_path / "deploy" / "pgship.yml"
    config.write_text("migrations_dir: db/migrations\nrollbacks_dir: ../undo\n")

    settings = load_settings(CliValues(config=str(config)), env={})

    assert settings.migrations_dir == tmp_path / "deploy" / "db" / "migrations"
    assert settings.rollbacks_dir.resolve() == (tmp_path / "undo").resolve()


def _help_default(option: str) -> str:
    options = pgship("migrate", "--help").stdout.split("Options:", 1)[1]
    flat = " ".join(options.split())
    match = re.search(rf"{re.escape(option)} .*?\(default (\w+)", flat)
    assert match, f"no default documented for {option}"
    return match.group(1)


@pytest.mark.parametrize(
    ("option", "value_of"),
    [
        ("--lock-timeout", lambda s: f"{s.lock_timeout_ms // 1000}s"),
        ("--statement-timeout", lambda s: "off" if s.statement_timeout_ms == 0 else "on"),
        ("--retries", lambda s: str(s.lock_retries)),
    ],
)
def test_documented_defaults_are_the_real_defaults(
    in_tmp: Path, option: str, value_of: Callable[..., str]
) -> None:
    assert value_of(load_settings(CliValues(), env={})) == _help_default(option)


# --- the config file itself --------------------------------------------------------------------


def test_config_option_pointing_to_a_missing_file(project: Project) -> None:
    project.write("001_users", "CREATE TABLE users (id int);\n")

    result = project.run("--config", "nowhere/pgship.yml", "migrate")

    assert result.exit_code == 2
    assert "nowhere/pgship.yml" in result.stderr
    assert "does not exist" in result.stderr
    assert "--config" in result.stderr
    assert not project.table_exists("pgship.migrations")


def test_invalid_yaml(project: Project) -> None:
    project.write("001_users", "CREATE TABLE users (id int);\n")
    (project.root / "pgship.yml").write_text("migrations_dir: [db\nlock_timeout: 5s\n")

    result = project.run("migrate")

    assert result.exit_code == 2
    assert "pgship.yml is not valid YAML" in result.stderr
    assert "line" in result.stderr
    assert not project.table_exists("pgship.migrations")


def test_pgship_yml_that_is_not_a_mapping(project: Project) -> None:
    project.write("001_users", "CREATE TABLE users (id int);\n")
    (project.root / "pgship.yml").write_text("- migrations\n- rollbacks\n")

    result = project.run("migrate")

    assert result.exit_code == 2
    assert "pgship.yml must hold a mapping" in result.stderr


def test_unknown_key_in_pgship_yml(project: Project) -> None:
    project.write("001_users", "CREATE TABLE users (id int);\n")
    (project.root / "pgship.yml").write_text("migration_dir: db\n")

    result = project.run("migrate")

    assert result.exit_code == 2
    assert "pgship.yml" in result.stderr
    assert "migration_dir" in result.stderr
    assert "Known settings" in result.stderr
    assert "migrations_dir" in result.stderr
    assert not project.table_exists("pgship.migrations")


def test_bad_value_in_pgship_yml_names_the_file_and_key(project: Project) -> None:
    project.write("001_users", "CREATE TABLE users (id int);\n")
    (project.root / "pgship.yml").write_text("lock_timeout: soon\n")

    result = project.run("migrate")

    assert result.exit_code == 2
    assert "pgship.yml: lock_timeout" in result.stderr
    assert "'soon' is not a duration" in result.stderr


def test_empty_pgship_yml_means_defaults(project: Project) -> None:
    project.write("001_users", "CREATE TABLE users (id int);\n")
    (project.root / "pgship.yml").write_text("# nothing yet\n")

    result = project.run("migrate")

    assert result.exit_code == 0, result.stderr
    assert project.history() == {1: "applied"}


# --- environments ------------------------------------------------------------------------------

ENVIRONMENTS = """\
environments:
  staging:
    url_env: STAGING_URL
  production:
    url_env: PROD_URL
"""


@pytest.fixture
def two_databases(project: Project, make_database: Callable[..., str]) -> tuple[Project, Project]:
    """The project's database and a second one, both with the same migration to apply."""
    project.write("001_users", "CREATE TABLE users (id int);\n")
    (project.root / "pgship.yml").write_text(ENVIRONMENTS)
    return project, Project(project.root, make_database("other"))


def test_environment_url_env_names_the_database(two_databases: tuple[Project, Project]) -> None:
    project, other = two_databases

    result = pgship(
        "--environment",
        "production",
        "migrate",
        env={"PROD_URL": project.database_url, "STAGING_URL": other.database_url},
    )

    assert result.exit_code == 0, result.stderr
    assert project.history() == {1: "applied"}
    assert project.scalar("SELECT environment FROM pgship.migrations") == "production"
    assert other.history() == {}


def test_environment_from_env_var(two_databases: tuple[Project, Project]) -> None:
    project, other = two_databases

    result = pgship(
        "migrate",
        env={
            "PGSHIP_ENVIRONMENT": "staging",
            "PROD_URL": project.database_url,
            "STAGING_URL": other.database_url,
        },
    )

    assert result.exit_code == 0, result.stderr
    assert other.history() == {1: "applied"}
    assert project.history() == {}


def test_database_url_beats_the_environments_url_env(
    two_databases: tuple[Project, Project],
) -> None:
    project, other = two_databases

    result = pgship(
        "--environment",
        "production",
        "migrate",
        env={"DATABASE_URL": project.database_url, "PROD_URL": other.database_url},
    )

    assert result.exit_code == 0, result.stderr
    assert project.history() == {1: "applied"}
    assert other.history() == {}


def test_environment_whose_url_env_is_unset(two_databases: tuple[Project, Project]) -> None:
    project, other = two_databases

    result = pgship("--environment", "production", "migrate")

    assert result.exit_code == 2
    assert "No database" in result.stderr
    assert "PROD_URL" in result.stderr
    assert project.history() == {}
    assert other.history() == {}


def test_unknown_environment(two_databases: tuple[Project, Project]) -> None:
    project, _ = two_databases

    result = pgship("--environment", "nope", "migrate", env={"DATABASE_URL": project.database_url})

    assert result.exit_code == 2
    assert "'nope' is not defined" in result.stderr
    assert "production, staging" in result.stderr
    assert not project.table_exists("pgship.migrations")


def test_unknown_key_in_an_environment(project: Project) -> None:
    project.write("001_users", "CREATE TABLE users (id int);\n")
    (project.root / "pgship.yml").write_text(
        "environments:\n  production:\n    url_environment: PROD_URL\n"
    )

    result = project.run("migrate")

    assert result.exit_code == 2
    assert "environments.production" in result.stderr
    assert "url_environment" in result.stderr
    assert "url_env" in result.stderr
