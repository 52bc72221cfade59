"""Runs every rule over every statement of each file, then applies ignores and pgship.yml levels."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace

from pgship.migrations.files import Directives
from pgship.review import tracking
from pgship.review.context import Context, Facts, FileState
from pgship.review.model import Finding, at_least
from pgship.review.parse import Statement, parse_file
from pgship.review.registry import Rule, all_rules
from pgship.review.source import LineIndex
from pgship.review.suppress import apply_ignores, find_ignores, ignore_findings


@dataclass
class Report:
    """The findings of one review run, sorted by file and position."""

    findings: list[Finding]
    files: list[str]
    pg_version: int
    pg_version_source: str = "default"
    levels: dict[str, str] = field(default_factory=dict)

    def count(self, severity: str) -> int:
        return sum(1 for finding in self.findings if finding.severity == severity)

    def failing(self, fail_on: str) -> list[Finding]:
        return [f for f in self.findings if at_least(f.severity, fail_on)]

    def rule_level(self, rule: Rule) -> str:
        """The rule's severity after pgship.yml, or "off"."""
        return self.levels.get(rule.id, rule.severity)


class Reviewer:
    """Reviews files in order, carrying what earlier files established (Facts) to later ones."""

    def __init__(self, pg_version: int, levels: dict[str, str] | None = None) -> None:
        self.pg_version = pg_version
        self.levels = levels or {}
        self.facts = Facts()
        self.rules = all_rules()
        self._by_kind: dict[str, list[Rule]] = defaultdict(list)
        self._everywhere: list[Rule] = []
        for rule in self.rules.values():
            if rule.check is None or self.levels.get(rule.id) == "off":
                continue
            if rule.nodes is None:
                self._everywhere.append(rule)
            for kind in rule.nodes or ():
                self._by_kind[kind].append(rule)

    def review(self, path: str, text: str, directives: Directives) -> list[Finding]:
        """The findings for one file, after its ignores and the configured levels."""
        parsed = parse_file(text)
        lines = LineIndex(text)
        findings = [self._syntax(path, lines, e.offset, e.message) for e in parsed.errors]
        state = FileState(no_transaction=directives.no_transaction)
        for statement in parsed.statements:
            tracking.before(state)
            context = Context(path, self.pg_version, state, self.facts)
            for rule in self._by_kind.get(statement.kind, []) + self._everywhere:
                findings.extend(self._check(rule, statement, context, lines))
            tracking.observe(statement, state, self.facts)
        ignores = find_ignores(text, parsed.statements, lines)
        findings = apply_ignores(findings, ignores)
        disabled = {rule for rule, level in self.levels.items() if level == "off"}
        findings += ignore_findings(path, ignores, set(self.rules), disabled)
        return sorted(self._relevel(findings), key=Finding.sort_key)

    def _check(
        self, rule: Rule, statement: Statement, context: Context, lines: LineIndex
    ) -> list[Finding]:
        assert rule.check is not None
        try:
            hits = list(rule.check(statement, context))
        except Exception as exc:
            line, _ = lines.position(statement.start)
            exc.add_note(f"pgship review: rule {rule.id} failed on {context.path}:{line}")
            raise
        found = []
        for hit in hits:
            line, column = lines.position(statement.char_offset(hit.location))
            found.append(
                Finding(
                    file=context.path,
                    line=line,
                    column=column,
                    rule=rule.id,
                    severity=hit.severity or rule.severity,
                    message=hit.message,
                    alternative=hit.alternative,
                    lock=hit.lock,
                    statement=statement.index,
                )
            )
        return found

    def _syntax(self, path: str, lines: LineIndex, offset: int, message: str) -> Finding:
        line, column = lines.position(offset)
        text = message[:1].upper() + message[1:]
        return Finding(
            path,
            line,
            column,
            "syntax-error",
            "error",
            f"{text}.",
            alternative="Fix the statement so that PostgreSQL can parse it.",
        )

    def _relevel(self, findings: list[Finding]) -> list[Finding]:
        result = []
        for finding in findings:
            level = self.levels.get(finding.rule)
            if level == "off":
                continue
            if level is not None and level != finding.severity:
                finding = replace(finding, severity=level)  # type: ignore[arg-type]
            result.append(finding)
        return result
