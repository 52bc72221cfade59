"""`pgship review` and `pgship rules` as users call them: exit codes, formats, suppression,
pgship.yml, bad input."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from pgship.cli import cli
from pgship_testing import EXAMPLE_MIGRATIONS, EXAMPLE_ROLLBACKS, REPO, Project

# One error (line 2), one warning (line 3) and one info (line 4: the ignore, used by line 5,
# gives no reason).
MIXED = (
    "CREATE TABLE t (id bigint PRIMARY KEY);\n"
    "CREATE INDEX payouts_status_idx ON payouts (status);\n"
    "DROP INDEX old_idx;\n"
    "-- pgship:ignore set-not-null\n"
    "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n"
)
WARNING_AND_INFO = (
    "DROP INDEX old_idx;\n"
    "-- pgship:ignore require-concurrent-index-creation\n"
    "CREATE INDEX i ON payouts (a);\n"
)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder as the working directory, without pgship's environment variables."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("PGSHIP_", "GITHUB_")) or name in ("DATABASE_URL", "NO_COLOR"):
            monkeypatch.delenv(name)
    return tmp_path


def write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return os.path.relpath(path)


def pgship(*args: str, env: dict[str, str] | None = None, color: bool = False) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, color=color, prog_name="pgship")


def findings_of(result: Result) -> list[dict[str, Any]]:
    findings: list[dict[str, Any]] = json.loads(result.stdout)["findings"]
    return findings


# --- the example migrations ---------------------------------------------------------------


@pytest.mark.parametrize("pg_version", ["11", "12", "15", "18"])
def test_example_migrations_are_safe(workdir: Path, pg_version: str) -> None:
    result = pgship(
        "--migrations-dir",
        str(EXAMPLE_MIGRATIONS),
        "--rollbacks-dir",
        str(EXAMPLE_ROLLBACKS),
        "review",
        "--format",
        "json",
        "--pg-version",
        pg_version,
        "--fail-on",
        "info",
    )

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["findings"] == []
    assert len(report["files"]) == 14  # 7 migrations and their rollbacks


def test_no_paths_reviews_migrations_then_rollbacks(workdir: Path) -> None:
    write(workdir / "migrations" / "001_a.sql", "CREATE INDEX i ON payouts (a);\n")
    write(workdir / "rollbacks" / "001_a_rollback.sql", "DROP INDEX i;\n")

    result = pgship("review", "--format", "json", "--fail-on", "never")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["files"] == ["migrations/001_a.sql", "rollbacks/001_a_rollback.sql"]
    assert [(f["file"], f["rule"]) for f in report["findings"]] == [
        ("migrations/001_a.sql", "require-concurrent-index-creation"),
        ("rollbacks/001_a_rollback.sql", "require-concurrent-index-deletion"),
    ]


def test_a_folder_gives_its_sql_files(workdir: Path) -> None:
    write(workdir / "sql" / "b.sql", "DROP INDEX i;\n")
    write(workdir / "sql" / "a.sql", "SELECT 1;\n")
    write(workdir / "sql" / "notes.txt", "not SQL")

    result = pgship("review", "sql", "--format", "json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["files"] == ["sql/a.sql", "sql/b.sql"]


# --- exit codes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "fail_on", "code"),
    [
        (MIXED, None, 1),
        (MIXED, "error", 1),
        (MIXED, "never", 0),
        (WARNING_AND_INFO, None, 0),
        (WARNING_AND_INFO, "error", 0),
        (WARNING_AND_INFO, "warning", 1),
        (WARNING_AND_INFO, "info", 1),
        (
            "-- pgship:ignore require-concurrent-index-creation\nCREATE INDEX i ON t (a);\n",
            "warning",
            0,
        ),
        (
            "-- pgship:ignore require-concurrent-index-creation\nCREATE INDEX i ON t (a);\n",
            "info",
            1,
        ),
        ("SELECT 1;\n", "info", 0),
    ],
)
def test_fail_on_decides_the_exit_code(
    workdir: Path, sql: str, fail_on: str | None, code: int
) -> None:
    path = write(workdir / "m.sql", sql)
    args = ["review", path] + (["--fail-on", fail_on] if fail_on else [])

    result = pgship(*args)

    assert result.exit_code == code, result.output
    if code:
        assert f"at or above {fail_on or 'error'}" in result.stderr


def test_fail_on_from_the_environment(workdir: Path) -> None:
    path = write(workdir / "m.sql", WARNING_AND_INFO)

    assert pgship("review", path, env={"PGSHIP_FAIL_ON": "warning"}).exit_code == 1


# --- formats ------------------------------------------------------------------------------


def test_text_is_grouped_by_file_and_plain_when_not_a_terminal(workdir: Path) -> None:
    first = write(workdir / "a.sql", MIXED)
    second = write(workdir / "b.sql", "DROP INDEX old_idx;\n")

    result = pgship("review", first, second)

    assert result.exit_code == 1
    out = result.stdout
    assert "\x1b[" not in out
    assert out.index("a.sql") < out.index("2:1") < out.index("b.sql")
    assert re.search(r"^  2:1\s+error\s+require-concurrent-index-creation$", out, re.M)
    assert "lock: SHARE" in out
    assert "CREATE INDEX CONCURRENTLY payouts_status_idx ON payouts (status);" in out
    assert out.rstrip().endswith("2 files reviewed for PostgreSQL 15: 1 error, 2 warnings, 1 info.")


def test_text_is_colored_on_a_terminal(workdir: Path) -> None:
    path = write(workdir / "a.sql", MIXED)

    assert "\x1b[31m" in pgship("review", path, color=True).stdout
    assert "\x1b[" not in pgship("review", path, color=True, env={"NO_COLOR": "1"}).stdout


def test_json_shape(workdir: Path) -> None:
    path = write(workdir / "a.sql", MIXED)

    result = pgship("review", path, "--format", "json")

    report = json.loads(result.stdout)
    assert report["pg_version"] == 15
    assert report["pg_version_source"] == "default"
    assert report["summary"] == {"errors": 1, "warnings": 1, "info": 1, "total": 3}
    assert report["findings"][0] == {
        "file": "a.sql",
        "line": 2,
        "column": 1,
        "rule": "require-concurrent-index-creation",
        "severity": "error",
        "message": report["findings"][0]["message"],
        "alternative": report["findings"][0]["alternative"],
        "lock": "SHARE",
    }
    assert "1 error" in result.stderr  # the summary goes to stderr, stdout stays JSON


def test_global_format_json_applies_to_review(workdir: Path) -> None:
    path = write(workdir / "a.sql", "SELECT 1;\n")

    result = pgship("--format", "json", "review", path)

    assert json.loads(result.stdout)["findings"] == []


def test_github_annotations(workdir: Path) -> None:
    path = write(workdir / "a, b.sql", MIXED)

    result = pgship("review", path, "--format", "github")

    lines = result.stdout.splitlines()
    assert lines[0].startswith(
        "::error file=a%2C b.sql,line=2,col=1,title=require-concurrent-index-creation::"
        "CREATE INDEX without CONCURRENTLY"
    )
    assert "(lock: SHARE)%0A%0ASafe alternative:%0A" in lines[0]
    assert lines[1].startswith("::warning file=a%2C b.sql,line=3,col=1,title=")
    assert lines[2].startswith("::notice file=a%2C b.sql,line=4,col=1,title=ignore-without")
    assert len(lines) == 3
    assert all("\n" not in line and "\r" not in line for line in lines)


def test_markdown_comment(workdir: Path) -> None:
    path = write(workdir / "a.sql", MIXED)

    result = pgship("review", path, "--format", "markdown")

    body = result.stdout
    assert body.startswith(
        "<!-- pgship:review -->\n## 🛑 pgship review: 1 error, 1 warning, 1 info"
    )
    assert "### `a.sql`" in body
    assert "| 2:1 | 🛑 error | `require-concurrent-index-creation` |" in body
    assert "```sql\n-- pgship:no-transaction" in body


def test_markdown_without_findings(workdir: Path) -> None:
    path = write(workdir / "a.sql", "SELECT 1;\n")

    body = pgship("review", path, "--format", "markdown").stdout

    assert "## ✅ pgship review: no findings" in body


def test_markdown_over_the_comment_limit_shrinks_to_counts(workdir: Path) -> None:
    sql = "".join(f"CREATE INDEX i{n} ON payouts (a{n});\n" for n in range(600))
    path = write(workdir / "big.sql", sql)

    body = pgship("review", path, "--format", "markdown", "--fail-on", "never").stdout

    assert len(body) <= 65_000
    assert "too long for a comment" in body
    assert "| `big.sql` | `require-concurrent-index-creation` | 600 |" in body


def test_output_file(workdir: Path) -> None:
    path = write(workdir / "a.sql", MIXED)

    result = pgship("review", path, "--format", "sarif", "--output", "out.sarif")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert json.loads((workdir / "out.sarif").read_text(encoding="utf-8"))["version"] == "2.1.0"
    assert "1 error" in result.stderr


# --- SARIF --------------------------------------------------------------------------------

# The parts of the official SARIF 2.1.0 schema (draft-04) that cover what pgship emits: the same
# required properties, enums, minimums and closed objects (additionalProperties: false).
_TEXT = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}


def _closed(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {**properties, "properties": {"type": "object"}},
    }
    if required:
        schema["required"] = required
    return schema


_LEVEL = {"enum": ["none", "note", "warning", "error"]}
_MESSAGE = _closed({"text": {"type": "string"}, "markdown": {"type": "string"}}, ["text"])
SARIF_SUBSET: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    **_closed(
        {
            "$schema": {"type": "string"},
            "version": {"enum": ["2.1.0"]},
            "runs": {"type": "array", "items": {"$ref": "#/definitions/run"}},
        },
        ["version", "runs"],
    ),
    "definitions": {
        "run": _closed(
            {
                "tool": _closed(
                    {
                        "driver": _closed(
                            {
                                "name": {"type": "string"},
                                "version": {"type": "string"},
                                "semanticVersion": {"type": "string"},
                                "rules": {
                                    "type": "array",
                                    "uniqueItems": True,
                                    "items": {"$ref": "#/definitions/rule"},
                                },
                            },
                            ["name"],
                        )
                    },
                    ["driver"],
                ),
                "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
                "results": {"type": "array", "items": {"$ref": "#/definitions/result"}},
            },
            ["tool"],
        ),
        "rule": _closed(
            {
                "id": {"type": "string"},
                "name": {"type": "string"},
                "shortDescription": _MESSAGE,
                "fullDescription": _MESSAGE,
                "help": _MESSAGE,
                "defaultConfiguration": _closed({"enabled": {"type": "boolean"}, "level": _LEVEL}),
            },
            ["id"],
        ),
        "result": _closed(
            {
                "ruleId": {"type": "string"},
                "ruleIndex": {"type": "integer", "minimum": -1},
                "level": _LEVEL,
                "message": _closed(
                    {"text": {"type": "string"}, "markdown": {"type": "string"}}, ["text"]
                ),
                "locations": {
                    "type": "array",
                    "items": _closed(
                        {
                            "physicalLocation": _closed(
                                {
                                    "artifactLocation": _closed(
                                        {"uri": {"type": "string"}, "uriBaseId": {"type": "string"}}
                                    ),
                                    "region": _closed(
                                        {
                                            "startLine": {"type": "integer", "minimum": 1},
                                            "startColumn": {"type": "integer", "minimum": 1},
                                        },
                                        ["startLine"],
                                    ),
                                },
                                ["artifactLocation"],
                            )
                        }
                    ),
                },
            },
            ["message"],
        ),
    },
}


def test_sarif_is_valid_with_rule_metadata(workdir: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    path = write(workdir / "dir with space" / "a.sql", MIXED)

    result = pgship("review", str(workdir / path), "--format", "sarif")  # absolute -> relative

    log = json.loads(result.stdout)
    jsonschema.Draft4Validator(SARIF_SUBSET).validate(log)
    official = os.environ.get("PGSHIP_SARIF_SCHEMA")  # the official schema file, when at hand
    if official:
        schema = json.loads(Path(official).read_text(encoding="utf-8"))
        jsonschema.Draft4Validator(schema).validate(log)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [rule["id"] for rule in rules]
    assert "set-not-null" in ids and "syntax-error" in ids
    for result_ in run["results"]:
        assert ids[result_["ruleIndex"]] == result_["ruleId"]
    levels = [r["level"] for r in run["results"]]
    assert levels == ["error", "warning", "note"]
    location = run["results"][0]["locations"][0]["physicalLocation"]
    assert location == {
        "artifactLocation": {"uri": "dir%20with%20space/a.sql"},
        "region": {"startLine": 2, "startColumn": 1},
    }
    rule = rules[ids.index("set-not-null")]
    assert rule["defaultConfiguration"] == {"enabled": True, "level": "error"}
    assert "Safe alternative" in rule["help"]["text"]


# --- syntax errors and bad input ----------------------------------------------------------


def test_syntax_error_is_a_finding_with_line_and_column(workdir: Path) -> None:
    path = write(
        workdir / "a.sql",
        "CREATE TABLE t (a bigint PRIMARY KEY);\nALTER TABEL t ADD COLUMN b int;\nCREATE INDEX i ON p (a);\n",
    )

    result = pgship("review", path, "--format", "json")

    assert result.exit_code == 1
    findings = findings_of(result)
    assert [(f["rule"], f["line"], f["column"]) for f in findings] == [
        ("syntax-error", 2, 7),
        ("require-concurrent-index-creation", 3, 1),  # the rest of the file is still reviewed
    ]
    assert findings[0]["message"] == 'Syntax error at or near "TABEL".'


def test_non_utf8_file_is_a_usage_error(workdir: Path) -> None:
    (workdir / "latin1.sql").write_bytes("SELECT 'café';\n".encode("latin-1"))

    result = pgship("review", "latin1.sql")

    assert result.exit_code == 2
    assert "latin1.sql:1: the file is not valid UTF-8" in result.stderr
    assert "iconv" in result.stderr


def test_missing_path_is_a_usage_error(workdir: Path) -> None:
    result = pgship("review", "nope.sql")

    assert result.exit_code == 2
    assert "nope.sql does not exist" in result.stderr


def test_missing_migrations_folder_is_a_usage_error(workdir: Path) -> None:
    result = pgship("review")

    assert result.exit_code == 2
    assert "migrations" in result.stderr


def test_misplaced_file_level_ignore_is_a_usage_error(workdir: Path) -> None:
    path = write(workdir / "a.sql", "SELECT 1;\n-- pgship:ignore-file set-not-null late\n")

    result = pgship("review", path)

    assert result.exit_code == 2
    assert "a.sql:2" in result.stderr and "top of the file" in result.stderr


# --- suppression --------------------------------------------------------------------------


def test_ignore_comments(workdir: Path) -> None:
    path = write(
        workdir / "a.sql",
        "-- pgship:ignore-file require-concurrent-index-deletion legacy indexes are tiny\n"
        "DROP INDEX a_idx;\n"
        "-- pgship:ignore require-concurrent-index-creation payouts has 40 rows\n"
        "CREATE INDEX b_idx ON payouts (b);\n"
        "CREATE INDEX c_idx ON payouts (c);\n"
        "-- pgship:ignore set-not-null nothing to hide here\n"
        "CREATE INDEX CONCURRENTLY d_idx ON payouts (d);\n",
    )

    result = pgship("review", path, "--format", "json", "--fail-on", "never")

    assert [(f["line"], f["rule"]) for f in findings_of(result)] == [
        (5, "require-concurrent-index-creation"),
        (6, "unused-ignore"),
        (7, "concurrently-in-transaction"),
    ]


def test_migrate_accepts_files_with_ignore_comments(project: Project) -> None:
    project.write(
        "001_users",
        "-- pgship:ignore-file require-concurrent-index-creation new table anyway\n"
        "CREATE TABLE users (id bigint, email text);\n"
        "-- pgship:ignore set-not-null the table is empty\n"
        "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n",
    )

    result = project.run("migrate")

    assert result.exit_code == 0, result.output
    assert project.table_exists("users")


# --- pgship.yml ---------------------------------------------------------------------------


def test_pgship_yml_relevels_and_disables_rules(workdir: Path) -> None:
    write(
        workdir / "pgship.yml",
        "review:\n"
        "  rules:\n"
        "    require-concurrent-index-creation: warning\n"
        "    require-concurrent-index-deletion: off\n"
        "    ignore-without-reason: error\n",
    )
    path = write(workdir / "a.sql", WARNING_AND_INFO)

    result = pgship("review", path, "--format", "json")

    assert result.exit_code == 1  # ignore-without-reason is now an error
    assert [(f["rule"], f["severity"]) for f in findings_of(result)] == [
        ("ignore-without-reason", "error")
    ]


def test_pgship_yml_off_rule_does_not_make_its_ignores_unused(workdir: Path) -> None:
    write(workdir / "pgship.yml", "review:\n  rules:\n    set-not-null: off\n")
    path = write(workdir / "a.sql", "-- pgship:ignore set-not-null kept for later\nSELECT 1;\n")

    result = pgship("review", path, "--format", "json", "--fail-on", "info")

    assert result.exit_code == 0, result.output


def test_pgship_yml_fail_on_and_pg_version(workdir: Path) -> None:
    write(workdir / "pgship.yml", "review:\n  fail_on: warning\n  pg_version: 10\n")
    path = write(workdir / "a.sql", "ALTER TABLE t ADD COLUMN b boolean DEFAULT false;\n")

    result = pgship("review", path, "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert (report["pg_version"], report["pg_version_source"]) == (10, "pgship.yml")
    assert findings_of(result)[0]["rule"] == "adding-field-with-volatile-default"

    result = pgship("review", path, "--format", "json", "--pg-version", "11")
    assert result.exit_code == 0
    assert findings_of(result) == []


@pytest.mark.parametrize(
    ("yml", "words"),
    [
        (
            "review:\n  rules:\n    set-not-nul: off\n",
            ["unknown rule 'set-not-nul'", "set-not-null"],
        ),
        ("review:\n  rules:\n    set-not-null: loud\n", ["set-not-null must be one of"]),
        ("review:\n  fail_on: sometimes\n", ["review.fail_on"]),
        ("review:\n  pg_version: fifteen\n", ["review.pg_version"]),
        ("review:\n  rule: {}\n", ["unknown setting(s) rule"]),
    ],
)
def test_bad_review_settings(workdir: Path, yml: str, words: list[str]) -> None:
    write(workdir / "pgship.yml", yml)
    path = write(workdir / "a.sql", "SELECT 1;\n")

    result = pgship("review", path)

    assert result.exit_code == 2
    for word in words:
        assert word in result.stderr


# --- target version from the server -------------------------------------------------------


def test_target_version_comes_from_the_server(project: Project, pg_major: int) -> None:
    project.write("001_a", "SELECT 1;\n")

    result = project.run("review", "--format", "json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["pg_version"], report["pg_version_source"]) == (pg_major, "server")


def test_unreachable_server_is_a_usage_error(workdir: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    path = write(workdir / "a.sql", "SELECT 1;\n")

    result = pgship("review", path, env={"DATABASE_URL": f"postgresql://u@127.0.0.1:{port}/db"})

    assert result.exit_code == 2
    assert "Cannot connect" in result.stderr


# --- pgship rules -------------------------------------------------------------------------


def test_rules_lists_every_rule(workdir: Path) -> None:
    result = pgship("rules")

    assert result.exit_code == 0
    assert re.search(
        r"^set-not-null\s+error\s+SET NOT NULL on an existing table", result.stdout, re.M
    )
    listed = json.loads(pgship("--format", "json", "rules").stdout)
    assert {"id": "unused-ignore", "severity": "warning"}.items() <= listed[1].items()


def test_rules_prints_one_rules_doc(workdir: Path) -> None:
    result = pgship("rules", "adding-unique-or-primary-key")

    assert result.exit_code == 0
    assert result.stdout.startswith("adding-unique-or-primary-key (error)\n\n")
    assert "USING INDEX" in result.stdout
    assert "PostgreSQL does not allow it" in result.stdout


def test_rules_unknown_id(workdir: Path) -> None:
    result = pgship("rules", "set-not-nul")

    assert result.exit_code == 2
    assert "did you mean set-not-null?" in result.stderr


# --- start-up cost ------------------------------------------------------------------------

PROBE = """
import json, sys
sys.argv = ["pgship", *json.loads(sys.argv[1])]
from pgship.cli import main
try:
    main()
except SystemExit:
    pass
print("PROBE " + json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in
      ("pglast", "psycopg", "github", "slack_sdk") or m.startswith("pgship.review"))))
"""


@pytest.mark.parametrize("args", [["--help"], ["review", "--help"], ["rules", "--help"]])
def test_help_imports_neither_pglast_nor_the_review_engine(workdir: Path, args: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO / "scripts")},
    )

    assert done.returncode == 0, done.stderr
    assert "Example" in done.stdout
    assert json.loads(done.stdout.rpartition("PROBE ")[2]) == []


def test_rules_one_rule_as_json(workdir: Path) -> None:
    result = pgship("--format", "json", "rules", "set-not-null")

    rule = json.loads(result.stdout)
    assert (rule["id"], rule["severity"]) == ("set-not-null", "error")
    assert "Safe alternative" in rule["doc"]


def test_reviewing_one_migration_learns_from_the_earlier_ones(workdir: Path) -> None:
    write(workdir / "migrations" / "001_users.sql", "CREATE TABLE users (name varchar(20));\n")
    write(
        workdir / "migrations" / "002_check.sql",
        "ALTER TABLE users ADD CONSTRAINT users_name_not_null CHECK (name IS NOT NULL) NOT VALID;\n",
    )
    write(
        workdir / "migrations" / "003_validate.sql",
        "ALTER TABLE users VALIDATE CONSTRAINT users_name_not_null;\n",
    )
    path = write(
        workdir / "migrations" / "004_change.sql",
        "ALTER TABLE users ALTER COLUMN name TYPE text;\n"
        "ALTER TABLE users ALTER COLUMN name SET NOT NULL;\n",
    )

    result = pgship("review", path, "--format", "json", "--fail-on", "info")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["files"] == ["migrations/004_change.sql"]

    (workdir / "migrations" / "003_validate.sql").unlink()
    result = pgship("review", path, "--format", "json")
    assert [f["rule"] for f in findings_of(result)] == ["set-not-null"]


def test_job_summary_in_github_actions(workdir: Path) -> None:
    path = write(workdir / "a.sql", MIXED)
    summary = workdir / "summary.md"

    result = pgship(
        "review",
        path,
        "--format",
        "github",
        env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)},
    )

    assert result.exit_code == 1
    assert summary.read_text(encoding="utf-8").startswith("<!-- pgship:review -->")
    assert "::error title=pgship" not in result.stdout  # exit 1 adds no extra annotation
