"""Renderers of a review Report: one module per output format, each with `render(report)`."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from pgship.review.engine import Report

FORMATS = ("text", "json", "github", "sarif", "markdown")


def renderer(name: str) -> Callable[[Report], str]:
    """The `render` function of format `name` (one of FORMATS)."""
    module = import_module(f"{__name__}.{name}_format")
    render: Callable[[Report], str] = module.render
    return render


def summary_line(report: Report) -> str:
    """E.g. "3 files reviewed for PostgreSQL 15: 1 error, 2 warnings, 0 info"."""
    files = len(report.files)
    counts = [
        f"{report.count('error')} error{'s' if report.count('error') != 1 else ''}",
        f"{report.count('warning')} warning{'s' if report.count('warning') != 1 else ''}",
        f"{report.count('info')} info",
    ]
    return (
        f"{files} file{'s' if files != 1 else ''} reviewed for PostgreSQL {report.pg_version}: "
        + ", ".join(counts)
    )
