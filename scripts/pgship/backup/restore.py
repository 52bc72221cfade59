"""`pgship restore`: put a verified backup into a target database, then prove it arrived whole.

The archive is checked against its manifest first (checksum, readable, contents). A target that
holds anything is refused unless the caller passes --clean and types the confirmation word;
then pg_restore drops and recreates the archive's objects. With one job the restore is a single
transaction (a failure keeps nothing of it); with more it is faster but not atomic. The pgship
migration lock is held meanwhile, so no migration runs against a half-restored database. After
the restore every table's rows are counted and the schema fingerprinted, and both are compared
with the manifest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pgship.backup import catalog
from pgship.backup.archive import run_pg_restore
from pgship.backup.clients import major_of
from pgship.backup.compare import Comparison, compare_with_manifest
from pgship.backup.units import seconds
from pgship.backup.verify import check_archive
from pgship.conninfo import DatabaseUrl
from pgship.db import connect
from pgship.errors import BackupVerificationFailed, RestoreFailed, UsageError
from pgship.migrations.lock import migration_lock
from pgship.runcontext import RunContext

Log = Callable[[str], None]


@dataclass
class RestoreReport:
    id: str
    archive: Path
    target: str
    restore_ms: int
    jobs: int
    cleaned: bool
    comparison: Comparison
    warnings: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        """Row count and schema differences; objects the target kept beside the backup's are
        warnings, not problems."""
        changed = [d for d in self.comparison.schema_differences if not d.endswith(" added")]
        return self.comparison.row_problems + changed

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "problems": self.problems,
            "id": self.id,
            "archive": str(self.archive),
            "target": self.target,
            "restore_ms": self.restore_ms,
            "jobs": self.jobs,
            "clean": self.cleaned,
            "tables_checked": self.comparison.tables_checked,
            "rows_checked": self.comparison.rows_checked,
            "row_problems": self.comparison.row_problems,
            "schema_differences": self.comparison.schema_differences,
            "extra_tables": self.comparison.extra_tables,
            "warnings": self.warnings,
        }


def restore_backup(
    path: Path,
    target: DatabaseUrl,
    *,
    clean: bool,
    confirm: str | None,
    confirm_word: str,
    jobs: int,
    no_owner: bool,
    bin_dir: Path | None,
    lock_wait_ms: int,
    log: Log,
) -> RestoreReport:
    """Restore the backup at `path` into `target`; see the module docstring."""
    report, pg_restore = check_archive(path, bin_dir=bin_dir)
    failed = [c for c in report.checks if not c.ok]
    if failed:
        raise BackupVerificationFailed(
            f"Refusing to restore {report.archive}: it failed verification: "
            f"{failed[0].name}: {failed[0].detail}",
            hint="Restore another backup, or look at it with `pgship verify-backup`.",
        )
    assert pg_restore is not None
    manifest = report.manifest
    log(f"{report.archive.name}: checksum, table of contents and manifest agree.")
    context = RunContext.from_environment()
    with connect(target, application_name=context.application_name("restore")) as conn:
        target_major = major_of(int(conn.info.server_version))
        source_major = major_of(int(manifest["server_version_num"]))
        if target_major < source_major:
            raise UsageError(
                f"{target.display()} runs PostgreSQL {target_major}, older than the PostgreSQL "
                f"{source_major} the backup comes from.",
                hint=f"Restore into a PostgreSQL {source_major}+ server.",
            )
        found = catalog.contents(conn)
        if any(found.values()):
            what = catalog.describe_contents(found)
            if not clean:
                raise UsageError(
                    f"{target.display()} is not empty: it holds {what}. Refusing to restore "
                    "over it.",
                    hint="Restore into an empty database, or replace the backup's objects there "
                    f"with --clean --confirm {confirm_word}.",
                )
            if confirm != confirm_word:
                raise UsageError(
                    f"--clean drops and recreates the backup's objects in {target.display()} "
                    f"(it holds {what}); confirm with --confirm {confirm_word}.",
                    hint=f"Type the word exactly: --confirm {confirm_word}.",
                )
            log(
                f"{target.display()} holds {what}: --clean drops and recreates the backup's objects."
            )
        roles = manifest.get("roles", {})
        needed = list(roles.get("grantees", [])) + (
            [] if no_owner else list(roles.get("owners", []))
        )
        missing = catalog.missing_roles(conn, needed)
        if missing:
            raise UsageError(
                f"{target.display()} lacks the role(s) {', '.join(missing)} that the backup's "
                "objects belong or grant to.",
                hint="Create them first (CREATE ROLE ... ), or pass --no-owner to make the "
                "restoring user own everything (grants still need their roles).",
            )
        with migration_lock(conn, wait_ms=lock_wait_ms, log=log):
            mode = "one transaction" if jobs == 1 else f"{jobs} jobs, not atomic"
            log(f"Restoring {report.archive.name} into {target.display()} ({mode}) ...")
            run = run_pg_restore(
                pg_restore,
                report.archive,
                target,
                jobs=jobs,
                clean=clean,
                no_owner=no_owner,
                application_name=context.application_name("restore (pg_restore)"),
            )
            if not run.ok:
                kept = (
                    "Nothing of it was kept (one transaction)."
                    if jobs == 1
                    else "With --jobs the restore is not atomic: the target is partly restored."
                )
                raise RestoreFailed(
                    f"pg_restore failed after {seconds(run.duration_ms)}:\n{run.error}\n{kept}",
                    hint="Fix the cause above and run `pgship restore` again"
                    + (f" with --clean --confirm {confirm_word}." if jobs > 1 else "."),
                )
            log(f"Restored in {seconds(run.duration_ms)}; counting rows ...")
            comparison = compare_with_manifest(conn, manifest)
    result = RestoreReport(
        id=str(manifest["id"]),
        archive=report.archive,
        target=target.display(),
        restore_ms=run.duration_ms,
        jobs=jobs,
        cleaned=clean,
        comparison=comparison,
    )
    extra = [
        d.removesuffix(" added") for d in comparison.schema_differences if d.endswith(" added")
    ]
    if extra:
        result.warnings.append("objects not in the backup, left as they were: " + ", ".join(extra))
    return result
