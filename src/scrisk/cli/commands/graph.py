"""The `scrisk graph` command (being built; see the issue tracker)."""

import typer


def graph() -> None:
    """Not available yet in this build."""
    raise typer.Exit(2)
