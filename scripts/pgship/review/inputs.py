"""Which files `pgship review` reads, and reading them.

With no paths, the review reads every migration (in version order) and then every file of
the rollbacks folder (in the order of their migrations). Unlike `migrate`, it does not stop
at a rollback without a migration: that is a finding (`rollback-without-migration`), so that
the pull request shows it where it is. Each file gets a `ProjectFile`: whether it is a
migration or a rollback, and whether its pair exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pgship.errors import MigrationFileError, UsageError
from pgship.migrations.files import (
    MIGRATION_NAME,
    ROLLBACK_SUFFIX,
    Directives,
    parse_directives,
    read_sql_bytes,
)
from pgship.review.context import ProjectFile

if TYPE_CHECKING:
    from pgship.config import Settings


@dataclass(frozen=True)
class SqlFile:
    """A file to review: how to show its path, its text and its directives."""

    display: str
    text: str
    directives: Directives
    project: ProjectFile = field(default_factory=ProjectFile)


def files_to_review(
    paths: tuple[str, ...], settings: Settings, *, changed: set[Path] | None = None
) -> list[SqlFile]:
    """The files named (folders give their *.sql files), or every migration and rollback.

    `changed` (resolved paths, from `pgship review --base`) keeps only those files, and the
    rollbacks that deleted migrations in it leave behind.
    """
    layout = Layout(settings)
    candidates: list[tuple[Path, str]] = []
    if not paths:
        candidates = [(path, str(path)) for path in project_paths(settings)]
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found = sorted(path.glob("*.sql"))
            if not found:
                raise UsageError(f"The folder {name} holds no .sql file to review.")
            candidates.extend((p, str(p)) for p in found)
        elif path.exists():
            candidates.append((path, name))
        else:
            raise UsageError(
                f"{name} does not exist.",
                hint="Name SQL files or folders to review, or give no path to review "
                "every migration (--migrations-dir).",
            )
    if changed is not None:
        keep = changed | layout.left_behind(changed)
        candidates = [(path, name) for path, name in candidates if _resolved(path) in keep]
    return [layout.read(path, name) for path, name in candidates]


def migration_paths(migrations_dir: Path) -> list[tuple[int, Path]]:
    """(version, path) of every migration, in version order; checked like `migrate` does."""
    if not migrations_dir.is_dir():
        raise MigrationFileError(
            f"The migrations folder {migrations_dir} does not exist.",
            hint="Create it with your NNN_name.sql files, or point --migrations-dir "
            "(or migrations_dir in pgship.yml) at the right folder.",
        )
    found: dict[int, Path] = {}
    for path in sorted(migrations_dir.glob("*.sql")):
        match = MIGRATION_NAME.match(path.name)
        if match is None:
            raise MigrationFileError(
                f"{path} is not named like a migration.",
                hint="Name it NNN_name.sql (e.g. 001_create_users.sql): the leading digits "
                "are its version.",
            )
        version = int(match.group("version"))
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
    return sorted(found.items())


def project_paths(settings: Settings) -> list[Path]:
    """Every migration in version order, then the rollbacks folder's files in that order.

    Rollbacks that pair with no migration come last, so that the review reports them rather
    than stopping at them.
    """
    migrations = [path for _, path in migration_paths(settings.migrations_dir)]
    rollbacks_dir = settings.rollbacks_dir
    rollbacks = sorted(rollbacks_dir.glob("*.sql")) if rollbacks_dir.is_dir() else []
    order = {f"{path.stem}{ROLLBACK_SUFFIX}": index for index, path in enumerate(migrations)}
    rollbacks.sort(key=lambda path: (order.get(path.stem, len(order)), path.name))
    return migrations + rollbacks


class Layout:
    """Where the migrations and rollbacks folders are, to tell what role a file plays."""

    def __init__(self, settings: Settings) -> None:
        self.migrations_dir = settings.migrations_dir
        self.rollbacks_dir = settings.rollbacks_dir
        self._migrations = _resolved(self.migrations_dir)
        self._rollbacks = _resolved(self.rollbacks_dir)

    def read(self, path: Path, display: str) -> SqlFile:
        file = read_sql_file(path, display)
        return SqlFile(file.display, file.text, file.directives, self.project_file(path))

    def project_file(self, path: Path) -> ProjectFile:
        """A migration (in the migrations folder, named NNN_name.sql), a rollback, or neither."""
        folder = _resolved(path.parent)
        stem = path.stem
        in_rollbacks = folder is not None and folder == self._rollbacks
        if in_rollbacks and not stem.endswith(ROLLBACK_SUFFIX) and folder != self._migrations:
            return ProjectFile("rollback", None, pair_exists=False)
        if in_rollbacks and stem.endswith(ROLLBACK_SUFFIX):
            target = stem[: -len(ROLLBACK_SUFFIX)]
            migration = self.migrations_dir / f"{target}.sql"
            exists = migration.is_file()
            twin = None if exists else self._twin(target)
            return ProjectFile("rollback", str(migration), exists, twin)
        if stem.endswith(ROLLBACK_SUFFIX):  # a rollback outside the project's folder
            return ProjectFile("rollback")
        if folder is not None and folder == self._migrations and MIGRATION_NAME.match(path.name):
            if not self.rollbacks_dir.is_dir():  # the project keeps no rollbacks
                return ProjectFile("migration")
            rollback = self.rollbacks_dir / f"{stem}{ROLLBACK_SUFFIX}.sql"
            return ProjectFile("migration", str(rollback), rollback.is_file())
        return ProjectFile()

    def left_behind(self, changed: set[Path]) -> set[Path]:
        """The rollbacks of the deleted migrations among `changed` (resolved paths)."""
        found = set()
        for path in changed:
            if path.parent == self._migrations and not path.exists():
                rollback = self.rollbacks_dir / f"{path.stem}{ROLLBACK_SUFFIX}.sql"
                if rollback.is_file():
                    found.add(rollback.resolve())
        return found

    def _twin(self, stem: str) -> str | None:
        """The migration with the version an unpaired rollback's name starts with."""
        match = MIGRATION_NAME.match(f"{stem}.sql")
        if match is None or not self.migrations_dir.is_dir():
            return None
        version = int(match.group("version"))
        for path in sorted(self.migrations_dir.glob("*.sql")):
            found = MIGRATION_NAME.match(path.name)
            if found is not None and int(found.group("version")) == version:
                return str(path)
        return None


def _resolved(path: Path) -> Path | None:
    try:
        return path.resolve()
    except OSError:
        return None


def read_sql_file(path: Path, display: str) -> SqlFile:
    """The file's text (UTF-8, a BOM allowed) and directives; usage errors otherwise."""
    _, text = read_sql_bytes(path, display)
    return SqlFile(display, text, parse_directives(Path(display), text))
