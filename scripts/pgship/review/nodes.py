"""Helpers for pglast's JSON parse tree: nodes are {"NodeType": {field: value}} dicts.

Fields holding their default value (false, 0, empty) are left out of the JSON, so read them
with `.get()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

Node = dict[str, Any]

# Names the parser leaves as written, mapped to the canonical pg_catalog type name.
_TYPE_ALIASES = {
    "int": "int4",
    "integer": "int4",
    "bigint": "int8",
    "smallint": "int2",
    "boolean": "bool",
    "decimal": "numeric",
    "real": "float4",
    "float": "float8",
    "character varying": "varchar",
    "character": "bpchar",
    "char": "bpchar",
    "serial4": "serial",
    "serial8": "bigserial",
    "serial2": "smallserial",
    "varbit": "varbit",
    "bit varying": "varbit",
    "timestamp without time zone": "timestamp",
    "timestamp with time zone": "timestamptz",
    "time without time zone": "time",
    "time with time zone": "timetz",
}


# Canonical names shown the way people write them (still valid SQL).
_TYPE_DISPLAY = {
    "int4": "integer",
    "int8": "bigint",
    "int2": "smallint",
    "bpchar": "char",
    "float4": "real",
    "float8": "double precision",
    "bool": "boolean",
    "varbit": "bit varying",
}


@dataclass(frozen=True)
class TableRef:
    """A table as a statement names it; `schema` is None when not qualified."""

    schema: str | None
    name: str

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name


@dataclass(frozen=True)
class TypeRef:
    """A column type: canonical name, type modifiers (e.g. (10, 2)) and whether it is an array."""

    name: str
    mods: tuple[int, ...] = ()
    array: bool = False

    def __str__(self) -> str:
        mods = f"({', '.join(map(str, self.mods))})" if self.mods else ""
        return f"{_TYPE_DISPLAY.get(self.name, self.name)}{mods}{'[]' if self.array else ''}"


def table_ref(range_var: Node) -> TableRef:
    """A RangeVar's fields -> TableRef."""
    return TableRef(range_var.get("schemaname"), range_var.get("relname", ""))


def strings(items: list[Node] | None) -> list[str]:
    """A list of String nodes -> their values."""
    return [item["String"].get("sval", "") for item in items or [] if "String" in item]


def type_ref(type_name: Node) -> TypeRef:
    """A TypeName node's fields -> TypeRef with the canonical name."""
    names = strings(type_name.get("names"))
    if len(names) > 1 and names[0] == "pg_catalog":
        names = names[1:]
    name = ".".join(names).lower()
    mods = []
    for mod in type_name.get("typmods") or []:
        const = mod.get("A_Const")
        if const is None or "ival" not in const:
            return TypeRef(_TYPE_ALIASES.get(name, name), (), bool(type_name.get("arrayBounds")))
        mods.append(int(const["ival"].get("ival", 0)))
    return TypeRef(_TYPE_ALIASES.get(name, name), tuple(mods), bool(type_name.get("arrayBounds")))


def unwrap(node: Node) -> tuple[str, Node]:
    """{"Kind": fields} -> ("Kind", fields)."""
    ((kind, fields),) = node.items()
    return kind, fields


def children(node: Node, kind: str, field: str) -> Iterator[Node]:
    """The fields of each `kind` node in the list `node[field]`."""
    for item in node.get(field) or []:
        if kind in item:
            yield item[kind]


def alter_commands(node: Node) -> Iterator[Node]:
    """The AlterTableCmd fields of an AlterTableStmt."""
    return children(node, "AlterTableCmd", "cmds")


def column_constraints(column_def: Node) -> Iterator[Node]:
    """The Constraint fields of a ColumnDef (DEFAULT, NOT NULL, CHECK, REFERENCES, ...)."""
    return children(column_def, "Constraint", "constraints")


def walk(value: Any) -> Iterator[tuple[str, Node]]:
    """Every node under `value` (depth first), as (kind, fields)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if len(item) == 1:
                ((key, fields),) = item.items()
                if key[:1].isupper() and isinstance(fields, dict):
                    yield key, fields
                    stack.extend(reversed(list(fields.values())))
                    continue
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def function_name(func_call: Node) -> str:
    """A FuncCall's name, lower case, without schema (e.g. "gen_random_uuid")."""
    names = strings(func_call.get("funcname"))
    return names[-1].lower() if names else ""
