"""The `scrisk diff` command (being built; see the issue tracker)."""

import typer


def diff() -> None:
    """Not available yet in this build."""
    raise typer.Exit(2)
