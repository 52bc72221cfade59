"""actions/setup: install.sh (once per job, pg_dump check), common.sh (inputs to options), and
the pgship.ghaction helper that turns the CLI's JSON into step outputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pgship.ghaction import main as ghaction_main
from pgship.ghaction import outputs_from_json
from pgship.outputs import read_outputs

REPO = Path(__file__).resolve().parents[1]
INSTALL = REPO / "actions" / "setup" / "install.sh"
COMMON = REPO / "actions" / "setup" / "common.sh"


def clean_env(runner_temp: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PGSHIP_", "GITHUB_")) and k != "DATABASE_URL"
    }
    return {**env, "RUNNER_TEMP": str(runner_temp), **extra}


def run_install(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(INSTALL)], env=env, capture_output=True, text=True, timeout=600, check=False
    )


def test_preinstalled_pgship_is_used_once_per_job(tmp_path: Path, db_url: str) -> None:
    env = clean_env(
        tmp_path,
        PGSHIP_INSTALL="path",
        PGSHIP_PYTHON=sys.executable,
        PGSHIP_CHECK_PG_DUMP="true",
        DATABASE_URL=db_url,
    )
    first = run_install(env)
    assert first.returncode == 0, first.stderr
    assert "pgship 0.1.0 is ready" in first.stderr
    assert "can back up PostgreSQL" in first.stderr  # the pg_dump here is new enough
    state = tmp_path / "pgship-setup"
    bin_dir = Path((state / "pg-bin-dir").read_text().strip())
    assert (bin_dir / "pg_dump").exists()
    version = subprocess.run(
        [str(state / "bin" / "pgship"), "--version"], capture_output=True, text=True, check=True
    )
    assert "0.1.0" in version.stdout
    assert db_url.split("@")[0] not in first.stderr + first.stdout  # no URL in the log

    second = run_install(env)
    assert second.returncode == 0
    assert "already set up in this job" in second.stderr
    assert "is ready (" not in second.stderr


def test_no_database_url_skips_the_pg_dump_check(tmp_path: Path) -> None:
    env = clean_env(
        tmp_path, PGSHIP_INSTALL="path", PGSHIP_PYTHON=sys.executable, PGSHIP_CHECK_PG_DUMP="true"
    )
    done = run_install(env)
    assert done.returncode == 0, done.stderr
    assert "no database URL given: pg_dump was not checked" in done.stderr
    assert not (tmp_path / "pgship-setup" / "pg-bin-dir").exists()


def test_an_unreachable_database_is_a_warning_not_a_failure(tmp_path: Path) -> None:
    env = clean_env(
        tmp_path,
        PGSHIP_INSTALL="path",
        PGSHIP_PYTHON=sys.executable,
        PGSHIP_CHECK_PG_DUMP="true",
        DATABASE_URL="postgresql://app:s3cret@127.0.0.1:9/app",
    )
    done = run_install(env)
    assert done.returncode == 0, done.stderr
    assert "pg_dump was not checked" in done.stderr
    assert "s3cret" not in done.stderr + done.stdout


def test_too_old_a_python_is_refused_with_what_to_do(tmp_path: Path) -> None:
    fake = tmp_path / "python3.8"
    fake.write_text(
        '#!/bin/sh\ncase "$1" in -V) echo "Python 3.8.18";; *) exit 1;; esac\n', encoding="utf-8"
    )
    fake.chmod(0o755)
    done = run_install(clean_env(tmp_path / "temp", PGSHIP_PYTHON=str(fake)))
    assert done.returncode == 2
    assert "::error title=pgship setup::pgship needs Python 3.11 or newer" in done.stdout
    assert "actions/setup-python" in done.stdout


def test_unknown_install_mode_is_refused(tmp_path: Path) -> None:
    done = run_install(clean_env(tmp_path, PGSHIP_INSTALL="docker"))
    assert done.returncode == 2
    assert "PGSHIP_INSTALL must be action or path" in done.stdout


def test_action_mode_installs_into_a_virtualenv(tmp_path: Path) -> None:
    """The path GitHub's runners take: a virtualenv from the action's checkout (uses PyPI)."""
    env = clean_env(tmp_path, PGSHIP_PYTHON=sys.executable)
    done = run_install(env)
    if done.returncode != 0 and "pip could not install" in done.stdout:
        pytest.skip("pip cannot reach the package index here")
    assert done.returncode == 0, done.stdout + done.stderr
    pgship = tmp_path / "pgship-setup" / "bin" / "pgship"
    assert pgship.resolve().parent == (tmp_path / "pgship-setup" / "venv" / "bin").resolve()
    shown = subprocess.run([str(pgship), "--help"], capture_output=True, text=True, check=True)
    assert "migrate" in shown.stdout
    again = run_install(env)
    assert "already set up in this job" in again.stderr


def source_common(tmp_path: Path, script: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = clean_env(tmp_path, PGSHIP_INSTALL="path", PGSHIP_PYTHON=sys.executable, **env)
    return subprocess.run(
        ["bash", "-c", f'. "{COMMON}"\n{script}'],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )


def test_common_inputs_become_the_variables_pgship_reads(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    done = source_common(
        tmp_path,
        'echo "$DATABASE_URL|$PGSHIP_ENVIRONMENT|$PGSHIP_MIGRATIONS_DIR|$PWD"; command -v pgship',
        PGSHIP_IN_DATABASE_URL="postgresql://app@db/app",
        PGSHIP_IN_ENVIRONMENT="staging",
        PGSHIP_IN_MIGRATIONS_DIR="db/migrations",
        PGSHIP_IN_WORKING_DIRECTORY="app",
    )
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()[:2]
    assert first == f"postgresql://app@db/app|staging|db/migrations|{tmp_path / 'app'}"
    assert second == str(tmp_path / "pgship-setup" / "bin" / "pgship")


def test_an_empty_input_keeps_the_jobs_variable(tmp_path: Path) -> None:
    done = source_common(
        tmp_path,
        'echo "url=$DATABASE_URL"',
        PGSHIP_IN_DATABASE_URL="",
        DATABASE_URL="postgresql://from-the-job@db/app",
    )
    assert done.stdout.splitlines()[0] == "url=postgresql://from-the-job@db/app"


def test_options_and_switches_build_the_command_line(tmp_path: Path) -> None:
    done = source_common(
        tmp_path,
        'args=(migrate); pgship_option --to "003"; pgship_option --retries ""\n'
        "pgship_switch --dry-run true; pgship_switch --single-transaction false\n"
        'printf "%s\\n" "${args[@]}"\n'
        "pgship_switch --dry-run yes",
    )
    assert done.stdout.splitlines() == [
        "migrate",
        "--to",
        "003",
        "--dry-run",
        "::error title=pgship::--dry-run takes true or false, not 'yes'.",
    ]
    assert done.returncode == 2


# ---------------------------------------------------------------- pgship.ghaction


def write_json(tmp_path: Path, name: str, data: object, prefix: str = "") -> str:
    path = tmp_path / name
    path.write_text(prefix + json.dumps(data) + "\n::error title=pgship::x\n", encoding="utf-8")
    return str(path)


def test_migrate_outputs(tmp_path: Path) -> None:
    report = {
        "action": "apply",
        "dry_run": False,
        "steps": [{"version": 3, "name": "c"}, {"version": 4, "name": "d"}],
        "planned": [],
    }
    path = write_json(tmp_path, "m.json", report, prefix="::add-mask::secret\n")
    assert outputs_from_json("migrate", path) == {
        "count": "2",
        "versions": "3,4",
        "first-version": "3",
        "last-version": "4",
    }
    dry = {**report, "dry_run": True, "steps": [], "planned": [{"version": 5, "name": "e"}]}
    assert outputs_from_json("migrate", write_json(tmp_path, "d.json", dry))["versions"] == "5"


def test_status_test_health_and_review_outputs(tmp_path: Path) -> None:
    status = {
        "migrations": [
            {"version": 1, "state": "applied"},
            {"version": 2, "state": "changed-since-applied"},
            {"version": 3, "state": "pending"},
        ]
    }
    assert outputs_from_json("status", write_json(tmp_path, "s.json", status)) == {
        "applied-count": "1",
        "pending-count": "1",
        "pending-versions": "3",
        "head": "1",
        "problems": "1",
    }
    test = {
        "ok": False,
        "migrations": [
            {"version": 1, "verdict": "ok"},
            {"version": 2, "verdict": "schema-differs"},
        ],
    }
    assert outputs_from_json("test", write_json(tmp_path, "t.json", test)) == {
        "ok": "false",
        "tested": "2",
        "failed-versions": "2",
    }
    health = {
        "status": "fail",
        "checks": [{"name": "a", "status": "fail"}, {"name": "b", "status": "warn"}],
    }
    assert outputs_from_json("health", write_json(tmp_path, "h.json", health)) == {
        "status": "fail",
        "failed-checks": "a",
        "warned-checks": "b",
    }
    review = {"files": ["x.sql"], "summary": {"errors": 1, "warnings": 2, "info": 0, "total": 3}}
    assert outputs_from_json("review", write_json(tmp_path, "r.json", review)) == {
        "errors": "1",
        "warnings": "2",
        "findings": "3",
        "files": "1",
    }


def test_outputs_go_to_github_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    github_output = tmp_path / "out.txt"
    monkeypatch.setenv("GITHUB_OUTPUT", str(github_output))
    path = write_json(tmp_path, "h.json", {"status": "ok", "checks": []})
    assert ghaction_main(["outputs", "health", path]) == 0
    assert read_outputs(str(github_output))["status"] == "ok"
    assert ghaction_main(["outputs", "health", str(tmp_path / "missing.json")]) == 2
    assert ghaction_main(["outputs", "deploy", path]) == 2
    assert "usage:" in capsys.readouterr().err


def test_pg_clients_reports_the_server_and_pg_dump(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], pg_major: int
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert ghaction_main(["pg-clients"]) == 0
    lines = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    assert lines["server_major"] == str(pg_major)
    assert int(lines["pg_dump_major"]) >= pg_major
    assert Path(lines["pg_dump_dir"], "pg_dump").exists()
