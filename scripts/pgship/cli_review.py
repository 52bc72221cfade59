"""SQL review: `pgship review`, `pgship rules`."""

from __future__ import annotations

import click

from pgship.cli_support import (
    append_step_summary,
    handles_errors,
    in_github_actions,
    log,
    output_format,
    settings_of,
    write_text,
)

FAIL_ON = ("error", "warning", "info", "never")
FORMATS = ("text", "json", "github", "sarif", "markdown")  # = pgship.review.formats.FORMATS
RUNNERS = ("pgship", "other")  # = pgship.review.options.RUNNERS


@click.command()
@click.argument("paths", nargs=-1, metavar="[PATHS]...")
@click.option(
    "--pg-version",
    type=click.IntRange(9, 99),
    envvar="PGSHIP_PG_VERSION",
    metavar="N",
    help="Target PostgreSQL major version (default: review.pg_version in pgship.yml, else the "
    "server's when a database URL is set, else 15). Env: PGSHIP_PG_VERSION.",
)
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON),
    envvar="PGSHIP_FAIL_ON",
    help="Exit 1 when a finding is at least this severe (default: review.fail_on in "
    "pgship.yml, else error). Env: PGSHIP_FAIL_ON.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    envvar="PGSHIP_REVIEW_FORMAT",
    help="Report format (default: the global --format, text). Env: PGSHIP_REVIEW_FORMAT.",
)
@click.option("--output", "-o", metavar="FILE", help="Write the report to FILE, not stdout.")
@click.option(
    "--comment",
    is_flag=True,
    envvar="PGSHIP_REVIEW_COMMENT",
    help="Also post the sticky pull-request comment and inline comments (see `pgship comment`; "
    "GitHub trouble never changes the exit code). Env: PGSHIP_REVIEW_COMMENT.",
)
@click.option(
    "--base",
    metavar="REF",
    envvar="PGSHIP_REVIEW_BASE",
    help="Review only the migration and rollback files changed since this git ref "
    "(git diff REF...HEAD, plus uncommitted and untracked files); earlier migrations are "
    "still read for context. Env: PGSHIP_REVIEW_BASE.",
)
@click.option(
    "--assume-runner",
    type=click.Choice(RUNNERS),
    envvar="PGSHIP_ASSUME_RUNNER",
    help="Who runs the files: pgship (it sets lock_timeout itself) or other (the files must "
    "set it). Default: review.assume_runner in pgship.yml, else pgship. "
    "Env: PGSHIP_ASSUME_RUNNER.",
)
@click.pass_context
@handles_errors
def review(
    ctx: click.Context,
    paths: tuple[str, ...],
    pg_version: int | None,
    fail_on: str | None,
    fmt: str | None,
    output: str | None,
    comment: bool,
    base: str | None,
    assume_runner: str | None,
) -> None:
    """Review SQL migrations for locks, table rewrites and other risks.

    Reads the PATHS given (files, or folders of *.sql files), or every migration and rollback.
    Each finding has its file:line:column, rule, severity, the lock it takes and a safe
    alternative. Silence one with `-- pgship:ignore <rule-id> <reason>` on the line before
    the statement, or `-- pgship:ignore-file <rule-id> <reason>` at the top of the file;
    re-level rules in pgship.yml (review: {rules: {<rule-id>: off|error|warning|info}}).
    Exit 1 when a finding reaches --fail-on, 2 on bad input.

    \b
    Examples:
      pgship review
      pgship review migrations/008_add_index.sql --pg-version 13
      pgship review --format sarif --output pgship.sarif
      pgship review --format github --fail-on warning
      pgship review --format github --comment
      pgship review --base origin/main
    """
    from pgship.review.command import run_review
    from pgship.review.formats import renderer, summary_line

    settings = settings_of(ctx)
    run = run_review(
        settings,
        paths,
        pg_version=pg_version,
        fail_on=fail_on,
        base=base,
        assume_runner=assume_runner,
    )
    report = run.report
    if base is not None and not report.files:
        log(f"pgship review: no migration or rollback file changed since {base}.")
    fmt = fmt or output_format(ctx)
    if fmt == "text":
        from pgship.review.formats.text_format import render as render_text

        text = render_text(report, color=output is None)
    else:
        text = renderer(fmt)(report)
    if output is not None:
        write_text(output, text + "\n")
    elif text:
        click.echo(text)
    if fmt != "text" or output is not None:
        log(summary_line(report) + ".")
    if in_github_actions():
        append_step_summary(renderer("markdown")(report) + "\n")
    if comment:
        from pgship.cli_github import comment_on_pull_request

        printed = fmt == "github" and output is None
        comment_on_pull_request(report, annotated=printed, summarized=in_github_actions())
    failing = report.failing(run.fail_on)
    if failing:
        log(
            f"pgship review: {len(failing)} finding(s) at or above {run.fail_on} "
            f"(--fail-on {run.fail_on})."
        )
        ctx.exit(1)


@click.command()
@click.argument("rule_id", required=False, metavar="[RULE_ID]")
@click.pass_context
@handles_errors
def rules(ctx: click.Context, rule_id: str | None) -> None:
    """List the review rules, or print one rule's documentation.

    \b
    Examples:
      pgship rules
      pgship rules set-not-null
      pgship --format json rules
    """
    import json

    from pgship.errors import UsageError
    from pgship.review.registry import all_rules, find_rule, suggest

    if rule_id is None:
        found = list(all_rules().values())
        if output_format(ctx) == "json":
            click.echo(
                json.dumps(
                    [{"id": r.id, "severity": r.severity, "summary": r.summary} for r in found],
                    indent=2,
                )
            )
            return
        width = max(len(rule.id) for rule in found)
        for rule in found:
            click.echo(f"{rule.id:<{width}}  {rule.severity:<7}  {rule.summary}")
        return
    chosen = find_rule(rule_id)
    if chosen is None:
        raise UsageError(
            f"No review rule {rule_id!r}{suggest(rule_id)}.",
            hint="`pgship rules` lists every rule.",
        )
    if output_format(ctx) == "json":
        fields = {"id": chosen.id, "severity": chosen.severity, "summary": chosen.summary}
        click.echo(json.dumps({**fields, "doc": chosen.doc}, indent=2))
        return
    click.echo(f"{chosen.id} ({chosen.severity})\n\n{chosen.doc.strip()}")


def register(cli: click.Group) -> None:
    """Add this area's commands to the `pgship` group."""
    cli.add_command(review)
    cli.add_command(rules)
