"""REINDEX without CONCURRENTLY.

Anti-pattern:

    REINDEX INDEX payouts_status_idx;
    REINDEX TABLE payouts;

A plain REINDEX blocks writes to the table (SHARE lock) and takes an ACCESS EXCLUSIVE lock on
each index it rebuilds, so queries that would use the index wait too, for the whole rebuild.

Safe alternative (PostgreSQL 12+): REINDEX CONCURRENTLY, in a migration file of its own
marked `-- pgship:no-transaction`:

    -- pgship:no-transaction
    REINDEX INDEX CONCURRENTLY payouts_status_idx;

Before PostgreSQL 12: build a copy with CREATE INDEX CONCURRENTLY, drop the old index with
DROP INDEX CONCURRENTLY, then rename the copy (ALTER INDEX ... RENAME TO ...).
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.helpers import ACCESS_EXCLUSIVE, with_keyword
from pgship.review.model import Hit
from pgship.review.nodes import Node, children
from pgship.review.parse import Statement

ID = "require-concurrent-reindex"
SEVERITY = "error"
NODES = ("ReindexStmt",)


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    node = statement.node
    if is_concurrent(node) or node.get("kind") == "REINDEX_OBJECT_SYSTEM":
        return
    if context.pg_version >= 12:
        concurrent = with_keyword(
            statement.text,
            r"^REINDEX\s+(\([^)]*\)\s*)?(INDEX|TABLE|SCHEMA|DATABASE)",
            "CONCURRENTLY",
        )
        fix = (
            "-- pgship:no-transaction   (in a migration file of its own)\n"
            f"{concurrent or 'REINDEX ... CONCURRENTLY ...'};"
        )
    else:
        fix = (
            "-- pgship:no-transaction   (in a migration file of its own)\n"
            "CREATE INDEX CONCURRENTLY <name>_new ON <table> (<same definition>);\n"
            "DROP INDEX CONCURRENTLY <name>;\n"
            "ALTER INDEX <name>_new RENAME TO <name>;"
        )
    yield Hit(
        "REINDEX without CONCURRENTLY blocks writes to the table and reads through the index "
        "for the whole rebuild.",
        fix,
        ACCESS_EXCLUSIVE,
    )


def is_concurrent(node: Node) -> bool:
    """Whether a ReindexStmt has the CONCURRENTLY option."""
    return any(
        param.get("defname") == "concurrently" for param in children(node, "DefElem", "params")
    )
