"""pgship.yml + environment + command-line options -> one frozen Settings object.

Precedence for every value: command-line option > environment variable > pgship.yml > default.
Click applies the first two (each option names its env var); `load_settings` adds the file and
the defaults, and validates everything once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pgship.conninfo import DatabaseUrl, parse_database_url
from pgship.durations import parse_duration_ms
from pgship.errors import ConfigError

DEFAULT_CONFIG_FILE = "pgship.yml"

# Top-level keys of pgship.yml; sections read by later features are accepted here so that one
# file serves every command, but a misspelt key is an error, never silently ignored.
_KNOWN_KEYS = {
    "database_url_env",
    "migrations_dir",
    "rollbacks_dir",
    "seeds_dir",
    "lock_timeout",
    "statement_timeout",
    "retries",
    "lock_wait",
    "environments",
    "review",
    "slack",
    "backup",
    "health",
}
_ENVIRONMENT_KEYS = {"url_env", "confirm", "confirm_word", "seed", "production", "targets"}


@dataclass(frozen=True)
class EnvironmentConfig:
    """One deployment target from pgship.yml's `environments:`."""

    name: str
    url_env: str | None = None
    confirm: bool = False
    confirm_word: str = "CONFIRM"
    allow_seed: bool = True
    production: bool = False


@dataclass(frozen=True)
class Settings:
    """Everything a command needs, validated."""

    database_url: DatabaseUrl | None
    migrations_dir: Path
    rollbacks_dir: Path
    seeds_dir: Path
    lock_timeout_ms: int = 5000
    statement_timeout_ms: int = 0
    lock_retries: int = 4
    lock_wait_ms: int = 300_000
    environment: str | None = None
    environments: dict[str, EnvironmentConfig] = field(default_factory=dict)
    config_file: Path | None = None
    raw_config: dict[str, Any] = field(default_factory=dict)

    def require_database_url(self) -> DatabaseUrl:
        """The URL, or a usage error that says how to give one."""
        if self.database_url is None:
            where = (
                f" or set {self.environments[self.environment].url_env}"
                if self.environment in self.environments
                and self.environments[self.environment].url_env
                else ""
            )
            raise ConfigError(
                "No database to connect to.",
                hint=f"Pass --database-url postgresql://user@host:5432/db or set DATABASE_URL{where}.",
            )
        return self.database_url


@dataclass(frozen=True)
class CliValues:
    """Values given on the command line or through their environment variables (None = not given)."""

    database_url: str | None = None
    config: str | None = None
    migrations_dir: str | None = None
    rollbacks_dir: str | None = None
    seeds_dir: str | None = None
    lock_timeout: str | None = None
    statement_timeout: str | None = None
    retries: int | None = None
    lock_wait: str | None = None
    environment: str | None = None


def load_settings(cli: CliValues, *, env: dict[str, str] | None = None) -> Settings:
    """Merge the command line, pgship.yml and defaults into validated Settings."""
    environ = os.environ if env is None else env
    config_file, data = _read_config_file(cli.config)
    base = config_file.parent if config_file else Path.cwd()

    def path_value(cli_value: str | None, key: str, default: str) -> Path:
        if cli_value is not None:
            return Path(cli_value)
        value = data.get(key, default)
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{_where(config_file)}: {key} must be a folder path, got {value!r}.")
        return base / value if config_file else Path(value)

    def duration_value(cli_value: str | None, key: str, default: str, option: str) -> int:
        raw, source = (
            (cli_value, option)
            if cli_value is not None
            else (data.get(key, default), f"{_where(config_file)}: {key}")
        )
        try:
            return parse_duration_ms(raw)
        except ValueError as exc:
            raise ConfigError(f"{source}: {exc}") from None

    environments = _read_environments(data.get("environments"), config_file)
    environment = cli.environment
    if environment is not None and environments and environment not in environments:
        raise ConfigError(
            f"--environment {environment!r} is not defined in {_where(config_file)}.",
            hint=f"Use one of: {', '.join(sorted(environments))}.",
        )

    retries = cli.retries if cli.retries is not None else data.get("retries", 4)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ConfigError(f"retries must be a whole number >= 0, got {retries!r}.")

    return Settings(
        database_url=_database_url(cli, data, environments, environment, environ, config_file),
        migrations_dir=path_value(cli.migrations_dir, "migrations_dir", "migrations"),
        rollbacks_dir=path_value(cli.rollbacks_dir, "rollbacks_dir", "rollbacks"),
        seeds_dir=path_value(cli.seeds_dir, "seeds_dir", "seeds"),
        lock_timeout_ms=duration_value(cli.lock_timeout, "lock_timeout", "5s", "--lock-timeout"),
        statement_timeout_ms=duration_value(
            cli.statement_timeout, "statement_timeout", "0", "--statement-timeout"
        ),
        lock_retries=retries,
        lock_wait_ms=duration_value(cli.lock_wait, "lock_wait", "5min", "--lock-wait"),
        environment=environment,
        environments=environments,
        config_file=config_file,
        raw_config=data,
    )


def _database_url(
    cli: CliValues,
    data: dict[str, Any],
    environments: dict[str, EnvironmentConfig],
    environment: str | None,
    environ: Any,
    config_file: Path | None,
) -> DatabaseUrl | None:
    """--database-url / DATABASE_URL first, then the environment's variable, then pgship.yml's."""
    if cli.database_url:
        return parse_database_url(cli.database_url, source="--database-url / DATABASE_URL")
    names: list[str] = []
    if environment in environments and environments[environment].url_env:
        names.append(str(environments[environment].url_env))
    if isinstance(data.get("database_url_env"), str):
        names.append(data["database_url_env"])
    for name in names:
        if environ.get(name):
            return parse_database_url(environ[name], source=f"${name}")
    return None


def _read_config_file(option: str | None) -> tuple[Path | None, dict[str, Any]]:
    """The parsed pgship.yml: the one named, else ./pgship.yml when present, else nothing."""
    if option is not None:
        path = Path(option)
        if not path.is_file():
            raise ConfigError(
                f"Config file {path} does not exist.",
                hint="Pass --config with the path of your pgship.yml, or drop the option.",
            )
    else:
        path = Path(DEFAULT_CONFIG_FILE)
        if not path.is_file():
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
    unknown = sorted(set(data) - _KNOWN_KEYS)
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting(s) {', '.join(unknown)}.",
            hint=f"Known settings: {', '.join(sorted(_KNOWN_KEYS))}.",
        )
    return path, data


def _read_environments(value: Any, config_file: Path | None) -> dict[str, EnvironmentConfig]:
    """pgship.yml's `environments:` mapping, validated."""
    if value is None:
        return {}
    where = _where(config_file)
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: environments must map a name to its settings.")
    result: dict[str, EnvironmentConfig] = {}
    for name, body in value.items():
        body = body or {}
        if not isinstance(body, dict):
            raise ConfigError(f"{where}: environments.{name} must be a mapping.")
        unknown = sorted(set(body) - _ENVIRONMENT_KEYS)
        if unknown:
            raise ConfigError(
                f"{where}: environments.{name}: unknown setting(s) {', '.join(unknown)}.",
                hint=f"Known: {', '.join(sorted(_ENVIRONMENT_KEYS))}.",
            )
        is_production = bool(body.get("production", name == "production"))
        result[str(name)] = EnvironmentConfig(
            name=str(name),
            url_env=body.get("url_env"),
            confirm=bool(body.get("confirm", is_production)),
            confirm_word=str(body.get("confirm_word", "CONFIRM")),
            allow_seed=bool(body.get("seed", not is_production)),
            production=is_production,
        )
    return result


def _where(config_file: Path | None) -> str:
    return str(config_file) if config_file else DEFAULT_CONFIG_FILE
