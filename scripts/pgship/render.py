"""Text and JSON renderings of command results (the CLI prints them)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pgship.migrations.commands import Plan, RunResult
from pgship.migrations.files import Migration
from pgship.migrations.state import MigrationState

if TYPE_CHECKING:
    from pgship.review.locks import StatementLock


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain aligned table."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    return "\n".join(lines)


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, default=str)


def state_dict(state: MigrationState) -> dict[str, Any]:
    row = state.row
    return {
        "version": state.version,
        "name": state.label,
        "state": state.state,
        "file": str(state.migration.path) if state.migration else None,
        "rollback_file": str(state.migration.rollback.path)
        if state.migration and state.migration.rollback
        else None,
        "applied_at": row.applied_at.isoformat() if row and row.applied_at else None,
        "applied_by": row.applied_by if row else None,
        "execution_ms": row.execution_ms if row else None,
        "note": state.note(),
    }


def status_text(states: list[MigrationState], target: str) -> str:
    if not states:
        return f"{target}: no migrations."
    rows = [[s.label, s.state, s.note()] for s in states]
    pending = sum(1 for s in states if s.is_pending)
    applied = sum(1 for s in states if s.is_applied)
    summary = f"{target}: {applied} applied, {pending} pending, {len(states)} known."
    return f"{table(['migration', 'state', 'details'], rows)}\n\n{summary}"


def migration_dict(migration: Migration, *, with_sql: bool = False) -> dict[str, Any]:
    script = migration.script
    data: dict[str, Any] = {
        "version": migration.version,
        "name": migration.stem,
        "file": str(migration.path),
        "transaction": "none" if script.directives.no_transaction else "per-migration",
        "directives": script.directives.describe(),
        "statements": len(script.statements),
        "rollback_file": str(migration.rollback.path) if migration.rollback else None,
    }
    data["locks"] = [lock._asdict() for lock in _locks(migration)]
    if with_sql:
        data["sql"] = script.sql
    return data


def _locks(migration: Migration) -> list[StatementLock]:
    """The lock each statement takes on an existing table (from the SQL review's lock model)."""
    from pgship.review.locks import statement_locks

    return statement_locks(migration.script.sql)


def plan_text(plan: Plan, *, with_sql: bool, single_transaction: bool) -> str:
    parts = []
    if plan.pending:
        mode = "all in one transaction" if single_transaction else "each in its own transaction"
        rows = [
            [
                m.stem,
                "none (no-transaction)" if m.script.directives.no_transaction else "yes",
                str(len(m.script.statements)),
                ", ".join(m.script.directives.describe()) or "-",
                "yes" if m.rollback else "MISSING",
            ]
            for m in plan.pending
        ]
        parts.append(f"{len(plan.pending)} migration(s) to apply, {mode}:")
        parts.append(
            table(["migration", "transaction", "statements", "directives", "rollback"], rows)
        )
        for m in plan.pending:
            locks = _locks(m)
            if locks:
                parts.append(f"\nLocks taken by {m.stem}:")
                parts += [
                    f"  {m.path}:{lock.line}: {lock.lock} on {lock.relation}" for lock in locks
                ]
        if with_sql:
            for m in plan.pending:
                parts.append(f"\n-- {m.path}\n{m.script.sql.rstrip()}")
    else:
        parts.append("Nothing to apply: the database is up to date.")
    if plan.problems:
        parts.append("\nmigrate would refuse to run:")
        parts += [f"  - {p}" for p in plan.problems]
    return "\n".join(parts)


def run_dict(result: RunResult, action: str) -> dict[str, Any]:
    return {
        "action": action,
        "dry_run": result.dry_run,
        "steps": [
            {
                "version": s.version,
                "name": s.name,
                "execution_ms": s.execution_ms,
                "statements": s.statement_count,
                "no_transaction": s.no_transaction,
            }
            for s in result.steps
        ],
        "planned": [migration_dict(m) for m in result.planned],
    }


def run_text(result: RunResult, action: str) -> str:
    if result.dry_run:
        if not result.planned:
            return f"Dry run: nothing to {action}."
        names = "\n".join(f"  {m.stem}" for m in result.planned)
        return (
            f"Dry run: would {action} {len(result.planned)} migration(s), in this order:\n{names}"
        )
    if not result.steps:
        return (
            "Nothing to do: the database is up to date."
            if action == "apply"
            else ("Nothing to roll back.")
        )
    total = sum(s.execution_ms for s in result.steps)
    verb = "Applied" if action == "apply" else "Rolled back"
    return f"{verb} {len(result.steps)} migration(s) in {total} ms."
