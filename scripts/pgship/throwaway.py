"""Fresh databases to test on: on the server of a given URL, or on an embedded throwaway server."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from psycopg import sql

from pgship.conninfo import DatabaseUrl, parse_database_url
from pgship.db import connect
from pgship.embedded import EmbeddedPostgres, PostgresBinaries


@dataclass
class Throwaway:
    """The server pgship tests on; makes fresh databases and remembers them for clean-up."""

    server_url: DatabaseUrl
    description: str
    binaries: PostgresBinaries | None = None
    created: list[str] = field(default_factory=list)

    def create_database(self, prefix: str = "pgship_test") -> DatabaseUrl:
        name = f"{prefix}_{secrets.token_hex(4)}"
        with connect(self.server_url, application_name="pgship test") as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self.created.append(name)
        return self.server_url.with_dbname(name)

    def drop_created(self) -> None:
        """Drop every database made here (terminating leftover sessions)."""
        with connect(self.server_url, application_name="pgship test cleanup") as conn:
            force = " WITH (FORCE)" if conn.info.server_version >= 130000 else ""
            for name in reversed(self.created):
                statement = sql.SQL("DROP DATABASE IF EXISTS {}" + force)
                conn.execute(statement.format(sql.Identifier(name)))
        self.created.clear()


@contextmanager
def throwaway_server(
    url: DatabaseUrl | None, *, keep: bool = False, log: Callable[[str], None] = lambda _: None
) -> Iterator[Throwaway]:
    """The server of `url` (databases dropped at the end unless `keep`), else an embedded one.

    Clean-up also runs on failure and Ctrl-C. With `keep` on an embedded server, the server is
    left running and the command that stops it is logged.
    """
    if url is not None:
        server = Throwaway(url, f"{url.display()} (fresh databases)")
        try:
            yield server
        finally:
            if keep:
                log(f"Kept test database(s): {', '.join(server.created)}")
            else:
                server.drop_created()
        return
    embedded = EmbeddedPostgres()
    log(f"Starting an embedded PostgreSQL {embedded.binaries.major} ...")
    embedded.start()
    try:
        yield Throwaway(
            parse_database_url(embedded.url),
            f"embedded PostgreSQL {embedded.binaries.major} (throwaway)",
            embedded.binaries,
        )
    finally:
        if keep:
            stop = embedded.detach()
            log(f"Kept the embedded server at {embedded.url}; stop it with: {stop}")
        else:
            embedded.stop()
