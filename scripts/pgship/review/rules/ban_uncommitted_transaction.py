"""BEGIN with no COMMIT or ROLLBACK after it in the file: the transaction stays open.

Anti-pattern:

    -- pgship:no-transaction
    CREATE INDEX CONCURRENTLY ...;
    BEGIN;
    ALTER TABLE payouts ADD COLUMN note text;
    -- end of file: no COMMIT

In a file marked `-- pgship:no-transaction` pgship runs each statement as it is, so the
transaction BEGIN opens is still open when the file ends. pgship records the migration inside
it, the next migrations run inside it too, and when the connection closes PostgreSQL rolls all
of it back: pgship reported the migrations as applied, but their changes are gone.

Safe alternative: close every BEGIN in the file that opens it:

    BEGIN;
    ALTER TABLE payouts ADD COLUMN note text;
    COMMIT;

(In a file pgship runs in a transaction, a BEGIN is itself the problem: see
`transaction-nesting`.)
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.model import Hit
from pgship.review.parse import Statement
from pgship.review.rules.stray_commit import ENDS
from pgship.review.rules.transaction_nesting import STARTS

ID = "ban-uncommitted-transaction"
SEVERITY = "error"
NODES = ("TransactionStmt",)


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    if statement.node.get("kind") not in STARTS or context.in_transaction:
        return
    statements = context.state.statements
    position = statement.index  # statements are numbered in file order from 0
    if not (position < len(statements) and statements[position] is statement):
        found = [i for i, s in enumerate(statements) if s is statement]
        if not found:  # the engine did not give the file's statements: cannot tell
            return
        position = found[0]
    for later in statements[position + 1 :]:
        if later.kind != "TransactionStmt":
            continue
        if later.node.get("kind") in ENDS and not later.node.get("chain"):
            return
    yield Hit(
        "BEGIN with no COMMIT after it: the transaction is still open when the file ends, and "
        "what it and the next migrations do is rolled back when pgship disconnects.",
        f"-- close it before the end of the file:\n{statement.text};\n...\nCOMMIT;",
    )
