"""The `scrisk analyze` command (being built; see the issue tracker)."""

import typer


def analyze() -> None:
    """Not available yet in this build."""
    raise typer.Exit(2)
