"""GitHub pull-request reports: `pgship comment`, and what `pgship review --comment` calls."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from pgship.cli_support import handles_errors, log, output_format, settings_of

if TYPE_CHECKING:
    from pgship.comment.body import CommentParts
    from pgship.comment.publish import Outcome
    from pgship.comment.target import NoTarget, Target
    from pgship.review.engine import Report

_DONE = {"created": "Posted", "updated": "Updated", "unchanged": "Kept (unchanged)"}


@click.command()
@click.argument("paths", nargs=-1, metavar="[PATHS]...")
@click.option(
    "--pr",
    type=click.IntRange(min=1),
    envvar="PGSHIP_PR_NUMBER",
    metavar="N",
    help="Pull request number (default: the pull request of the workflow's event). "
    "Env: PGSHIP_PR_NUMBER.",
)
@click.option(
    "--review-report",
    "--review-json",
    "review_report",
    envvar="PGSHIP_REVIEW_REPORT",
    metavar="FILE",
    help="Post this `pgship review --format json` report instead of reviewing PATHS now. "
    "Env: PGSHIP_REVIEW_REPORT.",
)
@click.option(
    "--test-report",
    "--test-json",
    "test_report",
    envvar="PGSHIP_TEST_REPORT",
    metavar="FILE",
    help="Add the round trip of this `pgship test --report` file. Env: PGSHIP_TEST_REPORT.",
)
@click.option(
    "--pg-version",
    type=click.IntRange(9, 99),
    envvar="PGSHIP_PG_VERSION",
    metavar="N",
    help="Target PostgreSQL major version of the review (as `pgship review`).",
)
@click.option(
    "--base",
    metavar="REF",
    envvar="PGSHIP_REVIEW_BASE",
    help="Review only the migration and rollback files changed since this git ref, e.g. the "
    "pull request's base SHA (as `pgship review --base`). Env: PGSHIP_REVIEW_BASE.",
)
@click.option(
    "--key",
    envvar="PGSHIP_COMMENT_KEY",
    metavar="NAME",
    help="Keep a separate sticky comment per NAME, e.g. one per database of a monorepo "
    "(default: one per pull request). Env: PGSHIP_COMMENT_KEY.",
)
@click.option(
    "--inline/--no-inline",
    default=True,
    envvar="PGSHIP_COMMENT_INLINE",
    show_default=True,
    help="Also comment error findings on the lines the pull request changes.",
)
@click.option("--dry-run", is_flag=True, help="Print the comment's markdown; post nothing.")
@click.option(
    "--strict",
    is_flag=True,
    envvar="PGSHIP_COMMENT_STRICT",
    help="Exit 1 when GitHub does not take the comment (default: a warning, exit 0).",
)
@click.option(
    "--api-url",
    envvar="GITHUB_API_URL",
    metavar="URL",
    help="GitHub API URL (default https://api.github.com; GitHub Enterprise Server: "
    "https://HOST/api/v3). Env: GITHUB_API_URL.",
)
@click.option(
    "--retries",
    type=click.IntRange(min=0, max=10),
    default=3,
    show_default=True,
    envvar="PGSHIP_GITHUB_RETRIES",
    metavar="N",
    help="Retries on rate limits, 5xx and network errors. Env: PGSHIP_GITHUB_RETRIES.",
)
@click.option(
    "--retry-backoff",
    type=click.FloatRange(min=0),
    default=1.0,
    envvar="PGSHIP_GITHUB_RETRY_BACKOFF",
    hidden=True,
    help="First backoff interval in seconds (doubles each retry). For tests.",
)
@click.pass_context
@handles_errors
def comment(
    ctx: click.Context,
    paths: tuple[str, ...],
    pr: int | None,
    review_report: str | None,
    test_report: str | None,
    pg_version: int | None,
    base: str | None,
    key: str | None,
    inline: bool,
    dry_run: bool,
    strict: bool,
    api_url: str | None,
    retries: int,
    retry_backoff: float,
) -> None:
    """Post the review (and the round trip) as one sticky pull-request comment.

    The comment is found again by a hidden marker and updated in place on every push, never
    duplicated; when a push fixes everything it says so. Error findings on lines the pull
    request changes also get an inline review comment, once. Reads GITHUB_TOKEN,
    GITHUB_REPOSITORY and the pull request from the event (GITHUB_EVENT_PATH) or --pr.

    Reviews PATHS now (as `pgship review`), or posts --review-report. With no token, no pull
    request, or a token that may not write (a fork's pull request), the report goes to the
    annotations and the job summary instead, with a notice: exit 0. Exit 0 whatever the
    findings (`pgship review` is the gate), 2 on bad input, 1 with --strict when GitHub
    does not take the comment.

    \b
    Examples:
      pgship comment
      pgship comment --test-report pgship-test.json migrations/008_add_index.sql
      pgship comment --base "$BASE_SHA" --test-report pgship-test.json
      pgship comment --pr 42 --review-report review.json --no-inline
      pgship comment --dry-run
    """
    from pgship.comment.body import CommentParts, render_comment
    from pgship.comment.inputs import load_review_report, load_test_report
    from pgship.comment.target import find_target
    from pgship.errors import CommentFailed, UsageError

    if review_report and (paths or base):
        raise UsageError("Give PATHS or --base to review now, or --review-report, not both.")
    notes: list[str] = []
    review: Report | None = None
    if review_report:
        loaded = load_review_report(review_report)
        if isinstance(loaded, str):
            notes.append(loaded)
        else:
            review = loaded
    else:
        from pgship.review.command import run_review

        review = run_review(settings_of(ctx), paths, pg_version=pg_version, base=base).report
    test = None
    if test_report:
        found = load_test_report(test_report)
        if isinstance(found, str):
            notes.append(found)
        else:
            test = found
    parts = CommentParts(review=review, test=test, notes=tuple(notes), key=key)
    render_comment(parts)  # a bad --key is a usage error before anything is sent
    target = find_target(os.environ, pr=pr, api_url=api_url)
    if dry_run:
        from dataclasses import replace

        from pgship.comment.target import Target
        from pgship.outputs import commands_stopped

        where = target.provenance(None) if isinstance(target, Target) else target.provenance
        with commands_stopped():  # the markdown quotes SQL: no workflow command in it may run
            click.echo(render_comment(replace(parts, provenance=where)))
        return
    outcome = post(parts, target, inline=inline, retries=retries, backoff=retry_backoff)
    report_outcome(outcome, annotate=True, summarize=True)
    if output_format(ctx) == "json":
        from pgship import render

        click.echo(render.to_json(outcome.to_dict()))
    elif outcome.posted:
        click.echo(_done_line(outcome))
    if strict and outcome.action == "failed":
        raise CommentFailed(
            "GitHub did not take the pgship comment: " + "; ".join(outcome.problems)
        )


def comment_on_pull_request(report: Report, *, annotated: bool, summarized: bool) -> None:
    """`pgship review --comment`: post the review; say what happened on stderr. Never fails the
    command for GitHub's sake (the review's exit code stands). Settings come from the same
    environment variables as `pgship comment`'s options."""
    from pgship.comment.body import CommentParts, marker
    from pgship.comment.target import find_target
    from pgship.errors import PgshipError

    key = os.environ.get("PGSHIP_COMMENT_KEY") or None
    pr_text = os.environ.get("PGSHIP_PR_NUMBER") or ""
    pr = int(pr_text) if pr_text.isdigit() and int(pr_text) > 0 else None
    try:
        marker(key)
        target = find_target(os.environ, pr=pr)
    except PgshipError as exc:  # bad settings for the comment: say so, keep the review's result
        from pgship.outputs import annotate

        log(f"warning: no pgship comment: {exc}")
        annotate("warning", f"No pgship comment: {exc.message}", title="pgship comment")
        return
    outcome = post(
        CommentParts(review=report, key=key),
        target,
        inline=os.environ.get("PGSHIP_COMMENT_INLINE", "true").lower() not in ("0", "false", "no"),
        retries=int(_env_number("PGSHIP_GITHUB_RETRIES", 3)),
        backoff=_env_number("PGSHIP_GITHUB_RETRY_BACKOFF", 1.0),
    )
    report_outcome(outcome, annotate=not annotated, summarize=not summarized)
    if outcome.posted:
        log(_done_line(outcome))


def post(
    parts: CommentParts, target: Target | NoTarget, *, inline: bool, retries: int, backoff: float
) -> Outcome:
    """Publish, with the token masked in the log first."""
    from pgship.comment.publish import publish
    from pgship.comment.target import Target
    from pgship.integrations.github_errors import Retrying
    from pgship.outputs import add_mask

    if isinstance(target, Target):
        add_mask(target.token)
    return publish(
        parts, target, inline=inline, retrying=Retrying(retries=retries, backoff_s=backoff), log=log
    )


def report_outcome(outcome: Outcome, *, annotate: bool, summarize: bool) -> None:
    """Notices and warnings; when nothing was posted, annotations and the job summary instead;
    the step outputs."""
    from pgship import outputs
    from pgship.comment.body import SUMMARY_LIMIT, render_comment

    if outcome.notice:
        log(f"notice: {outcome.notice}")
        outputs.annotate("notice", outcome.notice, title="pgship comment")
    for problem in outcome.problems:
        log(f"warning: {problem}")
        outputs.annotate("warning", problem, title="pgship comment")
    parts = outcome.parts
    if not outcome.posted:
        shown = []
        if annotate:
            shown += [line for line in _annotations(parts) if outputs.emit(line)]
        if summarize and outputs.append_step_summary(render_comment(parts, limit=SUMMARY_LIMIT)):
            shown.append("summary")
        if shown:
            log("The report is in the job summary and the annotations instead.")
    elif outcome.shrunk and summarize:
        outputs.append_step_summary(render_comment(parts, limit=SUMMARY_LIMIT))
    values = {
        "comment-action": outcome.action,
        "comment-id": str(outcome.comment_id or ""),
        "comment-url": outcome.comment_url or "",
        "inline-comments": str(outcome.inline_posted),
    }
    if parts.review is not None:
        from pgship.comment.review_section import worst

        values["findings"] = str(len(parts.review.findings))
        values["max-severity"] = worst(parts.review) or "none"
    outputs.set_outputs(values)


def _annotations(parts: CommentParts) -> list[str]:
    lines = []
    if parts.review is not None:
        from pgship.review.formats.github_format import render

        lines += [line for line in render(parts.review).splitlines() if line]
    if parts.test is not None:
        from pgship.report import github_annotations

        lines += github_annotations(parts.test)
    return lines


def _done_line(outcome: Outcome) -> str:
    line = f"{_DONE[outcome.action]} the pgship comment on pull request #{outcome.pr}"
    line += f": {outcome.comment_url}" if outcome.comment_url else "."
    inline = []
    if outcome.inline_posted:
        inline.append(f"{outcome.inline_posted} new")
    if outcome.inline_already:
        inline.append(f"{outcome.inline_already} already there")
    if outcome.inline_outside:
        inline.append(f"{outcome.inline_outside} not on changed lines")
    if inline:
        line += f"\nInline comments on error findings: {', '.join(inline)}."
    return line


def _env_number(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name) or default)
    except ValueError:
        return default


def register(cli: click.Group) -> None:
    """Add this area's commands to the `pgship` group."""
    cli.add_command(comment)
