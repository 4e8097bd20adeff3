"""The `scrisk materials` command (being built; see the issue tracker)."""

import typer


def materials() -> None:
    """Not available yet in this build."""
    raise typer.Exit(2)
