"""COMMIT or ROLLBACK with no BEGIN before it: it ends pgship's transaction part way through.

Anti-pattern:

    ALTER TABLE payouts ADD COLUMN note text;
    COMMIT;                                       -- no BEGIN in this file
    CREATE INDEX ...;

pgship runs every file without `-- pgship:no-transaction` in one transaction of its own, and
records the migration in the same transaction, so that a migration is applied whole or not
at all. A COMMIT in the file commits that transaction early; the statements after it then
run and commit one by one. When one of them fails, pgship says nothing was kept and leaves the
migration unrecorded, but everything before the failure stays in the database, and running it
again fails on objects that already exist. A ROLLBACK silently throws away what came before
it, the rest runs anyway, and pgship records the migration as applied.

In a file marked `-- pgship:no-transaction` there is no transaction to end: PostgreSQL only
warns ("there is no transaction in progress"), so it is reported as a warning; it is usually
a leftover, or the BEGIN it was meant to close is missing.

Safe alternative: remove it: pgship commits the file's transaction itself when the last
statement succeeds and rolls it back when one fails. To commit part of a migration on its own,
split the file in two.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.model import Hit, Severity
from pgship.review.parse import Statement

ID = "stray-commit"
SEVERITY = "error"
NODES = ("TransactionStmt",)

ENDS = {
    "TRANS_STMT_COMMIT": "COMMIT",
    "TRANS_STMT_ROLLBACK": "ROLLBACK",
    "TRANS_STMT_PREPARE": "PREPARE TRANSACTION",
}


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    verb = ENDS.get(statement.node.get("kind", ""))
    if verb is None or context.explicit_transaction:
        return
    if context.no_transaction_file:
        severity: Severity | None = "warning"
        message = (
            f"{verb} with no transaction open (the file is marked no-transaction and no BEGIN "
            "precedes it): it does nothing."
        )
        alternative = "-- remove it, or add the BEGIN it was meant to close."
    else:
        severity = None
        effect = (
            "commits pgship's transaction part way through: what follows runs in autocommit "
            "and cannot be rolled back with it"
            if verb != "ROLLBACK"
            else "throws away everything before it, and the rest runs and is recorded as applied"
        )
        message = f"{verb} in a file pgship runs in one transaction {effect}."
        alternative = (
            "-- remove it: pgship commits the file's transaction when the migration succeeds;\n"
            "-- to commit part of the migration on its own, split the file in two."
        )
    yield Hit(message, alternative, severity=severity)
