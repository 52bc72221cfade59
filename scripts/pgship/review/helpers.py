"""Small helpers that rule modules share: lock names, the table a statement alters, SQL text."""

from __future__ import annotations

import re

from pgship.review.context import Context
from pgship.review.nodes import Node, TableRef, column_constraints, table_ref, type_ref
from pgship.review.parse import Statement

ACCESS_EXCLUSIVE = "ACCESS EXCLUSIVE"
SHARE = "SHARE"
SHARE_ROW_EXCLUSIVE = "SHARE ROW EXCLUSIVE"
SHARE_UPDATE_EXCLUSIVE = "SHARE UPDATE EXCLUSIVE"

OWN_FILE = "in a migration file of its own that starts with `-- pgship:no-transaction`"

_BARE = re.compile(r"^[a-z_][a-z0-9_$]*$")


_last_altered: tuple[Statement | None, TableRef | None] = (None, None)


def altered_table(statement: Statement) -> TableRef | None:
    """The table an ALTER TABLE statement changes (None for other statements).

    Most ALTER TABLE rules ask, one after the other for the same statement: the last answer
    is kept.
    """
    global _last_altered
    if _last_altered[0] is statement:
        return _last_altered[1]
    table = None
    if statement.kind == "AlterTableStmt" and statement.node.get("objtype") == "OBJECT_TABLE":
        table = table_ref(statement.node.get("relation", {}))
    _last_altered = (statement, table)
    return table


def existing_table(statement: Statement, context: Context) -> TableRef | None:
    """The table an ALTER TABLE changes, unless this file created it (new tables are empty)."""
    table = altered_table(statement)
    return None if table is None or context.is_new_table(table) else table


def ident(name: str) -> str:
    """An identifier as SQL source: quoted when it has to be."""
    from pglast.keywords import RESERVED_KEYWORDS

    if _BARE.match(name) and name not in RESERVED_KEYWORDS:
        return name
    return '"' + name.replace('"', '""') + '"'


def qualified(table: TableRef) -> str:
    return f"{ident(table.schema)}.{ident(table.name)}" if table.schema else ident(table.name)


def with_keyword(text: str, pattern: str, keyword: str) -> str | None:
    """`text` with `keyword` inserted after the first match of the regex `pattern` (or None)."""
    match = re.search(pattern, text, re.IGNORECASE)
    if match is None:
        return None
    return f"{text[: match.end()]} {keyword}{text[match.end() :]}"


def column_type_text(statement: Statement, column: Node) -> str:
    """A ColumnDef's type as written in the statement (e.g. "varchar(20)")."""
    type_name = column.get("typeName", {})
    starts = [c.get("location", -1) for c in column_constraints(column)]
    starts.append(column.get("collClause", {}).get("location", -1))
    ends = [location for location in starts if location > type_name.get("location", -1)]
    if "location" not in type_name or not ends:
        return str(type_ref(type_name))
    begin = statement.char_offset(type_name["location"]) - statement.start
    end = statement.char_offset(min(ends)) - statement.start
    return " ".join(statement.text[begin:end].split()) or str(type_ref(type_name))


_TOKEN = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|\$\$.*?\$\$|\w+|\S""", re.DOTALL)
_CLAUSE_KEYWORDS = {
    "not",
    "null",
    "check",
    "references",
    "constraint",
    "unique",
    "primary",
    "generated",
    "collate",
    "default",
}


def default_text(statement: Statement, constraint: Node) -> str:
    """The expression of a DEFAULT constraint as written (e.g. "gen_random_uuid()")."""
    start = statement.char_offset(constraint.get("location")) - statement.start
    text = statement.text
    tokens = _TOKEN.finditer(text, start)
    next(tokens, None)  # the DEFAULT keyword itself
    depth, begin, end = 0, None, None
    for token in tokens:
        word = token.group(0)
        if depth == 0 and (word in {",", ")"} or word.lower() in _CLAUSE_KEYWORDS):
            break
        depth += {"(": 1, ")": -1}.get(word, 0)
        begin = token.start() if begin is None else begin
        end = token.end()
    if begin is None or end is None:
        return "(expression)"
    return " ".join(text[begin:end].split())
