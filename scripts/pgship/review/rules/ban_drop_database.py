"""DROP DATABASE in a migration.

Anti-pattern:

    DROP DATABASE analytics;

Every table and every row of the database is gone (only a backup brings them back), and
every application connected to it fails. It also cannot run inside a transaction block, so in
a migration file pgship runs in a transaction it fails anyway; and it cannot drop the database
the migration is connected to.

Safe alternative: databases are infrastructure, not schema: retire them outside of migrations,
by hand or with your infrastructure tooling, after a backup (`pgship backup`) and after every
application has stopped connecting. If a migration really must do it, put it in a file of its
own marked `-- pgship:no-transaction` and say why:

    -- pgship:no-transaction
    -- pgship:ignore ban-drop-database the analytics service was shut down in March
    DROP DATABASE analytics;

Not reported in rollback scripts, nor for a database created by the same review run.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.model import Hit
from pgship.review.objects import DATABASE, is_new, is_rollback
from pgship.review.parse import Statement

ID = "ban-drop-database"
SEVERITY = "error"
NODES = ("DropdbStmt",)


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    name = statement.node.get("dbname", "")
    if is_rollback(context) or is_new(context, DATABASE, name):
        return
    fails = " (and it cannot run inside the transaction pgship runs this file in)"
    yield Hit(
        f"DROP DATABASE {name} deletes the whole database; every application using it "
        f"fails{fails if context.in_transaction else ''}.",
        f"-- retire {name} outside of migrations, after a backup; or, in a file of its own:\n"
        "-- pgship:no-transaction\n"
        f"-- pgship:ignore {ID} <why nothing uses {name} any more>\n"
        f"{statement.text};",
    )
