"""DROP ... CASCADE: it also drops whatever depends on the object, unseen in the migration.

Anti-pattern:

    DROP TABLE creators CASCADE;
    DROP TYPE payout_status CASCADE;
    ALTER TABLE users DROP COLUMN email CASCADE;

Besides the object named, PostgreSQL drops every object that depends on it: views over a
table, foreign keys of other tables that reference it, and for a type the columns of other
tables that use it, with their data. None of that is written in the migration, so reviewers
cannot see it, and it differs between databases (a view someone created by hand in production
goes too).

Safe alternative: drop without CASCADE. PostgreSQL then refuses while anything depends on the
object and lists the dependents ("DETAIL: view active_creators depends on table creators"):
drop or change each of them explicitly first, in the same migration, where reviewers see it:

    DROP VIEW active_creators;
    ALTER TABLE payouts DROP CONSTRAINT payouts_creator_id_fkey;
    DROP TABLE creators;

Reported in rollback scripts too, as a warning: a rollback is meant to drop what its
migration created, and CASCADE can take more than that with it. Not reported when every object
dropped was created by the same review run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.helpers import altered_table
from pgship.review.model import Hit, Severity
from pgship.review.nodes import alter_commands, strings
from pgship.review.objects import (
    COLUMN,
    CONSTRAINT,
    RELATION,
    TYPE,
    is_new,
    is_rollback,
    key_kind,
    name_parts,
)
from pgship.review.parse import Statement

ID = "ban-drop-cascade"
SEVERITY = "error"
NODES = ("DropStmt", "AlterTableStmt", "AlterDomainStmt", "DropOwnedStmt")

_CASCADE = "DROP_CASCADE"
_ALTER_DROPS = {
    "AT_DropColumn": (COLUMN, "column"),
    "AT_DropConstraint": (CONSTRAINT, "constraint"),
}


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    what = _cascading_drop(statement, context)
    if what is None:
        return
    severity: Severity | None = "warning" if is_rollback(context) else None
    yield Hit(
        f"{what} with CASCADE also drops every object that depends on it (views, foreign keys, "
        "columns of other tables), and none of them is named in the migration.",
        "-- drop without CASCADE: PostgreSQL lists what depends on it; drop or change each of "
        "those explicitly first\n"
        f"{_without_cascade(statement.text)};",
        severity=severity,
    )


def _cascading_drop(statement: Statement, context: Context) -> str | None:
    """What the statement drops with CASCADE (e.g. "DROP TABLE creators"), or None."""
    node = statement.node
    if statement.kind == "DropStmt" and node.get("behavior") == _CASCADE:
        remove = node.get("removeType", "")
        kind = key_kind(remove)
        names = [name_parts(item) for item in node.get("objects") or []]
        if kind is not None and names and all(p and is_new(context, kind, p[-1]) for p in names):
            return None
        label = (
            remove.removeprefix("OBJECT_").replace("_", " ").replace("MATVIEW", "MATERIALIZED VIEW")
        )
        return f"DROP {label} {', '.join('.'.join(p) for p in names)}"
    if statement.kind == "DropOwnedStmt" and node.get("behavior") == _CASCADE:
        return "DROP OWNED"
    if statement.kind == "AlterDomainStmt" and node.get("behavior") == _CASCADE:
        domain = strings(node.get("typeName"))
        if node.get("subtype") == "X" and domain and not is_new(context, TYPE, domain[-1]):
            return f"Dropping constraint {node.get('name', '')} of domain {'.'.join(domain)}"
        return None
    table = altered_table(statement)
    if table is None or is_new(context, RELATION, table.name):
        return None
    for command in alter_commands(node):
        name = command.get("name", "")
        what = _ALTER_DROPS.get(command.get("subtype", ""))
        if what is None or command.get("behavior") != _CASCADE:
            continue
        if not is_new(context, what[0], f"{table.name}.{name}"):
            return f"Dropping {what[1]} {table}.{name}"
    return None


def _without_cascade(text: str) -> str:
    """The statement's SQL with its CASCADE keyword(s) removed."""
    return re.sub(r"\s+CASCADE\b", "", text, flags=re.IGNORECASE)
