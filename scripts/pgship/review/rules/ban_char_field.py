"""char(n) / character(n) column: blank-padded, and no faster than text.

Anti-pattern:

    CREATE TABLE creators (country_code char(2));

char(n) pads every value with spaces to n characters. `=` ignores the padding, LIKE and the
application see it, and casts and concatenation drop it: `'ab'::char(3) = 'ab '` holds,
`'ab'::char(3) LIKE 'ab'` does not, and `'ab'::char(3) || '!'` is `'ab!'`. It is stored like
text and is no faster.

Safe alternative: text, with the length rule as a CHECK:

    CREATE TABLE creators (
        country_code text CONSTRAINT creators_country_code_length CHECK (char_length(country_code) = 2)
    );

(The one-byte internal type `"char"`, quoted, is a different type and is not reported.
Rollback files are not reviewed for design.)
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.columns import DESIGN_NODES, DESIGN_SUBTYPES, column_types, design_applies
from pgship.review.context import Context
from pgship.review.helpers import ident
from pgship.review.model import Hit
from pgship.review.parse import Statement

ID = "ban-char-field"
SEVERITY = "warning"
NODES = DESIGN_NODES
SUBTYPES = DESIGN_SUBTYPES


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    if not design_applies(statement, context):
        return
    for column in column_types(statement):
        if column.builtin != "bpchar":
            continue
        length = column.mods[0] if column.mods else 1
        name = ident(column.column)
        array = "[]" if column.array else ""
        constraint = ident(f"{column.table.name}_{column.column}_length")
        alternative = (
            f"{name} text[]"
            if column.array
            else f"{name} text CONSTRAINT {constraint} CHECK (char_length({name}) = {length})"
        )
        yield Hit(
            f"{column.table}.{column.column} is char({length}){array}: values are padded with "
            "spaces that `=` ignores but LIKE and the application see; it is no faster than "
            "text.",
            alternative,
            location=column.location,
        )
