"""The rules: one module per rule in `pgship.review.rules`, found at run time.

A rule module defines:

- a docstring: a one-line summary, then the anti-pattern and the safe alternative;
- `ID`: the rule id, kebab-case, matching the module name (`set_not_null.py` -> "set-not-null");
- `SEVERITY`: "error", "warning" or "info" (users may re-level it in pgship.yml);
- `NODES` (optional): the statement kinds it looks at, e.g. ("AlterTableStmt",); default: all;
- `SUBTYPES` (optional): for ALTER TABLE, the subcommands it looks at, e.g. ("AT_AddColumn",):
  the rule is not called on an ALTER TABLE that has none of them (a speed-up; default: all);
- `check(statement, context)`: returns an iterable of `Hit`s (usually a generator); or, for a
  rule about the file as a whole, `check_file(context)`, called once after the file's last
  statement (its hits point at the top of the file).

Its pass and fail cases live in tests/review_cases/<module name>.yaml.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from types import ModuleType

from pgship.review.context import Context
from pgship.review.model import SEVERITIES, Hit, Severity
from pgship.review.parse import Statement

Check = Callable[[Statement, Context], Iterable[Hit]]
FileCheck = Callable[[Context], Iterable[Hit]]
_ID = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Rule:
    """A rule's metadata and its check (None for findings the engine makes itself)."""

    id: str
    severity: Severity
    doc: str
    check: Check | None = None
    nodes: frozenset[str] | None = None  # statement kinds it looks at; None: every statement
    check_file: FileCheck | None = None  # for rules about the file as a whole
    subtypes: frozenset[str] | None = None  # ALTER TABLE subcommands it looks at; None: all

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0].strip()

    @property
    def description(self) -> str:
        """The docstring without its summary line."""
        return "\n".join(self.doc.strip().splitlines()[1:]).strip()


# Findings made by the engine itself rather than by a rule module.
ENGINE_RULES = (
    Rule(
        "syntax-error",
        "error",
        """The file does not parse as PostgreSQL SQL.

Anti-pattern: a typo or a construct PostgreSQL does not accept; the migration would fail.

Safe alternative: fix the statement at the reported line and column. pgship parses with
libpg_query, PostgreSQL's own parser, so what it rejects the server rejects too.""",
    ),
    Rule(
        "unused-ignore",
        "warning",
        """A `-- pgship:ignore` comment that suppressed nothing.

Anti-pattern: an ignore comment naming a rule that did not fire on the next statement (or, for
`-- pgship:ignore-file`, anywhere in the file), or naming an unknown rule. It hides nothing
today and may hide a real finding after the next edit.

Safe alternative: delete the comment, or fix the rule id (`pgship rules` lists them).""",
    ),
    Rule(
        "ignore-without-reason",
        "info",
        """A `-- pgship:ignore` comment that gives no reason.

Anti-pattern: `-- pgship:ignore set-not-null` with nothing after the rule id. Reviewers
cannot tell why the finding is safe to ignore.

Safe alternative: say why, e.g.
`-- pgship:ignore set-not-null the table has 20 rows and is never written at peak`.""",
    ),
)


@cache
def all_rules() -> dict[str, Rule]:
    """Every rule by id: the engine's own, then each module of pgship.review.rules."""
    from pgship.review import rules as package

    found = {rule.id: rule for rule in ENGINE_RULES}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        rule = rule_of(module)
        if rule.id in found:
            raise RuntimeError(f"Two review rules have the id {rule.id!r}.")
        found[rule.id] = rule
    return found


def rule_of(module: ModuleType) -> Rule:
    """Validate a rule module and describe it; a malformed module is a programming error."""
    name = module.__name__.rpartition(".")[2]
    rule_id = getattr(module, "ID", None)
    severity = getattr(module, "SEVERITY", None)
    check = getattr(module, "check", None)
    check_file = getattr(module, "check_file", None)
    subtypes = getattr(module, "SUBTYPES", None)
    nodes = getattr(module, "NODES", None)
    problems = []
    if not isinstance(rule_id, str) or not _ID.match(rule_id):
        problems.append("ID must be a kebab-case string")
    elif rule_id.replace("-", "_") != name:
        problems.append(f"ID {rule_id!r} must match the module name")
    if severity not in SEVERITIES:
        problems.append(f"SEVERITY must be one of {', '.join(SEVERITIES)}")
    if not callable(check) and not callable(check_file):
        problems.append("check(statement, context) (or check_file(context)) is missing")
    if not (module.__doc__ or "").strip():
        problems.append("the docstring (summary, anti-pattern, safe alternative) is missing")
    if nodes is not None and not isinstance(nodes, tuple | list | set | frozenset):
        problems.append("NODES must be a tuple of statement kinds")
    if subtypes is not None and not isinstance(subtypes, tuple | list | set | frozenset):
        problems.append("SUBTYPES must be a tuple of ALTER TABLE subcommand types")
    if problems:
        raise RuntimeError(f"Review rule module {module.__name__}: {'; '.join(problems)}.")
    return Rule(
        id=str(rule_id),
        severity=severity,  # type: ignore[arg-type]
        doc=str(module.__doc__),
        check=check if callable(check) else None,
        nodes=frozenset(nodes) if nodes is not None else None,
        check_file=check_file if callable(check_file) else None,
        subtypes=frozenset(subtypes) if subtypes is not None else None,
    )


def find_rule(rule_id: str) -> Rule | None:
    return all_rules().get(rule_id)


def suggest(rule_id: str) -> str:
    """' (did you mean x?)' for a misspelt rule id, or ''."""
    import difflib

    close = difflib.get_close_matches(rule_id, list(all_rules()), n=1)
    return f" (did you mean {close[0]}?)" if close else ""
