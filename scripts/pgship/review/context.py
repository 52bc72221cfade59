"""What rules know about a statement besides its parse tree: transaction, new tables, version."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pgship.review.nodes import TableRef, TypeRef

if TYPE_CHECKING:
    from pgship.review.parse import Statement


@dataclass
class Facts:
    """What the files reviewed so far in this run established about the schema.

    Carried from one file to the next (files are reviewed in migration order), so that a
    CHECK validated in migration 006 lets migration 007 SET NOT NULL. Keyed by table name
    without schema.
    """

    column_types: dict[tuple[str, str], TypeRef] = field(default_factory=dict)
    # (table, constraint) -> (columns it proves NOT NULL, whether it is validated)
    not_null_checks: dict[tuple[str, str], tuple[frozenset[str], bool]] = field(
        default_factory=dict
    )
    # objects the files of this run created, e.g. ("relation", "payouts"), ("column",
    # "payouts.note"): see review/objects.py. Not those of the earlier migrations that are
    # read only to learn from: they are deployed (command.py clears them).
    created: set[tuple[str, str]] = field(default_factory=set)
    # table -> the columns of its PRIMARY KEY, when declared with them: see review/columns.py
    primary_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def column_type(self, table: TableRef, column: str) -> TypeRef | None:
        return self.column_types.get((table.name, column))

    def proves_not_null(self, table: TableRef, column: str) -> bool:
        """Whether a validated CHECK (column IS NOT NULL) is known on the table."""
        return any(
            validated and column in columns
            for (name, _), (columns, validated) in self.not_null_checks.items()
            if name == table.name
        )


@dataclass(frozen=True)
class Runner:
    """Who runs the migration files, for the rules about session settings such as lock_timeout.

    `name` is "pgship" (pgship sets lock_timeout before each file: the file's
    `-- pgship:lock-timeout` directive, else `lock_timeout_ms`) or "other" (another tool runs
    the files as they are, so they must set it themselves).
    """

    name: str = "pgship"
    lock_timeout_ms: int = 5000  # pgship's setting for files without a directive; 0 = none

    def initial_lock_timeout(self, directive_ms: int | None) -> int | None:
        """The lock_timeout in force when a file starts (None: whatever the server has)."""
        if self.name != "pgship":
            return None
        return directive_ms if directive_ms is not None else self.lock_timeout_ms


@dataclass(frozen=True)
class ProjectFile:
    """Where a reviewed file sits among the project's migrations and rollbacks.

    `role` is "migration", "rollback" or None (another SQL file). `pair` is the path of the
    file it pairs with (a migration's rollback, a rollback's migration), None when there is
    nothing to pair (no rollbacks folder, or a rollback whose name names no migration), and
    `pair_exists` whether that file exists. `twin` is a migration with the same version as an
    unpaired rollback, the likely intended pair.
    """

    role: str | None = None
    pair: str | None = None
    pair_exists: bool = True
    twin: str | None = None


@dataclass
class FileState:
    """What the statements read so far in one file did."""

    no_transaction: bool
    # tables created in this file: name -> the schemas named with it (None: unqualified)
    tables: dict[str, set[str | None]] = field(default_factory=dict)
    indexes: dict[str, TableRef] = field(default_factory=dict)  # created in this file -> table
    explicit_transaction: bool = False  # between BEGIN and COMMIT
    transaction: int = 0  # id of the transaction the current statement runs in
    # (table, constraint) added NOT VALID -> (transaction id, contype)
    not_valid: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)
    # lock_timeout in force, in ms (0: wait forever; None: not set, the server's default)
    lock_timeout_ms: int | None = None
    statements: list[Statement] = field(default_factory=list)  # every statement of the file
    reported: set[str] = field(default_factory=set)  # rules that report once per file and did
    cache: dict[str, object] = field(default_factory=dict)  # per-file values a rule computes once
    created: dict[tuple[str, str], int] = field(default_factory=dict)  # object -> transaction
    enum_values: dict[str, tuple[int, str]] = field(default_factory=dict)  # label -> (xact, type)
    creations: dict[tuple[str, str], int] | None = None  # object -> last statement creating it

    @property
    def in_transaction(self) -> bool:
        return self.explicit_transaction or not self.no_transaction


@dataclass(frozen=True)
class Context:
    """Everything a rule may ask about the statement it checks, besides the statement itself."""

    path: str
    pg_version: int
    state: FileState
    facts: Facts
    runner: Runner = field(default_factory=Runner)
    file: ProjectFile = field(default_factory=ProjectFile)

    @property
    def in_transaction(self) -> bool:
        """Whether the statement runs inside a transaction block.

        True inside an explicit BEGIN ... COMMIT, and everywhere in a file without
        `-- pgship:no-transaction` (pgship runs each such file in one transaction).
        """
        return self.state.in_transaction

    @property
    def explicit_transaction(self) -> bool:
        return self.state.explicit_transaction

    @property
    def no_transaction_file(self) -> bool:
        return self.state.no_transaction

    def is_new_table(self, table: TableRef) -> bool:
        """Whether an earlier statement of this file created the table (so it is empty).

        An unqualified name on either side matches any schema.
        """
        schemas = self.state.tables.get(table.name)
        if not schemas:
            return False
        return table.schema is None or None in schemas or table.schema in schemas

    def index_table(self, index: str) -> TableRef | None:
        """The table of an index created earlier in this file."""
        return self.state.indexes.get(index)

    def added_not_valid_here(self, table: TableRef, constraint: str) -> str | None:
        """The kind (e.g. "CONSTR_FOREIGN") of a constraint this transaction added NOT VALID."""
        added = self.state.not_valid.get((table.name, constraint))
        return added[1] if added is not None and added[0] == self.state.transaction else None
