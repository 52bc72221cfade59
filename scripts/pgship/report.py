"""Renderings of the `pgship test` report: a terminal table, markdown for GitHub, JSON."""

from __future__ import annotations

from pgship import markdown as md
from pgship.render import table
from pgship.roundtrip import TestReport, Verdict

_ICONS = {
    "ok": "✅",
    "rollback differs": "❌",
    "rollback missing": "⚠️",
    "migration failed": "❌",
    "rollback failed": "❌",
    "not run": "⏭️",
}


def _ms(value: int | None) -> str:
    return "-" if value is None else f"{value} ms"


def _detail(verdict: Verdict) -> str:
    if verdict.failure:
        first = verdict.failure.error.splitlines()[0]
        return f"{verdict.failure.file}:{verdict.failure.line}: {first}"
    if verdict.differences:
        more = f" (+{len(verdict.differences) - 1} more)" if len(verdict.differences) > 1 else ""
        return verdict.differences[0] + more
    return verdict.note


def _lost(verdict: Verdict) -> str:
    return ", ".join(f"{t}: {n}" for t, n in sorted(verdict.rows_lost.items())) or "-"


def text(report: TestReport) -> str:
    headers = ["migration", "verdict", "apply", "rollback", "details"]
    rows = [
        [v.name, v.verdict, _ms(v.apply_ms), _ms(v.rollback_ms), _detail(v)]
        for v in report.verdicts
    ]
    if report.with_data:
        headers.insert(4, "rows a rollback loses")
        for row, verdict in zip(rows, report.verdicts, strict=True):
            row.insert(4, _lost(verdict))
    parts = [f"pgship test on {report.server}", "", table(headers, rows)]
    for verdict in report.verdicts:
        if verdict.differences:
            parts.append(f"\n{verdict.name}: after its rollback the schema differs:")
            parts += [f"  - {line}" for line in verdict.differences]
        if verdict.failure and "\n" in verdict.failure.error:
            parts.append(f"\n{verdict.name}: {verdict.verdict}:")
            parts += [f"  {line}" for line in verdict.failure.error.splitlines()]
    if report.seeds:
        parts.append("")
        for seed in report.seeds:
            if seed.failure:
                parts.append(
                    f"seed {seed.path} failed at {seed.failure.file}:{seed.failure.line}: "
                    f"{seed.failure.error.splitlines()[0]}"
                )
            else:
                parts.append(f"seed {seed.path}: ok ({seed.execution_ms} ms)")
    for problem in report.end_state_problems:
        parts.append(f"end state: {problem}")
    parts.append(f"\n{outcome(report)}.")
    return "\n".join(parts)


def outcome(report: TestReport) -> str:
    """E.g. "PASSED: 7 of 7 migrations round-trip cleanly (1234 ms)"."""
    ok = sum(v.ok for v in report.verdicts)
    verdict = "PASSED" if report.ok else "FAILED"
    return (
        f"{verdict}: {ok} of {len(report.verdicts)} migrations round-trip cleanly"
        f" ({report.duration_ms} ms)"
    )


def markdown(report: TestReport) -> str:
    """A step-summary section: verdict table, differences, seeds, end state."""
    lines = [
        f"### pgship test: {'passed' if report.ok else 'FAILED'}",
        "",
        f"On {md.text(report.server)}, {report.duration_ms} ms.",
        "",
        "| migration | verdict | apply | rollback | details |",
        "|---|---|---|---|---|",
    ]
    for v in report.verdicts:
        icon = _ICONS.get(v.verdict, "")
        lines.append(
            f"| {md.code_span(v.name, in_table=True)} | {icon} {v.verdict} | {_ms(v.apply_ms)} | {_ms(v.rollback_ms)} | "
            f"{_md_cell(_detail(v))} |"
        )
    for v in report.verdicts:
        if v.differences:
            name = md.html_text(v.name)
            lines += ["", f"<details><summary>{name}: schema after rollback</summary>", ""]
            lines += [f"- {_md_cell(d)}" for d in v.differences]
            lines += ["", "</details>"]
    failed_seeds = [s for s in report.seeds if s.failure]
    if failed_seeds or report.end_state_problems:
        lines.append("")
    for seed in failed_seeds:
        assert seed.failure is not None
        lines.append(
            f"- seed {md.code_span(str(seed.path))} failed at line {seed.failure.line}: "
            f"{_md_cell(seed.failure.error.splitlines()[0])}"
        )
    lines += [f"- end state: {_md_cell(p)}" for p in report.end_state_problems]
    return "\n".join(lines) + "\n"


def _md_cell(value: str) -> str:
    """Safe inside a markdown table cell (or a list item): no pipes, HTML, markup or mentions."""
    return md.text(value)


def github_annotations(report: TestReport) -> list[str]:
    """GitHub `::error` lines for what did not pass, on the failing file's line when known."""
    from pgship.outputs import annotation_command

    lines = []
    for v in report.verdicts:
        if v.ok or v.verdict == "not run":
            continue
        file = v.failure.file if v.failure else None
        line = v.failure.line if v.failure else None
        level = "warning" if v.verdict == "rollback missing" else "error"
        lines.append(
            annotation_command(
                level,
                f"{v.name}: {_detail(v)}",
                title=f"pgship test: {v.verdict}",
                file=file,
                line=line,
            )
        )
    for seed in report.seeds:
        if seed.failure:
            lines.append(
                annotation_command(
                    "error",
                    seed.failure.error,
                    title="pgship test: seed failed",
                    file=str(seed.path),
                    line=seed.failure.line,
                )
            )
    return lines
