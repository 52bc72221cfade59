"""Post the report on the pull request: upsert the sticky comment, then the inline comments.

Nothing here prints or exits: `publish` returns an Outcome and the CLI says what happened. When
nothing could be posted (no pull request, no token, a read-only token, GitHub down), the
Outcome says why and the CLI falls back to annotations and the job summary.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pgship.comment.body import CommentParts, is_shrunk, marker, render_comment
from pgship.comment.inline import plan_inline, review_body
from pgship.comment.target import NoTarget, Target
from pgship.integrations.github_errors import Retrying

Log = Callable[[str], None]
POSTED = ("created", "updated", "unchanged")


@dataclass
class Outcome:
    """What `publish` did. `parts` carry the provenance used, for the job summary."""

    parts: CommentParts
    pr: int | None = None
    action: str = "skipped"  # created | updated | unchanged | skipped | failed
    comment_id: int | None = None
    comment_url: str | None = None
    shrunk: bool = False
    inline_posted: int = 0
    inline_already: int = 0
    inline_outside: int = 0
    inline_over_limit: int = 0
    review_url: str | None = None
    notice: str | None = None  # why nothing was posted, when that is expected (not a PR, ...)
    problems: list[str] = field(default_factory=list)  # what went wrong: warnings
    read_only: bool = False

    @property
    def posted(self) -> bool:
        return self.action in POSTED

    def to_dict(self) -> dict[str, Any]:
        return {
            "pr": self.pr,
            "action": self.action,
            "comment_id": self.comment_id,
            "comment_url": self.comment_url,
            "shrunk": self.shrunk,
            "inline": {
                "posted": self.inline_posted,
                "already_commented": self.inline_already,
                "not_on_changed_lines": self.inline_outside,
                "over_limit": self.inline_over_limit,
                "review_url": self.review_url,
            },
            "notice": self.notice,
            "problems": self.problems,
            "read_only": self.read_only,
        }


def publish(
    parts: CommentParts,
    target: Target | NoTarget,
    *,
    inline: bool = True,
    retrying: Retrying | None = None,
    root: Path | None = None,
    log: Log = lambda message: None,
) -> Outcome:
    """Upsert the sticky comment and add inline comments; never raises for GitHub trouble."""
    if isinstance(target, NoTarget):
        return Outcome(replace(parts, provenance=target.provenance), notice=target.reason)

    from pgship.integrations.github import PullRequestClient
    from pgship.integrations.github_errors import GitHubProblem

    outcome = Outcome(replace(parts, provenance=target.provenance(None)), pr=target.number)
    client = PullRequestClient(target, retrying or Retrying(), log)
    try:
        pull = client.pull_info()
    except GitHubProblem as problem:
        outcome.action = "failed"
        outcome.read_only = problem.read_only
        outcome.problems.append(
            f"Cannot read pull request #{target.number} of {target.repository} "
            f"({problem.detail}): nothing was posted."
        )
        return outcome
    outcome.parts = replace(parts, provenance=target.provenance(target.head_sha or pull.head_sha))
    if target.head_sha and target.head_sha != pull.head_sha:
        outcome.notice = (
            f"Pull request #{target.number} has newer commits ({pull.head_sha[:7]}) than this "
            f"run's ({target.head_sha[:7]}): the run of the newer commit posts the report "
            "(an older report must not overwrite a newer one)."
        )
        return outcome
    body = render_comment(outcome.parts)
    outcome.shrunk = is_shrunk(body)
    try:
        upserted = client.upsert_comment(marker(parts.key), body)
    except GitHubProblem as problem:
        outcome.action = "failed"
        outcome.read_only = problem.read_only
        outcome.problems.append(_cannot_write(problem.detail, problem.read_only, pull.from_fork))
        return outcome
    outcome.action = upserted.action
    outcome.comment_id = upserted.comment_id
    outcome.comment_url = upserted.url
    if upserted.duplicates_deleted:
        log(f"Deleted {upserted.duplicates_deleted} duplicate pgship comment(s).")
    if not inline or parts.review is None:
        return outcome
    try:
        plan = plan_inline(
            parts.review.findings,
            client.changed_lines(),
            client.commented_keys(),
            root=root or repository_root(os.environ),
            comment_key=parts.key,
        )
        outcome.inline_already = plan.already
        outcome.inline_outside = plan.outside
        outcome.inline_over_limit = plan.over_limit
        if plan.comments:
            url = client.create_review(
                pull.head_sha, review_body(plan, marker(parts.key)), plan.comments
            )
            outcome.review_url = url or None
            outcome.inline_posted = len(plan.comments) if url else 0
    except GitHubProblem as problem:
        outcome.problems.append(
            f"The inline review comments were not posted ({problem.message}); "
            "the pgship comment lists every finding."
        )
    return outcome


def _cannot_write(detail: str, read_only: bool, from_fork: bool) -> str:
    if not read_only:
        return f"The pgship comment was not posted ({detail})."
    if from_fork:
        why = (
            "this pull request comes from a fork, and GitHub gives the workflows of fork pull "
            "requests a read-only GITHUB_TOKEN"
        )
    else:
        why = (
            "the token may not write to pull requests (give the job "
            "`permissions: pull-requests: write`)"
        )
    return f"The pgship comment was not posted ({detail}): {why}."


def repository_root(env: Mapping[str, str]) -> Path:
    """The checkout's root: GITHUB_WORKSPACE, else git's top level, else the working directory."""
    if env.get("GITHUB_WORKSPACE"):
        return Path(env["GITHUB_WORKSPACE"])
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except OSError:
        return Path.cwd()
    top = done.stdout.strip()
    return Path(top) if done.returncode == 0 and top else Path.cwd()
