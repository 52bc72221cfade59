"""UNIQUE or PRIMARY KEY added to an existing table directly, building its index under lock.

Anti-pattern:

    ALTER TABLE creators ADD CONSTRAINT creators_handle_key UNIQUE (handle);
    ALTER TABLE creators ADD PRIMARY KEY (id);
    ALTER TABLE creators ADD COLUMN code text UNIQUE;

PostgreSQL builds the unique index while holding an ACCESS EXCLUSIVE lock on the table: no
reads or writes for the whole build. NOT VALID does not help: PostgreSQL does not allow it on
UNIQUE or PRIMARY KEY constraints.

Safe alternative: build the unique index CONCURRENTLY (in a migration file of its own marked
`-- pgship:no-transaction`), then turn it into the constraint, which is instant:

    -- 010_creators_handle_index.sql
    -- pgship:no-transaction
    CREATE UNIQUE INDEX CONCURRENTLY creators_handle_key ON creators (handle);
    -- 011_creators_handle_unique.sql
    ALTER TABLE creators ADD CONSTRAINT creators_handle_key UNIQUE USING INDEX creators_handle_key;

For a PRIMARY KEY, make its columns NOT NULL first (see `pgship rules set-not-null`):
otherwise ADD PRIMARY KEY ... USING INDEX scans the table to set them NOT NULL under the lock.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.helpers import ACCESS_EXCLUSIVE, existing_table, ident, qualified
from pgship.review.model import Hit
from pgship.review.nodes import Node, TableRef, alter_commands, column_constraints, strings
from pgship.review.parse import Statement

ID = "adding-unique-or-primary-key"
SEVERITY = "error"
NODES = ("AlterTableStmt",)
SUBTYPES = ("AT_AddConstraint", "AT_AddColumn")

_KINDS = {"CONSTR_UNIQUE": "UNIQUE", "CONSTR_PRIMARY": "PRIMARY KEY"}


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    table = existing_table(statement, context)
    if table is None:
        return
    for command in alter_commands(statement.node):
        definition = command.get("def", {})
        if command.get("subtype") == "AT_AddConstraint" and "Constraint" in definition:
            constraint = definition["Constraint"]
            if constraint.get("contype") in _KINDS and not constraint.get("indexname"):
                yield _hit(table, constraint, strings(constraint.get("keys")))
        elif command.get("subtype") == "AT_AddColumn" and "ColumnDef" in definition:
            column = definition["ColumnDef"]
            for constraint in column_constraints(column):
                if constraint.get("contype") in _KINDS:
                    yield _hit(table, constraint, [column.get("colname", "")])


def _hit(table: TableRef, constraint: Node, columns: list[str]) -> Hit:
    kind = _KINDS[constraint["contype"]]
    default = [table.name, "pkey"] if kind == "PRIMARY KEY" else [table.name, *columns, "key"]
    name = constraint.get("conname") or "_".join(default)  # PostgreSQL's own naming
    nulls = " NULLS NOT DISTINCT" if constraint.get("nulls_not_distinct") else ""
    include = strings(constraint.get("including"))
    included = f" INCLUDE ({', '.join(map(ident, include))})" if include else ""
    target = qualified(table)
    first = (
        f"-- make {', '.join(columns)} NOT NULL first (see `pgship rules set-not-null`)\n"
        if kind == "PRIMARY KEY"
        else ""
    )
    return Hit(
        f"Adding {kind} {name} builds its unique index while {table} is ACCESS "
        "EXCLUSIVE-locked; build the index CONCURRENTLY, then add the constraint USING INDEX.",
        f"{first}-- pgship:no-transaction   (in a migration file of its own)\n"
        f"CREATE UNIQUE INDEX CONCURRENTLY {ident(name)} ON {target} "
        f"({', '.join(map(ident, columns))}){included}{nulls};\n"
        "-- next migration file:\n"
        f"ALTER TABLE {target} ADD CONSTRAINT {ident(name)} {kind} USING INDEX {ident(name)};",
        ACCESS_EXCLUSIVE,
        constraint.get("location"),
    )
