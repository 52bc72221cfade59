"""Where the report goes: the pull request of the workflow's event (or --pr), and the token."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pgship.errors import UsageError
from pgship.runcontext import RunContext

DEFAULT_API_URL = "https://api.github.com"
_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class Provenance:
    """What the comment's footer names: the commit it describes and the run that made it."""

    sha: str | None = None
    commit_url: str | None = None
    run_url: str | None = None


@dataclass(frozen=True)
class Target:
    """A pull request to comment on. `head_sha` is the commit this run checked out, when known."""

    repository: str
    number: int
    token: str
    api_url: str
    head_sha: str | None = None
    server_url: str = "https://github.com"
    run_url: str | None = None

    def provenance(self, sha: str | None) -> Provenance:
        sha = sha or self.head_sha
        commit_url = f"{self.server_url}/{self.repository}/commit/{sha}" if sha else None
        return Provenance(sha, commit_url, self.run_url)


@dataclass(frozen=True)
class NoTarget:
    """Why there is nothing to comment on (a notice, not an error)."""

    reason: str
    provenance: Provenance


def find_target(
    env: Mapping[str, str], *, pr: int | None = None, api_url: str | None = None
) -> Target | NoTarget:
    """The pull request and credentials from GITHUB_* variables; `pr` overrides the event's."""
    server = (env.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
    repository = env.get("GITHUB_REPOSITORY") or ""
    run_url = RunContext.from_environment(env=dict(env)).run_url
    event = pull_request_of_event(env.get("GITHUB_EVENT_PATH"))
    number = pr if pr is not None else (event[0] if event else None)
    head_sha = event[1] if event and event[0] == number else None
    # Without a pull request, the footer names the pushed commit; with --pr, the PR's head later.
    sha = head_sha or ((env.get("GITHUB_SHA") or None) if number is None else None)
    commit_url = f"{server}/{repository}/commit/{sha}" if sha and repository else None
    provenance = Provenance(sha, commit_url, run_url)
    if repository and not _REPOSITORY.match(repository):
        raise UsageError(f"GITHUB_REPOSITORY must be owner/name, not {repository!r}.")
    if number is None:
        event_name = env.get("GITHUB_EVENT_NAME") or "this run"
        return NoTarget(
            f"{event_name} is not a pull request event: no pull request to comment on "
            "(pass --pr N to name one).",
            provenance,
        )
    token = env.get("GITHUB_TOKEN") or ""
    if not token.strip():
        return NoTarget(
            f"GITHUB_TOKEN is not set: cannot comment on pull request #{number} "
            "(pass the token in the step's env, e.g. `GITHUB_TOKEN: ${{ github.token }}`, "
            "with `permissions: pull-requests: write`).",
            provenance,
        )
    if not repository:
        raise UsageError(
            "GITHUB_REPOSITORY is not set: pgship cannot tell which repository to comment on.",
            hint="Set GITHUB_REPOSITORY=owner/name (GitHub Actions sets it).",
        )
    return Target(
        repository=repository,
        number=number,
        token=token.strip(),
        api_url=(api_url or env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/"),
        head_sha=head_sha,
        server_url=server,
        run_url=run_url,
    )


def pull_request_of_event(event_path: str | None) -> tuple[int, str | None] | None:
    """(number, head SHA) of the event's pull request, or None (push, schedule, no payload).

    Knows pull_request / pull_request_target / pull_request_review payloads, issue_comment on a
    pull request, and workflow_run (its first pull request, when GitHub names one).
    """
    if not event_path:
        return None
    try:
        with open(event_path, encoding="utf-8") as handle:
            payload: Any = json.load(handle)
    except (OSError, ValueError):
        return None
    if not isinstance(payload, dict):
        return None
    pull = payload.get("pull_request")
    if isinstance(pull, dict) and isinstance(pull.get("number"), int):
        head = pull.get("head")
        sha = head.get("sha") if isinstance(head, dict) else None
        return pull["number"], sha if isinstance(sha, str) else None
    issue = payload.get("issue")
    if (
        isinstance(issue, dict)
        and issue.get("pull_request")
        and isinstance(issue.get("number"), int)
    ):
        return issue["number"], None
    run = payload.get("workflow_run")
    if isinstance(run, dict):
        pulls = run.get("pull_requests")
        if isinstance(pulls, list) and pulls and isinstance(pulls[0], dict):
            number = pulls[0].get("number")
            sha = run.get("head_sha")
            if isinstance(number, int):
                return number, sha if isinstance(sha, str) else None
    return None
