"""Running one SQL script lock-safely: timeouts, retries on lock timeout, precise failures."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import psycopg
from psycopg import errors as pg_errors
from psycopg.pq import TransactionStatus

from pgship.db import Connection
from pgship.durations import format_duration_ms
from pgship.migrations.blockers import BlockerWatch, BlockingSession
from pgship.migrations.files import SqlScript
from pgship.migrations.history import Failure
from pgship.migrations.sqlsplit import Statement

T = TypeVar("T")

RETRY_BASE_SECONDS = 1.0
RETRY_MAX_SECONDS = 30.0


@dataclass(frozen=True)
class Timeouts:
    lock_timeout_ms: int
    statement_timeout_ms: int
    retries: int

    def for_script(self, script: SqlScript) -> Timeouts:
        """The file's own directives win over the run's settings."""
        d = script.directives
        return Timeouts(
            d.lock_timeout_ms if d.lock_timeout_ms is not None else self.lock_timeout_ms,
            d.statement_timeout_ms
            if d.statement_timeout_ms is not None
            else self.statement_timeout_ms,
            self.retries,
        )


@dataclass
class ScriptError(Exception):
    """A script failed; `statements_done` of them had already been committed (no-transaction)."""

    failure: Failure
    statements_done: int = 0
    connection_lost: bool = False
    lock_timeout: bool = False
    blockers: list[BlockingSession] = field(default_factory=list)

    def __str__(self) -> str:
        return self.failure.error


@dataclass
class Runner:
    """Executes scripts on one connection, reporting progress through `log`."""

    conn: Connection
    timeouts: Timeouts
    log: Callable[[str], None]
    watch: BlockerWatch | None = None

    def run_in_transaction(
        self, script: SqlScript, on_success: Callable[[int], None] | None = None
    ) -> int:
        """Run all statements in one transaction (retried whole on lock timeout).

        `on_success(elapsed_ms)` runs inside the same transaction, so history commits with the
        change or not at all. Returns the elapsed milliseconds.
        """
        timeouts = self.timeouts.for_script(script)

        def attempt() -> int:
            started = time.monotonic()
            with self.conn.transaction():
                self._set_timeouts(timeouts, local=True)
                for statement in script.statements:
                    self._execute(script, statement)
                elapsed = _ms_since(started)
                if on_success is not None:
                    on_success(elapsed)
            return elapsed

        return self.retry_on_lock_timeout(timeouts, attempt)

    def run_statements(self, script: SqlScript, timeouts: Timeouts | None = None) -> None:
        """Run statements inside a transaction the caller opened (for --single-transaction)."""
        self._set_timeouts(timeouts or self.timeouts.for_script(script), local=True)
        for statement in script.statements:
            self._execute(script, statement)

    def run_autocommit(self, script: SqlScript) -> int:
        """Run statement by statement outside a transaction (`pgship:no-transaction`).

        Each statement is retried on its own after a lock timeout; a failure says how many
        statements had already run (they cannot be undone automatically).
        """
        timeouts = self.timeouts.for_script(script)
        started = time.monotonic()
        done = 0
        try:
            self._set_timeouts(timeouts, local=False)
            for statement in script.statements:
                self.retry_on_lock_timeout(
                    timeouts,
                    lambda statement=statement: self._execute(script, statement),  # type: ignore[misc]
                )
                done += 1
            self._refuse_open_transaction(script)
        except ScriptError as exc:
            exc.statements_done = done
            raise
        finally:
            if not self.conn.broken:
                self.conn.execute("RESET lock_timeout; RESET statement_timeout")
        return _ms_since(started)

    def _refuse_open_transaction(self, script: SqlScript) -> None:
        """A no-transaction file that BEGINs must COMMIT: roll back what it left open."""
        if self.conn.info.transaction_status == TransactionStatus.IDLE:
            return
        self.conn.execute("ROLLBACK")
        last = script.statements[-1]
        raise ScriptError(
            failure=Failure(
                error="the file ends inside a transaction it opened (BEGIN without COMMIT); "
                "pgship rolled back the statements since that BEGIN",
                file=str(script.path),
                line=last.end_line,
                detail={"statement": last.first_line()},
            )
        )

    def _set_timeouts(self, timeouts: Timeouts, *, local: bool) -> None:
        scope = "SET LOCAL" if local else "SET"
        self.conn.execute(
            f"{scope} lock_timeout = {int(timeouts.lock_timeout_ms)};"
            f" {scope} statement_timeout = {int(timeouts.statement_timeout_ms)}"
        )

    def _execute(self, script: SqlScript, statement: Statement) -> None:
        try:
            self.conn.execute(statement.text)
        except psycopg.Error as exc:
            raise ScriptError(
                failure=failure_from(exc, script, statement),
                connection_lost=self.conn.broken,
                lock_timeout=isinstance(exc, pg_errors.LockNotAvailable),
            ) from exc

    def retry_on_lock_timeout(self, timeouts: Timeouts, attempt: Callable[[], T]) -> T:
        """Run `attempt`; after a lock timeout, report the blockers, back off and run it again."""
        for number in range(timeouts.retries + 1):
            if self.watch:
                self.watch.take()
            try:
                return attempt()
            except ScriptError as exc:
                if not exc.lock_timeout:
                    raise
                exc.blockers = self.watch.take() if self.watch else []
                blocked_by = "; ".join(b.describe() for b in exc.blockers) or "(not seen)"
                where = f"{exc.failure.file}:{exc.failure.line}"
                if number == timeouts.retries:
                    exc.failure = Failure(
                        error=f"{exc.failure.error} (gave up after {number + 1} tries; "
                        f"blocked by {blocked_by})",
                        sqlstate=exc.failure.sqlstate,
                        file=exc.failure.file,
                        line=exc.failure.line,
                        detail={"blockers": [b.describe() for b in exc.blockers]},
                    )
                    raise
                delay = min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2**number)
                delay *= random.uniform(0.5, 1.5)
                self.log(
                    f"  lock timeout ({format_duration_ms(timeouts.lock_timeout_ms)}) at {where}, "
                    f"try {number + 1} of {timeouts.retries + 1}; blocked by {blocked_by}. "
                    f"Retrying in {delay:.1f}s."
                )
                time.sleep(delay)
        raise AssertionError("unreachable")


def failure_from(exc: psycopg.Error, script: SqlScript, statement: Statement) -> Failure:
    """The PostgreSQL error with the file:line of the failing statement (or clause)."""
    diag = exc.diag
    line = statement.line
    position = diag.statement_position
    if position and position.isdigit():
        line += statement.text[: int(position) - 1].count("\n")
    message = diag.message_primary or str(exc).strip() or type(exc).__name__
    parts = [message]
    if diag.message_detail:
        parts.append(f"DETAIL: {diag.message_detail}")
    if diag.message_hint:
        parts.append(f"HINT: {diag.message_hint}")
    if diag.context and "PL/pgSQL" in diag.context:
        parts.append(f"CONTEXT: {diag.context.strip()}")
    return Failure(
        error="\n".join(parts),
        sqlstate=exc.sqlstate,
        file=str(script.path),
        line=line,
        detail={"statement": statement.first_line()},
    )


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
