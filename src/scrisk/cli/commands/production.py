"""The ``scrisk production`` and ``scrisk supply-risk`` commands: production concentration and the EU CRM supply risk."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from scrisk.cli.options import (
    BasketsOpt,
    FilesArg,
    Format,
    FormatOpt,
    MaterialOpt,
    OutputOpt,
    ShowOpt,
    YearOpt,
    reader_options,
    with_reader_flags,
)

__all__ = ["production", "supply_risk"]

ProductionArg = Annotated[list[Path], typer.Argument(help="Production files or folders (USGS MCS, BGS WMS, tidy).",
                                                     show_default=False)]
WgiOpt = Annotated[Optional[Path], typer.Option("--wgi", help="World Bank WGI CSV (long layout) or tidy iso3,score: "
                                                "adds hhi_wgi_t, the EU CRM HHI_WGI,t of global supply (0-10).")]


def production(
    files: ProductionArg,
    material: MaterialOpt = None,
    stage: Annotated[Optional[str], typer.Option("--stage", help="mine or refinery.")] = None,
    year: YearOpt = None,
    wgi: WgiOpt = None,
    baskets: BasketsOpt = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    show: ShowOpt = None,
) -> None:
    """Production concentration per material, stage and year: total, producers, top producer and share, HHI.

    Reads USGS Mineral Commodity Summaries world tables, the BGS World Mineral Statistics extract and tidy
    country,commodity,stage,year,quantity,unit CSVs; maps commodities and stages to the material baskets.

    Examples: scrisk production usgs-mcs/mcs2024 --material gallium;
    scrisk production df_ukgs.csv.gz --material cobalt --stage refinery --format csv.

    Exit codes: 0 ok; 2 bad options; 3 unreadable input.
    """
    from scrisk.app import production_files
    from scrisk.cli.output import emit, note
    from scrisk.report.chokepoints import render_production

    mats = [m for x in material for m in x.split(",") if m.strip()] if material else None
    result = production_files(files, baskets=baskets or None, material=mats, stage=stage,
                              years=year or None, wgi=wgi)
    emit(result, fmt, output, render=render_production, show=show)
    rep = result.meta.get("production", {})
    if rep.get("rejected"):
        note(f"note: {rep['rejected']:,} production cells not read ("
             + ", ".join(f"{k} {v:,}" for k, v in rep.get("reasons", {}).items()) + "); listed in meta (--format json)")
    if rep.get("unmapped_names"):
        note(f"note: {len(rep['unmapped_names'])} production rows with names that map to no ISO3 code "
             "(kept as their own producers; in meta.production.unmapped_names)")


@with_reader_flags
def supply_risk(
    files: FilesArg = None,
    production: Annotated[list[Path], typer.Option("--production", help="Production files or folders (global "
                                                    "supply and EU production).", show_default=False)] = ...,
    wgi: Annotated[Path, typer.Option("--wgi", help="World Bank WGI CSV (long layout) or tidy iso3,score.",
                                      show_default=False)] = ...,
    material: MaterialOpt = None,
    year: YearOpt = None,
    baskets: BasketsOpt = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    show: ShowOpt = None,
    reader: dict | None = None,
) -> None:
    """The EU CRM supply risk, SR = [HHI_WGI,t(GS)*IR/2 + HHI_WGI,t(EUS)*(1-IR/2)]*(1-EoL_RIR)*SI_SR, per material
    and stage, for the baskets that carry [crm] parameters.

    Global supply from the production files; EU sourcing from EU production plus extra-EU imports in the trade
    files; WGI rescaled to 0-10 (higher = worse); t_c, IR, EoL-RIR and SI_SR from the basket data.

    Example: scrisk supply-risk trade.parquet --production usgs-mcs/mcs2024 --wgi wgi.csv --material gallium.

    Exit codes: 0 ok; 2 bad options; 3 unreadable input.
    """
    from scrisk.app import supply_risk_files
    from scrisk.cli.output import emit, note_rejections
    from scrisk.report.chokepoints import render_supply_risk

    mats = [m for x in material for m in x.split(",") if m.strip()] if material else None
    result = supply_risk_files(files, production, wgi, reader_options(**reader, years=year), material=mats,
                               baskets=baskets or None, year=max(year) if year else None)
    emit(result, fmt, output, render=render_supply_risk, show=show)
    note_rejections(result.meta)
