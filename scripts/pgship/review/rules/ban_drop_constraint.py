"""DROP CONSTRAINT that deployed code or data integrity relies on.

Anti-pattern:

    ALTER TABLE payouts DROP CONSTRAINT payouts_amount_positive;
    ALTER TABLE creators DROP CONSTRAINT creators_handle_key;
    ALTER DOMAIN email_address DROP CONSTRAINT email_address_format;

The rows are no longer checked: a CHECK or foreign key stops keeping bad data out, and data
written while it is gone must be cleaned before the constraint can come back (adding it again
means NOT VALID, a cleanup, then VALIDATE). Dropping a UNIQUE or PRIMARY KEY also breaks
`INSERT ... ON CONFLICT (...)` statements that name its columns, and fails without CASCADE when
a foreign key references it (see `ban-drop-cascade`).

Safe alternative: to change a constraint, add the new one first (NOT VALID, validated in the
next migration, see `constraint-missing-not-valid`) and drop the old one after; to remove it
for good, say why it is safe:

    ALTER TABLE payouts ADD CONSTRAINT payouts_amount_range
        CHECK (amount_cents BETWEEN 1 AND 100000000) NOT VALID;
    -- next migration:
    ALTER TABLE payouts VALIDATE CONSTRAINT payouts_amount_range;
    ALTER TABLE payouts DROP CONSTRAINT payouts_amount_positive;

Not reported when the same file adds a constraint with the same name again (a replacement),
for a CHECK (col IS NOT NULL) made redundant by SET NOT NULL earlier in the review run (the
`set-not-null` recipe), in rollback scripts, nor for constraints or tables created by the
same review run.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.helpers import altered_table, ident, qualified
from pgship.review.model import Hit
from pgship.review.nodes import TableRef, alter_commands, strings
from pgship.review.objects import (
    CONSTRAINT,
    NOT_NULL,
    RELATION,
    TYPE,
    created_later,
    is_new,
    is_rollback,
)
from pgship.review.parse import Statement

ID = "ban-drop-constraint"
SEVERITY = "warning"
NODES = ("AlterTableStmt", "AlterDomainStmt")


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    if is_rollback(context):
        return
    if statement.kind == "AlterDomainStmt":
        names = strings(statement.node.get("typeName"))
        if statement.node.get("subtype") == "X" and names and not is_new(context, TYPE, names[-1]):
            name = statement.node.get("name", "")
            yield Hit(
                f"Dropping constraint {name} of domain {'.'.join(names)}: values of that type "
                "are no longer checked.",
                f"-- add the replacement first (ALTER DOMAIN ... ADD CONSTRAINT ... NOT VALID), "
                f"or say why it is safe:\n-- pgship:ignore {ID} <reason>\n{statement.text};",
            )
        return
    table = altered_table(statement)
    if table is None or is_new(context, RELATION, table.name):
        return
    for command in alter_commands(statement.node):
        if command.get("subtype") != "AT_DropConstraint":
            continue
        name = command.get("name", "")
        if (
            is_new(context, CONSTRAINT, f"{table.name}.{name}")
            or _redundant_not_null_check(table, name, context)
            or _added_again(statement, table, name, context)
        ):
            continue
        yield Hit(
            f"Dropping constraint {name} on {table}: its rows are no longer checked, and code "
            "that relies on it (e.g. ON CONFLICT on a unique key) may break.",
            "-- to change it, add the new constraint first (NOT VALID, validated in the next "
            "migration),\n-- then drop the old one; to remove it for good, say why:\n"
            f"-- pgship:ignore {ID} <reason>\n"
            f"ALTER TABLE {qualified(table)} DROP CONSTRAINT {ident(name)};",
        )


def _redundant_not_null_check(table: TableRef, name: str, context: Context) -> bool:
    """A CHECK (col IS NOT NULL) whose columns this run has since made NOT NULL."""
    check = context.facts.not_null_checks.get((table.name, name))
    return check is not None and all(
        is_new(context, NOT_NULL, f"{table.name}.{column}") for column in check[0]
    )


def _added_again(statement: Statement, table: TableRef, name: str, context: Context) -> bool:
    """Whether this statement or a later one of the file adds a constraint named `name` again."""
    return created_later(statement, context, CONSTRAINT, f"{table.name}.{name}")
