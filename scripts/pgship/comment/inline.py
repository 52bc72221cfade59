"""Inline review comments: one per error finding on a line the pull request adds or changes.

GitHub accepts a review comment only on a line of the diff, so the lines come from each file's
`patch`. Each comment carries a hidden key (`<!-- pgship:finding KEY -->`) made of the file,
rule and message (not the line, which moves when lines are added above): a later run skips the
findings already commented.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from pgship import markdown as md
from pgship.comment.review_section import ICONS
from pgship.review.model import Finding

MAX_INLINE = 25  # per run; the sticky comment lists every finding anyway
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")
_KEY = re.compile(r"<!-- pgship:finding ([0-9a-f]{16}) -->")


def added_lines(patch: str) -> set[int]:
    """Line numbers (in the new file) of the lines a unified-diff patch adds."""
    added: set[int] = set()
    line = 0
    for text in patch.splitlines():
        hunk = _HUNK.match(text)
        if hunk:
            line = int(hunk.group(1))
        elif text.startswith("+"):
            added.add(line)
            line += 1
        elif text.startswith(" ") or text == "":
            line += 1
        # "-" lines are not in the new file; "\ No newline at end of file" is no line
    return added


def keys_in(body: str) -> set[str]:
    return set(_KEY.findall(body))


@dataclass(frozen=True)
class InlineComment:
    path: str  # relative to the repository root, as the pull request's files name it
    line: int
    key: str
    body: str


@dataclass
class InlinePlan:
    comments: list[InlineComment] = field(default_factory=list)
    already: int = 0  # commented by an earlier run
    outside: int = 0  # error findings on lines the pull request did not change
    over_limit: int = 0


def plan_inline(
    findings: Iterable[Finding],
    changed: Mapping[str, set[int]],
    known_keys: set[str],
    *,
    root: Path,
    comment_key: str | None = None,
    limit: int = MAX_INLINE,
) -> InlinePlan:
    """Which error findings get an inline comment now. `changed`: path -> added lines."""
    plan = InlinePlan()
    seen: Counter[tuple[str, str, str]] = Counter()
    for finding in findings:
        if finding.severity != "error":
            continue
        path = repo_path(finding.file, root)
        identity = (path or finding.file, finding.rule, finding.message)
        seen[identity] += 1
        if path is None or finding.line not in changed.get(path, set()):
            plan.outside += 1
            continue
        key = finding_key(*identity, seen[identity], comment_key)
        if key in known_keys:
            plan.already += 1
        elif len(plan.comments) >= limit:
            plan.over_limit += 1
        else:
            plan.comments.append(InlineComment(path, finding.line, key, inline_body(finding, key)))
    return plan


def repo_path(file: str, root: Path) -> str | None:
    """`file` (as the review shows it) relative to the repository root, or None outside it."""
    path = Path(file)
    if not path.is_absolute():
        path = Path.cwd() / path
    try:
        relative = Path(os.path.normpath(path)).relative_to(os.path.normpath(root))
    except ValueError:
        try:  # symlinks (e.g. /tmp -> /private/tmp)
            relative = path.resolve().relative_to(root.resolve())
        except ValueError:
            return None
    return PurePath(relative).as_posix()


def finding_key(
    path: str, rule: str, message: str, occurrence: int, comment_key: str | None
) -> str:
    text = "\0".join([comment_key or "", path, rule, message, str(occurrence)])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def inline_body(finding: Finding, key: str) -> str:
    lock = f" (lock: {md.text(finding.lock)})" if finding.lock else ""
    lines = [
        f"{ICONS[finding.severity]} **{md.code_span(finding.rule)}**: "
        f"{md.message(finding.message)}{lock}",
        "",
    ]
    if finding.alternative:
        lines += [
            "<details><summary>Safe alternative</summary>",
            "",
            md.code_block(finding.alternative, "sql"),
            "",
            "</details>",
            "",
        ]
    explain = md.code_span(f"pgship rules {finding.rule}")
    silence = md.code_span(f"-- pgship:ignore {finding.rule} <reason>")
    lines += [
        f"<sub>pgship review · {explain} explains the rule · silence it with {silence} on the "
        "line before the statement</sub>",
        f"<!-- pgship:finding {key} -->",
    ]
    return "\n".join(lines)


def review_body(plan: InlinePlan, marker: str) -> str:
    """The body of the review that carries the inline comments."""
    count = len(plan.comments)
    text = (
        f"pgship review: {count} error finding{'s' if count != 1 else ''} on lines this pull "
        "request changes (the pgship comment has every finding and the round trip)."
    )
    if plan.over_limit:
        text += f" {plan.over_limit} more are only in that comment."
    return f"{text}\n{marker.replace('pgship:review', 'pgship:inline', 1)}"
