"""DROP SCHEMA of a schema that deployed code may still use: everything in it can go.

Anti-pattern:

    DROP SCHEMA reporting CASCADE;

With CASCADE every table, view, function and type in the schema is dropped with its data;
without it the drop fails unless the schema is already empty. Either way code that still
names the schema (or finds its objects through `search_path`) fails.

Safe alternative: drop the schema's objects one by one, each in the migration that retires
it (see `ban-drop-table`), after the code stops using them; drop the empty schema last, without
CASCADE, so that PostgreSQL refuses if anything is left:

    -- pgship:ignore ban-drop-schema reporting is empty since migration 041
    DROP SCHEMA reporting;

Not reported in rollback scripts (a rollback is meant to drop what its migration created),
nor for a schema that a file of the same review run created.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.helpers import ident
from pgship.review.model import Hit
from pgship.review.objects import SCHEMA, dropped_objects
from pgship.review.parse import Statement

ID = "ban-drop-schema"
SEVERITY = "error"
NODES = ("DropStmt",)


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    if statement.node.get("removeType") != "OBJECT_SCHEMA":
        return
    schemas = dropped_objects(statement, context, SCHEMA)
    if not schemas:
        return
    names = ", ".join(schemas)
    cascade = statement.node.get("behavior") == "DROP_CASCADE"
    what = "and every object in it, with its data" if cascade else "(it must be empty)"
    yield Hit(
        f"DROP SCHEMA {names} drops the schema {what}; code that still uses it fails.",
        f"-- drop the objects of {names} one by one as the code stops using them, then:\n"
        f"-- pgship:ignore {ID} <why nothing uses {names} any more>\n"
        f"DROP SCHEMA {', '.join(ident(s) for s in schemas)};",
    )
