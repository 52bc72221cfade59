"""Positions in SQL text: character offsets to 1-based line and column, and skipping comments."""

from __future__ import annotations

from bisect import bisect_right


class LineIndex:
    """Character offset -> (line, column), both 1-based, columns counted in characters."""

    def __init__(self, text: str) -> None:
        self._starts = [0]
        position = text.find("\n")
        while position >= 0:
            self._starts.append(position + 1)
            position = text.find("\n", position + 1)

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1

    def line_start(self, line: int) -> int:
        """Character offset of the start of a 1-based line."""
        return self._starts[min(max(line, 1), len(self._starts)) - 1]


def skip_trivia(text: str, position: int, end: int | None = None) -> int:
    """The offset of the first token at or after `position`: skips blanks and comments."""
    limit = len(text) if end is None else end
    while position < limit:
        char = text[position]
        if char.isspace():
            position += 1
        elif text.startswith("--", position):
            newline = text.find("\n", position)
            position = limit if newline < 0 else newline + 1
        elif text.startswith("/*", position):
            position = _block_comment_end(text, position)
        else:
            break
    return min(position, limit)


def _block_comment_end(text: str, position: int) -> int:
    """The offset just after the (nested) /* */ comment starting at `position`."""
    depth = 0
    while position < len(text):
        if text.startswith("/*", position):
            depth += 1
            position += 2
        elif text.startswith("*/", position):
            depth -= 1
            position += 2
            if depth == 0:
                return position
        else:
            position += 1
    return position
