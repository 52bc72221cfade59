"""GitHub pull-request reports: `pgship comment`."""

from __future__ import annotations

import click


def register(cli: click.Group) -> None:
    """Add this area's commands to the `pgship` group."""
