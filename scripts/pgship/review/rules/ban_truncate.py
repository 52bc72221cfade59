"""TRUNCATE of an existing table: every row is gone, under an ACCESS EXCLUSIVE lock.

Anti-pattern:

    TRUNCATE audit_log;

All rows are deleted at once, and nothing but a backup brings them back. TRUNCATE waits for
an ACCESS EXCLUSIVE lock (every query on the table queues behind it), and it is not
MVCC-safe: a transaction that started before it and reads the table afterwards sees it empty.
(With CASCADE it also empties other tables: see `ban-truncate-cascade`.)

Safe alternative: delete the rows that must go, in batches, in a job outside the schema
migration; or, if the table is obsolete, stop using it and drop it later (`ban-drop-table`):

    DELETE FROM audit_log WHERE occurred_at < now() - interval '1 year';

If emptying the table is really the point (a staging or cache table), say so:
`-- pgship:ignore ban-truncate <reason>`. Not reported for tables created earlier in the same
file.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.helpers import ACCESS_EXCLUSIVE
from pgship.review.model import Hit
from pgship.review.nodes import TableRef, children, table_ref
from pgship.review.objects import is_new_table_here
from pgship.review.parse import Statement

ID = "ban-truncate"
SEVERITY = "warning"
NODES = ("TruncateStmt",)


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    if statement.node.get("behavior") == "DROP_CASCADE":
        return  # ban-truncate-cascade
    tables = truncated_tables(statement, context)
    if not tables:
        return
    names = ", ".join(map(str, tables))
    yield Hit(
        f"TRUNCATE deletes every row of {names} under an ACCESS EXCLUSIVE lock; only a backup "
        "brings them back.",
        "-- delete only the rows that must go, in batches, outside the schema migration:\n"
        f"DELETE FROM {tables[0]} WHERE <condition>;\n"
        f"-- or, if emptying it is the point: -- pgship:ignore {ID} <why>",
        ACCESS_EXCLUSIVE,
    )


def truncated_tables(statement: Statement, context: Context) -> list[TableRef]:
    """The tables a TRUNCATE empties, without those created earlier in the file."""
    tables = [table_ref(r) for r in children(statement.node, "RangeVar", "relations")]
    return [table for table in tables if not is_new_table_here(context, table)]
