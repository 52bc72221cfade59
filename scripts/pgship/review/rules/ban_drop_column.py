"""DROP COLUMN of a column that deployed code may still use: its data is gone and queries fail.

Anti-pattern:

    ALTER TABLE users DROP COLUMN password_hash;

The column's values are deleted (only a backup brings them back), and every running copy of
the application that still names the column fails: `SELECT password_hash ...`, an INSERT
that sets it, an ORM that lists every column it knows. During a deploy the old version keeps
serving requests while the migration runs.

Safe alternative: expand and contract. First ship the code that no longer reads or writes the
column (ORMs: remove it from the model, or mark it ignored, e.g. Rails' `ignored_columns`), and
let every old copy stop; then, in a later migration, drop it, saying why it is safe:

    -- pgship:ignore ban-drop-column nothing reads users.password_hash since release 3.2
    ALTER TABLE users DROP COLUMN password_hash;

The drop itself is quick (PostgreSQL only marks the column dropped) but needs a brief ACCESS
EXCLUSIVE lock. Not reported in rollback scripts (a rollback is meant to drop what its
migration created), nor for a column or table that a file of the same review run created.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.helpers import altered_table
from pgship.review.model import Hit
from pgship.review.nodes import alter_commands
from pgship.review.objects import COLUMN, RELATION, is_new, is_rollback
from pgship.review.parse import Statement

ID = "ban-drop-column"
SEVERITY = "error"
NODES = ("AlterTableStmt",)


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    table = altered_table(statement)
    if table is None or is_rollback(context) or is_new(context, RELATION, table.name):
        return
    for command in alter_commands(statement.node):
        if command.get("subtype") != "AT_DropColumn":
            continue
        column = command.get("name", "")
        if is_new(context, COLUMN, f"{table.name}.{column}"):
            continue
        yield Hit(
            f"Dropping column {table}.{column} deletes its values for good, and code that "
            "still reads or writes it fails.",
            f"-- first ship code that no longer uses {table}.{column}, then in a later "
            "migration:\n"
            f"-- pgship:ignore {ID} <why nothing uses {table}.{column} any more>\n"
            f"{statement.text};",
        )
