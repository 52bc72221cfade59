"""The column definitions a statement writes, for the rules about types and table design.

CREATE TABLE columns, ALTER TABLE ... ADD COLUMN and ALTER COLUMN ... TYPE all state a column's
type; the design rules (`prefer-text-field`, `prefer-timestamptz`, ...) look at each of them the
same way. Rollback files are left alone: a rollback must restore the old definition exactly,
whatever its type.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pgship.review.context import Context, Facts
from pgship.review.nodes import (
    Node,
    TableRef,
    TypeRef,
    alter_commands,
    children,
    strings,
    table_ref,
    type_ref,
)
from pgship.review.parse import Statement

DESIGN_NODES = ("CreateStmt", "AlterTableStmt")
DESIGN_SUBTYPES = ("AT_AddColumn", "AT_AlterColumnType")


@dataclass(frozen=True)
class ColumnType:
    """One column type a statement writes: where, and the TypeName node as parsed."""

    table: TableRef
    column: str
    type_name: Node
    column_def: Node
    action: str  # "create" (CREATE TABLE), "add" (ADD COLUMN) or "alter" (ALTER COLUMN TYPE)

    @property
    def names(self) -> list[str]:
        """The type's name parts as parsed, e.g. ["pg_catalog", "varchar"] or ["int4"]."""
        return [name.lower() for name in strings(self.type_name.get("names"))]

    @property
    def builtin(self) -> str | None:
        """The pg_catalog type name, or None for a user type (e.g. a domain).

        The parser qualifies the SQL-standard spellings itself (`varchar(20)` ->
        pg_catalog.varchar); a bare internal name such as `int4` is taken as built in too.
        A quoted `"char"` (the one-byte internal type) is not `char(n)`: it stays "char".
        """
        names = self.names
        if len(names) == 2 and names[0] == "pg_catalog":
            return names[1]
        if len(names) == 1:
            return names[0]
        return None

    @property
    def mods(self) -> list[int]:
        return [
            int(mod["A_Const"]["ival"].get("ival", 0))
            for mod in self.type_name.get("typmods") or []
            if "ival" in mod.get("A_Const", {})
        ]

    @property
    def array(self) -> bool:
        return bool(self.type_name.get("arrayBounds"))

    @property
    def location(self) -> int | None:
        location = self.type_name.get("location")
        return location if isinstance(location, int) and location >= 0 else None


def design_applies(statement: Statement, context: Context) -> bool:
    """Whether the design rules look at this statement: not in rollbacks, not temp tables."""
    if is_rollback(context):
        return False
    relation = statement.node.get("relation", {})
    return bool(relation.get("relpersistence") != "t")


def is_rollback(context: Context) -> bool:
    """Whether the file under review is a rollback script."""
    return context.file.role == "rollback"


_last: tuple[Statement | None, list[ColumnType]] = (None, [])


def column_types(statement: Statement) -> list[ColumnType]:
    """Every column type the statement writes (CREATE TABLE, ADD COLUMN, ALTER COLUMN TYPE).

    The design rules all ask for the same statement in a row: the last answer is kept.
    """
    global _last
    if _last[0] is not statement:
        _last = (statement, list(_column_types(statement)))
    return _last[1]


def _column_types(statement: Statement) -> Iterator[ColumnType]:
    node = statement.node
    table = table_ref(node.get("relation", {}))
    if statement.kind == "CreateStmt":
        for column in children(node, "ColumnDef", "tableElts"):
            if "typeName" in column:
                yield ColumnType(
                    table, column.get("colname", ""), column["typeName"], column, "create"
                )
    elif statement.kind == "AlterTableStmt" and node.get("objtype") == "OBJECT_TABLE":
        for command in alter_commands(node):
            column = command.get("def", {}).get("ColumnDef")
            if column is None or "typeName" not in column:
                continue
            subtype = command.get("subtype")
            if subtype == "AT_AddColumn":
                yield ColumnType(
                    table, column.get("colname", ""), column["typeName"], column, "add"
                )
            elif subtype == "AT_AlterColumnType":
                yield ColumnType(
                    table, command.get("name", ""), column["typeName"], column, "alter"
                )


def primary_key_columns(statement: Statement) -> list[str] | None:
    """The columns of the PRIMARY KEY a CREATE TABLE declares (None: it declares none)."""
    node = statement.node
    for column in children(node, "ColumnDef", "tableElts"):
        for constraint in children(column, "Constraint", "constraints"):
            if constraint.get("contype") == "CONSTR_PRIMARY":
                return [column.get("colname", "")]
    for constraint in children(node, "Constraint", "tableElts"):
        if constraint.get("contype") == "CONSTR_PRIMARY":
            return strings(constraint.get("keys"))
    return None


def observe(statement: Statement, facts: Facts) -> None:
    """Remember the PRIMARY KEY columns a statement declares (Facts.primary_keys)."""
    node = statement.node
    if statement.kind == "CreateStmt":
        keys = primary_key_columns(statement)
        if keys:
            facts.primary_keys[table_ref(node.get("relation", {})).name] = tuple(keys)
    elif statement.kind == "AlterTableStmt" and node.get("objtype") == "OBJECT_TABLE":
        table = table_ref(node.get("relation", {})).name
        for command in alter_commands(node):
            definition = command.get("def", {})
            if command.get("subtype") == "AT_AddColumn" and "ColumnDef" in definition:
                column = definition["ColumnDef"]
                if any(
                    c.get("contype") == "CONSTR_PRIMARY"
                    for c in children(column, "Constraint", "constraints")
                ):
                    facts.primary_keys[table] = (column.get("colname", ""),)
            constraint = definition.get("Constraint", {})
            if constraint.get("contype") == "CONSTR_PRIMARY" and constraint.get("keys"):
                facts.primary_keys[table] = tuple(strings(constraint["keys"]))


SMALL_INTEGERS = {
    "int2": "smallint",
    "int4": "integer",
    "serial": "serial",
    "smallserial": "smallserial",
}


def small_integer(type_name: Node) -> TypeRef | None:
    """The type when it is a 16- or 32-bit integer (serial included), else None."""
    found = type_ref(type_name)
    return found if found.name in SMALL_INTEGERS and not found.array else None
