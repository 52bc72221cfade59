"""`--keep N`: keep the N newest backups of one database (and environment) in a folder.

Only finished backups count, that is archives with a manifest; other files in the folder, and
backups of other databases or environments, are left alone.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from pgship.backup.manifest import MANIFEST_SUFFIX


def prune(
    folder: Path,
    *,
    keep: int,
    database: str,
    environment: str | None,
    log: Callable[[str], None],
) -> list[str]:
    """Delete all but the `keep` newest backups of `database`; returns the ids deleted."""
    backups: list[tuple[str, str, Path, Path]] = []  # (created_at, id, manifest, archive)
    for manifest in folder.glob(f"*{MANIFEST_SUFFIX}"):
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        if not isinstance(data, dict) or not isinstance(data.get("archive"), str):
            continue
        if data.get("database") != database or data.get("environment") != environment:
            continue
        archive = folder / Path(data["archive"]).name
        backups.append(
            (str(data.get("created_at", "")), str(data.get("id", "")), manifest, archive)
        )
    backups.sort(reverse=True)
    deleted: list[str] = []
    for _, backup_id, manifest, archive in backups[keep:]:
        name = backup_id or manifest.name
        try:
            manifest.unlink(missing_ok=True)  # first: without its manifest it is no backup
            if archive.is_dir() and not archive.is_symlink():
                shutil.rmtree(archive)
            else:
                archive.unlink(missing_ok=True)
        except OSError as exc:  # the new backup is made: a failed clean-up only warns
            log(f"warning: could not prune {name}: {exc.strerror or exc}")
            continue
        log(f"Pruned {name} (--keep {keep})")
        deleted.append(name)
    return deleted
