"""Markdown for a pull-request comment: a summary table, then each finding's safe alternative.

The body starts with a hidden marker so that the comment can be found and updated in place.
Over GitHub's 65,536-character limit it shrinks to counts per file and rule.
"""

from __future__ import annotations

from collections import Counter
from itertools import groupby

from pgship.review.engine import Report
from pgship.review.formats import summary_line
from pgship.review.model import Finding

MARKER = "<!-- pgship-review -->"
LIMIT = 65_000
_ICONS = {"error": "🛑", "warning": "⚠️", "info": "ℹ️"}


def render(report: Report) -> str:
    body = _full(report)
    return body if len(body) <= LIMIT else _short(report)


def _header(report: Report) -> list[str]:
    worst = next((s for s in ("error", "warning", "info") if report.count(s)), None)
    title = "no findings" if worst is None else summary_line(report).split(": ", 1)[1]
    icon = "✅" if worst is None else _ICONS[worst]
    return [
        MARKER,
        f"## {icon} pgship review: {title}",
        "",
        f"{summary_line(report)}.",
        "",
    ]


def _full(report: Report) -> str:
    lines = _header(report)
    for file, group in groupby(report.findings, key=lambda f: f.file):
        findings = list(group)
        lines += [f"### `{file}`", "", "| Line | Severity | Rule | Finding |", "|---|---|---|---|"]
        lines += [_row(finding) for finding in findings]
        lines.append("")
        with_fix = [f for f in findings if f.alternative]
        if with_fix:
            lines += ["<details><summary>Safe alternatives</summary>", ""]
            for finding in with_fix:
                lines += [
                    f"**Line {finding.line}: `{finding.rule}`**",
                    "",
                    "```sql",
                    finding.alternative,
                    "```",
                    "",
                ]
            lines += ["</details>", ""]
    lines.append("Run `pgship rules <rule-id>` for the why and the safe way of each rule.")
    return "\n".join(lines)


def _row(finding: Finding) -> str:
    lock = f" (lock: {finding.lock})" if finding.lock else ""
    message = _cell(finding.message + lock)
    severity = f"{_ICONS[finding.severity]} {finding.severity}"
    return f"| {finding.line}:{finding.column} | {severity} | `{finding.rule}` | {message} |"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _short(report: Report) -> str:
    lines = _header(report)
    lines += [
        "The full report is too long for a comment; counts per file and rule:",
        "",
        "| File | Rule | Findings |",
        "|---|---|---|",
    ]
    counts = Counter((finding.file, finding.rule) for finding in report.findings)
    for (file, rule), count in sorted(counts.items()):
        lines.append(f"| `{file}` | `{rule}` | {count} |")
    lines += ["", "Run `pgship review` locally (or see the job log) for every finding."]
    body = "\n".join(lines)
    return body if len(body) <= LIMIT else "\n".join(_header(report))
