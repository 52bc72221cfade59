"""An UPDATE of a whole existing table (a backfill) inside a schema migration.

Anti-pattern:

    ALTER TABLE payouts ADD COLUMN currency_code text;
    UPDATE payouts SET currency_code = currency;                          -- no WHERE
    UPDATE payouts SET currency_code = 'USD' WHERE currency_code IS NULL;  -- every row, too

The UPDATE is one statement and so one transaction, however large the table: it writes a new
version of every row (the table doubles in size until vacuum, and the WAL burst slows
replicas), holds a row lock on every row it changed until it commits, so the application's
writes to those rows wait, and it keeps the migration's other locks (e.g. the ACCESS
EXCLUSIVE lock of the ALTER TABLE before it) for the whole time. A failure at the end rolls
all of it back.

Which WHERE clauses count as "whole table": none; a constant (`WHERE true`, `WHERE 1 = 1`);
tests for NULL (`col IS NULL`, the usual backfill filter, matches every row of a new
column); comparisons between two columns (join conditions of `UPDATE ... FROM`); `<>`, NOT,
and OR/AND combinations of those. Any other condition (`id BETWEEN 1 AND 10000`,
`status = 'pending'`) is taken as selective. pgship cannot see the table's size without a
database, so this is reported for every existing table.

Safe alternative: backfill in batches, each committed on its own, in a migration file of
its own marked `-- pgship:no-transaction` (PostgreSQL 11+ can COMMIT inside a DO block run
outside a transaction), after the migration that adds the column:

    -- pgship:no-transaction
    DO $$
    DECLARE
        last_id bigint := 0;
        max_id bigint;
    BEGIN
        SELECT max(id) INTO max_id FROM payouts;
        WHILE last_id < max_id LOOP
            UPDATE payouts SET currency_code = currency
             WHERE id > last_id AND id <= last_id + 10000 AND currency_code IS NULL;
            last_id := last_id + 10000;
            COMMIT;
        END LOOP;
    END $$;

Or run the same loop as a job outside the migrations. Not reported for a table created
earlier in the same file.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.helpers import ident, qualified
from pgship.review.model import Hit
from pgship.review.nodes import Node, TableRef, strings, table_ref, unwrap, walk
from pgship.review.objects import is_new_table_here
from pgship.review.parse import Statement
from pgship.review.rules.update_or_delete_without_where import data_changes

ID = "backfill-in-migration"
SEVERITY = "warning"
NODES = ("UpdateStmt", "InsertStmt", "SelectStmt", "DeleteStmt", "MergeStmt")

ROW_EXCLUSIVE = "ROW EXCLUSIVE"
_BATCH = 10000


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    for kind, node in data_changes(statement.kind, statement.node):
        if kind != "UpdateStmt":
            continue
        relation = node.get("relation", {})
        table = table_ref(relation)
        where = node.get("whereClause")
        if is_new_table_here(context, table) or (where and selective(where)):
            continue
        how = "without WHERE" if not where else "with a WHERE that selects every row"
        yield Hit(
            f"UPDATE of {table} {how} is a backfill of the whole table in one transaction: "
            "it locks every row it changes until the migration commits.",
            _alternative(table, node),
            ROW_EXCLUSIVE,
            relation.get("location"),
        )


def selective(expression: Node) -> bool:
    """Whether a WHERE clause may select only part of the table (see the docstring)."""
    kind, node = unwrap(expression)
    if kind == "BoolExpr":
        arguments = [selective(argument) for argument in node.get("args", [])]
        if node.get("boolop") == "AND_EXPR":
            return any(arguments)
        return False if node.get("boolop") == "NOT_EXPR" else all(arguments)
    if kind in ("NullTest", "BooleanTest", "A_Const", "TypeCast"):
        return False
    if kind == "A_Expr" and node.get("kind") == "AEXPR_OP":
        operator = strings(node.get("name"))
        if operator in (["<>"], ["!="]):
            return False
        columns = [_mentions_column(node.get(side)) for side in ("lexpr", "rexpr")]
        return columns.count(True) == 1  # not a join condition, not a constant (1 = 1)
    return not (kind == "A_Expr" and node.get("kind") == "AEXPR_DISTINCT")


def _mentions_column(expression: Node | None) -> bool:
    return expression is not None and any(kind == "ColumnRef" for kind, _ in walk(expression))


def _alternative(table: TableRef, node: Node) -> str:
    sets = []
    for target in node.get("targetList") or []:
        name = target.get("ResTarget", {}).get("name")
        if name:
            sets.append(ident(name))
    assignment = ", ".join(f"{column} = ..." for column in sets) or "..."
    target = qualified(table)
    return (
        "-- in a migration file of its own, after the one that adds the column:\n"
        "-- pgship:no-transaction\n"
        "DO $$\n"
        "DECLARE\n"
        "    last_id bigint := 0;\n"
        "    max_id bigint;\n"
        "BEGIN\n"
        f"    SELECT max(id) INTO max_id FROM {target};\n"
        "    WHILE last_id < max_id LOOP\n"
        f"        UPDATE {target} SET {assignment}\n"
        f"         WHERE id > last_id AND id <= last_id + {_BATCH};\n"
        f"        last_id := last_id + {_BATCH};\n"
        "        COMMIT;\n"
        "    END LOOP;\n"
        "END $$;"
    )
