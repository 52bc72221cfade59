"""CREATE INDEX without CONCURRENTLY on a table that already exists.

Anti-pattern:

    CREATE INDEX payouts_status_idx ON payouts (status);

A plain CREATE INDEX holds a SHARE lock on the table for the whole build: reads go on, but
every INSERT, UPDATE and DELETE waits until the index is built, which takes minutes on a big
table. Not reported for a table created earlier in the same file (it is empty).

Safe alternative: build it CONCURRENTLY (a SHARE UPDATE EXCLUSIVE lock: writes go on), in a
migration file of its own marked `-- pgship:no-transaction` (CONCURRENTLY cannot run inside a
transaction block):

    -- pgship:no-transaction
    CREATE INDEX CONCURRENTLY IF NOT EXISTS payouts_status_idx ON payouts (status);

If a concurrent build fails it leaves an INVALID index behind: drop it (DROP INDEX
CONCURRENTLY) and run the migration again. On a partitioned table, create the index ON ONLY
the parent, build each partition's index CONCURRENTLY, then ALTER INDEX ... ATTACH PARTITION.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.helpers import SHARE, with_keyword
from pgship.review.model import Hit
from pgship.review.nodes import table_ref
from pgship.review.parse import Statement

ID = "require-concurrent-index-creation"
SEVERITY = "error"
NODES = ("IndexStmt",)


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    node = statement.node
    relation = node.get("relation", {})
    table = table_ref(relation)
    if node.get("concurrent") or context.is_new_table(table):
        return
    if not relation.get("inh"):  # ON ONLY: a partitioned parent's index, built per partition
        return
    concurrent = with_keyword(statement.text, r"^CREATE\s+(UNIQUE\s+)?INDEX", "CONCURRENTLY")
    yield Hit(
        f"CREATE INDEX without CONCURRENTLY blocks writes to {table} (SHARE lock) for the "
        "whole index build.",
        "-- pgship:no-transaction   (in a migration file of its own)\n"
        f"{concurrent or 'CREATE INDEX CONCURRENTLY ...'};",
        SHARE,
    )
