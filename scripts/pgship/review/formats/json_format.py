"""One JSON document: the target version, the files, counts and every finding."""

from __future__ import annotations

import json
from typing import Any

from pgship.review.engine import Report
from pgship.review.model import SEVERITIES, Finding


def render(report: Report) -> str:
    return json.dumps(
        {
            "pg_version": report.pg_version,
            "pg_version_source": report.pg_version_source,
            "files": report.files,
            "summary": {
                "errors": report.count("error"),
                "warnings": report.count("warning"),
                "info": report.count("info"),
                "total": len(report.findings),
            },
            "findings": [finding.as_dict() for finding in report.findings],
        },
        indent=2,
    )


def parse(data: dict[str, Any]) -> Report:
    """The Report `render` wrote (read back, e.g. by `pgship comment --review-report`).

    KeyError, TypeError or ValueError when `data` is not such a document.
    """
    findings = []
    for item in data["findings"]:
        severity = item["severity"]
        if severity not in SEVERITIES:
            raise ValueError(f"unknown severity {severity!r}")
        findings.append(
            Finding(
                file=str(item["file"]),
                line=int(item["line"]),
                column=int(item.get("column") or 1),
                rule=str(item["rule"]),
                severity=severity,
                message=str(item["message"]),
                alternative=str(item.get("alternative") or ""),
                lock=str(item["lock"]) if item.get("lock") else None,
            )
        )
    report = Report(
        sorted(findings, key=Finding.sort_key),
        [str(file) for file in data.get("files") or []],
        int(data["pg_version"]),
    )
    report.pg_version_source = str(data.get("pg_version_source") or "default")
    return report
