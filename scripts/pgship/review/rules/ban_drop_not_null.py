"""DROP NOT NULL on a column that deployed code expects to be set.

Anti-pattern:

    ALTER TABLE payouts ALTER COLUMN currency DROP NOT NULL;
    ALTER DOMAIN email_address DROP NOT NULL;

Writing keeps working, but code that reads the column (and reports, exports, other services)
was written for a column that is never NULL: the first NULL row can crash it or, worse, be
silently miscounted (`WHERE currency <> 'EUR'` skips NULLs). The guarantee is also hard to get
back: SET NOT NULL later scans the whole table under an ACCESS EXCLUSIVE lock.

Safe alternative: make sure every reader handles NULL first, then drop the constraint and say
so; or keep NOT NULL and give the column a DEFAULT, if writers are what the change is for:

    ALTER TABLE payouts ALTER COLUMN currency SET DEFAULT 'USD';

Not reported in rollback scripts (a rollback undoes its migration's SET NOT NULL), nor for a
column that the same review run created or made NOT NULL.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.helpers import altered_table, ident, qualified
from pgship.review.model import Hit
from pgship.review.nodes import alter_commands, strings
from pgship.review.objects import COLUMN, NOT_NULL, RELATION, TYPE, is_new, is_rollback
from pgship.review.parse import Statement

ID = "ban-drop-not-null"
SEVERITY = "warning"
NODES = ("AlterTableStmt", "AlterDomainStmt")


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    if is_rollback(context):
        return
    if statement.kind == "AlterDomainStmt":
        names = strings(statement.node.get("typeName"))
        if statement.node.get("subtype") == "N" and names and not is_new(context, TYPE, names[-1]):
            domain = ".".join(names)
            yield Hit(
                f"Dropping NOT NULL from domain {domain}: every column of that type may now hold "
                "NULL, and code that reads them may not expect it.",
                f"-- make every reader of {domain} columns handle NULL first, then:\n"
                f"-- pgship:ignore {ID} <why NULL is fine now>\n{statement.text};",
            )
        return
    table = altered_table(statement)
    if table is None or is_new(context, RELATION, table.name):
        return
    for command in alter_commands(statement.node):
        if command.get("subtype") != "AT_DropNotNull":
            continue
        column = command.get("name", "")
        key = f"{table.name}.{column}"
        if is_new(context, COLUMN, key) or is_new(context, NOT_NULL, key):
            continue
        yield Hit(
            f"Dropping NOT NULL from {table}.{column}: code that reads it was written for a "
            "column that is never NULL.",
            f"-- make every reader of {table}.{column} handle NULL first, then:\n"
            f"-- pgship:ignore {ID} <why NULL is fine now>\n"
            f"ALTER TABLE {qualified(table)} ALTER COLUMN {ident(column)} DROP NOT NULL;\n"
            "-- or keep NOT NULL and let writers leave it out:\n"
            f"ALTER TABLE {qualified(table)} ALTER COLUMN {ident(column)} SET DEFAULT <value>;",
        )
