"""ALTER TABLE ... DETACH PARTITION without CONCURRENTLY (PostgreSQL 14+).

Anti-pattern:

    ALTER TABLE events DETACH PARTITION events_2023;

A plain DETACH PARTITION takes an ACCESS EXCLUSIVE lock on the partitioned table: every query
on any partition waits while it queues for the lock.

Safe alternative (PostgreSQL 14+): detach CONCURRENTLY (a SHARE UPDATE EXCLUSIVE lock on the
parent), in a migration file of its own marked `-- pgship:no-transaction`:

    -- pgship:no-transaction
    ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY;

It cannot be used when the table has a default partition. If it is interrupted, finish it
with `ALTER TABLE events DETACH PARTITION events_2023 FINALIZE`. Not reported before
PostgreSQL 14, which has no concurrent form.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.helpers import ACCESS_EXCLUSIVE, existing_table, qualified
from pgship.review.model import Hit
from pgship.review.nodes import alter_commands, table_ref
from pgship.review.parse import Statement

ID = "require-concurrent-detach-partition"
SEVERITY = "warning"
NODES = ("AlterTableStmt",)
SUBTYPES = ("AT_DetachPartition",)


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    table = existing_table(statement, context)
    if table is None or context.pg_version < 14:
        return
    for command in alter_commands(statement.node):
        partition = command.get("def", {}).get("PartitionCmd")
        if command.get("subtype") != "AT_DetachPartition" or partition is None:
            continue
        if partition.get("concurrent"):
            continue
        child = table_ref(partition.get("name", {}))
        yield Hit(
            f"DETACH PARTITION without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on {table}: "
            "queries on every partition queue behind it.",
            "-- pgship:no-transaction   (in a migration file of its own)\n"
            f"ALTER TABLE {qualified(table)} DETACH PARTITION {qualified(child)} CONCURRENTLY;",
            ACCESS_EXCLUSIVE,
            partition.get("name", {}).get("location"),
        )
