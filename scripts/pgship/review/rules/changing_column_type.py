"""ALTER COLUMN ... TYPE that rewrites the table (most type changes do).

Anti-pattern:

    ALTER TABLE payouts ALTER COLUMN amount_cents TYPE bigint;   -- from integer

PostgreSQL rewrites the table and rebuilds its indexes under an ACCESS EXCLUSIVE lock: no
reads or writes until it is done. Only binary-compatible changes skip the rewrite, and pgship
does not flag them when it knows the column's current type (from the files reviewed):
varchar(n) -> text, varchar(n) -> varchar(m >= n), varchar(n) or text -> varchar,
numeric(p, s) -> numeric(q >= p, s), numeric(p, s) -> numeric, cidr -> inet,
varbit(n) -> varbit(m >= n), and raising the precision of timestamp/timestamptz/time/interval.
timestamp -> timestamptz is reported: it skips the rewrite only when the session TimeZone is
UTC (PostgreSQL 12+), which a migration should not rely on.

Safe alternative: add a column of the new type, keep it in step with a trigger, fill it in
batches, then swap the names in one short transaction:

    ALTER TABLE payouts ADD COLUMN amount_cents_new bigint;
    -- a BEFORE INSERT OR UPDATE trigger sets amount_cents_new = amount_cents;
    -- fill existing rows in batches: UPDATE payouts SET amount_cents_new = amount_cents
    --                                WHERE id BETWEEN $1 AND $2;
    ALTER TABLE payouts RENAME COLUMN amount_cents TO amount_cents_old;
    ALTER TABLE payouts RENAME COLUMN amount_cents_new TO amount_cents;

To lift a length limit, change varchar(n) to text (or a larger varchar), which is instant.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.helpers import ACCESS_EXCLUSIVE, existing_table, ident, qualified
from pgship.review.model import Hit
from pgship.review.nodes import TableRef, TypeRef, alter_commands, type_ref
from pgship.review.parse import Statement

ID = "changing-column-type"
SEVERITY = "error"
NODES = ("AlterTableStmt",)
SUBTYPES = ("AT_AlterColumnType",)

# Types with a precision or length modifier that may grow without a rewrite.
_WIDENABLE = {"varchar", "varbit", "timestamp", "timestamptz", "time", "timetz", "interval"}
# Targets a binary-compatible change can have; any other target rewrites.
_CHEAP_TARGETS = _WIDENABLE | {"text", "numeric", "inet"}


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    table = existing_table(statement, context)
    if table is None:
        return
    for command in alter_commands(statement.node):
        column = command.get("def", {}).get("ColumnDef")
        if command.get("subtype") != "AT_AlterColumnType" or column is None:
            continue
        name = command.get("name", "")
        new = type_ref(column.get("typeName", {}))
        old = context.facts.column_type(table, name)
        location = column.get("typeName", {}).get("location")
        fix = _alternative(table, name, new)
        where = f"{table}.{name}"
        if "raw_default" in column or "collClause" in column:
            clause = "USING" if "raw_default" in column else "COLLATE"
            yield Hit(
                f"Changing the type of {where} to {new} with {clause} rewrites {table} under an "
                "ACCESS EXCLUSIVE lock.",
                fix,
                ACCESS_EXCLUSIVE,
                location,
            )
        elif old is None:
            if new.name in _CHEAP_TARGETS and not new.array:
                yield Hit(
                    f"Changing the type of {where} to {new} rewrites {table} under an ACCESS "
                    "EXCLUSIVE lock unless it only widens a compatible type (e.g. varchar(n) "
                    "-> text); pgship did not see the column's current type.",
                    fix,
                    ACCESS_EXCLUSIVE,
                    location,
                    severity="warning",
                )
            else:
                yield Hit(
                    f"Changing the type of {where} to {new} rewrites {table} under an ACCESS "
                    "EXCLUSIVE lock.",
                    fix,
                    ACCESS_EXCLUSIVE,
                    location,
                )
        elif not no_rewrite(old, new):
            extra = (
                " (it skips the rewrite only when the session TimeZone is UTC)"
                if (old.name, new.name) == ("timestamp", "timestamptz")
                else ""
            )
            yield Hit(
                f"Changing {where} from {old} to {new} rewrites {table} under an ACCESS "
                f"EXCLUSIVE lock{extra}.",
                fix,
                ACCESS_EXCLUSIVE,
                location,
            )


def no_rewrite(old: TypeRef, new: TypeRef) -> bool:
    """Whether PostgreSQL changes `old` to `new` without rewriting the table."""
    if old == new:
        return True
    if old.array or new.array:
        return False
    pair = (old.name, new.name)
    if pair in (("varchar", "text"), ("text", "varchar")) and not new.mods:
        return True
    if pair == ("cidr", "inet"):
        return True
    if old.name != new.name:
        return False
    if old.name == "numeric":
        return not new.mods or (
            bool(old.mods) and _scale(old) == _scale(new) and new.mods[0] >= old.mods[0]
        )
    if old.name in _WIDENABLE:
        return not new.mods or (bool(old.mods) and new.mods[0] >= old.mods[0])
    return False


def _scale(numeric: TypeRef) -> int:
    return numeric.mods[1] if len(numeric.mods) > 1 else 0


def _alternative(table: TableRef, name: str, new: TypeRef) -> str:
    target, column, temporary = qualified(table), ident(name), ident(f"{name}_new")
    return (
        f"ALTER TABLE {target} ADD COLUMN {temporary} {new};\n"
        f"-- a BEFORE INSERT OR UPDATE trigger sets {temporary} = {column}::{new};\n"
        f"-- fill existing rows in batches: UPDATE {target} SET {temporary} = {column}::{new}\n"
        "--                                WHERE <key range>;\n"
        "-- then, in one short transaction:\n"
        f"ALTER TABLE {target} RENAME COLUMN {column} TO {ident(name + '_old')};\n"
        f"ALTER TABLE {target} RENAME COLUMN {temporary} TO {column};"
    )
