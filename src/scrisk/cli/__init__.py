"""The ``scrisk`` command-line interface: the Typer app and explicit registration.

Commands are thin translators (parse options, make one library call, render,
set the exit code). Each lives in :mod:`scrisk.cli.commands`; shared options
are declared once in :mod:`scrisk.cli.options`; the error boundary that turns
:class:`~scrisk.errors.ScriskError` into a one-line message and an exit code
is in :mod:`scrisk.cli.boundary`.
"""

from __future__ import annotations

import typer

from scrisk.cli.boundary import main_with_boundary

__all__ = ["app", "main"]

app = typer.Typer(
    name="scrisk",
    help="Supply-chain dependency risk analyzer: concentration, chokepoints and export-control shocks "
    "over bilateral HS-level trade flows.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=True,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        from scrisk import __version__

        typer.echo(f"scrisk {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print scrisk's version and exit."),
) -> None:
    """Supply-chain dependency risk analyzer."""


def _register() -> None:
    from scrisk.cli.commands import analyze, check, convert, diff, graph, materials, shock, validate

    app.command("validate")(validate.validate)
    app.command("analyze")(analyze.analyze)
    app.command("materials")(materials.materials)
    app.command("graph")(graph.graph)
    app.command("shock")(shock.shock)
    app.command("check")(check.check)
    app.command("diff")(diff.diff)
    app.command("convert")(convert.convert)

    from scrisk.cli.commands import chokepoints, production

    app.command("chokepoints")(chokepoints.chokepoints)
    app.command("production")(production.production)
    app.command("supply-risk")(production.supply_risk)

    from scrisk.cli.commands import complement, leverage, partner

    app.command("leverage")(leverage.leverage)
    app.command("complement")(complement.complement)
    app.command("partner")(partner.partner)

    from scrisk.cli.commands import report

    app.command("report")(report.report)

    from scrisk.cli.commands import cache

    app.add_typer(cache.app, name="cache")


_register()


def main() -> None:
    """Run the app behind the error boundary (console-script entry point)."""
    main_with_boundary(app)
