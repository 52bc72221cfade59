"""Backups: `pgship backup`, `verify-backup`, `restore`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pgship.backup.units import human_size, seconds
from pgship.cli_support import (
    append_step_summary,
    handles_errors,
    in_github_actions,
    log,
    output_format,
    settings_of,
)

if TYPE_CHECKING:
    from pgship.backup.dump import BackupResult
    from pgship.backup.verify import VerifyReport
    from pgship.conninfo import DatabaseUrl

MUST_NOT_PROCEED = "No backup was made: the migration must not proceed."

pg_bin_dir_option = click.option(
    "--pg-bin-dir",
    envvar="PGSHIP_PG_BIN_DIR",
    metavar="DIR",
    help="Folder holding pg_dump and pg_restore (default: PATH, then the usual install "
    "folders). Env: PGSHIP_PG_BIN_DIR.",
)


def register(cli: click.Group) -> None:
    """Add this area's commands to the `pgship` group."""
    cli.add_command(backup)
    cli.add_command(verify_backup)
    cli.add_command(restore)


def github_outputs(values: dict[str, str]) -> None:
    """Set step outputs (`name=value` lines in $GITHUB_OUTPUT) when running in GitHub Actions."""
    from pgship.outputs import set_outputs

    set_outputs(values)


def _json(data: Any) -> str:
    """Like render.to_json, without importing the migration modules render needs."""
    import json

    return json.dumps(data, indent=2, default=str)


def _mask(url: DatabaseUrl | None) -> None:
    """Hide a URL's password in the GitHub Actions log (it is never printed anyway)."""
    from pgship.outputs import add_mask

    if url is not None:
        add_mask(url.password)


@click.command()
@click.option(
    "--output-dir",
    envvar="PGSHIP_BACKUP_DIR",
    metavar="DIR",
    help="Folder for the archive and its manifest (default: backups). Env: PGSHIP_BACKUP_DIR.",
)
@click.option(
    "--format",
    "archive_format",
    type=click.Choice(["custom", "directory"]),
    envvar="PGSHIP_BACKUP_FORMAT",
    help="custom: one file (default); directory: a folder, dumped in parallel with --jobs. "
    "Env: PGSHIP_BACKUP_FORMAT.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    envvar="PGSHIP_BACKUP_JOBS",
    metavar="N",
    help="Parallel pg_dump jobs (directory format only). Env: PGSHIP_BACKUP_JOBS.",
)
@click.option(
    "--compress",
    envvar="PGSHIP_BACKUP_COMPRESS",
    metavar="METHOD",
    help="Passed to pg_dump --compress: a level 0-9, or with pg_dump 16+ gzip:6, lz4, zstd:3. "
    "Env: PGSHIP_BACKUP_COMPRESS.",
)
@click.option(
    "--keep",
    type=click.IntRange(min=1),
    envvar="PGSHIP_BACKUP_KEEP",
    metavar="N",
    help="Then delete all but the N newest backups of this database in the folder. "
    "Env: PGSHIP_BACKUP_KEEP.",
)
@pg_bin_dir_option
@click.option("--quiet", "-q", is_flag=True, help="No progress lines; only the result.")
@click.pass_context
@handles_errors
def backup(
    ctx: click.Context,
    output_dir: str | None,
    archive_format: str | None,
    jobs: int | None,
    compress: str | None,
    keep: int | None,
    pg_bin_dir: str | None,
    quiet: bool,
) -> None:
    """Back up the database with pg_dump, checked and described by a manifest.

    Writes <database>_<environment>_<UTC time>_v<migration head>.dump (or .dir) and a
    .manifest.json beside it with the archive's sha256, the server and pg_dump versions, the
    migration head, every table's exact row count (counted in the dump's own snapshot) and the
    schema fingerprint. The archive is written under a temporary name and only renamed once
    pg_dump succeeded and pg_restore can read it back; the manifest is written last. On any
    failure nothing is left behind, and the exit code is non-zero: do not migrate then.

    In GitHub Actions it sets the outputs backup-path, manifest-path and backup-id; pass
    backup-id to the migration step as PGSHIP_BACKUP_ID and `pgship migrate` records it with
    every migration it applies.

    \b
    Examples:
      pgship backup
      pgship --environment production backup --keep 14
      pgship backup --format directory --jobs 4 --output-dir /var/backups/app
      pgship --format json backup --quiet > backup.json
    """
    from pgship.backup.dump import create_backup
    from pgship.backup.options import BackupCliValues, backup_options
    from pgship.errors import PgshipError

    try:
        settings = settings_of(ctx)
        options = backup_options(
            settings,
            BackupCliValues(
                output_dir=output_dir,
                format=archive_format,
                jobs=jobs,
                compress=compress,
                keep=keep,
                pg_bin_dir=pg_bin_dir,
                quiet=quiet,
            ),
        )
        result = create_backup(settings, options, log=log)
    except PgshipError as exc:
        exc.message = f"{exc.message}\n{MUST_NOT_PROCEED}"
        raise
    except KeyboardInterrupt:
        log(f"Interrupted; nothing of the backup was kept. {MUST_NOT_PROCEED}")
        raise
    github_outputs(
        {
            "backup-path": str(result.archive),
            "manifest-path": str(result.manifest_path),
            "backup-id": result.id,
        }
    )
    append_step_summary(_backup_markdown(result))
    if output_format(ctx) == "json":
        summary = {k: v for k, v in result.manifest.items() if k not in ("fingerprint", "files")}
        summary.update(
            archive_path=str(result.archive),
            manifest_path=str(result.manifest_path),
            pruned=result.pruned,
        )
        click.echo(_json(summary))
    else:
        click.echo(_backup_text(result))


def _backup_text(result: BackupResult) -> str:
    m = result.manifest
    head = m["migration_head_name"] or "none"
    lines = [
        f"Backup {result.id} is complete and checked.",
        f"  archive:   {result.archive} ({human_size(m['size'])}, {m['format']} format, "
        f"sha256 {m['sha256'][:16]}...)",
        f"  manifest:  {result.manifest_path}",
        f"  database:  {m['server']} (PostgreSQL {m['server_version']}), migration head {head}",
        f"  contents:  {len(m['tables'])} table(s), {m['total_rows']} row(s), "
        f"fingerprint {m['fingerprint_digest'][:16]}...",
        f"  took:      {seconds(m['duration_ms'])} (pg_dump {seconds(m['dump_ms'])})",
    ]
    if result.pruned:
        lines.append(f"  pruned:    {', '.join(result.pruned)}")
    if in_github_actions():
        lines.append(
            "Next: pass the step's backup-id output to the migration step as PGSHIP_BACKUP_ID."
        )
    else:
        lines.append(f"Next: PGSHIP_BACKUP_ID={result.id} pgship migrate")
    return "\n".join(lines)


def _backup_markdown(result: BackupResult) -> str:
    m = result.manifest
    return (
        f"### Backup `{result.id}`\n\n"
        "| | |\n|---|---|\n"
        f"| archive | `{result.archive}` ({human_size(m['size'])}, {m['format']}) |\n"
        f"| sha256 | `{m['sha256']}` |\n"
        f"| database | `{m['server']}`, PostgreSQL {m['server_version']} |\n"
        f"| migration head | {m['migration_head_name'] or 'none'} |\n"
        f"| tables / rows | {len(m['tables'])} / {m['total_rows']} |\n"
        f"| took | {seconds(m['duration_ms'])} |\n\n"
    )


@click.command("verify-backup")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--restore-test",
    is_flag=True,
    help="Also restore into a scratch database and compare row counts and schema.",
)
@click.option(
    "--scratch-url",
    envvar="PGSHIP_SCRATCH_URL",
    metavar="URL",
    help="Server for the restore test (a fresh database is made and dropped there); default: "
    "an embedded throwaway PostgreSQL. Env: PGSHIP_SCRATCH_URL.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    metavar="N",
    help="Parallel pg_restore jobs for the restore test.",
)
@pg_bin_dir_option
@click.pass_context
@handles_errors
def verify_backup(
    ctx: click.Context,
    path: Path,
    restore_test: bool,
    scratch_url: str | None,
    jobs: int,
    pg_bin_dir: str | None,
) -> None:
    """Check a backup against its manifest; optionally prove it restores.

    PATH is the archive (.dump file or .dir folder) or its .manifest.json. Checks that the
    archive's sha256 and size are the manifest's, that `pg_restore --list` reads it, and that it
    holds data for exactly the manifest's tables. With --restore-test it is also restored into a
    scratch database, every table's row count and the schema fingerprint are compared with the
    manifest, the scratch database is dropped, and the restore time (a real RTO figure) is
    reported. Exit 1 when any check fails.

    \b
    Examples:
      pgship verify-backup backups/app_production_20260102T030405Z_v7.dump
      pgship verify-backup --restore-test backups/app_production_20260102T030405Z_v7.dump
      pgship verify-backup --restore-test --scratch-url postgresql://postgres@localhost/postgres \\
        backups/app_production_20260102T030405Z_v7.manifest.json
    """
    from pgship.backup.options import pg_bin_dir as resolve_bin_dir
    from pgship.backup.verify import verify_backup as run_verify
    from pgship.conninfo import parse_database_url
    from pgship.errors import BackupVerificationFailed

    settings = settings_of(ctx)
    scratch = parse_database_url(scratch_url, source="--scratch-url") if scratch_url else None
    _mask(scratch)
    report = run_verify(
        path,
        restore_test=restore_test,
        scratch_url=scratch,
        jobs=jobs,
        bin_dir=resolve_bin_dir(settings, pg_bin_dir),
        log=log,
    )
    outputs = {"verified": "true" if report.ok else "false"}
    if report.restore_ms is not None:
        outputs["restore-seconds"] = f"{report.restore_ms / 1000:.2f}"
    github_outputs(outputs)
    append_step_summary(_verify_markdown(report))
    if output_format(ctx) == "json":
        click.echo(_json(report.to_dict()))
    else:
        click.echo(_verify_text(report))
    if not report.ok:
        failed = next(c for c in report.checks if not c.ok)
        raise BackupVerificationFailed(
            f"Backup {report.manifest.get('id')} failed verification ({failed.name}).",
            hint="Do not rely on this backup: take a new one with `pgship backup`.",
        )


def _verify_text(report: VerifyReport) -> str:
    lines = [f"{report.archive}:"]
    for check in report.checks:
        lines.append(f"  {'ok    ' if check.ok else 'FAILED'}  {check.name:<9} {check.detail}")
    if report.restore_ms is not None and report.ok:
        lines.append(
            f"Restore time (RTO): {seconds(report.restore_ms)} on {report.scratch}; the "
            "scratch database was dropped."
        )
    if report.ok:
        lines.append(f"Backup {report.manifest.get('id')} is verified.")
    return "\n".join(lines)


def _verify_markdown(report: VerifyReport) -> str:
    rows = "".join(
        f"| {c.name} | {'✅' if c.ok else '❌'} | {c.detail.replace('|', '/')} |\n"
        for c in report.checks
    )
    rto = (
        f"\nRestore time (RTO): **{seconds(report.restore_ms)}**\n"
        if report.restore_ms is not None
        else ""
    )
    return (
        f"### Backup verification: `{report.manifest.get('id')}`\n\n"
        f"| check | | detail |\n|---|---|---|\n{rows}{rto}\n"
    )


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--target-url",
    envvar="PGSHIP_TARGET_URL",
    metavar="URL",
    required=True,
    help="Database to restore into. Env: PGSHIP_TARGET_URL.",
)
@click.option(
    "--clean",
    is_flag=True,
    help="Drop and recreate the backup's objects in a non-empty target (needs --confirm).",
)
@click.option("--confirm", metavar="WORD", help="Type CONFIRM to allow --clean.")
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    metavar="N",
    help="Parallel pg_restore jobs; with 1 the restore is one transaction (all or nothing).",
)
@click.option(
    "--no-owner",
    is_flag=True,
    help="Make the connecting user own every restored object (the roles that owned them need "
    "not exist in the target).",
)
@pg_bin_dir_option
@click.pass_context
@handles_errors
def restore(
    ctx: click.Context,
    path: Path,
    target_url: str,
    clean: bool,
    confirm: str | None,
    jobs: int,
    no_owner: bool,
    pg_bin_dir: str | None,
) -> None:
    """Restore a pgship backup into a database, then check its rows and schema.

    The archive is first checked against its manifest (checksum, readable, contents). A target
    that holds anything is refused unless --clean --confirm CONFIRM. The pgship migration lock is
    held while restoring. Afterwards every table's row count and the schema fingerprint are
    compared with the manifest: exit 1 when they differ.

    \b
    Examples:
      pgship restore backups/app_production_20260102T030405Z_v7.dump \\
        --target-url postgresql://app@localhost:5432/app_restored
      pgship restore backups/app_production_20260102T030405Z_v7.dump \\
        --target-url "$STAGING_DATABASE_URL" --clean --confirm CONFIRM --jobs 4
    """
    from pgship.backup.options import pg_bin_dir as resolve_bin_dir
    from pgship.backup.restore import restore_backup
    from pgship.conninfo import parse_database_url
    from pgship.errors import RestoreFailed

    settings = settings_of(ctx)
    target = parse_database_url(target_url, source="--target-url / PGSHIP_TARGET_URL")
    _mask(target)
    environment = settings.environments.get(settings.environment or "")
    confirm_word = environment.confirm_word if environment else "CONFIRM"
    report = restore_backup(
        path,
        target,
        clean=clean,
        confirm=confirm,
        confirm_word=confirm_word,
        jobs=jobs,
        no_owner=no_owner,
        bin_dir=resolve_bin_dir(settings, pg_bin_dir),
        lock_wait_ms=settings.lock_wait_ms,
        log=log,
    )
    github_outputs(
        {
            "restored": "true" if report.ok else "false",
            "restore-seconds": f"{report.restore_ms / 1000:.2f}",
        }
    )
    append_step_summary(
        f"### Restore of `{report.id}` into `{report.target}`\n\n"
        f"{'✅' if report.ok else '❌'} {report.comparison.tables_checked} table(s), "
        f"{report.comparison.rows_checked} row(s) checked; restore took "
        f"{seconds(report.restore_ms)}.\n\n"
    )
    data: dict[str, Any] = report.to_dict()
    if output_format(ctx) == "json":
        click.echo(_json(data))
    else:
        for warning in report.warnings:
            log(f"warning: {warning}")
        if report.ok:
            click.echo(
                f"Restored {report.id} into {report.target} in {seconds(report.restore_ms)}: "
                f"{report.comparison.tables_checked} table(s) and "
                f"{report.comparison.rows_checked} row(s) match the manifest, and so does the "
                "schema."
            )
        else:
            click.echo(f"Restored {report.id} into {report.target}, but it does not match:")
            for problem in report.problems:
                click.echo(f"  - {problem}")
    if not report.ok:
        raise RestoreFailed(
            f"The restored database differs from backup {report.id} "
            f"({len(report.problems)} difference(s)).",
            hint="Look at the differences above before using this database.",
        )
