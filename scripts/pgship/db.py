"""Connections to the target database, with errors that say what went wrong and how to fix it."""

from __future__ import annotations

from typing import Any

import psycopg

from pgship.conninfo import DatabaseUrl
from pgship.errors import DatabaseConnectionError

Connection = psycopg.Connection[Any]


def connect(
    url: DatabaseUrl, *, application_name: str = "pgship", connect_timeout: int = 10
) -> Connection:
    """An autocommit connection; transactions are opened explicitly with `conn.transaction()`."""
    try:
        return psycopg.connect(
            url.conninfo(),
            autocommit=True,
            application_name=application_name,
            connect_timeout=connect_timeout,
        )
    except psycopg.OperationalError as exc:
        message, hint = _explain(url, url.redact(str(exc).strip()))
        raise DatabaseConnectionError(message, hint=hint) from None


def _explain(url: DatabaseUrl, message: str) -> tuple[str, str]:
    """A message and a hint for a failed connection attempt."""
    where = url.display()
    lowered = message.lower()
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        return (
            f"Cannot connect to {where}: the server rejected the credentials.",
            "Check the user and password in --database-url / DATABASE_URL "
            "(in GitHub Actions, the secret that holds it).",
        )
    if "does not exist" in lowered and "database" in lowered:
        return (
            f"Cannot connect to {where}: database {url.dbname!r} does not exist.",
            f"Create it first (createdb {url.dbname}) or fix the database name in the URL.",
        )
    return (
        f"Cannot connect to {where}: {message}",
        "Check that the server is running and reachable from here, and that host and port "
        "in --database-url / DATABASE_URL are right.",
    )


def server_version_num(conn: Connection) -> int:
    """e.g. 150018 for PostgreSQL 15.18."""
    return int(conn.info.server_version)
