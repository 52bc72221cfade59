"""The migration commands as library functions: status, plan, migrate, rollback, resolve, verify.

Each takes Settings, returns data for the CLI to render, and raises PgshipError subclasses.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from pgship.config import Settings
from pgship.db import Connection, connect
from pgship.errors import (
    ChecksumDrift,
    HistoryConflict,
    MigrationFailed,
    MigrationFileError,
    UsageError,
)
from pgship.migrations import history
from pgship.migrations.blockers import BlockerWatch
from pgship.migrations.files import Migration, SqlScript, discover_migrations
from pgship.migrations.lock import migration_lock
from pgship.migrations.runner import Runner, ScriptError, Timeouts
from pgship.migrations.state import (
    CHANGED,
    FAILED,
    MISSING_FILE,
    MigrationState,
    compute_states,
)
from pgship.runcontext import RunContext

Log = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclass(frozen=True)
class StepResult:
    """One migration applied or rolled back."""

    version: int
    name: str
    execution_ms: int
    statement_count: int
    no_transaction: bool = False


@dataclass
class Plan:
    """What `migrate` would do now, and what would stop it."""

    states: list[MigrationState]
    pending: list[Migration]
    problems: list[str] = field(default_factory=list)
    single_transaction: bool = False


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
    return [s for s in status(settings) if s.state in (CHANGED, MISSING_FILE, FAILED) and s.row]


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
        elif s.state == FAILED and s.row is not None and s.row.status == "failed":
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
            history.ensure_history(conn)
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
            applier = _Applier(settings, conn, context, log)
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
            applier = _Applier(settings, conn, context, log)
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
        history.ensure_history(conn)
        states = compute_states(migrations, history.read_history(conn))
        number = _parse_version(version, migrations, states)
        state = next(s for s in states if s.version == number)
        with conn.transaction():
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
    drift = any("was changed after it was applied" in p for p in found.problems)
    error = ChecksumDrift if drift else HistoryConflict
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


class _Applier:
    """Runs scripts under the lock and writes history, one migration at a time."""

    def __init__(self, settings: Settings, conn: Connection, context: RunContext, log: Log) -> None:
        self.settings = settings
        self.conn = conn
        self.context = context
        self.log = log
        self.watch = BlockerWatch(settings.require_database_url(), conn.info.backend_pid)
        self.runner = Runner(
            conn,
            Timeouts(
                settings.lock_timeout_ms, settings.statement_timeout_ms, settings.lock_retries
            ),
            log,
            self.watch,
        )

    def apply_all(self, pending: list[Migration], single_transaction: bool) -> list[StepResult]:
        self.watch.start()
        try:
            if single_transaction:
                return self._apply_in_one_transaction(pending)
            return [self._apply(m) for m in pending]
        finally:
            self.watch.stop()

    def roll_back_all(self, targets: list[Migration]) -> list[StepResult]:
        self.watch.start()
        try:
            return [self._roll_back(m) for m in targets]
        finally:
            self.watch.stop()

    def _apply(self, migration: Migration) -> StepResult:
        script = migration.script
        self.log(f"Applying {migration.stem} ...")
        count = len(script.statements)

        def record(elapsed_ms: int, status: str = "applied") -> None:
            history.record_applied(
                self.conn,
                version=migration.version,
                name=migration.stem,
                checksum=migration.checksum,
                execution_ms=elapsed_ms,
                statement_count=count,
                context=self.context,
                status=status,
            )
            if status == "applied":
                history.log_event(
                    self.conn,
                    version=migration.version,
                    name=migration.stem,
                    action="apply",
                    context=self.context,
                    checksum=migration.checksum,
                    execution_ms=elapsed_ms,
                    statement_count=count,
                )

        try:
            if script.directives.no_transaction:
                record(0, status="failed")  # until it completes: a crash leaves it marked
                elapsed = self.runner.run_autocommit(script)
                with self.conn.transaction():
                    record(elapsed)
            else:
                elapsed = self.runner.run_in_transaction(script, record)
        except ScriptError as exc:
            raise self._failed(migration, script, exc, "apply") from None
        self.log(f"Applied {migration.stem} ({elapsed} ms, {count} statements)")
        return StepResult(
            migration.version, migration.stem, elapsed, count, script.directives.no_transaction
        )

    def _apply_in_one_transaction(self, pending: list[Migration]) -> list[StepResult]:
        results: list[StepResult] = []
        current = pending[0]
        try:
            with self.conn.transaction():
                for migration in pending:
                    current = migration
                    self.log(f"Applying {migration.stem} ...")
                    started = _now_ms()
                    self.runner.run_statements(migration.script)
                    elapsed = _now_ms() - started
                    count = len(migration.script.statements)
                    history.record_applied(
                        self.conn,
                        version=migration.version,
                        name=migration.stem,
                        checksum=migration.checksum,
                        execution_ms=elapsed,
                        statement_count=count,
                        context=self.context,
                    )
                    history.log_event(
                        self.conn,
                        version=migration.version,
                        name=migration.stem,
                        action="apply",
                        context=self.context,
                        checksum=migration.checksum,
                        execution_ms=elapsed,
                        statement_count=count,
                        detail={"single_transaction": True},
                    )
                    results.append(StepResult(migration.version, migration.stem, elapsed, count))
        except ScriptError as exc:
            raise self._failed(current, current.script, exc, "apply", whole_run=True) from None
        for result in results:
            self.log(f"Applied {result.name} ({result.execution_ms} ms)")
        return results

    def _roll_back(self, migration: Migration) -> StepResult:
        script = migration.rollback
        assert script is not None  # checked before anything ran
        self.log(f"Rolling back {migration.stem} with {script.path} ...")
        count = len(script.statements)

        def record(elapsed_ms: int) -> None:
            history.record_rolled_back(self.conn, migration.version)
            history.log_event(
                self.conn,
                version=migration.version,
                name=migration.stem,
                action="rollback",
                context=self.context,
                checksum=script.checksum,
                execution_ms=elapsed_ms,
                statement_count=count,
            )

        try:
            if script.directives.no_transaction:
                elapsed = self.runner.run_autocommit(script)
                with self.conn.transaction():
                    record(elapsed)
            else:
                elapsed = self.runner.run_in_transaction(script, record)
        except ScriptError as exc:
            raise self._failed(migration, script, exc, "rollback") from None
        self.log(f"Rolled back {migration.stem} ({elapsed} ms)")
        return StepResult(
            migration.version, migration.stem, elapsed, count, script.directives.no_transaction
        )

    def _failed(
        self,
        migration: Migration,
        script: SqlScript,
        exc: ScriptError,
        during: str,
        *,
        whole_run: bool = False,
    ) -> MigrationFailed:
        """Log the failure in its own transaction and build the message for the user."""
        partial = script.directives.no_transaction and exc.statements_done > 0
        logged = self._log_failure(migration, script, exc, during, partial)
        failure = exc.failure
        what = "Rollback of" if during == "rollback" else "Migration"
        code = f" (SQLSTATE {failure.sqlstate})" if failure.sqlstate else ""
        lines = [
            f"{what} {migration.stem} failed at {failure.file}:{failure.line}:",
            f"  ERROR: {failure.error}{code}",
        ]
        total = len(script.statements)
        if exc.connection_lost:
            lines.append(
                "The connection to the database was lost while it ran."
                + (
                    ""
                    if script.directives.no_transaction
                    else " Its transaction was not committed, so nothing of it was kept."
                )
            )
        if whole_run:
            lines.append(
                "Nothing of this run was kept: --single-transaction rolled back all of it."
            )
        elif partial:
            lines.append(
                f"{exc.statements_done} of {total} statements had already run and stay in the "
                f"database (the file is marked pgship:no-transaction)."
            )
        elif not exc.connection_lost:
            lines.append("Nothing of it was kept: its transaction was rolled back.")
        if exc.lock_timeout:
            hint = "Run again when the blocking sessions are done, or raise --lock-timeout / --retries."
        elif partial:
            hint = (
                f"Check the database, then finish the remaining statements by hand and run "
                f"`pgship resolve {migration.version_text} --applied`, or undo the ones that ran "
                f"and run `pgship resolve {migration.version_text} --rolled-back`."
            )
        elif exc.connection_lost:
            hint = "Run the same command again once the database is reachable."
        else:
            hint = f"Fix {script.path} and run the same command again."
        if not logged:
            lines.append("(The failure could not be written to pgship.events.)")
        return MigrationFailed("\n".join(lines), hint=hint)

    def _log_failure(
        self, migration: Migration, script: SqlScript, exc: ScriptError, during: str, partial: bool
    ) -> bool:
        """Append a `fail` event in its own transaction, reconnecting if the connection died."""
        conn = self.conn
        reconnected = False
        try:
            if conn.broken or conn.closed:
                conn = connect(
                    self.settings.require_database_url(),
                    application_name=self.context.application_name("log-failure"),
                )
                reconnected = True
            with conn.transaction():
                if during == "apply" and script.directives.no_transaction:
                    if partial:
                        history.record_applied(
                            conn,
                            version=migration.version,
                            name=migration.stem,
                            checksum=migration.checksum,
                            execution_ms=0,
                            statement_count=exc.statements_done,
                            context=self.context,
                            status="failed",
                        )
                    else:
                        history.forget(conn, migration.version)
                history.log_event(
                    conn,
                    version=migration.version,
                    name=migration.stem,
                    action="fail",
                    context=self.context,
                    checksum=script.checksum,
                    failure=exc.failure,
                    detail={
                        "during": during,
                        "statements_done": exc.statements_done,
                        "statements_total": len(script.statements),
                        "connection_lost": exc.connection_lost,
                    },
                )
            return True
        except Exception:
            return False
        finally:
            if reconnected:
                conn.close()


def _now_ms() -> int:
    return round(time.monotonic() * 1000)
