"""The review in the sticky comment: a table per file, each finding's safe alternative folded."""

from __future__ import annotations

from collections import Counter
from itertools import groupby

from pgship import markdown as md
from pgship.review.engine import Report
from pgship.review.formats import summary_line
from pgship.review.model import SEVERITIES, Finding

ICONS = {"error": "🛑", "warning": "⚠️", "info": "ℹ️"}
RULES_HINT = "Run `pgship rules <rule-id>` for the why and the safe way of each rule."


def worst(report: Report) -> str | None:
    """The most serious severity found, or None."""
    return next((s for s in SEVERITIES if report.count(s)), None)


def verdict(report: Report) -> str:
    """E.g. "no findings" or "1 error, 2 warnings, 0 info"."""
    return "no findings" if worst(report) is None else summary_line(report).split(": ", 1)[1]


def findings(report: Report) -> list[str]:
    """Per file: a table of findings, then each safe alternative in a collapsible block."""
    lines: list[str] = []
    for file, group in groupby(report.findings, key=lambda f: f.file):
        found = list(group)
        lines += [f"### {md.code_span(file)}", ""]
        lines += ["| Line | Severity | Rule | Finding |", "|---|---|---|---|"]
        lines += [_row(finding) for finding in found]
        lines.append("")
        for finding in found:
            if finding.alternative:
                lines += _alternative(finding)
    if report.findings:
        lines += [RULES_HINT, ""]
    return lines


def counts(report: Report) -> list[str]:
    """The short form: how many findings per file and rule."""
    if not report.findings:
        return []
    lines = ["| File | Rule | Findings |", "|---|---|---|"]
    tally = Counter((finding.file, finding.rule) for finding in report.findings)
    for (file, rule), count in sorted(tally.items()):
        lines.append(
            f"| {md.code_span(file, in_table=True)} | {md.code_span(rule, in_table=True)} "
            f"| {count} |"
        )
    return [*lines, ""]


def _row(finding: Finding) -> str:
    text = md.message(finding.message, in_table=True)
    if finding.lock:
        text += f" (lock: {md.text(finding.lock)})"
    severity = f"{ICONS[finding.severity]} {finding.severity}"
    rule = md.code_span(finding.rule, in_table=True)
    return f"| {finding.line}:{finding.column} | {severity} | {rule} | {text} |"


def _alternative(finding: Finding) -> list[str]:
    summary = f"Line {finding.line}: <code>{md.html_text(finding.rule)}</code>, safe alternative"
    return [
        f"<details><summary>{summary}</summary>",
        "",
        md.code_block(finding.alternative, "sql"),
        "",
        "</details>",
        "",
    ]
