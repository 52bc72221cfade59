"""Applying and rolling back migrations under the lock, writing history as each one completes."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pgship.config import Settings
from pgship.db import Connection, connect
from pgship.errors import MigrationFailed
from pgship.migrations import history
from pgship.migrations.blockers import BlockerWatch
from pgship.migrations.files import Migration, SqlScript
from pgship.migrations.runner import Runner, ScriptError, Timeouts
from pgship.runcontext import RunContext

Log = Callable[[str], None]


@dataclass(frozen=True)
class StepResult:
    """One migration applied or rolled back."""

    version: int
    name: str
    execution_ms: int
    statement_count: int
    no_transaction: bool = False


class Applier:
    """Runs scripts under the lock and writes history, one migration at a time."""

    def __init__(
        self,
        settings: Settings,
        conn: Connection,
        context: RunContext,
        log: Log,
        *,
        watch_blockers: bool = True,
    ) -> None:
        self.settings = settings
        self.conn = conn
        self.context = context
        self.log = log
        self.watch = (
            BlockerWatch(settings.require_database_url(), conn.info.backend_pid)
            if watch_blockers
            else None
        )
        self.runner = Runner(
            conn,
            Timeouts(
                settings.lock_timeout_ms, settings.statement_timeout_ms, settings.lock_retries
            ),
            log,
            self.watch,
        )

    def apply_all(self, pending: list[Migration], single_transaction: bool) -> list[StepResult]:
        with self._watching():
            if single_transaction:
                return self._apply_in_one_transaction(pending)
            return [self.apply(m) for m in pending]

    def roll_back_all(self, targets: list[Migration]) -> list[StepResult]:
        with self._watching():
            return [self.roll_back(m) for m in targets]

    @contextmanager
    def _watching(self) -> Iterator[None]:
        if self.watch is None:
            yield
            return
        self.watch.start()
        try:
            yield
        finally:
            self.watch.stop()

    def apply(self, migration: Migration) -> StepResult:
        """Apply one migration and record it; raises MigrationFailed (with .failure)."""
        script = migration.script
        self.log(f"Applying {migration.stem} ...")
        no_transaction = script.directives.no_transaction
        try:
            if no_transaction:  # marked failed until it completes: a crash leaves it marked
                self._record_applied(migration, 0, status="failed")
            elapsed = self._run_script(script, lambda ms: self._record_applied(migration, ms))
        except ScriptError as exc:
            raise self._failed(migration, script, exc, "apply") from None
        if no_transaction:
            self._warn_invalid_indexes(migration)
        count = len(script.statements)
        self.log(f"Applied {migration.stem} ({elapsed} ms, {count} statements)")
        return StepResult(migration.version, migration.stem, elapsed, count, no_transaction)

    def _run_script(self, script: SqlScript, record: Callable[[int], None]) -> int:
        """Run `script`; `record(elapsed_ms)` commits with it, or right after a no-transaction one."""
        if not script.directives.no_transaction:
            return self.runner.run_in_transaction(script, record)
        elapsed = self.runner.run_autocommit(script)
        with self.conn.transaction():
            record(elapsed)
        return elapsed

    def _record_applied(
        self,
        migration: Migration,
        elapsed_ms: int,
        *,
        status: str = "applied",
        detail: dict[str, Any] | None = None,
    ) -> None:
        """The history row, and for a completed apply its event."""
        count = len(migration.script.statements)
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
                detail=detail,
            )

    def _warn_invalid_indexes(self, migration: Migration) -> None:
        """A CREATE INDEX CONCURRENTLY skipped by IF NOT EXISTS can leave an INVALID index."""
        rows = self.conn.execute(
            "SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid ORDER BY 1"
        ).fetchall()
        for (name,) in rows:
            self.log(
                f"warning: index {name} is INVALID after {migration.stem} (a failed or running "
                "CREATE INDEX CONCURRENTLY). Drop it and build it again: IF NOT EXISTS skips it."
            )

    def _apply_in_one_transaction(self, pending: list[Migration]) -> list[StepResult]:
        current = pending[0]

        def attempt() -> list[StepResult]:
            nonlocal current
            results = []
            with self.conn.transaction():
                for migration in pending:
                    current = migration
                    self.log(f"Applying {migration.stem} ...")
                    started = _now_ms()
                    self.runner.run_statements(migration.script)
                    elapsed = _now_ms() - started
                    count = len(migration.script.statements)
                    self._record_applied(migration, elapsed, detail={"single_transaction": True})
                    results.append(StepResult(migration.version, migration.stem, elapsed, count))
            return results

        try:
            results = self.runner.retry_on_lock_timeout(self.runner.timeouts, attempt)
        except ScriptError as exc:
            raise self._failed(current, current.script, exc, "apply", whole_run=True) from None
        for result in results:
            self.log(f"Applied {result.name} ({result.execution_ms} ms)")
        return results

    def roll_back(self, migration: Migration) -> StepResult:
        """Run one migration's rollback and record it; raises MigrationFailed."""
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
            elapsed = self._run_script(script, record)
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
        return MigrationFailed("\n".join(lines), hint=hint, failure=failure)

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
