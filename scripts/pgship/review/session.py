"""Session settings a file changes itself, for the rules about them (lock_timeout).

`observe` follows `SET [LOCAL] lock_timeout`, `RESET lock_timeout`, `SET lock_timeout TO
DEFAULT` and `SELECT set_config('lock_timeout', ..., ...)` into `FileState.lock_timeout_ms`:
the value in ms, 0 for "wait forever", None for "the server's default" (after RESET), and
`UNKNOWN` for a value pgship cannot read (not a constant), taken as set. `SET LOCAL` outside a
transaction block changes nothing (PostgreSQL only warns).
"""

from __future__ import annotations

import re

from pgship.review.context import FileState
from pgship.review.nodes import Node, children, function_name
from pgship.review.parse import Statement

_UNITS_MS = {"us": 0.001, "ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}
UNKNOWN = -1
_VALUE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$")


def observe(statement: Statement, state: FileState) -> None:
    """Update `state.lock_timeout_ms` after a statement that changes lock_timeout."""
    node = statement.node
    if statement.kind == "VariableSetStmt" and node.get("name") == "lock_timeout":
        if node.get("is_local") and not state.in_transaction:
            return
        kind = node.get("kind")
        if kind == "VAR_SET_VALUE":
            state.lock_timeout_ms = _constant_ms((node.get("args") or [{}])[0])
        elif kind in ("VAR_RESET", "VAR_SET_DEFAULT"):
            state.lock_timeout_ms = None
    elif statement.kind == "SelectStmt" and "targetList" in node:
        for target in children(node, "ResTarget", "targetList"):
            call = target.get("val", {}).get("FuncCall")
            if call is not None and function_name(call) == "set_config":
                _set_config(call, state)


def _set_config(call: Node, state: FileState) -> None:
    arguments = call.get("args") or []
    if len(arguments) != 3:
        return
    name = arguments[0].get("A_Const", {}).get("sval", {}).get("sval")
    if name != "lock_timeout":
        return
    local = arguments[2].get("A_Const", {}).get("boolval", {}).get("boolval", False)
    if local and not state.in_transaction:
        return
    state.lock_timeout_ms = _constant_ms(arguments[1])


def _constant_ms(argument: Node) -> int:
    """A SET value as milliseconds: 5000, '5s', '500ms', '1min' (UNKNOWN when not a constant)."""
    const = argument.get("A_Const")
    if const is None:
        return UNKNOWN
    if "ival" in const:
        return int(const["ival"].get("ival", 0))
    if "fval" in const:
        return round(float(const["fval"].get("fval", "0")))
    text = str(const.get("sval", {}).get("sval", "")).strip().lower()
    match = _VALUE.match(text)
    if match is None or match.group(2) not in _UNITS_MS | {"": 1}:
        return UNKNOWN
    return round(float(match.group(1)) * (_UNITS_MS.get(match.group(2)) or 1))
