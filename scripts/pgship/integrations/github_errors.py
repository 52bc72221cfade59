"""What went wrong talking to GitHub, and whether (and how long) to wait before trying again.

Retried: rate limits (429, or 403 with `retry-after` / `x-ratelimit-remaining: 0` / a "rate
limit" message: wait what GitHub asks, at most `max_wait_s`), server errors (5xx) and network
errors (exponential backoff with jitter). Not retried: a token that may not write (403), an
unknown pull request (404), a refused token (401), a rejected request (422).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import requests
from github.GithubException import GithubException

SECONDARY_RATE_WAIT_S = 60.0  # GitHub: without retry-after, wait at least a minute


@dataclass(frozen=True)
class Retrying:
    """How many times to retry and how long to wait. Tests shrink `backoff_s`."""

    retries: int = 3
    backoff_s: float = 1.0
    max_wait_s: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)


class GitHubProblem(Exception):
    """A failed GitHub request, as users need to hear about it."""

    @property
    def message(self) -> str:
        return f"{self.doing}: {self.detail}" if self.doing else self.detail

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        status: int | None = None,
        wait_s: float | None = None,
        doing: str = "",
    ) -> None:
        super().__init__(message)
        self.kind = kind  # rate-limit | server | network | forbidden | not-found | auth | invalid
        self.detail = message  # e.g. "HTTP 403: Resource not accessible by integration"
        self.doing = doing  # e.g. "posting the pgship comment"
        self.status = status
        self.wait_s = wait_s  # what GitHub asked us to wait, for rate limits

    @property
    def retryable(self) -> bool:
        return self.kind in ("rate-limit", "server", "network")

    @property
    def read_only(self) -> bool:
        """The token may read but not write (a fork's pull request, `permissions:` too tight)."""
        return self.kind == "forbidden"


def classify(exc: Exception, doing: str, *, now: float | None = None) -> GitHubProblem:
    """Turn a PyGithub / requests exception into a GitHubProblem; re-raise anything else."""
    if isinstance(exc, GitHubProblem):
        return exc
    if isinstance(exc, (requests.ConnectionError, requests.Timeout)):
        detail = f"cannot reach GitHub ({type(exc).__name__})"
        return GitHubProblem("network", detail, doing=doing)
    if not isinstance(exc, GithubException):
        raise exc
    status = exc.status
    headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
    said = _message(exc)
    detail = f"HTTP {status}{': ' + said if said else ''}"
    if status == 429 or (status == 403 and _rate_limited(headers, said)):
        wait = rate_limit_wait(headers, now=time.time() if now is None else now)
        return GitHubProblem(
            "rate-limit", f"{detail} (rate limited)", status=status, wait_s=wait, doing=doing
        )
    if status >= 500:
        return GitHubProblem("server", detail, status=status, doing=doing)
    kinds = {401: "auth", 403: "forbidden", 404: "not-found"}
    return GitHubProblem(kinds.get(status, "invalid"), detail, status=status, doing=doing)


def rate_limit_wait(headers: Mapping[str, str], *, now: float) -> float:
    """Seconds GitHub asks to wait: retry-after, else until x-ratelimit-reset, else a minute."""
    try:
        if "retry-after" in headers:
            return max(0.0, float(headers["retry-after"]))
        if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
            return max(0.0, float(headers["x-ratelimit-reset"]) - now + 1)
    except ValueError:
        pass
    return SECONDARY_RATE_WAIT_S


def next_wait(problem: GitHubProblem, attempt: int, retrying: Retrying) -> float | None:
    """Seconds to wait before try number `attempt + 1` (attempt counts from 0), or None: stop."""
    if not problem.retryable or attempt >= retrying.retries:
        return None
    if problem.kind == "rate-limit":
        wait = SECONDARY_RATE_WAIT_S if problem.wait_s is None else problem.wait_s
        return wait if wait <= retrying.max_wait_s else None
    backoff = retrying.backoff_s * 2.0**attempt * (1 + random.random() / 4)
    return min(backoff, retrying.max_wait_s)


def _rate_limited(headers: Mapping[str, str], said: str) -> bool:
    return (
        "retry-after" in headers
        or headers.get("x-ratelimit-remaining") == "0"
        or "rate limit" in said.lower()
    )


def _message(exc: GithubException) -> str:
    data = exc.data
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        text = str(data["message"])
        errors = data.get("errors")
        if isinstance(errors, list) and errors:
            details = [
                e.get("message") or str(e) if isinstance(e, dict) else str(e) for e in errors
            ]
            text += f" ({'; '.join(map(str, details))})"
        return text[:300]
    return str(data)[:300] if data else ""
