"""A rollback file whose migration does not exist.

Anti-pattern: `rollbacks/008_add_payout_note_rollback.sql` with no
`migrations/008_add_payout_note.sql`, usually because the migration was renamed or
renumbered and its rollback was not, or the migration was deleted. `pgship migrate` refuses
to run while a rollback has no migration (it cannot tell which migration it undoes), and the
rollback the renamed migration needs is missing.

Safe alternative: rename the rollback after its migration plus `_rollback`
(`008_add_payout_note.sql` -> `008_add_payout_note_rollback.sql`), or delete it together
with its migration.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePath

from pgship.migrations.files import ROLLBACK_SUFFIX
from pgship.review.context import Context
from pgship.review.model import Hit

ID = "rollback-without-migration"
SEVERITY = "error"


def check_file(context: Context) -> Iterator[Hit]:
    file = context.file
    if file.role != "rollback" or file.pair_exists:
        return
    if file.pair is None:
        yield Hit(
            f"{context.path} is in the rollbacks folder but is not named like a rollback "
            "(NNN_name_rollback.sql): `pgship migrate` refuses to run with it.",
            "Rename it after the migration it undoes plus _rollback, "
            "e.g. 001_create_users_rollback.sql.",
        )
        return
    if file.twin:
        name = f"{PurePath(file.twin).stem}{ROLLBACK_SUFFIX}.sql"
        fix = f"Rename it to {name} to pair it with {file.twin}, or delete it."
    else:
        fix = "Delete it, or restore the migration it undoes."
    yield Hit(
        f"{context.path} undoes {file.pair}, which does not exist: `pgship migrate` refuses "
        "to run until every rollback has its migration.",
        fix,
    )
