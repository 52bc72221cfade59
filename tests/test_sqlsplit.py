"""Splitting migration files into statements (pure Python, no database)."""

from __future__ import annotations

import pytest

from pgship.migrations.sqlsplit import Statement, split_statements

ATOMIC_FUNCTION = """\
CREATE FUNCTION grade(score int) RETURNS text
    LANGUAGE sql
BEGIN ATOMIC
    INSERT INTO grades_log VALUES (score);
    SELECT CASE WHEN score >= 90 THEN 'A' -- a comment; end
                WHEN score >= 80 THEN (CASE score WHEN 85 THEN 'B+' ELSE 'B' END)
                ELSE 'end; begin atomic' END;
END"""
ATOMIC_WITH_CASE = ATOMIC_FUNCTION + ";\nSELECT grade(95);\n"

# (id, SQL in, expected [(text, line)] out). Some inputs are not valid SQL (u&'\', $1$): they
# check that the splitter reads tokens as PostgreSQL's lexer does, and the server rejects them.
CASES: list[tuple[str, str, list[tuple[str, int]]]] = [
    # Basics
    ("empty", "", []),
    ("whitespace and bare semicolons", " \n\t;;\n ; \n", []),
    ("comments only", "-- one\n/* two */\n  -- three;\n", []),
    ("one statement", "SELECT 1;", [("SELECT 1", 1)]),
    ("two on one line", "SELECT 1; SELECT 2;", [("SELECT 1", 1), ("SELECT 2", 1)]),
    ("last without semicolon", "SELECT 1;\nSELECT 2\n", [("SELECT 1", 1), ("SELECT 2", 2)]),
    ("empty statements dropped", ";;SELECT 1;;\n;", [("SELECT 1", 1)]),
    (
        "multi-line statement",
        "\n\nCREATE TABLE t (\n    id int\n);\n\nDROP TABLE t;\n",
        [("CREATE TABLE t (\n    id int\n)", 3), ("DROP TABLE t", 7)],
    ),
    # Comments
    (
        "line comments before a statement are not part of it",
        "-- header; with a semicolon\n\n-- more\nSELECT 1;",
        [("SELECT 1", 4)],
    ),
    (
        "comments inside a statement are kept",
        "SELECT 1, -- one; still inside\n  2 /* two; */ + 3;",
        [("SELECT 1, -- one; still inside\n  2 /* two; */ + 3", 1)],
    ),
    (
        "comments after the last token are not part of it",
        "SELECT 1 -- why\n;\nSELECT 2 /* bye */\n-- the end\n",
        [("SELECT 1", 1), ("SELECT 2", 3)],
    ),
    (
        "block comment before a statement",
        "/* a\n   b; */ SELECT 1;",
        [("SELECT 1", 2)],
    ),
    (
        "nested block comments",
        "/* outer /* inner; */ still a comment; */ SELECT 1; SELECT 2",
        [("SELECT 1", 1), ("SELECT 2", 1)],
    ),
    (
        "nested block comment inside a statement",
        "SELECT /* a /* b */ ; */ 1; SELECT 2;",
        [("SELECT /* a /* b */ ; */ 1", 1), ("SELECT 2", 1)],
    ),
    ("comment starting with /*/", "/*/ ; */ SELECT 1;", [("SELECT 1", 1)]),
    (
        "quote in a comment",
        "SELECT 1; -- don't\nSELECT 2; /* \"x */",
        [("SELECT 1", 1), ("SELECT 2", 2)],
    ),
    ("-- at the end without newline", "SELECT 1; -- bye", [("SELECT 1", 1)]),
    # Strings
    (
        "semicolon in a string",
        "INSERT INTO t VALUES ('a;b'); SELECT 2",
        [("INSERT INTO t VALUES ('a;b')", 1), ("SELECT 2", 1)],
    ),
    (
        "doubled quotes",
        "SELECT 'it''s; ok', '''';SELECT 2",
        [("SELECT 'it''s; ok', ''''", 1), ("SELECT 2", 1)],
    ),
    (
        "comment markers in a string",
        "SELECT '--', '/*'; SELECT 2",
        [("SELECT '--', '/*'", 1), ("SELECT 2", 1)],
    ),
    (
        "backslash does not escape in a plain string",
        r"SELECT 'C:\'; SELECT 2",
        [(r"SELECT 'C:\'", 1), ("SELECT 2", 1)],
    ),
    (
        "multi-line string moves the line count",
        "SELECT 'a\nb;\nc';\nSELECT 2;",
        [("SELECT 'a\nb;\nc'", 1), ("SELECT 2", 4)],
    ),
    (
        "E string with backslash-escaped quote",
        r"SELECT E'it\'s; fine'; SELECT 2",
        [(r"SELECT E'it\'s; fine'", 1), ("SELECT 2", 1)],
    ),
    (
        "lower-case e string",
        r"select e'a\';b'; select 2",
        [(r"select e'a\';b'", 1), ("select 2", 1)],
    ),
    (
        "E string with escaped backslash before the closing quote",
        r"SELECT E'a\\'; SELECT 2",
        [(r"SELECT E'a\\'", 1), ("SELECT 2", 1)],
    ),
    (
        "E string with doubled quote",
        "SELECT E'a'';b'; SELECT 2",
        [("SELECT E'a'';b'", 1), ("SELECT 2", 1)],
    ),
    (
        "E string after punctuation",
        r"SELECT concat(e'\'', ';'); SELECT 2",
        [(r"SELECT concat(e'\'', ';')", 1), ("SELECT 2", 1)],
    ),
    (
        "identifier ending in e before a quote is not an E string",
        r"SELECT some_type'C:\'; SELECT 2",
        [(r"SELECT some_type'C:\'", 1), ("SELECT 2", 1)],
    ),
    (
        "U& string: backslash does not escape the quote",
        r"SELECT U&'d\0061t\+000061', u&'\'; SELECT 2",
        [(r"SELECT U&'d\0061t\+000061', u&'\'", 1), ("SELECT 2", 1)],
    ),
    (
        "B, X and N strings",
        "SELECT B'1;0', X'1F;', N'n;'; SELECT 2",
        [("SELECT B'1;0', X'1F;', N'n;'", 1), ("SELECT 2", 1)],
    ),
    # Quoted identifiers
    (
        "semicolon and doubled quote in an identifier",
        'CREATE TABLE "a;""b" (x int); SELECT 1',
        [('CREATE TABLE "a;""b" (x int)', 1), ("SELECT 1", 1)],
    ),
    (
        "apostrophe in an identifier",
        'SELECT 1 AS "it\'s"; SELECT 2',
        [('SELECT 1 AS "it\'s"', 1), ("SELECT 2", 1)],
    ),
    (
        "U& identifier",
        'SELECT 1 AS U&"a;\\0061"; SELECT 2',
        [('SELECT 1 AS U&"a;\\0061"', 1), ("SELECT 2", 1)],
    ),
    # Dollar quotes
    (
        "dollar quote",
        "CREATE FUNCTION f() RETURNS void AS $$\nBEGIN\n  PERFORM 'x;';\nEND;\n$$ LANGUAGE plpgsql;\n"
        "SELECT 2;",
        [
            (
                "CREATE FUNCTION f() RETURNS void AS $$\nBEGIN\n  PERFORM 'x;';\nEND;\n$$ LANGUAGE plpgsql",
                1,
            ),
            ("SELECT 2", 6),
        ],
    ),
    (
        "tagged dollar quote holding $$",
        "DO $fn$ BEGIN EXECUTE $$SELECT 1;$$; END $fn$; SELECT 2",
        [("DO $fn$ BEGIN EXECUTE $$SELECT 1;$$; END $fn$", 1), ("SELECT 2", 1)],
    ),
    (
        "dollar tags are case-sensitive",
        "SELECT $a$ $A$; $a$; SELECT 2",
        [("SELECT $a$ $A$; $a$", 1), ("SELECT 2", 1)],
    ),
    (
        "underscore tag",
        "SELECT $_x1$;$_x1$; SELECT 2",
        [("SELECT $_x1$;$_x1$", 1), ("SELECT 2", 1)],
    ),
    (
        "quotes and comments inside a dollar quote",
        "SELECT $q$ it's -- /* \" $q$; SELECT 2",
        [("SELECT $q$ it's -- /* \" $q$", 1), ("SELECT 2", 1)],
    ),
    (
        "$1 parameters are not dollar quotes",
        "PREPARE p(int, int) AS SELECT $1 + $2; EXECUTE p(1, 2);",
        [("PREPARE p(int, int) AS SELECT $1 + $2", 1), ("EXECUTE p(1, 2)", 1)],
    ),
    ("$1$ is not a dollar quote", "SELECT $1$; SELECT 2", [("SELECT $1$", 1), ("SELECT 2", 1)]),
    (
        "$ inside an identifier does not start a dollar quote",
        "SELECT col$x$ FROM t; SELECT 2",
        [("SELECT col$x$ FROM t", 1), ("SELECT 2", 1)],
    ),
    # SQL-standard function bodies
    (
        "BEGIN ATOMIC body is one statement",
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END; SELECT 3;",
        [
            (
                "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END",
                1,
            ),
            ("SELECT 3", 1),
        ],
    ),
    (
        "BEGIN ATOMIC with nested CASE",
        ATOMIC_WITH_CASE,
        [(ATOMIC_FUNCTION, 1), ("SELECT grade(95)", 9)],
    ),
    (
        "lower-case begin atomic with a comment between",
        "create procedure p() begin /* c */\n atomic insert into t values (1); end; select 1",
        [
            ("create procedure p() begin /* c */\n atomic insert into t values (1); end", 1),
            ("select 1", 2),
        ],
    ),
    (
        "empty BEGIN ATOMIC body",
        "CREATE PROCEDURE p() BEGIN ATOMIC END; SELECT 1",
        [("CREATE PROCEDURE p() BEGIN ATOMIC END", 1), ("SELECT 1", 1)],
    ),
    (
        "keywords only count as whole words",
        "CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT case_id, endpoint, t.end, x$case FROM t; END;"
        " SELECT 2",
        [
            (
                "CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT case_id, endpoint, t.end, x$case FROM t; END",
                1,
            ),
            ("SELECT 2", 1),
        ],
    ),
    (
        "keywords in strings, identifiers and comments do not count",
        "CREATE FUNCTION f() RETURNS text BEGIN ATOMIC SELECT 'case', \"case\" /* case */; END; SELECT 2",
        [
            (
                "CREATE FUNCTION f() RETURNS text BEGIN ATOMIC SELECT 'case', \"case\" /* case */; END",
                1,
            ),
            ("SELECT 2", 1),
        ],
    ),
    (
        "BEGIN without ATOMIC is a transaction",
        "BEGIN;\nSELECT 1;\nEND;\nBEGIN ISOLATION LEVEL SERIALIZABLE; COMMIT;",
        [
            ("BEGIN", 1),
            ("SELECT 1", 2),
            ("END", 3),
            ("BEGIN ISOLATION LEVEL SERIALIZABLE", 4),
            ("COMMIT", 4),
        ],
    ),
    (
        "BEGIN and ATOMIC apart are not a body",
        "SELECT 1 AS begin, 2 AS atomic; SELECT 2",
        [("SELECT 1 AS begin, 2 AS atomic", 1), ("SELECT 2", 1)],
    ),
    # Windows line endings
    (
        "CRLF line endings",
        "-- header\r\n\r\nSELECT 1;\r\nSELECT\r\n  2;\r\n\r\n/* c */\r\nSELECT 3\r\n",
        [("SELECT 1", 3), ("SELECT\r\n  2", 4), ("SELECT 3", 8)],
    ),
    # Unterminated tokens: the rest of the file is the last statement
    (
        "unterminated string",
        "SELECT 1; SELECT 'abc; SELECT 2;\n",
        [("SELECT 1", 1), ("SELECT 'abc; SELECT 2;", 1)],
    ),
    ("unterminated E string", r"SELECT E'abc\'; SELECT 2;", [(r"SELECT E'abc\'; SELECT 2;", 1)]),
    ("unterminated identifier", 'SELECT "abc; SELECT 2;', [('SELECT "abc; SELECT 2;', 1)]),
    (
        "unterminated dollar quote",
        "SELECT 1;\nDO $x$ BEGIN; END $$;",
        [("SELECT 1", 1), ("DO $x$ BEGIN; END $$;", 2)],
    ),
    (
        "unterminated block comment is kept",
        "SELECT 1;\n/* oops\nDROP TABLE t;\n",
        [("SELECT 1", 1), ("/* oops\nDROP TABLE t;", 2)],
    ),
    (
        "unterminated nested block comment",
        "SELECT 1 /* a /* b */ SELECT 2;",
        [("SELECT 1 /* a /* b */ SELECT 2;", 1)],
    ),
    (
        "unterminated BEGIN ATOMIC body",
        "CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT 1; SELECT 2;",
        [("CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT 1; SELECT 2;", 1)],
    ),
]


@pytest.mark.parametrize(
    ("sql", "expected"), [case[1:] for case in CASES], ids=[c[0] for c in CASES]
)
def test_split_statements(sql: str, expected: list[tuple[str, int]]) -> None:
    assert [(s.text, s.line) for s in split_statements(sql)] == expected


MIGRATION = """\
-- 042_orders.sql: orders and their lines.
-- pgship:lock-timeout 5s

/*
 * Money is stored in cents; see docs/money.md.
 */

CREATE TABLE orders (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    note       text NOT NULL DEFAULT 'n/a; none',
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Keep the total in sync.
CREATE FUNCTION order_total(order_id bigint) RETURNS bigint
    LANGUAGE plpgsql STABLE
AS $body$
BEGIN
    RETURN (SELECT sum(cents) FROM order_lines l WHERE l.order_id = order_total.order_id);
END;
$body$;

CREATE FUNCTION order_size(n int) RETURNS text LANGUAGE sql
BEGIN ATOMIC
    SELECT CASE WHEN n > 10 THEN 'big' ELSE 'small' END;
END;

COMMENT ON TABLE orders IS E'One row per order;\\n see order_lines.';
INSERT INTO orders (note) VALUES ('first'), ('second; with semicolon')"""


def test_line_numbers_in_a_realistic_migration() -> None:
    statements = split_statements(MIGRATION)
    file_lines = MIGRATION.splitlines()
    assert [(s.line, s.end_line, s.first_line()) for s in statements] == [
        (8, 12, "CREATE TABLE orders ("),
        (15, 21, "CREATE FUNCTION order_total(order_id bigint) RETURNS bigint"),
        (23, 26, "CREATE FUNCTION order_size(n int) RETURNS text LANGUAGE sql"),
        (28, 28, "COMMENT ON TABLE orders IS E'One row per order;\\n see order_lines.'"),
        (29, 29, "INSERT INTO orders (note) VALUES ('first'), ('second; with semicolon')"),
    ]
    for statement in statements:
        assert file_lines[statement.line - 1].startswith(statement.first_line())
        assert statement.text.splitlines()[-1] in file_lines[statement.end_line - 1]
        assert statement.text in MIGRATION


def test_crlf_end_line_and_first_line() -> None:
    [statement] = split_statements("\r\nCREATE TABLE t (\r\n  id int\r\n);\r\n")
    assert statement == Statement("CREATE TABLE t (\r\n  id int\r\n)", line=2, end_line=4)
    assert statement.first_line() == "CREATE TABLE t ("


def test_large_input() -> None:
    sql = "".join(f"INSERT INTO t VALUES ({i}, 'v;{i}');\n" for i in range(20_000))
    statements = split_statements(sql)
    assert len(statements) == 20_000
    assert statements[-1] == Statement("INSERT INTO t VALUES (19999, 'v;19999')", 20_000, 20_000)
