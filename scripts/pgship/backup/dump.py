"""`pgship backup`: one pg_dump run, proven complete before it is called a backup.

1. Connect, pick a pg_dump at least as new as the server (and the pg_restore that reads it).
2. Check the output folder can be written to, before anything is dumped.
3. Open a repeatable-read transaction and export its snapshot; start pg_dump with --snapshot.
   While it runs, count every table's rows, read the migration head and fingerprint the schema in
   that same transaction: the counts describe exactly the rows in the archive.
4. Once pg_dump exits 0: checksum the archive, read it back with `pg_restore --list` and check it
   holds the data of every counted table; then rename it to its final name and write the
   manifest beside it (written last: a manifest on disk means a finished, checked backup).

Any failure, Ctrl-C or SIGTERM removes what was written (the archive is only ever written under a
temporary name), and the caller reports that the migration must not proceed.
"""

from __future__ import annotations

import collections
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType, TracebackType
from typing import IO, Any

import psycopg
from psycopg import IsolationLevel

from pgship.backup import catalog
from pgship.backup.archive import read_contents
from pgship.backup.clients import (
    ClientProgram,
    client_dbname,
    client_env,
    find_client,
    major_of,
)
from pgship.backup.manifest import (
    ARCHIVE_SUFFIX,
    MANIFEST_SUFFIX,
    MANIFEST_VERSION,
    backup_id,
    checksum,
    fsync_dir,
    write_json_atomically,
)
from pgship.backup.options import BackupOptions
from pgship.backup.prune import prune
from pgship.backup.units import human_size, seconds
from pgship.config import Settings
from pgship.conninfo import DatabaseUrl
from pgship.db import Connection, connect
from pgship.errors import BackupFailed, UsageError
from pgship.fingerprint import fingerprint_digest, take_fingerprint
from pgship.runcontext import RunContext

Log = Callable[[str], None]

TICK_SECONDS = 15.0  # how often a long dump reports how much it has written
_TABLE_LINE = re.compile(r'^pg_dump: dumping contents of table "(.*)"$')


@dataclass
class BackupResult:
    id: str
    archive: Path
    manifest_path: Path
    manifest: dict[str, Any]
    pruned: list[str] = field(default_factory=list)


def create_backup(settings: Settings, options: BackupOptions, *, log: Log) -> BackupResult:
    """Dump the database of `settings` into options.output_dir; see the module docstring."""
    url = settings.require_database_url()
    try:
        return _create_backup(settings, url, options, log)
    except psycopg.Error as exc:
        raise BackupFailed(
            f"Database error during the backup: {url.redact(str(exc).strip())}"
        ) from None


def _create_backup(
    settings: Settings, url: DatabaseUrl, options: BackupOptions, log: Log
) -> BackupResult:
    progress: Log = (lambda _: None) if options.quiet else log
    context = RunContext.from_environment(settings.environment)
    started_at = datetime.now(UTC)
    started = time.monotonic()
    with (
        _sigterm_as_interrupt(),
        connect(url, application_name=context.application_name("backup")) as conn,
    ):
        version_num, version = catalog.server_version(conn)
        major = major_of(version_num)
        pg_dump = find_client(
            "pg_dump",
            minimum=major,
            bin_dir=options.pg_bin_dir,
            purpose=f"to back up PostgreSQL {major} ({url.display()})",
        )
        _check_compress(options.compress, pg_dump)
        pg_restore = find_client(
            "pg_restore",
            minimum=pg_dump.major,
            prefer=pg_dump.major,
            bin_dir=options.pg_bin_dir,
            purpose=f"to read back what pg_dump {pg_dump.major} writes",
        )
        with Staging(options.output_dir, options.format) as staging:
            _warn_if_space_is_short(conn, options.output_dir, progress)
            conn.isolation_level = IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            with conn.transaction(force_rollback=True):
                snapshot = _scalar(conn, "SELECT pg_export_snapshot()")
                tables = catalog.list_tables(conn)
                head, head_name = catalog.migration_head(conn)
                staging.reserve(backup_id(url.dbname, settings.environment, started_at, head))
                progress(
                    f"Backing up {url.display()} (PostgreSQL {version}, migration head "
                    f"{head_name or 'none'}) with {pg_dump.describe()}"
                )
                progress(f"Writing {staging.final_archive} ...")
                dump = DumpProcess(pg_dump, url, snapshot, staging.partial_archive, options)
                dump.start(len(tables), progress)
                try:
                    dump.wait_for_locks()
                    # pg_dump is the long pole: count beside it with one process, not a pack
                    # of parallel workers competing with it for CPU, and without JIT compiling.
                    conn.execute(
                        "SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL jit = off"
                    )
                    counts = catalog.count_rows(conn, [t for t in tables if t.extension is None])
                    fingerprint = take_fingerprint(conn)
                    roles = catalog.referenced_roles(conn)
                    large_objects = catalog.count_large_objects(conn)
                    dump.wait(progress)
                finally:
                    dump.stop()
            dump.raise_for_failure(url)
            progress(f"pg_dump finished in {seconds(dump.duration_ms)}; checking the archive ...")
            summed = checksum(staging.partial_archive)
            _check_archive(pg_restore, staging.partial_archive, tables)
            manifest: dict[str, Any] = {
                "pgship_manifest": MANIFEST_VERSION,
                "id": staging.id,
                "archive": staging.final_archive.name,
                "format": options.format,
                "compress": options.compress,
                "jobs": options.jobs,
                "size": summed.size,
                "sha256": summed.sha256,
                **({"files": summed.files} if summed.files is not None else {}),
                "created_at": started_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
                "duration_ms": 0,  # set just before writing
                "dump_ms": dump.duration_ms,
                "database": url.dbname,
                "server": url.display(),
                "environment": settings.environment,
                "server_version": version,
                "server_version_num": version_num,
                "pg_dump_version": pg_dump.version,
                "pg_dump_major": pg_dump.major,
                "snapshot": snapshot,
                "migration_head": head,
                "migration_head_name": head_name,
                "tables": [
                    {
                        "table": t.qualified,
                        "schema": t.schema,
                        "name": t.name,
                        "rows": counts.get(t.qualified),
                        **({"extension": t.extension} if t.extension else {}),
                    }
                    for t in tables
                ],
                "total_rows": sum(counts.values()),
                "large_objects": large_objects,
                "roles": roles,
                "fingerprint_digest": fingerprint_digest(fingerprint),
                "fingerprint": fingerprint,
                "run": {
                    "applied_by": context.applied_by,
                    "run_url": context.run_url,
                    "commit_sha": context.commit_sha,
                },
            }
            manifest["duration_ms"] = round((time.monotonic() - started) * 1000)
            staging.commit(manifest)
    result = BackupResult(staging.id, staging.final_archive, staging.final_manifest, manifest)
    if options.keep:
        result.pruned = prune(
            options.output_dir,
            keep=options.keep,
            database=url.dbname,
            environment=settings.environment,
            log=log,
        )
    return result


def _scalar(conn: Connection, query: str) -> str:
    row = conn.execute(query).fetchone()
    assert row is not None
    return str(row[0])


def _check_compress(compress: str | None, pg_dump: ClientProgram) -> None:
    """Methods (gzip:6, lz4, zstd:3) are pg_dump 16+; older ones take a level 0-9 only."""
    if compress is None or compress.isdigit() or pg_dump.major >= 16:
        return
    raise UsageError(
        f"--compress {compress} needs pg_dump 16 or newer; {pg_dump.describe()} takes a "
        "compression level 0-9 only.",
        hint="Use a level (e.g. --compress 6), or install the PostgreSQL 16+ clients and point "
        "--pg-bin-dir at them.",
    )


def _warn_if_space_is_short(conn: Connection, output_dir: Path, log: Log) -> None:
    """A warning (not an error: dumps are usually much smaller than the database)."""
    size = int(_scalar(conn, "SELECT pg_database_size(current_database())"))
    free = shutil.disk_usage(output_dir).free
    if free < size // 4:
        log(
            f"warning: {output_dir} has {human_size(free)} free and the database takes "
            f"{human_size(size)}; the dump may not fit."
        )


def _check_archive(pg_restore: ClientProgram, archive: Path, tables: list[catalog.Table]) -> None:
    """pg_restore can read it, and it holds the data of exactly the tables counted."""
    contents, error = read_contents(pg_restore, archive)
    if contents is None:
        raise BackupFailed(f"pg_restore cannot read the archive pg_dump wrote: {error}")
    missing, unexpected = contents.match_tables({f"{t.schema} {t.name}" for t in tables})
    if missing or unexpected:
        raise BackupFailed(
            "The archive does not hold the tables counted in the same snapshot: "
            f"without data: {', '.join(missing) or 'none'}; not counted: "
            f"{', '.join(unexpected) or 'none'}."
        )


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM (a cancelled CI job) into KeyboardInterrupt, so clean-up code runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class Staging:
    """The output folder during a backup: temporary names until commit, clean-up otherwise."""

    def __init__(self, output_dir: Path, fmt: str) -> None:
        self.output_dir = output_dir
        self.suffix = ARCHIVE_SUFFIX[fmt]
        self.id = ""
        self._created: list[Path] = []
        self._committed = False
        self._renamed = False

    @property
    def partial_archive(self) -> Path:
        return self.output_dir / f".{self.id}{self.suffix}.partial"

    @property
    def final_archive(self) -> Path:
        return self.output_dir / f"{self.id}{self.suffix}"

    @property
    def final_manifest(self) -> Path:
        return self.output_dir / f"{self.id}{MANIFEST_SUFFIX}"

    def __enter__(self) -> Staging:
        missing = []
        parent = self.output_dir
        while not parent.exists() and parent != parent.parent:
            missing.append(parent)
            parent = parent.parent
        try:
            self.output_dir.mkdir(parents=True, exist_ok=True)
            self._created = missing
            probe = self.output_dir / f".pgship-write-probe-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            self._remove_created_dirs()
            reason = exc.strerror or str(exc)
            raise UsageError(
                f"Cannot write backups to {self.output_dir}: {reason}.",
                hint="Choose a writable folder with --output-dir (or PGSHIP_BACKUP_DIR).",
            ) from None
        return self

    def reserve(self, wanted_id: str) -> None:
        """Take `wanted_id`, or `wanted_id-2`, ... when a backup by that name exists already."""
        candidate, n = wanted_id, 1
        while any(
            p.exists()
            for p in (
                self.output_dir / f"{candidate}{self.suffix}",
                self.output_dir / f"{candidate}{MANIFEST_SUFFIX}",
                self.output_dir / f".{candidate}{self.suffix}.partial",
            )
        ):
            n += 1
            candidate = f"{wanted_id}-{n}"
        self.id = candidate

    def commit(self, manifest: dict[str, Any]) -> None:
        """Rename the archive to its final name, then write the manifest (last)."""
        os.replace(self.partial_archive, self.final_archive)
        self._renamed = True
        write_json_atomically(self.final_manifest, manifest)
        fsync_dir(self.output_dir)
        self._committed = True

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._committed or not self.id:
            if not self.id:
                self._remove_created_dirs()
            return
        _remove(self.partial_archive)
        if self._renamed:
            _remove(self.final_archive)
        self.final_manifest.unlink(missing_ok=True)
        self._remove_created_dirs()

    def _remove_created_dirs(self) -> None:
        for path in self._created:  # deepest first
            try:
                path.rmdir()
            except OSError:
                break


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _size_of(path: Path) -> int:
    try:
        if path.is_dir():
            return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        return path.stat().st_size
    except OSError:
        return 0


class DumpProcess:
    """pg_dump running in the background, its progress read from --verbose output."""

    def __init__(
        self,
        program: ClientProgram,
        url: DatabaseUrl,
        snapshot: str,
        output: Path,
        options: BackupOptions,
    ) -> None:
        self.program = program
        self.url = url
        self.output = output
        self.args = [
            str(program.path),
            "--verbose",
            f"--format={options.format}",
            f"--file={output}",
            f"--snapshot={snapshot}",
        ]
        if options.jobs > 1:
            self.args.append(f"--jobs={options.jobs}")
        if options.compress is not None:
            self.args.append(f"--compress={options.compress}")
        self.args += ["--dbname", client_dbname(url)]
        self.process: subprocess.Popen[str] | None = None
        self.started = 0.0
        self.duration_ms = 0
        self.tail: collections.deque[str] = collections.deque(maxlen=40)
        self._reader: threading.Thread | None = None
        self._locked = threading.Event()
        self._ended = 0.0

    def start(self, table_count: int, progress: Log) -> None:
        self.started = time.monotonic()
        try:
            self.process = subprocess.Popen(
                self.args,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                errors="replace",
                env=client_env(self.url, application_name="pgship backup (pg_dump)"),
            )
        except OSError as exc:
            raise BackupFailed(f"Cannot run {self.program.path}: {exc.strerror or exc}.") from None
        assert self.process.stderr is not None
        self._reader = threading.Thread(
            target=self._read, args=(self.process.stderr, table_count, progress), daemon=True
        )
        self._reader.start()

    def wait_for_locks(self) -> None:
        """Wait until pg_dump holds its table locks (or has ended).

        pg_dump locks every table while "reading user-defined tables". Counting rows before that
        could deadlock: our count holds a table, a migration's ALTER TABLE queues behind it, and
        pg_dump's lock request queues behind the ALTER, while we wait for pg_dump.
        """
        self._locked.wait()

    def _read(self, stream: IO[str], table_count: int, progress: Log) -> None:
        done = 0
        tables_read = False
        for raw in stream:
            line = raw.rstrip("\n")
            if tables_read:
                self._locked.set()  # the first line after the tables were read and locked
            tables_read = tables_read or line == "pg_dump: reading user-defined tables"
            match = _TABLE_LINE.match(line)
            if match:
                done += 1
                elapsed = time.monotonic() - self.started
                progress(f"  [{done}/{table_count}] {match.group(1)} ({elapsed:.0f}s)")
            elif not line.startswith(("pg_dump: reading ", "pg_dump: finished item ")):
                self.tail.append(line)
        self._ended = time.monotonic()  # pg_dump closes its stderr when it exits
        self._locked.set()  # pg_dump ended (or its output changed): nothing more to wait for

    def wait(self, progress: Log) -> None:
        assert self.process is not None
        while True:
            try:
                self.process.wait(timeout=TICK_SECONDS)
                break
            except subprocess.TimeoutExpired:
                elapsed = time.monotonic() - self.started
                progress(f"  ... {human_size(_size_of(self.output))} written ({elapsed:.0f}s)")
        if self._reader is not None:
            self._reader.join(timeout=10)
        ended = self._ended or time.monotonic()
        self.duration_ms = round((ended - self.started) * 1000)  # pg_dump's own run time

    def stop(self) -> None:
        """Kill pg_dump if it still runs (after an error or Ctrl-C); wait for the reader."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self._reader is not None:
            self._reader.join(timeout=10)

    def raise_for_failure(self, url: DatabaseUrl) -> None:
        assert self.process is not None
        code = self.process.returncode
        if code == 0:
            return
        errors = [line for line in self.tail if "error" in line.lower()] or list(self.tail)[-5:]
        detail = url.redact("\n".join(errors[-8:]))
        if code < 0:
            name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
            what = f"pg_dump was killed by signal {-code} ({name}) before it finished"
        else:
            what = f"pg_dump failed (exit code {code})"
        raise BackupFailed(f"{what}{':' if detail else '.'}\n{detail}".rstrip())
