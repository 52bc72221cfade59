"""Does a restored database hold what a backup's manifest says: the same rows, the same schema?"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pgship.backup import catalog
from pgship.db import Connection
from pgship.fingerprint import diff_fingerprints, take_fingerprint


@dataclass
class Comparison:
    row_problems: list[str] = field(default_factory=list)  # "public.users: 10 rows, ..."
    schema_differences: list[str] = field(default_factory=list)  # diff_fingerprints lines
    extra_tables: list[str] = field(default_factory=list)  # tables the manifest does not list
    tables_checked: int = 0
    rows_checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.row_problems and not self.schema_differences


def compare_with_manifest(conn: Connection, manifest: dict[str, Any]) -> Comparison:
    """Count every table's rows and fingerprint the schema of `conn`'s database; diff both."""
    result = Comparison()
    present = {t.qualified: t for t in catalog.list_tables(conn)}
    expected = {entry["table"]: entry for entry in manifest["tables"]}
    to_count = [
        present[name] for name, e in expected.items() if name in present and e["rows"] is not None
    ]
    counts = catalog.count_rows(conn, to_count)
    for name, entry in expected.items():
        if name not in present:
            result.row_problems.append(f"{name}: table missing")
        elif entry["rows"] is not None:
            result.tables_checked += 1
            result.rows_checked += counts[name]
            if counts[name] != entry["rows"]:
                result.row_problems.append(
                    f"{name}: {counts[name]} rows, the backup has {entry['rows']}"
                )
    result.extra_tables = sorted(set(present) - set(expected))
    wanted_objects = manifest.get("large_objects")
    if isinstance(wanted_objects, int):
        found_objects = catalog.count_large_objects(conn)
        if found_objects != wanted_objects:
            result.row_problems.append(
                f"large objects: {found_objects}, the backup has {wanted_objects}"
            )
    result.schema_differences = diff_fingerprints(manifest["fingerprint"], take_fingerprint(conn))
    return result
