"""The ``scrisk materials`` command: list the material baskets, or show one basket's codes and links."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from scrisk.cli.options import BasketsOpt, Format, FormatOpt, OutputOpt

__all__ = ["materials"]

NameArg = Annotated[
    Optional[str],
    typer.Argument(help="Basket name or alias (e.g. gallium, rare-earths, sobejang), or an HS code to find its "
                   "baskets. Omit to list every basket.", show_default=False),
]


def materials(
    name: NameArg = None,
    baskets: BasketsOpt = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
) -> None:
    """List the material baskets, or show one basket: its HS codes, stages, precision notes and links.

    Each basket is the set of HS6 codes through which one material (or
    product family) is traded, with the HS revisions each code is valid in.
    Where an HS6 code mixes several materials (811292 holds gallium,
    germanium, indium, niobium and vanadium) the precision note says so:
    shares computed on that code describe the bundle.

    Exit codes: 0 ok; 2 unknown basket name (the closest names are
    suggested); 3 a --baskets file is missing or invalid (file:line named).
    """
    from scrisk.cli.output import emit
    from scrisk.materials import catalog
    from scrisk.report.materials import render_materials

    result = catalog(name, extra=baskets or None)
    emit(result, fmt, output, render=render_materials, show=0)
