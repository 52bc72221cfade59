"""DROP TABLE of a table that deployed code may still use: its data is gone and queries fail.

Anti-pattern:

    DROP TABLE payouts;

Every row is deleted (only a backup brings them back), and every running copy of the
application that still reads or writes the table fails from that moment: during a deploy the
old version keeps serving requests while the migration runs. DROP TABLE also waits for an
ACCESS EXCLUSIVE lock on the table.

Safe alternative: expand and contract. First ship the code that no longer uses the table and
let every old copy of it stop; then, in a later migration, take a backup and drop the table,
saying why it is safe on the line before:

    -- pgship:ignore ban-drop-table nothing reads payouts since release 2.14 (backup taken)
    DROP TABLE payouts;

To keep the data around for a while instead, move the table out of the application's way
(`ALTER TABLE payouts SET SCHEMA archive;`) and drop it later.

Not reported in rollback scripts (a rollback is meant to drop what its migration created),
nor for a table that a file of the same review run created: no deployed code uses it yet.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.model import Hit
from pgship.review.objects import RELATION, dropped_objects
from pgship.review.parse import Statement

ID = "ban-drop-table"
SEVERITY = "error"
NODES = ("DropStmt",)

_KINDS = ("OBJECT_TABLE", "OBJECT_FOREIGN_TABLE")


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    if statement.node.get("removeType") not in _KINDS:
        return
    tables = dropped_objects(statement, context, RELATION)
    if not tables:
        return
    names = ", ".join(tables)
    its, it = ("its", "it") if len(tables) == 1 else ("their", "them")
    yield Hit(
        f"DROP TABLE {names} deletes {its} rows for good, and code that still uses {it} fails.",
        "-- first ship code that no longer uses "
        f"{names}, then in a later migration (after a backup):\n"
        f"-- pgship:ignore {ID} <why nothing uses {names} any more>\n"
        f"{statement.text};",
    )
