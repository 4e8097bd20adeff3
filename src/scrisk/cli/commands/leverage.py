"""The ``scrisk leverage`` command: how much leverage an exporter holds, and over whom."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from scrisk.cli.output import progress_steps
from scrisk.cli.options import (
    AsBlocOpt,
    BasketsOpt,
    FilesArg,
    Format,
    FormatOpt,
    HsOpt,
    ImporterOpt,
    MaterialOpt,
    OutputOpt,
    ShowOpt,
    YearOpt,
    reader_options,
    with_reader_flags,
    with_spark_flags,
)

__all__ = ["leverage"]

ExporterOpt = Annotated[
    str,
    typer.Option("--exporter", "-e", help="Exporter ISO3 code, group or list (CHN, EU27, JPN,KOR); a group is one "
                 "exporter and trade among its members is left out.", show_default=False),
]
CombineOpt = Annotated[
    bool, typer.Option("--combine", help="Treat the selected products (--material/--hs) as one product.")
]
MinImportOpt = Annotated[
    float, typer.Option("--min-import-usd", help="Importers below this import value (USD) are not counted in the bands.")
]


@with_spark_flags
@with_reader_flags
def leverage(
    files: FilesArg = None,
    exporter: ExporterOpt = ...,
    importer: ImporterOpt = None,
    material: MaterialOpt = None,
    hs: HsOpt = None,
    year: YearOpt = None,
    as_bloc: AsBlocOpt = None,
    min_import_usd: MinImportOpt = 0.0,
    combine: CombineOpt = False,
    baskets: BasketsOpt = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    show: ShowOpt = None,
    reader: dict | None = None,
) -> None:
    """Exporter leverage (CEPII GeoDep's reverse dependence): per product, the exporter's world share, its
    destination HHI and the importers that buy >= 50/75/90 % of their imports from it.

    One row per (year, HS code), or per (year, month) on monthly data; the
    json contract adds an "importers" table: the exporter's share of each
    customer's imports.

    Examples: scrisk leverage baci.csv --exporter CHN --material gallium;
    scrisk leverage baci.csv --exporter CHN --importer EU27 --as-bloc EU27 --format json;
    scrisk leverage baci/ --exporter CHN --engine spark (the query runs on Spark).

    Exit codes: 0 ok; 2 bad options; 3 unreadable input.
    """
    from scrisk.app import leverage_files
    from scrisk.cli.output import emit_with_notes
    from scrisk.report.lenses import render_leverage

    with progress_steps("leverage") as step:
        step("reading")
        result = leverage_files(files, reader_options(**reader, years=year), exporter=exporter, material=material,
                                hs=hs, baskets=baskets or None, importers=importer, year=year, as_bloc=as_bloc,
                                min_import_usd=min_import_usd, combine=combine)
    emit_with_notes(result, fmt, output, render=render_leverage, show=show)
