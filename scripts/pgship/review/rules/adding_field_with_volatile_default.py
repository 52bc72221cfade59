"""ADD COLUMN with a default that makes PostgreSQL rewrite the table.

Anti-pattern:

    ALTER TABLE users ADD COLUMN api_key uuid DEFAULT gen_random_uuid();

Since PostgreSQL 11, a non-volatile default (a constant, `now()`, `CURRENT_TIMESTAMP`,
`lower('X')`...) is evaluated once and stored in the catalog: the column is added instantly.
A volatile default (`random()`, `gen_random_uuid()`, `clock_timestamp()`, `nextval()`, or a
function of your own, which CREATE FUNCTION makes VOLATILE unless told otherwise) must be
computed for each existing row, so the whole table is rewritten under an ACCESS EXCLUSIVE lock:
no reads or writes until it is done. Before PostgreSQL 11 any default other than NULL rewrites.

`now()` is STABLE, not volatile: on PostgreSQL 11+ `DEFAULT now()` does not rewrite (existing
rows get the migration's time). pgship does not flag it there.

Safe alternative: add the column without the default, set the default for new rows (this
never touches existing rows), then fill existing rows in batches outside the migration:

    ALTER TABLE users ADD COLUMN api_key uuid;
    ALTER TABLE users ALTER COLUMN api_key SET DEFAULT gen_random_uuid();
    -- then, in batches: UPDATE users SET api_key = gen_random_uuid()
    --                   WHERE id BETWEEN $1 AND $2 AND api_key IS NULL;
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.catalog import volatility
from pgship.review.context import Context
from pgship.review.helpers import (
    ACCESS_EXCLUSIVE,
    column_type_text,
    default_text,
    existing_table,
    ident,
    qualified,
)
from pgship.review.model import Hit
from pgship.review.nodes import (
    Node,
    TableRef,
    alter_commands,
    column_constraints,
    function_name,
    walk,
)
from pgship.review.parse import Statement

ID = "adding-field-with-volatile-default"
SEVERITY = "error"
NODES = ("AlterTableStmt",)
SUBTYPES = ("AT_AddColumn",)


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    table = existing_table(statement, context)
    if table is None:
        return
    for command in alter_commands(statement.node):
        column = command.get("def", {}).get("ColumnDef")
        if command.get("subtype") != "AT_AddColumn" or column is None:
            continue
        for constraint in column_constraints(column):
            if constraint.get("contype") != "CONSTR_DEFAULT" or _is_null(constraint):
                continue
            hit = _judge(constraint, column, table, statement, context)
            if hit is not None:
                yield hit


def _judge(
    constraint: Node, column: Node, table: TableRef, statement: Statement, context: Context
) -> Hit | None:
    expression = constraint.get("raw_expr", {})
    name = column.get("colname", "")
    default = default_text(statement, constraint)
    target = f"{table}.{name}"
    fix = _alternative(qualified(table), ident(name), column_type_text(statement, column), default)
    if context.pg_version < 11:
        return Hit(
            f"Before PostgreSQL 11, ADD COLUMN {name} with DEFAULT {default} rewrites {table} "
            f"under an ACCESS EXCLUSIVE lock (target: PostgreSQL {context.pg_version}).",
            fix,
            ACCESS_EXCLUSIVE,
            constraint.get("location"),
        )
    functions = [function_name(fields) for kind, fields in walk(expression) if kind == "FuncCall"]
    volatile = [f for f in functions if volatility(f) == "volatile"]
    if volatile:
        return Hit(
            f"Adding {target} with the volatile DEFAULT {default} rewrites {table} under an "
            f"ACCESS EXCLUSIVE lock: {volatile[0]}() gives each existing row its own value.",
            fix,
            ACCESS_EXCLUSIVE,
            constraint.get("location"),
        )
    unknown = [f for f in functions if volatility(f) == "unknown"]
    if unknown:
        return Hit(
            f"Adding {target} with DEFAULT {default} rewrites {table} under an ACCESS "
            f"EXCLUSIVE lock if {unknown[0]}() is VOLATILE (the default for CREATE FUNCTION); "
            "declare it STABLE or IMMUTABLE if it is.",
            fix,
            ACCESS_EXCLUSIVE,
            constraint.get("location"),
            severity="warning",
        )
    return None


def _is_null(constraint: Node) -> bool:
    expression = constraint.get("raw_expr", {})
    return bool(expression.get("A_Const", {}).get("isnull"))


def _alternative(table: str, column: str, type_text: str, default: str) -> str:
    return (
        f"ALTER TABLE {table} ADD COLUMN {column} {type_text};\n"
        f"ALTER TABLE {table} ALTER COLUMN {column} SET DEFAULT {default};\n"
        f"-- then fill existing rows in batches, outside the migration:\n"
        f"-- UPDATE {table} SET {column} = {default} WHERE <key range> AND {column} IS NULL;"
    )
