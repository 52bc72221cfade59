"""A statement that blocks writes waits for its lock with no lock_timeout.

Anti-pattern (in a file run by a tool that sets no lock_timeout, or with it switched off):

    ALTER TABLE payouts ADD COLUMN note text;

ADD COLUMN is instant, but it needs an ACCESS EXCLUSIVE lock first. If a long transaction
(a report, a stuck session, an open psql) holds any lock on payouts, the ALTER waits, and
every query on payouts that arrives after it queues behind the waiting ALTER: reads and
writes stop for as long as the long transaction lasts. A lock_timeout makes the migration
give up (and be retried later) instead of taking the application down with it. Every lock
that blocks writes has this effect: SHARE (CREATE INDEX), SHARE ROW EXCLUSIVE (CREATE
TRIGGER, a FOREIGN KEY, also on the table it references), EXCLUSIVE and ACCESS EXCLUSIVE.

When pgship runs the migrations (the default assumption), it sets lock_timeout itself before
every file, in a transaction or not: the file's `-- pgship:lock-timeout` directive, else the
`lock_timeout` setting (5s by default), and it retries after a lock timeout. This rule then
only reports a file that switches it off: `-- pgship:lock-timeout 0`, `lock_timeout: 0` in
pgship.yml, `SET lock_timeout = 0` or `RESET lock_timeout` before the statement. Tell the
review that another tool runs the files (`review: {assume_runner: other}` in pgship.yml,
`--assume-runner other`) and the files must set it themselves. Reported once per file, at the
first such statement; tables created earlier in the file are not counted.

Safe alternative: set a short lock_timeout at the top of the file, and retry the migration
when it times out:

    SET lock_timeout = '5s';          -- SET LOCAL inside an explicit transaction
    ALTER TABLE payouts ADD COLUMN note text;

With pgship running the files: remove the `SET lock_timeout = 0` / `RESET`, or give the file
`-- pgship:lock-timeout 5s`.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgship.review.context import Context
from pgship.review.locks import blocks_writes, relation_locks
from pgship.review.model import Hit
from pgship.review.nodes import TableRef
from pgship.review.parse import Statement

ID = "require-lock-timeout"
SEVERITY = "warning"


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    state = context.state
    if state.lock_timeout_ms or ID in state.reported:  # set (and not 0), or already reported
        return
    for relation, level in relation_locks(statement):
        if not blocks_writes(level) or _created_here(
            context, relation.schema, relation.name, relation.index
        ):
            continue
        state.reported.add(ID)
        target = f"index {relation}" if relation.index else str(relation)
        yield Hit(
            f"This statement waits for a {level} lock on {target} {_why(context)}; while it "
            "waits behind a long transaction, every query on the table queues behind it.",
            _alternative(context),
            level,
            target=relation,
        )
        return


def _created_here(context: Context, schema: str | None, name: str, index: bool) -> bool:
    if index:
        return context.index_table(name) is not None
    return context.is_new_table(TableRef(schema, name))


def _why(context: Context) -> str:
    if context.state.lock_timeout_ms == 0:
        return "with lock_timeout switched off (0)"
    if context.runner.name == "pgship":
        return "with lock_timeout reset to the server's default (normally 0: wait forever)"
    return "and the file sets no lock_timeout (the review assumes another tool runs it)"


def _alternative(context: Context) -> str:
    if context.runner.name == "pgship":
        return (
            "-- pgship sets lock_timeout for every file: do not switch it off, or give the\n"
            "-- file its own at the top:\n"
            "-- pgship:lock-timeout 5s"
        )
    return (
        "-- at the top of the file (and retry the migration when it times out):\n"
        "SET lock_timeout = '5s';"
    )
