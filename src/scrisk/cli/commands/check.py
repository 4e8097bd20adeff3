"""The `scrisk check` command (being built; see the issue tracker)."""

import typer


def check() -> None:
    """Not available yet in this build."""
    raise typer.Exit(2)
