"""`pgship drift`: compare a live database with what its applied migrations say it should be."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from pgship.config import Settings
from pgship.conninfo import DatabaseUrl
from pgship.db import connect
from pgship.errors import HistoryConflict
from pgship.fingerprint import diff_fingerprints, take_fingerprint
from pgship.migrations import history
from pgship.migrations.apply import Applier
from pgship.migrations.commands import load_migrations
from pgship.runcontext import RunContext
from pgship.throwaway import throwaway_server


@dataclass(frozen=True)
class DriftResult:
    replayed: list[str]
    differences: list[str]  # "... missing": expected, not live; "... added": live only
    server: str


def find_drift(
    settings: Settings, *, replay_url: DatabaseUrl | None, log: Callable[[str], None]
) -> DriftResult:
    """Replay the live database's applied migrations on a throwaway database and diff schemas."""
    live_url = settings.require_database_url()
    migrations = load_migrations(settings)
    with connect(live_url, application_name="pgship drift") as conn:
        rows = history.read_history(conn)
        live = take_fingerprint(conn)
    applied_versions = {v for v, row in rows.items() if row.status == "applied"}
    by_version = {m.version: m for m in migrations}
    missing = sorted(applied_versions - set(by_version))
    if missing:
        names = ", ".join(rows[v].name for v in missing)
        raise HistoryConflict(
            f"Cannot replay {live_url.display()}: applied migration(s) {names} have no file here.",
            hint="Check out the commit that has them, or record their removal with "
            "`pgship resolve <version> --rolled-back`.",
        )
    replay = [by_version[v] for v in sorted(applied_versions)]
    with throwaway_server(replay_url, log=log) as server:
        url = server.create_database("pgship_drift")
        replay_settings = dataclasses.replace(settings, database_url=url)
        with connect(url, application_name="pgship drift replay") as conn:
            history.ensure_history(conn)
            applier = Applier(
                replay_settings,
                conn,
                RunContext.from_environment("drift"),
                log,
                watch_blockers=False,
            )
            for migration in replay:
                applier.apply(migration)
            expected = take_fingerprint(conn)
        return DriftResult(
            replayed=[m.stem for m in replay],
            differences=diff_fingerprints(expected, live),
            server=server.description,
        )
