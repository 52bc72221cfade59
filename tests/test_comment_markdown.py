"""The sticky comment's markdown: a stored example (golden file), escaping, shrinking.

The golden file is tests/data/pr_comment.md. A deliberate layout change regenerates it:

    PGSHIP_UPDATE_GOLDEN=1 python -m pytest tests/test_comment_markdown.py

then review the diff of tests/data/pr_comment.md like any other change.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pgship import markdown as md
from pgship.comment.body import LIMIT, CommentParts, is_shrunk, marker, render_comment
from pgship.comment.inline import added_lines, finding_key, plan_inline
from pgship.comment.target import Provenance
from pgship.errors import UsageError
from pgship.review.engine import Report
from pgship.review.formats import renderer
from pgship.review.model import Finding
from pgship.roundtrip import TestReport as RoundTripReport

GOLDEN = Path(__file__).parent / "data" / "pr_comment.md"
SHA = "0123456789abcdef0123456789abcdef01234567"
PROVENANCE = Provenance(
    SHA,
    f"https://github.com/acme/shop/commit/{SHA}",
    "https://github.com/acme/shop/actions/runs/4242",
)
FINDINGS = [
    Finding(
        "migrations/008_add_index.sql",
        3,
        1,
        "require-concurrent-index-creation",
        "error",
        "CREATE INDEX without CONCURRENTLY blocks writes to payouts (SHARE lock) for the "
        "whole index build.",
        "-- pgship:no-transaction   (in a migration file of its own)\n"
        "CREATE INDEX CONCURRENTLY payouts_status_idx ON payouts (status);",
        "SHARE",
    ),
    Finding(
        "migrations/008_add_index.sql",
        7,
        1,
        "unused-ignore",
        "warning",
        "Unknown rule '@someone <b>hi</b> | #12'.",
    ),
    Finding(
        "migrations/009_not_null.sql",
        1,
        1,
        "set-not-null",
        "error",
        "SET NOT NULL on users.email scans the whole table under an ACCESS EXCLUSIVE lock; "
        "validate a CHECK (email IS NOT NULL) first.",
        'ALTER TABLE users ADD CONSTRAINT "users_email_not_null```"\n'
        "    CHECK (email IS NOT NULL) NOT VALID;  -- ``` @someone",
        "ACCESS EXCLUSIVE",
    ),
    Finding(
        "migrations/009_not_null.sql",
        2,
        1,
        "ignore-without-reason",
        "info",
        "`-- pgship:ignore set-not-null` gives no reason: say why the finding is safe to ignore.",
    ),
]
TEST = {
    "ok": False,
    "server": "PostgreSQL 17.2 (embedded)",
    "duration_ms": 1234,
    "with_data": False,
    "migrations": [
        {"version": 8, "name": "008_add_index", "verdict": "ok", "apply_ms": 12, "rollback_ms": 4},
        {
            "version": 9,
            "name": "009_not_null",
            "verdict": "rollback differs",
            "apply_ms": 30,
            "rollback_ms": 5,
            "differences": ["column users.email: not null true -> false", "index <x> added"],
        },
    ],
    "seeds": [
        {
            "file": "seeds/001_users.sql",
            "ok": False,
            "execution_ms": 3,
            "error": 'duplicate key value violates unique constraint "users_pkey"',
            "line": 4,
        }
    ],
    "end_state_problems": [],
}


def golden_parts() -> CommentParts:
    report = Report(FINDINGS, ["migrations/008_add_index.sql", "migrations/009_not_null.sql"], 15)
    return CommentParts(review=report, test=RoundTripReport.from_dict(TEST), provenance=PROVENANCE)


def test_the_comment_matches_the_stored_example() -> None:
    body = render_comment(golden_parts()) + "\n"

    if os.environ.get("PGSHIP_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(body, encoding="utf-8")
        pytest.skip(f"rewrote {GOLDEN}")
    assert body == GOLDEN.read_text(encoding="utf-8"), (
        "The comment layout changed. If that is deliberate, regenerate the golden file: "
        "PGSHIP_UPDATE_GOLDEN=1 python -m pytest tests/test_comment_markdown.py"
    )


def test_review_markdown_format_is_the_comment_without_round_trip_or_footer() -> None:
    report = golden_parts().review
    assert report is not None

    text = renderer("markdown")(report)

    assert text == render_comment(CommentParts(review=report))
    assert text.startswith(
        "<!-- pgship:review -->\n## 🛑 pgship review: 2 errors, 1 warning, 1 info\n"
    )
    assert "pgship test" not in text and "<sub>" not in text


def test_markers() -> None:
    assert marker() == "<!-- pgship:review -->"
    assert marker("db-2.main") == "<!-- pgship:review:db-2.main -->"
    assert marker() not in marker("x")  # a keyed comment is not the default one
    for bad in ("", "x -->", "-x", "a" * 41, "a b"):
        with pytest.raises(UsageError):
            marker(bad)


def test_shrinks_to_counts_then_to_the_headline() -> None:
    many = [
        Finding(f"migrations/{n:04d}_x.sql", 1, 1, "set-not-null", "error", "m", "ALTER;")
        for n in range(600)
    ]
    report = Report(many, [f.file for f in many], 15)

    body = render_comment(CommentParts(review=report, provenance=PROVENANCE))
    assert len(body) <= LIMIT and is_shrunk(body)
    assert "| `migrations/0599_x.sql` | `set-not-null` | 1 |" in body
    assert "[workflow run](https://github.com/acme/shop/actions/runs/4242)" in body

    huge = [
        Finding(f"migrations/{'x' * 40}{n:05d}.sql", 1, 1, "set-not-null", "error", "m")
        for n in range(3000)
    ]
    body = render_comment(CommentParts(review=Report(huge, [], 15)))
    assert len(body) <= LIMIT and is_shrunk(body)
    assert "| File |" not in body
    assert "Run `pgship review` (and `pgship test`) locally for every finding." in body


# --- escaping --------------------------------------------------------------------------------


def test_text_defuses_mentions_references_html_and_markup() -> None:
    assert md.text("@alice <b>&</b> #12 a|b *x* [l](u) `c`\nnext") == (
        "@\u200balice &lt;b&gt;&amp;&lt;/b&gt; #\u200b12 a\\|b \\*x\\* \\[l\\](u) \\`c\\` next"
    )
    assert md.html_text("<x> @a #1 `b`") == "&lt;x&gt; @\u200ba #\u200b1 `b`"


def test_code_spans_and_blocks_hold_any_backticks() -> None:
    assert md.code_span("a.sql") == "`a.sql`"
    assert md.code_span("a`b") == "``a`b``"
    assert md.code_span("`x`") == "`` `x` ``"
    assert md.code_span("a|b", in_table=True) == "`a\\|b`"
    assert md.code_block("SELECT 1;") == "```\nSELECT 1;\n```"
    assert md.code_block("x\n```\ny\n", "sql") == "````sql\nx\n```\ny\n````"
    assert md.code_block("-- `````") == "``````\n-- `````\n``````"


def test_messages_keep_their_code_spans() -> None:
    assert md.message("`a @b` then @c") == "`a @b` then @\u200bc"
    assert md.message("odd ` tick") == "odd \\` tick"


# --- inline comments: pure parts -------------------------------------------------------------


def test_added_lines_of_a_patch() -> None:
    patch = (
        "@@ -1,3 +1,4 @@ CREATE TABLE\n"
        " a\n"
        "-b\n"
        "+B\n"
        "+C\n"
        " d\n"
        "@@ -20,2 +21,2 @@\n"
        "-x\n"
        "+y\n"
        " z\n"
        "\\ No newline at end of file"
    )

    assert added_lines(patch) == {2, 3, 21}
    assert added_lines("@@ -0,0 +1 @@\n+only") == {1}


def test_plan_inline_counts_what_it_leaves_out(tmp_path: Path) -> None:
    errors = [
        Finding(str(tmp_path / "m/1.sql"), line, 1, "set-not-null", "error", "same message")
        for line in (1, 2, 3)
    ]
    warning = Finding(str(tmp_path / "m/1.sql"), 1, 1, "unused-ignore", "warning", "w")
    outside = Finding("/elsewhere/2.sql", 1, 1, "set-not-null", "error", "x")
    known = {finding_key("m/1.sql", "set-not-null", "same message", 1, None)}

    plan = plan_inline(
        [*errors, warning, outside], {"m/1.sql": {1, 2}}, known, root=tmp_path, limit=5
    )

    assert [(c.path, c.line) for c in plan.comments] == [("m/1.sql", 2)]  # 1: already there
    assert (plan.already, plan.outside, plan.over_limit) == (1, 2, 0)
    assert plan.comments[0].key == finding_key("m/1.sql", "set-not-null", "same message", 2, None)
    assert finding_key("m/1.sql", "r", "m", 1, "db2") != finding_key("m/1.sql", "r", "m", 1, None)

    capped = plan_inline(errors, {"m/1.sql": {1, 2, 3}}, set(), root=tmp_path, limit=2)
    assert (len(capped.comments), capped.over_limit) == (2, 1)
