"""GitHub Actions workflow commands: one `::error file=...,line=...::message` per finding."""

from __future__ import annotations

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
        properties = ",".join(
            f"{key}={_property(str(value))}"
            for key, value in (
                ("file", finding.file),
                ("line", finding.line),
                ("col", finding.column),
                ("title", finding.rule),
            )
        )
        lines.append(f"::{_COMMANDS[finding.severity]} {properties}::{_data(message)}")
    return "\n".join(lines)


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")
