"""Discovery of migration and rollback files, their versions, checksums and directives."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from pgship.durations import format_duration_ms, parse_duration_ms
from pgship.errors import MigrationFileError
from pgship.migrations.sqlsplit import Statement, split_statements

MIGRATION_NAME = re.compile(r"^(?P<version>\d+)_(?P<name>.+)\.sql$")
ROLLBACK_SUFFIX = "_rollback"
_DIRECTIVE = re.compile(r"^--\s*pgship:\s*(?P<name>[A-Za-z_-]*)\s*(?P<arg>.*?)\s*$")
_DIRECTIVE_ANYWHERE = re.compile(r"--\s*pgship:", re.IGNORECASE)
# Statements that open or close a transaction (not SAVEPOINT / ROLLBACK TO, which stay inside one).
_TRANSACTION_CONTROL = re.compile(
    r"^(BEGIN|START\s+TRANSACTION|COMMIT|END|ABORT|PREPARE\s+TRANSACTION"
    r"|ROLLBACK(?!\s+(?:TRANSACTION\s+|WORK\s+)?TO\b))\b",
    re.IGNORECASE,
)
# `-- pgship:ignore <rule-id> <reason>` (read by `pgship review`) may stand on any line of its own.
_IGNORE_LINE = re.compile(r"^--\s*pgship:\s*ignore\b(?!-)", re.IGNORECASE)
_REVIEW_DIRECTIVES = ("ignore", "ignore-file")  # `pgship review` reads these; the runner skips them


@dataclass(frozen=True)
class Directives:
    """Settings a file gives itself in its leading comments."""

    no_transaction: bool = False
    lock_timeout_ms: int | None = None
    statement_timeout_ms: int | None = None

    def describe(self) -> list[str]:
        out = ["no-transaction"] if self.no_transaction else []
        if self.lock_timeout_ms is not None:
            out.append(f"lock-timeout {format_duration_ms(self.lock_timeout_ms)}")
        if self.statement_timeout_ms is not None:
            out.append(f"statement-timeout {format_duration_ms(self.statement_timeout_ms)}")
        return out


@dataclass(frozen=True)
class SqlScript:
    """One SQL file: its text, checksum, directives and statements."""

    path: Path
    sql: str
    checksum: str
    directives: Directives

    @cached_property
    def statements(self) -> list[Statement]:
        return split_statements(self.sql)

    @classmethod
    def load(cls, path: Path) -> SqlScript:
        data, sql = read_sql_bytes(path)
        script = cls(path, sql, hashlib.sha256(data).hexdigest(), parse_directives(path, sql))
        if not script.statements:
            raise MigrationFileError(
                f"{path} holds no SQL statement.",
                hint="Write the change in it, or delete the file.",
            )
        if not script.directives.no_transaction:
            _refuse_transaction_control(script)
        return script


def read_sql_bytes(path: Path, display: str | None = None) -> tuple[bytes, str]:
    """A SQL file's bytes and its text (UTF-8, a BOM allowed); usage errors naming `display`."""
    where = display or str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MigrationFileError(
            f"Cannot read {where}: {exc.strerror}.",
            hint="Check that the file exists and is readable by the user running pgship.",
        ) from None
    try:
        return data, data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise MigrationFileError(
            f"{where}:{line}: the file is not valid UTF-8 (byte 0x{data[exc.start]:02x}).",
            hint="Save it as UTF-8 (e.g. `iconv -f latin1 -t utf-8`).",
        ) from None


def _refuse_transaction_control(script: SqlScript) -> None:
    """BEGIN/COMMIT/ROLLBACK would break out of the transaction pgship runs the file in."""
    for statement in script.statements:
        if _TRANSACTION_CONTROL.match(statement.text):
            raise MigrationFileError(
                f"{script.path}:{statement.line}: {statement.first_line()!r} controls the "
                "transaction, but pgship already runs this file in a transaction of its own.",
                hint="Remove BEGIN/COMMIT/ROLLBACK from the file; if it must manage its own "
                "transactions, mark it `-- pgship:no-transaction` in its leading comments.",
            )


@dataclass(frozen=True)
class Migration:
    """A migration file and, when present, its paired rollback."""

    version: int
    version_text: str
    name: str
    script: SqlScript
    rollback: SqlScript | None = field(default=None)

    @property
    def stem(self) -> str:
        return f"{self.version_text}_{self.name}"

    @property
    def path(self) -> Path:
        return self.script.path

    @property
    def checksum(self) -> str:
        return self.script.checksum


def parse_directives(path: Path, sql: str) -> Directives:
    """Directives from the leading comment block; unknown or misplaced ones are errors."""
    values: dict[str, object] = {}
    in_header = True
    for number, line in enumerate(sql.splitlines(), start=1):
        stripped = line.strip()
        if in_header and (not stripped or stripped.startswith("--")):
            match = _DIRECTIVE.match(stripped)
            if match and match.group("name").lower() not in _REVIEW_DIRECTIVES:
                key, value = _directive(path, number, match.group("name"), match.group("arg"))
                values[key] = value
            continue
        in_header = False
        if _DIRECTIVE_ANYWHERE.search(stripped) and not _IGNORE_LINE.match(stripped):
            raise MigrationFileError(
                f"{path}:{number}: a pgship: directive after the first SQL statement has no effect.",
                hint="Move it to the comment block at the top of the file.",
            )
    return Directives(**values)  # type: ignore[arg-type]


def _directive(path: Path, line: int, name: str, arg: str) -> tuple[str, object]:
    where = f"{path}:{line}"
    name = name.lower()
    if name == "no-transaction":
        if arg:
            raise MigrationFileError(f"{where}: pgship:no-transaction takes no value, got {arg!r}.")
        return "no_transaction", True
    if name in ("lock-timeout", "statement-timeout"):
        try:
            return name.replace("-", "_") + "_ms", parse_duration_ms(arg)
        except ValueError as exc:
            raise MigrationFileError(f"{where}: pgship:{name}: {exc}") from None
    raise MigrationFileError(
        f"{where}: unknown directive pgship:{name or arg}.",
        hint="Known directives: -- pgship:no-transaction, -- pgship:lock-timeout 10s, "
        "-- pgship:statement-timeout 30min, -- pgship:ignore <rule-id> <reason>, "
        "-- pgship:ignore-file <rule-id> <reason>.",
    )


def discover_migrations(migrations_dir: Path, rollbacks_dir: Path) -> list[Migration]:
    """Every migration in version order, each with its rollback; the folders are validated."""
    if not migrations_dir.is_dir():
        raise MigrationFileError(
            f"The migrations folder {migrations_dir} does not exist.",
            hint="Create it with your NNN_name.sql files, or point --migrations-dir "
            "(or migrations_dir in pgship.yml) at the right folder.",
        )
    found: dict[int, Path] = {}
    for path in sorted(migrations_dir.glob("*.sql")):
        version = _version_of(path, MIGRATION_NAME, "NNN_name.sql (e.g. 001_create_users.sql)")
        if version in found:
            raise MigrationFileError(
                f"Two migrations have version {version}: {found[version]} and {path}.",
                hint="Give one of them the next free number.",
            )
        found[version] = path
    if not found:
        raise MigrationFileError(
            f"The migrations folder {migrations_dir} holds no .sql file.",
            hint="Add migrations named NNN_name.sql (e.g. 001_create_users.sql).",
        )
    rollbacks = _discover_rollbacks(rollbacks_dir, found)
    migrations = []
    for version, path in sorted(found.items()):
        match = MIGRATION_NAME.match(path.name)
        assert match is not None
        rollback_path = rollbacks.get(path.stem)
        migrations.append(
            Migration(
                version=version,
                version_text=match.group("version"),
                name=match.group("name"),
                script=SqlScript.load(path),
                rollback=SqlScript.load(rollback_path) if rollback_path else None,
            )
        )
    return migrations


def _discover_rollbacks(rollbacks_dir: Path, migrations: dict[int, Path]) -> dict[str, Path]:
    """Rollback files keyed by the stem of the migration they undo."""
    if not rollbacks_dir.is_dir():
        return {}
    stems = {path.stem for path in migrations.values()}
    result: dict[str, Path] = {}
    for path in sorted(rollbacks_dir.glob("*.sql")):
        stem = path.stem
        if not stem.endswith(ROLLBACK_SUFFIX):
            raise MigrationFileError(
                f"{path} is not named like a rollback.",
                hint="Name it after its migration plus _rollback, e.g. 001_create_users_rollback.sql.",
            )
        target = stem[: -len(ROLLBACK_SUFFIX)]
        if target not in stems:
            version = _version_of(path, MIGRATION_NAME, "NNN_name_rollback.sql")
            twin = migrations.get(version)
            raise MigrationFileError(
                f"{path} is a rollback with no migration: there is no "
                f"{migrations_dir_name(migrations)}/{target}.sql.",
                hint=f"Rename it to {twin.stem}{ROLLBACK_SUFFIX}.sql to pair it with {twin}."
                if twin
                else "Delete it, or restore the migration it undoes.",
            )
        result[target] = path
    return result


def migrations_dir_name(migrations: dict[int, Path]) -> str:
    return str(next(iter(migrations.values())).parent)


def _version_of(path: Path, pattern: re.Pattern[str], expected: str) -> int:
    match = pattern.match(path.name)
    if not match:
        raise MigrationFileError(
            f"{path} is not named like a migration.",
            hint=f"Name it {expected}: the leading digits are its version.",
        )
    version = int(match.group("version"))
    if version > 2**63 - 1:
        raise MigrationFileError(f"{path}: version {match.group('version')} is too large.")
    return version
