"""serial / bigserial column: prefer an identity column.

Anti-pattern:

    CREATE TABLE payouts (id bigserial PRIMARY KEY);

serial is not a type but a shorthand for an integer column with a DEFAULT nextval() on a
sequence it creates next to the table. That sequence is a separate object: roles that may
INSERT need USAGE on it too, `CREATE TABLE ... (LIKE payouts INCLUDING ALL)` copies a default
that still points at payouts' sequence, and nothing stops an INSERT from choosing its own id
and making the sequence collide with it later.

Safe alternative: an identity column (SQL standard, PostgreSQL 10+), whose sequence belongs
to the column: it follows the table's grants, is copied by LIKE ... INCLUDING IDENTITY, and
with GENERATED ALWAYS rejects explicit ids unless asked (OVERRIDING SYSTEM VALUE):

    CREATE TABLE payouts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);

(Adding a serial column to an existing table is reported by `add-column-rewrites`.
Rollback files are not reviewed for design.)
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.columns import DESIGN_NODES, DESIGN_SUBTYPES, column_types, design_applies
from pgship.review.context import Context
from pgship.review.helpers import ident
from pgship.review.model import Hit
from pgship.review.parse import Statement

ID = "prefer-identity"
SEVERITY = "info"
NODES = DESIGN_NODES
SUBTYPES = DESIGN_SUBTYPES

_SERIALS = {"serial": "integer", "serial4": "integer", "bigserial": "bigint", "serial8": "bigint"}
_SERIALS |= {"smallserial": "smallint", "serial2": "smallint"}


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    if not design_applies(statement, context):
        return
    for column in column_types(statement):
        kind = column.builtin
        if kind not in _SERIALS or column.action == "alter":
            continue
        if column.action == "add" and not context.is_new_table(column.table):
            continue  # add-column-rewrites reports it, with the same advice
        integer = "bigint" if _SERIALS[kind] == "integer" else _SERIALS[kind]
        yield Hit(
            f"{column.table}.{column.column} is {kind}: its sequence is a separate object "
            "with its own grants, and copies of the table share it; use an identity column.",
            f"{ident(column.column)} {integer} GENERATED ALWAYS AS IDENTITY",
            location=column.location,
        )
