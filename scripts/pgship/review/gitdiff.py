"""The files a branch changed, for `pgship review --base REF`.

Changed means: in `git diff REF...HEAD` (what the branch changed since it left REF, as a pull
request shows it), or changed in the work tree and index since HEAD, or new and untracked
(not ignored). Deleted files are included, so that the caller can find what they leave
behind (a rollback whose migration was deleted).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from pgship.errors import UsageError


def changed_files(base: str, cwd: Path | None = None) -> set[Path]:
    """Absolute, resolved paths of the files changed since `base` (see the module doc)."""
    try:
        found = _git(
            ["rev-parse", "--show-toplevel", "--verify", "--quiet", f"{base}^{{commit}}"], cwd
        )
    except _GitFailed as failed:
        if failed.code == 1 and failed.stdout.strip():  # a repository, but no such commit
            raise UsageError(
                f"--base {base}: git knows no commit by that name.",
                hint="Fetch it first (in GitHub Actions: actions/checkout with `fetch-depth: 0`, "
                f"or `git fetch origin {base}`), or check the spelling.",
            ) from None
        raise UsageError(
            f"pgship review --base needs a git repository, and {cwd or Path.cwd()} is not in "
            f"one ({failed.error}).",
            hint="Run it from a clone, or name the files to review instead of --base.",
        ) from None
    top = Path(found.splitlines()[0])
    names: list[str] = []
    try:
        committed = _git(["diff", "--name-only", "--no-renames", "-z", f"{base}...HEAD"], top)
        # the index, the work tree and untracked files, paths relative to the top
        status = _git(
            ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames"], top
        )
    except _GitFailed as failed:
        raise UsageError(
            f"Cannot list the files changed since {base}: {failed.error}.",
            hint=f"A shallow clone may lack the commit where the branch left {base}: fetch "
            "more history (actions/checkout with `fetch-depth: 0`).",
        ) from None
    names.extend(name for name in committed.split("\0") if name)
    names.extend(entry[3:] for entry in status.split("\0") if len(entry) > 3)
    return {(top / name).resolve() for name in names}


class _GitFailed(Exception):
    def __init__(self, code: int, stdout: str, error: str) -> None:
        super().__init__(error)
        self.code, self.stdout, self.error = code, stdout, error


def _git(arguments: list[str], cwd: Path | None) -> str:
    """git's stdout; _GitFailed (with git's last line of stderr) when it exits non-zero."""
    try:
        done = subprocess.run(
            ["git", *arguments],
            cwd=cwd or Path.cwd(),
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    except FileNotFoundError:
        raise UsageError(
            "pgship review --base needs git, and git is not installed.",
            hint="Install git, or name the files to review instead of --base.",
        ) from None
    except subprocess.TimeoutExpired:
        raise UsageError(f"git {arguments[0]} did not answer within 60 s.") from None
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or [f"exit code {done.returncode}"]
        raise _GitFailed(done.returncode, done.stdout, lines[-1].removeprefix("fatal: "))
    return done.stdout
