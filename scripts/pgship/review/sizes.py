"""Table sizes for lock and rewrite findings, when the review has a database URL.

"CREATE INDEX without CONCURRENTLY blocks writes to payouts" means little until it says how
big payouts is. For each finding that names a lock, `annotate` looks the table up in the
target database's catalog (an index: the table it belongs to; a partitioned table: the sum of
its partitions) and appends e.g. "payouts: ~12M rows, 3.1 GB." to the message. The row count
is the planner's estimate (pg_class.reltuples, kept by VACUUM and ANALYZE), the size
pg_total_relation_size (table, indexes and TOAST). Nothing is locked: it reads the catalog.
Tables the database does not have yet (created by a pending migration) are left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from pgship.review.model import Finding, LockTarget

if TYPE_CHECKING:
    from pgship.db import Connection

# One row per wanted relation: its position, the table's name as the server shows it, the
# estimated rows (NULL when never counted) and the total size in bytes.
_QUERY = """
WITH wanted AS (
    SELECT w.n, CASE WHEN w.is_index
                     THEN (SELECT i.indrelid FROM pg_index i
                           WHERE i.indexrelid = to_regclass(w.name))
                     ELSE to_regclass(w.name) END AS oid
    FROM unnest(%s::text[], %s::bool[]) WITH ORDINALITY AS w(name, is_index, n)
)
SELECT w.n, w.oid::regclass::text,
       CASE WHEN bool_or(c.reltuples < 0) THEN NULL ELSE sum(c.reltuples) END,
       sum(pg_total_relation_size(c.oid))
FROM wanted w
JOIN {tree} AS t(relid) ON true
JOIN pg_class c ON c.oid = t.relid AND c.relkind IN ('r', 'm', 't')
WHERE w.oid IS NOT NULL
GROUP BY w.n, w.oid
"""
# a partitioned table: its partitions (pg_partition_tree lists nothing for other tables)
_TREE_12 = "LATERAL (SELECT relid FROM pg_partition_tree(w.oid) UNION SELECT w.oid)"
_TREE_OLD = "LATERAL (SELECT w.oid)"


@dataclass(frozen=True)
class TableSize:
    table: str  # as the server shows it (schema-qualified when not on the search_path)
    rows: float | None  # estimate; None when the table was never vacuumed or analyzed
    bytes: int

    def describe(self) -> str:
        """E.g. "payouts: ~12M rows, 3.1 GB"."""
        if self.bytes == 0:
            return f"{self.table}: empty"
        if self.rows is None:
            return f"{self.table}: rows not counted yet (never analyzed), {human_bytes(self.bytes)}"
        return f"{self.table}: ~{human_count(self.rows)} rows, {human_bytes(self.bytes)}"


def table_sizes(conn: Connection, targets: list[LockTarget]) -> dict[LockTarget, TableSize]:
    """The size of each target's table that exists in the database."""
    if not targets:
        return {}
    tree = _TREE_12 if conn.info.server_version >= 120000 else _TREE_OLD
    names = [_regclass_text(target) for target in targets]
    indexes = [target.index for target in targets]
    rows = conn.execute(_QUERY.replace("{tree}", tree), (names, indexes)).fetchall()
    found = {}
    for number, table, estimate, size in rows:
        found[targets[number - 1]] = TableSize(
            table, None if estimate is None else float(estimate), int(size)
        )
    return found


def annotate(findings: list[Finding], conn: Connection) -> list[Finding]:
    """The findings, each lock finding with its table's size appended to the message."""
    targets = sorted(
        {f.target for f in findings if f.target is not None and f.lock},
        key=lambda target: (target.schema or "", target.name, target.index),
    )
    sizes = table_sizes(conn, targets)
    result = []
    for finding in findings:
        size = sizes.get(finding.target) if finding.target is not None and finding.lock else None
        if size is not None:
            finding = replace(finding, message=f"{finding.message} {size.describe()}.")
        result.append(finding)
    return result


def human_count(value: float) -> str:
    """12_345_678 -> "12M", 1_234 -> "1.2k", 840 -> "840"."""
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if value >= limit:
            scaled = value / limit
            return f"{scaled:.1f}{suffix}" if scaled < 10 else f"{scaled:.0f}{suffix}"
    return f"{value:.0f}"


def human_bytes(value: int) -> str:
    """Like pg_size_pretty, with one decimal under 10: 3_328_599_654 -> "3.1 GB"."""
    size = float(value)
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            if unit == "bytes":
                return f"{value} bytes"
            return f"{size:.1f} {unit}" if size < 10 else f"{size:.0f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def _regclass_text(target: LockTarget) -> str:
    """A relation name as to_regclass() reads it: each part quoted as the parser left it."""
    parts = [target.schema, target.name] if target.schema else [target.name]
    return ".".join('"' + part.replace('"', '""') + '"' for part in parts)
