"""`pgship review` as a library call: Settings + paths + options -> Report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pgship.review.context import Runner
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
    base: str | None = None,
    assume_runner: str | None = None,
) -> ReviewRun:
    """Review the files named (or every migration and rollback); raises UsageError on bad input.

    `base` (a git ref) keeps only the files changed since it; `assume_runner` ("pgship" or
    "other") says who runs the files, for the rules about lock_timeout.
    """
    where = str(settings.config_file) if settings.config_file else "pgship.yml"
    config = review_config(settings.raw_config.get("review"), where)
    changed = None
    if base is not None:
        from pgship.review.gitdiff import changed_files

        changed = changed_files(base)
    files = files_to_review(paths, settings, changed=changed)
    earlier = earlier_migrations(files, settings) if paths or base is not None else []
    version, source = target_version(pg_version, config.pg_version, settings)
    runner = Runner(assume_runner or config.assume_runner or "pgship", settings.lock_timeout_ms)
    report = review_files(files, version, config.levels, learn_from=earlier, runner=runner)
    report.pg_version_source = source
    if settings.database_url is not None and any(f.target and f.lock for f in report.findings):
        from pgship.db import connect
        from pgship.review.sizes import annotate

        with connect(settings.database_url, application_name="pgship review") as conn:
            report.findings = annotate(report.findings, conn)
    return ReviewRun(report, fail_on or config.fail_on or "error")


def review_files(
    files: list[SqlFile],
    pg_version: int,
    levels: dict[str, str],
    *,
    learn_from: list[SqlFile] | None = None,
    runner: Runner | None = None,
) -> Report:
    """Review `files` in order (what earlier ones establish carries to later ones).

    `learn_from` files are read first, for what they establish (column types, validated
    CHECKs), and their findings are dropped.
    """
    reviewer = Reviewer(pg_version, levels, runner)
    for file in learn_from or []:
        reviewer.learn(file.display, file.text, file.directives)
    reviewer.facts.created.clear()  # what deployed migrations created is not new: see objects.py
    findings = []
    for file in files:
        findings.extend(reviewer.review(file.display, file.text, file.directives, file.project))
    return Report(findings, [file.display for file in files], pg_version, levels=levels)


def earlier_migrations(files: list[SqlFile], settings: Settings) -> list[SqlFile]:
    """The migrations before the first migration among `files`, when they can be read.

    Reviewing only the files a pull request changes must not lose what earlier migrations
    did (e.g. 007 validates a CHECK that lets 008 SET NOT NULL without a scan). When only
    rollbacks are reviewed, every migration is read first (rollbacks run after them).
    """
    from pgship.errors import PgshipError
    from pgship.review.inputs import migration_paths, read_sql_file

    try:
        migrations = migration_paths(settings.migrations_dir)
    except PgshipError:  # a broken folder is `migrate`'s business, not the review's
        return []
    reviewed = {Path(file.display).resolve() for file in files}
    versions = [version for version, path in migrations if path.resolve() in reviewed]
    if versions:
        first = min(versions)
    elif any(file.project.role == "rollback" for file in files):
        first = migrations[-1][0] + 1
    else:
        return []
    learned = []
    for version, path in migrations:
        if version >= first or path.resolve() in reviewed:
            continue
        try:
            learned.append(read_sql_file(path, str(path)))
        except PgshipError:  # unreadable: nothing to learn from it
            continue
    return learned
