"""Every review rule against its pass and fail cases in tests/review_cases/<rule_module>.yaml."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from pgship.migrations.files import parse_directives
from pgship.review.context import ProjectFile, Runner
from pgship.review.engine import Reviewer
from pgship.review.model import Finding
from pgship.review.registry import all_rules

CASES_DIR = Path(__file__).parent / "review_cases"
CASE_KEYS = {"name", "sql", "expect", "pg_version", "no_transaction", "before", "role"}
CASE_KEYS |= {"pair", "pair_exists", "twin", "assume_runner", "lock_timeout_ms"}


def load_case_files() -> dict[str, dict[str, Any]]:
    """Rule id -> its case file's content."""
    files = {}
    for path in sorted(CASES_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert data["rule"].replace("-", "_") == path.stem, f"{path.name}: rule does not match"
        files[data["rule"]] = data
    return files


CASE_FILES = load_case_files()
CASES = [
    pytest.param(rule, case, id=f"{rule}: {case['name']}")
    for rule, data in CASE_FILES.items()
    for case in data["cases"]
]


def review_case(case: dict[str, Any]) -> list[Finding]:
    """Review the case's SQL as one migration file, after its `before` files."""
    runner = Runner(case.get("assume_runner", "pgship"), case.get("lock_timeout_ms", 5000))
    reviewer = Reviewer(case.get("pg_version", 15), runner=runner)
    for number, sql in enumerate(case.get("before", []), start=1):
        reviewer.review(f"before_{number}.sql", sql, parse_directives(Path("before.sql"), sql))
    directives = parse_directives(Path("case.sql"), case["sql"])
    if case.get("no_transaction"):
        directives = replace(directives, no_transaction=True)
    file = (  # role: "migration" or "rollback"; pair: the path of its rollback / migration
        ProjectFile(case["role"], case.get("pair"), case.get("pair_exists", True), case.get("twin"))
        if "role" in case
        else None
    )
    return reviewer.review("case.sql", case["sql"], directives, file)


def expected(entry: int | dict[str, Any]) -> dict[str, Any]:
    return {"line": entry} if isinstance(entry, int) else entry


@pytest.mark.parametrize(("rule", "case"), CASES)
def test_rule_case(rule: str, case: dict[str, Any]) -> None:
    assert set(case) <= CASE_KEYS, f"unknown keys: {set(case) - CASE_KEYS}"
    findings = review_case(case)

    hits = [f for f in findings if f.rule == rule]
    wanted = [expected(entry) for entry in case["expect"]]
    assert [f.line for f in hits] == [w["line"] for w in wanted], "\n".join(map(str, hits))
    for hit, want in zip(hits, wanted, strict=True):
        for key in ("column", "severity"):
            if key in want:
                assert getattr(hit, key) == want[key], hit
    for finding in findings:  # every finding is well formed, whichever rule made it
        assert finding.message and "\n" not in finding.message, finding
        assert finding.line >= 1 and finding.column >= 1, finding


def test_every_rule_has_cases_that_fire_and_cases_that_do_not() -> None:
    assert set(CASE_FILES) == set(all_rules())
    for rule, data in CASE_FILES.items():
        assert any(case["expect"] for case in data["cases"]), f"{rule}: no failing case"
        assert any(not case["expect"] for case in data["cases"]), f"{rule}: no passing case"


@pytest.mark.parametrize("rule", list(all_rules().values()), ids=lambda rule: rule.id)
def test_rule_documentation(rule: Any) -> None:
    assert rule.summary.endswith("."), rule.summary
    assert "Anti-pattern" in rule.doc
    assert "Safe alternative" in rule.doc


def test_lock_and_rewrite_findings_name_the_lock() -> None:
    lock_rules = {
        "adding-field-with-volatile-default",
        "add-column-rewrites",
        "changing-column-type",
        "require-concurrent-index-creation",
        "require-concurrent-index-deletion",
        "require-concurrent-reindex",
        "require-concurrent-detach-partition",
        "constraint-missing-not-valid",
        "validate-in-same-transaction",
        "set-not-null",
        "adding-unique-or-primary-key",
        "ban-truncate",
        "ban-truncate-cascade",
        "backfill-in-migration",
        "adding-exclusion-constraint",
        "vacuum-full-or-cluster",
        "set-logged-or-unlogged",
        "require-lock-timeout",
    }
    for rule in lock_rules:
        for case in CASE_FILES[rule]["cases"]:
            for finding in review_case(case):
                if finding.rule == rule:
                    assert finding.lock, finding
                    assert finding.alternative, finding
