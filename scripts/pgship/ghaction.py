"""Small helpers the composite actions (action.yml, actions/*/action.yml) call between CLI verbs.

`python -m pgship.ghaction <helper> [args]`:

- ``pg-clients``: the server's major version (from the same settings as every command:
  --database-url / DATABASE_URL, pgship.yml environments) and the newest pg_dump found, as
  `server_major=N`, `pg_dump_major=N`, `pg_dump_dir=DIR` lines for the setup script.
- ``outputs <verb> <json file>``: read what `pgship --format json <verb>` wrote and set the step
  outputs the action documents (counts, versions, status) through $GITHUB_OUTPUT.

The actions stay thin: every decision is made by the CLI; this only reshapes its JSON.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pgship.outputs import set_outputs

OutputsOf = Callable[[dict[str, Any]], dict[str, str]]


def _versions(items: list[dict[str, Any]]) -> str:
    return ",".join(str(item["version"]) for item in items)


def _run_outputs(data: dict[str, Any]) -> dict[str, str]:
    """`migrate` / `rollback`: what this run did (or, with --dry-run, would do)."""
    steps = data.get("steps") or []
    planned = data.get("planned") or []
    done = planned if data.get("dry_run") else steps
    return {
        "count": str(len(done)),
        "versions": _versions(done),
        "first-version": str(done[0]["version"]) if done else "",
        "last-version": str(done[-1]["version"]) if done else "",
    }


def _status_outputs(data: dict[str, Any]) -> dict[str, str]:
    migrations = data.get("migrations") or []
    applied = [m for m in migrations if m.get("state") == "applied"]
    pending = [m for m in migrations if m.get("state") == "pending"]
    other = [m for m in migrations if m.get("state") not in ("applied", "pending", "rolled_back")]
    return {
        "applied-count": str(len(applied)),
        "pending-count": str(len(pending)),
        "pending-versions": _versions(pending),
        "head": str(applied[-1]["version"]) if applied else "",
        "problems": str(len(other)),
    }


def _test_outputs(data: dict[str, Any]) -> dict[str, str]:
    migrations = data.get("migrations") or []
    failed = [m for m in migrations if m.get("verdict") not in ("ok", None)]
    return {
        "ok": "true" if data.get("ok") else "false",
        "tested": str(len(migrations)),
        "failed-versions": _versions(failed),
    }


def _health_outputs(data: dict[str, Any]) -> dict[str, str]:
    checks = data.get("checks") or []
    failed = [c["name"] for c in checks if c.get("status") == "fail"]
    warned = [c["name"] for c in checks if c.get("status") == "warn"]
    return {
        "status": str(data.get("status", "")),
        "failed-checks": ",".join(failed),
        "warned-checks": ",".join(warned),
    }


def _review_outputs(data: dict[str, Any]) -> dict[str, str]:
    summary = data.get("summary") or {}
    return {
        "errors": str(summary.get("errors", 0)),
        "warnings": str(summary.get("warnings", 0)),
        "findings": str(summary.get("total", 0)),
        "files": str(len(data.get("files") or [])),
    }


OUTPUTS: dict[str, OutputsOf] = {
    "migrate": _run_outputs,
    "rollback": _run_outputs,
    "status": _status_outputs,
    "test": _test_outputs,
    "health": _health_outputs,
    "review": _review_outputs,
}


def outputs_from_json(verb: str, path: str) -> dict[str, str]:
    """The step outputs of `verb` from its JSON report at `path`."""
    text = Path(path).read_text(encoding="utf-8")
    # Workflow commands (::add-mask::, ::error::) may surround the JSON document on stdout.
    start = text.find("{")
    if start < 0:
        raise ValueError(f"{path} holds no JSON object")
    data, _ = json.JSONDecoder().raw_decode(text, start)
    if not isinstance(data, dict):
        raise ValueError(f"{path} does not hold a JSON object")
    return OUTPUTS[verb](data)


def pg_clients() -> dict[str, str]:
    """The server's major version and the newest pg_dump found (empty values when unknown)."""
    from pgship.backup.clients import candidates
    from pgship.config import CliValues, load_settings
    from pgship.db import connect

    result = {"server_major": "", "pg_dump_major": "", "pg_dump_dir": ""}
    found = candidates("pg_dump")
    if found:
        best = max(found, key=lambda p: p.major)
        result["pg_dump_major"] = str(best.major)
        result["pg_dump_dir"] = str(best.path.resolve().parent)
    # The variables of pgship's global options (see `pgship --help`), then pgship.yml, as the CLI.
    settings = load_settings(
        CliValues(
            database_url=os.environ.get("DATABASE_URL") or None,
            config=os.environ.get("PGSHIP_CONFIG") or None,
            environment=os.environ.get("PGSHIP_ENVIRONMENT") or None,
        )
    )
    if settings.database_url is not None:
        with connect(settings.database_url, application_name="pgship setup") as conn:
            result["server_major"] = str(conn.info.server_version // 10000)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["pg-clients"] and len(args) == 1:
        from pgship.errors import PgshipError

        try:
            values = pg_clients()
        except PgshipError as exc:
            print(f"pgship setup: {exc.message}", file=sys.stderr)
            return 2
        except Exception as exc:  # a database error: say what kind, never the URL
            print(
                f"pgship setup: cannot ask the server its version ({type(exc).__name__}).",
                file=sys.stderr,
            )
            return 2
        for name, value in values.items():
            print(f"{name}={value}")
        return 0
    if args[:1] == ["outputs"] and len(args) == 3 and args[1] in OUTPUTS:
        try:
            values = outputs_from_json(args[1], args[2])
        except (OSError, ValueError, KeyError) as exc:
            print(f"pgship: cannot read the {args[1]} report {args[2]}: {exc}", file=sys.stderr)
            return 2
        set_outputs(values)
        for name, value in values.items():
            print(f"{name}={value}")
        return 0
    verbs = "|".join(OUTPUTS)
    print(
        f"usage: python -m pgship.ghaction pg-clients | outputs {{{verbs}}} FILE", file=sys.stderr
    )
    return 2


if __name__ == "__main__":
    sys.exit(main())
