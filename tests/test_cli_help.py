"""`--help` and `--version` as users call them, and the imports that keep them fast."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from pgship import __version__
from pgship.cli import cli
from pgship_testing import REPO, Project

COMMANDS = [[], ["status"], ["plan"], ["migrate"], ["rollback"], ["resolve"], ["verify"]]


def ids(command: list[str]) -> str:
    return " ".join(command) or "pgship"


def python_env() -> dict[str, str]:
    """This process's environment, with the work tree's package first on the path."""
    return {**os.environ, "PYTHONPATH": str(REPO / "scripts")}


# The CLI in a fresh interpreter; afterwards, which heavy modules did it import?
IMPORT_PROBE = """
import json, sys
sys.argv = ["pgship", *json.loads(sys.argv[1])]
from pgship.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
watched = ("psycopg", "github", "slack_sdk", "pgship.integrations")
imported = sorted(m for m in sys.modules if any(m == w or m.startswith(w + ".") for w in watched))
print("PROBE " + json.dumps({"code": code, "imported": imported}))
"""


def probe(args: list[str], **kwargs: object) -> tuple[int, list[str], str]:
    """(exit code, imported heavy modules, the CLI's output) of `pgship <args>` in a subprocess."""
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE, json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        **kwargs,  # type: ignore[call-overload]
    )
    assert done.returncode == 0, done.stderr
    output, _, report = done.stdout.rpartition("PROBE ")
    result = json.loads(report)
    return result["code"], result["imported"], output + done.stderr


@pytest.mark.parametrize("command", COMMANDS, ids=ids)
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_every_command_has_help_with_an_example(command: list[str], flag: str) -> None:
    result = CliRunner().invoke(cli, [*command, flag], prog_name="pgship")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Usage: pgship")
    assert "Example" in result.stdout
    assert "pgship " in result.stdout.split("Example", 1)[1]


def test_group_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"], prog_name="pgship")

    assert result.exit_code == 0
    for command in ("status", "plan", "migrate", "rollback", "resolve", "verify"):
        assert command in result.stdout


def test_python_dash_m_pgship_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pgship", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env=python_env(),
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Usage: pgship")
    assert "migrate" in done.stdout


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"], prog_name="pgship")

    assert result.exit_code == 0
    assert result.stdout.strip() == f"pgship, version {__version__}"


@pytest.mark.skipif(
    shutil.which("pgship") is None, reason="the pgship console script is not installed"
)
def test_console_script_version() -> None:
    done = subprocess.run(
        ["pgship", "--version"], capture_output=True, text=True, timeout=60, check=False
    )

    assert done.returncode == 0, done.stderr
    assert __version__ in done.stdout


@pytest.mark.parametrize("command", COMMANDS, ids=ids)
def test_help_does_not_import_psycopg(command: list[str]) -> None:
    code, imported, output = probe([*command, "--help"], env=python_env())

    assert code == 0, output
    assert "Example" in output
    assert imported == []


def test_version_does_not_import_psycopg() -> None:
    code, imported, output = probe(["--version"], env=python_env())

    assert code == 0, output
    assert imported == []


def test_status_does_not_import_github_or_slack(project: Project) -> None:
    project.write("001_users", "CREATE TABLE users (id int);\n")

    code, imported, output = probe(
        ["status"], env={**python_env(), "DATABASE_URL": project.database_url}, cwd=project.root
    )

    assert code == 0, output
    assert "001_users" in output
    assert "psycopg" in imported  # it did reach the database
    assert [m for m in imported if not m.startswith("psycopg")] == []
