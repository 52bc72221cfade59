"""The one session-level advisory lock that every writing pgship command holds."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from pgship.db import Connection
from pgship.durations import format_duration_ms
from pgship.errors import LockWaitTimeout

# "pgship" in ASCII: the advisory lock key, shown in pg_locks as classid 0x7067, objid 0x73686970.
LOCK_KEY = 0x706773686970
_POLL_SECONDS = 0.25
_REPORT_EVERY_SECONDS = 30.0


@contextmanager
def migration_lock(conn: Connection, *, wait_ms: int, log: Callable[[str], None]) -> Iterator[None]:
    """Hold the lock for the block; wait up to `wait_ms`, saying who holds it meanwhile."""
    acquire(conn, wait_ms=wait_ms, log=log)
    try:
        yield
    finally:
        if not conn.closed and not conn.broken:
            conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))


def acquire(conn: Connection, *, wait_ms: int, log: Callable[[str], None]) -> None:
    deadline = time.monotonic() + wait_ms / 1000
    next_report = 0.0
    while not _try_lock(conn):
        now = time.monotonic()
        if now >= deadline:
            raise LockWaitTimeout(
                f"Gave up waiting for the pgship migration lock after "
                f"{format_duration_ms(wait_ms)}; it is held by {describe_holders(conn)}.",
                hint="Wait for that run to finish and try again, or raise --lock-wait. If the "
                "holder is stuck, end it with SELECT pg_terminate_backend(<pid>).",
            )
        if now >= next_report:
            log(f"Waiting for the pgship migration lock, held by {describe_holders(conn)} ...")
            next_report = now + _REPORT_EVERY_SECONDS
        time.sleep(_POLL_SECONDS)


def _try_lock(conn: Connection) -> bool:
    row = conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()
    return bool(row and row[0])


def describe_holders(conn: Connection) -> str:
    """e.g. "pid 4242 (pgship migrate github.com/acme/app run 99, since 12:00:03 UTC)"."""
    rows = conn.execute(
        """
        SELECT a.pid, coalesce(nullif(a.application_name, ''), 'no application_name'),
               coalesce(host(a.client_addr), 'local socket'),
               to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"')
        FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.database = (
                SELECT oid FROM pg_database WHERE datname = current_database())
          AND l.classid = %s::oid AND l.objid = %s::oid AND l.objsubid = 1 AND l.pid <> pg_backend_pid()
        """,
        ((LOCK_KEY >> 32) & 0xFFFFFFFF, LOCK_KEY & 0xFFFFFFFF),
    ).fetchall()
    if not rows:
        return "another session (it may have just released it)"
    return ", ".join(
        f"pid {pid} ({app}, from {client}, connected since {since})"
        for pid, app, client, since in rows
    )
