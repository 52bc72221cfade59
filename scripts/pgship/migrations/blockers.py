"""Which sessions block a migration: watched from a second connection while statements run.

When a statement gives up on `lock_timeout`, the blocking sessions are what a person needs to
know (pid, application, state, since when, what they run). They can only be seen while the
statement waits, so a small thread polls `pg_blocking_pids()` for the migration's backend.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

import psycopg

from pgship.conninfo import DatabaseUrl
from pgship.db import connect

_POLL_SECONDS = 0.1


@dataclass(frozen=True)
class BlockingSession:
    pid: int
    application: str
    state: str
    query_start: datetime | None
    query: str

    def describe(self) -> str:
        since = f"{self.query_start:%H:%M:%S} UTC" if self.query_start else "unknown"
        first_line = (self.query.strip().splitlines() or [""])[0][:120]
        return (
            f"pid {self.pid} ({self.application or 'no application_name'}), {self.state}, "
            f"query started {since}: {first_line}"
        )


class BlockerWatch:
    """Polls for sessions blocking `pid` and remembers the latest non-empty answer."""

    def __init__(self, url: DatabaseUrl, pid: int) -> None:
        self._url = url
        self._pid = pid
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._seen: list[BlockingSession] = []
        self._thread = threading.Thread(target=self._run, name="pgship-blockers", daemon=True)

    def start(self) -> BlockerWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def take(self) -> list[BlockingSession]:
        """The sessions seen blocking since the last call."""
        with self._lock:
            seen, self._seen = self._seen, []
        return seen

    def _run(self) -> None:
        try:
            conn = connect(self._url, application_name="pgship blocker watch")
        except Exception:
            return  # reporting blockers is a courtesy; never fail a migration over it
        with conn:
            while not self._stop.wait(_POLL_SECONDS):
                try:
                    rows = conn.execute(
                        "SELECT pid, coalesce(application_name, ''), coalesce(state, ''),"
                        " query_start AT TIME ZONE 'UTC', coalesce(query, '')"
                        " FROM pg_stat_activity WHERE pid = ANY(pg_blocking_pids(%s))"
                        " ORDER BY pid",
                        (self._pid,),
                    ).fetchall()
                except psycopg.Error:
                    return
                if rows:
                    with self._lock:
                        self._seen = [BlockingSession(*row) for row in rows]
