"""DROP DEFAULT (or DROP IDENTITY, DROP EXPRESSION) on a column that deployed code relies on.

Anti-pattern:

    ALTER TABLE payouts ALTER COLUMN currency DROP DEFAULT;
    ALTER TABLE payouts ALTER COLUMN currency SET DEFAULT NULL;
    ALTER TABLE payouts ALTER COLUMN id DROP IDENTITY;
    ALTER TABLE payouts ALTER COLUMN total DROP EXPRESSION;   -- stored generated column

INSERTs that leave the column out, as the running application's do, now store NULL, or fail
with a not-null violation when the column is NOT NULL; after DROP IDENTITY new rows get no id;
after DROP EXPRESSION the column is no longer computed and goes stale.

Safe alternative: first ship code that always sets the column itself, then drop the default
and say why it is safe:

    -- pgship:ignore ban-drop-default every INSERT sets currency since release 4.1
    ALTER TABLE payouts ALTER COLUMN currency DROP DEFAULT;

Changing a default to another value (`SET DEFAULT 'EUR'`) is not reported. Not reported in
rollback scripts, nor for a column created by the same review run.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.helpers import altered_table, ident, qualified
from pgship.review.model import Hit
from pgship.review.nodes import Node, alter_commands, strings
from pgship.review.objects import COLUMN, RELATION, TYPE, is_new, is_rollback
from pgship.review.parse import Statement

ID = "ban-drop-default"
SEVERITY = "warning"
NODES = ("AlterTableStmt", "AlterDomainStmt")

_WHAT = {
    "AT_ColumnDefault": (
        "the default",
        "INSERTs that leave it out store NULL (or fail if it is NOT NULL)",
    ),
    "AT_DropIdentity": ("the identity", "INSERTs that leave it out get no value"),
    "AT_DropExpression": ("the generation expression", "it is no longer computed"),
}

_SQL = {
    "AT_ColumnDefault": "DROP DEFAULT",
    "AT_DropIdentity": "DROP IDENTITY",
    "AT_DropExpression": "DROP EXPRESSION",
}


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    if is_rollback(context):
        return
    if statement.kind == "AlterDomainStmt":
        names = strings(statement.node.get("typeName"))
        if (
            statement.node.get("subtype") == "T"
            and _drops(statement.node.get("def"))
            and names
            and not is_new(context, TYPE, names[-1])
        ):
            domain = ".".join(names)
            yield Hit(
                f"Dropping the default of domain {domain}: INSERTs that leave its columns out "
                "store NULL.",
                f"-- ship code that sets those columns itself first, then:\n"
                f"-- pgship:ignore {ID} <why it is safe>\n{statement.text};",
            )
        return
    table = altered_table(statement)
    if table is None or is_new(context, RELATION, table.name):
        return
    for command in alter_commands(statement.node):
        subtype = command.get("subtype", "")
        if subtype not in _WHAT or (
            subtype == "AT_ColumnDefault" and not _drops(command.get("def"))
        ):
            continue
        column = command.get("name", "")
        if is_new(context, COLUMN, f"{table.name}.{column}"):
            continue
        what, effect = _WHAT[subtype]
        yield Hit(
            f"Dropping {what} of {table}.{column}: {effect}, which breaks code that relies on it.",
            f"-- ship code that always sets {table}.{column} itself first, then:\n"
            f"-- pgship:ignore {ID} <why it is safe>\n"
            f"ALTER TABLE {qualified(table)} ALTER COLUMN {ident(column)} {_SQL[subtype]};",
        )


def _drops(default: Node | None) -> bool:
    """Whether a SET DEFAULT expression removes the default: none (DROP DEFAULT) or NULL."""
    if not default:
        return True
    if "TypeCast" in default:
        default = default["TypeCast"].get("arg", {})
    return bool(default.get("A_Const", {}).get("isnull"))
