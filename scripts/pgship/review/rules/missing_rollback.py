"""A migration without its rollback file.

Anti-pattern: `migrations/008_add_payout_note.sql` with no
`rollbacks/008_add_payout_note_rollback.sql` next to it, in a project that keeps rollbacks.
When the deploy goes wrong, `pgship rollback` has nothing to run, and someone writes the
undo by hand, under pressure, against production.

Safe alternative: write the rollback in the same pull request, named after the migration
plus `_rollback`, and let `pgship test` prove the round trip (up, down, up):

    -- rollbacks/008_add_payout_note_rollback.sql
    ALTER TABLE payouts DROP COLUMN IF EXISTS note;

A migration that cannot be undone (a data fix, a dropped column whose data is gone) says so
at the top of the file: `-- pgship:ignore-file missing-rollback <why it cannot be undone>`.
Projects without a rollbacks folder are not reported.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.model import Hit

ID = "missing-rollback"
SEVERITY = "warning"


def check_file(context: Context) -> Iterator[Hit]:
    file = context.file
    if file.role != "migration" or file.pair is None or file.pair_exists:
        return
    yield Hit(
        f"{context.path} has no rollback: `pgship rollback` would have nothing to run "
        f"(expected {file.pair}).",
        f"-- {file.pair}\n-- the statements that undo this migration, in reverse order",
    )
