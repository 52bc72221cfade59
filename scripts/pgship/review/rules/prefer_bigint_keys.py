"""integer or smallint primary key or foreign key: prefer bigint.

Anti-pattern:

    CREATE TABLE payouts (
        id serial PRIMARY KEY,
        creator_id integer REFERENCES creators (id)   -- creators.id is bigint
    );

A 32-bit key runs out at 2,147,483,647 (a smallint at 32,767), and sequences skip values on
rollbacks and crashes, so busy tables get there sooner than their row count suggests. When
it happens, inserts fail until the key and every column that references it are widened, and
ALTER COLUMN TYPE bigint rewrites each of those tables under an ACCESS EXCLUSIVE lock. A
foreign key narrower than the key it references fails as soon as the referenced ids pass
its limit.

Safe alternative: bigint keys from the start (8 bytes instead of 4 per row and per index
entry):

    CREATE TABLE payouts (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        creator_id bigint REFERENCES creators (id)
    );

Only keys are reported, not every integer column: a count or a price in cents is not an id.
A foreign key to a small lookup table whose own key is integer or smallint (known from the
migrations reviewed) matches it and is not reported; the lookup table's key is. Composite
primary keys are not reported (their columns are usually foreign keys, checked as such).
Rollback files are not reviewed for design.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.columns import (
    DESIGN_NODES,
    SMALL_INTEGERS,
    design_applies,
    primary_key_columns,
    small_integer,
)
from pgship.review.context import Context
from pgship.review.helpers import ident
from pgship.review.model import Hit
from pgship.review.nodes import (
    Node,
    TableRef,
    TypeRef,
    alter_commands,
    children,
    strings,
    table_ref,
)
from pgship.review.parse import Statement

ID = "prefer-bigint-keys"
SEVERITY = "warning"
NODES = DESIGN_NODES
SUBTYPES = ("AT_AddColumn", "AT_AddConstraint")

_LIMITS = {"int2": "32,767", "smallserial": "32,767", "int4": "2,147,483,647"}
_LIMITS["serial"] = _LIMITS["int4"]
_WIDE = {"int8", "bigserial", "numeric"}


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    if not design_applies(statement, context):
        return
    node = statement.node
    table = table_ref(node.get("relation", {}))
    if statement.kind == "CreateStmt":
        columns = {c.get("colname", ""): c for c in children(node, "ColumnDef", "tableElts")}
        keys = primary_key_columns(statement)
        if keys is not None and len(keys) == 1 and keys[0] in columns:
            yield from _primary_key(table, columns[keys[0]])
        for name, column in columns.items():
            for constraint in children(column, "Constraint", "constraints"):
                yield from _foreign_key(table, [name], constraint, columns, context)
        for constraint in children(node, "Constraint", "tableElts"):
            yield from _foreign_key(
                table, strings(constraint.get("fk_attrs")), constraint, columns, context
            )
        return
    if node.get("objtype") != "OBJECT_TABLE":
        return
    for command in alter_commands(node):
        definition = command.get("def", {})
        subtype = command.get("subtype")
        if subtype == "AT_AddColumn" and "ColumnDef" in definition:
            column = definition["ColumnDef"]
            name = column.get("colname", "")
            for constraint in children(column, "Constraint", "constraints"):
                if constraint.get("contype") == "CONSTR_PRIMARY":
                    yield from _primary_key(table, column)
                yield from _foreign_key(table, [name], constraint, {name: column}, context)
        elif subtype == "AT_AddConstraint" and "Constraint" in definition:
            constraint = definition["Constraint"]
            keys = strings(constraint.get("keys"))
            if constraint.get("contype") == "CONSTR_PRIMARY" and len(keys) == 1:
                known = context.facts.column_type(table, keys[0])
                if known is not None and known.name in SMALL_INTEGERS and not known.array:
                    yield _key_hit(table, keys[0], known, "primary key", constraint.get("location"))
            yield from _foreign_key(
                table, strings(constraint.get("fk_attrs")), constraint, {}, context
            )


def _primary_key(table: TableRef, column: Node) -> Iterator[Hit]:
    small = small_integer(column.get("typeName", {}))
    if small is not None:
        location = column.get("typeName", {}).get("location")
        yield _key_hit(table, column.get("colname", ""), small, "primary key", location)


def _foreign_key(
    table: TableRef,
    names: list[str],
    constraint: Node,
    columns: dict[str, Node],
    context: Context,
) -> Iterator[Hit]:
    if constraint.get("contype") != "CONSTR_FOREIGN" or "pktable" not in constraint:
        return
    referenced = table_ref(constraint["pktable"])
    targets = strings(constraint.get("pk_attrs")) or list(
        context.facts.primary_keys.get(referenced.name, ())
    )
    for position, name in enumerate(names):
        if name in columns:
            own: TypeRef | None = small_integer(columns[name].get("typeName", {}))
            location = columns[name].get("typeName", {}).get("location")
        else:
            known = context.facts.column_type(table, name)
            own = known if known is not None and known.name in SMALL_INTEGERS else None
            location = constraint.get("location")
        if own is None or own.array:
            continue
        target = targets[position] if position < len(targets) else None
        theirs = context.facts.column_type(referenced, target) if target else None
        if theirs is not None and theirs.name in SMALL_INTEGERS:
            continue  # matches a small key, which is reported where it is declared
        where = f"{referenced}.{target}" if target else str(referenced)
        if theirs is not None and theirs.name in _WIDE:
            yield Hit(
                f"{table}.{name} is {own} but references {where}, which is {theirs}: inserts "
                f"fail once the referenced ids pass {_LIMITS[own.name]}.",
                f"{ident(name)} bigint REFERENCES ...",
                location=location,
            )
        else:
            yield _key_hit(table, name, own, f"foreign key to {where}", location)


def _key_hit(table: TableRef, name: str, kind: TypeRef, role: str, location: int | None) -> Hit:
    identity = kind.name in ("serial", "smallserial")
    fix = f"{ident(name)} bigint" + (" GENERATED ALWAYS AS IDENTITY" if identity else "")
    return Hit(
        f"{table}.{name} ({role}) is {kind}: it runs out at {_LIMITS[kind.name]}, and widening "
        "a key later rewrites its table and every table that references it.",
        fix,
        location=location,
    )
