"""BEGIN inside a transaction that is already open: it does nothing, and its COMMIT ends the outer one.

Anti-pattern:

    BEGIN;                        -- in a file pgship runs in a transaction (no
    ALTER TABLE ...;              -- `-- pgship:no-transaction` line): pgship's transaction
    COMMIT;                       -- is already open

    -- pgship:no-transaction
    BEGIN;
    ...
    BEGIN;                        -- nested: still the first transaction
    ...
    COMMIT;                       -- commits everything since the first BEGIN

PostgreSQL has no nested transactions: a BEGIN inside one only warns ("there is already a
transaction in progress") and is ignored, so the COMMIT meant for it commits the outer
transaction early. In a file pgship runs in a transaction that COMMIT ends pgship's own
transaction: what follows runs statement by statement in autocommit, and when a later
statement fails pgship cannot roll the earlier ones back, although it reports the migration as
rolled back and leaves it unrecorded (see `stray-commit`).

Safe alternative: remove BEGIN and COMMIT; pgship already runs the whole file in one
transaction. To group statements in a file marked `-- pgship:no-transaction`, use one
BEGIN ... COMMIT block at a time; for a partial rollback inside a transaction use SAVEPOINT.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.model import Hit
from pgship.review.parse import Statement

ID = "transaction-nesting"
SEVERITY = "error"
NODES = ("TransactionStmt",)

STARTS = ("TRANS_STMT_BEGIN", "TRANS_STMT_START")


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    if statement.node.get("kind") not in STARTS or not context.in_transaction:
        return
    if context.explicit_transaction:
        yield Hit(
            "BEGIN inside a transaction that an earlier BEGIN opened: PostgreSQL ignores it, "
            "and the next COMMIT commits everything since the first BEGIN.",
            "-- remove this BEGIN (PostgreSQL has no nested transactions), or COMMIT the "
            "first transaction before it;\n-- to undo part of a transaction, use SAVEPOINT "
            "name / ROLLBACK TO SAVEPOINT name.",
        )
    else:
        yield Hit(
            "BEGIN in a file pgship already runs in a transaction: PostgreSQL ignores it, and "
            "its COMMIT ends pgship's transaction part way through the migration.",
            "-- remove BEGIN and COMMIT: pgship runs the whole file in one transaction.\n"
            "-- (To control transactions yourself, start the file with "
            "`-- pgship:no-transaction`.)",
        )
