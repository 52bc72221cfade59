"""VALIDATE CONSTRAINT in the same transaction that added the constraint NOT VALID.

Anti-pattern (one migration file, so one transaction):

    ALTER TABLE payouts ADD CONSTRAINT payouts_creator_fkey
        FOREIGN KEY (creator_id) REFERENCES creators (id) NOT VALID;
    ALTER TABLE payouts VALIDATE CONSTRAINT payouts_creator_fkey;

NOT VALID exists so that the full-table check runs under VALIDATE's weak lock (SHARE UPDATE
EXCLUSIVE). In the same transaction, the strong lock taken by ADD CONSTRAINT (ACCESS
EXCLUSIVE for a CHECK, SHARE ROW EXCLUSIVE for a FOREIGN KEY) is still held while VALIDATE
scans: the same outage as adding the constraint without NOT VALID.

Safe alternative: VALIDATE in the next migration file (pgship runs each file in its own
transaction), as the example migrations 005 and 006 do:

    -- 005_add_fk.sql
    ALTER TABLE payouts ADD CONSTRAINT payouts_creator_fkey
        FOREIGN KEY (creator_id) REFERENCES creators (id) NOT VALID;
    -- 006_validate_fk.sql
    ALTER TABLE payouts VALIDATE CONSTRAINT payouts_creator_fkey;

Or mark the file `-- pgship:no-transaction`, so that each statement commits on its own.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.helpers import ACCESS_EXCLUSIVE, SHARE_ROW_EXCLUSIVE, existing_table, qualified
from pgship.review.model import Hit
from pgship.review.nodes import alter_commands
from pgship.review.parse import Statement

ID = "validate-in-same-transaction"
SEVERITY = "error"
NODES = ("AlterTableStmt",)
SUBTYPES = ("AT_ValidateConstraint",)


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    table = existing_table(statement, context)
    if table is None:
        return
    for command in alter_commands(statement.node):
        if command.get("subtype") != "AT_ValidateConstraint":
            continue
        name = command.get("name", "")
        kind = context.added_not_valid_here(table, name)
        if kind is None:
            continue
        lock = SHARE_ROW_EXCLUSIVE if kind == "CONSTR_FOREIGN" else ACCESS_EXCLUSIVE
        yield Hit(
            f"VALIDATE CONSTRAINT {name} runs in the transaction that added it NOT VALID, so "
            f"{table} stays {lock}-locked for the whole scan.",
            "-- move it to the next migration file (its own transaction):\n"
            f"ALTER TABLE {qualified(table)} VALIDATE CONSTRAINT {name};",
            lock,
        )
