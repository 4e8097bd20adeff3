"""The ``scrisk analyze`` command: ranked import dependencies with a plain-language reason per row."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from scrisk.cli.output import progress_steps
from scrisk.cli.options import (
    with_reader_flags,
    with_spark_flags,
    HsOpt,
    ImporterOpt,
    MaterialOpt,
    BasketsOpt,
    FilesArg,
    Format,
    FormatOpt,
    OutputOpt,
    ShowOpt,
    YearOpt,
    AsBlocOpt,
    reader_options,
)

__all__ = ["analyze", "TABLE_MAX_ROWS"]

TABLE_MAX_ROWS = 25
"""Rows shown by the table format when neither --top nor --show is given (every other format carries all)."""


class Sort(str, Enum):
    """Ranking keys (descending)."""

    score = "score"
    hhi = "hhi"
    top_share = "top_share"
    value = "value"
    hhi_wgi = "hhi_wgi"


TopOpt = Annotated[Optional[int], typer.Option("--top", "-n", help="Show the first N rows after ranking (0 = all).")]
SortOpt = Annotated[Sort, typer.Option("--sort", help="Rank by score, hhi, top_share, value or hhi_wgi (descending).")]
FriendlyOpt = Annotated[
    Optional[str],
    typer.Option("--friendly", help="Countries/groups whose share of imports to report, e.g. G7,EU27,CPTPP "
                 "(adds friendly_share)."),
]
WgiOpt = Annotated[
    Optional[Path],
    typer.Option("--wgi", help="World Bank WGI CSV (long layout Code,Year,Indicator,Estimate) or tidy iso3,score "
                 "(0-10, higher = worse): adds the governance-weighted import HHI (the EU CRM WGI weighting "
                 "without t_c; not the EU CRM supply risk, see scrisk supply-risk)."),
]
ScreenOpt = Annotated[
    bool,
    typer.Option("--screen", help="Apply the EU/CEPII GeoDep screen: import HHI > 0.4, world export HHI > 0.4, "
                 "imports/exports > 1, in >= 2 of the last 3 loaded years."),
]
MinImportOpt = Annotated[
    float,
    typer.Option("--min-import-usd", help="Minimum imports (USD) for a single-source band; smaller rows rank last."),
]
HhiScaleOpt = Annotated[int, typer.Option("--hhi-scale", help="HHI output scale: 1 (0-1) or 10000 (0-10,000).")]


@with_spark_flags
@with_reader_flags
def analyze(
    files: FilesArg = None,
    importer: ImporterOpt = None,
    material: MaterialOpt = None,
    hs: HsOpt = None,
    year: YearOpt = None,
    top: TopOpt = None,
    sort: SortOpt = Sort.score,
    friendly: FriendlyOpt = None,
    wgi: WgiOpt = None,
    screen: ScreenOpt = False,
    min_import_usd: MinImportOpt = 10_000_000.0,
    baskets: BasketsOpt = None,
    hhi_scale: HhiScaleOpt = 1,
    as_bloc: AsBlocOpt = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    show: ShowOpt = None,
    reader: dict | None = None,
) -> None:
    """Rank import dependencies: who supplies each importer's goods, how concentrated, and why it matters.

    One row per (importer, HS code) for the latest loaded year (or the latest
    --year), with import value, suppliers, top supplier and share, HHI,
    effective suppliers, world export HHI, a composite chokepoint score
    (0-1) and a one-line reason. With several years loaded, change versus
    the previous loaded year (--year 2022 --year 2024 loads both and
    analyses 2024). Without FILE, the bundled example.

    Examples: scrisk analyze --importer KOR --top 10;
    scrisk analyze baci.csv --material gallium --friendly G7,EU27 --format json;
    scrisk analyze data/*.csv --importer EU27 --screen --format md;
    scrisk analyze baci.csv --importer EU27 --as-bloc EU27 (the EU as one importer, extra-EU imports).

    Exit codes: 0 ok; 2 bad options (unknown material or country, year not
    in the data); 3 unreadable input.
    """
    from scrisk.app import analyze_files
    from scrisk.cli.output import emit, note, note_rejections
    from scrisk.report.analyze import render_analysis

    with progress_steps("analyze") as step:
        result = analyze_files(
            files, reader_options(**reader, years=year), importers=importer, hs=hs, material=material,
            baskets=baskets or None, year=max(year) if year else None, friendly=friendly, wgi=wgi,
            min_import_usd=min_import_usd, screen=screen, top=top, sort=sort.value, hhi_scale=hhi_scale,
            progress=step, as_bloc=as_bloc,
        )
    emit(result, fmt, output, render=render_analysis, kind="analyze",
         show=show if show is not None else 0 if top is not None else TABLE_MAX_ROWS)
    note_rejections(result.meta)
    for msg in result.meta.get("notes", []):
        note(msg)
