"""Backup options: command line > environment variable > pgship.yml's `backup:` section > default.

Click applies the first two (each option names its env var); `backup_options` adds pgship.yml
and the defaults, and validates everything once::

    backup:
      output_dir: backups       # relative to pgship.yml's folder
      format: custom            # or directory
      jobs: 1                   # parallel dump jobs (directory format only)
      compress: null            # passed to pg_dump --compress, e.g. 6, zstd:3, lz4
      keep: null                # keep the N newest backups of a database, prune older ones
      pg_bin_dir: null          # folder with pg_dump / pg_restore (default: searched)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pgship.config import Settings
from pgship.errors import ConfigError, UsageError

FORMATS = ("custom", "directory")
_KEYS = {"output_dir", "format", "jobs", "compress", "keep", "pg_bin_dir"}
_COMPRESS = re.compile(r"^(?:\d|(?:gzip|lz4|zstd|none)(?::[a-z0-9_=,-]+)?)$")


@dataclass(frozen=True)
class BackupOptions:
    output_dir: Path = Path("backups")
    format: str = "custom"
    jobs: int = 1
    compress: str | None = None
    keep: int | None = None
    pg_bin_dir: Path | None = None
    quiet: bool = False


@dataclass(frozen=True)
class BackupCliValues:
    """Values given on the command line or through their environment variables (None = not given)."""

    output_dir: str | None = None
    format: str | None = None
    jobs: int | None = None
    compress: str | None = None
    keep: int | None = None
    pg_bin_dir: str | None = None
    quiet: bool = False


def backup_section(settings: Settings) -> dict[str, Any]:
    """pgship.yml's `backup:` mapping, checked for unknown keys."""
    where = str(settings.config_file or "pgship.yml")
    section = settings.raw_config.get("backup") or {}
    if not isinstance(section, dict):
        raise ConfigError(f"{where}: backup must be a mapping of settings, e.g. `keep: 7`.")
    unknown = sorted(set(section) - _KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: backup: unknown setting(s) {', '.join(unknown)}.",
            hint=f"Known: {', '.join(sorted(_KEYS))}.",
        )
    return section


def _config_path(settings: Settings, value: Any, key: str) -> Path:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"pgship.yml: backup.{key} must be a folder path, got {value!r}.")
    base = settings.config_file.parent if settings.config_file else Path.cwd()
    return base / value


def pg_bin_dir(settings: Settings, cli_value: str | None) -> Path | None:
    """--pg-bin-dir / PGSHIP_PG_BIN_DIR, else pgship.yml's backup.pg_bin_dir, else None (search)."""
    if cli_value:
        path = Path(cli_value)
    else:
        value = backup_section(settings).get("pg_bin_dir")
        if value is None:
            return None
        path = _config_path(settings, value, "pg_bin_dir")
    if not path.is_dir():
        raise UsageError(
            f"The PostgreSQL bin folder {path} does not exist.",
            hint="Point --pg-bin-dir / PGSHIP_PG_BIN_DIR at the folder holding pg_dump and "
            "pg_restore, or drop it to let pgship search PATH and the usual install folders.",
        )
    return path


def backup_options(settings: Settings, cli: BackupCliValues) -> BackupOptions:
    """Merge the command line, pgship.yml's `backup:` section and defaults."""
    section = backup_section(settings)

    def pick(cli_value: Any, key: str, default: Any) -> Any:
        return cli_value if cli_value is not None else section.get(key, default)

    output_dir = (
        Path(cli.output_dir)
        if cli.output_dir
        else _config_path(settings, section["output_dir"], "output_dir")
        if "output_dir" in section
        else Path("backups")
    )
    fmt = pick(cli.format, "format", "custom")
    if fmt not in FORMATS:
        raise ConfigError(f"backup format must be custom or directory, got {fmt!r}.")
    jobs = pick(cli.jobs, "jobs", 1)
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ConfigError(f"backup jobs must be a whole number >= 1, got {jobs!r}.")
    if jobs > 1 and fmt != "directory":
        raise UsageError(
            f"--jobs {jobs} needs --format directory: pg_dump writes the custom format from "
            "one process.",
            hint="Add --format directory, or drop --jobs.",
        )
    compress = pick(cli.compress, "compress", None)
    if compress is not None:
        compress = str(compress).strip().lower()
        if not _COMPRESS.match(compress):
            raise ConfigError(
                f"backup compress {compress!r} is not a pg_dump compression: use a level 0-9, "
                "or gzip, lz4, zstd or none with an optional :level (e.g. zstd:3)."
            )
    keep = pick(cli.keep, "keep", None)
    if keep is not None and (isinstance(keep, bool) or not isinstance(keep, int) or keep < 1):
        raise ConfigError(f"backup keep must be a whole number >= 1, got {keep!r}.")
    return BackupOptions(
        output_dir=output_dir,
        format=fmt,
        jobs=jobs,
        compress=compress,
        keep=keep,
        pg_bin_dir=pg_bin_dir(settings, cli.pg_bin_dir),
        quiet=cli.quiet,
    )
