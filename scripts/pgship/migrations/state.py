"""Where a database stands: files and history joined into one state per version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pgship.migrations.files import Migration
from pgship.migrations.history import HistoryRow

PENDING = "pending"
APPLIED = "applied"
ROLLED_BACK = "rolled back"
FAILED = "failed"
CHANGED = "changed-since-applied"
MISSING_FILE = "missing-file"


@dataclass(frozen=True)
class MigrationState:
    """One version as `pgship status` shows it."""

    version: int
    name: str
    state: str
    migration: Migration | None
    row: HistoryRow | None
    last_failure: tuple[datetime, str] | None = None

    @property
    def is_pending(self) -> bool:
        """Would `migrate` run this file?"""
        return self.migration is not None and (self.row is None or self.row.status == "rolled_back")

    @property
    def is_applied(self) -> bool:
        """Is the change in the database (as far as the history says)?"""
        return self.row is not None and self.row.status == "applied"

    @property
    def failed_part_way(self) -> bool:
        """A no-transaction migration stopped after some statements: a person must decide."""
        return self.row is not None and self.row.status == "failed"

    @property
    def label(self) -> str:
        if self.migration is not None:
            return self.migration.stem
        return self.row.name if self.row else str(self.version)

    def note(self) -> str:
        """A short explanation for the status table."""
        row = self.row
        if self.state == APPLIED and row and row.applied_at:
            ms = f", {row.execution_ms} ms" if row.execution_ms is not None else ""
            return f"{_utc(row.applied_at)} by {row.applied_by}{ms}"
        if self.state == ROLLED_BACK and row and row.rolled_back_at:
            return f"rolled back {_utc(row.rolled_back_at)}; will run again"
        if self.state == CHANGED:
            return "the file changed after it was applied"
        if self.state == MISSING_FILE:
            return "applied here, but its file is gone"
        if self.failed_part_way:
            return "failed part-way (no-transaction); needs `pgship resolve`"
        if self.last_failure:
            at, error = self.last_failure
            first = (error or "").splitlines()[0] if error else ""
            return f"last attempt failed {_utc(at)}: {first}"
        return ""


def compute_states(
    migrations: list[Migration],
    history: dict[int, HistoryRow],
    failures: dict[int, tuple[datetime, str]] | None = None,
) -> list[MigrationState]:
    """One state per version known from files or history, in version order."""
    failures = failures or {}
    by_version = {m.version: m for m in migrations}
    states = []
    for version in sorted(set(by_version) | set(history)):
        migration = by_version.get(version)
        row = history.get(version)
        failure = failures.get(version)
        states.append(
            MigrationState(
                version=version,
                name=migration.stem if migration else (row.name if row else str(version)),
                state=_state_of(migration, row, failure),
                migration=migration,
                row=row,
                last_failure=failure,
            )
        )
    return states


def _state_of(
    migration: Migration | None, row: HistoryRow | None, failure: tuple[datetime, str] | None
) -> str:
    if row is None:
        return FAILED if failure and migration else PENDING
    if row.status == "failed":
        return FAILED
    if migration is None:
        return MISSING_FILE if row.status == "applied" else ROLLED_BACK
    if row.status == "rolled_back":
        return FAILED if failure else ROLLED_BACK
    return CHANGED if row.checksum != migration.checksum else APPLIED


def _utc(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
