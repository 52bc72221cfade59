"""`python -m pgship` runs the CLI."""

from pgship.cli import main

main()
