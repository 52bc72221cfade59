"""SQL text -> statements (pglast's JSON parse tree) and syntax errors, with their positions.

The whole file is parsed at once (`parse_sql_json` is fast). When that fails, the file is split
with pgship's own splitter and each statement is parsed alone, so that one syntax error is
reported with its line and column and the other statements are still reviewed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pgship.review.source import LineIndex, skip_trivia


@dataclass(frozen=True)
class Statement:
    """One parsed statement, as rules see it.

    `kind` is the parse node's type (e.g. "AlterTableStmt") and `node` its fields, exactly as in
    pglast's JSON tree; `text` is the statement's SQL from its first token to its last.
    """

    index: int
    kind: str
    node: dict[str, Any]
    start: int  # character offset of the first token in the file
    # pglast's slice of the parsed text for this statement (from the end of the previous
    # one), where it starts in bytes of that text, and in characters of the file.
    chunk: str = field(repr=False)
    chunk_byte: int = field(repr=False)
    chunk_char: int = field(repr=False)

    @cached_property
    def text(self) -> str:
        """The SQL from the first token to the last: no comments around it, no `;`."""
        body = self.chunk[self.start - self.chunk_char :].rstrip()
        if "--" not in body and "/*" not in body:
            return body
        from pglast.parser import scan

        tokens = [t for t in scan(body) if t.name not in ("SQL_COMMENT", "C_COMMENT")]
        return body[: tokens[-1].end + 1] if tokens else body

    def char_offset(self, location: int | None) -> int:
        """The file's character offset of a node's byte `location` (None: the statement)."""
        if location is None or location < self.chunk_byte:
            return self.start
        relative = location - self.chunk_byte
        if not self.chunk.isascii():  # UTF-8 bytes -> characters, only when needed
            relative = len(self.chunk.encode("utf-8")[:relative].decode("utf-8", "ignore"))
        return self.chunk_char + relative


@dataclass(frozen=True)
class SyntaxProblem:
    offset: int  # character offset in the file
    message: str


@dataclass(frozen=True)
class ParsedFile:
    statements: list[Statement]
    errors: list[SyntaxProblem]


def parse_file(text: str) -> ParsedFile:
    """Every statement of `text` and every syntax error in it."""
    from pglast.parser import ParseError

    try:
        return ParsedFile(_statements(text, 0, 0), [])
    except ParseError as exc:
        return _parse_each(text, exc)


def _statements(text: str, base: int, first_index: int) -> list[Statement]:
    """The statements of `text` (which starts at character `base` of its file).

    pglast reports byte offsets; for non-ASCII text each statement's bytes are decoded on
    their own, walking the text once, so that the conversion stays linear.
    """
    from pglast.parser import parse_sql_json

    tree = json.loads(parse_sql_json(text))
    ascii_only = text.isascii()
    data = b"" if ascii_only else text.encode("utf-8")
    size = len(text) if ascii_only else len(data)
    byte_cursor = char_cursor = 0  # where the previous statement ended
    result = []
    for number, raw in enumerate(tree.get("stmts", []), start=first_index):
        location = raw.get("stmt_location", 0)
        end_byte = location + raw["stmt_len"] if raw.get("stmt_len") else size
        if ascii_only:
            begin, chunk = location, text[location:end_byte]
        else:
            begin = char_cursor + len(data[byte_cursor:location].decode("utf-8"))
            chunk = data[location:end_byte].decode("utf-8")
        byte_cursor, char_cursor = end_byte, begin + len(chunk)
        first = skip_trivia(chunk, 0)
        ((kind, node),) = raw["stmt"].items()
        result.append(
            Statement(
                index=number,
                kind=kind,
                node=node,
                start=base + begin + first,
                chunk=chunk,
                chunk_byte=location,
                chunk_char=base + begin,
            )
        )
    return result


def _parse_each(text: str, whole_file_error: Exception) -> ParsedFile:
    """Parse statement by statement, to report each syntax error and review the rest."""
    from pglast.parser import ParseError

    from pgship.migrations.sqlsplit import split_statements

    lines = LineIndex(text)
    statements: list[Statement] = []
    errors: list[SyntaxProblem] = []
    for piece in split_statements(text):
        base = text.find(piece.text, lines.line_start(piece.line))
        if base < 0:  # cannot happen: the splitter returns slices of the text
            continue
        try:
            statements.extend(_statements(piece.text, base, len(statements)))
        except ParseError as exc:
            errors.append(_problem(exc, piece.text, base))
    if not errors:  # the splitter and the parser disagree: report the parser's own error
        errors.append(_problem(whole_file_error, text, 0))
    return ParsedFile(statements, errors)


def _problem(exc: Exception, text: str, base: int) -> SyntaxProblem:
    message = str(exc.args[0]) if exc.args else str(exc)
    location = exc.args[1] if len(exc.args) > 1 else None
    if not isinstance(location, int):  # "at end of input": point at the last token
        location = max(len(text.rstrip()) - 1, 0)
    return SyntaxProblem(base + location, message)
