"""Errors that pgship reports to users; each one says what to do next.

Exit codes: 1 means the job found a problem (a failed migration, drift), 2 means a usage,
configuration or connection error. Only `cli.py` turns these into messages and exit codes.
"""

from __future__ import annotations

from typing import Any


class PgshipError(Exception):
    """Base class: a message for the user and the exit code that goes with it."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n{self.hint}"


class UsageError(PgshipError):
    """Bad input: a missing file, a malformed option, an unknown directive."""


class ConfigError(UsageError):
    """pgship.yml or an environment variable holds a value pgship cannot use."""


class MigrationFileError(UsageError):
    """The migrations folder or one of its files cannot be used as it is."""


class DatabaseConnectionError(PgshipError):
    """The database cannot be reached or refuses the credentials."""


class EmbeddedPostgresError(PgshipError):
    """The embedded throwaway PostgreSQL cannot be found or started."""


class ProblemFound(PgshipError):
    """The job ran and found a problem (exit 1)."""

    exit_code = 1


class MigrationFailed(ProblemFound):
    """A migration or rollback script failed; nothing of a transactional one was kept."""

    def __init__(self, message: str, *, hint: str | None = None, failure: Any = None) -> None:
        super().__init__(message, hint=hint)
        self.failure = failure  # pgship.migrations.history.Failure: where and why


class ChecksumDrift(ProblemFound):
    """An applied migration's file no longer matches what was applied."""


class HistoryConflict(ProblemFound):
    """The history table and the files disagree in a way that needs a person to decide."""


class LockWaitTimeout(ProblemFound):
    """Another pgship run held the migration lock for longer than --lock-wait."""


class ConfirmationRefused(ProblemFound):
    """`pgship confirm` got no value, or not exactly the expected word: nothing may run."""


class NotificationFailed(ProblemFound):
    """Slack did not take a message (an error only with `pgship notify --strict`)."""


class CommentFailed(ProblemFound):
    """GitHub did not take the pull-request comment (an error only with `pgship comment --strict`)."""


class BackupFailed(ProblemFound):
    """pg_dump did not produce a complete backup; nothing of it was kept."""


class BackupVerificationFailed(ProblemFound):
    """A backup's archive does not match its manifest, cannot be read, or does not restore."""


class RestoreFailed(ProblemFound):
    """pg_restore failed, or the restored database does not match the backup's manifest."""
