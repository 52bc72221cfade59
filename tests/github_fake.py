"""A stand-in for the GitHub REST API on 127.0.0.1, for the real PyGithub client.

It serves, under a GitHub Enterprise-style prefix (`/api/v3`), what `pgship comment` uses:
GET /user, GET a pull request and its files (with `patch` hunks), issue comments (paginated
with Link headers, created, edited, deleted), review comments (paginated) and creating a
review (its comments must be on lines of the diff, as on GitHub, else 422). It records every
request; tests can queue error answers (5xx, rate limits), make the token read-only (403 on
writes, like a fork's GITHUB_TOKEN), or make a write succeed and still answer 502.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PREFIX = "/api/v3"
ACTIONS_BOT = {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}
FORBIDDEN = {
    "message": "Resource not accessible by integration",
    "documentation_url": "https://docs.github.com/rest/issues/comments#create-an-issue-comment",
    "status": "403",
}
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")


@dataclass
class Request:
    method: str
    path: str  # without PREFIX and query
    query: dict[str, str]
    body: Any
    headers: dict[str, str]


@dataclass
class Fault:
    method: str
    path: str  # a regular expression matched against the path (search)
    status: int
    headers: dict[str, str]
    body: Any
    times: int
    take: bool = False  # do what was asked, then answer with the error anyway


def user(login: str, kind: str = "User") -> dict[str, Any]:
    return {"login": login, "id": abs(hash(login)) % 10**8, "type": kind}


def diff_lines(patch: str) -> set[int]:
    """Lines of the new file that a patch shows (added or context): where GitHub allows a
    review comment on the RIGHT side."""
    lines: set[int] = set()
    line = 0
    for text in patch.splitlines():
        hunk = _HUNK.match(text)
        if hunk:
            line = int(hunk.group(1))
        elif text.startswith(("+", " ")):
            lines.add(line)
            line += 1
    return lines


@dataclass
class FakeGitHub:
    repository: str = "acme/shop"
    number: int = 7
    head_sha: str = "c0ffee0000000000000000000000000000000001"
    head_repository: str | None = None  # a fork's owner/name; None: the same repository
    token_login: str | None = None  # GET /user answers this login; None: 403 (GITHUB_TOKEN)
    app_bot: dict[str, Any] | None = None  # with token_login None: an app's bot, not Actions'
    read_only: bool = False
    files: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)
    review_comments: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_id: int = 1000

    # --- what tests set up and look at ---------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PREFIX}"

    @property
    def author(self) -> dict[str, Any]:
        """Who the token writes as."""
        if self.token_login:
            return user(self.token_login)
        return dict(self.app_bot or ACTIONS_BOT)

    def add_file(self, filename: str, patch: str | None, status: str = "modified") -> None:
        item: dict[str, Any] = {"filename": filename, "status": status, "sha": "f" * 40}
        if patch is not None:
            item["patch"] = patch
        self.files.append(item)

    def add_comment(self, body: str, author: dict[str, Any]) -> dict[str, Any]:
        comment = self._comment(body, author)
        self.comments.append(comment)
        return comment

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: Any = None,
        take: bool = False,
    ) -> None:
        answer = body if body is not None else {"message": f"fake error {status}"}
        self.faults.append(Fault(method, path, status, headers or {}, answer, times, take))

    def calls(self, method: str, path: str = "") -> list[Request]:
        """Recorded requests of `method` whose path matches the regular expression `path`."""
        return [r for r in self.requests if r.method == method and re.search(path, r.path)]

    def writes(self) -> list[Request]:
        return [r for r in self.requests if r.method in ("POST", "PATCH", "DELETE")]

    def ours(self) -> list[dict[str, Any]]:
        return [c for c in self.comments if c["user"]["login"] == self.author["login"]]

    # --- the API -------------------------------------------------------------------------

    def answer(
        self, method: str, path: str, query: dict[str, str], body: Any, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], Any]:
        with self.lock:
            self.requests.append(Request(method, path, query, body, headers))
            fault = next(
                (f for f in self.faults if f.method == method and re.search(f.path, path)), None
            )
            if fault is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                if fault.take:
                    self._route(method, path, query, body)
                return fault.status, fault.headers, fault.body
            if self.read_only and method in ("POST", "PATCH", "DELETE"):
                return 403, {}, FORBIDDEN
            return self._route(method, path, query, body)

    def _route(
        self, method: str, path: str, query: dict[str, str], body: Any
    ) -> tuple[int, dict[str, str], Any]:
        repo = f"/repos/{self.repository}"
        pull = f"{repo}/pulls/{self.number}"
        issue = f"{repo}/issues/{self.number}"
        routes: dict[tuple[str, str], Any] = {
            ("GET", "/user"): self._user,
            ("GET", pull): lambda: (200, {}, self._pull()),
            ("GET", f"{pull}/files"): lambda: self._page(path, query, self.files),
            ("GET", f"{issue}/comments"): lambda: self._page(path, query, self.comments),
            ("POST", f"{issue}/comments"): lambda: self._create_comment(body),
            ("GET", f"{pull}/comments"): lambda: self._page(path, query, self.review_comments),
            ("POST", f"{pull}/reviews"): lambda: self._create_review(body),
        }
        if (method, path) in routes:
            result: tuple[int, dict[str, str], Any] = routes[(method, path)]()
            return result
        found = re.fullmatch(rf"{re.escape(repo)}/issues/comments/(\d+)", path)
        if found and method in ("PATCH", "DELETE"):
            return self._change_comment(method, int(found.group(1)), body)
        found = re.fullmatch(rf"{re.escape(repo)}/commits/([0-9a-f]+)", path)
        if found and method == "GET":
            return 200, {}, {"sha": found.group(1), "url": self.api_url + path}
        return 404, {}, {"message": "Not Found", "path": path}

    def _user(self) -> tuple[int, dict[str, str], Any]:
        if self.token_login is None:
            return 403, {}, FORBIDDEN
        return 200, {}, self.author

    def _pull(self) -> dict[str, Any]:
        base = self.api_url
        return {
            "number": self.number,
            "state": "open",
            "url": f"{base}/repos/{self.repository}/pulls/{self.number}",
            "issue_url": f"{base}/repos/{self.repository}/issues/{self.number}",
            "html_url": f"https://github.com/{self.repository}/pull/{self.number}",
            "head": {
                "sha": self.head_sha,
                "ref": "feature",
                "repo": {"full_name": self.head_repository or self.repository},
            },
            "base": {"sha": "b" * 40, "ref": "main", "repo": {"full_name": self.repository}},
        }

    def _page(
        self, path: str, query: dict[str, str], items: list[dict[str, Any]]
    ) -> tuple[int, dict[str, str], Any]:
        per_page = min(int(query.get("per_page", "30")), 100)
        page = int(query.get("page", "1"))
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        links = []
        url = f"{self.api_url}{path}?per_page={per_page}&page="
        if page < last:
            links.append(f'<{url}{page + 1}>; rel="next"')
            links.append(f'<{url}{last}>; rel="last"')
        if page > 1:
            links.append(f'<{url}1>; rel="first"')
            links.append(f'<{url}{page - 1}>; rel="prev"')
        return 200, ({"Link": ", ".join(links)} if links else {}), chunk

    def _comment(self, body: str, author: dict[str, Any]) -> dict[str, Any]:
        self.next_id += 1
        number = self.next_id
        return {
            "id": number,
            "node_id": f"IC_{number}",
            "body": body,
            "user": author,
            "created_at": f"2026-01-01T00:{number // 60 % 60:02d}:{number % 60:02d}Z",
            "updated_at": f"2026-01-01T00:{number // 60 % 60:02d}:{number % 60:02d}Z",
            "url": f"{self.api_url}/repos/{self.repository}/issues/comments/{number}",
            "html_url": f"https://github.com/{self.repository}/pull/{self.number}#issuecomment-{number}",
            "issue_url": f"{self.api_url}/repos/{self.repository}/issues/{self.number}",
        }

    def _create_comment(self, body: Any) -> tuple[int, dict[str, str], Any]:
        if not isinstance(body, dict) or not isinstance(body.get("body"), str):
            return 422, {}, {"message": "Validation Failed"}
        if len(body["body"]) > 65536:
            return 422, {}, {"message": "Body is too long (maximum is 65536 characters)"}
        comment = self._comment(body["body"], self.author)
        self.comments.append(comment)
        return 201, {}, comment

    def _change_comment(
        self, method: str, number: int, body: Any
    ) -> tuple[int, dict[str, str], Any]:
        comment = next((c for c in self.comments if c["id"] == number), None)
        if comment is None:
            return 404, {}, {"message": "Not Found"}
        if comment["user"]["login"] != self.author["login"]:
            return 403, {}, {"message": "You cannot edit someone else's comment"}
        if method == "DELETE":
            self.comments.remove(comment)
            return 204, {}, None
        comment["body"] = body["body"]
        comment["updated_at"] = "2026-01-02T00:00:00Z"
        return 200, {}, comment

    def _create_review(self, body: Any) -> tuple[int, dict[str, str], Any]:
        shown = {f["filename"]: diff_lines(f.get("patch") or "") for f in self.files}
        for item in body.get("comments") or []:
            if item.get("line") not in shown.get(item.get("path"), set()):
                return (
                    422,
                    {},
                    {
                        "message": "Unprocessable Entity",
                        "errors": ["Pull request review thread line must be part of the diff"],
                    },
                )
        self.next_id += 1
        review = {
            "id": self.next_id,
            "body": body.get("body"),
            "state": "COMMENTED",
            "commit_id": body.get("commit_id"),
            "user": self.author,
            "html_url": f"https://github.com/{self.repository}/pull/{self.number}#pullrequestreview-{self.next_id}",
        }
        self.reviews.append(review)
        for item in body.get("comments") or []:
            self.next_id += 1
            self.review_comments.append(
                {
                    "id": self.next_id,
                    "pull_request_review_id": review["id"],
                    "path": item["path"],
                    "line": item["line"],
                    "side": item.get("side", "RIGHT"),
                    "body": item["body"],
                    "user": self.author,
                    "commit_id": body.get("commit_id"),
                }
            )
        return 200, {}, review


@contextmanager
def serve(fake: FakeGitHub) -> Iterator[FakeGitHub]:
    """Run `fake` on 127.0.0.1 (a free port) in a thread while the block runs."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            path = parts.path
            if path.startswith(PREFIX):
                path = path[len(PREFIX) :]
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            body = json.loads(raw) if raw else None
            status, headers, answer = fake.answer(
                self.command, path, query, body, dict(self.headers)
            )
            payload = b"" if answer is None else json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_DELETE = _handle

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
