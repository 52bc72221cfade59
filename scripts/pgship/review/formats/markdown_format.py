"""Markdown for a pull-request comment or a job summary: the review as `pgship comment` posts it.

The body starts with a hidden marker (MARKER) so that the comment can be found and updated in
place; over LIMIT characters it shrinks to counts per file and rule. The layout lives in
pgship.comment.body, shared with `pgship comment` (which adds the round trip and a footer).
"""

from __future__ import annotations

from pgship.comment.body import LIMIT, MARKER, CommentParts, render_comment
from pgship.review.engine import Report

__all__ = ["LIMIT", "MARKER", "render"]


def render(report: Report) -> str:
    return render_comment(CommentParts(review=report))
