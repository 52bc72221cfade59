"""Seed data: `seeds/*.sql`, applied in name order, each file in its own transaction."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pgship.config import Settings
from pgship.errors import MigrationFileError, UsageError
from pgship.migrations.files import SqlScript
from pgship.migrations.history import Failure
from pgship.migrations.runner import Runner, ScriptError


@dataclass(frozen=True)
class SeedResult:
    """One seed file: how long it took, or where and why it failed."""

    path: Path
    execution_ms: int = 0
    failure: Failure | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None


def seed_scripts(seeds_dir: Path, *, required: bool) -> list[SqlScript]:
    """The seed files in name order; an absent folder is an error only when `required`."""
    if not seeds_dir.is_dir():
        if required:
            raise MigrationFileError(
                f"The seeds folder {seeds_dir} does not exist.",
                hint="Create it with .sql files, or point --seeds-dir at the right folder.",
            )
        return []
    return [SqlScript.load(path) for path in sorted(seeds_dir.glob("*.sql"))]


def run_seeds(runner: Runner, scripts: list[SqlScript]) -> list[SeedResult]:
    """Apply each file in its own transaction; stop at the first failure (later ones not run)."""
    results = []
    for script in scripts:
        try:
            results.append(SeedResult(script.path, runner.run_in_transaction(script)))
        except ScriptError as exc:
            results.append(SeedResult(script.path, failure=exc.failure))
            break
    return results


def refuse_production(settings: Settings, *, allow_production: bool) -> None:
    """Seeding a production database needs an explicit --allow-production."""
    name = settings.environment
    environment = settings.environments.get(name or "")
    is_production = (
        (environment.production or not environment.allow_seed)
        if environment
        else (name == "production")
    )
    if is_production and not allow_production:
        raise UsageError(
            f"Refusing to seed {name!r}: it is marked as production (or seed: false) "
            "in pgship.yml.",
            hint="Seeds are for test and staging data. If you really mean it, pass "
            "--allow-production.",
        )
