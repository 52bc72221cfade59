"""The backup commands' help, as users call it, and that it stays fast (no psycopg import)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pgship.cli import cli
from test_cli_help import probe, python_env

COMMANDS = ["backup", "verify-backup", "restore"]


@pytest.mark.parametrize("command", COMMANDS)
def test_help_has_an_example(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"], prog_name="pgship")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Usage: pgship {command}")
    assert "Example" in result.stdout
    assert f"pgship {command}" in result.stdout.split("Example", 1)[1]


def test_group_help_lists_the_backup_commands() -> None:
    result = CliRunner().invoke(cli, ["--help"], prog_name="pgship")

    assert result.exit_code == 0
    for command in COMMANDS:
        assert f"  {command} " in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_help_does_not_import_psycopg(command: str) -> None:
    code, imported, output = probe([command, "--help"], env=python_env())

    assert code == 0, output
    assert imported == []


def test_backup_help_names_the_outputs_and_the_env_vars() -> None:
    result = CliRunner().invoke(cli, ["backup", "--help"], prog_name="pgship")

    for text in ("backup-id", "PGSHIP_BACKUP_ID", "PGSHIP_BACKUP_DIR", "PGSHIP_PG_BIN_DIR"):
        assert text in result.stdout
