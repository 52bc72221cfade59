"""Who is running pgship and from where: the GitHub Actions context, or the local user."""

from __future__ import annotations

import getpass
import json
import os
import socket
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RunContext:
    """Recorded with every history row and event; also names the run in `application_name`."""

    applied_by: str
    run_url: str | None = None
    commit_sha: str | None = None
    actor: str | None = None
    environment: str | None = None
    backup_id: str | None = None
    confirmed_by: str | None = None  # who typed the confirmation word (`pgship confirm`)

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
        environment = environment or environ.get("PGSHIP_ENVIRONMENT") or None
        return cls(
            applied_by=actor or _local_user(),
            run_url=run_url,
            commit_sha=environ.get("GITHUB_SHA") or None,
            actor=actor,
            environment=environment,
            backup_id=environ.get("PGSHIP_BACKUP_ID") or None,
            confirmed_by=_confirmed_by(environ, run_url, environment),
        )

    def application_name(self, command: str) -> str:
        """At most 63 bytes (PostgreSQL's limit), naming the run so a waiting runner can say who."""
        if self.run_url:
            label = self.run_url.split("://", 1)[-1].replace("/actions/runs/", " run ")
        else:
            label = f"{self.applied_by} pid {os.getpid()}"
        name = f"pgship {command} {label}"
        return name if len(name) <= 63 else "pgship " + name[-(63 - 7) :]


def _confirmed_by(environ: Any, run_url: str | None, environment: str | None) -> str | None:
    """PGSHIP_CONFIRMED_BY, else the actor in the record `pgship confirm --record` wrote.

    The record is found through PGSHIP_CONFIRM_RECORD (the same variable `confirm` writes to).
    A record of another run or environment (a leftover on a self-hosted runner) does not count,
    and an unreadable one is ignored: it is audit information and must not stop a migration.
    """
    value = environ.get("PGSHIP_CONFIRMED_BY")
    if value:
        return str(value)
    record = environ.get("PGSHIP_CONFIRM_RECORD")
    if not record:
        return None
    try:
        with open(record, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not data.get("required", True):
        return None
    for key, current in (("run_url", run_url), ("environment", environment)):
        if data.get(key) and current and data[key] != current:
            return None
    actor = data.get("actor")
    return str(actor) if actor else None


def _local_user() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"
