"""The ``scrisk partner`` command: the KIET-style named-partner screen, by BEC end use."""

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

__all__ = ["partner"]

ImpOpt = Annotated[str, typer.Option("--importer", "-i", help="The importer: ISO3 code, group or list (KOR, EU27).",
                                     show_default=False)]
PartnerOpt = Annotated[str, typer.Option("--partner", "-p", help="The named partner: ISO3 code, group or list (CHN).",
                                         show_default=False)]
LowOpt = Annotated[float, typer.Option("--low", help="Lower partner-share band (0-1).")]
HighOpt = Annotated[float, typer.Option("--high", help="Upper partner-share band (0-1).")]
AllOpt = Annotated[bool, typer.Option("--all", help="List every imported product, not only the screened ones.")]


@with_reader_flags
def partner(
    files: FilesArg = None,
    importer: ImpOpt = ...,
    partner: PartnerOpt = ...,
    material: MaterialOpt = None,
    hs: HsOpt = None,
    year: YearOpt = None,
    low: LowOpt = 0.5,
    high: HighOpt = 0.7,
    show_all: AllOpt = False,
    as_bloc: AsBlocOpt = None,
    baskets: BasketsOpt = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    show: ShowOpt = None,
    reader: dict | None = None,
) -> None:
    """KIET-style named-partner screen: products with a trade deficit whose imports come >= 50 % (and >= 70 %)
    from the named partner, each with its BEC end use (intermediate, capital, consumption), and a count per
    end use (the json "summary" table).

    Examples: scrisk partner baci_2024.csv --importer KOR --partner CHN;
    scrisk partner baci.csv --importer EU27 --as-bloc EU27 --partner CHN --format md.

    Exit codes: 0 ok; 2 bad options; 3 unreadable input.
    """
    from scrisk.app import partner_files
    from scrisk.cli.output import emit_with_notes
    from scrisk.report.lenses import render_partner

    with progress_steps("partner") as step:
        step("reading")
        result = partner_files(files, reader_options(**reader, years=year), importer=importer, partner=partner,
                               material=material, hs=hs, baskets=baskets or None, year=year, low=low, high=high,
                               show_all=show_all, as_bloc=as_bloc)
    emit_with_notes(result, fmt, output, render=render_partner, show=show)
