"""`pgship health`: is the database fit after (or before) a deploy? Each check says ok, warn or fail.

Checks: connection and round-trip latency, server version, pending migrations, checksum drift,
invalid indexes, connections in use against max_connections, long-running queries,
idle-in-transaction sessions, sessions waiting on locks, replication lag, database size.
Thresholds have defaults, pgship.yml `health:` values and `--threshold key=value` overrides.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pgship.config import Settings
from pgship.durations import format_duration_ms, parse_duration_ms
from pgship.errors import ConfigError, PgshipError

OK, WARN, FAIL = "ok", "warn", "fail"
_RANK = {OK: 0, WARN: 1, FAIL: 2}

# key -> (kind, default); the kind says how a value is written: duration, percent, size, version.
THRESHOLDS: dict[str, tuple[str, str]] = {
    "latency_warn": ("duration", "100ms"),
    "latency_fail": ("duration", "2s"),
    "connections_warn": ("percent", "80"),
    "connections_fail": ("percent", "95"),
    "long_query_warn": ("duration", "5min"),
    "long_query_fail": ("duration", "30min"),
    "idle_in_transaction_warn": ("duration", "1min"),
    "idle_in_transaction_fail": ("duration", "10min"),
    "lock_wait_warn": ("duration", "10s"),
    "lock_wait_fail": ("duration", "2min"),
    "replication_lag_warn": ("duration", "30s"),
    "replication_lag_fail": ("duration", "5min"),
    "database_size_warn": ("size", "off"),
    "database_size_fail": ("size", "off"),
    "min_server_version": ("version", "14"),
}
_SIZE_UNITS = {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3, "tb": 1024**4}


@dataclass(frozen=True)
class Check:
    """One check's verdict, its number (in `unit`), and a sentence for people."""

    name: str
    status: str
    value: float | int | None
    unit: str
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "value": self.value,
            "unit": self.unit,
            "detail": self.detail,
        }


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)

    @property
    def status(self) -> str:
        return max((c.status for c in self.checks), key=_RANK.__getitem__, default=OK)

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for c in self.checks if c.status == s) for s in (OK, WARN, FAIL)}

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "counts": self.counts(),
            "checks": [c.to_dict() for c in self.checks],
        }


def load_thresholds(settings: Settings, overrides: list[str]) -> dict[str, float]:
    """Defaults < pgship.yml `health:` < `--threshold key=value`; 0 / off disables a level."""
    config = settings.raw_config.get("health") or {}
    where = f"{settings.config_file or 'pgship.yml'}: health"
    if not isinstance(config, dict):
        raise ConfigError(
            f"{where} must map threshold names to values, e.g. `connections_warn: 70`."
        )
    values: dict[str, str] = {key: default for key, (_, default) in THRESHOLDS.items()}
    sources: dict[str, str] = {}
    for key, value in config.items():
        values[_known(str(key), where)] = str(value)
        sources[str(key)] = f"{where}.{key}"
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(
                f"--threshold {item!r} is not key=value.",
                hint="e.g. --threshold connections_warn=70",
            )
        values[_known(key.strip(), "--threshold")] = value.strip()
        sources[key.strip()] = f"--threshold {key.strip()}"
    parsed = {}
    for key, text in values.items():
        try:
            parsed[key] = _parse(THRESHOLDS[key][0], text)
        except ValueError as exc:
            raise ConfigError(f"{sources.get(key, key)}: {exc}") from None
    return parsed


def _known(key: str, where: str) -> str:
    if key not in THRESHOLDS:
        raise ConfigError(
            f"{where}: unknown threshold {key!r}.", hint=f"Known: {', '.join(THRESHOLDS)}."
        )
    return key


def _parse(kind: str, text: str) -> float:
    """A threshold in its unit: ms for durations, percent, bytes for sizes, a major version."""
    value = text.strip().lower()
    if kind == "duration":
        return float(parse_duration_ms(value))
    if kind == "percent":
        number = float(value.rstrip("%").strip())
        if not 0 <= number <= 100:
            raise ValueError(f"{text!r} is not a percentage between 0 and 100")
        return number
    if kind == "size":
        if value in ("off", "none", "0"):
            return 0.0
        match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([kmgt]?b)?", value)
        if not match:
            raise ValueError(f"{text!r} is not a size: write e.g. 500MB, 20GB (or off)")
        return float(match.group(1)) * _SIZE_UNITS[match.group(2) or "b"]
    if not value.isdigit():
        raise ValueError(f"{text!r} is not a PostgreSQL major version, e.g. 14")
    return float(value)


def _grade(value: float, warn: float, fail: float) -> str:
    """fail/warn when over a threshold; a threshold of 0 is off."""
    if fail and value >= fail:
        return FAIL
    if warn and value >= warn:
        return WARN
    return OK


CheckFunction = Callable[[Any, dict[str, float]], list[Check]]


def run_checks(
    settings: Settings, thresholds: dict[str, float], *, after_deploy: bool = False
) -> Report:
    """Connect once (bounded by a statement timeout) and run every check."""
    from pgship.db import connect

    url = settings.require_database_url()
    report = Report()
    started = time.perf_counter()
    try:
        conn = connect(url, application_name="pgship health", connect_timeout=10)
    except PgshipError as exc:
        report.checks.append(Check("connection", FAIL, None, "ms", exc.message))
        return report
    connect_ms = (time.perf_counter() - started) * 1000
    checks: list[tuple[tuple[str, ...], CheckFunction]] = [
        (("connection",), lambda c, t: [_connection(c, t, url.display(), connect_ms)]),
        (("server_version",), lambda c, t: [_server_version(c, t)]),
        (
            ("pending_migrations", "checksum_drift"),
            lambda c, t: _migrations(c, settings, after_deploy),
        ),
        (("invalid_indexes",), lambda c, t: [_invalid_indexes(c, t)]),
        (("connections",), lambda c, t: [_connections(c, t)]),
        (("long_running_queries",), lambda c, t: [_long_queries(c, t)]),
        (("idle_in_transaction",), lambda c, t: [_idle_in_transaction(c, t)]),
        (("lock_waits",), lambda c, t: [_lock_waits(c, t)]),
        (("replication_lag",), lambda c, t: [_replication_lag(c, t)]),
        (("database_size",), lambda c, t: [_database_size(c, t)]),
    ]
    with conn:
        conn.execute("SET statement_timeout = '15s'")
        conn.execute("SET lock_timeout = '2s'")
        for names, check in checks:
            report.checks += _safely(names, check, conn, thresholds)
    return report


def _safely(
    names: tuple[str, ...], check: CheckFunction, conn: Any, thresholds: dict[str, float]
) -> list[Check]:
    """A check that cannot run (permissions, a timeout) warns instead of stopping the others."""
    import psycopg

    try:
        return check(conn, thresholds)
    except PgshipError as exc:
        reason = exc.message
    except psycopg.Error as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return [Check(name, WARN, None, "", f"not checked: {reason}") for name in names]


def _connection(conn: Any, t: dict[str, float], where: str, connect_ms: float) -> Check:
    started = time.perf_counter()
    conn.execute("SELECT 1").fetchone()
    latency = round((time.perf_counter() - started) * 1000, 2)
    status = _grade(latency, t["latency_warn"], t["latency_fail"])
    return Check(
        "connection",
        status,
        latency,
        "ms",
        f"connected to {where} in {connect_ms:.0f} ms; SELECT 1 round trip {latency} ms",
    )


def _server_version(conn: Any, t: dict[str, float]) -> Check:
    number = int(conn.info.server_version)
    major = number // 10000
    text = conn.execute("SHOW server_version").fetchone()[0]
    minimum = int(t["min_server_version"])
    if minimum and major < minimum:
        return Check(
            "server_version",
            WARN,
            number,
            "",
            f"PostgreSQL {text}: major {major} is older than {minimum} (past or near end of life)",
        )
    return Check("server_version", OK, number, "", f"PostgreSQL {text}")


def _migrations(conn: Any, settings: Settings, after_deploy: bool) -> list[Check]:
    """Pending migrations and checksum drift, from one read of the files and the history."""
    from pgship.migrations import history
    from pgship.migrations.files import discover_migrations
    from pgship.migrations.state import CHANGED, FAILED, MISSING_FILE, compute_states

    try:
        migrations = discover_migrations(settings.migrations_dir, settings.rollbacks_dir)
    except PgshipError as exc:
        note = f"not checked: {exc.message}"
        return [
            Check("pending_migrations", WARN, None, "", note),
            Check("checksum_drift", WARN, None, "", note),
        ]
    states = compute_states(migrations, history.read_history(conn), history.last_failures(conn))
    pending = [s.label for s in states if s.is_pending]
    if not pending:
        pending_check = Check("pending_migrations", OK, 0, "", "the database is up to date")
    else:
        shown = ", ".join(pending[:5]) + (
            f" and {len(pending) - 5} more" if len(pending) > 5 else ""
        )
        pending_check = Check(
            "pending_migrations",
            FAIL if after_deploy else WARN,
            len(pending),
            "",
            f"{len(pending)} pending: {shown}"
            + (" (after a deploy there should be none)" if after_deploy else ""),
        )
    drifted = [
        f"{s.label} ({s.state})"
        for s in states
        if s.row is not None
        and s.state in (CHANGED, MISSING_FILE, FAILED)
        and s.row.status != "rolled_back"
    ]
    drift_check = (
        Check(
            "checksum_drift",
            FAIL,
            len(drifted),
            "",
            f"{len(drifted)} applied migration(s) do not match their files: {', '.join(drifted[:5])}",
        )
        if drifted
        else Check("checksum_drift", OK, 0, "", "every applied migration matches its file")
    )
    return [pending_check, drift_check]


def _invalid_indexes(conn: Any, t: dict[str, float]) -> Check:
    rows = conn.execute(
        """
        SELECT i.indexrelid::regclass::text,
               EXISTS (SELECT 1 FROM pg_stat_progress_create_index p
                       WHERE p.index_relid = i.indexrelid) AS building
        FROM pg_index i
        WHERE NOT i.indisvalid
        ORDER BY 1
        """
    ).fetchall()
    broken = [name for name, building in rows if not building]
    building = [name for name, building in rows if building]
    if broken:
        return Check(
            "invalid_indexes",
            FAIL,
            len(broken),
            "",
            f"INVALID: {', '.join(broken[:10])} (a failed CREATE INDEX CONCURRENTLY): drop each "
            "and build it again",
        )
    if building:
        return Check(
            "invalid_indexes",
            WARN,
            len(building),
            "",
            f"being built right now: {', '.join(building[:10])}",
        )
    return Check("invalid_indexes", OK, 0, "", "no invalid index")


def _connections(conn: Any, t: dict[str, float]) -> Check:
    used, limit, reserved = conn.execute(
        """
        SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'),
               current_setting('max_connections')::int,
               current_setting('superuser_reserved_connections')::int
        """
    ).fetchone()
    percent = round(100 * used / limit, 1) if limit else 0.0
    status = _grade(percent, t["connections_warn"], t["connections_fail"])
    return Check(
        "connections",
        status,
        percent,
        "%",
        f"{used} of max_connections {limit} in use ({reserved} reserved for superusers)",
    )


def _sessions_over(conn: Any, condition: str, since: str) -> list[tuple[int, float, str, str]]:
    """(pid, seconds, application, query) of this database's other sessions matching `condition`."""
    rows: list[tuple[int, float, str, str]] = conn.execute(
        f"""
        SELECT pid, extract(epoch FROM clock_timestamp() - {since})::float8,
               coalesce(application_name, ''), coalesce(query, '')
        FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()
          AND backend_type = 'client backend' AND {condition}
        ORDER BY 2 DESC
        """
    ).fetchall()
    return rows


def _span(seconds: float) -> str:
    """0.4s, 12s, 3min 5s, 2h 10min."""
    if seconds < 10:
        return f"{seconds:.1f}s"
    if seconds < 60:
        return f"{seconds:.0f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}min {secs}s" if secs else f"{minutes}min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes}min"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _session_list(rows: list[tuple[int, float, str, str]], limit: int = 3) -> str:
    parts = []
    for pid, seconds, application, query in rows[:limit]:
        first = (query.strip().splitlines() or [""])[0][:80]
        who = f" ({application})" if application else ""
        parts.append(f"pid {pid}{who} for {_span(seconds)}: {first}")
    more = f"; and {len(rows) - limit} more" if len(rows) > limit else ""
    return "; ".join(parts) + more


def _duration_check(
    name: str,
    rows: list[tuple[int, float, str, str]],
    warn: float,
    fail: float,
    what: tuple[str, str],
) -> Check:
    """Count the sessions over the lower enabled threshold; grade by the longest."""
    limit = min((x for x in (warn, fail) if x), default=0.0)
    over = [r for r in rows if limit and r[1] * 1000 >= limit]
    if not over:
        shown = f"over {format_duration_ms(int(limit))}" if limit else "(no threshold set)"
        return Check(name, OK, 0, "", f"no {what[0]} {shown}")
    longest = max(r[1] for r in over) * 1000
    return Check(
        name,
        _grade(longest, warn, fail),
        len(over),
        "",
        f"{len(over)} {what[len(over) != 1]} over {format_duration_ms(int(limit))}: "
        f"{_session_list(over)}",
    )


def _long_queries(conn: Any, t: dict[str, float]) -> Check:
    rows = _sessions_over(
        conn, "state = 'active' AND wait_event_type IS DISTINCT FROM 'Lock'", "query_start"
    )
    return _duration_check(
        "long_running_queries",
        rows,
        t["long_query_warn"],
        t["long_query_fail"],
        ("query running", "queries running"),
    )


def _idle_in_transaction(conn: Any, t: dict[str, float]) -> Check:
    rows = _sessions_over(
        conn, "state IN ('idle in transaction', 'idle in transaction (aborted)')", "state_change"
    )
    return _duration_check(
        "idle_in_transaction",
        rows,
        t["idle_in_transaction_warn"],
        t["idle_in_transaction_fail"],
        ("session idle in transaction", "sessions idle in transaction"),
    )


def _lock_waits(conn: Any, t: dict[str, float]) -> Check:
    rows = conn.execute(
        """
        SELECT pid, extract(epoch FROM clock_timestamp() - coalesce(query_start, state_change))::float8,
               coalesce(application_name, ''), coalesce(query, ''), pg_blocking_pids(pid)
        FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'
        ORDER BY 2 DESC
        """
    ).fetchall()
    if not rows:
        return Check("lock_waits", OK, 0, "", "no session is waiting on a lock")
    warn, fail = t["lock_wait_warn"], t["lock_wait_fail"]
    longest = max(r[1] for r in rows) * 1000
    blockers = sorted({pid for r in rows for pid in (r[4] or [])})
    sessions = _session_list([(r[0], r[1], r[2], r[3]) for r in rows])
    status = _grade(longest, warn, fail)
    return Check(
        "lock_waits",
        status,
        len(rows),
        "",
        f"{_plural(len(rows), 'session')} waiting on a lock (longest {_span(longest / 1000)}),"
        f" blocked by pid {', '.join(map(str, blockers)) or '?'}: {sessions}",
    )


def _replication_lag(conn: Any, t: dict[str, float]) -> Check:
    warn, fail = t["replication_lag_warn"], t["replication_lag_fail"]
    in_recovery = conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]
    if in_recovery:
        lag, receiving = conn.execute(
            """
            SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                        ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END::float8,
                   pg_last_wal_receive_lsn() IS NOT NULL
            """
        ).fetchone()
        seconds = round(float(lag or 0.0), 3)
        status = _grade(seconds * 1000, warn, fail)
        source = "streaming" if receiving else "not receiving WAL"
        return Check(
            "replication_lag",
            status,
            seconds,
            "s",
            f"replica ({source}): replay is {format_duration_ms(round(seconds * 1000))} behind",
        )
    rows = conn.execute(
        "SELECT coalesce(application_name, client_addr::text, '?'),"
        " coalesce(extract(epoch FROM replay_lag), 0)::float8 FROM pg_stat_replication"
    ).fetchall()
    if not rows:
        return Check("replication_lag", OK, 0, "s", "primary with no streaming replica")
    name, seconds = max(rows, key=lambda r: r[1])
    status = _grade(seconds * 1000, warn, fail)
    return Check(
        "replication_lag",
        status,
        round(seconds, 3),
        "s",
        f"primary with {len(rows)} replica(s); the furthest behind ({name}) replays "
        f"{format_duration_ms(round(seconds * 1000))} late",
    )


def _database_size(conn: Any, t: dict[str, float]) -> Check:
    name, size, pretty = conn.execute(
        "SELECT current_database(), pg_database_size(current_database()),"
        " pg_size_pretty(pg_database_size(current_database()))"
    ).fetchone()
    status = _grade(float(size), t["database_size_warn"], t["database_size_fail"])
    limits = [
        f"{label} at {_bytes(t[key])}"
        for label, key in (("warn", "database_size_warn"), ("fail", "database_size_fail"))
        if t[key]
    ]
    shown = f" ({', '.join(limits)})" if limits else ""
    return Check("database_size", status, int(size), "bytes", f"{name} is {pretty}{shown}")


_ICONS = {OK: "✅", WARN: "⚠️", FAIL: "❌"}


def format_value(check: Check) -> str:
    """The number with its unit, for people."""
    value = check.value
    if value is None:
        return "-"
    if check.unit == "bytes":
        return _bytes(float(value))
    if check.unit == "%":
        return f"{value}%"
    return f"{value} {check.unit}".strip()


def text(report: Report, target: str) -> str:
    from pgship.render import table

    rows = [[c.name, c.status, format_value(c), c.detail] for c in report.checks]
    counts = report.counts()
    summary = f"{target}: {counts[OK]} ok, {counts[WARN]} warn, {counts[FAIL]} fail."
    return f"{table(['check', 'status', 'value', 'details'], rows)}\n\n{summary}"


def markdown(report: Report, target: str) -> str:
    """The GitHub step summary: one table row per check."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    counts = report.counts()
    lines = [
        f"### pgship health: {_ICONS[report.status]} {report.status}",
        "",
        f"`{cell(target)}`: {counts[OK]} ok, {counts[WARN]} warn, {counts[FAIL]} fail",
        "",
        "| check | status | value | details |",
        "| --- | --- | --- | --- |",
    ]
    lines += [
        f"| {c.name} | {_ICONS[c.status]} {c.status} | {cell(format_value(c))} | {cell(c.detail)} |"
        for c in report.checks
    ]
    return "\n".join(lines) + "\n\n"


def _bytes(size: float) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"
