"""A failed backup leaves nothing behind, exits non-zero with the reason, and says not to migrate.

Failures: wrong password, an unwritable folder, a full disk, pg_dump killed half-way, pgship
itself cancelled (SIGTERM) half-way.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from backup_testing import files_in
from conftest import PgServer
from pgship_testing import Project
from test_secrets import PASSWORD, WRONG_PASSWORD, PasswordDatabase
from test_secrets import password_database as password_database  # a fixture

MUST_NOT_PROCEED = "the migration must not proceed"
BIG_ROWS = 400_000  # about 25 MB of text: pg_dump takes a second or two


@pytest.fixture(scope="module")
def big_database(pg_server: PgServer) -> str:
    """A database whose dump takes long enough to interrupt (made once for this module)."""
    name = f"backup_big_{secrets.token_hex(3)}"
    with psycopg.connect(pg_server.url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    pg_server.created.append(name)
    url = pg_server.url_for(name)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE big AS SELECT g AS id, md5(g::text) || md5((g + 1)::text) AS payload "
            f"FROM generate_series(1, {BIG_ROWS}) g"
        )
        conn.execute("CREATE TABLE small (id int)")
    return url


def children_named(pid: int, name: str) -> list[int]:
    """Pids of the child processes of `pid` whose command is `name` (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        if ppid == pid and comm == name:
            found.append(int(entry.name))
    return found


def wait_until_dumping(process: subprocess.Popen[str], folder: Path) -> int:
    """The pid of pgship's pg_dump once it has written over 1 MB to its temporary file."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stdout, stderr = process.communicate()
            pytest.fail(f"pgship exited {process.returncode} too early:\n{stdout}{stderr}")
        dumps = children_named(process.pid, "pg_dump")
        partial = [p for p in folder.glob(".*.partial") if p.stat().st_size > 1_000_000]
        if dumps and partial:
            return dumps[0]
        time.sleep(0.005)
    process.kill()
    pytest.fail("pg_dump did not get going within 60s")


def test_pg_dump_killed_half_way_leaves_no_partial_file(big_database: str, tmp_path: Path) -> None:
    process = Project(tmp_path, big_database).run_process("backup", "--compress", "9")
    folder = tmp_path / "backups"
    pg_dump = wait_until_dumping(process, folder)

    os.kill(pg_dump, signal.SIGKILL)
    stdout, stderr = process.communicate(timeout=60)

    assert process.returncode == 1, stdout + stderr
    assert "pg_dump was killed by signal 9 (SIGKILL) before it finished" in stderr
    assert MUST_NOT_PROCEED in stderr
    assert files_in(folder) == []
    assert "complete" not in stdout


def test_cancelled_backup_stops_pg_dump_and_leaves_nothing(
    big_database: str, tmp_path: Path
) -> None:
    """SIGTERM is what a cancelled CI job sends."""
    process = Project(tmp_path, big_database).run_process("backup", "--compress", "9")
    folder = tmp_path / "backups"
    pg_dump = wait_until_dumping(process, folder)

    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=60)

    assert process.returncode == 130, stdout + stderr
    assert MUST_NOT_PROCEED in stderr
    assert files_in(folder) == []
    assert not Path(f"/proc/{pg_dump}").exists()  # pg_dump did not outlive pgship


@contextmanager
def small_filesystem(path: Path, size: str, *, read_only: bool = False) -> Iterator[Path]:
    """A tmpfs of `size` mounted at `path` (needs root)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root")
    path.mkdir()
    options = f"size={size}" + (",ro" if read_only else "")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=False)


def test_disk_full_leaves_no_partial_file(big_database: str, tmp_path: Path) -> None:
    with small_filesystem(tmp_path / "small", "512k") as folder:
        result = Project(tmp_path, big_database).run("backup", "--output-dir", str(folder))

        assert result.exit_code == 1, result.output
        assert "No space left on device" in result.stderr
        assert MUST_NOT_PROCEED in result.stderr
        assert files_in(folder) == []


def test_read_only_folder_is_refused_before_dumping(project: Project, tmp_path: Path) -> None:
    project.execute("CREATE TABLE t (id int)")
    folder = tmp_path / "readonly"
    if os.geteuid() == 0:
        context = small_filesystem(folder, "1m", read_only=True)
    else:
        folder.mkdir()
        folder.chmod(0o555)
        context = contextmanager(lambda: iter([folder]))()
    with context:
        result = project.run("backup", "--output-dir", str(folder))

        assert result.exit_code == 2, result.output
        assert f"Cannot write backups to {folder}" in result.stderr
        assert MUST_NOT_PROCEED in result.stderr
        assert files_in(folder) == []


def test_output_folder_under_a_file_is_refused(project: Project, tmp_path: Path) -> None:
    (tmp_path / "not-a-folder").write_text("")

    result = project.run("backup", "--output-dir", str(tmp_path / "not-a-folder" / "backups"))

    assert result.exit_code == 2, result.output
    assert "Cannot write backups to" in result.stderr
    assert "Not a directory" in result.stderr
    assert MUST_NOT_PROCEED in result.stderr


def test_pg_dump_error_is_reported_and_folders_made_for_the_backup_are_removed(
    project: Project, pg_server: PgServer, tmp_path: Path
) -> None:
    if pg_server.binaries is None:
        pytest.skip("needs the server's own PostgreSQL programs")
    project.execute("CREATE TABLE t (id int)")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("pg_dump", "pg_restore"):
        real = pg_server.binaries.tool(name)
        script = bin_dir / name
        script.write_text(  # answers --version like the real one, fails at anything else
            "#!/bin/sh\n"
            f'[ "$1" = "--version" ] && exec {real} --version\n'
            'echo "pg_dump: error: query failed: simulated failure" >&2\n'
            "exit 1\n"
        )
        script.chmod(0o755)
    folder = tmp_path / "new" / "backups"

    result = project.run("backup", "--output-dir", str(folder), "--pg-bin-dir", str(bin_dir))

    assert result.exit_code == 1, result.output
    assert "pg_dump failed (exit code 1)" in result.stderr
    assert "simulated failure" in result.stderr
    assert MUST_NOT_PROCEED in result.stderr
    assert not (tmp_path / "new").exists()


def test_wrong_password_makes_no_backup_and_prints_neither_password(
    project: Project, password_database: PasswordDatabase
) -> None:
    result = project.run("backup", env={"DATABASE_URL": password_database.url(WRONG_PASSWORD)})

    assert result.exit_code == 2, result.output
    assert "rejected the credentials" in result.stderr
    assert MUST_NOT_PROCEED in result.stderr
    assert PASSWORD not in result.output and WRONG_PASSWORD not in result.output
    assert files_in(project.root / "backups") == []


def _recording_wrapper(folder: Path, program: Path, log: Path) -> None:
    """`folder/<name>`: records its arguments and whether PGPASSWORD is set, then runs `program`."""
    folder.mkdir(exist_ok=True)
    wrapper = folder / program.name
    wrapper.write_text(
        "#!/bin/sh\n"
        f'echo "args: $*" >> {log}\n'
        f'[ -n "$PGPASSWORD" ] && echo "PGPASSWORD set" >> {log}\n'
        f'exec {program} "$@"\n'
    )
    wrapper.chmod(0o755)


def test_right_password_reaches_pg_dump_in_the_environment_only(
    project: Project, password_database: PasswordDatabase, pg_server: PgServer, tmp_path: Path
) -> None:
    if pg_server.binaries is None:
        pytest.skip("needs the server's own PostgreSQL programs")
    url = password_database.url(PASSWORD)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE notes AS SELECT g AS id FROM generate_series(1, 10) g")
    log = tmp_path / "calls.log"
    bin_dir = tmp_path / "bin"
    for name in ("pg_dump", "pg_restore"):
        _recording_wrapper(bin_dir, pg_server.binaries.tool(name), log)

    result = project.run("backup", "--pg-bin-dir", str(bin_dir), env={"DATABASE_URL": url})

    assert result.exit_code == 0, result.output
    calls = log.read_text()
    assert "args: " in calls and "--snapshot=" in calls
    assert "PGPASSWORD set" in calls
    assert PASSWORD not in calls
    assert PASSWORD not in result.output
    manifests = list((project.root / "backups").glob("*.manifest.json"))
    assert len(manifests) == 1
    assert PASSWORD not in manifests[0].read_text()
    assert '"public.notes"' in manifests[0].read_text()
