"""json column: prefer jsonb.

Anti-pattern:

    CREATE TABLE audit_log (details json NOT NULL);

json keeps the input text as written and parses it again on every access. It has no
equality operator, so `SELECT DISTINCT`, `GROUP BY`, `UNION` and unique constraints on it
fail, and it has no GIN operator class: `details @> '{"a": 1}'` cannot use an index (json has
no `@>` at all).

Safe alternative: jsonb (parsed once, indexable with GIN, comparable):

    CREATE TABLE audit_log (details jsonb NOT NULL);

Keep json only when the exact input text matters (key order, duplicate keys, whitespace),
and say so: `-- pgship:ignore prefer-jsonb we store the provider's payload byte for byte`.
(Rollback files are not reviewed for design.)
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.columns import DESIGN_NODES, DESIGN_SUBTYPES, column_types, design_applies
from pgship.review.context import Context
from pgship.review.helpers import ident
from pgship.review.model import Hit
from pgship.review.parse import Statement

ID = "prefer-jsonb"
SEVERITY = "warning"
NODES = DESIGN_NODES
SUBTYPES = DESIGN_SUBTYPES


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    if not design_applies(statement, context):
        return
    for column in column_types(statement):
        if column.builtin != "json":
            continue
        array = "[]" if column.array else ""
        yield Hit(
            f"{column.table}.{column.column} is json: it is re-parsed on every access, has "
            "no equality (DISTINCT, GROUP BY, UNION fail on it) and no GIN index support; "
            "use jsonb.",
            f"{ident(column.column)} jsonb{array}",
            location=column.location,
        )
