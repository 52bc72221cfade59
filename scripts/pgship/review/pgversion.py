"""The PostgreSQL major version the review targets."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pgship.config import Settings

DEFAULT_PG_VERSION = 15


def target_version(
    option: int | None, configured: int | None, settings: Settings
) -> tuple[int, str]:
    """(major, where it came from): --pg-version, pgship.yml, the server, else the default."""
    if option is not None:
        return option, "--pg-version"
    if configured is not None:
        return configured, "pgship.yml"
    if settings.database_url is not None:
        from pgship.db import connect, server_version_num

        with connect(settings.database_url, application_name="pgship review") as conn:
            number = server_version_num(conn)
        return number // 10000, "server"  # 150018 -> 15, 90624 -> 9
    return DEFAULT_PG_VERSION, "default"
