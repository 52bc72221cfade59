"""`pgship backup` as users run it: archive, manifest, outputs, options; and the round trip."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from backup_testing import (
    READER_ROLE,
    files_in,
    fingerprint_of,
    github_outputs,
    make_shop,
    row_counts,
    take_backup,
)
from pgship.backup.clients import find_client
from pgship.errors import UsageError
from pgship.fingerprint import fingerprint_digest
from pgship_testing import Project

SHOP_ROWS = {
    "public.customers": 500,
    "public.products": 200,
    "public.orders": 2000,
    "public.order_lines": 4000,
    "audit.events_2025": 628,
    "audit.events_2026": 372,
    'public."Mixed Case"': 2,
    "pgship.migrations": 2,
    "pgship.events": 2,
}


def test_round_trip_backup_then_restore_gives_the_same_schema_and_rows(
    project: Project, make_database: Callable[..., str]
) -> None:
    make_shop(project)
    backup = take_backup(project)
    target = make_database("restored")

    result = project.run("restore", str(backup.archive), "--target-url", target)

    assert result.exit_code == 0, result.output
    assert "match the manifest" in result.stdout
    assert fingerprint_of(target) == fingerprint_of(project.database_url)
    assert row_counts(target) == row_counts(project.database_url)
    with psycopg.connect(target) as conn:  # the history travels with the data
        versions = conn.execute("SELECT version FROM pgship.migrations ORDER BY 1").fetchall()
        total = conn.execute("SELECT order_total(1)").fetchone()
    assert versions == [(1,), (2,)]
    assert total is not None and total[0] > 0


def test_manifest_describes_the_archive_and_the_database(project: Project) -> None:
    make_shop(project)

    backup = take_backup(project)

    manifest = backup.manifest
    data = backup.archive.read_bytes()
    assert manifest["sha256"] == hashlib.sha256(data).hexdigest()
    assert manifest["size"] == len(data)
    assert manifest["format"] == "custom"
    assert manifest["archive"] == backup.archive.name
    assert manifest["migration_head"] == 2
    assert manifest["migration_head_name"] == "002_shop_data"
    assert manifest["server_version_num"] // 10000 == manifest["pg_dump_major"]
    assert manifest["pg_dump_version"].startswith(str(manifest["pg_dump_major"]))
    assert manifest["database"] == project.scalar("SELECT current_database()")
    assert {t["table"]: t["rows"] for t in manifest["tables"]} == SHOP_ROWS
    assert manifest["total_rows"] == sum(SHOP_ROWS.values())
    assert manifest["fingerprint_digest"] == fingerprint_digest(
        fingerprint_of(project.database_url)
    )
    assert manifest["fingerprint"] == fingerprint_of(project.database_url)
    assert READER_ROLE in manifest["roles"]["grantees"]
    assert manifest["duration_ms"] >= manifest["dump_ms"] > 0
    assert re.fullmatch(r"[0-9A-F]+-[0-9A-F]+(-\d+)?", manifest["snapshot"])


def test_file_name_holds_database_environment_utc_time_and_head(project: Project) -> None:
    make_shop(project)
    dbname = project.scalar("SELECT current_database()")

    backup = take_backup(project, env={"PGSHIP_ENVIRONMENT": "staging"})

    pattern = rf"{re.escape(dbname)}_staging_\d{{8}}T\d{{6}}Z_v2"
    assert re.fullmatch(pattern + r"\.dump", backup.archive.name)
    assert re.fullmatch(pattern + r"\.manifest\.json", backup.manifest_path.name)
    assert backup.archive.resolve().parent == project.root / "backups"
    assert backup.manifest["environment"] == "staging"
    assert files_in(project.root / "backups") == sorted(
        [backup.archive.name, backup.manifest_path.name]
    )


def test_no_history_means_no_head_in_the_name(project: Project) -> None:
    project.execute("CREATE TABLE t (id int); INSERT INTO t VALUES (1)")

    backup = take_backup(project)

    assert backup.archive.name.endswith("_nohead.dump")
    assert backup.manifest["migration_head"] is None
    assert {t["table"]: t["rows"] for t in backup.manifest["tables"]} == {"public.t": 1}


def test_row_counts_come_from_the_dump_snapshot_while_rows_keep_arriving(
    project: Project, make_database: Callable[..., str]
) -> None:
    make_shop(project)
    project.execute(  # enough data for the dump to take a moment
        "CREATE TABLE filler AS SELECT g AS id, md5(g::text) AS payload "
        "FROM generate_series(1, 200000) g"
    )
    stop = threading.Event()
    inserted = 0

    def insert_orders() -> None:
        nonlocal inserted
        with psycopg.connect(project.database_url, autocommit=True) as conn:
            while not stop.is_set():
                conn.execute("INSERT INTO orders (customer_id) VALUES (1)")
                conn.execute("INSERT INTO filler VALUES (-1, 'x')")
                inserted += 1

    writer = threading.Thread(target=insert_orders)
    writer.start()
    try:
        time.sleep(0.2)
        backup = take_backup(project)
        time.sleep(0.2)
    finally:
        stop.set()
        writer.join()
    target = make_database("restored")
    result = project.run("restore", str(backup.archive), "--target-url", target)

    assert result.exit_code == 0, result.output
    counts = {t["table"]: t["rows"] for t in backup.manifest["tables"]}
    restored = row_counts(target)
    assert restored["public.orders"] == counts["public.orders"]
    assert restored["public.filler"] == counts["public.filler"]
    assert 2000 < counts["public.orders"] < 2000 + inserted  # rows arrived before and after


def test_github_outputs_and_the_backup_id_reaches_the_next_migrate(
    project: Project, tmp_path: Path
) -> None:
    make_shop(project)
    outputs = tmp_path / "github_output"
    summary = tmp_path / "step_summary"
    env = {"GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary)}

    backup = take_backup(project, env=env)

    values = github_outputs(outputs)
    assert values == {
        "backup-path": str(backup.archive),
        "manifest-path": str(backup.manifest_path),
        "backup-id": backup.manifest["id"],
    }
    assert backup.manifest["id"] in summary.read_text()
    # The workflow passes the output on as PGSHIP_BACKUP_ID; migrate records it.
    project.write("003_customer_notes", "ALTER TABLE customers ADD COLUMN notes text;\n")
    result = project.run("migrate", env={"PGSHIP_BACKUP_ID": values["backup-id"]})
    assert result.exit_code == 0, result.output
    recorded = project.scalar("SELECT backup_id FROM pgship.migrations WHERE version = 3")
    assert recorded == values["backup-id"]


def test_text_output_says_how_to_pass_the_id_on(project: Project) -> None:
    make_shop(project)

    result = project.run("backup")

    assert result.exit_code == 0, result.output
    assert "is complete and checked" in result.stdout
    assert re.search(r"PGSHIP_BACKUP_ID=\S+_v2 pgship migrate", result.stdout)


def test_progress_goes_table_by_table_and_quiet_silences_it(project: Project) -> None:
    make_shop(project)

    loud = project.run("backup")
    quiet = project.run("backup", "--quiet")

    assert loud.exit_code == 0 and quiet.exit_code == 0, loud.output + quiet.output
    assert re.search(r"\[\d+/9\] public\.customers", loud.stderr)
    assert "[9/9]" in loud.stderr
    assert "public.Mixed Case" in loud.stderr
    assert quiet.stderr == ""
    assert "is complete and checked" in quiet.stdout


def test_directory_format_with_parallel_jobs(
    project: Project, make_database: Callable[..., str]
) -> None:
    make_shop(project)

    backup = take_backup(project, "--format", "directory", "--jobs", "2")

    assert backup.archive.is_dir() and backup.archive.name.endswith(".dir")
    manifest = backup.manifest
    assert manifest["format"] == "directory" and manifest["jobs"] == 2
    assert "toc.dat" in manifest["files"]
    assert manifest["size"] == sum(f["size"] for f in manifest["files"].values())
    verified = project.run("verify-backup", "--restore-test", "--jobs", "2", str(backup.archive))
    assert verified.exit_code == 0, verified.output
    target = make_database("restored")
    restored = project.run("restore", str(backup.archive), "--target-url", target, "--jobs", "2")
    assert restored.exit_code == 0, restored.output
    assert row_counts(target) == row_counts(project.database_url)


def test_compress_is_passed_to_pg_dump(project: Project) -> None:
    make_shop(project)

    plain = take_backup(project, "--compress", "0")
    default = take_backup(project)

    assert plain.manifest["compress"] == "0"
    assert plain.manifest["size"] > 2 * default.manifest["size"]
    assert project.run("verify-backup", str(plain.archive)).exit_code == 0


def test_keep_prunes_older_backups_of_the_same_database_only(
    project: Project, make_database: Callable[..., str]
) -> None:
    project.execute("CREATE TABLE t (id int)")
    other = make_database("other")
    other_backup = take_backup(project, env={"DATABASE_URL": other})
    first = take_backup(project)
    first_id = first.manifest["id"]
    second = take_backup(project)

    third = take_backup(project, "--keep", "2")

    remaining = files_in(project.root / "backups")
    for kept in (second, third, other_backup):
        assert kept.archive.name in remaining and kept.manifest_path.name in remaining
    assert first.archive.name not in remaining and first.manifest_path.name not in remaining
    assert len(remaining) == 6
    assert json.loads(third.result.stdout)["pruned"] == [first_id]
    assert f"Pruned {first_id} (--keep 2)" in third.result.stderr


def test_pgship_yml_backup_section(project: Project) -> None:
    project.execute("CREATE TABLE t (id int)")
    (project.root / "pgship.yml").write_text(
        "backup:\n  output_dir: dumps\n  format: directory\n  jobs: 2\n  keep: 1\n"
    )

    take_backup(project)
    backup = take_backup(project)

    assert backup.archive.resolve().parent == project.root / "dumps"
    assert backup.archive.is_dir()
    assert len([n for n in files_in(project.root / "dumps") if n.endswith(".json")]) == 1


def test_pgship_yml_unknown_backup_setting_is_an_error(project: Project) -> None:
    (project.root / "pgship.yml").write_text("backup:\n  keep_last: 3\n")

    result = project.run("backup")

    assert result.exit_code == 2
    assert "unknown setting(s) keep_last" in result.stderr
    assert "must not proceed" in result.stderr


def test_jobs_need_the_directory_format(project: Project) -> None:
    result = project.run("backup", "--jobs", "2")

    assert result.exit_code == 2
    assert "--jobs 2 needs --format directory" in result.stderr
    assert files_in(project.root / "backups") == []


def test_compression_methods_need_pg_dump_16(project: Project, pg_major: int) -> None:
    if pg_major >= 16:
        pytest.skip("the server's pg_dump takes compression methods")
    project.execute("CREATE TABLE t (id int)")

    result = project.run("backup", "--compress", "zstd:3")

    assert result.exit_code == 2
    assert "--compress zstd:3 needs pg_dump 16 or newer" in result.stderr
    assert "must not proceed" in result.stderr
    assert files_in(project.root / "backups") == []


def test_nonsense_compression_is_refused(project: Project) -> None:
    result = project.run("backup", "--compress", "brotli")

    assert result.exit_code == 2
    assert "is not a pg_dump compression" in result.stderr


def _fake_client(folder: Path, name: str, version: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f'#!/bin/sh\necho "{name} (PostgreSQL) {version}"\n')
    path.chmod(0o755)
    return path


def test_a_pg_dump_older_than_the_server_is_refused_naming_the_version_to_install(
    project: Project, tmp_path: Path, pg_major: int
) -> None:
    old = tmp_path / "old-bin"
    _fake_client(old, "pg_dump", "12.22")
    _fake_client(old, "pg_restore", "12.22")

    result = project.run("backup", "--pg-bin-dir", str(old))

    assert result.exit_code == 2
    assert f"pg_dump {pg_major} or newer is needed to back up PostgreSQL {pg_major}" in (
        result.stderr
    )
    assert "pg_dump 12.22" in result.stderr
    assert f"postgresql-client-{pg_major}" in result.stderr
    assert "must not proceed" in result.stderr
    assert files_in(project.root / "backups") == []


def test_find_client_prefers_the_server_major_then_the_oldest_newer_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for major in (14, 15, 17):
        _fake_client(tmp_path / f"pg{major}" / "bin", "pg_dump", f"{major}.3")
    monkeypatch.setattr("pgship.backup.clients._SEARCH_GLOBS", (str(tmp_path / "pg*" / "bin"),))
    monkeypatch.setenv("PATH", str(tmp_path / "pg14" / "bin"))

    assert find_client("pg_dump", minimum=15, purpose="").major == 15
    assert find_client("pg_dump", minimum=16, purpose="").major == 17
    assert find_client("pg_dump", minimum=14, purpose="").path.parent == tmp_path / "pg14" / "bin"
    with pytest.raises(UsageError, match=r"pg_dump 18 or newer is needed to test"):
        find_client("pg_dump", minimum=18, purpose="to test")


def test_bad_pg_bin_dir_is_a_usage_error(project: Project, tmp_path: Path) -> None:
    result = project.run("backup", "--pg-bin-dir", str(tmp_path / "nowhere"))

    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_large_all_visible_tables_are_counted_from_an_index(project: Project) -> None:
    from pgship.backup import catalog

    project.execute(  # a synchronous commit: VACUUM can mark the pages all-visible at once
        "SET synchronous_commit = on;"
        "CREATE TABLE wide (id int PRIMARY KEY, payload text);"
        "INSERT INTO wide SELECT g, repeat('x', 200) FROM generate_series(1, 60000) g;"
        "CREATE TABLE fresh AS SELECT g AS id FROM generate_series(1, 500) g;"
    )
    project.execute("VACUUM ANALYZE wide")
    project.execute("DELETE FROM wide WHERE id <= 10")  # not yet vacuumed: still counted right

    with psycopg.connect(project.database_url, autocommit=True) as conn:
        tables = {t.qualified: t for t in catalog.list_tables(conn)}
        counts = catalog.count_rows(conn, list(tables.values()))
        setting = conn.execute("SHOW enable_seqscan").fetchone()

    assert tables["public.wide"].index_only and not tables["public.fresh"].index_only
    assert counts == {"public.wide": 59990, "public.fresh": 500}
    assert setting == ("on",)  # the connection is left as it was
