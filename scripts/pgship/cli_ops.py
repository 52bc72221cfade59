"""The production gate, Slack and health: `pgship confirm`, `notify`, `health`."""

from __future__ import annotations

import os

import click

from pgship.cli_support import (
    append_step_summary,
    handles_errors,
    log,
    output_format,
    settings_of,
)
from pgship.notify import EVENTS  # light: no database or Slack modules


def register(cli: click.Group) -> None:
    """Add this area's commands to the `pgship` group."""
    cli.add_command(confirm)
    cli.add_command(notify)
    cli.add_command(health)


def _workflow_command(kind: str, title: str, message: str) -> None:
    """A GitHub annotation (::notice:: / ::warning::) when running in GitHub Actions."""
    from pgship.outputs import annotate

    annotate(kind, message, title=title)


@click.command()
@click.option(
    "--value",
    envvar="PGSHIP_CONFIRM",
    metavar="WORD",
    help="The word the person starting the run typed; compared exactly (case-sensitive, "
    "not trimmed). Env: PGSHIP_CONFIRM.",
)
@click.option(
    "--record",
    "record_file",
    envvar="PGSHIP_CONFIRM_RECORD",
    metavar="FILE",
    help="Write who confirmed (actor, run URL, time, environment) as JSON to FILE; `migrate` "
    "stores it when the same variable is set. Env: PGSHIP_CONFIRM_RECORD.",
)
@click.pass_context
@handles_errors
def confirm(ctx: click.Context, value: str | None, record_file: str | None) -> None:
    """Stop the run unless the expected word was typed. Never connects to a database.

    The word is CONFIRM unless pgship.yml sets `confirm_word` for the --environment. A missing
    or different value (`confirm`, ` CONFIRM`, `CONFIRM `) exits 1 with an ::error::
    annotation, before anything can touch production. On success, who confirmed is written to
    --record FILE and to the step outputs `confirmed-by`, `confirmed-at` and `confirm-record`;
    pass `confirmed-by` to `migrate` as PGSHIP_CONFIRMED_BY to keep it in pgship.events.

    \b
    Examples:
      pgship --environment production confirm --value "$CONFIRM_INPUT"
      PGSHIP_CONFIRM=CONFIRM pgship confirm --record "$RUNNER_TEMP/confirm.json"
    """
    import json

    from pgship.config import CliValues, load_settings
    from pgship.confirm import confirm as check_confirmation
    from pgship.confirm import write_record
    from pgship.outputs import set_outputs

    # Only pgship.yml and --environment matter here: no database URL is even parsed.
    values = {**ctx.obj["cli"], "database_url": None}
    settings = load_settings(CliValues(**values), env={})
    ctx.obj["settings"] = settings
    confirmation = check_confirmation(settings, value)
    if record_file:
        write_record(record_file, confirmation)
    set_outputs(confirmation.outputs())
    target = f" for {confirmation.environment}" if confirmation.environment else ""
    if not confirmation.required:
        message = f"No confirmation is required{target} (pgship.yml: confirm: false)."
        _workflow_command("notice", "pgship confirm", message)
    else:
        message = f"Confirmed by {confirmation.actor}{target}."
    if output_format(ctx) == "json":
        click.echo(json.dumps(confirmation.to_dict(), indent=2))
    else:
        click.echo(message)


@click.command()
@click.argument("event", type=click.Choice(list(EVENTS)), metavar="EVENT")
@click.option(
    "--channel",
    envvar="SLACK_CHANNEL",
    metavar="CHANNEL",
    help="Channel for the bot token; give its ID (C0123…) to continue a timeline. "
    "Env: SLACK_CHANNEL; pgship.yml slack.channel.",
)
@click.option(
    "--ts",
    envvar="PGSHIP_SLACK_TS",
    metavar="TS",
    help="The `slack-ts` output of the `started` event: update that message and reply in its "
    "thread. Env: PGSHIP_SLACK_TS.",
)
@click.option(
    "--migrations-json",
    envvar="PGSHIP_MIGRATIONS_JSON",
    metavar="FILE",
    help="What `pgship --format json migrate > FILE` wrote (default: this run's rows of the "
    "history table, when a database URL is set). Env: PGSHIP_MIGRATIONS_JSON.",
)
@click.option(
    "--health-json",
    envvar="PGSHIP_HEALTH_JSON",
    metavar="FILE",
    help="What `pgship --format json health > FILE` wrote (for health-failed). "
    "Env: PGSHIP_HEALTH_JSON.",
)
@click.option("--backup-id", envvar="PGSHIP_BACKUP_ID", metavar="ID", help="Env: PGSHIP_BACKUP_ID.")
@click.option(
    "--error",
    "error_text",
    envvar="PGSHIP_ERROR",
    metavar="TEXT",
    help="The error to show (failed, backup-failed). Env: PGSHIP_ERROR.",
)
@click.option(
    "--error-file",
    metavar="FILE",
    help="Read the error from FILE, e.g. the captured stderr of `pgship migrate`.",
)
@click.option(
    "--rollback-to",
    metavar="VERSION",
    help="The version to roll back to (default: the one before this run's first migration).",
)
@click.option(
    "--started-at",
    envvar="PGSHIP_STARTED_AT",
    metavar="TIME",
    help="When the run started (the `started-at` output; epoch seconds or ISO 8601), for the "
    "duration. Default: from --ts. Env: PGSHIP_STARTED_AT.",
)
@click.option(
    "--strict",
    is_flag=True,
    envvar="PGSHIP_NOTIFY_STRICT",
    help="Exit 1 when Slack does not take the message (default: a warning, exit 0).",
)
@click.option("--dry-run", is_flag=True, help="Print the messages as JSON; send nothing.")
@click.option(
    "--retries",
    type=click.IntRange(min=0, max=10),
    default=3,
    metavar="N",
    show_default=True,
    envvar="PGSHIP_SLACK_RETRIES",
    help="Retries on 429 (after Retry-After), 5xx and connection errors. "
    "Env: PGSHIP_SLACK_RETRIES.",
)
@click.option(
    "--api-url",
    envvar="PGSHIP_SLACK_API_URL",
    metavar="URL",
    help="Slack Web API base URL (default https://slack.com/api/; e.g. GovSlack's, or a test "
    "server). Env: PGSHIP_SLACK_API_URL; pgship.yml slack.api_url.",
)
@click.option(
    "--retry-backoff",
    type=click.FloatRange(min=0),
    default=0.5,
    envvar="PGSHIP_SLACK_RETRY_BACKOFF",
    hidden=True,
    help="First backoff interval in seconds (doubles each retry). For tests.",
)
@click.pass_context
@handles_errors
def notify(
    ctx: click.Context,
    event: str,
    channel: str | None,
    ts: str | None,
    migrations_json: str | None,
    health_json: str | None,
    backup_id: str | None,
    error_text: str | None,
    error_file: str | None,
    rollback_to: str | None,
    started_at: str | None,
    strict: bool,
    dry_run: bool,
    retries: int,
    api_url: str | None,
    retry_backoff: float,
) -> None:
    """Tell Slack how the deployment goes: one timeline per run.

    EVENT is one of: started, backup-verified, backup-failed, migrated, succeeded, failed,
    rolled-back, health-failed, deployed.

    With a bot token (SLACK_BOT_TOKEN + SLACK_CHANNEL), `started` posts a message and sets the
    step output `slack-ts`; later events given --ts update that message's status line and
    reply in its thread. With an incoming webhook (SLACK_WEBHOOK_URL) each event is its own
    message. Messages carry the environment, repository, ref, commit, actor, run link, the
    migrations applied, durations, the backup id, and on failure the error and the exact
    rollback command. A Slack failure is a warning (exit 0) unless --strict; with no Slack
    configured, nothing is sent.

    \b
    Examples:
      pgship --environment production notify started
      pgship notify succeeded --ts "$SLACK_TS" --migrations-json migrate.json
      pgship notify failed --ts "$SLACK_TS" --error-file migrate.log
    """
    from pgship import notify as notify_facts
    from pgship import render
    from pgship.errors import NotificationFailed
    from pgship.outputs import set_outputs

    settings = settings_of(ctx)
    config = notify_facts.slack_config(settings)
    token = os.environ.get(config.token_env) or None
    webhook_url = os.environ.get(config.webhook_url_env) or None
    channel = channel or config.channel
    if event not in config.events:
        log(f"notice: {event} is not in pgship.yml slack.events; nothing was sent.")
        return
    if token and not channel:
        problem = f"{config.token_env} is set but no channel: set SLACK_CHANNEL or --channel."
        if not webhook_url:
            _warn(problem)
            if strict:
                raise NotificationFailed(problem)
            return
        log(f"warning: {problem} Using the webhook instead.")
        token = None
    if not token and not webhook_url:
        message = (
            f"Slack is not configured ({config.token_env} + SLACK_CHANNEL, or "
            f"{config.webhook_url_env}): nothing was sent."
        )
        log(f"notice: {message}")
        _workflow_command("notice", "pgship notify", message)
        return

    started = notify_facts.started_at_value(_now()) if event == "started" else None
    inputs = notify_facts.NotifyInputs(
        migrations_json=migrations_json,
        health_json=health_json,
        backup_id=backup_id,
        error=error_text,
        error_file=error_file,
        rollback_to=rollback_to,
        started_at=started_at,
        ts=ts if event != "started" else None,
    )
    facts = notify_facts.gather(event, settings, inputs, log=log)

    from pgship.integrations import slack

    target = slack.SlackTarget(
        token=token,
        webhook_url=webhook_url,
        channel=channel,
        api_url=api_url or config.api_url,
        retries=retries,
        backoff_s=retry_backoff,
        mention_on_failure=config.mention_on_failure,
    )
    if dry_run:
        click.echo(render.to_json(slack.payloads(target, facts, ts)))
        return
    delivery = slack.deliver(target, facts, ts=ts)
    outputs = {}
    if delivery.ts and delivery.ts != ts:
        outputs["slack-ts"] = delivery.ts
        outputs["slack-channel"] = delivery.channel or ""
    if started:
        outputs["started-at"] = started
    set_outputs(outputs)
    for problem in delivery.errors:
        _warn(f"Slack: {problem}")
    if output_format(ctx) == "json":
        click.echo(render.to_json({"event": event, **delivery.to_dict()}))
    elif delivery.sent:
        where = f" (ts {delivery.ts})" if delivery.ts else ""
        click.echo(f"Sent {event} to Slack via {', '.join(delivery.sent)}{where}.")
    if delivery.errors and strict:
        raise NotificationFailed(
            f"Slack did not take the {event} notification: {'; '.join(delivery.errors)}"
        )
    if delivery.errors:
        log("The deployment goes on: a Slack failure does not fail the job (see --strict).")


def _warn(message: str) -> None:
    log(f"warning: {message}")
    _workflow_command("warning", "pgship notify", message)


def _now() -> float:
    import time

    return time.time()


@click.command()
@click.option(
    "--threshold",
    "thresholds",
    multiple=True,
    metavar="KEY=VALUE",
    envvar="PGSHIP_HEALTH_THRESHOLDS",
    help="Override a threshold (repeatable), e.g. connections_warn=70, long_query_fail=10min, "
    "database_size_warn=50GB; 0 or off disables it. Also pgship.yml `health:`. "
    "Env: PGSHIP_HEALTH_THRESHOLDS (space-separated).",
)
@click.option(
    "--after-deploy",
    is_flag=True,
    envvar="PGSHIP_AFTER_DEPLOY",
    help="Pending migrations are a failure (they are a warning otherwise).",
)
@click.pass_context
@handles_errors
def health(ctx: click.Context, thresholds: tuple[str, ...], after_deploy: bool) -> None:
    """Check the database: each check is ok, warn or fail, with a number. Exit 1 on any fail.

    \b
    Checks (threshold keys and defaults):
      connection            round-trip latency (latency_warn 100ms, latency_fail 2s)
      server_version        warn below min_server_version (14)
      pending_migrations    warn; fail with --after-deploy
      checksum_drift        applied files edited since: fail
      invalid_indexes       left by a failed CREATE INDEX CONCURRENTLY: fail
      connections           % of max_connections (connections_warn 80, connections_fail 95)
      long_running_queries  long_query_warn 5min, long_query_fail 30min
      idle_in_transaction   idle_in_transaction_warn 1min, idle_in_transaction_fail 10min
      lock_waits            sessions waiting on a lock (lock_wait_warn 10s, lock_wait_fail 2min)
      replication_lag       replica replay lag, or a primary's furthest replica
                            (replication_lag_warn 30s, replication_lag_fail 5min)
      database_size         database_size_warn / database_size_fail (off)

    \b
    Examples:
      pgship health
      pgship --format json health --after-deploy > health.json
      pgship health --threshold connections_warn=70 --threshold idle_in_transaction_warn=30s
    """
    from pgship import health as checks
    from pgship import render
    from pgship.errors import ProblemFound

    settings = settings_of(ctx)
    limits = checks.load_thresholds(settings, list(thresholds))
    report = checks.run_checks(settings, limits, after_deploy=after_deploy)
    append_step_summary(checks.markdown(report, str(settings.require_database_url())))
    if output_format(ctx) == "json":
        click.echo(render.to_json(report.to_dict()))
    else:
        click.echo(checks.text(report, str(settings.require_database_url())))
    failed = [c.name for c in report.checks if c.status == checks.FAIL]
    if failed:
        raise ProblemFound(f"Health check failed: {', '.join(failed)}.")
