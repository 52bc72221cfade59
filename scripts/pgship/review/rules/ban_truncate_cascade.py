"""TRUNCATE ... CASCADE: it also empties every table that references the truncated ones.

Anti-pattern:

    TRUNCATE creators CASCADE;

Besides `creators`, PostgreSQL empties every table with a foreign key to it (payouts,
project_assignments, ...), and every table referencing those, recursively; none of them is
named in the migration. Every row of all of them is gone, and each table is ACCESS
EXCLUSIVE-locked until the transaction ends.

Safe alternative: name every table you mean to empty, without CASCADE: PostgreSQL then refuses
if another table still references one of them, and tells you which:

    TRUNCATE payouts, project_assignments, creators;

Better still, delete only the rows that must go, in batches, outside the schema migration
(see `ban-truncate`). Not reported when every table named was created earlier in the same file.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.helpers import ACCESS_EXCLUSIVE
from pgship.review.model import Hit
from pgship.review.parse import Statement
from pgship.review.rules.ban_truncate import truncated_tables

ID = "ban-truncate-cascade"
SEVERITY = "error"
NODES = ("TruncateStmt",)


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    if statement.node.get("behavior") != "DROP_CASCADE":
        return
    tables = truncated_tables(statement, context)
    if not tables:
        return
    names = ", ".join(map(str, tables))
    yield Hit(
        f"TRUNCATE {names} CASCADE also empties every table that references "
        f"{'it' if len(tables) == 1 else 'them'}, recursively, and none of those is named.",
        "-- name every table to empty, without CASCADE (PostgreSQL refuses while another "
        "table references one):\n"
        f"TRUNCATE {names}, <the tables that reference {names}>;",
        ACCESS_EXCLUSIVE,
    )
