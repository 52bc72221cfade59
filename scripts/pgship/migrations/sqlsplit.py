"""Split the text of a PostgreSQL migration file into statements, keeping their line numbers.

pgship runs a migration one statement at a time so that a failure can be reported as
`file:line`. The splitter is a single-pass scanner that knows just enough of PostgreSQL's
lexical rules to tell which semicolons end a statement. A `;` does not end one inside:

- `--` line comments and `/* */` block comments, which nest;
- `'...'` strings (`''` escapes a quote), including the `B'`, `X'`, `N'` and `U&'` forms;
- `E'...'` strings, where a backslash also escapes a quote;
- `"..."` quoted identifiers (`""` escapes a quote), including `U&"..."`;
- `$$...$$` and `$tag$...$tag$` dollar quotes (`$1` parameters are not dollar quotes);
- SQL-standard function bodies, `BEGIN ATOMIC ... END`, counting the `CASE ... END`
  pairs inside them.

A statement's text runs from its first token to its last: comments and blank lines
before it, and comments between its last token and its `;`, are not part of it.
Statements holding only comments are dropped. An unterminated quote, comment or
`BEGIN ATOMIC` body makes the rest of the file the last statement, for the server to
reject with a syntax error. Strings are read as with `standard_conforming_strings = on`
(the default since PostgreSQL 9.1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Characters that may continue an identifier (PostgreSQL treats any non-ASCII one as a letter).
_IDENT = r"0-9A-Za-z_$\x80-\U0010ffff"
_TAG_START = r"A-Za-z_\x80-\U0010ffff"
_WHITESPACE = " \t\n\r\f\v"

# Everything the scanner stops at; the text between two matches cannot end a statement.
# The leading lookahead only lets the regex engine skip quickly to the possible first characters.
_TOKEN = re.compile(
    rf"""
    (?=[;\-/'"$aAbBcCeE])
    (?:
      (?P<semicolon>;)
    | (?P<comment>--|/\*)
    | (?P<estring>(?<![{_IDENT}])[eE]')
    | (?P<string>')
    | (?P<ident>")
    | (?P<dollar>(?<![{_IDENT}])\$(?:[{_TAG_START}][{_TAG_START}0-9]*)?\$)
    | (?P<keyword>(?<![{_IDENT}.])(?i:begin|atomic|case|end)(?![{_IDENT}]))
    )
    """,
    re.VERBOSE,
)
# The rest of a quoted token, from just after its opening quote through its closing one.
_QUOTE_REST = {
    "string": re.compile(r"[^']*+(?:''[^']*+)*+'"),
    "estring": re.compile(r"[^'\\]*+(?:(?:''|\\.)[^'\\]*+)*+'", re.DOTALL),
    "ident": re.compile(r'[^"]*+(?:""[^"]*+)*+"'),
}
_BLOCK_COMMENT_DELIMITER = re.compile(r"/\*|\*/")
_BLANK = re.compile(f"[{_WHITESPACE}]*")
_NOT_BLANK = re.compile(f"[^{_WHITESPACE}]")


@dataclass(frozen=True)
class Statement:
    """One statement of a SQL file: its text without the `;`, and the lines it spans."""

    text: str
    line: int
    end_line: int

    def first_line(self) -> str:
        """The first line of the statement's text, for messages."""
        return self.text.partition("\n")[0].rstrip()


def split_statements(sql: str) -> list[Statement]:
    """Split `sql` into its statements, in order; see the module docstring for the rules."""
    statements: list[Statement] = []
    lines = _LineCounter(sql)
    start = pos = 0  # where the current statement's text may begin; end of the last token read
    trailing = -1  # start of the comments the current statement ends with so far, or -1
    depth = 0  # inside a BEGIN ATOMIC body: 1 + the number of open CASEs; otherwise 0
    after_begin = -1  # end of the last BEGIN keyword outside a body, to spot BEGIN ATOMIC
    while (match := _TOKEN.search(sql, pos)) is not None:
        kind, token_start, token_end = match.lastgroup, match.start(), match.end()
        if kind == "comment":
            token_end = _comment_end(sql, token_start)
            if token_end < 0:  # unterminated /* */ comment
                trailing = -1
                break
            if trailing < 0 or not _is_blank(sql, pos, token_start):
                trailing = token_start
            pos = token_end
            continue
        if kind == "semicolon" and depth == 0:
            end = trailing if trailing >= 0 and _is_blank(sql, pos, token_start) else token_start
            _append(statements, sql, lines, start, end)
            start = pos = token_end
            trailing = after_begin = -1
            continue
        if kind in _QUOTE_REST:
            rest = _QUOTE_REST[kind].match(sql, token_end)
            token_end = rest.end() if rest else -1
        elif kind == "dollar":
            close = sql.find(match.group(), token_end)
            token_end = close + len(match.group()) if close >= 0 else -1
        elif kind == "keyword":
            word = match.group().lower()
            if depth == 0:
                if word == "begin":
                    after_begin = token_end
                elif (
                    word == "atomic"
                    and after_begin >= 0
                    and _skip_blank(sql, after_begin) == token_start
                ):
                    depth = 1
            elif word == "case":
                depth += 1
            elif word == "end":
                depth -= 1
        trailing = -1
        if token_end < 0:  # unterminated quote
            break
        pos = token_end
    end = trailing if trailing >= 0 and _is_blank(sql, pos, len(sql)) else len(sql)
    _append(statements, sql, lines, start, end)
    return statements


def _append(
    statements: list[Statement], sql: str, lines: _LineCounter, start: int, end: int
) -> None:
    """Add the statement in `sql[start:end]`, less leading comments and blanks, if any."""
    first = _skip_blank(sql, start)
    text = sql[first:end].rstrip(_WHITESPACE)
    if text:
        line = lines.line_at(first)
        statements.append(Statement(text, line, lines.line_at(first + len(text) - 1)))


def _comment_end(sql: str, start: int) -> int:
    """End of the comment at `start` (`--` or a nested `/* */`), or -1 if it never ends."""
    if sql.startswith("--", start):
        newline = sql.find("\n", start)
        return len(sql) if newline < 0 else newline + 1
    depth = 0
    for delimiter in _BLOCK_COMMENT_DELIMITER.finditer(sql, start):
        depth += 1 if delimiter.group() == "/*" else -1
        if depth == 0:
            return delimiter.end()
    return -1


def _skip_blank(sql: str, pos: int) -> int:
    """The first position from `pos` that is neither whitespace nor in a finished comment."""
    while True:
        found = _NOT_BLANK.search(sql, pos)
        pos = found.start() if found else len(sql)
        if not sql.startswith(("--", "/*"), pos):
            return pos
        end = _comment_end(sql, pos)
        if end < 0:
            return pos
        pos = end


def _is_blank(sql: str, start: int, end: int) -> bool:
    """Whether `sql[start:end]` is only whitespace."""
    return _BLANK.fullmatch(sql, start, end) is not None


class _LineCounter:
    """Turns offsets into 1-based line numbers; offsets must be asked for in increasing order."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._offset = 0
        self._line = 1

    def line_at(self, offset: int) -> int:
        self._line += self._text.count("\n", self._offset, offset)
        self._offset = offset
        return self._line
