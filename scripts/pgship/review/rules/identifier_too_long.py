"""An identifier longer than 63 bytes, which PostgreSQL silently truncates.

Anti-pattern:

    CREATE INDEX project_assignments_creator_id_accepted_at_fee_cents_created_at_idx
        ON project_assignments (creator_id, accepted_at, fee_cents, created_at);

PostgreSQL keeps at most 63 bytes of a name (NAMEDATALEN - 1) and cuts the rest with only a
NOTICE, so the index above is really called `..._created_a`. Everything that compares names
then disagrees with the database: an ORM or schema-diff tool that looks for the name as
written, a later migration that creates another object whose name shares the first 63 bytes
("already exists"), `IF NOT EXISTS` that skips an object it should have created. The limit is
in bytes of UTF-8, not characters: a name with accents or non-Latin letters reaches it sooner
(`"délai_de_paiement_…"`). Enum labels have the same limit, but a longer one is an error
("Labels must be 63 bytes or less").

Safe alternative: a shorter name, at most 63 bytes:

    CREATE INDEX project_assignments_creator_accepted_idx
        ON project_assignments (creator_id, accepted_at, fee_cents, created_at);
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.helpers import ident
from pgship.review.model import Hit
from pgship.review.nodes import strings
from pgship.review.parse import Statement

ID = "identifier-too-long"
SEVERITY = "error"

MAX_BYTES = 63
# Cheap test before scanning: a run of identifier characters, or a quoted name, that is long.
_CANDIDATE = re.compile(r'[\w$]{22,}|"(?:[^"]|""){22,}"')


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    yield from _enum_labels(statement)
    text = statement.text
    if not any(_too_long(m.group(0).strip('"')) for m in _CANDIDATE.finditer(text)):
        return
    from pglast.parser import scan

    seen: set[str] = set()
    for token in scan(text):
        if token.name != "IDENT":
            continue
        raw = text[token.start : token.end + 1]
        name = raw[1:-1].replace('""', '"') if raw.startswith('"') else raw.lower()
        if not _too_long(name) or name in seen:
            continue
        seen.add(name)
        size = len(name.encode("utf-8"))
        yield Hit(
            f"Identifier {ident(name)} is {size} bytes: PostgreSQL silently truncates names to "
            f'{MAX_BYTES} bytes, so it becomes "{truncate(name)}".',
            f"-- use a name of at most {MAX_BYTES} bytes (UTF-8), e.g. by abbreviating its parts.",
            location=_byte_location(statement, token.start),
        )


def _enum_labels(statement: Statement) -> Iterator[Hit]:
    node = statement.node
    if statement.kind == "CreateEnumStmt":
        labels = strings(node.get("vals"))
    elif statement.kind == "AlterEnumStmt" and node.get("newVal"):
        labels = [node["newVal"]]
    else:
        return
    for label in labels:
        if _too_long(label):
            yield Hit(
                f"Enum label '{truncate(label)}...' is {len(label.encode('utf-8'))} bytes: "
                f"PostgreSQL refuses labels over {MAX_BYTES} bytes, so the statement fails.",
                f"-- use a label of at most {MAX_BYTES} bytes (UTF-8).",
            )


def _too_long(name: str) -> bool:
    return len(name) > MAX_BYTES // 4 and len(name.encode("utf-8")) > MAX_BYTES


def truncate(name: str) -> str:
    """The name as PostgreSQL stores it: its first 63 bytes, cut at a character boundary."""
    return name.encode("utf-8")[:MAX_BYTES].decode("utf-8", "ignore")


def _byte_location(statement: Statement, offset: int) -> int:
    """The parser's byte location of character `offset` of `statement.text`."""
    before = statement.chunk[: statement.start - statement.chunk_char + offset]
    return statement.chunk_byte + len(before.encode("utf-8"))
