"""The ``scrisk complement`` command: where an ally could cover an importer's dependence on a rival, and back."""

from __future__ import annotations

from typing import Annotated

import typer

from scrisk.cli.output import progress_steps
from scrisk.cli.options import (
    AsBlocOpt,
    BasketsOpt,
    FilesArg,
    Format,
    FormatOpt,
    HsOpt,
    MaterialOpt,
    OutputOpt,
    ShowOpt,
    YearOpt,
    reader_options,
    with_reader_flags,
)

__all__ = ["complement"]

ImpOpt = Annotated[str, typer.Option("--importer", "-i", help="The importer: ISO3 code, group or list (KOR).",
                                     show_default=False)]
AllyOpt = Annotated[str, typer.Option("--ally", help="The ally: ISO3 code, group or list (JPN, G7, MSP); a group is "
                                      "one country, trade among its members left out.", show_default=False)]
RivalOpt = Annotated[str, typer.Option("--rival", help="The rival: ISO3 code, group or list (CHN).", show_default=False)]
MinShareOpt = Annotated[float, typer.Option("--min-share", help="A dependency: the rival's share of the imports is at "
                                            "least this (0-1).")]
MinImportOpt = Annotated[float, typer.Option("--min-import-usd", help="Leave out products with smaller imports (USD).")]


@with_reader_flags
def complement(
    files: FilesArg = None,
    importer: ImpOpt = ...,
    ally: AllyOpt = ...,
    rival: RivalOpt = ...,
    material: MaterialOpt = None,
    hs: HsOpt = None,
    year: YearOpt = None,
    min_share: MinShareOpt = 0.5,
    min_import_usd: MinImportOpt = 0.0,
    as_bloc: AsBlocOpt = None,
    baskets: BasketsOpt = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    show: ShowOpt = None,
    reader: dict | None = None,
) -> None:
    """The complementarity lens: for each of the importer's dependencies on the rival, what the ally exports
    to the world and to third countries and how much of the imports from the rival that could replace; then
    the ally's dependencies and what the importer could cover. Every row has the second-tier exposure (the
    rival's share of each supplier's own imports, weighted by the supplier's share; after Hoang and Lewis,
    FEDS Notes, 2 August 2024).

    Examples: scrisk complement baci_2024.csv --importer KOR --ally JPN --rival CHN;
    scrisk complement baci.csv --importer KOR --ally MSP --rival CHN --format json.

    Exit codes: 0 ok; 2 bad options (overlapping actors, unknown code); 3 unreadable input.
    """
    from scrisk.app import complement_files
    from scrisk.cli.output import emit_with_notes
    from scrisk.report.lenses import render_complement

    with progress_steps("complement") as step:
        step("reading")
        result = complement_files(files, reader_options(**reader, years=year), importer=importer, ally=ally,
                                  rival=rival, material=material, hs=hs, baskets=baskets or None, year=year,
                                  min_share=min_share, min_import_usd=min_import_usd, as_bloc=as_bloc)
    emit_with_notes(result, fmt, output, render=render_complement, show=show)
