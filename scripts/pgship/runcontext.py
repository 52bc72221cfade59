"""Who is running pgship and from where: the GitHub Actions context, or the local user."""

from __future__ import annotations

import getpass
import os
import socket
from dataclasses import dataclass


@dataclass(frozen=True)
class RunContext:
    """Recorded with every history row and event; also names the run in `application_name`."""

    applied_by: str
    run_url: str | None = None
    commit_sha: str | None = None
    actor: str | None = None
    environment: str | None = None
    backup_id: str | None = None

    @classmethod
    def from_environment(
        cls, environment: str | None = None, env: dict[str, str] | None = None
    ) -> RunContext:
        environ = os.environ if env is None else env
        run_url = None
        if environ.get("GITHUB_RUN_ID") and environ.get("GITHUB_REPOSITORY"):
            server = environ.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
            run_url = (
                f"{server}/{environ['GITHUB_REPOSITORY']}/actions/runs/{environ['GITHUB_RUN_ID']}"
            )
        actor = environ.get("GITHUB_ACTOR") or None
        return cls(
            applied_by=actor or _local_user(),
            run_url=run_url,
            commit_sha=environ.get("GITHUB_SHA") or None,
            actor=actor,
            environment=environment or environ.get("PGSHIP_ENVIRONMENT") or None,
            backup_id=environ.get("PGSHIP_BACKUP_ID") or None,
        )

    def application_name(self, command: str) -> str:
        """At most 63 bytes (PostgreSQL's limit), naming the run so a waiting runner can say who."""
        if self.run_url:
            label = self.run_url.split("://", 1)[-1].replace("/actions/runs/", " run ")
        else:
            label = f"{self.applied_by} pid {os.getpid()}"
        name = f"pgship {command} {label}"
        return name if len(name) <= 63 else "pgship " + name[-(63 - 7) :]


def _local_user() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"
