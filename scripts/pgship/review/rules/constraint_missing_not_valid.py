"""FOREIGN KEY or CHECK added to an existing table without NOT VALID.

Anti-pattern:

    ALTER TABLE payouts ADD CONSTRAINT payouts_creator_fkey
        FOREIGN KEY (creator_id) REFERENCES creators (id);
    ALTER TABLE payouts ADD CONSTRAINT payouts_amount_positive CHECK (amount_cents > 0);
    ALTER TABLE payouts ADD COLUMN fee_cents bigint CHECK (fee_cents >= 0);

Adding the constraint checks every existing row while holding the lock: ACCESS EXCLUSIVE for
a CHECK (no reads or writes), SHARE ROW EXCLUSIVE on both tables for a FOREIGN KEY (no
writes), for as long as the scan takes.

Safe alternative: add it NOT VALID (instant: only new and updated rows are checked), then
VALIDATE it in a later migration, which scans under a SHARE UPDATE EXCLUSIVE lock that lets
reads and writes go on:

    ALTER TABLE payouts ADD CONSTRAINT payouts_creator_fkey
        FOREIGN KEY (creator_id) REFERENCES creators (id) NOT VALID;
    -- next migration file (its own transaction):
    ALTER TABLE payouts VALIDATE CONSTRAINT payouts_creator_fkey;

A constraint written inside ADD COLUMN cannot be NOT VALID: add the column first, then the
constraint as above. (A REFERENCES on a new column without a default is not reported: all its
values are NULL, so there is nothing to check.)
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.helpers import (
    ACCESS_EXCLUSIVE,
    SHARE_ROW_EXCLUSIVE,
    existing_table,
    ident,
    qualified,
)
from pgship.review.model import Hit
from pgship.review.nodes import Node, TableRef, alter_commands, column_constraints
from pgship.review.parse import Statement

ID = "constraint-missing-not-valid"
SEVERITY = "error"
NODES = ("AlterTableStmt",)
SUBTYPES = ("AT_AddConstraint", "AT_AddColumn")

_KINDS = {"CONSTR_FOREIGN": "FOREIGN KEY", "CONSTR_CHECK": "CHECK"}


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    table = existing_table(statement, context)
    if table is None:
        return
    commands = list(alter_commands(statement.node))
    for command in commands:
        definition = command.get("def", {})
        subtype = command.get("subtype")
        if subtype == "AT_AddConstraint" and "Constraint" in definition:
            constraint = definition["Constraint"]
            if constraint.get("contype") in _KINDS and not constraint.get("skip_validation"):
                yield _hit(table, constraint, statement, single=len(commands) == 1)
        elif subtype == "AT_AddColumn" and "ColumnDef" in definition:
            yield from _inline(table, definition["ColumnDef"])


def _hit(table: TableRef, constraint: Node, statement: Statement, *, single: bool) -> Hit:
    kind = _KINDS[constraint["contype"]]
    name = constraint.get("conname")
    lock = SHARE_ROW_EXCLUSIVE if kind == "FOREIGN KEY" else ACCESS_EXCLUSIVE
    blocked = "writes" if kind == "FOREIGN KEY" else "reads and writes"
    added = (
        f"{statement.text} NOT VALID;" if single else f"ALTER TABLE ... ADD {kind} ... NOT VALID;"
    )
    validate = (
        f"ALTER TABLE {qualified(table)} VALIDATE CONSTRAINT {ident(name)};"
        if name
        else f"-- name the constraint (ADD CONSTRAINT <name> {kind} ...) so that you can:\n"
        f"ALTER TABLE {qualified(table)} VALIDATE CONSTRAINT <name>;"
    )
    return Hit(
        f"Adding the {kind} {name or 'constraint'} checks every row of {table} while blocking "
        f"{blocked} ({lock} lock); add it NOT VALID and validate it later.",
        f"{added}\n-- next migration file (its own transaction):\n{validate}",
        lock,
        constraint.get("location"),
    )


def _inline(table: TableRef, column: Node) -> Iterator[Hit]:
    """CHECK (and REFERENCES with a default) written inside ADD COLUMN scan the table too."""
    constraints = list(column_constraints(column))
    has_default = any(
        c.get("contype") == "CONSTR_DEFAULT"
        and not c.get("raw_expr", {}).get("A_Const", {}).get("isnull")
        for c in constraints
    )
    name = column.get("colname", "")
    for constraint in constraints:
        contype = constraint.get("contype")
        if contype == "CONSTR_CHECK" or (contype == "CONSTR_FOREIGN" and has_default):
            kind = _KINDS[contype]
            yield Hit(
                f"The {kind} on new column {name} checks every row of {table} under the "
                "ACCESS EXCLUSIVE lock of ADD COLUMN; add the column, then the constraint "
                "NOT VALID.",
                f"ALTER TABLE {qualified(table)} ADD COLUMN {ident(name)} ...;   -- without "
                f"the {kind}\nALTER TABLE {qualified(table)} ADD CONSTRAINT <name> {kind} ... "
                f"NOT VALID;\n-- next migration file (its own transaction):\n"
                f"ALTER TABLE {qualified(table)} VALIDATE CONSTRAINT <name>;",
                ACCESS_EXCLUSIVE,
                constraint.get("location"),
            )
