"""`pgship review` as a library call: Settings + paths + options -> Report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pgship.review.engine import Report, Reviewer
from pgship.review.inputs import SqlFile, files_to_review
from pgship.review.options import review_config
from pgship.review.pgversion import target_version

if TYPE_CHECKING:
    from pgship.config import Settings


@dataclass(frozen=True)
class ReviewRun:
    report: Report
    fail_on: str


def run_review(
    settings: Settings,
    paths: tuple[str, ...] = (),
    *,
    pg_version: int | None = None,
    fail_on: str | None = None,
) -> ReviewRun:
    """Review the files named (or every migration and rollback); raises UsageError on bad input."""
    where = str(settings.config_file) if settings.config_file else "pgship.yml"
    config = review_config(settings.raw_config.get("review"), where)
    files = files_to_review(paths, settings)
    earlier = earlier_migrations(files, settings) if paths else []
    version, source = target_version(pg_version, config.pg_version, settings)
    report = review_files(files, version, config.levels, learn_from=earlier)
    report.pg_version_source = source
    return ReviewRun(report, fail_on or config.fail_on or "error")


def review_files(
    files: list[SqlFile],
    pg_version: int,
    levels: dict[str, str],
    *,
    learn_from: list[SqlFile] | None = None,
) -> Report:
    """Review `files` in order (what earlier ones establish carries to later ones).

    `learn_from` files are read first, for what they establish (column types, validated
    CHECKs), and their findings are dropped.
    """
    reviewer = Reviewer(pg_version, levels)
    for file in learn_from or []:
        reviewer.review(file.display, file.text, file.directives)
    findings = []
    for file in files:
        findings.extend(reviewer.review(file.display, file.text, file.directives))
    return Report(findings, [file.display for file in files], pg_version, levels=levels)


def earlier_migrations(files: list[SqlFile], settings: Settings) -> list[SqlFile]:
    """The migrations before the first migration among `files`, when they can be read.

    Reviewing only the files a pull request changes must not lose what earlier migrations
    did (e.g. 007 validates a CHECK that lets 008 SET NOT NULL without a scan).
    """
    from pgship.errors import PgshipError
    from pgship.migrations.files import discover_migrations

    if not settings.migrations_dir.is_dir():
        return []
    try:
        migrations = discover_migrations(settings.migrations_dir, settings.rollbacks_dir)
    except PgshipError:  # a broken folder is `migrate`'s business, not the review's
        return []
    reviewed = {Path(file.display).resolve() for file in files}
    versions = [m.version for m in migrations if m.path.resolve() in reviewed]
    if not versions:
        return []
    first = min(versions)
    return [
        SqlFile(str(m.path), m.script.sql, m.script.directives)
        for m in migrations
        if m.version < first
    ]
