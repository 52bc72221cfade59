"""What `pg_restore --list` says an archive holds, and restoring an archive into a database."""

from __future__ import annotations

import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pgship.backup.clients import ClientProgram, client_dbname, client_env
from pgship.conninfo import DatabaseUrl

LIST_TIMEOUT = 600  # seconds for `pg_restore --list` (reads the table of contents only)


@dataclass
class Contents:
    """The table of contents of an archive."""

    header: dict[str, str] = field(default_factory=dict)  # "dbname", "Format", ...
    table_data: list[str] = field(default_factory=list)  # "<schema> <name> <owner>" per table

    def match_tables(self, expected: set[str]) -> tuple[list[str], list[str]]:
        """Compare the TABLE DATA entries with `expected` "<schema> <name>" keys.

        Returns (expected keys without data in the archive, entries matching no expected key).
        An entry is "<schema> <name> <owner>" with single spaces, and a name may hold spaces,
        so the longest prefix that is a known key wins.
        """
        matched: set[str] = set()
        unexpected: list[str] = []
        for entry in self.table_data:
            words = entry.split(" ")
            prefixes = (" ".join(words[:cut]) for cut in range(len(words) - 1, 0, -1))
            key = next((p for p in prefixes if p in expected), None)
            if key is None:
                unexpected.append(entry)
            else:
                matched.add(key)
        return sorted(expected - matched), unexpected


def read_contents(pg_restore: ClientProgram, archive: Path) -> tuple[Contents | None, str]:
    """The archive's table of contents, or (None, pg_restore's error) when it cannot be read."""
    try:
        done = subprocess.run(
            [str(pg_restore.path), "--list", str(archive)],
            capture_output=True,
            text=True,
            timeout=LIST_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return None, str(exc)
    if done.returncode != 0:
        return None, _tail(done.stderr) or f"exit code {done.returncode}"
    contents = Contents()
    for line in done.stdout.splitlines():
        if line.startswith(";"):
            match = re.match(r";\s+([A-Za-z][A-Za-z ]*?):\s+(.*)$", line)
            if match:
                contents.header[match.group(1)] = match.group(2).strip()
            continue
        match = re.match(r"^\d+;\s+\d+\s+\d+\s+TABLE DATA\s+(.*)$", line)
        if match:
            contents.table_data.append(match.group(1))
    return contents, ""


@dataclass(frozen=True)
class RestoreRun:
    ok: bool
    duration_ms: int
    error: str = ""


def run_pg_restore(
    pg_restore: ClientProgram,
    archive: Path,
    target: DatabaseUrl,
    *,
    jobs: int = 1,
    clean: bool = False,
    no_owner: bool = False,
    application_name: str = "pgship restore",
) -> RestoreRun:
    """Restore `archive` into `target`, stopping at the first error.

    With one job the whole restore is one transaction: on failure nothing of it is kept.
    """
    args: list[Any] = [str(pg_restore.path), "--exit-on-error", "--dbname", client_dbname(target)]
    if jobs > 1:
        args += ["--jobs", str(jobs)]
    else:
        args.append("--single-transaction")
    if clean:
        args += ["--clean", "--if-exists"]
    if no_owner:
        args.append("--no-owner")
    args.append(str(archive))
    started = time.monotonic()
    try:
        done = subprocess.run(
            args,
            capture_output=True,
            text=True,
            env=client_env(target, application_name=application_name),
            check=False,
        )
    except OSError as exc:
        return RestoreRun(False, 0, str(exc))
    duration_ms = round((time.monotonic() - started) * 1000)
    if done.returncode != 0:
        error = target.redact(_tail(done.stderr)) or f"exit code {done.returncode}"
        return RestoreRun(False, duration_ms, error)
    return RestoreRun(True, duration_ms)


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
