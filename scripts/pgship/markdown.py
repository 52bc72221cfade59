"""GitHub-flavoured Markdown from untrusted text (file names, SQL, messages, database errors).

Whatever a migration holds must not ping anyone, link an issue, inject HTML or break the layout
of a comment: plain text is escaped, `@` and `#123` are defused with a zero-width space, and
code is fenced with more backticks than it holds. GitHub makes no mention or link inside code,
so code stays exactly as written (safe to copy and paste).
"""

from __future__ import annotations

import html
import re

ZWSP = "\u200b"  # zero-width space: breaks a mention or an issue reference, invisibly
_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_REFERENCE = re.compile(r"#(?=\d)")
_SPAN = re.compile(r"`[^`\n]+`")
_BACKTICKS = re.compile(r"`+")


def _one_line(value: str) -> str:
    return " ".join(value.replace("\r\n", "\n").replace("\r", "\n").split("\n"))


def _defuse(value: str) -> str:
    """No @mention, no #123 issue reference."""
    return _REFERENCE.sub("#" + ZWSP, value.replace("@", "@" + ZWSP))


def text(value: str) -> str:
    """Plain text on one line: no HTML, no markup, no mention, no issue reference."""
    return _defuse(_SPECIAL.sub(r"\\\1", html.escape(_one_line(value), quote=False)))


def html_text(value: str) -> str:
    """Text inside an HTML element (e.g. `<summary>`), where markdown escapes would show."""
    return _defuse(html.escape(_one_line(value), quote=False))


def code_span(value: str, *, in_table: bool = False) -> str:
    """`value` as inline code, whatever backticks it holds (pipes escaped inside a table)."""
    value = _one_line(value)
    longest = max((len(run) for run in _BACKTICKS.findall(value)), default=0)
    fence = "`" * (longest + 1)
    if value.startswith("`") or value.endswith("`") or not value.strip():
        value = f" {value} "
    span = f"{fence}{value}{fence}"
    return span.replace("|", "\\|") if in_table else span


def code_block(value: str, language: str = "") -> str:
    """A fenced block holding `value` verbatim: the fence is longer than any backtick run."""
    value = value.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n")
    longest = max((len(run) for run in _BACKTICKS.findall(value)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{value}\n{fence}"


def message(value: str, *, in_table: bool = False) -> str:
    """A finding's message: its `code` spans stay code, everything else is escaped text."""
    parts = []
    position = 0
    for match in _SPAN.finditer(value):
        parts.append(text(value[position : match.start()]))
        parts.append(code_span(match.group()[1:-1], in_table=in_table))
        position = match.end()
    parts.append(text(value[position:]))
    return "".join(parts)
