"""Updates FileState and Facts after each statement: transactions, new tables, constraints."""

from __future__ import annotations

from pgship.review import columns, objects, session
from pgship.review.context import Facts, FileState
from pgship.review.nodes import (
    Node,
    TableRef,
    alter_commands,
    children,
    column_constraints,
    strings,
    table_ref,
    type_ref,
)
from pgship.review.parse import Statement

_STARTS = {"TRANS_STMT_BEGIN", "TRANS_STMT_START"}
_ENDS = {"TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK", "TRANS_STMT_PREPARE"}


def before(state: FileState) -> None:
    """Outside a transaction block, each statement of a no-transaction file is its own."""
    if not state.in_transaction:
        state.transaction += 1


def observe(statement: Statement, state: FileState, facts: Facts) -> None:
    """Record what `statement` did, for the rules that check the statements after it."""
    node = statement.node
    if statement.kind == "TransactionStmt":
        _transaction(node.get("kind", ""), state)
    elif statement.kind == "CreateStmt":
        _create_table(node, state, facts)
    elif statement.kind == "CreateTableAsStmt":
        into = node.get("into", {}).get("IntoClause", {}).get("rel")
        if into:
            _created(state, table_ref(into))
    elif statement.kind == "IndexStmt" and node.get("idxname"):
        state.indexes[node["idxname"]] = table_ref(node.get("relation", {}))
    elif statement.kind == "AlterTableStmt" and node.get("objtype") == "OBJECT_TABLE":
        _alter_table(node, state, facts)
    objects.observe(statement, state, facts)
    session.observe(statement, state)
    columns.observe(statement, facts)


def _transaction(kind: str, state: FileState) -> None:
    if kind in _STARTS:
        if not state.in_transaction:
            state.transaction += 1
        state.explicit_transaction = True
    elif kind in _ENDS:
        state.explicit_transaction = False
        state.transaction += 1


def _create_table(node: Node, state: FileState, facts: Facts) -> None:
    table = table_ref(node.get("relation", {}))
    _created(state, table)
    for column in children(node, "ColumnDef", "tableElts"):
        _column(table, column, facts, validated=True)
    for constraint in children(node, "Constraint", "tableElts"):
        _check(table, constraint, facts, validated=True)


def _created(state: FileState, table: TableRef) -> None:
    state.tables.setdefault(table.name, set()).add(table.schema)


def _column(table: TableRef, column: Node, facts: Facts, *, validated: bool) -> None:
    name = column.get("colname", "")
    if "typeName" in column:
        facts.column_types[(table.name, name)] = type_ref(column["typeName"])
    for constraint in column_constraints(column):
        _check(table, constraint, facts, validated=validated)


def _alter_table(node: Node, state: FileState, facts: Facts) -> None:
    table = table_ref(node.get("relation", {}))
    for command in alter_commands(node):
        subtype = command.get("subtype")
        definition = command.get("def", {})
        if subtype == "AT_AddColumn" and "ColumnDef" in definition:
            _column(table, definition["ColumnDef"], facts, validated=True)
        elif subtype == "AT_AlterColumnType" and "ColumnDef" in definition:
            column = definition["ColumnDef"]
            if "typeName" in column:
                facts.column_types[(table.name, command.get("name", ""))] = type_ref(
                    column["typeName"]
                )
        elif subtype == "AT_AddConstraint" and "Constraint" in definition:
            constraint = definition["Constraint"]
            not_valid = bool(constraint.get("skip_validation"))
            if not_valid and constraint.get("conname"):
                key = (table.name, constraint["conname"])
                state.not_valid[key] = (state.transaction, constraint.get("contype", ""))
            _check(table, constraint, facts, validated=not not_valid)
        elif subtype == "AT_ValidateConstraint":
            key = (table.name, command.get("name", ""))
            if key in facts.not_null_checks:
                facts.not_null_checks[key] = (facts.not_null_checks[key][0], True)
        elif subtype == "AT_DropConstraint":
            facts.not_null_checks.pop((table.name, command.get("name", "")), None)


def _check(table: TableRef, constraint: Node, facts: Facts, *, validated: bool) -> None:
    """Remember a CHECK that proves columns NOT NULL."""
    if constraint.get("contype") != "CONSTR_CHECK":
        return
    columns = not_null_columns(constraint.get("raw_expr", {}))
    if columns:
        name = constraint.get("conname") or f"<unnamed {len(facts.not_null_checks)}>"
        facts.not_null_checks[(table.name, name)] = (frozenset(columns), validated)


def not_null_columns(expression: Node) -> set[str]:
    """Columns that `expression` proves NOT NULL: `c IS NOT NULL`, possibly AND-ed."""
    if "NullTest" in expression:
        test = expression["NullTest"]
        fields = strings(test.get("arg", {}).get("ColumnRef", {}).get("fields"))
        if test.get("nulltesttype") == "IS_NOT_NULL" and len(fields) == 1:
            return {fields[0]}
        return set()
    if "BoolExpr" in expression and expression["BoolExpr"].get("boolop") == "AND_EXPR":
        found: set[str] = set()
        for argument in expression["BoolExpr"].get("args", []):
            found |= not_null_columns(argument)
        return found
    return set()
