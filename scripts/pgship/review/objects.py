"""The objects statements create, for the rules about dropping and renaming things.

Dropping or renaming an object that a file of the same review run created is not a breaking
change: no deployed code uses it yet. `observe` records what each statement creates in `Facts`
(for the whole run) and in `FileState` (with the transaction it ran in), and the enum values
`ALTER TYPE ... ADD VALUE` adds.

Keys are (kind, name), names as the statement writes them, without schema (like `Facts`):

- "relation": tables, views, materialized views, sequences, foreign tables;
- "column", "constraint", "not-null": "table.column", "table.constraint", "table.column"
  (a column made NOT NULL);
- "type": enums, domains, composite, range and base types;
- "function": functions, procedures, aggregates (whatever the arguments);
- "schema", "database".
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context, Facts, FileState
from pgship.review.nodes import (
    Node,
    TableRef,
    alter_commands,
    children,
    column_constraints,
    strings,
)
from pgship.review.parse import Statement

RELATION = "relation"
COLUMN = "column"
CONSTRAINT = "constraint"
NOT_NULL = "not-null"
TYPE = "type"
FUNCTION = "function"
SCHEMA = "schema"
DATABASE = "database"

Key = tuple[str, str]

# DropStmt.removeType / RenameStmt.renameType -> the kind of key and how users call it
RELATION_KINDS = {
    "OBJECT_TABLE": "table",
    "OBJECT_VIEW": "view",
    "OBJECT_MATVIEW": "materialized view",
    "OBJECT_SEQUENCE": "sequence",
    "OBJECT_FOREIGN_TABLE": "foreign table",
}
TYPE_KINDS = {"OBJECT_TYPE": "type", "OBJECT_DOMAIN": "domain"}
FUNCTION_KINDS = {
    "OBJECT_FUNCTION": "function",
    "OBJECT_PROCEDURE": "procedure",
    "OBJECT_ROUTINE": "routine",
    "OBJECT_AGGREGATE": "aggregate",
}


def key_kind(object_type: str) -> str | None:
    """The key kind of a DropStmt/RenameStmt object type (None for kinds not tracked)."""
    if object_type in RELATION_KINDS:
        return RELATION
    if object_type in TYPE_KINDS:
        return TYPE
    if object_type in FUNCTION_KINDS:
        return FUNCTION
    return {"OBJECT_SCHEMA": SCHEMA, "OBJECT_DATABASE": DATABASE}.get(object_type)


def is_new(context: Context, kind: str, name: str) -> bool:
    """Whether a file of this review run created the object before this statement."""
    return (kind, name) in context.facts.created


def is_new_table_here(context: Context, table: TableRef) -> bool:
    """Whether this file created the table (and maybe renamed it since): it is empty."""
    return context.is_new_table(table) or (RELATION, table.name) in context.state.created


def is_rollback(context: Context) -> bool:
    """Whether the file is a rollback script: it is meant to drop what its migration made."""
    return context.file.role == "rollback"


def dropped_objects(statement: Statement, context: Context, kind: str) -> list[str]:
    """The objects a DropStmt drops that deployed code may use, as written (e.g. "s.t").

    Empty in a rollback script, and without the objects this review run created.
    """
    if is_rollback(context):
        return []
    names = [name_parts(item) for item in statement.node.get("objects") or []]
    return [".".join(parts) for parts in names if parts and not is_new(context, kind, parts[-1])]


def created_later(statement: Statement, context: Context, kind: str, name: str) -> bool:
    """Whether this statement or a later one of the file creates the object (a replacement).

    A later rename to the same name counts too (create v_new, drop v, rename v_new to v).
    """
    state = context.state
    if state.creations is None:  # once per file
        state.creations = _creations(state.statements)
    return state.creations.get((kind, name), -1) >= statement.index


def _creations(statements: list[Statement]) -> dict[Key, int]:
    """Each object the file's statements create -> the index of the last one that does."""
    found: dict[Key, int] = {}
    nothing = Facts()
    for statement in statements:
        keys = list(created_by(statement.kind, statement.node, nothing))
        if statement.kind == "RenameStmt":
            keys += _rename_target(statement.node)
        for key in keys:
            found[key] = statement.index
    return found


def _rename_target(node: Node) -> list[Key]:
    rename, new = node.get("renameType", ""), node.get("newname", "")
    relation = node.get("relation", {}).get("relname", "")
    if rename == "OBJECT_COLUMN":
        return [(COLUMN, f"{relation}.{new}")]
    if rename == "OBJECT_TABCONSTRAINT":
        return [(CONSTRAINT, f"{relation}.{new}")]
    kind = key_kind(rename)
    return [(kind, new)] if kind is not None else []


def name_parts(item: Node) -> list[str]:
    """An object reference node (List of String, String, TypeName, ObjectWithArgs) -> parts."""
    if "List" in item:
        return strings(item["List"].get("items"))
    if "String" in item:
        return [item["String"].get("sval", "")]
    if "TypeName" in item:
        return strings(item["TypeName"].get("names"))
    if "ObjectWithArgs" in item:
        return strings(item["ObjectWithArgs"].get("objname"))
    return []


def observe(statement: Statement, state: FileState, facts: Facts) -> None:
    """Record what `statement` creates, renames into existence, and enum values it adds."""
    node = statement.node
    for key in created_by(statement.kind, node, facts):
        facts.created.add(key)
        state.created[key] = state.transaction
    if statement.kind == "AlterEnumStmt" and node.get("newVal") and not node.get("oldVal"):
        names = strings(node.get("typeName"))
        state.enum_values[node["newVal"]] = (state.transaction, names[-1] if names else "")


def created_by(kind: str, node: Node, facts: Facts) -> Iterator[Key]:
    """The objects a statement creates (for a rename: the new name of a new object)."""
    if kind == "CreateStmt":
        yield from _table(node)
    elif kind == "CreateForeignTableStmt":
        yield from _table(node.get("base", {}))
    elif kind == "CreateTableAsStmt":
        yield RELATION, node.get("into", {}).get("rel", {}).get("relname", "")
    elif kind == "SelectStmt" and "intoClause" in node:
        yield RELATION, node["intoClause"].get("rel", {}).get("relname", "")
    elif kind == "ViewStmt":
        yield RELATION, node.get("view", {}).get("relname", "")
    elif kind == "CreateSeqStmt":
        yield RELATION, node.get("sequence", {}).get("relname", "")
    elif kind == "CompositeTypeStmt":
        yield TYPE, node.get("typevar", {}).get("relname", "")
    elif kind in ("CreateEnumStmt", "CreateRangeStmt"):
        yield TYPE, _last(strings(node.get("typeName")))
    elif kind == "CreateDomainStmt":
        yield TYPE, _last(strings(node.get("domainname")))
    elif kind == "DefineStmt" and node.get("kind") in ("OBJECT_TYPE", "OBJECT_AGGREGATE"):
        what = TYPE if node["kind"] == "OBJECT_TYPE" else FUNCTION
        yield what, _last(strings(node.get("defnames")))
    elif kind == "CreateFunctionStmt":
        yield FUNCTION, _last(strings(node.get("funcname")))
    elif kind == "CreateSchemaStmt":
        yield SCHEMA, node.get("schemaname", "")
        for element in node.get("schemaElts") or []:
            ((element_kind, element_node),) = element.items()
            yield from created_by(element_kind, element_node, facts)
    elif kind == "CreatedbStmt":
        yield DATABASE, node.get("dbname", "")
    elif kind == "AlterTableStmt" and node.get("objtype") == "OBJECT_TABLE":
        yield from _alter_table(node)
    elif kind == "RenameStmt":
        yield from _renamed(node, facts)


def _table(node: Node) -> Iterator[Key]:
    table = node.get("relation", {}).get("relname", "")
    yield RELATION, table
    for column in children(node, "ColumnDef", "tableElts"):
        yield from _column(table, column)
    for constraint in children(node, "Constraint", "tableElts"):
        yield from _constraint(table, constraint)


def _column(table: str, column: Node) -> Iterator[Key]:
    name = column.get("colname", "")
    yield COLUMN, f"{table}.{name}"
    for constraint in column_constraints(column):
        if constraint.get("contype") in ("CONSTR_NOTNULL", "CONSTR_PRIMARY"):
            yield NOT_NULL, f"{table}.{name}"
        if constraint.get("conname"):
            yield CONSTRAINT, f"{table}.{constraint['conname']}"


def _constraint(table: str, constraint: Node) -> Iterator[Key]:
    if constraint.get("conname"):
        yield CONSTRAINT, f"{table}.{constraint['conname']}"
    if constraint.get("contype") == "CONSTR_PRIMARY":
        for column in strings(constraint.get("keys")):
            yield NOT_NULL, f"{table}.{column}"


def _alter_table(node: Node) -> Iterator[Key]:
    table = node.get("relation", {}).get("relname", "")
    for command in alter_commands(node):
        subtype = command.get("subtype")
        definition = command.get("def", {})
        if subtype == "AT_AddColumn" and "ColumnDef" in definition:
            yield from _column(table, definition["ColumnDef"])
        elif subtype == "AT_AddConstraint" and "Constraint" in definition:
            yield from _constraint(table, definition["Constraint"])
        elif subtype == "AT_SetNotNull":
            yield NOT_NULL, f"{table}.{command.get('name', '')}"


def _renamed(node: Node, facts: Facts) -> Iterator[Key]:
    """The new name of a renamed object that this run created (a rename of it is no break)."""
    rename = node.get("renameType", "")
    new = node.get("newname", "")
    relation = node.get("relation", {}).get("relname", "")
    if rename in ("OBJECT_COLUMN", "OBJECT_TABCONSTRAINT"):
        part = COLUMN if rename == "OBJECT_COLUMN" else CONSTRAINT
        if (part, f"{relation}.{node.get('subname', '')}") in facts.created:
            yield part, f"{relation}.{new}"
        return
    kind = key_kind(rename)
    if kind is None:
        return
    if kind == RELATION:
        old = relation
    elif kind == SCHEMA:
        old = node.get("subname", "")
    else:
        old = _last(name_parts(node.get("object", {})))
    if (kind, old) in facts.created:
        yield kind, new
        if kind == RELATION:  # its columns and constraints keep their names
            prefix = f"{old}."
            for other_kind, name in list(facts.created):
                if other_kind in (COLUMN, CONSTRAINT, NOT_NULL) and name.startswith(prefix):
                    yield other_kind, f"{new}.{name[len(prefix) :]}"


def _last(names: list[str]) -> str:
    return names[-1] if names else ""
