"""GitHub Actions plumbing for every command: step outputs, the job summary, annotations,
secret masks and folded log groups.

Each writer is a no-op outside GitHub Actions: step outputs and the summary need the file named
by $GITHUB_OUTPUT / $GITHUB_STEP_SUMMARY; workflow commands (`::error::`, `::add-mask::`,
`::group::`) are printed only when GITHUB_ACTIONS=true. The `*_command` functions only build the
text, for callers and tests. https://docs.github.com/actions/reference/workflow-commands-for-github-actions
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import click

ANNOTATION_LEVELS = ("error", "warning", "notice")


def in_github_actions(env: Mapping[str, str] | None = None) -> bool:
    environ = os.environ if env is None else env
    return environ.get("GITHUB_ACTIONS") == "true"


def set_outputs(values: dict[str, str], *, env: dict[str, str] | None = None) -> bool:
    """Append each output (multi-line values in a heredoc block); False outside GitHub Actions."""
    environ = os.environ if env is None else env
    path = environ.get("GITHUB_OUTPUT")
    if not path:
        return False
    lines = []
    for name, value in values.items():
        if "\n" in value or "\r" in value:
            delimiter = f"pgship_{secrets.token_hex(8)}"
            lines.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
        else:
            lines.append(f"{name}={value}\n")
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("".join(lines))
    return True


def read_outputs(path: str) -> dict[str, str]:
    """Parse a $GITHUB_OUTPUT file (both forms) into a dict; later values win. For tests and tools."""
    result: dict[str, str] = {}
    with open(path, encoding="utf-8") as handle:
        lines = handle.read().split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body = []
            while index < len(lines) and lines[index] != delimiter:
                body.append(lines[index])
                index += 1
            index += 1
            result[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            result[name] = value
    return result


def append_step_summary(markdown: str, *, env: Mapping[str, str] | None = None) -> bool:
    """Add markdown to the job summary ($GITHUB_STEP_SUMMARY); False when there is none."""
    environ = os.environ if env is None else env
    path = environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return False
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(markdown if markdown.endswith("\n") else markdown + "\n")
    return True


def escape_data(text: str) -> str:
    """The message part of a workflow command: one line, `%` escaped first."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A `key=value` property of a workflow command: also no `:` or `,`."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(name: str, message: str = "", **properties: object) -> str:
    """E.g. `::error file=a.sql,line=3,title=x::message`; properties set to None are left out."""
    props = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in properties.items()
        if value is not None and value != ""
    )
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def annotation_command(
    level: str,
    message: str,
    *,
    title: str | None = None,
    file: str | None = None,
    line: int | None = None,
    end_line: int | None = None,
    col: int | None = None,
) -> str:
    """An `::error` / `::warning` / `::notice` line, shown on the run and on the file's line."""
    if level not in ANNOTATION_LEVELS:
        raise ValueError(f"annotation level must be one of {ANNOTATION_LEVELS}, not {level!r}")
    return workflow_command(
        level, message, file=file, line=line, endLine=end_line, col=col, title=title
    )


def mask_commands(secret: str) -> list[str]:
    """`::add-mask::` lines for a secret: the whole value and, if multi-line, each line."""
    if not secret.strip():
        return []
    values = [secret] + [line for line in secret.splitlines() if line.strip() and line != secret]
    return [workflow_command("add-mask", value) for value in values]


def emit(line: str, *, env: Mapping[str, str] | None = None) -> bool:
    """Print one workflow command on stdout, only in GitHub Actions."""
    if not in_github_actions(env):
        return False
    click.echo(line)
    return True


def annotate(
    level: str,
    message: str,
    *,
    title: str | None = None,
    file: str | None = None,
    line: int | None = None,
    col: int | None = None,
) -> bool:
    """Print an annotation in GitHub Actions (on the file's line when `file` is given)."""
    return emit(annotation_command(level, message, title=title, file=file, line=line, col=col))


def add_mask(secret: str | None) -> None:
    """Ask the runner to hide `secret` in the rest of the log."""
    for line in mask_commands(secret or ""):
        emit(line)


@contextmanager
def group(title: str) -> Iterator[None]:
    """Fold what is printed inside into a collapsible section of the log."""
    opened = emit(workflow_command("group", title))
    try:
        yield
    finally:
        if opened:
            click.echo("::endgroup::")


@contextmanager
def commands_stopped() -> Iterator[None]:
    """Print untrusted text inside: the runner ignores workflow commands in it (`::stop-commands::`)."""
    token = f"pgship-{secrets.token_hex(12)}"
    stopped = emit(f"::stop-commands::{token}")
    try:
        yield
    finally:
        if stopped:
            click.echo(f"::{token}::")
