"""`pgship review` over a project: --base REF in a real git repository, migrations and their
rollbacks (missing-rollback, rollback-without-migration), and who runs the files
(--assume-runner, for require-lock-timeout)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from pgship.cli import cli


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository with three migrations committed on main, checked out on a branch."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("PGSHIP_", "GITHUB_", "GIT_")) or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))  # no user config
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "config", "user.email", "dev@example.com")
    git(tmp_path, "config", "user.name", "dev")
    write(
        tmp_path / "migrations/001_users.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY, name text);\n",
    )
    write(tmp_path / "rollbacks/001_users_rollback.sql", "DROP TABLE users;\n")
    write(
        tmp_path / "migrations/002_check.sql",
        "ALTER TABLE users ADD CONSTRAINT users_name_nn CHECK (name IS NOT NULL) NOT VALID;\n",
    )
    write(
        tmp_path / "rollbacks/002_check_rollback.sql",
        "ALTER TABLE users DROP CONSTRAINT users_name_nn;\n",
    )
    write(
        tmp_path / "migrations/003_validate.sql",
        "ALTER TABLE users VALIDATE CONSTRAINT users_name_nn;\n",
    )
    write(tmp_path / "rollbacks/003_validate_rollback.sql", "SELECT 1;\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "base")
    git(tmp_path, "checkout", "-q", "-b", "feature")
    return tmp_path


def git(where: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=where, check=True, capture_output=True, timeout=30)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def pgship(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, prog_name="pgship")


def report_of(result: Result) -> dict[str, Any]:
    assert result.exit_code in (0, 1), result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def rules_by_file(result: Result) -> list[tuple[str, str]]:
    return [(f["file"], f["rule"]) for f in report_of(result)["findings"]]


# --- --base REF -------------------------------------------------------------------------------


def test_base_reviews_only_what_the_branch_changed(repo: Path) -> None:
    write(
        repo / "migrations/004_not_null.sql", "ALTER TABLE users ALTER COLUMN name SET NOT NULL;\n"
    )
    write(
        repo / "rollbacks/004_not_null_rollback.sql",
        "ALTER TABLE users ALTER COLUMN name DROP NOT NULL;\n",
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "not null")
    write(
        repo / "migrations/005_index.sql", "CREATE INDEX users_name_idx ON users (name);\n"
    )  # untracked
    write(
        repo / "rollbacks/003_validate_rollback.sql", "DROP INDEX users_name_idx;\n"
    )  # uncommitted

    result = pgship("review", "--base", "main", "--format", "json", "--fail-on", "never")

    report = report_of(result)
    assert report["files"] == [
        "migrations/004_not_null.sql",
        "migrations/005_index.sql",
        "rollbacks/003_validate_rollback.sql",
        "rollbacks/004_not_null_rollback.sql",
    ]
    # 004's SET NOT NULL is safe: 002 and 003, read for context, proved name IS NOT NULL.
    assert rules_by_file(result) == [
        ("migrations/005_index.sql", "missing-rollback"),
        ("migrations/005_index.sql", "require-concurrent-index-creation"),
        ("rollbacks/003_validate_rollback.sql", "require-concurrent-index-deletion"),
    ]


def test_base_without_changes(repo: Path) -> None:
    result = pgship("review", "--base", "main", "--format", "json")

    assert result.exit_code == 0, result.output
    assert report_of(result)["files"] == []
    assert "no migration or rollback file changed since main" in result.stderr


def test_base_with_paths_keeps_the_changed_ones_among_them(repo: Path) -> None:
    write(repo / "migrations/004_a.sql", "CREATE INDEX a_idx ON users (name);\n")
    write(repo / "rollbacks/004_a_rollback.sql", "DROP INDEX a_idx;\n")

    result = pgship(
        "review", "migrations", "--base", "main", "--format", "json", "--fail-on", "never"
    )

    assert report_of(result)["files"] == ["migrations/004_a.sql"]


def test_base_reports_the_rollback_a_deleted_migration_leaves_behind(repo: Path) -> None:
    git(repo, "rm", "-q", "migrations/003_validate.sql")
    git(repo, "commit", "-q", "-m", "drop 003")

    result = pgship("review", "--base", "main", "--format", "json")

    assert result.exit_code == 1, result.output
    assert rules_by_file(result) == [
        ("rollbacks/003_validate_rollback.sql", "rollback-without-migration")
    ]


def test_base_from_a_subdirectory(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo / "migrations/004_a.sql", "CREATE INDEX a_idx ON users (name);\n")
    monkeypatch.chdir(repo / "migrations")

    result = pgship(
        "--migrations-dir",
        ".",
        "--rollbacks-dir",
        "../rollbacks",
        "review",
        "--base",
        "main",
        "--format",
        "json",
        "--fail-on",
        "never",
    )

    assert report_of(result)["files"] == ["004_a.sql"]


def test_base_unknown_ref_is_a_usage_error(repo: Path) -> None:
    result = pgship("review", "--base", "no-such-branch")

    assert result.exit_code == 2
    assert "--base no-such-branch: git knows no commit by that name" in result.stderr
    assert "fetch-depth: 0" in result.stderr


def test_base_outside_a_git_repository_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = tmp_path / "plain"
    write(outside / "migrations/001_a.sql", "SELECT 1;\n")
    monkeypatch.chdir(outside)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # do not find a repo above

    result = pgship("review", "--base", "main")

    assert result.exit_code == 2
    assert "needs a git repository" in result.stderr


def test_base_from_the_environment(repo: Path) -> None:
    write(repo / "migrations/004_a.sql", "SELECT 1;\n")

    result = pgship("review", "--format", "json", env={"PGSHIP_REVIEW_BASE": "main"})

    assert report_of(result)["files"] == ["migrations/004_a.sql"]


# --- migrations and their rollbacks -----------------------------------------------------------


def test_rollback_without_migration_is_a_finding_not_a_crash(repo: Path) -> None:
    write(repo / "rollbacks/004_renamed_rollback.sql", "DROP TABLE x;\n")
    write(repo / "migrations/004_renamed_again.sql", "SELECT 1;\n")
    write(repo / "rollbacks/notes.sql", "SELECT 1;\n")

    result = pgship("review", "--format", "json")

    assert result.exit_code == 1, result.output
    findings = report_of(result)["findings"]
    assert [(f["file"], f["rule"], f["line"]) for f in findings] == [
        ("migrations/004_renamed_again.sql", "missing-rollback", 1),
        ("rollbacks/004_renamed_rollback.sql", "rollback-without-migration", 1),
        ("rollbacks/notes.sql", "rollback-without-migration", 1),
    ]
    assert "004_renamed_again_rollback.sql" in findings[1]["alternative"]
    assert "not named like a rollback" in findings[2]["message"]
    # `migrate` refuses this folder; the review says where the problem is instead.
    assert pgship("plan").exit_code == 2


def test_missing_rollback_only_where_the_project_keeps_rollbacks(repo: Path) -> None:
    write(repo / "migrations/004_a.sql", "SELECT 1;\n")

    assert rules_by_file(pgship("review", "--format", "json", "--fail-on", "never")) == [
        ("migrations/004_a.sql", "missing-rollback")
    ]
    result = pgship("--rollbacks-dir", "nowhere", "review", "--format", "json")
    assert [rule for _, rule in rules_by_file(result)] == []


def test_ignore_file_accepts_an_irreversible_migration(repo: Path) -> None:
    write(
        repo / "migrations/004_purge.sql",
        "-- pgship:ignore-file missing-rollback purged rows cannot come back\n"
        "DELETE FROM users WHERE name = 'x';\n",
    )

    assert rules_by_file(pgship("review", "migrations/004_purge.sql", "--format", "json")) == []


def test_design_rules_leave_rollbacks_alone(repo: Path) -> None:
    write(repo / "migrations/004_types.sql", "ALTER TABLE users ALTER COLUMN name TYPE text;\n")
    write(
        repo / "rollbacks/004_types_rollback.sql",
        "ALTER TABLE users ALTER COLUMN name TYPE varchar(20);\n",
    )

    result = pgship(
        "review", "rollbacks/004_types_rollback.sql", "--format", "json", "--fail-on", "never"
    )

    assert "prefer-text-field" not in [rule for _, rule in rules_by_file(result)]


# --- who runs the files -----------------------------------------------------------------------

ALTER = "ALTER TABLE users ADD COLUMN note text;\n"


def test_lock_timeout_is_pgships_business_by_default(repo: Path) -> None:
    write(repo / "a.sql", ALTER)

    assert rules_by_file(pgship("review", "a.sql", "--format", "json")) == []


@pytest.mark.parametrize(
    ("yml", "args", "env", "fires"),
    [
        ("review:\n  assume_runner: other\n", [], {}, True),
        ("review:\n  assume_runner: other\n", ["--assume-runner", "pgship"], {}, False),
        ("", ["--assume-runner", "other"], {}, True),
        ("", [], {"PGSHIP_ASSUME_RUNNER": "other"}, True),
        ("lock_timeout: 0\n", [], {}, True),  # pgship runs the file, with no lock_timeout
        ("review:\n  assume_runner: pgship\n", [], {}, False),
    ],
)
def test_assume_runner(
    repo: Path, yml: str, args: list[str], env: dict[str, str], fires: bool
) -> None:
    write(repo / "pgship.yml", yml)
    write(repo / "a.sql", ALTER)

    result = pgship("review", "a.sql", "--format", "json", *args, env=env)

    assert result.exit_code == 0, result.output  # a warning: below the default --fail-on
    assert rules_by_file(result) == ([("a.sql", "require-lock-timeout")] if fires else [])


def test_bad_assume_runner(repo: Path) -> None:
    write(repo / "pgship.yml", "review:\n  assume_runner: flyway\n")
    write(repo / "a.sql", ALTER)

    result = pgship("review", "a.sql")

    assert result.exit_code == 2
    assert "review.assume_runner must be one of pgship, other" in result.stderr
    assert pgship("review", "a.sql", "--assume-runner", "flyway").exit_code == 2
