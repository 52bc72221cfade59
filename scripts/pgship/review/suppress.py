"""`-- pgship:ignore <rule-id>[,<rule-id>...] <reason>` comments, and the findings they hide.

The line form hides the named rules' findings on the next statement; the file form
(`-- pgship:ignore-file ...`, in the comments at the top of the file) hides them in the whole
file. An ignore that hides nothing is itself reported (`unused-ignore`).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from pgship.review.model import Finding
from pgship.review.parse import Statement
from pgship.review.source import LineIndex

_IGNORE = re.compile(
    r"^[ \t]*--[ \t]*pgship:[ \t]*(?P<kind>ignore-file|ignore)\b(?P<rest>[^\n]*)$",
    re.IGNORECASE | re.MULTILINE,
)


@dataclass
class Ignore:
    line: int
    column: int
    file_level: bool
    rules: tuple[str, ...]
    reason: str
    statement: int | None = None  # index of the statement it applies to (line form)
    used: set[str] = field(default_factory=set)

    @property
    def text(self) -> str:
        kind = "ignore-file" if self.file_level else "ignore"
        return f"pgship:{kind} {','.join(self.rules)}".rstrip()


def find_ignores(text: str, statements: list[Statement], lines: LineIndex) -> list[Ignore]:
    """Every ignore comment of the file, each tied to the statement it applies to."""
    starts = [statement.start for statement in statements]
    result = []
    for match in _IGNORE.finditer(text):
        rule_text, reason = ([*match.group("rest").split(maxsplit=1), "", ""])[:2]
        line, _ = lines.position(match.start())
        ignore = Ignore(
            line=line,
            column=match.group(0).index("--") + 1,
            file_level=match.group("kind").lower() == "ignore-file",
            rules=tuple(r for r in rule_text.split(",") if r),
            reason=reason.strip(),
        )
        if not ignore.file_level:
            following = bisect_right(starts, match.end())
            if following < len(statements):
                ignore.statement = statements[following].index
        result.append(ignore)
    return result


def apply_ignores(findings: list[Finding], ignores: list[Ignore]) -> list[Finding]:
    """The findings no ignore hides; marks each ignore with the rules it used."""
    kept = []
    for finding in findings:
        hidden = False
        for ignore in ignores:
            if finding.rule in ignore.rules and (
                ignore.file_level
                or (ignore.statement is not None and ignore.statement == finding.statement)
            ):
                ignore.used.add(finding.rule)
                hidden = True
        if not hidden:
            kept.append(finding)
    return kept


def ignore_findings(
    path: str, ignores: list[Ignore], known: set[str], disabled: set[str]
) -> list[Finding]:
    """`unused-ignore` for ignores that hid nothing, `ignore-without-reason` for bare ones."""
    from pgship.review.registry import all_rules, suggest

    found = []

    def add(rule: str, ignore: Ignore, message: str) -> None:
        severity = all_rules()[rule].severity
        found.append(Finding(path, ignore.line, ignore.column, rule, severity, message))

    for ignore in ignores:
        if not ignore.rules:
            add("unused-ignore", ignore, f"`{ignore.text}` names no rule.")
            continue
        for rule in ignore.rules:
            if rule not in known:
                add("unused-ignore", ignore, f"Unknown rule {rule!r}{suggest(rule)}.")
            elif rule not in ignore.used and rule not in disabled:
                where = "in this file" if ignore.file_level else "on the next statement"
                add("unused-ignore", ignore, f"{rule} reports nothing {where}.")
        if not ignore.reason:
            add(
                "ignore-without-reason",
                ignore,
                f"`{ignore.text}` gives no reason: say why the finding is safe to ignore.",
            )
    return found
