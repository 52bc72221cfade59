"""`pgship test`: prove every migration and its rollback on a fresh database.

For each migration in order: fingerprint the schema, apply, roll back, fingerprint again and
compare with the first, then apply again. Then load the seeds and check the end state. With
`with_data`, once the seeds are loaded, roll the migrations back newest first and count the
rows each rollback would lose.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psycopg import sql

from pgship.config import Settings
from pgship.db import Connection, connect
from pgship.errors import MigrationFailed
from pgship.fingerprint import diff_fingerprints, take_fingerprint
from pgship.migrations import history
from pgship.migrations.apply import Applier
from pgship.migrations.files import Migration
from pgship.migrations.history import Failure
from pgship.migrations.runner import Runner, Timeouts
from pgship.runcontext import RunContext
from pgship.seed import SeedResult, run_seeds, seed_scripts
from pgship.throwaway import Throwaway

OK = "ok"
ROLLBACK_DIFFERS = "rollback differs"
ROLLBACK_MISSING = "rollback missing"
MIGRATION_FAILED = "migration failed"
ROLLBACK_FAILED = "rollback failed"
NOT_RUN = "not run"

Log = Callable[[str], None]


@dataclass
class Verdict:
    """The result of one migration's round trip."""

    version: int
    name: str
    verdict: str = NOT_RUN
    apply_ms: int | None = None
    rollback_ms: int | None = None
    differences: list[str] = field(default_factory=list)
    failure: Failure | None = None
    rows_lost: dict[str, int] = field(default_factory=dict)
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.verdict == OK


@dataclass
class TestReport:
    server: str
    verdicts: list[Verdict]
    seeds: list[SeedResult]
    end_state_problems: list[str]
    with_data: bool
    duration_ms: int = 0

    @property
    def ok(self) -> bool:
        return (
            all(v.ok for v in self.verdicts)
            and all(s.ok for s in self.seeds)
            and not self.end_state_problems
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "server": self.server,
            "duration_ms": self.duration_ms,
            "with_data": self.with_data,
            "migrations": [
                {
                    "version": v.version,
                    "name": v.name,
                    "verdict": v.verdict,
                    "apply_ms": v.apply_ms,
                    "rollback_ms": v.rollback_ms,
                    "differences": v.differences,
                    "error": v.failure.error if v.failure else None,
                    "file": v.failure.file if v.failure else None,
                    "line": v.failure.line if v.failure else None,
                    "rows_lost": v.rows_lost,
                    "note": v.note,
                }
                for v in self.verdicts
            ],
            "seeds": [
                {
                    "file": str(s.path),
                    "ok": s.ok,
                    "execution_ms": s.execution_ms,
                    "error": s.failure.error if s.failure else None,
                    "line": s.failure.line if s.failure else None,
                }
                for s in self.seeds
            ],
            "end_state_problems": self.end_state_problems,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TestReport:
        """The report `to_dict` gave (read back from `pgship test --report`); KeyError,
        TypeError or ValueError when it is not one."""
        verdicts = []
        for item in data["migrations"]:
            failure = None
            if item.get("error") is not None:
                failure = Failure(str(item["error"]), file=item.get("file"), line=item.get("line"))
            verdicts.append(
                Verdict(
                    version=int(item["version"]),
                    name=str(item["name"]),
                    verdict=str(item["verdict"]),
                    apply_ms=item.get("apply_ms"),
                    rollback_ms=item.get("rollback_ms"),
                    differences=[str(d) for d in item.get("differences") or []],
                    failure=failure,
                    rows_lost={str(k): int(v) for k, v in (item.get("rows_lost") or {}).items()},
                    note=str(item.get("note") or ""),
                )
            )
        seeds = [
            SeedResult(
                Path(str(seed["file"])),
                int(seed.get("execution_ms") or 0),
                Failure(str(seed["error"]), file=str(seed["file"]), line=seed.get("line"))
                if seed.get("error") is not None
                else None,
            )
            for seed in data.get("seeds") or []
        ]
        return cls(
            server=str(data["server"]),
            verdicts=verdicts,
            seeds=seeds,
            end_state_problems=[str(p) for p in data.get("end_state_problems") or []],
            with_data=bool(data.get("with_data")),
            duration_ms=int(data.get("duration_ms") or 0),
        )


class RoundTrip:
    """Runs the test on databases of one throwaway server."""

    def __init__(self, settings: Settings, server: Throwaway, log: Log) -> None:
        self.settings = settings
        self.server = server
        self.log = log
        self.context = RunContext.from_environment("test")
        self.conn: Connection | None = None
        self.applier: Applier | None = None

    def run(self, migrations: list[Migration], *, with_data: bool) -> TestReport:
        started = time.monotonic()
        self._use_new_database()
        verdicts = [Verdict(m.version, m.stem) for m in migrations]
        try:
            for number, (migration, verdict) in enumerate(zip(migrations, verdicts, strict=True)):
                self.log(f"Testing {migration.stem} ...")
                if not self._round_trip(migration, verdict):
                    for later in verdicts[number + 1 :]:
                        later.note = f"not run: {migration.stem} failed"
                    break
                if verdict.verdict == ROLLBACK_FAILED or verdict.note.startswith("re-applying"):
                    self._rebuild(migrations[: number + 1])
            seeds: list[SeedResult] = []
            problems: list[str] = []
            if all(v.verdict != MIGRATION_FAILED for v in verdicts):
                seeds = run_seeds(
                    self._runner(), seed_scripts(self.settings.seeds_dir, required=False)
                )
                problems = self._end_state_problems(migrations)
                if with_data and all(s.ok for s in seeds):
                    self._count_lost_rows(migrations, verdicts)
        finally:
            if self.conn is not None:
                self.conn.close()
        return TestReport(
            server=self.server.description,
            verdicts=verdicts,
            seeds=seeds,
            end_state_problems=problems,
            with_data=with_data,
            duration_ms=round((time.monotonic() - started) * 1000),
        )

    def _round_trip(self, migration: Migration, verdict: Verdict) -> bool:
        """Apply, roll back, compare, re-apply. False when the migration itself failed."""
        conn, applier = self._current()
        before = take_fingerprint(conn)
        try:
            verdict.apply_ms = applier.apply(migration).execution_ms
        except MigrationFailed as exc:
            verdict.verdict, verdict.failure = MIGRATION_FAILED, exc.failure
            return False
        if migration.rollback is None:
            verdict.verdict = ROLLBACK_MISSING
            verdict.note = f"no rollbacks/{migration.stem}_rollback.sql"
            return True
        try:
            verdict.rollback_ms = applier.roll_back(migration).execution_ms
        except MigrationFailed as exc:
            verdict.verdict, verdict.failure = ROLLBACK_FAILED, exc.failure
            return True
        verdict.differences = diff_fingerprints(before, take_fingerprint(conn))
        verdict.verdict = ROLLBACK_DIFFERS if verdict.differences else OK
        try:
            applier.apply(migration)
        except MigrationFailed as exc:
            error = exc.failure.error if exc.failure else str(exc)
            verdict.note = f"re-applying after the rollback failed: {error.splitlines()[0]}"
            if verdict.verdict == OK:
                verdict.verdict, verdict.failure = MIGRATION_FAILED, exc.failure
        return True

    def _rebuild(self, migrations: list[Migration]) -> None:
        """A fresh database with `migrations` applied, after a round trip left a mess."""
        self.log("Rebuilding the test database to carry on ...")
        self._use_new_database()
        _, applier = self._current()
        for migration in migrations:
            applier.apply(migration)

    def _count_lost_rows(self, migrations: list[Migration], verdicts: list[Verdict]) -> None:
        """With the seeds loaded, roll back newest first and count the rows that disappear."""
        conn, applier = self._current()
        for migration, verdict in reversed(list(zip(migrations, verdicts, strict=True))):
            if migration.rollback is None or verdict.verdict == ROLLBACK_FAILED:
                break
            before = _row_counts(conn)
            applier.roll_back(migration)
            after = _row_counts(conn)
            verdict.rows_lost = {
                table: count - after.get(table, 0)
                for table, count in before.items()
                if count > after.get(table, 0)
            }

    def _end_state_problems(self, migrations: list[Migration]) -> list[str]:
        conn, _ = self._current()
        applied = {v for v, row in history.read_history(conn).items() if row.status == "applied"}
        problems = [
            f"{m.stem} is not applied at the end" for m in migrations if m.version not in applied
        ]
        for (name,) in conn.execute(
            "SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid ORDER BY 1"
        ).fetchall():
            problems.append(f"index {name} is INVALID (a CREATE INDEX CONCURRENTLY failed?)")
        return problems

    def _use_new_database(self) -> None:
        if self.conn is not None:
            self.conn.close()
        url = self.server.create_database()
        settings = dataclasses.replace(self.settings, database_url=url)
        self.conn = connect(url, application_name="pgship test")
        history.ensure_history(self.conn)
        self.applier = Applier(settings, self.conn, self.context, _quiet, watch_blockers=False)

    def _current(self) -> tuple[Connection, Applier]:
        assert self.conn is not None and self.applier is not None
        return self.conn, self.applier

    def _runner(self) -> Runner:
        conn, _ = self._current()
        s = self.settings
        return Runner(conn, Timeouts(s.lock_timeout_ms, s.statement_timeout_ms, 0), self.log)


def _row_counts(conn: Connection) -> dict[str, int]:
    """Exact row counts of every user table (the test database is small)."""
    tables = conn.execute(
        "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema',"
        " 'pgship') AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1"
    ).fetchall()
    counts = {}
    for (name,) in tables:
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.SQL(name))).fetchone()
        counts[name] = int(row[0]) if row else 0
    return counts


def _quiet(_: str) -> None:
    pass
