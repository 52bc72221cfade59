"""The review's vocabulary: severities, what a rule returns (Hit) and what users see (Finding)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
_RANK = {"info": 0, "warning": 1, "error": 2}


def at_least(severity: str, threshold: str) -> bool:
    """Whether `severity` is as serious as `threshold` (`never` is above everything)."""
    return threshold != "never" and _RANK[severity] >= _RANK[threshold]


@dataclass(frozen=True)
class LockTarget:
    """A relation a statement locks; `index` when it is an index (its table is what users see)."""

    schema: str | None
    name: str
    index: bool = False

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name


@dataclass(frozen=True)
class Hit:
    """What a rule's check returns for one problem in one statement.

    `location` is the byte offset of the offending clause as pglast reports it in a node's
    "location" field; None points at the statement's first token. `lock` names the lock level
    the statement takes, for findings about locks and rewrites (e.g. "ACCESS EXCLUSIVE").
    `severity` overrides the rule's own, for the rare hit the rule cannot be sure about (e.g. a
    function whose volatility pgship cannot know); pgship.yml levels still win over both.
    """

    message: str
    alternative: str = ""
    lock: str | None = None
    location: int | None = None
    severity: Severity | None = None
    target: LockTarget | None = None  # default: the relation the statement itself locks


@dataclass(frozen=True)
class Finding:
    """One problem at one place in one file, as every output format shows it."""

    file: str
    line: int
    column: int
    rule: str
    severity: Severity
    message: str
    alternative: str = ""
    lock: str | None = None
    statement: int | None = field(default=None, compare=False)  # index in its file, for ignores
    # the relation a lock finding is about, for the table sizes shown with --database-url
    target: LockTarget | None = field(default=None, compare=False)

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file, self.line, self.column, self.rule)

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "alternative": self.alternative,
            "lock": self.lock,
        }
