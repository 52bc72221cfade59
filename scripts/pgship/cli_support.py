"""What every CLI module shares: loading settings, error handling, output helpers."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from pgship import outputs
from pgship.errors import PgshipError

if TYPE_CHECKING:
    from pgship.config import Settings

F = TypeVar("F", bound=Callable[..., Any])

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def in_github_actions() -> bool:
    return outputs.in_github_actions()


def log(message: str) -> None:
    click.echo(message, err=True)


def fail(exc: PgshipError) -> None:
    """Print the error and its hint on stderr (and as a GitHub annotation), then exit."""
    message = str(exc)
    click.echo(f"error: {exc.message}", err=True)
    if exc.hint:
        click.echo(f"hint: {exc.hint}", err=True)
    outputs.annotate("error", message, title="pgship")
    sys.exit(exc.exit_code)


def handles_errors(func: F) -> F:
    """Turn PgshipError (and stray database errors) into a message and an exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PgshipError as exc:
            fail(exc)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)
        except Exception as exc:
            import psycopg

            if not isinstance(exc, psycopg.Error):
                raise
            from pgship.errors import ProblemFound

            ctx = click.get_current_context()
            settings = ctx.obj.get("settings") if ctx.obj else None
            text = str(exc).strip()
            if settings is not None and settings.database_url is not None:
                text = settings.database_url.redact(text)
            fail(ProblemFound(f"Database error: {text}"))

    return wrapper  # type: ignore[return-value]


def settings_of(ctx: click.Context, **overrides: Any) -> Settings:
    """Load Settings once per invocation from the global options plus command options."""
    from pgship.config import CliValues, load_settings

    values = {**ctx.obj["cli"], **{k: v for k, v in overrides.items() if v is not None}}
    settings = load_settings(CliValues(**values))
    ctx.obj["settings"] = settings
    if settings.database_url:
        outputs.add_mask(settings.database_url.password)
    return settings


def output_format(ctx: click.Context) -> str:
    return str(ctx.obj["format"])


timeout_options = [
    click.option(
        "--lock-timeout",
        envvar="PGSHIP_LOCK_TIMEOUT",
        help="lock_timeout for each migration, e.g. 5s (default 5s). Env: PGSHIP_LOCK_TIMEOUT.",
    ),
    click.option(
        "--statement-timeout",
        envvar="PGSHIP_STATEMENT_TIMEOUT",
        help="statement_timeout for each migration, e.g. 30min (default off). "
        "Env: PGSHIP_STATEMENT_TIMEOUT.",
    ),
    click.option(
        "--retries",
        type=click.IntRange(min=0),
        envvar="PGSHIP_RETRIES",
        help="Retries after a lock timeout, with exponential backoff and jitter (default 4, "
        "so 5 tries). Env: PGSHIP_RETRIES.",
    ),
]


def with_timeout_options(func: F) -> F:
    for option in reversed(timeout_options):
        func = option(func)
    return func


def write_text(path: str, content: str) -> None:
    from pathlib import Path

    from pgship.errors import UsageError

    try:
        Path(path).write_text(content, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"Cannot write {path}: {exc.strerror}.") from None


def append_step_summary(markdown: str) -> None:
    """Add to the GitHub Actions job summary when running there."""
    outputs.append_step_summary(markdown)
