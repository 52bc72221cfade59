"""The manifest beside each archive: names, checksums, reading and writing.

A backup with id ``app_production_20260102T030405Z_v7`` is the archive ``<id>.dump`` (custom
format) or the folder ``<id>.dir`` (directory format) and the manifest ``<id>.manifest.json``.
The checksum of a directory archive is the sha256 of its file list: one ``<sha256>  <name>``
line per file, sorted by name (the format of `sha256sum`), and each file's own sha256 is kept too.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pgship.errors import BackupVerificationFailed, UsageError

MANIFEST_SUFFIX = ".manifest.json"
ARCHIVE_SUFFIX = {"custom": ".dump", "directory": ".dir"}
MANIFEST_VERSION = 1
_CHUNK = 1 << 20
_REQUIRED = {
    "pgship_manifest": int,
    "id": str,
    "archive": str,
    "format": str,
    "size": int,
    "sha256": str,
    "created_at": str,
    "database": str,
    "server_version_num": int,
    "pg_dump_version": str,
    "pg_dump_major": int,
    "tables": list,
    "fingerprint": dict,
    "fingerprint_digest": str,
}


def safe_name_part(text: str) -> str:
    """A database or environment name as it may appear in a file name."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip(".-")
    return cleaned or "db"


def backup_id(database: str, environment: str | None, started: datetime, head: int | None) -> str:
    """e.g. app_production_20260102T030405Z_v7 (UTC; `nohead` before any migration)."""
    parts = [safe_name_part(database)]
    if environment:
        parts.append(safe_name_part(environment))
    parts.append(started.strftime("%Y%m%dT%H%M%SZ"))
    parts.append(f"v{head}" if head is not None else "nohead")
    return "_".join(parts)


def manifest_path_for(archive: Path) -> Path:
    """backups/<id>.dump or backups/<id>.dir -> backups/<id>.manifest.json."""
    stem = archive.name
    for suffix in ARCHIVE_SUFFIX.values():
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    return archive.with_name(stem + MANIFEST_SUFFIX)


def locate(path: Path) -> tuple[Path, Path]:
    """(archive, manifest) for a path naming either of them."""
    if not path.exists():
        raise UsageError(
            f"{path} does not exist.",
            hint="Give the path of a backup archive (<id>.dump or <id>.dir) or of its "
            "<id>.manifest.json, as printed by `pgship backup`.",
        )
    if path.name.endswith(MANIFEST_SUFFIX):
        data = read_manifest(path)
        return path.with_name(data["archive"]), path
    manifest = manifest_path_for(path)
    if not manifest.is_file():
        raise BackupVerificationFailed(
            f"{path} has no manifest beside it ({manifest.name}): it is not a finished pgship "
            "backup, or its manifest was moved.",
            hint="pgship writes the manifest last, only once the archive is complete; without "
            "it nothing proves the archive is whole. Take a new backup with `pgship backup`.",
        )
    return path, manifest


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest's data, checked for the fields pgship relies on."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"Cannot read {path}: {exc.strerror}.") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupVerificationFailed(f"{path} is not valid JSON: {exc}.") from None
    if not isinstance(data, dict):
        raise BackupVerificationFailed(f"{path} is not a pgship manifest (not a JSON object).")
    wrong = [
        key
        for key, kind in _REQUIRED.items()
        if not isinstance(data.get(key), kind) or isinstance(data.get(key), bool)
    ]
    if wrong:
        raise BackupVerificationFailed(
            f"{path} is not a complete pgship manifest: missing or malformed {', '.join(wrong)}."
        )
    if data["pgship_manifest"] > MANIFEST_VERSION:
        raise BackupVerificationFailed(
            f"{path} was written by a newer pgship (manifest version {data['pgship_manifest']}).",
            hint="Upgrade pgship to verify or restore it.",
        )
    archive = data["archive"]
    if not archive or "/" in archive or "\\" in archive or archive in (".", ".."):
        raise BackupVerificationFailed(
            f"{path}: archive must be a file name beside the manifest, got {archive!r}."
        )
    if data["format"] not in ARCHIVE_SUFFIX:
        raise BackupVerificationFailed(f"{path}: unknown archive format {data['format']!r}.")
    for entry in data["tables"]:
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("table"), str)
            and isinstance(entry.get("schema"), str)
            and isinstance(entry.get("name"), str)
            and (entry.get("rows") is None or isinstance(entry.get("rows"), int))
        ):
            raise BackupVerificationFailed(f"{path}: malformed table entry {entry!r}.")
    return data


def write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    """Write to a temporary name, fsync, rename: the file appears whole or not at all."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        with open(partial, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, ensure_ascii=False)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def fsync_dir(path: Path) -> None:
    """Make renames in `path` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Checksum:
    size: int
    sha256: str
    files: dict[str, dict[str, Any]] | None = None  # directory format: name -> size, sha256


def file_sha256(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def checksum(archive: Path) -> Checksum:
    """Size and sha256 of a custom-format file or of a directory archive."""
    if not archive.is_dir():
        size, sha = file_sha256(archive)
        return Checksum(size, sha)
    files: dict[str, dict[str, Any]] = {}
    for entry in sorted(p for p in archive.rglob("*") if p.is_file()):
        size, sha = file_sha256(entry)
        files[entry.relative_to(archive).as_posix()] = {"size": size, "sha256": sha}
    listing = "".join(f"{f['sha256']}  {name}\n" for name, f in files.items())
    total = sum(f["size"] for f in files.values())
    return Checksum(total, hashlib.sha256(listing.encode()).hexdigest(), files)
