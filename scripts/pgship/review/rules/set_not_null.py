"""SET NOT NULL on an existing table without a validated CHECK (column IS NOT NULL) first.

Anti-pattern:

    ALTER TABLE users ALTER COLUMN email SET NOT NULL;

PostgreSQL scans the whole table for NULLs while holding an ACCESS EXCLUSIVE lock: no reads
or writes until the scan ends.

Safe alternative (PostgreSQL 12+): prove the column has no NULLs with a CHECK constraint
validated under a weak lock; SET NOT NULL then uses it and skips the scan:

    ALTER TABLE users ADD CONSTRAINT users_email_not_null
        CHECK (email IS NOT NULL) NOT VALID;
    -- next migration file (its own transaction):
    ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;
    ALTER TABLE users ALTER COLUMN email SET NOT NULL;        -- instant: no scan
    ALTER TABLE users DROP CONSTRAINT users_email_not_null;   -- now redundant

pgship knows about CHECKs added and validated in the files reviewed in the same run (in
migration order). Before PostgreSQL 12, SET NOT NULL always scans: keep the validated CHECK
constraint instead of a NOT NULL, or run the scan in a quiet window.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.helpers import ACCESS_EXCLUSIVE, existing_table, ident, qualified
from pgship.review.model import Hit
from pgship.review.nodes import TableRef, alter_commands
from pgship.review.parse import Statement

ID = "set-not-null"
SEVERITY = "error"
NODES = ("AlterTableStmt",)
SUBTYPES = ("AT_SetNotNull",)


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    table = existing_table(statement, context)
    if table is None:
        return
    for command in alter_commands(statement.node):
        if command.get("subtype") != "AT_SetNotNull":
            continue
        column = command.get("name", "")
        if context.pg_version >= 12 and context.facts.proves_not_null(table, column):
            continue
        if context.pg_version >= 12:
            yield Hit(
                f"SET NOT NULL on {table}.{column} scans the whole table under an ACCESS "
                f"EXCLUSIVE lock; validate a CHECK ({column} IS NOT NULL) first.",
                _alternative(table, column),
                ACCESS_EXCLUSIVE,
            )
        else:
            yield Hit(
                f"SET NOT NULL on {table}.{column} scans the whole table under an ACCESS "
                f"EXCLUSIVE lock (always, before PostgreSQL 12; target: "
                f"{context.pg_version}).",
                f"ALTER TABLE {qualified(table)} ADD CONSTRAINT "
                f"{ident(f'{table.name}_{column}_not_null')} CHECK ({ident(column)} IS NOT NULL)"
                " NOT VALID;\n-- next migration file (its own transaction):\n"
                f"ALTER TABLE {qualified(table)} VALIDATE CONSTRAINT "
                f"{ident(f'{table.name}_{column}_not_null')};\n"
                "-- keep the CHECK instead of NOT NULL until you run PostgreSQL 12+",
                ACCESS_EXCLUSIVE,
            )


def _alternative(table: TableRef, column: str) -> str:
    target, name = qualified(table), ident(f"{table.name}_{column}_not_null")
    return (
        f"ALTER TABLE {target} ADD CONSTRAINT {name} CHECK ({ident(column)} IS NOT NULL) "
        "NOT VALID;\n"
        "-- next migration file (its own transaction):\n"
        f"ALTER TABLE {target} VALIDATE CONSTRAINT {name};\n"
        f"ALTER TABLE {target} ALTER COLUMN {ident(column)} SET NOT NULL;\n"
        f"ALTER TABLE {target} DROP CONSTRAINT {name};"
    )
