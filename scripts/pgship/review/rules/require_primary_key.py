"""A table created without a primary key.

Anti-pattern:

    CREATE TABLE payout_events (payout_id bigint, event text, at timestamptz);

Without a primary key, duplicate rows cannot be told apart or fixed one at a time, logical
replication cannot replicate UPDATE and DELETE on the table (they fail on the publisher once
it is in a publication, unless REPLICA IDENTITY FULL, which is slow), and online tools such as
pg_repack refuse to work on it. Adding a key later takes an ACCESS EXCLUSIVE lock while its
index is built, unless built CONCURRENTLY first.

Safe alternative: give every table a primary key when it is created; a surrogate identity
when nothing in the row is naturally unique:

    CREATE TABLE payout_events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        payout_id bigint NOT NULL,
        event text NOT NULL,
        at timestamptz NOT NULL
    );

A key added later in the same file (ALTER TABLE ... ADD PRIMARY KEY) counts. Partitions
(PARTITION OF) inherit their parent's key, and temporary tables, CREATE TABLE ... (LIKE ...)
and CREATE TABLE AS are not reported. Rollback files are not reviewed for design.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.columns import design_applies, primary_key_columns
from pgship.review.context import Context
from pgship.review.helpers import qualified
from pgship.review.model import Hit
from pgship.review.nodes import alter_commands, children, column_constraints, table_ref
from pgship.review.parse import Statement

ID = "require-primary-key"
SEVERITY = "warning"
NODES = ("CreateStmt",)


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    node = statement.node
    if not design_applies(statement, context) or node.get("partbound") or node.get("ofTypename"):
        return
    if primary_key_columns(statement) is not None:
        return
    if any(children(node, "TableLikeClause", "tableElts")):
        return  # LIKE ... INCLUDING INDEXES copies the key; pgship cannot tell
    table = table_ref(node.get("relation", {}))
    if _added_later(statement, context, table.name):
        return
    yield Hit(
        f"{table} has no primary key: its rows cannot be told apart, and logical "
        "replication cannot replicate its UPDATEs and DELETEs.",
        f"-- in CREATE TABLE {qualified(table)} (...):\n"
        "id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,",
        location=node.get("relation", {}).get("location"),
    )


def _added_later(statement: Statement, context: Context, name: str) -> bool:
    """Whether a later statement of the file adds a PRIMARY KEY to table `name`."""
    return statement.index < _keys_added(context).get(name, -1)


def _keys_added(context: Context) -> dict[str, int]:
    """Table -> index of the last statement of the file that adds it a PRIMARY KEY.

    Worked out once per file (the file's statements are all known before the rules run).
    """
    cached = context.state.cache.get(ID)
    if isinstance(cached, dict):
        return cached
    found: dict[str, int] = {}
    for statement in context.state.statements:
        if statement.kind != "AlterTableStmt":
            continue
        for command in alter_commands(statement.node):
            definition = command.get("def", {})
            constraint = definition.get("Constraint", {})
            column = definition.get("ColumnDef", {})
            if constraint.get("contype") == "CONSTR_PRIMARY" or any(
                c.get("contype") == "CONSTR_PRIMARY" for c in column_constraints(column)
            ):
                found[statement.node.get("relation", {}).get("relname", "")] = statement.index
    context.state.cache[ID] = found
    return found
