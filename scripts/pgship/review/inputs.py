"""Which files `pgship review` reads, and reading them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pgship.errors import MigrationFileError, UsageError
from pgship.migrations.files import Directives, parse_directives

if TYPE_CHECKING:
    from pgship.config import Settings


@dataclass(frozen=True)
class SqlFile:
    """A file to review: how to show its path, its text and its directives."""

    display: str
    text: str
    directives: Directives


def files_to_review(paths: tuple[str, ...], settings: Settings) -> list[SqlFile]:
    """The files named (folders give their *.sql files), or every migration and rollback."""
    if not paths:
        from pgship.migrations.files import discover_migrations

        migrations = discover_migrations(settings.migrations_dir, settings.rollbacks_dir)
        scripts = [m.script for m in migrations] + [m.rollback for m in migrations if m.rollback]
        return [SqlFile(str(s.path), s.sql, s.directives) for s in scripts]
    result: list[SqlFile] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found = sorted(path.glob("*.sql"))
            if not found:
                raise UsageError(f"The folder {name} holds no .sql file to review.")
            result.extend(read_sql_file(p, str(p)) for p in found)
        elif path.exists():
            result.append(read_sql_file(path, name))
        else:
            raise UsageError(
                f"{name} does not exist.",
                hint="Name SQL files or folders to review, or give no path to review "
                "every migration (--migrations-dir).",
            )
    return result


def read_sql_file(path: Path, display: str) -> SqlFile:
    """The file's text (UTF-8, a BOM allowed) and directives; usage errors otherwise."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MigrationFileError(
            f"Cannot read {display}: {exc.strerror}.",
            hint="Check that the file exists and is readable by the user running pgship.",
        ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise MigrationFileError(
            f"{display}:{line}: the file is not valid UTF-8 (byte 0x{data[exc.start]:02x}).",
            hint="Save it as UTF-8 (e.g. `iconv -f latin1 -t utf-8`).",
        ) from None
    return SqlFile(display, text, parse_directives(Path(display), text))
