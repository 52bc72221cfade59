"""varchar(n) column: prefer text with a CHECK on its length.

Anti-pattern:

    CREATE TABLE creators (handle varchar(30) NOT NULL);
    ALTER TABLE creators ADD COLUMN bio varchar(500);

The limit is part of the column's type, so changing it is an ALTER COLUMN TYPE: instant (but
under an ACCESS EXCLUSIVE lock) when it grows, a full table rewrite under that lock when it
shrinks. varchar(n) is not faster or smaller than text: PostgreSQL stores them the same way.

Safe alternative: text, with the limit as a named CHECK constraint. A new limit is then a new
CHECK added NOT VALID (instant) and validated without blocking writes, then the old one
dropped; no rewrite whichever way the limit moves:

    CREATE TABLE creators (
        handle text NOT NULL CONSTRAINT creators_handle_length CHECK (char_length(handle) <= 30)
    );

(Reported as info: varchar(n) is not wrong, only harder to change. `varchar` without a limit
is text under another name and is not reported. Rollback files are not reviewed for design.)
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.columns import DESIGN_NODES, DESIGN_SUBTYPES, column_types, design_applies
from pgship.review.context import Context
from pgship.review.helpers import ident
from pgship.review.model import Hit
from pgship.review.parse import Statement

ID = "prefer-text-field"
SEVERITY = "info"
NODES = DESIGN_NODES
SUBTYPES = DESIGN_SUBTYPES


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    if not design_applies(statement, context):
        return
    for column in column_types(statement):
        if column.builtin != "varchar" or not column.mods:
            continue
        limit = column.mods[0]
        name = ident(column.column)
        array = "[]" if column.array else ""
        if column.array:
            alternative = f"{name} text[]   -- with a CHECK on the elements if the limit matters"
        else:
            constraint = ident(f"{column.table.name}_{column.column}_length")
            alternative = (
                f"{name} text CONSTRAINT {constraint} CHECK (char_length({name}) <= {limit})"
            )
        yield Hit(
            f"{column.table}.{column.column} is varchar({limit}){array}: changing the limit "
            "later is an ALTER COLUMN TYPE under an ACCESS EXCLUSIVE lock (a full rewrite when "
            "it shrinks); a CHECK on a text column can be tightened NOT VALID, with no rewrite.",
            alternative,
            location=column.location,
        )
