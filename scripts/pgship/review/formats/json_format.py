"""One JSON document: the target version, the files, counts and every finding."""

from __future__ import annotations

import json

from pgship.review.engine import Report


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
