"""The GitHub plumbing every command uses (pgship.outputs), the retry policy for the GitHub API,
and finding the pull request from the workflow's environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from github.GithubException import GithubException

from pgship import outputs
from pgship.comment.target import NoTarget, Target, find_target, pull_request_of_event
from pgship.errors import UsageError
from pgship.integrations.github_errors import (
    SECONDARY_RATE_WAIT_S,
    Retrying,
    classify,
    next_wait,
    rate_limit_wait,
)
from pgship_testing import REPO

# --- workflow commands, outputs, summary -----------------------------------------------------


def test_workflow_commands_escape_data_and_properties() -> None:
    line = outputs.annotation_command(
        "error", "50% done\nnext: line", title="a: b, c", file="m/1,2.sql", line=3, col=1
    )

    assert (
        line == "::error file=m/1%2C2.sql,line=3,col=1,title=a%3A b%2C c::50%25 done%0Anext: line"
    )
    assert outputs.workflow_command("endgroup") == "::endgroup::"
    with pytest.raises(ValueError):
        outputs.annotation_command("fatal", "x")


def test_masks_cover_each_line_of_a_multi_line_secret() -> None:
    assert outputs.mask_commands("s3cr%t") == ["::add-mask::s3cr%25t"]
    assert outputs.mask_commands("line one\nline two") == [
        "::add-mask::line one%0Aline two",
        "::add-mask::line one",
        "::add-mask::line two",
    ]
    assert outputs.mask_commands("  ") == []


def test_nothing_is_printed_outside_github_actions(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)

    outputs.add_mask("secret")
    assert not outputs.annotate("warning", "w")
    with outputs.group("Applying 004"), outputs.commands_stopped():
        print("inside")

    assert capsys.readouterr().out == "inside\n"


def test_groups_masks_and_stopped_commands_in_github_actions(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")

    outputs.add_mask("pw")
    assert outputs.annotate("notice", "n", title="pgship")
    with outputs.group("Applying 004_x"):
        print("log line")
    with outputs.commands_stopped():
        print("::error::from a migration file")

    lines = capsys.readouterr().out.splitlines()
    assert lines[:5] == [
        "::add-mask::pw",
        "::notice title=pgship::n",
        "::group::Applying 004_x",
        "log line",
        "::endgroup::",
    ]
    start, text, end = lines[5:]
    token = start.removeprefix("::stop-commands::")
    assert token.startswith("pgship-") and len(token) > 20
    assert text == "::error::from a migration file"
    assert end == f"::{token}::"


def test_outputs_and_summary_files(tmp_path: Path) -> None:
    output, summary = tmp_path / "out", tmp_path / "summary.md"
    env = {"GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary)}

    assert outputs.set_outputs({"findings": "2", "max-severity": "error"}, env=env)
    assert outputs.set_outputs({"applied": "001_a\n002_b"}, env=env)
    assert outputs.append_step_summary("## one", env=env)
    assert outputs.append_step_summary("two\n", env=env)

    assert outputs.read_outputs(str(output)) == {
        "findings": "2",
        "max-severity": "error",
        "applied": "001_a\n002_b",
    }
    assert summary.read_text(encoding="utf-8") == "## one\ntwo\n"
    assert not outputs.set_outputs({"a": "b"}, env={})
    assert not outputs.append_step_summary("x", env={})


# --- the retry policy ------------------------------------------------------------------------


def problem_of(status: int, headers: dict[str, str] | None = None, message: str = "") -> object:
    return classify(GithubException(status, {"message": message}, headers or {}), "doing", now=1000)


def test_what_is_retried() -> None:
    forbidden = classify(
        GithubException(403, {"message": "Resource not accessible by integration"}, {}), "posting"
    )
    assert (forbidden.kind, forbidden.read_only, forbidden.retryable) == ("forbidden", True, False)
    assert forbidden.message == "posting: HTTP 403: Resource not accessible by integration"

    limited = classify(GithubException(403, {"message": "x"}, {"Retry-After": "7"}), "d", now=0)
    assert (limited.kind, limited.wait_s) == ("rate-limit", 7.0)
    primary = classify(
        GithubException(
            403,
            {"message": "API rate limit exceeded"},
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1030"},
        ),
        "d",
        now=1000,
    )
    assert (primary.kind, primary.wait_s) == ("rate-limit", 31.0)
    secondary = classify(GithubException(403, {"message": "secondary rate limit"}, {}), "d")
    assert (secondary.kind, secondary.wait_s) == ("rate-limit", SECONDARY_RATE_WAIT_S)
    assert classify(GithubException(429, None, {}), "d").kind == "rate-limit"
    assert classify(GithubException(502, "<html>bad gateway</html>", {}), "d").kind == "server"
    assert classify(GithubException(401, {"message": "Bad credentials"}, {}), "d").kind == "auth"
    assert classify(GithubException(404, {"message": "Not Found"}, {}), "d").kind == "not-found"
    invalid = classify(
        GithubException(422, {"message": "Validation Failed", "errors": [{"message": "x"}]}, {}),
        "d",
    )
    assert (invalid.kind, invalid.detail) == ("invalid", "HTTP 422: Validation Failed (x)")
    assert classify(requests.ConnectionError("refused"), "d").kind == "network"
    with pytest.raises(KeyError):
        classify(KeyError("a bug, not GitHub"), "d")


def test_how_long_to_wait() -> None:
    retrying = Retrying(retries=3, backoff_s=1.0, max_wait_s=60)
    server = classify(GithubException(503, None, {}), "d")

    waits = [next_wait(server, attempt, retrying) for attempt in range(4)]

    assert waits[3] is None  # three retries, then stop
    for attempt, wait in enumerate(waits[:3]):
        assert wait is not None and 2**attempt <= wait <= 2**attempt * 1.25
    limited = classify(GithubException(429, None, {"Retry-After": "30"}), "d")
    assert next_wait(limited, 0, retrying) == 30
    too_long = classify(GithubException(429, None, {"Retry-After": "61"}), "d")
    assert next_wait(too_long, 0, retrying) is None
    refused = classify(GithubException(403, {"message": "no"}, {}), "d")
    assert next_wait(refused, 0, retrying) is None
    assert rate_limit_wait({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "5"}, now=10) == 0


# --- which pull request ----------------------------------------------------------------------


def event(tmp_path: Path, payload: object) -> str:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    return str(path)


def test_the_pull_request_of_each_kind_of_event(tmp_path: Path) -> None:
    pull = {"pull_request": {"number": 5, "head": {"sha": "abc"}}}
    assert pull_request_of_event(event(tmp_path, pull)) == (5, "abc")
    issue = {"issue": {"number": 6, "pull_request": {"url": "u"}}}
    assert pull_request_of_event(event(tmp_path, issue)) == (6, None)
    plain_issue = {"issue": {"number": 6}}
    assert pull_request_of_event(event(tmp_path, plain_issue)) is None
    run = {"workflow_run": {"head_sha": "def", "pull_requests": [{"number": 8}]}}
    assert pull_request_of_event(event(tmp_path, run)) == (8, "def")
    assert pull_request_of_event(event(tmp_path, {"ref": "refs/heads/main"})) is None
    assert pull_request_of_event(event(tmp_path, [1])) is None
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    assert pull_request_of_event(str(tmp_path / "broken.json")) is None
    assert pull_request_of_event(None) is None


def test_find_target(tmp_path: Path) -> None:
    env = {
        "GITHUB_TOKEN": "t",
        "GITHUB_REPOSITORY": "acme/shop",
        "GITHUB_EVENT_PATH": event(
            tmp_path, {"pull_request": {"number": 5, "head": {"sha": "a1"}}}
        ),
        "GITHUB_SHA": "merge",
        "GITHUB_SERVER_URL": "https://ghe.example.com",
        "GITHUB_API_URL": "https://ghe.example.com/api/v3/",
        "GITHUB_RUN_ID": "9",
    }

    target = find_target(env)
    assert isinstance(target, Target)
    assert (target.number, target.head_sha, target.api_url) == (
        5,
        "a1",
        "https://ghe.example.com/api/v3",
    )
    assert target.run_url == "https://ghe.example.com/acme/shop/actions/runs/9"
    assert target.provenance(None).commit_url == "https://ghe.example.com/acme/shop/commit/a1"

    other = find_target(env, pr=9, api_url="http://127.0.0.1:1")
    assert isinstance(other, Target)
    assert (other.number, other.head_sha, other.api_url) == (9, None, "http://127.0.0.1:1")

    push = find_target({**env, "GITHUB_EVENT_PATH": "", "GITHUB_EVENT_NAME": "push"})
    assert isinstance(push, NoTarget) and push.reason.startswith("push is not a pull request")
    assert push.provenance.sha == "merge"  # the pushed commit
    no_token = find_target({**env, "GITHUB_TOKEN": " "})
    assert isinstance(no_token, NoTarget) and "GITHUB_TOKEN is not set" in no_token.reason
    with pytest.raises(UsageError):
        find_target({**env, "GITHUB_REPOSITORY": ""})
    with pytest.raises(UsageError):
        find_target({**env, "GITHUB_REPOSITORY": "not a repo"})


# --- imports ---------------------------------------------------------------------------------

PROBE = """
import sys
sys.argv = ["pgship", *sys.argv[1:]]
from pgship.cli import main
try:
    main()
except SystemExit:
    pass
print("IMPORTED", sorted(m for m in sys.modules if m == "github" or m.startswith("github.")))
"""


@pytest.mark.parametrize("args", [["comment", "--help"], ["review", "--help"]])
def test_help_does_not_import_pygithub(args: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO / "scripts")},
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert "Example" in done.stdout
    assert done.stdout.rstrip().endswith("IMPORTED []")
