"""The breaking-change rules in a real project layout: rollbacks may drop what their migration
made, objects created in the same review run are new, and those of earlier (deployed)
migrations, read only to learn from, are not."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from pgship.cli import cli

CREATE = "CREATE TABLE imports (id bigint PRIMARY KEY, payload jsonb);\n"
DROP = "DROP TABLE imports;\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder as the working directory, without pgship's environment."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("PGSHIP_", "GITHUB_")) or name in ("DATABASE_URL", "NO_COLOR"):
            monkeypatch.delenv(name)
    (tmp_path / "migrations").mkdir()
    (tmp_path / "rollbacks").mkdir()
    return tmp_path


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


BREAKING = {
    "ban-drop-table",
    "ban-drop-column",
    "ban-drop-schema",
    "ban-drop-database",
    "ban-drop-object",
    "ban-drop-not-null",
    "ban-drop-default",
    "ban-drop-constraint",
    "ban-drop-cascade",
    "renaming-table",
    "renaming-column",
    "renaming-object",
}


def review(*args: str) -> list[dict[str, Any]]:
    """The breaking-change findings of `pgship review <args>` (other rules are not checked)."""
    result: Result = CliRunner().invoke(
        cli, ["review", *args, "--format", "json", "--fail-on", "never"], prog_name="pgship"
    )
    assert result.exit_code == 0, result.output
    findings: list[dict[str, Any]] = json.loads(result.stdout)["findings"]
    return [finding for finding in findings if finding["rule"] in BREAKING]


def rules(findings: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(Path(f["file"]).name, f["rule"]) for f in findings]


def test_dropping_what_an_earlier_migration_created_is_reported_when_reviewed_alone(
    project: Path,
) -> None:
    write(project / "migrations" / "001_imports.sql", CREATE)
    write(project / "migrations" / "002_drop_imports.sql", DROP)

    # 001 is only read to learn from (it is deployed): imports is not new for 002.
    alone = review("migrations/002_drop_imports.sql")
    # Both reviewed together (e.g. both new in the pull request): imports is new.
    together = review("migrations/001_imports.sql", "migrations/002_drop_imports.sql")

    assert rules(alone) == [("002_drop_imports.sql", "ban-drop-table")]
    assert "ban-drop-table" not in [rule for _, rule in rules(together)]


def test_rollbacks_may_drop_what_their_migration_created(project: Path) -> None:
    write(
        project / "migrations" / "001_imports.sql", CREATE + "ALTER TABLE users ADD COLUMN x int;\n"
    )
    rollback = "ALTER TABLE users DROP COLUMN x;\nDROP TABLE imports;\nDROP TYPE import_state;\n"
    write(project / "rollbacks" / "001_imports_rollback.sql", rollback)
    write(project / "elsewhere.sql", rollback)

    assert review() == []  # every migration, then every rollback
    assert review("rollbacks/001_imports_rollback.sql") == []
    assert review("rollbacks") == []
    assert rules(review("elsewhere.sql")) == [
        ("elsewhere.sql", "ban-drop-column"),
        ("elsewhere.sql", "ban-drop-table"),
        ("elsewhere.sql", "ban-drop-object"),
    ]


def test_cascade_in_a_rollback_is_a_warning(project: Path) -> None:
    write(project / "migrations" / "001_state.sql", "CREATE TYPE import_state AS ENUM ('new');\n")
    write(project / "rollbacks" / "001_state_rollback.sql", "DROP TYPE import_state CASCADE;\n")

    findings = review("rollbacks/001_state_rollback.sql")

    assert [(f["rule"], f["severity"]) for f in findings] == [("ban-drop-cascade", "warning")]


def test_the_example_project_has_no_breaking_change_findings_file_by_file() -> None:
    """Each example migration and rollback reviewed alone (as a pull request would)."""
    repo = Path(__file__).resolve().parents[1]
    names = sorted((repo / "migrations").glob("*.sql")) + sorted((repo / "rollbacks").glob("*.sql"))
    runner = CliRunner()
    for path in names:
        result = runner.invoke(
            cli,
            [
                "--migrations-dir",
                str(repo / "migrations"),
                "--rollbacks-dir",
                str(repo / "rollbacks"),
                "review",
                str(path),
                "--format",
                "json",
                "--fail-on",
                "never",
            ],
            prog_name="pgship",
        )
        assert result.exit_code == 0, result.output
        findings = json.loads(result.stdout)["findings"]
        assert [f for f in findings if f["rule"] in BREAKING] == [], path.name
