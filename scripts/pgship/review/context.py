"""What rules know about a statement besides its parse tree: transaction, new tables, version."""

from __future__ import annotations

from dataclasses import dataclass, field

from pgship.review.nodes import TableRef, TypeRef


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

    def column_type(self, table: TableRef, column: str) -> TypeRef | None:
        return self.column_types.get((table.name, column))

    def proves_not_null(self, table: TableRef, column: str) -> bool:
        """Whether a validated CHECK (column IS NOT NULL) is known on the table."""
        return any(
            validated and column in columns
            for (name, _), (columns, validated) in self.not_null_checks.items()
            if name == table.name
        )


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
