"""UPDATE or DELETE without a WHERE clause: it changes or deletes every row of the table.

Anti-pattern:

    DELETE FROM sessions;
    UPDATE payouts SET status = 'cancelled';
    WITH gone AS (DELETE FROM api_tokens RETURNING id) INSERT INTO audit_log ...;

In a migration this is most often a forgotten WHERE, and it cannot be undone once committed:
only a backup brings the rows back. On a large table it is also one long transaction that
locks every row it touches (see `backfill-in-migration`).

Safe alternative: say which rows:

    DELETE FROM sessions WHERE expires_at < now() - interval '30 days';
    UPDATE payouts SET status = 'cancelled' WHERE status = 'pending' AND requested_at < '2024-01-01';

If every row really is meant (emptying a small lookup table, resetting a column), say so with
`-- pgship:ignore update-or-delete-without-where <reason>`. Not reported for a table created
earlier in the same file (it holds only what the file put there).
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.model import Hit
from pgship.review.nodes import Node, table_ref, unwrap
from pgship.review.objects import is_new_table_here
from pgship.review.parse import Statement

ID = "update-or-delete-without-where"
SEVERITY = "error"
NODES = ("UpdateStmt", "DeleteStmt", "InsertStmt", "SelectStmt", "MergeStmt")

_VERBS = {"UpdateStmt": ("UPDATE", "changes"), "DeleteStmt": ("DELETE", "deletes")}


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    for kind, node in data_changes(statement.kind, statement.node):
        if node.get("whereClause") or kind not in _VERBS:
            continue
        relation = node.get("relation", {})
        table = table_ref(relation)
        if is_new_table_here(context, table):
            continue
        verb, effect = _VERBS[kind]
        example = f"DELETE FROM {table}" if verb == "DELETE" else f"UPDATE {table} SET ..."
        yield Hit(
            f"{verb} without WHERE {effect} every row of {table}.",
            f"-- say which rows:\n{example} WHERE <condition>;\n"
            f"-- or, if every row is meant:\n-- pgship:ignore {ID} <why every row>",
            location=relation.get("location"),
        )


def data_changes(kind: str, node: Node) -> Iterator[tuple[str, Node]]:
    """The statement itself and the data-modifying statements of its WITH clause.

    PostgreSQL allows INSERT/UPDATE/DELETE in WITH only at the top level of a statement, so
    this is every UPDATE and DELETE the statement runs.
    """
    yield kind, node
    for cte in node.get("withClause", {}).get("ctes") or []:
        query = cte.get("CommonTableExpr", {}).get("ctequery")
        if query:
            yield from data_changes(*unwrap(query))
