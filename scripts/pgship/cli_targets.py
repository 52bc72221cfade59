"""Many databases per environment: `pgship targets`."""

from __future__ import annotations

import json
import os

import click

from pgship.cli_support import handles_errors, output_format


def register(cli: click.Group) -> None:
    """Add this area's commands to the `pgship` group."""
    cli.add_command(targets)


@click.command()
@click.option(
    "--environment",
    "environment",
    metavar="NAME",
    help="Environment from pgship.yml (default: the global --environment / PGSHIP_ENVIRONMENT).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    help="json: a GitHub Actions matrix (default: the global --format, text).",
)
@click.pass_context
@handles_errors
def targets(ctx: click.Context, environment: str | None, fmt: str | None) -> None:
    """List the databases of an environment, e.g. as the matrix of a fan-out. Never connects.

    pgship.yml may give an environment several targets (a database per tenant or shard), each
    naming the variable (in GitHub Actions: the secret) that holds its URL:

    \b
      environments:
        production:
          targets:
            - {name: eu, url_env: EU_DATABASE_URL}
            - {name: us, url_env: US_DATABASE_URL}

    Without `targets` the environment has one: its url_env, else DATABASE_URL. The JSON is
    `{"include": [{"name": ..., "url-env": ...}]}`; in GitHub Actions it is also the step
    outputs `matrix` and `count`.

    \b
    Examples:
      pgship targets --environment production
      pgship targets --environment production --format json
    """
    from pgship.outputs import set_outputs
    from pgship.render import table
    from pgship.targets import load_targets, matrix

    obj = ctx.obj or {}
    cli_values = obj.get("cli", {})
    chosen = environment or cli_values.get("environment") or os.environ.get("PGSHIP_ENVIRONMENT")
    found = load_targets(chosen, cli_values.get("config"))
    document = matrix(found)
    set_outputs({"matrix": json.dumps(document, separators=(",", ":")), "count": str(len(found))})
    if (fmt or (output_format(ctx) if obj else "text")) == "json":
        click.echo(json.dumps(document, indent=2))
        return
    rows = [[t.name, t.url_env, "set" if os.environ.get(t.url_env) else "not set"] for t in found]
    click.echo(table(["target", "url from", "here"], rows))
