"""Helpers for tests that drive pgship as users do: files on disk, the CLI, a real database."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from click.testing import CliRunner, Result

from pgship.cli import cli

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_MIGRATIONS = REPO / "migrations"
EXAMPLE_ROLLBACKS = REPO / "rollbacks"
EXAMPLE_SEEDS = REPO / "seeds"


@dataclass
class Project:
    """A user's repository: migrations/ and rollbacks/ under `root`, and a target database."""

    root: Path
    database_url: str
    env: dict[str, str] = field(default_factory=dict)

    @property
    def migrations(self) -> Path:
        return self.root / "migrations"

    @property
    def rollbacks(self) -> Path:
        return self.root / "rollbacks"

    def write(self, name: str, sql: str, rollback: str | None = None) -> Path:
        """Write migrations/<name>.sql and, when given, rollbacks/<name>_rollback.sql."""
        self.migrations.mkdir(parents=True, exist_ok=True)
        path = self.migrations / f"{name}.sql"
        path.write_text(sql, encoding="utf-8")
        if rollback is not None:
            self.rollbacks.mkdir(parents=True, exist_ok=True)
            (self.rollbacks / f"{name}_rollback.sql").write_text(rollback, encoding="utf-8")
        return path

    def copy_examples(self) -> None:
        shutil.copytree(EXAMPLE_MIGRATIONS, self.migrations, dirs_exist_ok=True)
        shutil.copytree(EXAMPLE_ROLLBACKS, self.rollbacks, dirs_exist_ok=True)

    def args(self) -> list[str]:
        return ["--migrations-dir", str(self.migrations), "--rollbacks-dir", str(self.rollbacks)]

    def run(self, *args: str, env: dict[str, str] | None = None) -> Result:
        """`pgship <args>` in-process, as a user would type it, with DATABASE_URL set."""
        environment = {"DATABASE_URL": self.database_url, **self.env, **(env or {})}
        return CliRunner().invoke(cli, [*self.args(), *args], env=environment)

    def run_process(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        """`python -m pgship <args>` as a separate process (started, not waited for)."""
        environment = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "PYTHONPATH": str(REPO / "scripts"),
            **self.env,
            **(env or {}),
        }
        return subprocess.Popen(
            [sys.executable, "-m", "pgship", *self.args(), *args],
            cwd=self.root,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def query(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def execute(self, sql: str, params: Any = None) -> None:
        """Run a statement that returns no rows, in autocommit."""
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            conn.execute(sql, params)

    def scalar(self, sql: str, params: Any = None) -> Any:
        rows = self.query(sql, params)
        return rows[0][0] if rows else None

    def table_exists(self, name: str) -> bool:
        return bool(self.scalar("SELECT to_regclass(%s) IS NOT NULL", (name,)))

    def history(self) -> dict[int, str]:
        """version -> status from pgship.migrations."""
        if not self.table_exists("pgship.migrations"):
            return {}
        return dict(self.query("SELECT version, status FROM pgship.migrations ORDER BY version"))

    def events(self) -> list[tuple[int, str]]:
        if not self.table_exists("pgship.events"):
            return []
        return [
            (v, a) for v, a in self.query("SELECT version, action FROM pgship.events ORDER BY id")
        ]
