"""The sticky comment's markdown: a hidden marker, a headline verdict, the review, the round
trip, and a footer naming the commit. Over LIMIT characters it shrinks to counts and a link.

The marker (`<!-- pgship:review -->`, or `<!-- pgship:review:KEY -->` for a separate comment per
KEY) is how the next run finds the comment to update. Model: squawk's comment_on_pr and
atlas-action's upsertComment.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pgship import markdown as md
from pgship.comment import review_section
from pgship.comment.target import Provenance
from pgship.errors import UsageError
from pgship.review.engine import Report
from pgship.review.formats import summary_line

if TYPE_CHECKING:
    from pgship.roundtrip import TestReport

LIMIT = 65_000  # GitHub refuses comments over 65,536 characters; keep a margin
SUMMARY_LIMIT = 500_000  # a job summary holds at most 1 MiB (bytes) per step
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
_SHA = re.compile(r"^[0-9a-f]{7,64}$")
_MAX_FAILED_NAMES = 20


def marker(key: str | None = None) -> str:
    """The hidden first line that identifies the comment (one per pull request and key)."""
    if key is not None and not _KEY.match(key):
        raise UsageError(
            f"The comment key {key!r} must be 1-40 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit."
        )
    return f"<!-- pgship:review{':' + key if key else ''} -->"


MARKER = marker()


@dataclass(frozen=True)
class CommentParts:
    """What the comment reports. `notes` say what is missing (e.g. a report file)."""

    review: Report | None = None
    test: TestReport | None = None
    notes: tuple[str, ...] = ()
    key: str | None = None
    provenance: Provenance | None = None


def render_comment(parts: CommentParts, *, limit: int = LIMIT) -> str:
    """The full comment, or its shorter forms when it would be over `limit` characters."""
    layouts: list[Callable[[CommentParts], list[str]]] = [_full, _short, _minimal]
    body = ""
    for layout in layouts:
        body = "\n".join(layout(parts)).rstrip("\n")
        if len(body) <= limit:
            return body
    return body[:limit]


def is_shrunk(body: str) -> bool:
    return _TOO_LONG in body


def icon(parts: CommentParts) -> str:
    severity = review_section.worst(parts.review) if parts.review else None
    if severity == "error" or (parts.test is not None and not parts.test.ok):
        return "🛑"
    if severity == "warning" or parts.notes:
        return "⚠️"
    return "ℹ️" if severity == "info" else "✅"


def headline(parts: CommentParts) -> str:
    title = f"pgship review ({parts.key})" if parts.key else "pgship review"
    verdicts = []
    if parts.review is not None:
        verdicts.append(review_section.verdict(parts.review))
    if parts.test is not None:
        verdicts.append(f"round trip {'passed' if parts.test.ok else 'FAILED'}")
    if not verdicts:
        verdicts.append("no report")
    return f"## {icon(parts)} {title}: {' · '.join(verdicts)}"


def _head(parts: CommentParts) -> list[str]:
    lines = [marker(parts.key), headline(parts), ""]
    if parts.review is not None:
        lines.append(f"{summary_line(parts.review)}.")
    if parts.test is not None:
        from pgship.report import outcome

        lines.append(f"Round trip (`pgship test`): {outcome(parts.test)}.")
    lines += [f"⚠️ {md.message(note)}" for note in parts.notes]
    return [*lines, ""]


def _footer(parts: CommentParts) -> list[str]:
    where = parts.provenance
    if where is None or not (where.sha or where.run_url):
        return []
    items = []
    if where.sha:
        sha = md.code_span(where.sha[:7] if _SHA.match(where.sha) else where.sha)
        items.append(f"commit [{sha}]({where.commit_url})" if where.commit_url else f"commit {sha}")
    if where.run_url:
        items.append(f"[workflow run]({where.run_url})")
    return ["---", f"<sub>pgship report for {' · '.join(items)}</sub>"]


def _full(parts: CommentParts) -> list[str]:
    lines = _head(parts)
    if parts.review is not None:
        lines += review_section.findings(parts.review)
    if parts.test is not None:
        from pgship.report import markdown

        lines += [markdown(parts.test).rstrip("\n"), ""]
    return lines + _footer(parts)


_TOO_LONG = "The full report is too long for a comment"


def _short(parts: CommentParts) -> list[str]:
    lines = _head(parts)
    lines += [f"{_TOO_LONG}; here are the counts. {_where_in_full(parts)}", ""]
    if parts.review is not None:
        lines += review_section.counts(parts.review)
    if parts.test is not None and not parts.test.ok:
        failed = [v for v in parts.test.verdicts if not v.ok]
        names = ", ".join(
            f"{md.code_span(v.name)} ({v.verdict})" for v in failed[:_MAX_FAILED_NAMES]
        )
        extra = len(failed) - _MAX_FAILED_NAMES
        more = f" and {extra} more" if extra > 0 else ""
        lines += [f"Not ok in the round trip: {names}{more}.", ""]
    return lines + _footer(parts)


def _minimal(parts: CommentParts) -> list[str]:
    return [*_head(parts), f"{_TOO_LONG}. {_where_in_full(parts)}", "", *_footer(parts)]


def _where_in_full(parts: CommentParts) -> str:
    run_url = parts.provenance.run_url if parts.provenance else None
    if run_url:
        return f"Every finding is in the job summary of the [workflow run]({run_url})."
    return "Run `pgship review` (and `pgship test`) locally for every finding."
