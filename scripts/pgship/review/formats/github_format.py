"""GitHub Actions workflow commands: one `::error file=...,line=...::message` per finding."""

from __future__ import annotations

from pgship.outputs import annotation_command
from pgship.review.engine import Report

_COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def render(report: Report) -> str:
    lines = []
    for finding in report.findings:
        message = finding.message
        if finding.lock:
            message += f" (lock: {finding.lock})"
        if finding.alternative:
            message += f"\n\nSafe alternative:\n{finding.alternative}"
        lines.append(
            annotation_command(
                _COMMANDS[finding.severity],
                message,
                file=finding.file,
                line=finding.line,
                col=finding.column,
                title=finding.rule,
            )
        )
    return "\n".join(lines)
