"""The `pgship` command line: thin commands over the library; the only place that prints.

Heavy modules are imported inside the commands that use them so that `pgship --help` is fast.
"""

from __future__ import annotations

import click

from pgship import __version__
from pgship.cli_support import (
    CONTEXT_SETTINGS,
    append_step_summary,
    handles_errors,
    log,
    output_format,
    settings_of,
    with_timeout_options,
    write_text,
)


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="pgship")
@click.option(
    "--database-url",
    envvar="DATABASE_URL",
    metavar="URL",
    help="postgresql://user:password@host:5432/dbname. Env: DATABASE_URL.",
)
@click.option(
    "--config",
    envvar="PGSHIP_CONFIG",
    metavar="FILE",
    help="Settings file (default: ./pgship.yml when present). Env: PGSHIP_CONFIG.",
)
@click.option(
    "--migrations-dir",
    envvar="PGSHIP_MIGRATIONS_DIR",
    metavar="DIR",
    help="Folder of NNN_name.sql migrations (default: migrations). Env: PGSHIP_MIGRATIONS_DIR.",
)
@click.option(
    "--rollbacks-dir",
    envvar="PGSHIP_ROLLBACKS_DIR",
    metavar="DIR",
    help="Folder of NNN_name_rollback.sql files (default: rollbacks). Env: PGSHIP_ROLLBACKS_DIR.",
)
@click.option(
    "--environment",
    envvar="PGSHIP_ENVIRONMENT",
    metavar="NAME",
    help="Target environment from pgship.yml (e.g. staging, production). Env: PGSHIP_ENVIRONMENT.",
)
@click.option(
    "--lock-wait",
    envvar="PGSHIP_LOCK_WAIT",
    metavar="DURATION",
    help="How long to wait for another pgship run's lock (default 5min). Env: PGSHIP_LOCK_WAIT.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    envvar="PGSHIP_FORMAT",
    show_default=True,
    help="Output format of commands that print data. Env: PGSHIP_FORMAT.",
)
@click.pass_context
def cli(
    ctx: click.Context,
    database_url: str | None,
    config: str | None,
    migrations_dir: str | None,
    rollbacks_dir: str | None,
    environment: str | None,
    lock_wait: str | None,
    fmt: str,
) -> None:
    """Ship PostgreSQL schema changes safely: plan, migrate, roll back, verify.

    \b
    Examples:
      pgship status
      pgship --database-url postgresql://app@localhost/app migrate
      pgship --format json plan
    """
    ctx.ensure_object(dict)
    ctx.obj["format"] = fmt
    ctx.obj["cli"] = {
        "database_url": database_url,
        "config": config,
        "migrations_dir": migrations_dir,
        "rollbacks_dir": rollbacks_dir,
        "environment": environment,
        "lock_wait": lock_wait,
    }


@cli.command()
@click.pass_context
@handles_errors
def status(ctx: click.Context) -> None:
    """Show every migration (from files and history) with its state.

    States: pending, applied (when, by whom, how long), rolled back, failed,
    changed-since-applied (the file was edited after it ran), missing-file.

    \b
    Example:
      pgship status
      pgship --format json status
    """
    from pgship import render
    from pgship.migrations import commands

    settings = settings_of(ctx)
    states = commands.status(settings)
    if output_format(ctx) == "json":
        click.echo(render.to_json({"migrations": [render.state_dict(s) for s in states]}))
    else:
        click.echo(render.status_text(states, str(settings.require_database_url())))


@cli.command()
@click.option("--to", "to", metavar="VERSION", help="Plan up to and including this version.")
@click.option("--sql", "with_sql", is_flag=True, help="Print the SQL of each pending migration.")
@click.option("--single-transaction", is_flag=True, help="Plan for one transaction around all.")
@click.option("--allow-out-of-order", is_flag=True, help="Accept pending versions below applied.")
@click.pass_context
@handles_errors
def plan(
    ctx: click.Context,
    to: str | None,
    with_sql: bool,
    single_transaction: bool,
    allow_out_of_order: bool,
) -> None:
    """Show what `migrate` would do now. Touches nothing.

    Lists pending migrations in order with their transaction mode, directives and statement
    count, and anything that would make `migrate` refuse to run (exit 1).

    \b
    Example:
      pgship plan --sql
    """
    from pgship import render
    from pgship.errors import ProblemFound
    from pgship.migrations import commands

    found = commands.plan(settings_of(ctx), to=to, allow_out_of_order=allow_out_of_order)
    if output_format(ctx) == "json":
        click.echo(
            render.to_json(
                {
                    "pending": [render.migration_dict(m, with_sql=with_sql) for m in found.pending],
                    "problems": found.problems,
                }
            )
        )
    else:
        click.echo(
            render.plan_text(found, with_sql=with_sql, single_transaction=single_transaction)
        )
    if found.problems:
        raise ProblemFound("migrate would refuse to run (see above).")


@cli.command()
@click.option("--to", "to", metavar="VERSION", help="Apply up to and including this version.")
@click.option("--dry-run", is_flag=True, help="Print what would be applied; change nothing.")
@click.option(
    "--single-transaction", is_flag=True, help="Apply all pending migrations in one transaction."
)
@click.option(
    "--allow-out-of-order",
    is_flag=True,
    help="Apply pending versions lower than the newest applied one.",
)
@with_timeout_options
@click.pass_context
@handles_errors
def migrate(
    ctx: click.Context,
    to: str | None,
    dry_run: bool,
    single_transaction: bool,
    allow_out_of_order: bool,
    lock_timeout: str | None,
    statement_timeout: str | None,
    retries: int | None,
) -> None:
    """Apply every pending migration, in order, exactly once.

    Each migration runs in its own transaction (files marked `-- pgship:no-transaction` run
    statement by statement) with lock_timeout and statement_timeout set; a lock timeout is
    retried with backoff. One advisory lock keeps concurrent runs apart.

    \b
    Examples:
      pgship migrate
      pgship migrate --to 004 --lock-timeout 2s --retries 8
      pgship migrate --dry-run
    """
    from pgship import render
    from pgship.migrations import commands

    settings = settings_of(
        ctx, lock_timeout=lock_timeout, statement_timeout=statement_timeout, retries=retries
    )
    result = commands.migrate(
        settings,
        to=to,
        dry_run=dry_run,
        single_transaction=single_transaction,
        allow_out_of_order=allow_out_of_order,
        log=log,
    )
    if output_format(ctx) == "json":
        click.echo(render.to_json(render.run_dict(result, "apply")))
    else:
        click.echo(render.run_text(result, "apply"))


@cli.command()
@click.option(
    "--steps", type=int, metavar="N", help="Roll back the N newest applied migrations (default 1)."
)
@click.option("--to", "to", metavar="VERSION", help="Roll back everything applied after VERSION.")
@click.option("--dry-run", is_flag=True, help="Print what would be rolled back; change nothing.")
@with_timeout_options
@click.pass_context
@handles_errors
def rollback(
    ctx: click.Context,
    steps: int | None,
    to: str | None,
    dry_run: bool,
    lock_timeout: str | None,
    statement_timeout: str | None,
    retries: int | None,
) -> None:
    """Run the paired rollback scripts of applied migrations, newest first.

    Every rollback file needed is checked before anything runs.

    \b
    Examples:
      pgship rollback               # the newest applied migration
      pgship rollback --steps 2
      pgship rollback --to 003      # everything after 003
    """
    from pgship import render
    from pgship.migrations import commands

    settings = settings_of(
        ctx, lock_timeout=lock_timeout, statement_timeout=statement_timeout, retries=retries
    )
    result = commands.rollback(settings, steps=steps, to=to, dry_run=dry_run, log=log)
    if output_format(ctx) == "json":
        click.echo(render.to_json(render.run_dict(result, "rollback")))
    else:
        click.echo(render.run_text(result, "roll back"))


@cli.command()
@click.argument("version")
@click.option("--applied", "action", flag_value="applied", help="Record it as applied.")
@click.option("--rolled-back", "action", flag_value="rolled-back", help="Record it as rolled back.")
@click.option(
    "--accept-checksum",
    "action",
    flag_value="accept-checksum",
    help="Accept the edited file as what was applied.",
)
@click.pass_context
@handles_errors
def resolve(ctx: click.Context, version: str, action: str | None) -> None:
    """Repair the history without running SQL, after fixing the database by hand.

    \b
    Examples:
      pgship resolve 004 --applied          # you finished 004's statements by hand
      pgship resolve 004 --rolled-back      # you undid what 004 did
      pgship resolve 003 --accept-checksum  # 003's edit (a comment) is harmless
    """
    from pgship.errors import UsageError
    from pgship.migrations import commands

    if action is None:
        raise UsageError("Say how to resolve it: --applied, --rolled-back or --accept-checksum.")
    click.echo(commands.resolve(settings_of(ctx), version, action, log=log))


@cli.command()
@click.pass_context
@handles_errors
def verify(ctx: click.Context) -> None:
    """Check applied migrations against their files: drift, missing files, partial failures.

    Exit 1 when anything is off.

    \b
    Example:
      pgship verify
    """
    from pgship import render
    from pgship.errors import ChecksumDrift
    from pgship.migrations import commands

    problems = commands.verify(settings_of(ctx))
    if output_format(ctx) == "json":
        click.echo(render.to_json({"problems": [render.state_dict(s) for s in problems]}))
    elif problems:
        click.echo(render.table(["migration", "problem"], [[s.label, s.state] for s in problems]))
    else:
        click.echo("All applied migrations match their files.")
    if problems:
        raise ChecksumDrift(
            f"{len(problems)} migration(s) do not match their files.",
            hint="See `pgship status` for details; `pgship resolve --help` for the repairs.",
        )


@cli.command("test")
@click.option(
    "--with-data",
    is_flag=True,
    help="After the seeds, roll back newest first and report the rows each rollback loses.",
)
@click.option("--keep", is_flag=True, help="Keep the test database (and embedded server).")
@click.option("--report", "report_file", metavar="FILE", help="Also write the JSON report to FILE.")
@click.option(
    "--seeds-dir",
    envvar="PGSHIP_SEEDS_DIR",
    metavar="DIR",
    help="Folder of seed .sql files (default: seeds). Env: PGSHIP_SEEDS_DIR.",
)
@click.pass_context
@handles_errors
def test_command(
    ctx: click.Context,
    with_data: bool,
    keep: bool,
    report_file: str | None,
    seeds_dir: str | None,
) -> None:
    """Prove every migration and its rollback on a fresh throwaway database.

    For each migration in order: apply it, apply its rollback and check the schema is exactly
    what it was before, then apply it again. Then load seeds/ and check the end state. The
    database is made on the server of --database-url / DATABASE_URL, or, with none, on an
    embedded PostgreSQL that pgship starts and stops itself. Exit 1 when anything is not ok.

    \b
    Examples:
      pgship test
      pgship test --with-data --report pgship-test.json
      DATABASE_URL=postgresql://postgres@localhost:5432/postgres pgship test
    """
    from pgship import render
    from pgship import report as render_report
    from pgship.errors import ProblemFound
    from pgship.migrations.commands import load_migrations
    from pgship.roundtrip import RoundTrip
    from pgship.throwaway import throwaway_server

    settings = settings_of(ctx, seeds_dir=seeds_dir)
    migrations = load_migrations(settings)
    with throwaway_server(settings.database_url, keep=keep, log=log) as server:
        result = RoundTrip(settings, server, log).run(migrations, with_data=with_data)
    if report_file:
        write_text(report_file, render.to_json(result.to_dict()) + "\n")
    append_step_summary(render_report.markdown(result))
    if output_format(ctx) == "json":
        click.echo(render.to_json(result.to_dict()))
    else:
        click.echo(render_report.text(result))
    if not result.ok:
        raise ProblemFound("Some migrations did not pass the round trip (see above).")


@cli.command()
@click.pass_context
@handles_errors
def schema(ctx: click.Context) -> None:
    """Print a normalized description of the database's schema (its fingerprint).

    Deterministic: the same schema gives the same output whatever order it was built in.
    The pgship history schema is left out.

    \b
    Examples:
      pgship schema
      pgship --format json schema > schema.json
    """
    from pgship import render
    from pgship.db import connect
    from pgship.fingerprint import fingerprint_digest, take_fingerprint

    url = settings_of(ctx).require_database_url()
    with connect(url, application_name="pgship schema") as conn:
        fp = take_fingerprint(conn)
    if output_format(ctx) == "json":
        click.echo(render.to_json({"digest": fingerprint_digest(fp), "schema": fp}))
        return
    for kind, objects in fp.items():
        for key, attributes in sorted(objects.items()):
            click.echo(f"{kind} {key}")
            for name, value in sorted(attributes.items()):
                click.echo(f"    {name}: {value}")
    click.echo(f"digest {fingerprint_digest(fp)}")


@cli.command()
@click.option(
    "--seeds-dir",
    envvar="PGSHIP_SEEDS_DIR",
    metavar="DIR",
    help="Folder of seed .sql files (default: seeds). Env: PGSHIP_SEEDS_DIR.",
)
@click.option("--allow-production", is_flag=True, help="Seed even a database marked as production.")
@click.pass_context
@handles_errors
def seed(ctx: click.Context, seeds_dir: str | None, allow_production: bool) -> None:
    """Apply seeds/*.sql in name order, each file in its own transaction.

    Refuses a production target (pgship.yml environments, or --environment production)
    unless --allow-production.

    \b
    Examples:
      pgship seed
      pgship --environment staging seed
    """
    from pgship.db import connect
    from pgship.errors import MigrationFailed, MigrationFileError
    from pgship.migrations.runner import Runner, Timeouts
    from pgship.seed import refuse_production, run_seeds, seed_scripts

    settings = settings_of(ctx, seeds_dir=seeds_dir)
    refuse_production(settings, allow_production=allow_production)
    scripts = seed_scripts(settings.seeds_dir, required=True)
    if not scripts:
        raise MigrationFileError(f"The seeds folder {settings.seeds_dir} holds no .sql file.")
    url = settings.require_database_url()
    with connect(url, application_name="pgship seed") as conn:
        timeouts = Timeouts(settings.lock_timeout_ms, settings.statement_timeout_ms, 0)
        results = run_seeds(Runner(conn, timeouts, log), scripts)
    for result in results:
        if result.failure is None:
            click.echo(f"Seeded {result.path} ({result.execution_ms} ms)")
    failed = next((r for r in results if r.failure), None)
    if failed and failed.failure:
        raise MigrationFailed(
            f"Seed {failed.path} failed at {failed.failure.file}:{failed.failure.line}:\n"
            f"  ERROR: {failed.failure.error}\nNothing of that file was kept; later seeds "
            "did not run.",
            hint=f"Fix {failed.path} and run `pgship seed` again on a fresh database.",
        )


@cli.command()
@click.option(
    "--replay-url",
    envvar="PGSHIP_REPLAY_URL",
    metavar="URL",
    help="Server to replay the migrations on (default: an embedded throwaway PostgreSQL).",
)
@click.pass_context
@handles_errors
def drift(ctx: click.Context, replay_url: str | None) -> None:
    """Compare the live database with what its applied migrations say it should be.

    Replays the applied migrations on a throwaway database, fingerprints both and prints the
    differences: "added" is in the live database only (changed by hand), "missing" is what the
    migrations create but the live database lacks. Exit 1 when they differ.

    \b
    Example:
      pgship --database-url "$PRODUCTION_DATABASE_URL" drift
    """
    from pgship import render
    from pgship.conninfo import parse_database_url
    from pgship.drift import find_drift
    from pgship.errors import ProblemFound

    settings = settings_of(ctx)
    replay = parse_database_url(replay_url, source="--replay-url") if replay_url else None
    result = find_drift(settings, replay_url=replay, log=log)
    if output_format(ctx) == "json":
        click.echo(render.to_json({"replayed": result.replayed, "differences": result.differences}))
    elif result.differences:
        click.echo(f"{settings.require_database_url()} differs from its migrations:")
        for line in result.differences:
            click.echo(f"  - {line}")
    else:
        click.echo(f"No drift: the schema matches its {len(result.replayed)} applied migration(s).")
    if result.differences:
        raise ProblemFound(f"Schema drift: {len(result.differences)} difference(s).")


def _register_areas() -> None:
    """Commands of other areas live in their own modules (cli_<area>.py) and register here."""
    from pgship import cli_backup, cli_github, cli_ops, cli_review, cli_targets

    for module in (cli_review, cli_github, cli_backup, cli_ops, cli_targets):
        module.register(cli)


_register_areas()


def main() -> None:
    cli(prog_name="pgship")


if __name__ == "__main__":
    main()
