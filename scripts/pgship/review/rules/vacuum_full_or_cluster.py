"""VACUUM FULL or CLUSTER: rewrites the whole table under an ACCESS EXCLUSIVE lock.

Anti-pattern:

    VACUUM FULL payouts;
    VACUUM (FULL, ANALYZE) payouts;
    CLUSTER payouts USING payouts_creator_id_idx;

Both copy every live row into a new file and rebuild every index while holding an ACCESS
EXCLUSIVE lock: no reads or writes until they finish, which takes minutes to hours on a big
table, and they need free disk space for a full second copy. Without a table name they do
this to every table of the database (every previously clustered table for CLUSTER). VACUUM,
and CLUSTER without a table, also cannot run inside a transaction block, so in a migration
pgship runs in a transaction they fail.

Safe alternative: keep table maintenance out of schema migrations.

- To reclaim space after a large DELETE, a plain VACUUM (no FULL) makes the space reusable
  without blocking reads or writes; autovacuum does it on its own.
- To shrink a bloated table or re-order it, use an online tool from a maintenance job:
  pg_repack (`pg_repack --table payouts`, `--order-by`) or pg_squeeze, which copy the table
  while writes go on and take the ACCESS EXCLUSIVE lock only for a moment at the end.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.helpers import ACCESS_EXCLUSIVE
from pgship.review.locks import has_option
from pgship.review.model import Hit
from pgship.review.nodes import children, table_ref
from pgship.review.parse import Statement

ID = "vacuum-full-or-cluster"
SEVERITY = "error"
NODES = ("VacuumStmt", "ClusterStmt")

_ONLINE = (
    "-- not in a migration: from a maintenance job, online\n"
    "pg_repack --table {table}{order}   -- or pg_squeeze\n"
    "-- to make space reusable after a big DELETE, a plain (non-blocking) VACUUM is enough:\n"
    "VACUUM {table};"
)


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    node = statement.node
    if statement.kind == "VacuumStmt":
        if not node.get("is_vacuumcmd") or not has_option(node, "options", "full"):
            return
        tables = [
            table_ref(rel.get("relation", {})) for rel in children(node, "VacuumRelation", "rels")
        ]
        if tables and all(context.is_new_table(table) for table in tables):
            return
        what = ", ".join(map(str, tables)) or "every table of the database"
        command, order = "VACUUM FULL", ""
    else:
        relation = node.get("relation")
        table = table_ref(relation) if relation else None
        if table is not None and context.is_new_table(table):
            return
        what = str(table) if table else "every clustered table of the database"
        command = "CLUSTER"
        order = f" --order-by <{node['indexname']} columns>" if node.get("indexname") else ""
    failing = (
        " It also cannot run inside a transaction block, so this migration would fail."
        if context.in_transaction and (command == "VACUUM FULL" or "relation" not in node)
        else ""
    )
    yield Hit(
        f"{command} rewrites {what} under an ACCESS EXCLUSIVE lock: no reads or writes "
        f"until it finishes.{failing}",
        _ONLINE.format(
            table=what if "," not in what and " " not in what else "<table>", order=order
        ),
        ACCESS_EXCLUSIVE,
    )
