"""Plain text grouped by file, for a terminal (colored there) or a log."""

from __future__ import annotations

import os
from itertools import groupby

import click

from pgship.review.engine import Report
from pgship.review.formats import summary_line

_COLORS = {"error": "red", "warning": "yellow", "info": "blue"}


def render(report: Report, color: bool = False) -> str:
    """The report as text; `color` adds ANSI styles (click strips them when not on a tty)."""
    color = color and "NO_COLOR" not in os.environ

    def style(text: str, **kwargs: object) -> str:
        return click.style(text, **kwargs) if color else text  # type: ignore[arg-type]

    lines: list[str] = []
    for file, findings in groupby(report.findings, key=lambda f: f.file):
        lines.append(style(file, bold=True, underline=True))
        for finding in findings:
            where = f"{finding.line}:{finding.column}"
            severity = style(f"{finding.severity:<7}", fg=_COLORS[finding.severity], bold=True)
            lines.append(f"  {where:<8} {severity} {style(finding.rule, dim=True)}")
            lines.append(f"           {finding.message}")
            if finding.lock:
                lines.append(f"           lock: {finding.lock}")
            if finding.alternative:
                lines.append("           safe alternative:")
                lines.extend(f"             {line}" for line in finding.alternative.splitlines())
        lines.append("")
    lines.append(summary_line(report) + ".")
    return "\n".join(lines)
