"""The `scrisk validate` command (being built; see the issue tracker)."""

import typer


def validate() -> None:
    """Not available yet in this build."""
    raise typer.Exit(2)
