"""Shared pytest harness: one real PostgreSQL server per session, one fresh database per test.

Set TEST_DATABASE_URL to use an existing server (its role must be allowed to CREATE DATABASE);
otherwise an embedded throwaway server is started for the session. Databases are not dropped after
each test (on these machines DROP DATABASE slows later table creation for minutes); on an external
server they are dropped at session end, and an embedded server is simply thrown away.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import psycopg
import pytest
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))  # test the work tree

from pgship.embedded import EmbeddedPostgres, PostgresBinaries, find_postgres_binaries
from pgship.errors import EmbeddedPostgresError
from pgship_testing import Project

MAX_IDENTIFIER = 63  # PostgreSQL's NAMEDATALEN - 1


@dataclass
class PgServer:
    """The session's server: `url` is its `postgres` database, `url_for(name)` any other one."""

    url: str
    binaries: PostgresBinaries | None
    created: list[str] = field(default_factory=list)

    def url_for(self, dbname: str) -> str:
        return _with_dbname(self.url, dbname)


def _with_dbname(url: str, dbname: str) -> str:
    """The same connection with another database: a URL stays a URL, key=value stays key=value."""
    parts = urlsplit(url)
    if parts.scheme in ("postgres", "postgresql") and "dbname=" not in parts.query:
        return parts._replace(path="/" + quote(dbname, safe="")).geturl()
    return psycopg.conninfo.make_conninfo(url, dbname=dbname)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    external = os.environ.get("TEST_DATABASE_URL")
    if not external:
        with EmbeddedPostgres() as embedded:
            yield PgServer(embedded.url, embedded.binaries)
        return
    try:
        binaries: PostgresBinaries | None = find_postgres_binaries()
    except EmbeddedPostgresError:
        binaries = None
    server = PgServer(external, binaries)
    yield server
    with psycopg.connect(server.url, autocommit=True) as conn:
        force = sql.SQL(" WITH (FORCE)" if conn.info.server_version >= 130000 else "")
        for name in server.created:
            drop = sql.SQL("DROP DATABASE IF EXISTS {}{}").format(sql.Identifier(name), force)
            conn.execute(drop)


@pytest.fixture(scope="session")
def pg_major(pg_server: PgServer) -> int:
    with psycopg.connect(pg_server.url) as conn:
        row = conn.execute("SHOW server_version_num").fetchone()
    assert row is not None
    return int(row[0]) // 10000


@pytest.fixture
def make_database(pg_server: PgServer, request: pytest.FixtureRequest) -> Callable[..., str]:
    """Factory: make_database(prefix="t") creates a fresh, unique database and returns its URL."""
    test_name = re.sub(r"[^a-z0-9]+", "_", request.node.name.lower()).strip("_")

    def make(prefix: str = "t") -> str:
        suffix = secrets.token_hex(3)
        name = f"{prefix}_{test_name}"[: MAX_IDENTIFIER - len(suffix) - 1] + f"_{suffix}"
        with psycopg.connect(pg_server.url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        pg_server.created.append(name)
        return pg_server.url_for(name)

    return make


@pytest.fixture
def db_url(make_database: Callable[..., str]) -> str:
    """URL of a fresh database for this test."""
    return make_database()


@pytest.fixture
def project(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Project:
    """An empty user repository in a temp folder (the working directory) and a fresh database."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("PGSHIP_", "GITHUB_")) or name in ("DATABASE_URL", "PGOPTIONS"):
            monkeypatch.delenv(name)
    return Project(tmp_path, db_url)
