"""SARIF 2.1.0, for GitHub code scanning (`github/codeql-action/upload-sarif`)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path, PurePath
from urllib.parse import quote

from pgship import __version__
from pgship.review.engine import Report
from pgship.review.registry import Rule, all_rules

SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
_LEVELS = {"error": "error", "warning": "warning", "info": "note", "off": "none"}


def render(report: Report) -> str:
    rules = list(all_rules().values())
    index = {rule.id: number for number, rule in enumerate(rules)}
    results = []
    for finding in report.findings:
        text = finding.message
        if finding.lock:
            text += f" (lock: {finding.lock})"
        if finding.alternative:
            text += f"\n\nSafe alternative:\n{finding.alternative}"
        properties: dict[str, object] = {"severity": finding.severity}
        if finding.lock:
            properties["lock"] = finding.lock
        results.append(
            {
                "ruleId": finding.rule,
                "ruleIndex": index[finding.rule],
                "level": _LEVELS[finding.severity],
                "message": {"text": text},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": artifact_uri(finding.file)},
                            "region": {"startLine": finding.line, "startColumn": finding.column},
                        }
                    }
                ],
                "properties": properties,
            }
        )
    run = {
        "tool": {
            "driver": {
                "name": "pgship",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [_descriptor(rule, report.rule_level(rule)) for rule in rules],
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {"pgVersion": report.pg_version, "files": report.files},
    }
    return json.dumps({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2)


def artifact_uri(path: str) -> str:
    """A file path as a URI reference: relative to the working directory when under it."""
    pure = PurePath(path)
    if pure.is_absolute():
        with contextlib.suppress(ValueError):  # outside the working directory: keep it
            pure = pure.relative_to(Path.cwd())
    return quote(pure.as_posix(), safe="/")


def _descriptor(rule: Rule, level: str) -> dict[str, object]:
    return {
        "id": rule.id,
        "name": "".join(part.capitalize() for part in rule.id.split("-")),
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.description or rule.summary},
        "help": {
            "text": rule.doc.strip(),
            "markdown": f"**{rule.summary}**\n\n{rule.description}",
        },
        "defaultConfiguration": {"enabled": level != "off", "level": _LEVELS[level]},
        "properties": {"tags": ["postgresql", "migrations"], "severity": rule.severity},
    }
