"""The ``scrisk chokepoints`` command: one row per product, how concentrated its world supply is."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from scrisk.cli.options import (
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
    with_spark_flags,
)
from scrisk.cli.output import progress_steps

__all__ = ["chokepoints"]


class Sort(str, Enum):
    """Ranking keys (descending)."""

    hhi = "hhi"
    share = "share"
    value = "value"
    dependents = "dependents"
    production = "production"


ProductionOpt = Annotated[
    Optional[list[Path]],
    typer.Option("--production", help="Production file(s) or folder: USGS MCS world tables, the BGS WMS extract or "
                 "a tidy country,commodity,stage,year,quantity,unit CSV; adds production HHI, top producer and share."),
]


@with_spark_flags
@with_reader_flags
def chokepoints(
    files: FilesArg = None,
    material: MaterialOpt = None,
    hs: HsOpt = None,
    year: YearOpt = None,
    production: ProductionOpt = None,
    sort: Annotated[Sort, typer.Option("--sort", help="Rank by hhi (world export HHI), share, value, dependents "
                                       "or production (descending).")] = Sort.hhi,
    top: Annotated[Optional[int], typer.Option("--top", "-n", help="Keep the first N rows (0 = all).")] = None,
    min_import_usd: Annotated[float, typer.Option("--min-import-usd", help="Count an importer as dependent only "
                                                  "with at least these imports (USD).")] = 0.0,
    baskets: BasketsOpt = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    show: ShowOpt = None,
    reader: dict | None = None,
) -> None:
    """List global chokepoints: per product, world export HHI, top exporter and share, exporters, and how many
    importers take at least 50/75/90 % of their imports from that top exporter.

    With --production, also the production HHI, top producer and share of the product's material at its stage
    (mine or refinery). Analyses the latest loaded year (or the latest --year).

    Examples: scrisk chokepoints baci.csv --top 10;
    scrisk chokepoints baci.csv --material gallium --production usgs-mcs/mcs2024 --format json.

    Exit codes: 0 ok; 2 bad options; 3 unreadable input.
    """
    from scrisk.app import chokepoints_files
    from scrisk.cli.output import emit, note, note_rejections
    from scrisk.report.chokepoints import render_chokepoints

    with progress_steps("chokepoints") as step:
        result = chokepoints_files(files, reader_options(**reader, years=year), hs=hs, material=material,
                                   baskets=baskets or None, year=max(year) if year else None,
                                   production=list(production) if production else None, sort=sort.value, top=top,
                                   min_import_usd=min_import_usd, progress=step)
    emit(result, fmt, output, render=render_chokepoints, show=show)
    note_rejections(result.meta)
    notes = result.meta.get("notes", [])
    for msg in notes[:5]:
        note(msg)
    if len(notes) > 5:
        note(f"... and {len(notes) - 5} more notes in meta.notes (--format json)")
