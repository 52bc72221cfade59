"""`pgship verify-backup`: good backups pass; corrupted archives and mismatched manifests fail."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from backup_testing import READER_ROLE, Backup, github_outputs, make_shop, take_backup
from pgship.embedded import EmbeddedPostgres
from pgship_testing import Project


@pytest.fixture(scope="module")
def scratch_server() -> Iterator[EmbeddedPostgres]:
    """A server of its own for --scratch-url (its databases get dropped: keep that away from
    the session's server, where a DROP DATABASE slows every later test)."""
    with EmbeddedPostgres() as server:
        yield server


@pytest.fixture
def shop_backup(project: Project) -> Backup:
    make_shop(project)
    return take_backup(project)


def flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def test_a_good_backup_passes_every_check(project: Project, shop_backup: Backup) -> None:
    result = project.run("verify-backup", str(shop_backup.archive))

    assert result.exit_code == 0, result.output
    for check in ("checksum", "readable", "contents"):
        assert f"ok      {check}" in result.stdout
    assert "ok      restore" not in result.stdout
    assert f"Backup {shop_backup.manifest['id']} is verified." in result.stdout


def test_the_manifest_path_works_too(project: Project, shop_backup: Backup) -> None:
    result = project.run("--format", "json", "verify-backup", str(shop_backup.manifest_path))

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert [c["check"] for c in report["checks"]] == ["checksum", "readable", "contents"]


def test_restore_test_on_an_embedded_server_reports_the_restore_time(
    project: Project, shop_backup: Backup, tmp_path: Path
) -> None:
    outputs = tmp_path / "github_output"

    result = project.run(
        "verify-backup",
        "--restore-test",
        str(shop_backup.archive),
        env={"GITHUB_OUTPUT": str(outputs)},
    )

    assert result.exit_code == 0, result.output
    assert "Starting an embedded PostgreSQL" in result.stderr
    assert "ok      rows      9 table(s), 7706 row(s), as in the manifest" in result.stdout
    assert "ok      schema" in result.stdout
    assert "Restore time (RTO):" in result.stdout
    values = github_outputs(outputs)
    assert values["verified"] == "true"
    assert float(values["restore-seconds"]) > 0


def test_restore_test_on_a_scratch_server_drops_its_database(
    project: Project, shop_backup: Backup, scratch_server: EmbeddedPostgres
) -> None:
    result = project.run(
        "verify-backup",
        "--restore-test",
        "--scratch-url",
        scratch_server.url,
        str(shop_backup.archive),
    )

    assert result.exit_code == 0, result.output
    assert f"Created role {READER_ROLE} (NOLOGIN) on the scratch server" in result.stderr
    with psycopg.connect(scratch_server.url) as conn:
        left = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'pgship%'")
        assert left.fetchall() == []


def test_corrupted_archive_fails_the_checksum_and_is_not_restored(
    project: Project, shop_backup: Backup, make_database: Callable[..., str], tmp_path: Path
) -> None:
    flip_byte(shop_backup.archive, shop_backup.archive.stat().st_size // 2)
    outputs = tmp_path / "github_output"

    verified = project.run(
        "verify-backup", str(shop_backup.archive), env={"GITHUB_OUTPUT": str(outputs)}
    )
    target = make_database("target")
    restored = project.run("restore", str(shop_backup.archive), "--target-url", target)

    assert verified.exit_code == 1, verified.output
    assert "FAILED  checksum  checksum mismatch" in verified.stdout
    assert "failed verification (checksum)" in verified.stderr
    assert github_outputs(outputs)["verified"] == "false"
    assert restored.exit_code == 1, restored.output
    assert "Refusing to restore" in restored.stderr
    with psycopg.connect(target) as conn:
        assert conn.execute("SELECT to_regclass('public.customers')").fetchone() == (None,)


def test_corrupted_directory_archive_names_the_file(project: Project) -> None:
    make_shop(project)
    backup = take_backup(project, "--format", "directory")
    data_file = next(p for p in sorted(backup.archive.iterdir()) if p.name != "toc.dat")
    flip_byte(data_file, 0)

    result = project.run("verify-backup", str(backup.archive))

    assert result.exit_code == 1, result.output
    assert f"files that differ: {data_file.name}" in result.stdout


def test_a_manifest_from_another_backup_does_not_match(
    project: Project, shop_backup: Backup, make_database: Callable[..., str]
) -> None:
    other_url = make_database("other")
    with psycopg.connect(other_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE other (id int)")
    other = take_backup(project, env={"DATABASE_URL": other_url})
    foreign = other.manifest
    foreign["archive"] = shop_backup.archive.name
    shop_backup.save_manifest(foreign)

    result = project.run("verify-backup", str(shop_backup.archive))

    assert result.exit_code == 1, result.output
    assert "checksum mismatch" in result.stdout
    assert "or the manifest belongs to another backup" in result.stdout


def test_a_manifest_missing_a_table_does_not_match_the_archive(
    project: Project, shop_backup: Backup
) -> None:
    manifest = shop_backup.manifest
    manifest["tables"] = [t for t in manifest["tables"] if t["table"] != "public.orders"]
    shop_backup.save_manifest(manifest)

    result = project.run("verify-backup", str(shop_backup.archive))

    assert result.exit_code == 1, result.output
    assert "FAILED  contents  data in the archive for tables the manifest lacks: public orders" in (
        result.stdout
    )


def test_a_manifest_of_another_database_name_does_not_match(
    project: Project, shop_backup: Backup
) -> None:
    manifest = shop_backup.manifest
    manifest["database"] = "somewhere_else"
    shop_backup.save_manifest(manifest)

    result = project.run("verify-backup", str(shop_backup.archive))

    assert result.exit_code == 1, result.output
    assert "the manifest says 'somewhere_else'" in result.stdout


def test_an_edited_row_count_is_caught_by_the_restore_test(
    project: Project, shop_backup: Backup
) -> None:
    manifest = shop_backup.manifest
    for table in manifest["tables"]:
        if table["table"] == "public.customers":
            table["rows"] = 499
    shop_backup.save_manifest(manifest)

    quick = project.run("verify-backup", str(shop_backup.archive))
    full = project.run("verify-backup", "--restore-test", str(shop_backup.archive))

    assert quick.exit_code == 0, quick.output  # row counts need a restore to check
    assert full.exit_code == 1, full.output
    assert "FAILED  rows      public.customers: 500 rows, the backup has 499" in full.stdout


def test_an_edited_fingerprint_is_caught_by_the_restore_test(
    project: Project, shop_backup: Backup
) -> None:
    manifest = shop_backup.manifest
    del manifest["fingerprint"]["function"]["public.touch_placed_at()"]
    shop_backup.save_manifest(manifest)

    result = project.run("verify-backup", "--restore-test", str(shop_backup.archive))

    assert result.exit_code == 1, result.output
    assert "FAILED  schema    function public.touch_placed_at() added" in result.stdout


def test_a_truncated_archive_with_a_rewritten_manifest_fails_the_restore_test(
    project: Project, shop_backup: Backup
) -> None:
    data = shop_backup.archive.read_bytes()[: shop_backup.manifest["size"] // 2]
    shop_backup.archive.write_bytes(data)
    manifest = shop_backup.manifest
    manifest.update(size=len(data), sha256=hashlib.sha256(data).hexdigest())
    shop_backup.save_manifest(manifest)

    result = project.run(
        "--format", "json", "verify-backup", "--restore-test", str(shop_backup.archive)
    )

    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    failed = [c["check"] for c in report["checks"] if not c["ok"]]
    assert failed in (["readable"], ["restore"])


def test_an_archive_without_its_manifest_is_not_a_backup(
    project: Project, shop_backup: Backup
) -> None:
    shop_backup.manifest_path.unlink()

    result = project.run("verify-backup", str(shop_backup.archive))

    assert result.exit_code == 1, result.output
    assert "has no manifest beside it" in result.stderr


def test_a_manifest_that_is_not_json_fails(project: Project, shop_backup: Backup) -> None:
    shop_backup.manifest_path.write_text("{ not json")

    result = project.run("verify-backup", str(shop_backup.archive))

    assert result.exit_code == 1, result.output
    assert "is not valid JSON" in result.stderr


def test_a_manifest_whose_archive_is_gone_fails(project: Project, shop_backup: Backup) -> None:
    shop_backup.archive.unlink()

    result = project.run("verify-backup", str(shop_backup.manifest_path))

    assert result.exit_code == 1, result.output
    assert "FAILED  checksum  the archive" in result.stdout and "is missing" in result.stdout


def test_a_path_that_does_not_exist_is_a_usage_error(project: Project) -> None:
    result = project.run("verify-backup", "backups/nothing.dump")

    assert result.exit_code == 2
    assert "backups/nothing.dump does not exist" in result.stderr
