"""The `review:` section of pgship.yml, validated.

review:
  pg_version: 14          # target PostgreSQL major (the --pg-version option wins)
  fail_on: warning        # error | warning | info | never (the --fail-on option wins)
  assume_runner: other    # who runs the files: pgship (default) | other (the --assume-runner option wins)
  rules:
    require-concurrent-index-deletion: off    # or error | warning | info
    set-not-null: warning
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pgship.errors import ConfigError

FAIL_ON = ("error", "warning", "info", "never")
LEVELS = ("off", "error", "warning", "info")
RUNNERS = ("pgship", "other")
_KNOWN_KEYS = {"pg_version", "fail_on", "rules", "assume_runner"}


@dataclass(frozen=True)
class ReviewConfig:
    pg_version: int | None = None
    fail_on: str | None = None
    levels: dict[str, str] = field(default_factory=dict)  # rule id -> a LEVELS value
    assume_runner: str | None = None  # a RUNNERS value


def review_config(section: Any, where: str = "pgship.yml") -> ReviewConfig:
    """Validate pgship.yml's `review:` mapping (None when the file has none)."""
    if section is None:
        return ReviewConfig()
    if not isinstance(section, dict):
        raise ConfigError(
            f"{where}: review must be a mapping, e.g. `review: {{fail_on: warning}}`."
        )
    unknown = sorted(set(section) - _KNOWN_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: review: unknown setting(s) {', '.join(map(str, unknown))}.",
            hint=f"Known: {', '.join(sorted(_KNOWN_KEYS))}.",
        )
    pg_version = section.get("pg_version")
    if pg_version is not None and (
        isinstance(pg_version, bool) or not isinstance(pg_version, int) or not 9 <= pg_version <= 99
    ):
        raise ConfigError(
            f"{where}: review.pg_version must be a PostgreSQL major version such as 15, "
            f"got {pg_version!r}."
        )
    fail_on = section.get("fail_on")
    if fail_on is not None and fail_on not in FAIL_ON:
        raise ConfigError(
            f"{where}: review.fail_on must be one of {', '.join(FAIL_ON)}, got {fail_on!r}."
        )
    runner = section.get("assume_runner")
    if runner is not None and runner not in RUNNERS:
        raise ConfigError(
            f"{where}: review.assume_runner must be one of {', '.join(RUNNERS)}, got {runner!r}.",
            hint="pgship: `pgship migrate` runs the files (it sets lock_timeout itself); "
            "other: another tool runs them as they are.",
        )
    return ReviewConfig(pg_version, fail_on, _levels(section.get("rules"), where), runner)


def _levels(value: Any, where: str) -> dict[str, str]:
    from pgship.review.registry import all_rules, suggest

    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: review.rules must map a rule id to off|error|warning|info.")
    levels = {}
    for rule, level in value.items():
        if level is False:  # YAML reads a bare `off` as false
            level = "off"
        if rule not in all_rules():
            raise ConfigError(
                f"{where}: review.rules: unknown rule {rule!r}{suggest(str(rule))}.",
                hint="`pgship rules` lists every rule id.",
            )
        if level not in LEVELS:
            raise ConfigError(
                f"{where}: review.rules.{rule} must be one of {', '.join(LEVELS)}, got {level!r}."
            )
        levels[str(rule)] = str(level)
    return levels
