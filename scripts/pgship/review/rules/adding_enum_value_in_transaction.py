"""ALTER TYPE ... ADD VALUE where it fails: in a transaction before PostgreSQL 12, or used too soon.

Anti-pattern (PostgreSQL 11 and older):

    ALTER TYPE payout_status ADD VALUE 'on_hold';   -- in a file pgship runs in a transaction

fails with "ALTER TYPE ... ADD cannot run inside a transaction block" (unless the type was
created in the same transaction).

Anti-pattern (PostgreSQL 12 and newer, where ADD VALUE may run in a transaction):

    ALTER TYPE payout_status ADD VALUE 'on_hold';
    UPDATE payouts SET status = 'on_hold' WHERE failure_reason = 'kyc';

fails with "unsafe use of new value "on_hold" of enum type payout_status": a new enum value
cannot be used (in a cast, comparison, INSERT, DEFAULT, CHECK or index predicate) before the
transaction that added it commits, even when the type itself is new. pgship reports the
statements of the same transaction that mention the new label: as an error where it is cast
to the type (`'on_hold'::payout_status`), as a warning where it is a bare string, which may
be meant for another column.

Safe alternative: add the value in a migration file of its own, outside a transaction, and use
it from the next file on (each file commits before the next one starts; not with
`--single-transaction`, which runs all pending files in one transaction):

    -- 012_payout_status_on_hold.sql
    -- pgship:no-transaction
    ALTER TYPE payout_status ADD VALUE IF NOT EXISTS 'on_hold';
    -- 013_hold_kyc_payouts.sql
    UPDATE payouts SET status = 'on_hold' WHERE failure_reason = 'kyc';
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.model import Hit, Severity
from pgship.review.nodes import Node, strings, walk
from pgship.review.objects import TYPE
from pgship.review.parse import Statement

ID = "adding-enum-value-in-transaction"
SEVERITY = "error"


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    node = statement.node
    if statement.kind == "AlterEnumStmt" and node.get("newVal") and not node.get("oldVal"):
        yield from _add_value(statement, context)
    yield from _uses(statement, context)


def _add_value(statement: Statement, context: Context) -> Iterator[Hit]:
    if context.pg_version >= 12 or not context.in_transaction:
        return
    names = strings(statement.node.get("typeName"))
    type_name = ".".join(names)
    created = context.state.created.get((TYPE, names[-1] if names else ""))
    if created is not None and created == context.state.transaction:
        return  # PostgreSQL allows it for a type created in the same transaction
    where = (
        "between BEGIN and COMMIT"
        if context.explicit_transaction
        else "in a file pgship runs in a transaction"
    )
    yield Hit(
        f"ALTER TYPE {type_name} ADD VALUE cannot run inside a transaction block before "
        f"PostgreSQL 12 (target: {context.pg_version}), and this one is {where}.",
        f"-- in a migration file of its own:\n-- pgship:no-transaction\n{statement.text};",
    )


def _uses(statement: Statement, context: Context) -> Iterator[Hit]:
    """Mentions of enum values added earlier in the same transaction (PostgreSQL 12+)."""
    state = context.state
    if not state.enum_values or context.pg_version < 12 or not context.in_transaction:
        return
    labels = {
        label: type_name
        for label, (transaction, type_name) in state.enum_values.items()
        if transaction == state.transaction
    }
    if not labels:
        return
    typed = _typed_constants(statement.node, labels)
    reported: set[str] = set()
    for kind, fields in walk(statement.node):
        if kind != "A_Const":
            continue
        label = fields.get("sval", {}).get("sval")
        if label not in labels or label in reported:
            continue
        reported.add(label)
        certain = fields.get("location") in typed
        severity: Severity | None = None if certain else "warning"
        maybe = "" if certain else " if it is compared with or stored as that type"
        yield Hit(
            f"'{label}' was added to enum {labels[label]} in this same transaction: using it "
            f'fails{maybe} ("unsafe use of new value") until that transaction commits.',
            f"-- add the value in a migration file of its own (-- pgship:no-transaction) and "
            f"use it from the next file on:\nALTER TYPE {labels[label]} ADD VALUE IF NOT EXISTS "
            + "'"
            + label.replace("'", "''")
            + "';",
            location=fields.get("location"),
            severity=severity,
        )


def _typed_constants(node: Node, labels: dict[str, str]) -> set[int]:
    """Locations of label constants cast to their enum type ('x'::payout_status)."""
    found = set()
    for kind, fields in walk(node):
        if kind != "TypeCast":
            continue
        argument = fields.get("arg", {}).get("A_Const", {})
        label = argument.get("sval", {}).get("sval")
        type_names = strings(fields.get("typeName", {}).get("names"))
        if label in labels and type_names and type_names[-1] == labels[label].split(".")[-1]:
            found.add(argument.get("location", -1))
    return found
