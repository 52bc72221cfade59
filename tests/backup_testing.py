"""Helpers for the backup tests: a small shop schema with data, backups made as users make them."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from click.testing import Result

from pgship.fingerprint import Fingerprint, take_fingerprint
from pgship_testing import Project

READER_ROLE = "pgship_backup_reader"

SHOP_SCHEMA = """
CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped');
CREATE DOMAIN email AS text CHECK (VALUE LIKE '%@%');
CREATE TABLE customers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email email NOT NULL UNIQUE,
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE customers IS 'people who buy';
CREATE TABLE products (
    id serial PRIMARY KEY,
    sku text NOT NULL UNIQUE,
    price numeric(10, 2) NOT NULL CHECK (price >= 0)
);
CREATE TABLE orders (
    id bigserial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers,
    status order_status NOT NULL DEFAULT 'new',
    placed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_customer_idx ON orders (customer_id);
CREATE TABLE order_lines (
    order_id bigint NOT NULL REFERENCES orders ON DELETE CASCADE,
    product_id int NOT NULL REFERENCES products,
    quantity int NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, product_id)
);
CREATE FUNCTION order_total(p_order bigint) RETURNS numeric LANGUAGE sql STABLE AS $$
    SELECT coalesce(sum(l.quantity * p.price), 0)
    FROM order_lines l JOIN products p ON p.id = l.product_id WHERE l.order_id = p_order
$$;
CREATE FUNCTION touch_placed_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.placed_at := now();
    RETURN NEW;
END
$$;
CREATE TRIGGER orders_touch BEFORE UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION touch_placed_at();
CREATE VIEW order_totals AS SELECT o.id, order_total(o.id) AS total FROM orders o;
CREATE SCHEMA audit;
CREATE TABLE audit.events (id bigint, at date NOT NULL, what text) PARTITION BY RANGE (at);
CREATE TABLE audit.events_2025 PARTITION OF audit.events
    FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE audit.events_2026 PARTITION OF audit.events
    FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE "Mixed Case" ("Id" int, "Some Value" text);
"""

SHOP_DATA = f"""
INSERT INTO customers (email, name)
    SELECT 'c' || g || '@example.com', 'Customer ' || g FROM generate_series(1, 500) g;
INSERT INTO products (sku, price) SELECT 'SKU-' || g, g * 1.25 FROM generate_series(1, 200) g;
INSERT INTO orders (customer_id, status)
    SELECT 1 + g % 500, (ARRAY['new', 'paid', 'shipped'])[1 + g % 3]::order_status
    FROM generate_series(1, 2000) g;
INSERT INTO order_lines (order_id, product_id, quantity)
    SELECT o, 1 + (o + 7 * k) % 200, k FROM generate_series(1, 2000) o, generate_series(1, 2) k;
INSERT INTO audit.events (id, at, what)
    SELECT g, date '2025-06-01' + (g % 400), 'event ' || g FROM generate_series(1, 1000) g;
INSERT INTO "Mixed Case" VALUES (1, 'one'), (2, 'two');
GRANT SELECT ON customers, order_totals TO {READER_ROLE};
"""


def ensure_reader_role(database_url: str) -> None:
    """The role the shop grants to (roles are per server: made once, kept)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (READER_ROLE,)).fetchone():
            with contextlib.suppress(psycopg.errors.DuplicateObject):  # made meanwhile
                conn.execute(f"CREATE ROLE {READER_ROLE} NOLOGIN")


def make_shop(project: Project) -> None:
    """Two migrations (schema, then data and grants), applied with `pgship migrate`: head 2."""
    ensure_reader_role(project.database_url)
    project.write("001_shop", SHOP_SCHEMA)
    project.write("002_shop_data", SHOP_DATA)
    result = project.run("migrate")
    assert result.exit_code == 0, result.output


def fingerprint_of(url: str) -> Fingerprint:
    with psycopg.connect(url, autocommit=True) as conn:
        return take_fingerprint(conn)


def row_counts(url: str) -> dict[str, int]:
    """Rows of every user table (pgship's own included), by qualified name."""
    with psycopg.connect(url, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r'"
            " AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'"
        ).fetchall()
        counts = {}
        for (name,) in tables:
            row = conn.execute(f"SELECT count(*) FROM {name}").fetchone()
            assert row is not None
            counts[name] = int(row[0])
        return counts


@dataclass
class Backup:
    result: Result
    archive: Path
    manifest_path: Path

    @property
    def manifest(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.manifest_path.read_text())
        return data

    def save_manifest(self, data: dict[str, Any]) -> None:
        self.manifest_path.write_text(json.dumps(data, indent=2))


def files_in(folder: Path) -> list[str]:
    """Every file and folder under `folder`, hidden ones included, relative; [] when missing."""
    if not folder.exists():
        return []
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def take_backup(project: Project, *args: str, env: dict[str, str] | None = None) -> Backup:
    """`pgship backup <args>`; asserts success; the archive and manifest it reports."""
    result = project.run("--format", "json", "backup", *args, env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    return Backup(result, Path(data["archive_path"]), Path(data["manifest_path"]))


def github_outputs(path: Path) -> dict[str, str]:
    """name=value lines of a $GITHUB_OUTPUT file."""
    values = {}
    for line in path.read_text().splitlines():
        name, _, value = line.partition("=")
        values[name] = value
    return values
