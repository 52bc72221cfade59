"""The history pgship keeps in the target database: `pgship.migrations` and `pgship.events`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.rows import dict_row

from pgship.db import Connection
from pgship.runcontext import RunContext

SCHEMA = "pgship"

_DDL = """
CREATE SCHEMA IF NOT EXISTS pgship;
CREATE TABLE IF NOT EXISTS pgship.migrations (
    version          bigint PRIMARY KEY,
    name             text NOT NULL,
    checksum         text NOT NULL,
    status           text NOT NULL CHECK (status IN ('applied', 'rolled_back', 'failed')),
    applied_at       timestamptz,
    applied_by       text,
    db_user          text NOT NULL DEFAULT current_user,
    execution_ms     integer,
    statement_count  integer,
    rolled_back_at   timestamptz,
    run_url          text,
    commit_sha       text,
    actor            text,
    environment      text,
    backup_id        text
);
CREATE TABLE IF NOT EXISTS pgship.events (
    id               bigserial PRIMARY KEY,
    occurred_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    version          bigint NOT NULL,
    name             text NOT NULL,
    action           text NOT NULL CHECK (action IN ('apply', 'rollback', 'fail', 'resolve')),
    checksum         text,
    execution_ms     integer,
    statement_count  integer,
    error            text,
    sqlstate         text,
    failed_file      text,
    failed_line      integer,
    detail           jsonb,
    applied_by       text,
    db_user          text NOT NULL DEFAULT current_user,
    run_url          text,
    commit_sha       text,
    actor            text,
    environment      text
);
COMMENT ON TABLE pgship.migrations IS 'pgship: one row per migration version (see pgship status)';
COMMENT ON TABLE pgship.events IS 'pgship: append-only log of apply, rollback, fail and resolve';
"""


@dataclass(frozen=True)
class HistoryRow:
    """A row of pgship.migrations."""

    version: int
    name: str
    checksum: str
    status: str
    applied_at: datetime | None
    applied_by: str | None
    execution_ms: int | None
    statement_count: int | None
    rolled_back_at: datetime | None


@dataclass(frozen=True)
class Failure:
    """Where and why a script failed, as logged in pgship.events."""

    error: str
    sqlstate: str | None = None
    file: str | None = None
    line: int | None = None
    detail: dict[str, Any] | None = None


def ensure_history(conn: Connection) -> None:
    """Create the pgship schema and tables when missing (call while holding the migration lock)."""
    if not history_exists(conn):
        with conn.transaction():
            conn.execute(_DDL)


def history_exists(conn: Connection) -> bool:
    row = conn.execute("SELECT to_regclass('pgship.events') IS NOT NULL").fetchone()
    return bool(row and row[0])


def read_history(conn: Connection) -> dict[int, HistoryRow]:
    """Rows of pgship.migrations by version; empty when pgship never ran here."""
    if not history_exists(conn):
        return {}
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            "SELECT version, name, checksum, status, applied_at, applied_by, execution_ms,"
            " statement_count, rolled_back_at FROM pgship.migrations ORDER BY version"
        )
        return {row["version"]: HistoryRow(**row) for row in cur.fetchall()}


def last_failures(conn: Connection) -> dict[int, tuple[datetime, str]]:
    """For each version whose latest event is a failure: when, and the error."""
    if not history_exists(conn):
        return {}
    rows = conn.execute(
        "SELECT DISTINCT ON (version) version, action, occurred_at, error FROM pgship.events"
        " ORDER BY version, id DESC"
    ).fetchall()
    return {version: (at, error) for version, action, at, error in rows if action == "fail"}


def record_applied(
    conn: Connection,
    *,
    version: int,
    name: str,
    checksum: str,
    execution_ms: int,
    statement_count: int,
    context: RunContext,
    status: str = "applied",
) -> None:
    """Upsert the migration's row as applied (or failed, for a partial no-transaction run)."""
    conn.execute(
        """
        INSERT INTO pgship.migrations AS m (version, name, checksum, status, applied_at,
            applied_by, execution_ms, statement_count, rolled_back_at, run_url, commit_sha,
            actor, environment, backup_id)
        VALUES (%(version)s, %(name)s, %(checksum)s, %(status)s, now(), %(applied_by)s,
            %(execution_ms)s, %(statement_count)s, NULL, %(run_url)s, %(commit_sha)s,
            %(actor)s, %(environment)s, %(backup_id)s)
        ON CONFLICT (version) DO UPDATE SET name = excluded.name, checksum = excluded.checksum,
            status = excluded.status, applied_at = excluded.applied_at,
            applied_by = excluded.applied_by, db_user = current_user,
            execution_ms = excluded.execution_ms, statement_count = excluded.statement_count,
            rolled_back_at = NULL, run_url = excluded.run_url, commit_sha = excluded.commit_sha,
            actor = excluded.actor, environment = excluded.environment,
            backup_id = excluded.backup_id
        """,
        {
            "version": version,
            "name": name,
            "checksum": checksum,
            "status": status,
            "execution_ms": execution_ms,
            "statement_count": statement_count,
            **_context_params(context),
        },
    )


def record_rolled_back(conn: Connection, version: int) -> None:
    conn.execute(
        "UPDATE pgship.migrations SET status = 'rolled_back', rolled_back_at = now()"
        " WHERE version = %s",
        (version,),
    )


def set_checksum(conn: Connection, version: int, checksum: str) -> None:
    conn.execute(
        "UPDATE pgship.migrations SET checksum = %s WHERE version = %s", (checksum, version)
    )


def forget(conn: Connection, version: int) -> None:
    """Remove a version's row (its file never ran to any effect)."""
    conn.execute("DELETE FROM pgship.migrations WHERE version = %s", (version,))


def log_event(
    conn: Connection,
    *,
    version: int,
    name: str,
    action: str,
    context: RunContext,
    checksum: str | None = None,
    execution_ms: int | None = None,
    statement_count: int | None = None,
    failure: Failure | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one event to pgship.events (in the caller's transaction, if any)."""
    merged = {**(failure.detail or {}), **(detail or {})} if failure else detail
    if context.confirmed_by:  # who typed the confirmation word for this run
        merged = {**(merged or {}), "confirmed_by": context.confirmed_by}
    conn.execute(
        """
        INSERT INTO pgship.events (version, name, action, checksum, execution_ms,
            statement_count, error, sqlstate, failed_file, failed_line, detail, applied_by,
            run_url, commit_sha, actor, environment)
        VALUES (%(version)s, %(name)s, %(action)s, %(checksum)s, %(execution_ms)s,
            %(statement_count)s, %(error)s, %(sqlstate)s, %(failed_file)s, %(failed_line)s,
            %(detail)s, %(applied_by)s, %(run_url)s, %(commit_sha)s, %(actor)s, %(environment)s)
        """,
        {
            "version": version,
            "name": name,
            "action": action,
            "checksum": checksum,
            "execution_ms": execution_ms,
            "statement_count": statement_count,
            "error": failure.error if failure else None,
            "sqlstate": failure.sqlstate if failure else None,
            "failed_file": failure.file if failure else None,
            "failed_line": failure.line if failure else None,
            "detail": json.dumps(merged) if merged else None,
            **_context_params(context),
        },
    )


def _context_params(context: RunContext) -> dict[str, str | None]:
    return {
        "applied_by": context.applied_by,
        "run_url": context.run_url,
        "commit_sha": context.commit_sha,
        "actor": context.actor,
        "environment": context.environment,
        "backup_id": context.backup_id,
    }
