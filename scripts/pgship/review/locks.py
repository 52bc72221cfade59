"""Which table-level lock each statement takes, and on which relations.

PostgreSQL's eight table lock modes, weakest first, are in `LEVELS`. `relation_locks(statement)`
follows the server's own rules (tablecmds.c `AlterTableGetLockLevel` for ALTER TABLE, the
"Explicit Locking" chapter for the other commands): the strongest mode the statement takes on
each relation it names, the statement's own target first. `statement_locks(sql)` gives the
same for every statement of a script, e.g. for `pgship plan`.

Relations created earlier in the same script are left out (nobody else can be waiting on
them), and so are plain reads (ACCESS SHARE).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from pgship.review.model import LockTarget
from pgship.review.nodes import Node, TableRef, alter_commands, children, strings, table_ref
from pgship.review.parse import Statement

ACCESS_SHARE = "ACCESS SHARE"
ROW_SHARE = "ROW SHARE"
ROW_EXCLUSIVE = "ROW EXCLUSIVE"
SHARE_UPDATE_EXCLUSIVE = "SHARE UPDATE EXCLUSIVE"
SHARE = "SHARE"
SHARE_ROW_EXCLUSIVE = "SHARE ROW EXCLUSIVE"
EXCLUSIVE = "EXCLUSIVE"
ACCESS_EXCLUSIVE = "ACCESS EXCLUSIVE"

LEVELS = (
    ACCESS_SHARE,
    ROW_SHARE,
    ROW_EXCLUSIVE,
    SHARE_UPDATE_EXCLUSIVE,
    SHARE,
    SHARE_ROW_EXCLUSIVE,
    EXCLUSIVE,
    ACCESS_EXCLUSIVE,
)
_RANK = {level: rank for rank, level in enumerate(LEVELS)}

# Locks that conflict with ROW EXCLUSIVE, so that writes (and, for ACCESS EXCLUSIVE, reads)
# queue behind them, and behind them while they wait.
BLOCKS_WRITES = frozenset({SHARE, SHARE_ROW_EXCLUSIVE, EXCLUSIVE, ACCESS_EXCLUSIVE})

# ALTER TABLE subcommands that take less than ACCESS EXCLUSIVE (everything else takes it).
_ALTER_LEVELS = {
    "AT_EnableTrig": SHARE_ROW_EXCLUSIVE,
    "AT_EnableAlwaysTrig": SHARE_ROW_EXCLUSIVE,
    "AT_EnableReplicaTrig": SHARE_ROW_EXCLUSIVE,
    "AT_EnableTrigAll": SHARE_ROW_EXCLUSIVE,
    "AT_EnableTrigUser": SHARE_ROW_EXCLUSIVE,
    "AT_DisableTrig": SHARE_ROW_EXCLUSIVE,
    "AT_DisableTrigAll": SHARE_ROW_EXCLUSIVE,
    "AT_DisableTrigUser": SHARE_ROW_EXCLUSIVE,
    "AT_SetStatistics": SHARE_UPDATE_EXCLUSIVE,
    "AT_ClusterOn": SHARE_UPDATE_EXCLUSIVE,
    "AT_DropCluster": SHARE_UPDATE_EXCLUSIVE,
    "AT_SetOptions": SHARE_UPDATE_EXCLUSIVE,
    "AT_ResetOptions": SHARE_UPDATE_EXCLUSIVE,
    "AT_ValidateConstraint": SHARE_UPDATE_EXCLUSIVE,
    "AT_AttachPartition": SHARE_UPDATE_EXCLUSIVE,
    "AT_DetachPartitionFinalize": SHARE_UPDATE_EXCLUSIVE,
}
# Storage parameters that ALTER TABLE ... SET (...) changes under SHARE UPDATE EXCLUSIVE.
_LIGHT_RELOPTIONS = frozenset(
    {
        "fillfactor",
        "toast_tuple_target",
        "parallel_workers",
        "log_autovacuum_min_duration",
        "vacuum_index_cleanup",
        "vacuum_truncate",
        "vacuum_max_eager_freeze_failure_rate",
    }
)
_LOCK_MODES = {index: level for index, level in enumerate(LEVELS, start=1)}  # LOCK ... IN MODE
_DML = {"InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"}


class RelationLock(NamedTuple):
    relation: LockTarget
    level: str


class StatementLock(NamedTuple):
    """The strongest lock one statement of a script takes on a relation that already exists."""

    line: int  # 1-based line of the statement's first token
    lock: str  # e.g. "ACCESS EXCLUSIVE"
    relation: str  # the statement's target, e.g. "payouts" (an index: "index payouts_idx")


def stronger(a: str, b: str) -> str:
    return a if _RANK[a] >= _RANK[b] else b


def blocks_writes(level: str | None) -> bool:
    return level in BLOCKS_WRITES


def relation_locks(statement: Statement) -> list[RelationLock]:
    """Every relation the statement locks beyond ACCESS SHARE, its own target first."""
    found: dict[LockTarget, str] = {}
    for target, level in _locks(statement.kind, statement.node):
        if target.name:
            found[target] = stronger(found[target], level) if target in found else level
    return [RelationLock(target, level) for target, level in found.items()]


def main_lock(statement: Statement) -> RelationLock | None:
    """The lock on the statement's own target (the first relation it names), if any."""
    locks = relation_locks(statement)
    return locks[0] if locks else None


def statement_locks(sql: str) -> list[StatementLock]:
    """For each statement of `sql` that locks an existing relation: its line, lock and target.

    The lock is the strongest the statement takes on any relation, and the relation shown is
    the one it is taken on. Relations created earlier in `sql` are left out. Statements that
    do not parse are skipped (`pgship review` reports them).
    """
    from pgship.review.parse import parse_file
    from pgship.review.source import LineIndex

    parsed = parse_file(sql)
    lines = LineIndex(sql)
    created: set[str] = set()
    result = []
    for statement in parsed.statements:
        existing = [lock for lock in relation_locks(statement) if lock.relation.name not in created]
        if existing:
            strongest = max(existing, key=lambda lock: _RANK[lock.level])
            target = strongest.relation
            name = f"index {target}" if target.index else str(target)
            result.append(StatementLock(lines.position(statement.start)[0], strongest.level, name))
        created |= created_relations(statement)
    return result


def created_relations(statement: Statement) -> set[str]:
    """Names (without schema) of the relations a statement creates."""
    node = statement.node
    if statement.kind == "CreateStmt":
        return {node.get("relation", {}).get("relname", "")}
    if statement.kind == "CreateTableAsStmt":
        return {node.get("into", {}).get("IntoClause", {}).get("rel", {}).get("relname", "")}
    if statement.kind == "IndexStmt" and node.get("idxname"):
        return {node["idxname"]}
    if statement.kind == "ViewStmt" and not node.get("replace"):
        return {node.get("view", {}).get("relname", "")}
    return set()


def _target(range_var: Node, *, index: bool = False) -> LockTarget:
    table = table_ref(range_var)
    return LockTarget(table.schema, table.name, index)


def _named(names: list[str], *, index: bool = False) -> LockTarget:
    """A relation from a qualified name's parts (["s", "t"] or ["t"])."""
    if not names:
        return LockTarget(None, "")
    return LockTarget(names[-2] if len(names) > 1 else None, names[-1], index)


def _locks(kind: str, node: Node) -> Iterator[tuple[LockTarget, str]]:
    if kind == "AlterTableStmt":
        yield from _alter_table(node)
    elif kind == "IndexStmt":
        level = SHARE_UPDATE_EXCLUSIVE if node.get("concurrent") else SHARE
        yield _target(node.get("relation", {})), level
    elif kind == "DropStmt":
        yield from _drop(node)
    elif kind == "TruncateStmt":
        for relation in children(node, "RangeVar", "relations"):
            yield _target(relation), ACCESS_EXCLUSIVE
    elif kind == "RenameStmt":
        yield from _rename(node)
    elif kind == "AlterObjectSchemaStmt" and "relation" in node:
        yield _target(node["relation"]), ACCESS_EXCLUSIVE
    elif kind == "CreateTrigStmt":
        yield _target(node.get("relation", {})), SHARE_ROW_EXCLUSIVE
    elif kind in ("CreatePolicyStmt", "AlterPolicyStmt"):
        yield _target(node.get("table", {})), ACCESS_EXCLUSIVE
    elif kind == "RuleStmt":
        yield _target(node.get("relation", {})), ACCESS_EXCLUSIVE
    elif kind == "VacuumStmt":
        full = node.get("is_vacuumcmd") and has_option(node, "options", "full")
        level = ACCESS_EXCLUSIVE if full else SHARE_UPDATE_EXCLUSIVE
        for relation in children(node, "VacuumRelation", "rels"):
            yield _target(relation.get("relation", {})), level
    elif kind == "ClusterStmt" and "relation" in node:
        yield _target(node["relation"]), ACCESS_EXCLUSIVE
    elif kind == "ReindexStmt" and "relation" in node:
        concurrent = has_option(node, "params", "concurrently")
        index = node.get("kind") == "REINDEX_OBJECT_INDEX"
        level = SHARE_UPDATE_EXCLUSIVE if concurrent else SHARE
        yield _target(node["relation"], index=index), level
    elif kind == "RefreshMatViewStmt":
        level = EXCLUSIVE if node.get("concurrent") else ACCESS_EXCLUSIVE
        yield _target(node.get("relation", {})), level
    elif kind == "LockStmt":
        level = _LOCK_MODES.get(node.get("mode", 8), ACCESS_EXCLUSIVE)
        for relation in children(node, "RangeVar", "relations"):
            yield _target(relation), level
    elif kind in _DML:
        yield _target(node.get("relation", {})), ROW_EXCLUSIVE
    elif kind == "SelectStmt" and node.get("lockingClause") and node.get("fromClause"):
        for relation in children(node, "RangeVar", "fromClause"):
            yield _target(relation), ROW_SHARE
    elif kind == "CreateStmt":
        yield from _create_table(node)
    elif kind == "CommentStmt":
        yield from _comment(node)
    elif kind == "CreateStatsStmt":
        for relation in children(node, "RangeVar", "relations"):
            yield _target(relation), SHARE_UPDATE_EXCLUSIVE
    elif kind == "ViewStmt" and node.get("replace"):
        yield _target(node.get("view", {})), ACCESS_EXCLUSIVE


def has_option(node: Node, field: str, name: str) -> bool:
    """Whether the DefElem list `node[field]` switches option `name` on.

    `FULL`, `FULL true`, `FULL on`, `FULL 1` switch it on; `FULL false`, `FULL 0` do not.
    """
    for option in children(node, "DefElem", field):
        if option.get("defname") != name:
            continue
        value = option.get("arg")
        if value is None:
            return True
        if "Integer" in value:
            return bool(value["Integer"].get("ival", 0))
        text = str(value.get("String", {}).get("sval", "")).lower()
        return text in ("true", "on", "yes", "1")
    return False


def _alter_table(node: Node) -> Iterator[tuple[LockTarget, str]]:
    index = node.get("objtype") == "OBJECT_INDEX"
    target = _target(node.get("relation", {}), index=index)
    level = SHARE_UPDATE_EXCLUSIVE
    others: list[tuple[LockTarget, str]] = []
    for command in alter_commands(node):
        level = stronger(level, alter_command_level(command))
        subtype = command.get("subtype")
        definition = command.get("def", {})
        if subtype in ("AT_AttachPartition", "AT_DetachPartition"):
            partition = definition.get("PartitionCmd", {}).get("name")
            if partition:
                others.append((_target(partition), ACCESS_EXCLUSIVE))
        for constraint in _constraints(command):
            if constraint.get("contype") == "CONSTR_FOREIGN" and "pktable" in constraint:
                others.append((_target(constraint["pktable"]), SHARE_ROW_EXCLUSIVE))
    yield target, level
    yield from others


def alter_command_level(command: Node) -> str:
    """The lock one ALTER TABLE subcommand (an AlterTableCmd's fields) needs."""
    subtype = command.get("subtype", "")
    if subtype in _ALTER_LEVELS:
        return _ALTER_LEVELS[subtype]
    definition = command.get("def", {})
    if subtype == "AT_DetachPartition":
        concurrent = definition.get("PartitionCmd", {}).get("concurrent")
        return SHARE_UPDATE_EXCLUSIVE if concurrent else ACCESS_EXCLUSIVE
    if subtype == "AT_AddConstraint":
        contype = definition.get("Constraint", {}).get("contype")
        return SHARE_ROW_EXCLUSIVE if contype == "CONSTR_FOREIGN" else ACCESS_EXCLUSIVE
    if subtype in ("AT_SetRelOptions", "AT_ResetRelOptions"):
        names = [
            (option.get("defnamespace"), str(option.get("defname", "")))
            for option in children(definition.get("List", {}), "DefElem", "items")
        ]
        light = names and all(
            name in _LIGHT_RELOPTIONS or name.startswith("autovacuum_")
            for namespace, name in names
            if namespace in (None, "toast")
        )
        return SHARE_UPDATE_EXCLUSIVE if light else ACCESS_EXCLUSIVE
    return ACCESS_EXCLUSIVE


def _constraints(command: Node) -> Iterator[Node]:
    definition = command.get("def", {})
    if "Constraint" in definition:
        yield definition["Constraint"]
    elif "ColumnDef" in definition:
        yield from children(definition["ColumnDef"], "Constraint", "constraints")


_DROP_ON_TABLE = {"OBJECT_TRIGGER", "OBJECT_POLICY", "OBJECT_RULE"}
_DROP_RELATION = {
    "OBJECT_TABLE",
    "OBJECT_VIEW",
    "OBJECT_MATVIEW",
    "OBJECT_SEQUENCE",
    "OBJECT_FOREIGN_TABLE",
}


def _drop(node: Node) -> Iterator[tuple[LockTarget, str]]:
    remove = node.get("removeType")
    for item in node.get("objects") or []:
        names = strings(item.get("List", {}).get("items"))
        if remove in _DROP_RELATION:
            yield _named(names), ACCESS_EXCLUSIVE
        elif remove == "OBJECT_INDEX":
            level = SHARE_UPDATE_EXCLUSIVE if node.get("concurrent") else ACCESS_EXCLUSIVE
            yield _named(names, index=True), level
        elif remove in _DROP_ON_TABLE:
            yield _named(names[:-1]), ACCESS_EXCLUSIVE


def _rename(node: Node) -> Iterator[tuple[LockTarget, str]]:
    rename = node.get("renameType")
    relation = node.get("relation")
    if relation is None:
        return
    if rename == "OBJECT_INDEX":  # SHARE UPDATE EXCLUSIVE since PostgreSQL 12
        yield _target(relation, index=True), SHARE_UPDATE_EXCLUSIVE
    else:
        yield _target(relation), ACCESS_EXCLUSIVE


def _create_table(node: Node) -> Iterator[tuple[LockTarget, str]]:
    """CREATE TABLE locks the tables it references, and its parent."""
    if node.get("partbound"):  # PARTITION OF: the parent, like ADD of a partition
        for parent in children(node, "RangeVar", "inhRelations"):
            yield _target(parent), ACCESS_EXCLUSIVE
    else:  # INHERITS
        for parent in children(node, "RangeVar", "inhRelations"):
            yield _target(parent), SHARE_UPDATE_EXCLUSIVE
    own = table_ref(node.get("relation", {})).name
    constraints = list(children(node, "Constraint", "tableElts"))
    for column in children(node, "ColumnDef", "tableElts"):
        constraints.extend(children(column, "Constraint", "constraints"))
    for constraint in constraints:
        if constraint.get("contype") == "CONSTR_FOREIGN" and "pktable" in constraint:
            referenced = _target(constraint["pktable"])
            if referenced.name != own:  # a self-reference locks nothing that exists
                yield referenced, SHARE_ROW_EXCLUSIVE


def _comment(node: Node) -> Iterator[tuple[LockTarget, str]]:
    objtype = node.get("objtype")
    names = strings(node.get("object", {}).get("List", {}).get("items"))
    if objtype in ("OBJECT_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW"):
        yield _named(names), SHARE_UPDATE_EXCLUSIVE
    elif objtype == "OBJECT_COLUMN":
        yield _named(names[:-1]), SHARE_UPDATE_EXCLUSIVE


def table_of(target: LockTarget) -> TableRef:
    return TableRef(target.schema, target.name)
