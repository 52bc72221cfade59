"""pg_dump and pg_restore: finding a version that fits the server, and the environment to run them in.

pg_dump must be at least as new as the server it dumps, and pg_restore at least as new as the
pg_dump that wrote an archive. The search looks at PATH, then at the usual install folders
(/usr/lib/postgresql/<major>/bin on Debian/Ubuntu, /usr/pgsql-<major>/bin on RHEL, Homebrew's
postgresql@<major>), or only at the folder given with --pg-bin-dir. Among the programs that are
new enough it prefers the server's own major version, then the oldest newer one: the archive
stays readable by as many pg_restore versions as possible.

A password is never put on a command line: it goes to the program in PGPASSWORD.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from psycopg.conninfo import make_conninfo

from pgship.conninfo import DatabaseUrl
from pgship.errors import UsageError

VERSION_TIMEOUT = 30  # seconds for `<program> --version`
_SEARCH_GLOBS = (
    "/usr/lib/postgresql/*/bin",
    "/usr/pgsql-*/bin",
    "/opt/homebrew/opt/postgresql@*/bin",
    "/usr/local/opt/postgresql@*/bin",
    "/usr/local/pgsql/bin",
)


@dataclass(frozen=True)
class ClientProgram:
    """One PostgreSQL client program and its version."""

    name: str
    path: Path
    version: str  # e.g. "15.18 (Debian 15.18-0+deb12u1)"
    major: int

    def describe(self) -> str:
        return f"{self.name} {self.version} ({self.path})"


def find_client(
    name: str,
    *,
    minimum: int,
    prefer: int | None = None,
    bin_dir: Path | None = None,
    purpose: str,
) -> ClientProgram:
    """The `name` program (pg_dump, pg_restore) of major version >= `minimum`.

    `purpose` completes the error message: "to back up PostgreSQL 15 at db.example.com:5432".
    """
    found: list[ClientProgram] = []
    for program in iter_candidates(name, bin_dir=bin_dir):  # lazily: `--version` takes time
        if program.major == (prefer or minimum):
            return program
        found.append(program)
    fitting = [p for p in found if p.major >= minimum]
    if fitting:
        return min(fitting, key=lambda p: p.major)
    seen = "; ".join(p.describe() for p in found) or "none"
    where = f"in {bin_dir}" if bin_dir else "on PATH or in the usual install folders"
    raise UsageError(
        f"{name} {minimum} or newer is needed {purpose}, and none was found {where} "
        f"(found: {seen}).",
        hint=f"Install the PostgreSQL {minimum} clients: `apt-get install postgresql-client-{minimum}` "
        "(Debian/Ubuntu; add the apt.postgresql.org repository if your release lacks it), "
        f"`brew install postgresql@{minimum}` (macOS), or point --pg-bin-dir / PGSHIP_PG_BIN_DIR "
        f"at the bin folder of PostgreSQL {minimum} or newer.",
    )


def candidates(name: str, *, bin_dir: Path | None = None) -> list[ClientProgram]:
    """Every `name` program found, PATH first, each real file once."""
    return list(iter_candidates(name, bin_dir=bin_dir))


def iter_candidates(name: str, *, bin_dir: Path | None = None) -> Iterator[ClientProgram]:
    """`candidates`, one at a time: each `--version` runs only when the caller gets that far."""
    if bin_dir is not None:
        paths = [bin_dir / name]
    else:
        on_path = shutil.which(name)
        paths = [Path(on_path)] if on_path else []
        dirs = [Path(d) for pattern in _SEARCH_GLOBS for d in glob.glob(pattern)]
        paths += [d / name for d in sorted(dirs, key=_major_in_path, reverse=True)]
    # A wrapper (Debian's pg_wrapper behind /usr/bin/pg_dump) may pick a different version for
    # another server than for `--version`: the real programs it wraps come first.
    real_paths = [p for p in paths if _is_program(p) and p.resolve().name == name]
    wrappers = [p for p in paths if _is_program(p) and p.resolve().name != name]
    seen: set[Path] = set()
    for path in [*real_paths, *wrappers]:
        real = path.resolve()
        if real in seen:
            continue
        seen.add(real)
        program = _describe(name, path)
        if program is not None:
            yield program


def _is_program(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _major_in_path(path: Path) -> int:
    match = re.search(r"(\d+)", str(path))
    return int(match.group(1)) if match else 0


def _describe(name: str, path: Path) -> ClientProgram | None:
    """The program's version from `--version`, or None when it cannot tell."""
    try:
        out = subprocess.run(
            [str(path), "--version"],
            capture_output=True,
            text=True,
            timeout=VERSION_TIMEOUT,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\(PostgreSQL\)\s+((\d+)(?:\.\d+)*\S*(?:\s+\(.*\))?)", out)
    if match is None:
        return None
    return ClientProgram(name, path, match.group(1).strip(), int(match.group(2)))


def major_of(version_num: int) -> int:
    """Major version from server_version_num: 150018 -> 15, 90624 -> 9."""
    return version_num // 10000


def client_dbname(url: DatabaseUrl) -> str:
    """A connection string for --dbname without the password (that goes in PGPASSWORD)."""
    params = {k: v for k, v in url.params.items() if k != "password"}
    return make_conninfo("", **params)


def client_env(url: DatabaseUrl, *, application_name: str) -> dict[str, str]:
    """The environment for a client program connecting to `url`."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    env["PGAPPNAME"] = application_name
    return env
