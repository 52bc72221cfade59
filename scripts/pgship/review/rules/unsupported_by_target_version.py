"""Syntax that the target PostgreSQL version does not have yet.

Anti-pattern: pgship parses with the newest PostgreSQL grammar, so a statement can pass review
and still fail on an older server, e.g. with a target of PostgreSQL 13:

    REINDEX INDEX CONCURRENTLY payouts_status_idx;              -- needs 12
    ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY; -- needs 14
    CREATE UNIQUE INDEX ON t (a) NULLS NOT DISTINCT;             -- needs 15

Checked: identity columns (10), stored generated columns and REINDEX CONCURRENTLY (12),
DETACH PARTITION CONCURRENTLY (14), NULLS NOT DISTINCT and MERGE (15), virtual generated
columns (18).

Safe alternative: use what the target version has (each message names the version needed),
or set the right target: `--pg-version`, `review: {pg_version: N}` in pgship.yml, or a
database URL so that pgship asks the server.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.model import Hit
from pgship.review.nodes import Node, alter_commands, column_constraints
from pgship.review.parse import Statement
from pgship.review.rules.require_concurrent_reindex import is_concurrent

ID = "unsupported-by-target-version"
SEVERITY = "error"
NODES = ("CreateStmt", "AlterTableStmt", "IndexStmt", "ReindexStmt", "MergeStmt")


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    if context.pg_version >= 18:
        return
    node = statement.node
    if statement.kind == "MergeStmt":
        yield from _needs("MERGE", 15, context, None)
    elif statement.kind == "ReindexStmt" and is_concurrent(node):
        yield from _needs("REINDEX CONCURRENTLY", 12, context, None)
    elif statement.kind == "IndexStmt" and node.get("nulls_not_distinct"):
        yield from _needs("NULLS NOT DISTINCT", 15, context, None)
    for constraint in _constraints(statement):
        yield from _constraint(constraint, context)
    for command in alter_commands(node) if statement.kind == "AlterTableStmt" else ():
        partition = command.get("def", {}).get("PartitionCmd", {})
        if partition.get("concurrent"):
            location = partition.get("name", {}).get("location")
            yield from _needs("DETACH PARTITION CONCURRENTLY", 14, context, location)


def _constraints(statement: Statement) -> Iterator[Node]:
    """The constraints a CREATE TABLE or ALTER TABLE defines, on columns or on the table."""
    node = statement.node
    if statement.kind == "CreateStmt":
        for element in node.get("tableElts") or []:
            if "ColumnDef" in element:
                yield from column_constraints(element["ColumnDef"])
            elif "Constraint" in element:
                yield element["Constraint"]
    elif statement.kind == "AlterTableStmt":
        for command in alter_commands(node):
            definition = command.get("def", {})
            if "ColumnDef" in definition:
                yield from column_constraints(definition["ColumnDef"])
            elif "Constraint" in definition:
                yield definition["Constraint"]


def _constraint(node: Node, context: Context) -> Iterator[Hit]:
    contype = node.get("contype")
    location = node.get("location")
    if contype == "CONSTR_IDENTITY":
        yield from _needs("Identity columns", 10, context, location)
    elif contype == "CONSTR_GENERATED" and node.get("generated_kind", "s") == "s":
        yield from _needs("Stored generated columns", 12, context, location)
    elif contype == "CONSTR_GENERATED":
        yield from _needs("Virtual generated columns", 18, context, location)
    if node.get("nulls_not_distinct"):
        yield from _needs("NULLS NOT DISTINCT", 15, context, location)


def _needs(feature: str, version: int, context: Context, location: int | None) -> Iterator[Hit]:
    if context.pg_version < version:
        yield Hit(
            f"{feature} needs PostgreSQL {version}; the target is {context.pg_version}.",
            f"Rewrite it for PostgreSQL {context.pg_version}, or review for the version you "
            "run: --pg-version N (or review.pg_version in pgship.yml).",
            location=location,
        )
