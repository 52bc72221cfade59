"""Schema fingerprints: a normalized, deterministic description of a database's schema.

`pgship test` fingerprints a database before a migration and again after the migration and its
rollback; `pgship drift` compares a database replayed from the migrations with the live one. Both
need a description that is equal for equal schemas, so a fingerprint is read from the catalogs
and holds no OIDs, no owners, no database name, no tablespaces and nothing that depends on the
order in which objects were created. (The order of a table's columns is kept: it is part of the
table's shape. Sequence values, statistics and data are not schema and are left out.)

A fingerprint is plain JSON-serialisable data, ``kind -> object key -> attributes`` (attribute
values are str, bool, int, None or lists of str). Every kind in `KINDS` is always present,
possibly empty. Only user schemas are read: ``pg_catalog``, ``information_schema``, ``pg_toast*``,
``pg_temp*`` and ``exclude_schemas`` are skipped, and so is every object that belongs to an
extension (pg_depend deptype 'e'): the extension is listed instead, with its schema and version.
Objects PostgreSQL derives from others are left out too: internal (foreign key) triggers,
constraints and triggers cloned onto partitions, the constructor functions of range types, and
the comments extensions bring from their control files.

Kinds and their attributes: schemas; extensions; enums (values in order); domains; composite and
range types; tables (kind, persistence, row security, partitioning, inheritance, replica identity,
options, access method, column order); columns (type, not null, default, identity, generated
expression, non-default collation); constraints; indexes; sequences (not their current value);
views and materialized views; functions, procedures and aggregates; triggers; rules; policies;
grants and revokes; comments. Not covered: owners, default privileges, statistics objects,
operators, casts, event triggers, publications, foreign servers and foreign-table options.

Naming, the same in object keys and in diff lines:

* Objects are always schema-qualified, ``public.`` included (``public.users``; a column is
  ``public.users.email``), and identifiers are quoted exactly where PostgreSQL would quote them
  (``public."Mixed Case"``). Types, defaults and definitions are printed with only pg_catalog on
  the search path, so whatever the session's search_path, user objects come out qualified.
* Objects that live on a table are named ``<name> on <table>``: constraints, triggers, rules and
  policies (``policy creators_owner on public.creators``). Domain constraints are an attribute
  of their domain.
* Functions, procedures and aggregates are keyed by their signature, as regprocedure prints it:
  ``public.touch_updated_at()``, ``public.add(integer,integer)``.
* Comments are keyed by the commented object (``comment on column public.users.email``); grants
  by privilege, object and grantee (``grant SELECT on table public.users to PUBLIC``, or
  ``grant UPDATE (title) on table public.posts to PUBLIC`` for a column). The owner's own
  privileges are ignored (they differ only by the owner's name), and so are the privileges every
  new object gets by default (EXECUTE to PUBLIC on functions); revoking such a default is listed
  as a ``revoke`` (``revoke EXECUTE on function public.f() from PUBLIC``).

`diff_fingerprints(before, after)` writes one line per difference, in the order of `KINDS`, then
by object key, then by attribute name. Pass the expected state as ``before``: the schema before
the migration for a rollback test, the replayed database for a drift check.

* ``<kind> <object> missing``: in ``before`` only (the rollback dropped something it should have
  kept; the live database lacks something the migrations create);
* ``<kind> <object> added``: in ``after`` only (the rollback forgot to drop it; the live
  database has something the migrations do not create);
* ``<kind> <object>: <attribute> changed <old> -> <new>``, with ``none`` for no value and lists
  written ``[a, b]``, e.g. ``column public.payouts.currency: default changed 'USD'::text -> none``
  or ``enum public.user_role: values changed [a, b] -> [a, b, c]``. For multi-line text
  (function and view definitions) the first differing line is shown:
  ``definition changed at line 6: "RETURN 1;" -> "RETURN 2;"``. A table's column list only
  reports a change of order (``column order changed``); added and missing columns have their own
  ``column ...`` lines.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg.rows import dict_row

Fingerprint = dict[str, dict[str, Any]]

KINDS: tuple[str, ...] = (
    "schema",
    "extension",
    "enum",
    "domain",
    "composite type",
    "range type",
    "table",
    "column",
    "constraint",
    "index",
    "sequence",
    "view",
    "materialized view",
    "function",
    "procedure",
    "aggregate",
    "trigger",
    "rule",
    "policy",
    "grant",
    "revoke",
    "comment",
)
"""Every kind a fingerprint holds, in the order diff lines are reported."""

_LABELS = {"comment": "comment on"}

# Output of pg_get_*def, format_type and regclass depends on these settings; they are set for the
# fingerprint's own (always rolled back) transaction so two connections always agree. With only
# pg_catalog on the search path every user object comes out schema-qualified.
_SETTINGS = {
    "search_path": "pg_catalog",
    "DateStyle": "ISO, MDY",
    "IntervalStyle": "postgres",
    "TimeZone": "UTC",
    "extra_float_digits": "1",
    "bytea_output": "hex",
    "lc_monetary": "C",
    "quote_all_identifiers": "off",
}


def _not_member(catalog: str, oid: str, deptypes: str = "'e'") -> str:
    """SQL condition: the object depends on nothing with `deptypes` ('e': extension member)."""
    return (
        "NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = "
        f"'{catalog}'::regclass AND e.objid = {oid} AND e.deptype IN ({deptypes}))"
    )


# Routines created along with another object (the constructors of a range type) are implied.
_PROC_SCOPE = _not_member("pg_proc", "p.oid", "'e', 'i'")

# User schemas: pg_catalog, pg_toast*, pg_temp* and any other pg_* name (reserved for the system).
_SCOPE = f"""(SELECT n.oid FROM pg_namespace n
    WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
      AND n.nspname <> ALL (%(excl)s::text[]) AND {_not_member("pg_namespace", "n.oid")})"""

_REL_LABEL = """CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table'
    WHEN 'f' THEN 'foreign table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
    WHEN 'S' THEN 'sequence' WHEN 'i' THEN 'index' WHEN 'I' THEN 'index'
    WHEN 'c' THEN 'composite type' ELSE 'relation' END"""

_PROC_LABEL = """CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate'
    ELSE 'function' END"""

_TYPE_LABEL = """CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain'
    WHEN 'c' THEN 'composite type' WHEN 'r' THEN 'range type' ELSE 'type' END"""

_SCHEMAS = f"""
SELECT quote_ident(n.nspname) AS name FROM pg_namespace n WHERE n.oid IN {_SCOPE}"""

_EXTENSIONS = """
SELECT quote_ident(x.extname) AS name, quote_ident(n.nspname) AS schema, x.extversion AS version
FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace
WHERE n.nspname <> ALL (%(excl)s::text[])"""

_ENUMS = f"""
SELECT t.oid::regtype::text AS name,
    ARRAY(SELECT v.enumlabel::text FROM pg_enum v WHERE v.enumtypid = t.oid
          ORDER BY v.enumsortorder) AS labels
FROM pg_type t
WHERE t.typtype = 'e' AND t.typnamespace IN {_SCOPE} AND {_not_member("pg_type", "t.oid")}"""

_DOMAINS = f"""
SELECT t.oid::regtype::text AS name, format_type(t.typbasetype, t.typtypmod) AS base_type,
    t.typnotnull AS not_null, pg_get_expr(t.typdefaultbin, 0) AS dflt,
    CASE WHEN t.typcollation <> b.typcollation THEN t.typcollation::regcollation::text END
        AS collation,
    ARRAY(SELECT quote_ident(co.conname) || ' ' || pg_get_constraintdef(co.oid)
          FROM pg_constraint co WHERE co.contypid = t.oid) AS checks
FROM pg_type t JOIN pg_type b ON b.oid = t.typbasetype
WHERE t.typtype = 'd' AND t.typnamespace IN {_SCOPE} AND {_not_member("pg_type", "t.oid")}"""

_COMPOSITES = f"""
SELECT t.oid::regtype::text AS name,
    ARRAY(SELECT quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod)
              || CASE WHEN a.attcollation <> at.typcollation
                      THEN ' COLLATE ' || a.attcollation::regcollation::text ELSE '' END
          FROM pg_attribute a JOIN pg_type at ON at.oid = a.atttypid
          WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
          ORDER BY a.attnum) AS attrs
FROM pg_type t JOIN pg_class c ON c.oid = t.typrelid
WHERE t.typtype = 'c' AND c.relkind = 'c' AND t.typnamespace IN {_SCOPE}
  AND {_not_member("pg_type", "t.oid")}"""

_RANGES = f"""
SELECT t.oid::regtype::text AS name, format_type(r.rngsubtype, NULL) AS subtype,
    CASE WHEN r.rngcollation <> 0 THEN r.rngcollation::regcollation::text END AS collation,
    quote_ident(opc.opcname) AS opclass,
    CASE WHEN r.rngcanonical <> 0 THEN r.rngcanonical::regproc::text END AS canonical,
    CASE WHEN r.rngsubdiff <> 0 THEN r.rngsubdiff::regproc::text END AS subdiff
FROM pg_type t JOIN pg_range r ON r.rngtypid = t.oid
JOIN pg_opclass opc ON opc.oid = r.rngsubopc
WHERE t.typtype = 'r' AND t.typnamespace IN {_SCOPE} AND {_not_member("pg_type", "t.oid")}"""

_TABLES = f"""
SELECT c.oid::regclass::text AS name, c.relkind, c.relpersistence, c.relrowsecurity,
    c.relforcerowsecurity, c.relreplident, c.reloptions, c.relispartition, am.amname,
    CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partkey,
    CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS partbound,
    ARRAY(SELECT i.inhparent::regclass::text FROM pg_inherits i WHERE i.inhrelid = c.oid
          ORDER BY i.inhseqno) AS parents,
    ARRAY(SELECT quote_ident(a.attname) FROM pg_attribute a
          WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
          ORDER BY a.attnum) AS columns
FROM pg_class c LEFT JOIN pg_am am ON am.oid = c.relam
WHERE c.relkind IN ('r', 'p', 'f') AND c.relnamespace IN {_SCOPE}
  AND {_not_member("pg_class", "c.oid")}"""

_COLUMNS = f"""
SELECT c.oid::regclass::text || '.' || quote_ident(a.attname) AS name,
    format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull, a.attidentity, a.attgenerated,
    pg_get_expr(ad.adbin, ad.adrelid) AS expr,
    CASE WHEN a.attcollation <> t.typcollation THEN a.attcollation::regcollation::text END
        AS collation
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
WHERE c.relkind IN ('r', 'p', 'f') AND a.attnum > 0 AND NOT a.attisdropped
  AND c.relnamespace IN {_SCOPE} AND {_not_member("pg_class", "c.oid")}"""

# Constraints cloned onto partitions (conparentid <> 0) follow from the parent's; NOT NULL
# (PostgreSQL 18+) is a column attribute; constraint triggers are listed as triggers.
_CONSTRAINTS = f"""
SELECT quote_ident(co.conname) || ' on ' || c.oid::regclass::text AS name, co.contype,
    pg_get_constraintdef(co.oid) AS def, co.convalidated, co.condeferrable, co.condeferred
FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid
WHERE co.contype NOT IN ('t', 'n') AND co.conparentid = 0
  AND c.relnamespace IN {_SCOPE} AND {_not_member("pg_class", "c.oid")}"""

_INDEXES = f"""
SELECT ic.oid::regclass::text AS name, c.oid::regclass::text AS tbl,
    pg_get_indexdef(ic.oid) AS def, i.indisvalid, i.indisunique, i.indisprimary
FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid
WHERE c.relnamespace IN {_SCOPE} AND {_not_member("pg_class", "c.oid")}"""

_SEQUENCES = f"""
SELECT c.oid::regclass::text AS name, format_type(s.seqtypid, NULL) AS type, s.seqstart,
    s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle,
    (SELECT d.refobjid::regclass::text || '.' || quote_ident(a.attname)
     FROM pg_depend d
     JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
     WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
       AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0
       AND d.deptype IN ('a', 'i')
     LIMIT 1) AS owned_by
FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
WHERE c.relnamespace IN {_SCOPE} AND {_not_member("pg_class", "c.oid")}"""

_VIEWS = f"""
SELECT c.oid::regclass::text AS name, c.relkind, pg_get_viewdef(c.oid) AS def, c.reloptions
FROM pg_class c
WHERE c.relkind IN ('v', 'm') AND c.relnamespace IN {_SCOPE}
  AND {_not_member("pg_class", "c.oid")}"""

_ROUTINES = f"""
SELECT p.oid::regprocedure::text AS name, p.prokind,
    CASE WHEN p.prokind = 'a' THEN
        (SELECT concat_ws(', ', 'returns ' || pg_get_function_result(p.oid),
                'sfunc ' || ag.aggtransfn::regprocedure::text,
                'stype ' || format_type(ag.aggtranstype, NULL),
                'finalfunc ' || nullif(ag.aggfinalfn::oid, 0::oid)::regprocedure::text,
                'combinefunc ' || nullif(ag.aggcombinefn::oid, 0::oid)::regprocedure::text,
                'initcond ' || ag.agginitval,
                'sortop ' || nullif(ag.aggsortop, 0::oid)::regoperator::text)
         FROM pg_aggregate ag WHERE ag.aggfnoid = p.oid)
    ELSE pg_get_functiondef(p.oid) END AS def
FROM pg_proc p
WHERE p.pronamespace IN {_SCOPE} AND {_PROC_SCOPE}"""

# Internal triggers (foreign keys) have OIDs in their names; triggers cloned onto partitions
# follow from the parent's.
_TRIGGERS = f"""
SELECT quote_ident(t.tgname) || ' on ' || c.oid::regclass::text AS name,
    pg_get_triggerdef(t.oid) AS def, t.tgenabled
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE NOT t.tgisinternal AND t.tgparentid = 0
  AND c.relnamespace IN {_SCOPE} AND {_not_member("pg_class", "c.oid")}"""

_RULES = f"""
SELECT quote_ident(r.rulename) || ' on ' || c.oid::regclass::text AS name,
    pg_get_ruledef(r.oid) AS def, r.ev_enabled
FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
WHERE r.rulename <> '_RETURN' AND c.relnamespace IN {_SCOPE}
  AND {_not_member("pg_class", "c.oid")}"""

_POLICIES = f"""
SELECT quote_ident(p.polname) || ' on ' || c.oid::regclass::text AS name, p.polcmd,
    p.polpermissive,
    ARRAY(SELECT CASE WHEN r = 0 THEN 'PUBLIC' ELSE r::regrole::text END
          FROM unnest(p.polroles) AS r) AS roles,
    pg_get_expr(p.polqual, p.polrelid) AS qual,
    pg_get_expr(p.polwithcheck, p.polrelid) AS with_check
FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
WHERE c.relnamespace IN {_SCOPE} AND {_not_member("pg_class", "c.oid")}"""

# One row per privilege held by someone other than the owner, from the object's ACL (or the
# built-in default when it has none, is_default = false) and from the built-in default
# (is_default = true), so that grants and revokes relative to the default can be told apart.
_GRANTS = f"""
WITH objs(obj, col, owner, acl, dflt) AS (
    SELECT {_REL_LABEL} || ' ' || c.oid::regclass::text, NULL::text, c.relowner, c.relacl,
        acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner)
    FROM pg_class c
    WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S') AND c.relnamespace IN {_SCOPE}
      AND {_not_member("pg_class", "c.oid")}
    UNION ALL
    SELECT {_REL_LABEL} || ' ' || c.oid::regclass::text, quote_ident(a.attname), c.relowner,
        a.attacl, NULL::aclitem[]
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    WHERE a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped
      AND c.relkind IN ('r', 'p', 'f', 'v', 'm') AND c.relnamespace IN {_SCOPE}
      AND {_not_member("pg_class", "c.oid")}
    UNION ALL
    SELECT {_PROC_LABEL} || ' ' || p.oid::regprocedure::text, NULL, p.proowner, p.proacl,
        acldefault('f', p.proowner)
    FROM pg_proc p
    WHERE p.pronamespace IN {_SCOPE} AND {_PROC_SCOPE}
    UNION ALL
    SELECT 'schema ' || quote_ident(n.nspname), NULL, n.nspowner, n.nspacl,
        acldefault('n', n.nspowner)
    FROM pg_namespace n WHERE n.oid IN {_SCOPE}
)
SELECT o.obj, o.col, x.privilege_type AS privilege, x.is_grantable AS grantable,
    CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE x.grantee::regrole::text END AS grantee,
    false AS is_default
FROM objs o, aclexplode(coalesce(o.acl, o.dflt)) AS x
WHERE x.grantee <> o.owner
UNION ALL
SELECT o.obj, o.col, x.privilege_type, x.is_grantable,
    CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE x.grantee::regrole::text END, true
FROM objs o, aclexplode(o.dflt) AS x
WHERE x.grantee <> o.owner"""

_COMMENTS = f"""
SELECT CASE WHEN d.objsubid = 0 THEN {_REL_LABEL} || ' ' || c.oid::regclass::text
            ELSE 'column ' || c.oid::regclass::text || '.' || quote_ident(a.attname) END AS obj,
    d.description
FROM pg_description d
JOIN pg_class c ON d.classoid = 'pg_class'::regclass AND c.oid = d.objoid
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid AND d.objsubid > 0
WHERE c.relnamespace IN {_SCOPE} AND {_not_member("pg_class", "c.oid")}
UNION ALL
SELECT 'schema ' || quote_ident(n.nspname), d.description
FROM pg_description d
JOIN pg_namespace n ON d.classoid = 'pg_namespace'::regclass AND n.oid = d.objoid
WHERE n.oid IN {_SCOPE}
UNION ALL
SELECT {_PROC_LABEL} || ' ' || p.oid::regprocedure::text, d.description
FROM pg_description d JOIN pg_proc p ON d.classoid = 'pg_proc'::regclass AND p.oid = d.objoid
WHERE p.pronamespace IN {_SCOPE} AND {_PROC_SCOPE}
UNION ALL
SELECT {_TYPE_LABEL} || ' ' || t.oid::regtype::text, d.description
FROM pg_description d JOIN pg_type t ON d.classoid = 'pg_type'::regclass AND t.oid = d.objoid
WHERE t.typnamespace IN {_SCOPE} AND {_not_member("pg_type", "t.oid")}
UNION ALL
SELECT 'constraint ' || quote_ident(co.conname) || ' on '
        || CASE WHEN co.conrelid <> 0 THEN co.conrelid::regclass::text
                ELSE 'domain ' || co.contypid::regtype::text END,
    d.description
FROM pg_description d
JOIN pg_constraint co ON d.classoid = 'pg_constraint'::regclass AND co.oid = d.objoid
WHERE co.connamespace IN {_SCOPE} AND {_not_member("pg_class", "co.conrelid")}
  AND {_not_member("pg_type", "co.contypid")}
UNION ALL
SELECT 'trigger ' || quote_ident(t.tgname) || ' on ' || c.oid::regclass::text, d.description
FROM pg_description d
JOIN pg_trigger t ON d.classoid = 'pg_trigger'::regclass AND t.oid = d.objoid
JOIN pg_class c ON c.oid = t.tgrelid
WHERE c.relnamespace IN {_SCOPE} AND {_not_member("pg_class", "c.oid")}
UNION ALL
SELECT 'policy ' || quote_ident(p.polname) || ' on ' || c.oid::regclass::text, d.description
FROM pg_description d
JOIN pg_policy p ON d.classoid = 'pg_policy'::regclass AND p.oid = d.objoid
JOIN pg_class c ON c.oid = p.polrelid
WHERE c.relnamespace IN {_SCOPE} AND {_not_member("pg_class", "c.oid")}
UNION ALL
SELECT 'rule ' || quote_ident(r.rulename) || ' on ' || c.oid::regclass::text, d.description
FROM pg_description d
JOIN pg_rewrite r ON d.classoid = 'pg_rewrite'::regclass AND r.oid = d.objoid
JOIN pg_class c ON c.oid = r.ev_class
WHERE r.rulename <> '_RETURN' AND c.relnamespace IN {_SCOPE}
  AND {_not_member("pg_class", "c.oid")}"""

_TABLE_KINDS = {"r": "table", "p": "partitioned table", "f": "foreign table"}
_PERSISTENCE = {"p": "permanent", "u": "unlogged", "t": "temporary"}
_REPLICA_IDENTITY = {"d": "default", "n": "nothing", "f": "full", "i": "index"}
_IDENTITY = {"a": "always", "d": "by default"}
_CONSTRAINT_TYPES = {
    "c": "check",
    "f": "foreign key",
    "p": "primary key",
    "u": "unique",
    "x": "exclusion",
}
_POLICY_COMMANDS = {"r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE", "*": "ALL"}
_FIRING = {"O": "enabled", "D": "disabled", "R": "replica", "A": "always"}


def take_fingerprint(
    conn: psycopg.Connection[Any], *, exclude_schemas: Sequence[str] = ("pgship",)
) -> Fingerprint:
    """Read the schema of the database `conn` is connected to.

    Runs a fixed set of catalog queries (one per kind) in a transaction (a savepoint when one is
    already open) that is always rolled back, so the connection is left as it was.
    """
    params = {"excl": list(exclude_schemas)}
    fp: Fingerprint = {kind: {} for kind in KINDS}

    with conn.transaction(force_rollback=True), conn.cursor(row_factory=dict_row) as cur:
        setters = ", ".join(f"set_config('{name}', %s, true)" for name in _SETTINGS)
        cur.execute(f"SELECT {setters}", list(_SETTINGS.values()))

        def rows(query: str) -> list[dict[str, Any]]:
            cur.execute(query, params)
            return cur.fetchall()

        for r in rows(_SCHEMAS):
            fp["schema"][r["name"]] = {}

        for r in rows(_EXTENSIONS):
            fp["extension"][r["name"]] = {"schema": r["schema"], "version": r["version"]}

        for r in rows(_ENUMS):
            fp["enum"][r["name"]] = {"values": list(r["labels"])}

        for r in rows(_DOMAINS):
            fp["domain"][r["name"]] = {
                "base_type": r["base_type"],
                "not_null": r["not_null"],
                "default": r["dflt"],
                "collation": r["collation"],
                "constraints": sorted(r["checks"]),
            }

        for r in rows(_COMPOSITES):
            fp["composite type"][r["name"]] = {"attributes": list(r["attrs"])}

        for r in rows(_RANGES):
            fp["range type"][r["name"]] = {
                "subtype": r["subtype"],
                "collation": r["collation"],
                "subtype_opclass": r["opclass"],
                "canonical": r["canonical"],
                "subtype_diff": r["subdiff"],
            }

        for r in rows(_TABLES):
            parents = list(r["parents"])
            fp["table"][r["name"]] = {
                "kind": _TABLE_KINDS[r["relkind"]],
                "persistence": _PERSISTENCE.get(r["relpersistence"], r["relpersistence"]),
                "row_security": r["relrowsecurity"],
                "force_row_security": r["relforcerowsecurity"],
                "partition_key": r["partkey"],
                "partition_of": parents[0] if r["relispartition"] and parents else None,
                "partition_bound": r["partbound"],
                "inherits": [] if r["relispartition"] else parents,
                "replica_identity": _REPLICA_IDENTITY.get(r["relreplident"], r["relreplident"]),
                "access_method": r["amname"],
                "options": sorted(r["reloptions"] or []),
                "columns": list(r["columns"]),
            }

        for r in rows(_COLUMNS):
            generated = r["attgenerated"] != ""
            fp["column"][r["name"]] = {
                "type": r["type"],
                "not_null": r["attnotnull"],
                "default": None if generated else r["expr"],
                "identity": _IDENTITY.get(r["attidentity"]),
                "generated": r["expr"] if generated else None,
                "collation": r["collation"],
            }

        for r in rows(_CONSTRAINTS):
            fp["constraint"][r["name"]] = {
                "type": _CONSTRAINT_TYPES.get(r["contype"], r["contype"]),
                "definition": _bare_constraintdef(r),
                "validated": r["convalidated"],
                "deferrable": r["condeferrable"],
                "initially_deferred": r["condeferred"],
            }

        for r in rows(_INDEXES):
            fp["index"][r["name"]] = {
                "table": r["tbl"],
                "definition": r["def"],
                "valid": r["indisvalid"],
                "unique": r["indisunique"],
                "primary": r["indisprimary"],
            }

        for r in rows(_SEQUENCES):
            fp["sequence"][r["name"]] = {
                "type": r["type"],
                "start": r["seqstart"],
                "increment": r["seqincrement"],
                "min": r["seqmin"],
                "max": r["seqmax"],
                "cache": r["seqcache"],
                "cycle": r["seqcycle"],
                "owned_by": r["owned_by"],
            }

        for r in rows(_VIEWS):
            kind = "materialized view" if r["relkind"] == "m" else "view"
            fp[kind][r["name"]] = {
                "definition": r["def"],
                "options": sorted(r["reloptions"] or []),
            }

        for r in rows(_ROUTINES):
            kind = {"p": "procedure", "a": "aggregate"}.get(r["prokind"], "function")
            fp[kind][r["name"]] = {"definition": r["def"]}

        for r in rows(_TRIGGERS):
            fp["trigger"][r["name"]] = {
                "definition": r["def"],
                "state": _FIRING.get(r["tgenabled"], r["tgenabled"]),
            }

        for r in rows(_RULES):
            fp["rule"][r["name"]] = {
                "definition": r["def"],
                "state": _FIRING.get(r["ev_enabled"], r["ev_enabled"]),
            }

        for r in rows(_POLICIES):
            fp["policy"][r["name"]] = {
                "command": _POLICY_COMMANDS.get(r["polcmd"], r["polcmd"]),
                "permissive": r["polpermissive"],
                "roles": sorted(r["roles"]),
                "using": r["qual"],
                "with_check": r["with_check"],
            }

        _add_grants(fp, rows(_GRANTS))

        for r in rows(_COMMENTS):
            fp["comment"][r["obj"]] = {"text": r["description"]}

    return fp


def _bare_constraintdef(row: dict[str, Any]) -> str:
    """pg_get_constraintdef without the suffixes that repeat the validated/deferrable flags."""
    definition: str = row["def"]
    for flag, suffix in (
        (not row["convalidated"], " NOT VALID"),
        (row["condeferred"], " INITIALLY DEFERRED"),
        (row["condeferrable"], " DEFERRABLE"),
    ):
        if flag and definition.endswith(suffix):
            definition = definition[: -len(suffix)]
    return definition


def _add_grants(fp: Fingerprint, rows: list[dict[str, Any]]) -> None:
    """Turn exploded ACL rows into `grant` entries (beyond the default) and `revoke` entries."""
    held: dict[tuple[str, str | None], dict[tuple[str, str], bool]] = {}
    default: dict[tuple[str, str | None], dict[tuple[str, str], bool]] = {}
    for r in rows:
        target = default if r["is_default"] else held
        privileges = target.setdefault((r["obj"], r["col"]), {})
        key = (r["privilege"], r["grantee"])
        privileges[key] = privileges.get(key, False) or r["grantable"]

    for (obj, col), privileges in held.items():
        defaults = default.get((obj, col), {})
        for (privilege, grantee), grantable in privileges.items():
            if defaults.get((privilege, grantee)) == grantable:
                continue
            what = f"{privilege} ({col})" if col else privilege
            fp["grant"][f"{what} on {obj} to {grantee}"] = {"grantable": grantable}
    for (obj, col), defaults in default.items():
        privileges = held.get((obj, col), {})
        for privilege, grantee in defaults:
            if (privilege, grantee) not in privileges:
                fp["revoke"][f"{privilege} on {obj} from {grantee}"] = {}


def _canonical_json(fp: Fingerprint) -> str:
    return json.dumps(fp, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def fingerprint_digest(fp: Fingerprint) -> str:
    """SHA-256 (hex) of the fingerprint's canonical JSON: sorted keys, no whitespace."""
    return hashlib.sha256(_canonical_json(fp).encode("utf-8")).hexdigest()


def diff_fingerprints(before: Fingerprint, after: Fingerprint) -> list[str]:
    """Describe how `after` differs from `before`, one line per difference; [] when equal.

    Lines come in the order of `KINDS` (unknown kinds last, alphabetically), then by object key:
    ``<kind> <object> missing`` (only in `before`), ``<kind> <object> added`` (only in `after`)
    and ``<kind> <object>: <attribute> changed <old> -> <new>``. See the module docstring.
    """
    kinds = [k for k in KINDS if k in before or k in after]
    kinds += sorted((before.keys() | after.keys()) - set(KINDS))
    lines: list[str] = []
    for kind in kinds:
        old_objects = before.get(kind, {})
        new_objects = after.get(kind, {})
        label = _LABELS.get(kind, kind)
        for key in sorted(old_objects.keys() | new_objects.keys()):
            if key not in new_objects:
                lines.append(f"{label} {key} missing")
            elif key not in old_objects:
                lines.append(f"{label} {key} added")
            else:
                lines.extend(
                    f"{label} {key}: {change}"
                    for change in _attribute_changes(kind, old_objects[key], new_objects[key])
                )
    return lines


def _attribute_changes(kind: str, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    changes: list[str] = []
    for attr in sorted(old.keys() | new.keys()):
        a, b = old.get(attr), new.get(attr)
        if a == b:
            continue
        name = attr.replace("_", " ")
        if kind == "table" and attr == "columns" and isinstance(a, list) and isinstance(b, list):
            # Added and missing columns get their own lines; only report a changed order.
            common = set(a) & set(b)
            if [c for c in a if c in common] == [c for c in b if c in common]:
                continue
            name = "column order"
        if isinstance(a, str) and isinstance(b, str) and ("\n" in a or "\n" in b):
            changes.append(f"{name} changed {_first_difference(a, b)}")
        else:
            changes.append(f"{name} changed {_show(a)} -> {_show(b)}")
    return changes


def _first_difference(a: str, b: str) -> str:
    old_lines, new_lines = a.strip().splitlines(), b.strip().splitlines()
    for number in range(max(len(old_lines), len(new_lines))):
        old = old_lines[number].strip() if number < len(old_lines) else None
        new = new_lines[number].strip() if number < len(new_lines) else None
        if old != new:
            return f"at line {number + 1}: {_quote_line(old)} -> {_quote_line(new)}"
    return "in whitespace only"


def _quote_line(line: str | None) -> str:
    if line is None:
        return "(no line)"
    if len(line) > 120:
        line = line[:117] + "..."
    return json.dumps(line, ensure_ascii=False)


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, str):
        if value == "":
            return '""'
        if "\n" in value:
            first = value.strip().splitlines()[0].strip()
            return f"{_quote_line(first)} ..."
        return value
    return str(value)
