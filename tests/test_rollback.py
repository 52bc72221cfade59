"""`pgship rollback` and `pgship resolve`: undoing and repairing, newest first, nothing half-done."""

from __future__ import annotations

import json

from pgship_testing import Project


def _three(project: Project) -> None:
    project.write("001_a", "CREATE TABLE a (id int);", "DROP TABLE a;")
    project.write("002_b", "CREATE TABLE b (id int);", "DROP TABLE b;")
    project.write("003_c", "CREATE TABLE c (id int);", "DROP TABLE c;")
    assert project.run("migrate").exit_code == 0


def test_rollback_undoes_the_newest_by_default(project: Project) -> None:
    _three(project)
    result = project.run("rollback")
    assert result.exit_code == 0, result.output
    assert "Rolled back 1 migration(s)" in result.stdout
    assert not project.table_exists("public.c")
    assert project.table_exists("public.b")
    assert project.history() == {1: "applied", 2: "applied", 3: "rolled_back"}
    assert project.events()[-1] == (3, "rollback")


def test_rollback_steps_and_to_go_newest_first(project: Project) -> None:
    _three(project)
    result = project.run("--format", "json", "rollback", "--steps", "2")
    assert result.exit_code == 0
    assert [s["version"] for s in json.loads(result.stdout)["steps"]] == [3, 2]
    assert project.run("migrate").exit_code == 0  # rolled back ones run again
    assert project.history() == {1: "applied", 2: "applied", 3: "applied"}

    assert project.run("rollback", "--to", "001").exit_code == 0
    assert project.history() == {1: "applied", 2: "rolled_back", 3: "rolled_back"}
    assert project.table_exists("public.a") and not project.table_exists("public.b")


def test_rollback_dry_run_changes_nothing(project: Project) -> None:
    _three(project)
    result = project.run("rollback", "--steps", "2", "--dry-run")
    assert result.exit_code == 0
    assert "would roll back 2 migration(s)" in result.stdout
    assert result.stdout.index("003_c") < result.stdout.index("002_b")
    assert project.table_exists("public.c")


def test_missing_rollback_file_is_found_before_anything_runs(project: Project) -> None:
    _three(project)
    (project.rollbacks / "002_b_rollback.sql").unlink()
    result = project.run("rollback", "--steps", "3")
    assert result.exit_code == 2
    assert "no rollback file for 002_b" in result.stderr
    assert "Nothing was changed" in result.stderr
    assert project.table_exists("public.c")  # 003 was not rolled back either
    assert project.history() == {1: "applied", 2: "applied", 3: "applied"}


def test_failing_rollback_keeps_the_migration_applied(project: Project) -> None:
    project.write("001_a", "CREATE TABLE a (id int);", "DROP TABLE a;\nDROP TABLE nope;")
    assert project.run("migrate").exit_code == 0
    result = project.run("rollback")
    assert result.exit_code == 1
    assert "Rollback of 001_a failed at" in result.stderr
    assert "001_a_rollback.sql:2" in result.stderr
    assert project.table_exists("public.a")
    assert project.history() == {1: "applied"}
    assert project.events()[-1] == (1, "fail")


def test_nothing_to_roll_back(project: Project) -> None:
    project.write("001_a", "CREATE TABLE a (id int);", "DROP TABLE a;")
    result = project.run("rollback")
    assert result.exit_code == 0
    assert "Nothing to roll back" in result.stdout


def test_resolve_rolled_back_and_applied_run_no_sql(project: Project) -> None:
    _three(project)
    result = project.run("resolve", "003", "--rolled-back")
    assert result.exit_code == 0, result.output
    assert "no SQL was run" in result.stdout
    assert project.table_exists("public.c")  # the person has not dropped it yet: we did not
    assert project.history()[3] == "rolled_back"
    assert project.run("resolve", "003", "--applied").exit_code == 0
    assert project.history()[3] == "applied"
    actions = [a for v, a in project.events() if v == 3]
    assert actions == ["apply", "resolve", "resolve"]
    details = project.query("SELECT detail->>'as' FROM pgship.events WHERE action = 'resolve'")
    assert details == [("rolled-back",), ("applied",)]
