"""The `scrisk shock` command (being built; see the issue tracker)."""

import typer


def shock() -> None:
    """Not available yet in this build."""
    raise typer.Exit(2)
