"""What a database holds, as a backup sees it: tables and their exact row counts, roles, the head.

Everything here reads through the caller's connection, so inside the backup's repeatable-read
transaction it sees exactly the snapshot pg_dump dumps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg import sql

from pgship.db import Connection
from pgship.migrations.history import read_history

COUNT_BATCH = 100  # tables counted per query

# The tables whose rows pg_dump dumps: ordinary tables (partitions included) in user schemas,
# not temporary; extension members only when the extension marks them as configuration tables.
_TABLES = """
SELECT n.nspname AS schema, c.relname AS name,
    quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS qualified,
    x.extname AS extension,
    c.relpages > 1000 AND c.relallvisible >= 0.9 * c.relpages AND EXISTS (
        SELECT 1 FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
        JOIN pg_am am ON am.oid = ic.relam
        WHERE i.indrelid = c.oid AND i.indisvalid AND i.indpred IS NULL AND am.amname = 'btree'
    ) AS index_only
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
    AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
LEFT JOIN pg_extension x ON x.oid = d.refobjid
WHERE c.relkind = 'r' AND c.relpersistence <> 't'
  AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
  AND (x.oid IS NULL OR c.oid = ANY (x.extconfig))
ORDER BY n.nspname, c.relname
"""

# Roles the dumped objects name: grantees of privileges, policy roles, default privileges
# (`grantees`), and owners of user objects (`owners`).
_ROLES = """
WITH acl_roles AS (
    SELECT (aclexplode(relacl)).grantee AS oid FROM pg_class WHERE relacl IS NOT NULL
    UNION SELECT (aclexplode(attacl)).grantee FROM pg_attribute WHERE attacl IS NOT NULL
    UNION SELECT (aclexplode(proacl)).grantee FROM pg_proc WHERE proacl IS NOT NULL
    UNION SELECT (aclexplode(nspacl)).grantee FROM pg_namespace WHERE nspacl IS NOT NULL
    UNION SELECT (aclexplode(typacl)).grantee FROM pg_type WHERE typacl IS NOT NULL
    UNION SELECT (aclexplode(defaclacl)).grantee FROM pg_default_acl
    UNION SELECT defaclrole FROM pg_default_acl
    UNION SELECT unnest(polroles) FROM pg_policy
),
owner_roles AS (
    SELECT c.relowner AS oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
    UNION SELECT p.proowner FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
    UNION SELECT t.typowner FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
    UNION SELECT nspowner FROM pg_namespace
        WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'
)
SELECT 'grantee' AS kind, r.rolname FROM pg_roles r JOIN acl_roles a ON a.oid = r.oid
    WHERE r.rolname !~ '^pg_'
UNION
SELECT 'owner', r.rolname FROM pg_roles r JOIN owner_roles o ON o.oid = r.oid
    WHERE r.rolname !~ '^pg_'
ORDER BY 1, 2
"""

_USER_SCHEMA = "n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'"


def _not_extension_member(catalog: str, oid: str) -> str:
    return (
        f"NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '{catalog}'::regclass "
        f"AND e.objid = {oid} AND e.deptype = 'e')"
    )


# What makes a database "not empty" for `pgship restore`: user objects outside extensions.
# (Rarer objects - collations, operators, text search configurations - are not counted: a restore
# that collides with one fails, and with one job nothing of it is kept.)
_CONTENTS = f"""
SELECT
  (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p', 'f') AND c.relpersistence <> 't' AND {_USER_SCHEMA}
     AND {_not_extension_member("pg_class", "c.oid")}) AS tables,
  (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('v', 'm', 'S') AND c.relpersistence <> 't' AND {_USER_SCHEMA}
     AND {_not_extension_member("pg_class", "c.oid")}) AS views_and_sequences,
  (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
   WHERE {_USER_SCHEMA} AND {_not_extension_member("pg_proc", "p.oid")}) AS routines,
  (SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
   LEFT JOIN pg_class c ON c.oid = t.typrelid
   WHERE (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'b' AND t.typcategory <> 'A')
          OR (t.typtype = 'c' AND c.relkind = 'c'))
     AND {_USER_SCHEMA} AND {_not_extension_member("pg_type", "t.oid")}) AS types,
  (SELECT count(*) FROM pg_namespace n
   WHERE {_USER_SCHEMA} AND n.nspname <> 'public'
     AND {_not_extension_member("pg_namespace", "n.oid")}) AS schemas,
  (SELECT count(*) FROM pg_largeobject_metadata) AS large_objects
"""


@dataclass(frozen=True)
class Table:
    """A table whose rows a dump holds; `extension` names the owner of a configuration table."""

    schema: str
    name: str
    qualified: str  # quoted as PostgreSQL would: public."Mixed Case"
    extension: str | None = None
    index_only: bool = False  # large, nearly all-visible, with a btree: count from the index


def list_tables(conn: Connection) -> list[Table]:
    return [Table(*row) for row in conn.execute(_TABLES).fetchall()]


def count_rows(conn: Connection, tables: list[Table]) -> dict[str, int]:
    """Exact row counts by qualified name (a few UNION ALL queries, not one per table).

    A large table whose pages are nearly all marked all-visible is counted with an index-only
    scan of one of its btree indexes, which reads far fewer pages than the table. The count is
    the same either way (visibility is checked in both); only the cost differs.
    """
    counts: dict[str, int] = {}
    with conn.transaction(force_rollback=True):  # a savepoint inside the backup's transaction
        counts.update(_count(conn, [t for t in tables if not t.index_only]))
        conn.execute("SET LOCAL enable_seqscan = off")
        counts.update(_count(conn, [t for t in tables if t.index_only]))
    return counts


def _count(conn: Connection, tables: list[Table]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for start in range(0, len(tables), COUNT_BATCH):
        batch = tables[start : start + COUNT_BATCH]
        query = sql.SQL(" UNION ALL ").join(
            sql.SQL("SELECT {}::text, count(*) FROM {}.{}").format(
                sql.Literal(t.qualified), sql.Identifier(t.schema), sql.Identifier(t.name)
            )
            for t in batch
        )
        for name, count in conn.execute(query).fetchall():
            counts[name] = int(count)
    return counts


def count_large_objects(conn: Connection) -> int:
    row = conn.execute("SELECT count(*) FROM pg_largeobject_metadata").fetchone()
    return int(row[0]) if row else 0


def referenced_roles(conn: Connection) -> dict[str, list[str]]:
    """{"owners": [...], "grantees": [...]}: the roles a restore of this database needs."""
    roles: dict[str, list[str]] = {"grantees": [], "owners": []}
    for kind, name in conn.execute(_ROLES).fetchall():
        roles[f"{kind}s"].append(name)
    return roles


def missing_roles(conn: Connection, names: list[str]) -> list[str]:
    """The roles in `names` that do not exist on the server of `conn`."""
    if not names:
        return []
    rows = conn.execute("SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", (names,))
    present = {name for (name,) in rows.fetchall()}
    return sorted(set(names) - present)


def migration_head(conn: Connection) -> tuple[int | None, str | None]:
    """The highest applied version in pgship.migrations and its name; (None, None) if none."""
    applied = [row for row in read_history(conn).values() if row.status == "applied"]
    if not applied:
        return None, None
    head = max(applied, key=lambda row: row.version)
    return head.version, head.name


def contents(conn: Connection) -> dict[str, int]:
    """How many user objects of each kind the database holds (all zero: empty)."""
    with conn.cursor() as cur:
        cur.execute(_CONTENTS)
        row: Any = cur.fetchone()
        names = [d.name for d in cur.description or []]
    return {name: int(value) for name, value in zip(names, row, strict=True)}


def describe_contents(found: dict[str, int]) -> str:
    """e.g. "12 tables, 3 routines"."""
    labels = {
        "tables": "table(s)",
        "views_and_sequences": "view(s) and sequence(s)",
        "routines": "function(s) and procedure(s)",
        "types": "type(s)",
        "schemas": "schema(s)",
        "large_objects": "large object(s)",
    }
    return ", ".join(f"{n} {labels.get(k, k)}" for k, n in found.items() if n) or "nothing"


def server_version(conn: Connection) -> tuple[int, str]:
    """(server_version_num, server_version), e.g. (150018, "15.18 (Debian 15.18-0+deb12u1)")."""
    row = conn.execute("SELECT current_setting('server_version')").fetchone()
    return int(conn.info.server_version), str(row[0]) if row else ""
