"""RENAME COLUMN of a column that deployed code uses: queries by the old name fail.

Anti-pattern:

    ALTER TABLE users RENAME COLUMN display_name TO full_name;

From the moment the migration commits, every running copy of the application that still says
`display_name` fails with "column does not exist": during a deploy the old version keeps
serving requests while the migration runs. Views, indexes and constraints follow the rename;
application code, ORMs and the bodies of functions, which name the column, do not.

Safe alternative: expand and contract: add the new column, keep both in step, move the code
over, and drop the old column in a later release:

    ALTER TABLE users ADD COLUMN full_name text;
    -- keep them in step: the application writes both, or a trigger copies one to the other;
    -- copy the existing values in batches (see `pgship rules backfill-in-migration`);
    -- deploy the code that reads and writes only full_name; then, in a later migration:
    ALTER TABLE users DROP COLUMN display_name;

For a table only your own code touches, renaming in the same release as the code change can
be acceptable if the application tolerates a few failed requests: say so with
`-- pgship:ignore renaming-column <reason>`. Not reported in rollback scripts, nor for a
column or table created by the same review run.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.helpers import ident, qualified
from pgship.review.model import Hit
from pgship.review.nodes import TableRef, table_ref
from pgship.review.objects import COLUMN, RELATION, is_new, is_rollback
from pgship.review.parse import Statement

ID = "renaming-column"
SEVERITY = "error"
NODES = ("RenameStmt",)

_RELATIONS = ("OBJECT_TABLE", "OBJECT_FOREIGN_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW")


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    node = statement.node
    if node.get("renameType") != "OBJECT_COLUMN" or node.get("relationType") not in _RELATIONS:
        return
    table = table_ref(node.get("relation", {}))
    old, new = node.get("subname", ""), node.get("newname", "")
    if (
        is_rollback(context)
        or is_new(context, RELATION, table.name)
        or is_new(context, COLUMN, f"{table.name}.{old}")
    ):
        return
    yield Hit(
        f"Renaming column {table}.{old} to {new} breaks every query that still uses the old "
        "name, including those of the running application.",
        _alternative(node.get("relationType", ""), table, old, new, context),
        location=node.get("relation", {}).get("location"),
    )


def _alternative(kind: str, table: TableRef, old: str, new: str, context: Context) -> str:
    target = qualified(table)
    if kind == "OBJECT_MATVIEW":
        return (
            f"-- create a second materialized view with the column named {new}, move the code "
            f"to it,\n-- then drop {table} in a later migration."
        )
    if kind == "OBJECT_VIEW":
        return (
            f"-- add the new name as one more column at the end of the view:\n"
            f"CREATE OR REPLACE VIEW {target} AS SELECT ..., {ident(old)} AS {ident(new)} ...;\n"
            f"-- deploy code that uses only {new}; then, in a later migration, recreate the "
            f"view without {old}."
        )
    known = context.facts.column_type(table, old)
    type_text = str(known) if known is not None else f"<the type of {old}>"
    return (
        f"ALTER TABLE {target} ADD COLUMN {ident(new)} {type_text};\n"
        f"-- keep {old} and {new} in step (the application or a trigger), copy the existing "
        "values in batches,\n"
        f"-- deploy code that uses only {new}; then, in a later migration:\n"
        f"ALTER TABLE {target} DROP COLUMN {ident(old)};"
    )
