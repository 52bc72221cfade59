"""RENAME (or SET SCHEMA) of a view, function, type, sequence, schema or enum value.

Anti-pattern:

    ALTER VIEW active_creators RENAME TO verified_creators;
    ALTER FUNCTION payout_total(bigint) RENAME TO creator_payout_total;
    ALTER TYPE payout_status RENAME VALUE 'paid' TO 'settled';
    ALTER SCHEMA billing RENAME TO payments;

Views, triggers and column defaults that depend on the object follow the rename (they refer to
it by its internal id), but application code and function bodies name it: every running copy
that still uses the old name (or the old enum label) fails from the moment the migration
commits. Renaming a schema breaks every
qualified name in it at once, so that one is an error.

Safe alternative: add the new name next to the old one, move the code over, and remove the
old name in a later migration:

    CREATE VIEW verified_creators AS SELECT * FROM active_creators;
    CREATE FUNCTION creator_payout_total(bigint) RETURNS bigint
        LANGUAGE sql AS 'SELECT payout_total($1)';
    ALTER TYPE payout_status ADD VALUE 'settled';   -- then migrate the rows in batches
    -- deploy code that uses only the new names; then, in a later migration, drop the old ones.

Not reported in rollback scripts, nor for objects created by the same review run. Tables and
columns have rules of their own (`renaming-table`, `renaming-column`).
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.model import Hit, Severity
from pgship.review.nodes import Node, strings
from pgship.review.objects import (
    FUNCTION_KINDS,
    RELATION_KINDS,
    SCHEMA,
    TYPE,
    TYPE_KINDS,
    is_new,
    is_rollback,
    key_kind,
    name_parts,
)
from pgship.review.parse import Statement

ID = "renaming-object"
SEVERITY = "warning"
NODES = ("RenameStmt", "AlterObjectSchemaStmt", "AlterEnumStmt")

_KINDS = {
    **{
        k: v for k, v in RELATION_KINDS.items() if k not in ("OBJECT_TABLE", "OBJECT_FOREIGN_TABLE")
    },
    **TYPE_KINDS,
    **FUNCTION_KINDS,
    "OBJECT_SCHEMA": "schema",
}


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    if is_rollback(context):
        return
    node = statement.node
    if statement.kind == "AlterEnumStmt":
        yield from _enum_value(node, context)
        return
    if statement.kind == "RenameStmt" and node.get("renameType") == "OBJECT_ATTRIBUTE":
        yield from _attribute(node, context)
        return
    object_type = node.get("renameType" if statement.kind == "RenameStmt" else "objectType", "")
    what = _KINDS.get(object_type)
    kind = key_kind(object_type)
    if what is None or kind is None:
        return
    old = _name(node, kind)
    if not old or is_new(context, kind, old[-1]):
        return
    old_name = ".".join(old)
    if statement.kind == "RenameStmt":
        change = f"Renaming {what} {old_name} to {node.get('newname', '')}"
    else:
        change = f"Moving {what} {old_name} to schema {node.get('newschema', '')}"
    severity: Severity | None = "error" if kind == SCHEMA else None
    uses = "names any object in it by the old schema" if kind == SCHEMA else "uses the old name"
    yield Hit(
        f"{change} breaks code that still {uses}.",
        _SCHEMA_ALTERNATIVE.format(old=old_name, new=node.get("newname", ""))
        if kind == SCHEMA
        else "-- add the new name next to the old one (a view, a wrapper function, ...), deploy "
        f"code that uses only the new name,\n-- then remove {old_name} in a later migration.",
        severity=severity,
    )


_SCHEMA_ALTERNATIVE = (
    "-- create schema {new} and move the objects over one at a time (ALTER ... SET SCHEMA),\n"
    "-- each leaving a view or wrapper function under its old name in {old};\n"
    "-- deploy code that uses only {new}, then drop what is left of {old} in a later migration."
)


def _name(node: Node, kind: str) -> list[str]:
    if kind == SCHEMA:
        return [node.get("subname", "")]
    relation = node.get("relation")
    if relation:
        schema = relation.get("schemaname")
        return [schema, relation.get("relname", "")] if schema else [relation.get("relname", "")]
    return name_parts(node.get("object", {}))


def _enum_value(node: Node, context: Context) -> Iterator[Hit]:
    old = node.get("oldVal")
    if not old:
        return
    names = strings(node.get("typeName"))
    if not names or is_new(context, TYPE, names[-1]):
        return
    new = node.get("newVal", "")
    type_name = ".".join(names)
    yield Hit(
        f"Renaming value '{old}' of enum {type_name} to '{new}' breaks code that still "
        f"writes or compares '{old}'.",
        f"ALTER TYPE {type_name} ADD VALUE {_literal(new)};   -- in a migration of its own\n"
        f"-- deploy code that accepts both, move the rows from '{old}' to '{new}' in batches,\n"
        f"-- then deploy code that uses only '{new}' (PostgreSQL cannot drop an enum value).",
    )


def _attribute(node: Node, context: Context) -> Iterator[Hit]:
    type_name = node.get("relation", {}).get("relname", "")
    if is_new(context, TYPE, type_name):
        return
    old, new = node.get("subname", ""), node.get("newname", "")
    yield Hit(
        f"Renaming attribute {old} of type {type_name} to {new} breaks code that still uses {old}.",
        f"-- add {new} as a new attribute, move the code over, then drop {old} in a later "
        "migration.",
    )


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
