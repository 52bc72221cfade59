"""DROP of a view, function, type or sequence that deployed code may still use.

Anti-pattern:

    DROP VIEW active_creators;
    DROP FUNCTION payout_total(bigint);
    DROP TYPE payout_status;
    DROP SEQUENCE invoice_number_seq;

Code that still selects from the view, calls the function, casts to the type or calls
`nextval()` on the sequence fails from the moment the migration commits; during a deploy the
old version of the application keeps serving requests while the migration runs. A dropped
sequence also loses its current value. (Without CASCADE, PostgreSQL refuses to drop what
other database objects depend on, e.g. a type that a column uses; see `ban-drop-cascade`.)

Safe alternative: expand and contract: ship the code that no longer uses the object first,
then drop it in a later migration and say why it is safe:

    -- pgship:ignore ban-drop-object nothing calls payout_total() since release 2.9
    DROP FUNCTION payout_total(bigint);

To change a view or function rather than remove it, replace it in place:
`CREATE OR REPLACE VIEW` / `CREATE OR REPLACE FUNCTION` (same name, compatible columns or
signature); a DROP followed in the same file by a CREATE of the same name (needed to change a
function's return type, or a view's columns) is not reported, except for a sequence, which
would start again from its first value. Covers views, materialized views, functions, procedures, aggregates, types,
domains and sequences (tables, schemas and databases have rules of their own). Not reported
in rollback scripts (a rollback is meant to drop what its migration created), nor for objects
created by the same review run.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.model import Hit
from pgship.review.objects import (
    FUNCTION_KINDS,
    RELATION_KINDS,
    TYPE_KINDS,
    created_later,
    dropped_objects,
    key_kind,
)
from pgship.review.parse import Statement

ID = "ban-drop-object"
SEVERITY = "warning"
NODES = ("DropStmt",)

_KINDS = {
    **{
        k: v for k, v in RELATION_KINDS.items() if k not in ("OBJECT_TABLE", "OBJECT_FOREIGN_TABLE")
    },
    **TYPE_KINDS,
    **FUNCTION_KINDS,
}
_USES = {
    "view": "selects from it",
    "materialized view": "selects from it",
    "sequence": "calls nextval() on it",
    "type": "casts to it or stores it",
    "domain": "casts to it or stores it",
}


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    remove = statement.node.get("removeType", "")
    what = _KINDS.get(remove)
    kind = key_kind(remove)
    if what is None or kind is None:
        return
    names = dropped_objects(statement, context, kind)
    if what != "sequence":  # a new sequence would start again from 1
        names = [n for n in names if not created_later(statement, context, kind, n.split(".")[-1])]
    if not names:
        return
    listed = ", ".join(names)
    uses = _USES.get(what, "calls it")
    yield Hit(
        f"DROP {what.upper()} {listed}: code that still {uses} fails.",
        f"-- first ship code that no longer uses {listed}, then in a later migration:\n"
        f"-- pgship:ignore {ID} <why nothing uses {listed} any more>\n"
        f"{statement.text};",
    )
