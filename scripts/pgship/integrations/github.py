"""The pull request's comments through PyGithub (import this module only in the commands that
post: `pgship comment`, `pgship review --comment`).

Every call is retried as pgship.integrations.github_errors says. Retries repeat a whole
operation (find + write), never a bare POST, so that a write GitHub did take before failing is
found on the next try instead of being made twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from github import Auth, Github
from github.GithubException import GithubException
from github.IssueComment import IssueComment
from github.NamedUser import NamedUser
from github.Organization import Organization
from github.PullRequest import ReviewComment

from pgship import __version__
from pgship.comment.inline import InlineComment, added_lines, keys_in
from pgship.comment.target import Target
from pgship.integrations.github_errors import Retrying, classify, next_wait

T = TypeVar("T")
Log = Callable[[str], None]


@dataclass(frozen=True)
class PullInfo:
    number: int
    head_sha: str
    head_repository: str | None  # owner/name of the head branch's repository (a fork's)
    base_repository: str
    html_url: str

    @property
    def from_fork(self) -> bool:
        return self.head_repository is not None and self.head_repository != self.base_repository


@dataclass(frozen=True)
class Upserted:
    action: str  # created | updated | unchanged
    comment_id: int
    url: str
    duplicates_deleted: int = 0


class PullRequestClient:
    """One pull request of one repository, with one token."""

    def __init__(self, target: Target, retrying: Retrying, log: Log) -> None:
        self.target = target
        self.retrying = retrying
        self.log = log
        self.github = Github(
            auth=Auth.Token(target.token),
            base_url=target.api_url,
            user_agent=f"pgship/{__version__}",
            per_page=100,
            retry=None,  # pgship retries whole operations (see the module docstring)
            seconds_between_requests=None,
            seconds_between_writes=min(1.0, retrying.backoff_s),
            timeout=30,
            lazy=True,
        )
        self.repo = self.github.get_repo(target.repository)
        self.pull = self.repo.get_pull(target.number)
        self._login: str | None = None
        self._identified = False

    # --- who we are --------------------------------------------------------------------

    def identity(self) -> str | None:
        """The token's login; None for an installation token (GITHUB_TOKEN), which may not
        ask (`GET /user` answers 403): then any bot's comment with the marker is ours."""
        if not self._identified:
            self._login = self._call("asking GitHub who the token is", self._get_login)
            self._identified = True
        return self._login

    def _get_login(self) -> str | None:
        try:
            return str(self.github.get_user().login)
        except GithubException as exc:
            problem = classify(exc, "GET /user")
            if problem.kind in ("forbidden", "not-found"):
                return None
            raise

    def is_ours(self, user: NamedUser | Organization | None) -> bool:
        """Whether a comment's author is this token (call identity() first)."""
        if user is None:
            return False
        if self._login is not None:
            return bool(user.login == self._login)
        return bool(user.type == "Bot")

    # --- the pull request --------------------------------------------------------------

    def pull_info(self) -> PullInfo:
        def read() -> PullInfo:
            pull = self.pull
            head_repo = pull.head.repo
            return PullInfo(
                number=pull.number,
                head_sha=pull.head.sha,
                head_repository=head_repo.full_name if head_repo is not None else None,
                base_repository=pull.base.repo.full_name,
                html_url=pull.html_url,
            )

        return self._call(f"reading pull request #{self.target.number}", read)

    def changed_lines(self) -> dict[str, set[int]]:
        """path -> lines the pull request adds, for every file with a patch."""

        def read() -> dict[str, set[int]]:
            changed = {}
            for file in self.pull.get_files():
                if file.status != "removed" and file.patch:
                    changed[file.filename] = added_lines(file.patch)
            return changed

        return self._call("listing the pull request's files", read)

    # --- the sticky comment ------------------------------------------------------------

    def upsert_comment(self, marker: str, body: str) -> Upserted:
        """Update our comment holding `marker` (deleting duplicates), or create it."""
        self.identity()
        return self._call("posting the pgship comment", lambda: self._upsert(marker, body))

    def _upsert(self, marker: str, body: str) -> Upserted:
        candidates = [
            comment
            for comment in self.pull.get_issue_comments()
            if marker in (comment.body or "") and self.is_ours(comment.user)
        ]
        for kept in _preferred_first(candidates):
            action = "unchanged"
            if kept.body != body:
                try:
                    kept.edit(body)
                except GithubException as exc:
                    # With an unknown login, another bot's comment may carry the marker (e.g.
                    # the token changed from GITHUB_TOKEN to an app's): try the next one.
                    if self._login is not None or classify(exc, "").kind != "forbidden":
                        raise
                    continue
                action = "updated"
            same_author = [
                c for c in candidates if c is not kept and c.user.login == kept.user.login
            ]
            for duplicate in same_author:
                duplicate.delete()
            return Upserted(action, kept.id, kept.html_url, len(same_author))
        created = self.pull.create_issue_comment(body)
        return Upserted("created", created.id, created.html_url)

    # --- inline review comments --------------------------------------------------------

    def commented_keys(self) -> set[str]:
        """The finding keys of our earlier inline comments on this pull request."""
        self.identity()
        return self._call("listing the review comments", self._keys)

    def _keys(self) -> set[str]:
        keys: set[str] = set()
        for comment in self.pull.get_review_comments():
            if self.is_ours(comment.user):
                keys |= keys_in(comment.body or "")
        return keys

    def create_review(self, sha: str, body: str, comments: Iterable[InlineComment]) -> str:
        """One COMMENT review carrying the inline comments; its URL ("" when none was left)."""
        items = [
            ReviewComment(path=c.path, line=c.line, side="RIGHT", body=c.body) for c in comments
        ]
        tries = 0

        def post() -> str:
            nonlocal tries
            tries += 1
            fresh = items
            if tries > 1:  # the failed try may have been taken: skip what is there now
                known = self._keys()
                fresh = [c for c in items if not keys_in(c["body"]) & known]
            if not fresh:
                return ""
            review = self.pull.create_review(
                commit=self.repo.get_commit(sha), body=body, event="COMMENT", comments=fresh
            )
            return str(review.html_url or "")

        return self._call("posting the inline review comments", post)

    # --- retries -----------------------------------------------------------------------

    def _call(self, doing: str, operation: Callable[[], T]) -> T:
        attempt = 0
        while True:
            try:
                return operation()
            except Exception as exc:
                problem = classify(exc, doing)
            wait = next_wait(problem, attempt, self.retrying)
            if wait is None:
                if problem.kind == "rate-limit" and attempt < self.retrying.retries:
                    problem.detail += (
                        f"; GitHub asks to wait {problem.wait_s:.0f} s, longer than "
                        f"{self.retrying.max_wait_s:.0f} s: not waiting"
                    )
                elif problem.retryable:
                    problem.detail += f" (after {attempt + 1} tries)"
                raise problem
            attempt += 1
            self.log(
                f"GitHub: {problem.message}; retry {attempt} of {self.retrying.retries} "
                f"in {wait:.1f} s."
            )
            self.retrying.sleep(wait)


def _preferred_first(comments: list[IssueComment]) -> list[IssueComment]:
    """The comments of the author who updated one last (most likely this token) first, oldest
    first: a race's duplicates are deleted and the comment keeps its place in the thread."""
    if not comments:
        return []
    latest = max(comments, key=lambda c: (c.updated_at, c.id)).user.login
    return sorted(comments, key=lambda c: (c.user.login != latest, c.created_at, c.id))
