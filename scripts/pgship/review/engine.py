"""Runs every rule over every statement of each file, then applies ignores and pgship.yml levels."""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from pgship.migrations.files import Directives
from pgship.review import tracking
from pgship.review.context import Context, Facts, FileState, ProjectFile, Runner
from pgship.review.locks import main_lock
from pgship.review.model import Finding, at_least
from pgship.review.nodes import alter_commands
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

    def __init__(
        self, pg_version: int, levels: dict[str, str] | None = None, runner: Runner | None = None
    ) -> None:
        self.pg_version = pg_version
        self.levels = levels or {}
        self.runner = runner or Runner()
        self.facts = Facts()
        self.rules = all_rules()
        self._by_kind: dict[str, list[Rule]] = defaultdict(list)
        self._everywhere: list[Rule] = []
        self._file_rules: list[Rule] = []  # rules about the file as a whole (check_file)
        for rule in self.rules.values():
            if self.levels.get(rule.id) == "off":
                continue
            if rule.check_file is not None:
                self._file_rules.append(rule)
            if rule.check is None:
                continue
            if rule.nodes is None:
                self._everywhere.append(rule)
            for kind in rule.nodes or ():
                self._by_kind[kind].append(rule)
        for rules in self._by_kind.values():  # the rules for each kind, then those for all
            rules.extend(self._everywhere)

    def review(
        self, path: str, text: str, directives: Directives, file: ProjectFile | None = None
    ) -> list[Finding]:
        """The findings for one file, after its ignores and the configured levels.

        `file` says whether it is a migration or a rollback, and whether its pair exists.
        """
        with paused_gc():
            return self._review(path, text, directives, file)

    def _review(
        self, path: str, text: str, directives: Directives, file: ProjectFile | None
    ) -> list[Finding]:
        parsed = parse_file(text)
        lines = LineIndex(text)
        findings = [self._syntax(path, lines, e.offset, e.message) for e in parsed.errors]
        state = FileState(
            no_transaction=directives.no_transaction,
            lock_timeout_ms=self.runner.initial_lock_timeout(directives.lock_timeout_ms),
            statements=parsed.statements,
        )
        context = Context(
            path, self.pg_version, state, self.facts, self.runner, file or ProjectFile()
        )
        for statement in parsed.statements:
            tracking.before(state)
            rules = self._by_kind.get(statement.kind, self._everywhere)
            subtypes = _subtypes(statement)
            for rule in rules:
                if (
                    subtypes is None
                    or rule.subtypes is None
                    or not subtypes.isdisjoint(rule.subtypes)
                ):
                    self._check(rule, statement, context, lines, findings)
            tracking.observe(statement, state, self.facts)
        for rule in self._file_rules:
            findings.extend(self._check_file(rule, context))
        ignores = find_ignores(text, parsed.statements, lines)
        findings = apply_ignores(findings, ignores)
        disabled = {rule for rule, level in self.levels.items() if level == "off"}
        findings += ignore_findings(path, ignores, set(self.rules), disabled)
        return sorted(self._relevel(findings), key=Finding.sort_key)

    def learn(self, path: str, text: str, directives: Directives) -> None:
        """Read a file only for what it establishes (Facts), as review() would: no rule runs.

        For the earlier migrations a partial review reads for context, whose findings would be
        dropped anyway.
        """
        state = FileState(no_transaction=directives.no_transaction)
        with paused_gc():
            for statement in parse_file(text).statements:
                tracking.before(state)
                tracking.observe(statement, state, self.facts)

    def _check(
        self,
        rule: Rule,
        statement: Statement,
        context: Context,
        lines: LineIndex,
        found: list[Finding],
    ) -> None:
        """Add the rule's findings on the statement to `found`."""
        assert rule.check is not None
        try:
            hits = list(rule.check(statement, context))
        except Exception as exc:
            line, _ = lines.position(statement.start)
            exc.add_note(f"pgship review: rule {rule.id} failed on {context.path}:{line}")
            raise
        for hit in hits:
            line, column = lines.position(statement.char_offset(hit.location))
            target = hit.target
            if target is None and hit.lock is not None:
                lock = main_lock(statement)
                target = lock.relation if lock is not None else None
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
                    target=target,
                )
            )

    def _check_file(self, rule: Rule, context: Context) -> list[Finding]:
        """A file rule's hits, at the top of the file (an ignore-file comment hides them)."""
        assert rule.check_file is not None
        return [
            Finding(
                file=context.path,
                line=1,
                column=1,
                rule=rule.id,
                severity=hit.severity or rule.severity,
                message=hit.message,
                alternative=hit.alternative,
                lock=hit.lock,
            )
            for hit in rule.check_file(context)
        ]

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


def _subtypes(statement: Statement) -> set[str] | None:
    """The subcommand types of an ALTER TABLE (None for other statements)."""
    if statement.kind != "AlterTableStmt":
        return None
    return {command.get("subtype", "") for command in alter_commands(statement.node)}


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a file is parsed and reviewed.

    A parse tree is a few hundred thousand dicts and lists with no cycle among them; left on,
    the collector walks them again and again while they are built and read (10 to 20% of the
    review of a 5,000-statement file).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
