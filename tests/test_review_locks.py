"""The lock level of each statement (review/locks.py, which `pgship plan` shows), checked
against what PostgreSQL itself holds in pg_locks, and table sizes with a database URL."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from pgship.review.locks import LEVELS, StatementLock, relation_locks, statement_locks
from pgship.review.model import LockTarget
from pgship.review.parse import parse_file
from pgship.review.sizes import human_bytes, human_count, table_sizes
from pgship_testing import Project

SCRIPT = """\
-- a comment before the first statement
CREATE TABLE notes (id bigint PRIMARY KEY, payout_id bigint REFERENCES payouts (id));
CREATE INDEX notes_payout_idx ON notes (payout_id);
ALTER TABLE payouts ADD COLUMN note text;

CREATE INDEX payouts_note_idx
    ON payouts (note);
ALTER TABLE payouts VALIDATE CONSTRAINT payouts_amount_positive;
ALTER TABLE payouts ADD CONSTRAINT payouts_creator_fkey
    FOREIGN KEY (creator_id) REFERENCES creators (id) NOT VALID;
UPDATE payouts SET note = '' WHERE id = 1;
CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
DROP INDEX payouts_status_idx;
DROP INDEX payouts_note_idx;
LOCK TABLE creators IN SHARE MODE;
"""


def test_statement_locks_of_a_script() -> None:
    assert statement_locks(SCRIPT) == [
        StatementLock(2, "SHARE ROW EXCLUSIVE", "payouts"),  # the referenced table
        StatementLock(4, "ACCESS EXCLUSIVE", "payouts"),
        StatementLock(6, "SHARE", "payouts"),
        StatementLock(8, "SHARE UPDATE EXCLUSIVE", "payouts"),
        StatementLock(9, "SHARE ROW EXCLUSIVE", "payouts"),
        StatementLock(11, "ROW EXCLUSIVE", "payouts"),
        StatementLock(13, "ACCESS EXCLUSIVE", "index payouts_status_idx"),
        StatementLock(15, "SHARE", "creators"),  # line 14 drops an index created above
    ]
    line, lock = statement_locks(SCRIPT)[0][:2]  # usable as (line, lock) pairs
    assert (line, lock) == (2, "SHARE ROW EXCLUSIVE")


def test_statement_locks_skip_what_does_not_parse() -> None:
    sql = "ALTER TABEL payouts ADD COLUMN a int;\nTRUNCATE payouts;\n"

    assert statement_locks(sql) == [StatementLock(2, "ACCESS EXCLUSIVE", "payouts")]


def test_no_locks() -> None:
    assert statement_locks("SELECT 1;\nCREATE TYPE mood AS ENUM ('ok');\n") == []
    assert statement_locks("") == []


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("ALTER TABLE t ENABLE TRIGGER tr", [("t", "SHARE ROW EXCLUSIVE")]),
        ("ALTER TABLE t SET (fillfactor = 70)", [("t", "SHARE UPDATE EXCLUSIVE")]),
        ("ALTER TABLE t SET (autovacuum_enabled = off)", [("t", "SHARE UPDATE EXCLUSIVE")]),
        ("ALTER TABLE t SET (parallel_workers = 2, oids = false)", [("t", "ACCESS EXCLUSIVE")]),
        ("ALTER TABLE t ALTER COLUMN a SET STATISTICS 500", [("t", "SHARE UPDATE EXCLUSIVE")]),
        ("ALTER TABLE t ADD COLUMN a int, VALIDATE CONSTRAINT c", [("t", "ACCESS EXCLUSIVE")]),
        (
            "ALTER TABLE t ATTACH PARTITION p FOR VALUES IN (1)",
            [("t", "SHARE UPDATE EXCLUSIVE"), ("p", "ACCESS EXCLUSIVE")],
        ),
        (
            "ALTER TABLE t DETACH PARTITION p CONCURRENTLY",
            [("t", "SHARE UPDATE EXCLUSIVE"), ("p", "ACCESS EXCLUSIVE")],
        ),
        (
            "ALTER TABLE t ADD COLUMN u bigint REFERENCES u (id)",
            [("t", "ACCESS EXCLUSIVE"), ("u", "SHARE ROW EXCLUSIVE")],
        ),
        ("CREATE INDEX CONCURRENTLY i ON t (a)", [("t", "SHARE UPDATE EXCLUSIVE")]),
        ("DROP INDEX CONCURRENTLY s.i", [("s.i", "SHARE UPDATE EXCLUSIVE")]),
        ("DROP TABLE a, b", [("a", "ACCESS EXCLUSIVE"), ("b", "ACCESS EXCLUSIVE")]),
        ("DROP TRIGGER tr ON s.t", [("s.t", "ACCESS EXCLUSIVE")]),
        ("REINDEX TABLE CONCURRENTLY t", [("t", "SHARE UPDATE EXCLUSIVE")]),
        ("REINDEX INDEX i", [("i", "SHARE")]),
        ("VACUUM FULL t", [("t", "ACCESS EXCLUSIVE")]),
        ("VACUUM (FULL false) t", [("t", "SHARE UPDATE EXCLUSIVE")]),
        ("ANALYZE t", [("t", "SHARE UPDATE EXCLUSIVE")]),
        ("CLUSTER t USING i", [("t", "ACCESS EXCLUSIVE")]),
        ("REFRESH MATERIALIZED VIEW CONCURRENTLY m", [("m", "EXCLUSIVE")]),
        (
            "CREATE TRIGGER tr AFTER INSERT ON t EXECUTE FUNCTION f()",
            [("t", "SHARE ROW EXCLUSIVE")],
        ),
        (
            "CREATE TABLE c PARTITION OF t FOR VALUES IN (1)",
            [("t", "ACCESS EXCLUSIVE")],
        ),
        ("ALTER TABLE t RENAME TO u", [("t", "ACCESS EXCLUSIVE")]),
        ("ALTER INDEX i RENAME TO j", [("i", "SHARE UPDATE EXCLUSIVE")]),
        ("COMMENT ON COLUMN t.a IS 'x'", [("t", "SHARE UPDATE EXCLUSIVE")]),
        ("SELECT * FROM t FOR UPDATE", [("t", "ROW SHARE")]),
        ("LOCK t", [("t", "ACCESS EXCLUSIVE")]),
        ("SELECT 1", []),
    ],
)
def test_relation_locks(sql: str, expected: list[tuple[str, str]]) -> None:
    (statement,) = parse_file(sql).statements

    assert [(str(lock.relation), lock.level) for lock in relation_locks(statement)] == expected
    assert all(lock.level in LEVELS for lock in relation_locks(statement))


# Statements on existing tables, with the lock PostgreSQL takes on each (read from pg_locks
# inside the statement's transaction).
AGAINST_THE_SERVER = [
    "ALTER TABLE payouts ADD COLUMN memo text",
    "ALTER TABLE payouts ALTER COLUMN note SET STATISTICS 200",
    "ALTER TABLE payouts SET (fillfactor = 80)",
    "ALTER TABLE payouts VALIDATE CONSTRAINT payouts_amount_check",
    "ALTER TABLE payouts ADD CONSTRAINT payouts_creator_fkey FOREIGN KEY (creator_id) "
    "REFERENCES creators (id) NOT VALID",
    "ALTER TABLE payouts DISABLE TRIGGER ALL",
    "CREATE INDEX payouts_note_idx ON payouts (note)",
    "CREATE TRIGGER payouts_t BEFORE UPDATE ON payouts FOR EACH ROW EXECUTE FUNCTION noop()",
    "CREATE TABLE notes (id bigint PRIMARY KEY, creator_id bigint REFERENCES creators (id))",
    "COMMENT ON TABLE payouts IS 'money'",
    "UPDATE payouts SET note = 'x' WHERE id = 1",
    "REINDEX TABLE payouts",
    "TRUNCATE payouts",
    "LOCK TABLE payouts IN EXCLUSIVE MODE",
]
_SERVER_LEVELS = {
    "AccessShareLock": "ACCESS SHARE",
    "RowShareLock": "ROW SHARE",
    "RowExclusiveLock": "ROW EXCLUSIVE",
    "ShareUpdateExclusiveLock": "SHARE UPDATE EXCLUSIVE",
    "ShareLock": "SHARE",
    "ShareRowExclusiveLock": "SHARE ROW EXCLUSIVE",
    "ExclusiveLock": "EXCLUSIVE",
    "AccessExclusiveLock": "ACCESS EXCLUSIVE",
}


def test_lock_levels_match_what_postgresql_takes(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE creators (id bigint PRIMARY KEY);"
            "CREATE TABLE payouts (id bigint PRIMARY KEY, creator_id bigint, note text,"
            " amount bigint CONSTRAINT payouts_amount_check CHECK (amount > 0));"
            "CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN RETURN NEW; END $$;"
        )
        for sql in AGAINST_THE_SERVER:
            (statement,) = parse_file(sql).statements
            expected = {str(lock.relation): lock.level for lock in relation_locks(statement)}
            with conn.transaction(force_rollback=True):
                conn.execute(sql)
                rows = conn.execute(
                    "SELECT c.relname, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                    " WHERE l.pid = pg_backend_pid() AND c.relname IN ('payouts', 'creators')"
                ).fetchall()
            taken: dict[str, str] = {}
            for table, mode in rows:
                level = _SERVER_LEVELS[mode]
                if LEVELS.index(level) > LEVELS.index(taken.get(table, "ACCESS SHARE")):
                    taken[table] = level
            taken = {table: level for table, level in taken.items() if level != "ACCESS SHARE"}
            assert expected == taken, sql


# --- sizes ----------------------------------------------------------------------------------


def test_human_numbers() -> None:
    assert [human_count(n) for n in (0, 840, 1234, 12_345, 12_345_678, 3.2e9)] == [
        "0",
        "840",
        "1.2k",
        "12k",
        "12M",
        "3.2B",
    ]
    assert [human_bytes(n) for n in (0, 900, 8192, 3_328_599_654, 5 * 1024**4)] == [
        "0 bytes",
        "900 bytes",
        "8.0 kB",
        "3.1 GB",
        "5.0 TB",
    ]


def test_table_sizes_from_the_catalog(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            "CREATE SCHEMA billing;"
            "CREATE TABLE billing.payouts (id bigint PRIMARY KEY, note text);"
            "INSERT INTO billing.payouts SELECT g, 'n' FROM generate_series(1, 20000) g;"
            "ANALYZE billing.payouts;"
            "CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at);"
            "CREATE TABLE events_a PARTITION OF events FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');"
            "CREATE TABLE events_b PARTITION OF events FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');"
            "INSERT INTO events SELECT g, '2020-06-01'::date + g % 400 FROM generate_series(1, 3000) g;"
            "ANALYZE events;"
            "CREATE TABLE fresh (id bigint);"
        )
        sizes = table_sizes(
            conn,
            [
                LockTarget("billing", "payouts"),
                LockTarget("billing", "payouts_pkey", index=True),
                LockTarget(None, "events"),
                LockTarget(None, "fresh"),
                LockTarget(None, "missing"),
            ],
        )
        total = conn.execute("SELECT pg_total_relation_size('billing.payouts')").fetchone()

    payouts = sizes[LockTarget("billing", "payouts")]
    assert (payouts.table, payouts.rows) == ("billing.payouts", 20000)
    assert total is not None and payouts.bytes == total[0]
    assert sizes[LockTarget("billing", "payouts_pkey", index=True)] == payouts  # its table
    assert sizes[LockTarget(None, "events")].rows == 3000  # the sum of the partitions
    assert sizes[LockTarget(None, "fresh")].describe() == "fresh: empty"
    assert LockTarget(None, "missing") not in sizes
    assert payouts.describe().startswith("billing.payouts: ~20k rows, ")


def test_lock_findings_name_the_table_size(project: Project) -> None:
    project.execute(
        "CREATE TABLE payouts (id bigint PRIMARY KEY, status text);"
        "INSERT INTO payouts SELECT g, 'paid' FROM generate_series(1, 50000) g;"
        "ANALYZE payouts;"
    )
    project.write(
        "001_index",
        "CREATE INDEX payouts_status_idx ON payouts (status);\n"
        "CREATE TABLE notes (id bigint PRIMARY KEY, body varchar(10));\n"
        "CREATE INDEX notes_body_idx ON notes (body);\n",
    )

    result = project.run("review", "--format", "json", "--pg-version", "15", "--fail-on", "never")

    assert result.exit_code == 0, result.output
    findings = json.loads(result.stdout)["findings"]
    index = next(f for f in findings if f["rule"] == "require-concurrent-index-creation")
    assert index["lock"] == "SHARE"
    assert index["message"].endswith(" payouts: ~50k rows, " + index["message"].split(", ")[-1])
    assert "~50k rows" in index["message"]
    text = next(f for f in findings if f["rule"] == "prefer-text-field")
    assert "rows" not in text["message"]  # not a lock finding


def test_no_database_url_no_sizes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from pgship.cli import cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    (tmp_path / "a.sql").write_text("CREATE INDEX i ON payouts (a);\n", encoding="utf-8")

    result = CliRunner().invoke(cli, ["review", "a.sql", "--format", "json"])

    (finding,) = json.loads(result.stdout)["findings"]
    assert "rows" not in finding["message"]
