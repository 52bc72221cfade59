"""timestamp without time zone column: prefer timestamptz.

Anti-pattern:

    CREATE TABLE payouts (paid_at timestamp);
    ALTER TABLE payouts ADD COLUMN settled_at timestamp without time zone;

timestamp stores a wall-clock reading with no offset. A value written by a session whose
TimeZone is Europe/Paris and one written from UTC for the same instant differ by an hour or
two, values written during the autumn DST change are ambiguous, and comparing with now()
(a timestamptz) silently converts through the reading session's time zone.

Safe alternative: timestamptz, which stores the instant (as UTC) and converts to the
session's time zone on display only:

    CREATE TABLE payouts (paid_at timestamptz);

Changing an existing column from timestamp to timestamptz rewrites the table (except on
PostgreSQL 12+ when the session TimeZone is UTC): see `pgship rules changing-column-type`.
(Rollback files are not reviewed for design.)
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.columns import DESIGN_NODES, DESIGN_SUBTYPES, column_types, design_applies
from pgship.review.context import Context
from pgship.review.helpers import ident
from pgship.review.model import Hit
from pgship.review.parse import Statement

ID = "prefer-timestamptz"
SEVERITY = "warning"
NODES = DESIGN_NODES
SUBTYPES = DESIGN_SUBTYPES


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    if not design_applies(statement, context):
        return
    for column in column_types(statement):
        if column.builtin != "timestamp":
            continue
        precision = f"({column.mods[0]})" if column.mods else ""
        array = "[]" if column.array else ""
        yield Hit(
            f"{column.table}.{column.column} is timestamp without time zone: it stores a "
            "wall-clock reading with no offset, so the same instant reads differently from "
            "sessions in different time zones; timestamptz stores the instant.",
            f"{ident(column.column)} timestamptz{precision}{array}",
            location=column.location,
        )
