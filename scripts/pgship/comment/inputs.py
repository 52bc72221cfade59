"""The reports `pgship comment` reads: `pgship review --format json` and `pgship test --report`.

A missing or empty file is a note in the comment, not an error: in a workflow it means the step
that writes it stopped early, and the comment must still show what the other one found. A file
that is there but is not such a report is bad input (exit 2).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pgship.errors import UsageError
from pgship.review.engine import Report

if TYPE_CHECKING:
    from pgship.roundtrip import TestReport


def load_review_report(path: str) -> Report | str:
    """The review in `path`, or a note saying why there is none."""
    from pgship.review.formats.json_format import parse

    data = _load(path, "review")
    if isinstance(data, str):
        return data
    try:
        return parse(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _not_a_report(path, "pgship review --format json", exc) from None


def load_test_report(path: str) -> TestReport | str:
    """The round trip in `path`, or a note saying why there is none."""
    from pgship.roundtrip import TestReport

    data = _load(path, "test")
    if isinstance(data, str):
        return data
    try:
        return TestReport.from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _not_a_report(path, "pgship test --report", exc) from None


def _load(path: str, verb: str) -> dict[str, Any] | str:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return (
            f"No `pgship {verb}` report: {path} does not exist (did the {verb} step stop early?)."
        )
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"Cannot read {path}: {exc}.") from None
    if not text.strip():
        return f"No `pgship {verb}` report: {path} is empty (did the {verb} step stop early?)."
    # Workflow commands (::add-mask::) may come before the JSON when stdout was redirected.
    start = text.find("{")
    try:
        data, _ = json.JSONDecoder().raw_decode(text, max(start, 0))
    except ValueError as exc:
        raise UsageError(f"{path} is not JSON ({exc}).") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path} does not hold a JSON object.")
    return data


def _not_a_report(path: str, writer: str, exc: Exception) -> UsageError:
    return UsageError(
        f"{path} is not a report of `{writer}` ({type(exc).__name__}: {exc}).",
        hint=f"Pass the file `{writer}` wrote.",
    )
