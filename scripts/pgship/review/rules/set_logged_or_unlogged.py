"""ALTER TABLE ... SET LOGGED or SET UNLOGGED on an existing table: a full rewrite under lock.

Anti-pattern:

    ALTER TABLE events SET LOGGED;
    ALTER TABLE events SET UNLOGGED;

Changing a table's persistence rewrites it, with all its indexes, while holding an ACCESS
EXCLUSIVE lock: no reads or writes until the copy is done. SET LOGGED also writes the whole
table to the WAL, which every replica and WAL archive must then receive and replay. SET
UNLOGGED has a cost beyond the lock: an unlogged table is emptied after a crash and is not
replicated, so its rows are missing on standbys and gone after a failover.

Safe alternative: choose the persistence when the table is created (a table created earlier
in the same file is not reported). To turn a big unlogged table into a logged one, copy it
into a new logged table and swap the names in a short transaction:

    CREATE TABLE events_new (LIKE events INCLUDING ALL);
    -- copy rows in batches (INSERT INTO events_new SELECT ... WHERE id BETWEEN ...),
    -- keeping new writes in step with a trigger; then, in a migration of its own:
    ALTER TABLE events RENAME TO events_old;
    ALTER TABLE events_new RENAME TO events;

Keep UNLOGGED for data you can rebuild (caches, staging tables of a bulk load).
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.helpers import ACCESS_EXCLUSIVE, existing_table, ident, qualified
from pgship.review.model import Hit
from pgship.review.nodes import TableRef, alter_commands
from pgship.review.parse import Statement

ID = "set-logged-or-unlogged"
SEVERITY = "error"
NODES = ("AlterTableStmt",)
SUBTYPES = ("AT_SetLogged", "AT_SetUnLogged")


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    table = existing_table(statement, context)
    if table is None:
        return
    for command in alter_commands(statement.node):
        subtype = command.get("subtype")
        if subtype == "AT_SetLogged":
            copy = qualified(TableRef(table.schema, f"{table.name}_new"))
            yield Hit(
                f"SET LOGGED rewrites {table} and all its indexes under an ACCESS EXCLUSIVE "
                "lock, and writes the whole table to the WAL for every replica to replay.",
                f"CREATE TABLE {copy} (LIKE {qualified(table)} INCLUDING ALL);\n"
                "-- copy rows in batches, then swap the names in one short transaction:\n"
                f"ALTER TABLE {qualified(table)} RENAME TO {ident(table.name + '_old')};\n"
                f"ALTER TABLE {copy} RENAME TO {ident(table.name)};",
                ACCESS_EXCLUSIVE,
            )
        elif subtype == "AT_SetUnLogged":
            yield Hit(
                f"SET UNLOGGED rewrites {table} under an ACCESS EXCLUSIVE lock, and afterwards "
                "its rows are not replicated and are lost on a crash.",
                "-- keep the table logged; make only rebuildable data (caches, staging tables)\n"
                "-- UNLOGGED, when it is created:\n"
                f"CREATE UNLOGGED TABLE {ident(table.name + '_staging')} "
                f"(LIKE {qualified(table)});",
                ACCESS_EXCLUSIVE,
            )
