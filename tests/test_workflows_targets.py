"""`pgship targets`: the databases of an environment, as the matrix database-migration.yml fans
out over. Called through its command object (pgship.cli_targets.targets) until cli.py registers
it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pgship.cli_targets import targets
from pgship.outputs import read_outputs

MULTI = """\
environments:
  staging: {}
  production:
    targets:
      - name: eu
        url_env: EU_DATABASE_URL
      - name: us-east
        url_env: US_DATABASE_URL
"""


def invoke(tmp_path: Path, *args: str, config: str | None = None, **env: str) -> Result:
    if config is not None:
        (tmp_path / "pgship.yml").write_text(config, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        for name in ("PGSHIP_ENVIRONMENT", "GITHUB_OUTPUT", "GITHUB_ACTIONS"):
            patch.delenv(name, raising=False)
        return CliRunner().invoke(targets, list(args), env=env)


def test_one_database_without_targets(tmp_path: Path) -> None:
    result = invoke(tmp_path, "--environment", "production", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "include": [{"name": "production", "url-env": "DATABASE_URL"}]
    }


def test_the_environments_url_env_is_its_one_target(tmp_path: Path) -> None:
    config = "environments:\n  staging:\n    url_env: STAGING_DATABASE_URL\n"
    result = invoke(tmp_path, "--environment", "staging", "--format", "json", config=config)
    assert json.loads(result.output)["include"] == [
        {"name": "staging", "url-env": "STAGING_DATABASE_URL"}
    ]


def test_several_targets_make_the_matrix_and_the_step_outputs(tmp_path: Path) -> None:
    github_output = tmp_path / "github_output"
    result = invoke(
        tmp_path,
        "--environment",
        "production",
        "--format",
        "json",
        config=MULTI,
        GITHUB_OUTPUT=str(github_output),
    )
    assert result.exit_code == 0, result.output
    expected = {
        "include": [
            {"name": "eu", "url-env": "EU_DATABASE_URL"},
            {"name": "us-east", "url-env": "US_DATABASE_URL"},
        ]
    }
    assert json.loads(result.output) == expected
    outputs = read_outputs(str(github_output))
    assert json.loads(outputs["matrix"]) == expected
    assert outputs["count"] == "2"


def test_text_says_which_urls_are_set_but_never_shows_them(tmp_path: Path) -> None:
    result = invoke(
        tmp_path,
        "--environment",
        "production",
        config=MULTI,
        EU_DATABASE_URL="postgresql://app:s3cret@eu.example.com/app",
    )
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["target", "url", "from", "here"]
    assert lines[2].split() == ["eu", "EU_DATABASE_URL", "set"]
    assert lines[3].split() == ["us-east", "US_DATABASE_URL", "not", "set"]
    assert "s3cret" not in result.output


def test_environment_comes_from_pgship_environment(tmp_path: Path) -> None:
    result = invoke(tmp_path, "--format", "json", config=MULTI, PGSHIP_ENVIRONMENT="production")
    assert len(json.loads(result.output)["include"]) == 2


@pytest.mark.parametrize(
    ("args", "config", "message"),
    [
        ((), MULTI, "Say which environment"),
        (("--environment", "prod"), MULTI, "'prod' is not defined"),
        (
            ("--environment", "production"),
            "environments:\n  production:\n    targets: []\n",
            "must be a list of targets",
        ),
        (
            ("--environment", "production"),
            "environments:\n  production:\n    targets:\n      - {name: eu}\n",
            "url_env is missing",
        ),
        (
            ("--environment", "production"),
            "environments:\n  production:\n    targets:\n      - {name: eu, url_env: eu-url}\n",
            "is not an environment variable name",
        ),
        (
            ("--environment", "production"),
            "environments:\n  production:\n    targets:\n"
            "      - {name: eu, url_env: A}\n      - {name: eu, url_env: B}\n",
            "used twice",
        ),
        (
            ("--environment", "production"),
            "environments:\n  production:\n    targets:\n      - {name: eu, url_env: A, url: x}\n",
            "unknown setting(s) url",
        ),
        (
            ("--environment", "production"),
            "environments:\n  production:\n    targets:\n      - {name: 'a b', url_env: A}\n",
            "name must be letters",
        ),
    ],
)
def test_bad_settings_say_what_is_wrong(
    tmp_path: Path, args: tuple[str, ...], config: str, message: str
) -> None:
    result = invoke(tmp_path, *args, config=config)
    assert result.exit_code == 2, result.output
    assert message in result.output
