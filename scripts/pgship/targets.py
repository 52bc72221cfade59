"""The databases of one environment: one, or many (a database per tenant or shard).

pgship.yml may list several targets for an environment, each naming the environment variable
(in GitHub Actions: the secret) that holds its URL:

    environments:
      production:
        targets:
          - name: eu
            url_env: EU_DATABASE_URL
          - name: us
            url_env: US_DATABASE_URL

Without `targets`, the environment has one target: its `url_env`, else DATABASE_URL.
`pgship targets` prints them as a GitHub Actions matrix (`{"include": [...]}`), which
database-migration.yml fans out over, each target backed up and migrated on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pgship.config import DEFAULT_CONFIG_FILE
from pgship.errors import ConfigError

DEFAULT_URL_ENV = "DATABASE_URL"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TARGET_KEYS = {"name", "url_env"}


@dataclass(frozen=True)
class Target:
    """One database of an environment."""

    name: str
    url_env: str

    def matrix_entry(self) -> dict[str, str]:
        return {"name": self.name, "url-env": self.url_env}


def load_targets(environment: str | None, config: str | None = None) -> list[Target]:
    """The targets of `environment` from pgship.yml (the file named, else ./pgship.yml)."""
    path, data = _read(config)
    where = str(path) if path else DEFAULT_CONFIG_FILE
    environments = data.get("environments") or {}
    if not isinstance(environments, dict):
        raise ConfigError(f"{where}: environments must map a name to its settings.")
    if environment is None:
        raise ConfigError(
            "Say which environment's targets to list.",
            hint="Pass --environment production (or set PGSHIP_ENVIRONMENT).",
        )
    if environments and environment not in environments:
        raise ConfigError(
            f"--environment {environment!r} is not defined in {where}.",
            hint=f"Use one of: {', '.join(sorted(map(str, environments)))}.",
        )
    body = environments.get(environment) or {}
    if not isinstance(body, dict):
        raise ConfigError(f"{where}: environments.{environment} must be a mapping.")
    default_env = body.get("url_env") or data.get("database_url_env") or DEFAULT_URL_ENV
    if "targets" not in body:
        return [Target(name=environment, url_env=_env_name(default_env, where, environment))]
    return _targets(body["targets"], where, environment)


def _targets(value: Any, where: str, environment: str) -> list[Target]:
    prefix = f"{where}: environments.{environment}.targets"
    if not isinstance(value, list) or not value:
        raise ConfigError(
            f"{prefix} must be a list of targets, e.g. [{{name: eu, url_env: EU_DATABASE_URL}}]."
        )
    targets: list[Target] = []
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise ConfigError(f"{prefix}[{index}] must be a mapping with name and url_env.")
        unknown = sorted(set(map(str, item)) - _TARGET_KEYS)
        if unknown:
            raise ConfigError(
                f"{prefix}[{index}]: unknown setting(s) {', '.join(unknown)}.",
                hint="A target has a name and a url_env.",
            )
        name = item.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise ConfigError(
                f"{prefix}[{index}]: name must be letters, digits, '.', '_' or '-', got {name!r}."
            )
        url_env = item.get("url_env")
        if url_env is None:
            raise ConfigError(
                f"{prefix}[{index}] ({name}): url_env is missing.",
                hint="Name the variable (in GitHub Actions: the secret) that holds its URL.",
            )
        targets.append(Target(name=name, url_env=_env_name(url_env, where, environment)))
    names = [t.name for t in targets]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigError(f"{prefix}: the name(s) {', '.join(twice)} are used twice.")
    return targets


def _env_name(value: Any, where: str, environment: str) -> str:
    if not isinstance(value, str) or not _ENV_NAME.match(value):
        raise ConfigError(
            f"{where}: environments.{environment}: {value!r} is not an environment variable "
            "name (letters, digits and _, e.g. EU_DATABASE_URL)."
        )
    return value


def _read(config: str | None) -> tuple[Path | None, dict[str, Any]]:
    path = Path(config) if config else Path(DEFAULT_CONFIG_FILE)
    if not path.is_file():
        if config:
            raise ConfigError(
                f"Config file {path} does not exist.",
                hint="Pass --config with the path of your pgship.yml, or drop the option.",
            )
        return None, {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read config file {path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from None
    if data is None:
        return path, {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a mapping of settings, e.g. `migrations_dir: db/`.")
    return path, data


def matrix(targets: list[Target]) -> dict[str, list[dict[str, str]]]:
    """A GitHub Actions matrix: `strategy: {matrix: ${{ fromJSON(...) }}}`."""
    return {"include": [t.matrix_entry() for t in targets]}
