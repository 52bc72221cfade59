"""`pgship verify-backup`: is the archive the one the manifest describes, and does it restore?

Checks, in order (each needs the ones before it):

1. checksum  - the archive's size and sha256 are the manifest's;
2. readable  - `pg_restore --list` reads its table of contents;
3. contents  - it was dumped from the manifest's database and server, and holds data for
               exactly the manifest's tables;
4. with a restore test: restore  - it restores into a fresh scratch database without an error
   (timed: a real recovery-time figure); rows - every table has the manifest's row count;
   schema - the schema fingerprint is the manifest's. The scratch database is dropped after.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psycopg import sql

from pgship.backup import catalog
from pgship.backup.archive import read_contents, run_pg_restore
from pgship.backup.clients import ClientProgram, find_client, major_of
from pgship.backup.compare import compare_with_manifest
from pgship.backup.manifest import checksum, locate, read_manifest
from pgship.backup.units import seconds
from pgship.conninfo import DatabaseUrl
from pgship.db import connect
from pgship.errors import UsageError
from pgship.throwaway import throwaway_server

Log = Callable[[str], None]
SHOWN = 10  # differences listed per check


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class VerifyReport:
    archive: Path
    manifest_path: Path
    manifest: dict[str, Any]
    checks: list[Check] = field(default_factory=list)
    restore_ms: int | None = None
    scratch: str | None = None

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def add(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append(Check(name, ok, detail))
        return ok

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "id": self.manifest.get("id"),
            "archive": str(self.archive),
            "manifest": str(self.manifest_path),
            "checks": [{"check": c.name, "ok": c.ok, "detail": c.detail} for c in self.checks],
            "restore_ms": self.restore_ms,
            "scratch": self.scratch,
        }


def check_archive(path: Path, *, bin_dir: Path | None) -> tuple[VerifyReport, ClientProgram | None]:
    """Checks 1-3 (no database needed); also returns the pg_restore that can read the archive."""
    archive, manifest_path = locate(path)
    manifest = read_manifest(manifest_path)
    report = VerifyReport(archive, manifest_path, manifest)
    if not _check_checksum(report):
        return report, None
    dump_major = int(manifest["pg_dump_major"])
    pg_restore = find_client(
        "pg_restore",
        minimum=dump_major,
        prefer=dump_major,
        bin_dir=bin_dir,
        purpose=f"to read an archive written by pg_dump {manifest['pg_dump_version']}",
    )
    contents, error = read_contents(pg_restore, archive)
    if not report.add(
        "readable",
        contents is not None,
        f"pg_restore --list reads it ({pg_restore.describe()})"
        if contents is not None
        else f"pg_restore --list cannot read it: {error}",
    ):
        return report, pg_restore
    assert contents is not None
    problems = []
    dbname = contents.header.get("dbname")
    if dbname is not None and dbname != manifest["database"]:
        problems.append(
            f"dumped from database {dbname!r}, the manifest says {manifest['database']!r}"
        )
    dumped_from = contents.header.get("Dumped from database version")
    if dumped_from is not None and dumped_from != manifest.get("server_version", dumped_from):
        problems.append(
            f"dumped from PostgreSQL {dumped_from}, the manifest says {manifest['server_version']}"
        )
    expected = {f"{t['schema']} {t['name']}" for t in manifest["tables"]}
    missing, unexpected = contents.match_tables(expected)
    if missing:
        problems.append(f"no data in the archive for {_listing(missing)}")
    if unexpected:
        problems.append(
            f"data in the archive for tables the manifest lacks: {_listing(unexpected)}"
        )
    report.add(
        "contents",
        not problems,
        "; ".join(problems)
        or f"{len(contents.table_data)} table(s) of data, as in the manifest (database "
        f"{manifest['database']}, PostgreSQL {manifest.get('server_version', '?')})",
    )
    return report, pg_restore


def _check_checksum(report: VerifyReport) -> bool:
    manifest, archive = report.manifest, report.archive
    if not archive.exists():
        return report.add("checksum", False, f"the archive {archive} is missing")
    if archive.is_dir() != (manifest["format"] == "directory"):
        return report.add(
            "checksum", False, f"{archive} is not a {manifest['format']}-format archive"
        )
    summed = checksum(archive)
    if summed.sha256 == manifest["sha256"] and summed.size == manifest["size"]:
        return report.add("checksum", True, f"sha256 {summed.sha256[:16]}..., {summed.size} bytes")
    detail = (
        f"checksum mismatch: the archive has sha256 {summed.sha256} and {summed.size} bytes, "
        f"the manifest says {manifest['sha256']} and {manifest['size']} bytes: the archive was "
        "changed or corrupted after the backup, or the manifest belongs to another backup"
    )
    if summed.files is not None and isinstance(manifest.get("files"), dict):
        changed = sorted(
            name
            for name in summed.files.keys() | manifest["files"].keys()
            if summed.files.get(name) != manifest["files"].get(name)
        )
        detail += f" (files that differ: {_listing(changed)})"
    return report.add("checksum", False, detail)


def verify_backup(
    path: Path,
    *,
    restore_test: bool,
    scratch_url: DatabaseUrl | None,
    jobs: int,
    bin_dir: Path | None,
    log: Log,
) -> VerifyReport:
    """Run the checks; with `restore_test`, restore into a scratch database and compare."""
    report, pg_restore = check_archive(path, bin_dir=bin_dir)
    if not restore_test or not report.ok:
        return report
    assert pg_restore is not None
    manifest = report.manifest
    with throwaway_server(scratch_url, log=log) as server:
        report.scratch = server.description
        with connect(server.server_url, application_name="pgship verify-backup") as admin:
            scratch_major = major_of(int(admin.info.server_version))
            source_major = major_of(int(manifest["server_version_num"]))
            if scratch_major < source_major:
                raise UsageError(
                    f"The scratch server is PostgreSQL {scratch_major}, older than the "
                    f"PostgreSQL {source_major} the backup comes from.",
                    hint=f"Give --scratch-url a PostgreSQL {source_major}+ server, or install "
                    f"PostgreSQL {source_major}+ for the embedded one.",
                )
            grantees = list(manifest.get("roles", {}).get("grantees", []))
            for role in catalog.missing_roles(admin, grantees):
                admin.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))
                log(
                    f"Created role {role} (NOLOGIN) on the scratch server: the backup grants to it."
                )
        url = server.create_database("pgship_restore_test")
        log(f"Restoring {report.archive.name} into a scratch database on {server.description} ...")
        run = run_pg_restore(
            pg_restore,
            report.archive,
            url,
            jobs=jobs,
            no_owner=True,
            application_name="pgship verify-backup",
        )
        report.restore_ms = run.duration_ms
        if not report.add(
            "restore",
            run.ok,
            f"restored in {seconds(run.duration_ms)} with {jobs} job(s)"
            if run.ok
            else f"pg_restore failed after {seconds(run.duration_ms)}: {run.error}",
        ):
            return report
        with connect(url, application_name="pgship verify-backup") as conn:
            compared = compare_with_manifest(conn, manifest)
        rows_problems = compared.row_problems + [
            f"{name}: table not in the backup" for name in compared.extra_tables
        ]
        report.add(
            "rows",
            not rows_problems,
            _listing(rows_problems)
            if rows_problems
            else f"{compared.tables_checked} table(s), {compared.rows_checked} row(s), as in "
            "the manifest",
        )
        report.add(
            "schema",
            not compared.schema_differences,
            _listing(compared.schema_differences)
            if compared.schema_differences
            else f"fingerprint {manifest['fingerprint_digest'][:16]}... as in the manifest",
        )
    return report


def _listing(items: list[str]) -> str:
    shown = "; ".join(items[:SHOWN])
    return shown + (f"; and {len(items) - SHOWN} more" if len(items) > SHOWN else "")
