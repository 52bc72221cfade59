"""The migration commands as library functions: status, plan, migrate, rollback, resolve, verify.

Each takes Settings, returns data for the CLI to render, and raises PgshipError subclasses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from pgship.config import Settings
from pgship.db import Connection, connect
from pgship.errors import (
    ChecksumDrift,
    HistoryConflict,
    MigrationFileError,
    UsageError,
)
from pgship.migrations import history
from pgship.migrations.apply import Applier, StepResult
from pgship.migrations.files import Migration, discover_migrations
from pgship.migrations.lock import migration_lock
from pgship.migrations.state import (
    CHANGED,
    MISSING_FILE,
    MigrationState,
    compute_states,
)
from pgship.runcontext import RunContext

Log = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclass
class Plan:
    """What `migrate` would do now, and what would stop it."""

    states: list[MigrationState]
    pending: list[Migration]
    problems: list[str] = field(default_factory=list)

    @property
    def has_drift(self) -> bool:
        """An applied migration's file was edited (ChecksumDrift rather than a history conflict)."""
        return any(s.state == CHANGED for s in self.states)


@dataclass
class RunResult:
    """What `migrate` or `rollback` did (or, with --dry-run, would do)."""

    steps: list[StepResult]
    dry_run: bool = False
    planned: list[Migration] = field(default_factory=list)


def load_migrations(settings: Settings) -> list[Migration]:
    return discover_migrations(settings.migrations_dir, settings.rollbacks_dir)


@contextmanager
def _session(settings: Settings, command: str) -> Iterator[tuple[Connection, RunContext]]:
    context = RunContext.from_environment(settings.environment)
    url = settings.require_database_url()
    conn = connect(url, application_name=context.application_name(command))
    try:
        yield conn, context
    finally:
        conn.close()


def status(settings: Settings) -> list[MigrationState]:
    """Every version known from files or history, with its state. Read-only."""
    migrations = load_migrations(settings)
    with _session(settings, "status") as (conn, _):
        return compute_states(migrations, history.read_history(conn), history.last_failures(conn))


def verify(settings: Settings) -> list[MigrationState]:
    """The versions whose files drifted, went missing, or failed part-way. Read-only."""
    return [s for s in status(settings) if s.state in (CHANGED, MISSING_FILE) or s.failed_part_way]


def plan(settings: Settings, *, to: str | None = None, allow_out_of_order: bool = False) -> Plan:
    """What `migrate` would run, without touching the database."""
    migrations = load_migrations(settings)
    with _session(settings, "plan") as (conn, _):
        return _make_plan(conn, migrations, to=to, allow_out_of_order=allow_out_of_order)


def _make_plan(
    conn: Connection, migrations: list[Migration], *, to: str | None, allow_out_of_order: bool
) -> Plan:
    states = compute_states(migrations, history.read_history(conn), history.last_failures(conn))
    target = _parse_version(to, migrations, states) if to is not None else None
    pending = [
        s.migration
        for s in states
        if s.is_pending and s.migration and (target is None or s.version <= target)
    ]
    problems = []
    newest_applied = max((s.version for s in states if s.is_applied), default=None)
    for s in states:
        if s.state == CHANGED:
            problems.append(
                f"{s.label} was changed after it was applied. See what changed with "
                f"`git log -p {s.migration.path if s.migration else s.label}`; if the change is "
                f"harmless (a comment, formatting), accept it with "
                f"`pgship resolve {s.version} --accept-checksum`, otherwise restore the file "
                f"and put the change in a new migration."
            )
        elif s.state == MISSING_FILE:
            problems.append(
                f"{s.label} is applied in this database but its file is missing. Restore the "
                f"file, or if it was removed on purpose, record that with "
                f"`pgship resolve {s.version} --rolled-back` after undoing it by hand."
            )
        elif s.failed_part_way:
            problems.append(
                f"{s.label} failed part-way (it runs outside a transaction). Check the database, "
                f"then finish its remaining statements by hand and run "
                f"`pgship resolve {s.version} --applied`, or undo the ones that ran and run "
                f"`pgship resolve {s.version} --rolled-back`."
            )
    if not allow_out_of_order and newest_applied is not None:
        late = [m for m in pending if m.version < newest_applied]
        if late:
            problems.append(
                f"{', '.join(m.stem for m in late)} would run out of order: version "
                f"{newest_applied} is already applied. Renumber the file(s) after it, or pass "
                f"--allow-out-of-order if running them now is safe."
            )
    return Plan(states=states, pending=pending, problems=problems)


def migrate(
    settings: Settings,
    *,
    to: str | None = None,
    dry_run: bool = False,
    single_transaction: bool = False,
    allow_out_of_order: bool = False,
    log: Log = _quiet,
) -> RunResult:
    """Apply every pending migration once, in order, under the migration lock."""
    migrations = load_migrations(settings)
    with _session(settings, "migrate") as (conn, context):
        if dry_run:
            found = _make_plan(conn, migrations, to=to, allow_out_of_order=allow_out_of_order)
            _refuse_problems(found)
            return RunResult(steps=[], dry_run=True, planned=found.pending)
        with migration_lock(conn, wait_ms=settings.lock_wait_ms, log=log):
            found = _make_plan(conn, migrations, to=to, allow_out_of_order=allow_out_of_order)
            _refuse_problems(found)
            if not found.pending:
                return RunResult(steps=[])
            if single_transaction:
                blocking = [m.stem for m in found.pending if m.script.directives.no_transaction]
                if blocking:
                    raise UsageError(
                        f"--single-transaction cannot include {', '.join(blocking)}: "
                        "it is marked pgship:no-transaction.",
                        hint="Run without --single-transaction, or use --to to stop before it.",
                    )
            history.ensure_history(conn)
            applier = Applier(settings, conn, context, log)
            return RunResult(steps=applier.apply_all(found.pending, single_transaction))


def rollback(
    settings: Settings,
    *,
    steps: int | None = None,
    to: str | None = None,
    dry_run: bool = False,
    log: Log = _quiet,
) -> RunResult:
    """Run the paired rollback scripts of the newest applied migrations, newest first."""
    if steps is not None and to is not None:
        raise UsageError("Give --steps or --to, not both.")
    if steps is not None and steps < 1:
        raise UsageError(f"--steps must be 1 or more, got {steps}.")
    migrations = load_migrations(settings)
    with _session(settings, "rollback") as (conn, context):
        if dry_run:
            return RunResult(
                steps=[], dry_run=True, planned=_rollback_targets(conn, migrations, steps, to)
            )
        with migration_lock(conn, wait_ms=settings.lock_wait_ms, log=log):
            targets = _rollback_targets(conn, migrations, steps, to)
            applier = Applier(settings, conn, context, log)
            return RunResult(steps=applier.roll_back_all(targets))


def _rollback_targets(
    conn: Connection, migrations: list[Migration], steps: int | None, to: str | None
) -> list[Migration]:
    """The migrations to undo, newest first; every rollback file is checked before any runs."""
    states = compute_states(migrations, history.read_history(conn))
    applied = [s for s in reversed(states) if s.is_applied]
    if to is not None:
        target = _parse_version(to, migrations, states)
        chosen = [s for s in applied if s.version > target]
    else:
        chosen = applied[: steps or 1]
    missing = [s.label for s in chosen if s.migration is None or s.migration.rollback is None]
    if missing:
        raise MigrationFileError(
            f"Cannot roll back: no rollback file for {', '.join(missing)}. Nothing was changed.",
            hint="Write rollbacks/<version>_<name>_rollback.sql for each, then run again.",
        )
    return [s.migration for s in chosen if s.migration is not None]


def resolve(settings: Settings, version: str, action: str, *, log: Log = _quiet) -> str:
    """Repair the history without running SQL, after a person fixed the database by hand."""
    migrations = load_migrations(settings)
    with (
        _session(settings, "resolve") as (conn, context),
        migration_lock(conn, wait_ms=settings.lock_wait_ms, log=log),
    ):
        states = compute_states(migrations, history.read_history(conn))
        number = _parse_version(version, migrations, states)
        state = next(s for s in states if s.version == number)
        with conn.transaction():  # the history tables too: a refused resolve leaves no trace
            history.ensure_history(conn)
            message = _resolve_one(conn, state, action, context)
            history.log_event(
                conn,
                version=number,
                name=state.label,
                action="resolve",
                context=context,
                checksum=state.migration.checksum if state.migration else None,
                detail={"as": action, "previous_state": state.state},
            )
        return message


def _resolve_one(conn: Connection, state: MigrationState, action: str, context: RunContext) -> str:
    migration, row = state.migration, state.row
    if action == "applied":
        if migration is None:
            raise UsageError(f"Cannot mark {state.label} applied: its file is missing.")
        if state.is_applied and row and row.checksum == migration.checksum:
            raise UsageError(f"{state.label} is already recorded as applied; nothing to do.")
        history.record_applied(
            conn,
            version=migration.version,
            name=migration.stem,
            checksum=migration.checksum,
            execution_ms=0,
            statement_count=len(migration.script.statements),
            context=context,
        )
        return f"{state.label} is now recorded as applied (no SQL was run)."
    if action == "rolled-back":
        if row is None or row.status == "rolled_back":
            raise UsageError(f"{state.label} is not applied here; nothing to mark rolled back.")
        history.record_rolled_back(conn, state.version)
        return f"{state.label} is now recorded as rolled back (no SQL was run); migrate will run it again."
    if action == "accept-checksum":
        if migration is None or state.state != CHANGED:
            raise UsageError(
                f"{state.label} has no checksum change to accept (state: {state.state})."
            )
        history.set_checksum(conn, state.version, migration.checksum)
        return f"{state.label}: the edited file is accepted as what was applied."
    raise UsageError(f"Unknown resolve action {action!r}.")


def _refuse_problems(found: Plan) -> None:
    if not found.problems:
        return
    error = ChecksumDrift if found.has_drift else HistoryConflict
    raise error("pgship migrate will not run:\n" + "\n".join(f"  - {p}" for p in found.problems))


def _parse_version(text: str, migrations: list[Migration], states: list[MigrationState]) -> int:
    digits = text.split("_", 1)[0].strip()
    if not digits.isdigit():
        raise UsageError(f"{text!r} is not a migration version.", hint="Give its number, e.g. 003.")
    number = int(digits)
    if number not in {s.version for s in states}:
        known = ", ".join(m.version_text for m in migrations[-5:])
        raise UsageError(
            f"There is no migration with version {text}.", hint=f"Recent versions: {known}."
        )
    return number
