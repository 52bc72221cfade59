"""`pgship restore`: refuses to overwrite by accident, restores all or nothing, proves the result."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from backup_testing import READER_ROLE, Backup, fingerprint_of, make_shop, row_counts, take_backup
from pgship.embedded import EmbeddedPostgres
from pgship_testing import Project

RESTORER = "pgship_backup_restorer"


@pytest.fixture
def shop_backup(project: Project) -> Backup:
    make_shop(project)
    return take_backup(project)


def manifest_counts(backup: Backup) -> dict[str, int]:
    return {t["table"]: t["rows"] for t in backup.manifest["tables"]}


def test_restore_into_an_empty_database(
    project: Project, shop_backup: Backup, make_database: Callable[..., str], tmp_path: Path
) -> None:
    target = make_database("target")
    outputs = tmp_path / "github_output"

    result = project.run(
        "restore",
        str(shop_backup.archive),
        "--target-url",
        target,
        env={"GITHUB_OUTPUT": str(outputs)},
    )

    assert result.exit_code == 0, result.output
    assert "checksum, table of contents and manifest agree" in result.stderr
    assert "(one transaction)" in result.stderr
    assert "9 table(s) and 7706 row(s) match the manifest, and so does the schema" in result.stdout
    assert row_counts(target) == manifest_counts(shop_backup)
    assert "restored=true" in outputs.read_text()


def test_a_non_empty_target_is_refused_without_clean_and_confirm(
    project: Project, shop_backup: Backup, make_database: Callable[..., str]
) -> None:
    target = make_database("target")
    with psycopg.connect(target, autocommit=True) as conn:
        conn.execute("CREATE TABLE precious (id int); INSERT INTO precious VALUES (42)")
    archive = str(shop_backup.archive)

    plain = project.run("restore", archive, "--target-url", target)
    unconfirmed = project.run("restore", archive, "--target-url", target, "--clean")
    mistyped = project.run(
        "restore", archive, "--target-url", target, "--clean", "--confirm", "confirm"
    )

    assert plain.exit_code == 2, plain.output
    assert "is not empty: it holds 1 table(s). Refusing to restore over it." in plain.stderr
    assert "--clean --confirm CONFIRM" in plain.stderr
    for result in (unconfirmed, mistyped):
        assert result.exit_code == 2, result.output
        assert "confirm with --confirm CONFIRM" in result.stderr
    with psycopg.connect(target) as conn:
        assert conn.execute("SELECT id FROM precious").fetchall() == [(42,)]
        assert conn.execute("SELECT to_regclass('public.customers')").fetchone() == (None,)


def test_a_standalone_composite_type_makes_a_target_non_empty(
    project: Project, shop_backup: Backup, make_database: Callable[..., str]
) -> None:
    target = make_database("target")
    with psycopg.connect(target, autocommit=True) as conn:
        conn.execute("CREATE TYPE pair AS (a int, b int)")

    result = project.run("restore", str(shop_backup.archive), "--target-url", target)

    assert result.exit_code == 2, result.output
    assert "it holds 1 type(s)" in result.stderr


def test_backup_drop_and_restore_with_clean_brings_everything_back(
    project: Project, shop_backup: Backup
) -> None:
    project.execute("DROP TABLE order_lines")
    project.execute("DROP FUNCTION order_total(bigint) CASCADE")  # and the view on it
    project.execute("UPDATE products SET price = 0")
    project.execute("DELETE FROM audit.events WHERE id > 10")
    project.execute("CREATE TABLE made_later (id int)")

    result = project.run(
        "restore",
        str(shop_backup.archive),
        "--target-url",
        project.database_url,
        "--clean",
        "--confirm",
        "CONFIRM",
    )

    assert result.exit_code == 0, result.output
    assert "--clean drops and recreates the backup's objects" in result.stderr
    assert "warning: objects not in the backup, left as they were: " in result.stderr
    assert "table public.made_later" in result.stderr
    counts = row_counts(project.database_url)
    assert counts.pop("public.made_later") == 0
    assert counts == manifest_counts(shop_backup)
    live = fingerprint_of(project.database_url)
    del live["table"]["public.made_later"], live["column"]["public.made_later.id"]
    assert live == shop_backup.manifest["fingerprint"]
    assert project.scalar("SELECT min(price) FROM products") > 0


def test_confirm_word_comes_from_the_environment_settings(
    project: Project, shop_backup: Backup
) -> None:
    (project.root / "pgship.yml").write_text(
        "environments:\n  production:\n    confirm_word: SHIP-IT\n"
    )
    args = ["restore", str(shop_backup.archive), "--target-url", project.database_url, "--clean"]

    refused = project.run("--environment", "production", *args, "--confirm", "CONFIRM")
    accepted = project.run("--environment", "production", *args, "--confirm", "SHIP-IT")

    assert refused.exit_code == 2, refused.output
    assert "confirm with --confirm SHIP-IT" in refused.stderr
    assert accepted.exit_code == 0, accepted.output


def test_parallel_restore_of_a_directory_backup(
    project: Project, make_database: Callable[..., str]
) -> None:
    make_shop(project)
    backup = take_backup(project, "--format", "directory", "--jobs", "2")
    target = make_database("target")

    result = project.run(
        "--format", "json", "restore", str(backup.archive), "--target-url", target, "--jobs", "2"
    )

    assert result.exit_code == 0, result.output
    assert "(2 jobs, not atomic)" in result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["jobs"] == 2
    assert report["tables_checked"] == 9 and report["rows_checked"] == 7706
    assert fingerprint_of(target) == backup.manifest["fingerprint"]


@pytest.fixture
def restorer_database(
    make_database: Callable[..., str],
) -> Iterator[str]:
    """An empty database owned by a role that is not a superuser; its URL connects as that role."""
    url = make_database("restorer")
    params = conninfo_to_dict(url)
    with psycopg.connect(url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (RESTORER,)).fetchone():
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(RESTORER)))
        conn.execute(
            sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                sql.Identifier(str(params["dbname"])), sql.Identifier(RESTORER)
            )
        )
        conn.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(sql.Identifier(RESTORER)))
    if params.get("password"):
        pytest.skip("the test role has no password on an external server")
    params["user"] = RESTORER
    yield make_conninfo("", **{k: str(v) for k, v in params.items() if v is not None})


def test_a_failed_restore_keeps_nothing(
    project: Project, shop_backup: Backup, restorer_database: str
) -> None:
    """Not a superuser, the restorer cannot give objects to their owner: the restore fails
    after creating the first objects, and its one transaction takes them all back."""
    result = project.run("restore", str(shop_backup.archive), "--target-url", restorer_database)

    assert result.exit_code == 1, result.output
    assert "pg_restore failed after" in result.stderr
    assert re.search(r"must be (member of|able to SET) role", result.stderr, re.IGNORECASE)
    assert "Nothing of it was kept (one transaction)." in result.stderr
    with psycopg.connect(restorer_database) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname IN ('audit', 'pgship')"
        ).fetchone()
        assert row == (0,)
        assert conn.execute("SELECT to_regclass('public.customers')").fetchone() == (None,)


def test_no_owner_lets_the_connecting_user_own_everything(
    project: Project, shop_backup: Backup, restorer_database: str
) -> None:
    result = project.run(
        "restore", str(shop_backup.archive), "--target-url", restorer_database, "--no-owner"
    )

    assert result.exit_code == 0, result.output
    with psycopg.connect(restorer_database) as conn:
        owner = conn.execute(
            "SELECT tableowner FROM pg_tables WHERE tablename = 'customers'"
        ).fetchone()
    assert owner == (RESTORER,)
    assert row_counts(restorer_database) == manifest_counts(shop_backup)


def test_roles_the_backup_grants_to_must_exist_on_the_target(
    project: Project, shop_backup: Backup
) -> None:
    with EmbeddedPostgres() as other_server:  # a server where the reader role does not exist
        result = project.run("restore", str(shop_backup.archive), "--target-url", other_server.url)

    assert result.exit_code == 2, result.output
    assert f"lacks the role(s) {READER_ROLE}" in result.stderr


def test_a_target_url_is_required(project: Project, shop_backup: Backup) -> None:
    result = project.run("restore", str(shop_backup.archive))

    assert result.exit_code == 2
    assert "--target-url" in result.stderr


def test_target_password_is_never_printed(project: Project, shop_backup: Backup) -> None:
    params = conninfo_to_dict(project.database_url)
    url = f"postgresql://nobody:S3cret-Pw-77@{params.get('host')}:{params.get('port')}/nope"

    result = project.run(
        "restore", str(shop_backup.archive), "--target-url", url, env={"GITHUB_ACTIONS": "true"}
    )

    assert result.exit_code == 2, result.output
    assert result.stdout.count("S3cret-Pw-77") == 1  # only the ::add-mask:: line
    assert "::add-mask::S3cret-Pw-77" in result.stdout
    assert "S3cret-Pw-77" not in result.stderr
