"""EXCLUDE constraint added to an existing table: its index is built under ACCESS EXCLUSIVE.

Anti-pattern:

    ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap
        EXCLUDE USING gist (room_id WITH =, during WITH &&);

PostgreSQL builds the constraint's index, checking every existing row against every other,
while it holds an ACCESS EXCLUSIVE lock on the table: no reads or writes for the whole build.
And neither escape that other constraints have exists for EXCLUDE: PostgreSQL refuses NOT
VALID on it ("EXCLUDE constraints cannot be marked NOT VALID"), and ADD CONSTRAINT ... USING
INDEX only takes UNIQUE and PRIMARY KEY. (Tools that tell you to add it NOT VALID give advice
the server rejects.)

Safe alternative: declare the constraint when the table is created (a table created earlier
in the same file is not reported). For an existing table there is no online way, so make
the locked window short and make sure it cannot fail half way:

    -- 1. find rows that would violate it, and fix them, before the migration:
    SELECT a.id, b.id FROM bookings a JOIN bookings b
        ON a.ctid < b.ctid AND a.room_id = b.room_id AND a.during && b.during LIMIT 10;
    -- 2. a migration of its own, run when the table is quiet:
    -- pgship:lock-timeout 2s
    -- pgship:statement-timeout 10min
    -- pgship:ignore adding-exclusion-constraint bookings has 40k rows, built in ~2s off-peak
    ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap
        EXCLUDE USING gist (room_id WITH =, during WITH &&);

When every operator is `=`, the constraint means UNIQUE: build a unique index CONCURRENTLY
and add the constraint USING INDEX instead (see `pgship rules adding-unique-or-primary-key`).
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.helpers import ACCESS_EXCLUSIVE, existing_table, ident, qualified
from pgship.review.model import Hit
from pgship.review.nodes import Node, TableRef, alter_commands, strings
from pgship.review.parse import Statement

ID = "adding-exclusion-constraint"
SEVERITY = "error"
NODES = ("AlterTableStmt",)
SUBTYPES = ("AT_AddConstraint",)


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    table = existing_table(statement, context)
    if table is None:
        return
    for command in alter_commands(statement.node):
        constraint = command.get("def", {}).get("Constraint", {})
        if command.get("subtype") == "AT_AddConstraint" and (
            constraint.get("contype") == "CONSTR_EXCLUSION"
        ):
            yield _hit(table, constraint)


def _hit(table: TableRef, constraint: Node) -> Hit:
    name = constraint.get("conname")
    elements = _elements(constraint)
    target = qualified(table)
    equality_only = bool(elements) and all(op == "=" for _, op in elements)
    if equality_only and not constraint.get("where_clause"):
        columns = ", ".join(ident(column) for column, _ in elements if column)
        index = ident(name or f"{table.name}_excl")
        alternative = (
            "-- every operator is =: this is a UNIQUE constraint\n"
            "-- pgship:no-transaction   (in a migration file of its own)\n"
            f"CREATE UNIQUE INDEX CONCURRENTLY {index} ON {target} ({columns});\n"
            "-- next migration file:\n"
            f"ALTER TABLE {target} ADD CONSTRAINT {index} UNIQUE USING INDEX {index};"
        )
    else:
        alternative = (
            f"-- 1. before the migration, find and fix rows that would violate it:\n"
            f"{_violations_query(target, elements)}\n"
            "-- 2. in a migration of its own, run when the table is quiet, with a short\n"
            "--    `-- pgship:lock-timeout` and a `-- pgship:ignore "
            f"{ID} <size, measured build time>`."
        )
    return Hit(
        f"Adding the EXCLUDE constraint {name or ''}".rstrip()
        + f" builds its index while {table} is ACCESS EXCLUSIVE-locked (no reads or writes), "
        "and PostgreSQL allows neither NOT VALID nor USING INDEX for it.",
        alternative,
        ACCESS_EXCLUSIVE,
        constraint.get("location"),
    )


def _elements(constraint: Node) -> list[tuple[str | None, str]]:
    """(column or None for an expression, operator) for each element of the constraint."""
    found: list[tuple[str | None, str]] = []
    for pair in constraint.get("exclusions") or []:
        items = pair.get("List", {}).get("items", [])
        if len(items) != 2:
            continue
        element = items[0].get("IndexElem", {})
        operator = strings(items[1].get("List", {}).get("items"))
        found.append((element.get("name"), operator[-1] if operator else "?"))
    return found


def _violations_query(target: str, elements: list[tuple[str | None, str]]) -> str:
    if not elements or any(column is None for column, _ in elements):
        return f"-- (compare each pair of rows of {target} with the constraint's operators)"
    conditions = " AND ".join(
        f"a.{ident(column)} {operator} b.{ident(column)}"
        for column, operator in elements
        if column is not None
    )
    return (
        f"SELECT a.ctid, b.ctid FROM {target} a JOIN {target} b\n"
        f"    ON a.ctid < b.ctid AND {conditions} LIMIT 10;"
    )
