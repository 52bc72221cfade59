"""A CONCURRENTLY statement that would run inside a transaction block, where it fails.

Anti-pattern: CREATE INDEX CONCURRENTLY, DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY or
DETACH PARTITION CONCURRENTLY in a file pgship runs in a transaction (every file without
`-- pgship:no-transaction`), or between BEGIN and COMMIT. PostgreSQL refuses with "cannot run
inside a transaction block" and the migration fails.

Safe alternative: put the statement in a migration file of its own that starts with

    -- pgship:no-transaction

pgship then runs that file statement by statement, each committed on its own; keep one
CONCURRENTLY statement per file (or make each one safe to re-run with IF NOT EXISTS / IF
EXISTS) so that a failure part way through is easy to resume.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.model import Hit
from pgship.review.nodes import alter_commands
from pgship.review.parse import Statement
from pgship.review.rules.require_concurrent_reindex import is_concurrent

ID = "concurrently-in-transaction"
SEVERITY = "error"
NODES = ("IndexStmt", "DropStmt", "ReindexStmt", "AlterTableStmt")
SUBTYPES = ("AT_DetachPartition",)  # for ALTER TABLE; other kinds: all


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    what = _concurrent_statement(statement)
    if what is None or not context.in_transaction:
        return
    if context.explicit_transaction:
        why = "it is between BEGIN and COMMIT"
        fix = "Remove the BEGIN/COMMIT around it"
        if not context.no_transaction_file:
            fix += " and mark the file `-- pgship:no-transaction`"
    else:
        why = "pgship runs this file in one transaction"
        fix = "Move it to a migration file of its own that starts with `-- pgship:no-transaction`"
    yield Hit(
        f"{what} cannot run inside a transaction block, and {why}: the migration would fail.",
        f"{fix}:\n-- pgship:no-transaction\n{statement.text};",
    )


def _concurrent_statement(statement: Statement) -> str | None:
    """What the CONCURRENTLY statement is, or None."""
    node = statement.node
    if statement.kind == "IndexStmt" and node.get("concurrent"):
        return "CREATE INDEX CONCURRENTLY"
    if statement.kind == "DropStmt" and node.get("concurrent"):
        return "DROP INDEX CONCURRENTLY"
    if statement.kind == "ReindexStmt" and is_concurrent(node):
        return "REINDEX CONCURRENTLY"
    if statement.kind == "AlterTableStmt":
        for command in alter_commands(node):
            partition = command.get("def", {}).get("PartitionCmd", {})
            if command.get("subtype") == "AT_DetachPartition" and partition.get("concurrent"):
                return "DETACH PARTITION CONCURRENTLY"
    return None
