"""RENAME (or SET SCHEMA) of a table that deployed code uses: queries by the old name fail.

Anti-pattern:

    ALTER TABLE payouts RENAME TO creator_payouts;
    ALTER TABLE payouts SET SCHEMA billing;

From the moment the migration commits, every running copy of the application that still says
`payouts` fails with "relation does not exist": during a deploy the old version keeps serving
requests while the migration runs, and the new one may start before it.

Safe alternative: rename, and leave a view under the old name in the same migration, so both
names work while the code moves over (a plain `SELECT *` view over one table is updatable:
INSERT, UPDATE and DELETE through it reach the table):

    ALTER TABLE payouts RENAME TO creator_payouts;
    CREATE VIEW payouts AS SELECT * FROM creator_payouts;
    -- a later migration, once no code uses the old name:
    DROP VIEW payouts;

(The view's columns are fixed when it is created: columns added to the table later are not
in it.) Not reported in rollback scripts, nor for a table created by the same review run.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.helpers import ident, qualified
from pgship.review.model import Hit
from pgship.review.nodes import table_ref
from pgship.review.objects import RELATION, is_new, is_rollback
from pgship.review.parse import Statement

ID = "renaming-table"
SEVERITY = "error"
NODES = ("RenameStmt", "AlterObjectSchemaStmt")

_TABLES = ("OBJECT_TABLE", "OBJECT_FOREIGN_TABLE")


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    node = statement.node
    if statement.kind == "RenameStmt":
        if node.get("renameType") not in _TABLES:
            return
        new_name = ident(node.get("newname", ""))
    elif node.get("objectType") in _TABLES:
        new_name = f"{ident(node.get('newschema', ''))}.{ident(node.get('relation', {}).get('relname', ''))}"
    else:
        return
    table = table_ref(node.get("relation", {}))
    if is_rollback(context) or is_new(context, RELATION, table.name):
        return
    if statement.kind == "RenameStmt" and table.schema:
        new_name = f"{ident(table.schema)}.{new_name}"
    yield Hit(
        f"Renaming table {table} to {new_name} breaks every query that still uses the old "
        "name, including those of the running application.",
        f"{statement.text};\n"
        f"CREATE VIEW {qualified(table)} AS SELECT * FROM {new_name};  -- the old name keeps "
        "working\n"
        f"-- a later migration, once no code uses {table}:\n"
        f"DROP VIEW {qualified(table)};",
        location=node.get("relation", {}).get("location"),
    )
