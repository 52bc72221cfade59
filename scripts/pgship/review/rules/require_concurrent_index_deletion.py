"""DROP INDEX without CONCURRENTLY.

Anti-pattern:

    DROP INDEX payouts_status_idx;

DROP INDEX takes an ACCESS EXCLUSIVE lock on the index's table. The drop itself is quick, but
while it waits for running queries to finish, every new query on the table queues behind it.

Safe alternative: drop it CONCURRENTLY, one index per statement and without CASCADE, in a
migration file of its own marked `-- pgship:no-transaction`:

    -- pgship:no-transaction
    DROP INDEX CONCURRENTLY IF EXISTS payouts_status_idx;

Not reported for an index this file created on a table this file created.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.helpers import ACCESS_EXCLUSIVE, ident
from pgship.review.model import Hit
from pgship.review.nodes import children, strings
from pgship.review.parse import Statement

ID = "require-concurrent-index-deletion"
SEVERITY = "warning"
NODES = ("DropStmt",)


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    node = statement.node
    if node.get("removeType") != "OBJECT_INDEX" or node.get("concurrent"):
        return
    names = [strings(item.get("items")) for item in children(node, "List", "objects")]
    if names and all(_is_new(name, context) for name in names):
        return
    exists = " IF EXISTS" if node.get("missing_ok") else ""
    drops = "\n".join(
        f"DROP INDEX CONCURRENTLY{exists} {'.'.join(map(ident, name))};" for name in names
    )
    yield Hit(
        "DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table: queries "
        "queue behind it while it waits.",
        f"-- pgship:no-transaction   (in a migration file of its own)\n{drops}",
        ACCESS_EXCLUSIVE,
    )


def _is_new(name: list[str], context: Context) -> bool:
    table = context.index_table(name[-1]) if name else None
    return table is not None and context.is_new_table(table)
