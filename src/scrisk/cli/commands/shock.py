"""The ``scrisk shock`` command: what if an exporter restricts a material? First-order exposure or the cascade."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from scrisk.cli.output import progress_steps
from scrisk.cli.options import (
    with_reader_flags,
    with_spark_flags,
    BasketsOpt,
    HsOpt,
    MaterialOpt,
    FilesArg,
    Format,
    FormatOpt,
    OutputOpt,
    YearOpt,
    reader_options,
)

__all__ = ["shock"]


class Mode(str, Enum):
    """Engine modes."""

    none = "none"
    cascade = "cascade"
    fsc = "fsc"


class Rank(str, Enum):
    """Row ranking."""

    value = "value"
    share = "share"


class By(str, Enum):
    """Row grouping."""

    hs = "hs"
    material = "material"


ExporterOpt = Annotated[
    Optional[list[str]],
    typer.Option("--exporter", "-e", help="Restricting country (ISO3) or group; repeat or comma-separate for several."),
]
TargetsOpt = Annotated[
    Optional[str],
    typer.Option("--targets", help="Destinations hit (ISO3 codes or groups, comma-separated); default: all."),
]
ExemptOpt = Annotated[Optional[str], typer.Option("--exempt", help="Destinations spared (codes or groups).")]
CutOpt = Annotated[
    Optional[float],
    typer.Option("--cut", min=0.0, max=1.0, help="Share of the restricted flows blocked (1 = ban; 0.5 = half of "
                 "licences refused); default 1."),
]
QuotaOpt = Annotated[
    Optional[float],
    typer.Option("--quota-usd", min=0.0, help="Export quota instead of --cut: each exporter may still ship this "
                 "value over the matched flows (cut = 1 - quota / its base exports)."),
]
TaxOpt = Annotated[
    Optional[float],
    typer.Option("--export-tax", min=0.0, help="Ad valorem export tax instead of --cut (0.15 = 15 %); needs "
                 "--elasticity and --elasticity-source; cut = 1 - (1 + tax)^-elasticity."),
]
ElasticityOpt = Annotated[
    Optional[float],
    typer.Option("--elasticity", min=0.0, help="Absolute price elasticity of foreign demand, for --export-tax."),
]
ElasticitySourceOpt = Annotated[
    Optional[str], typer.Option("--elasticity-source", help="Where the --elasticity comes from (recorded in meta).")
]
ModeOpt = Annotated[
    Optional[Mode],
    typer.Option("--mode", help="none: first-order exposure (no substitution, no pass-through); cascade: "
                 "substitution from spare capacity, stocks and re-export pass-through (default); fsc: the Food Shock "
                 "Cascade model with production and reserves."),
]
ProductionOpt = Annotated[
    Optional[Path],
    typer.Option("--production", help="Tidy CSV: country,hs (or material),year,quantity[,unit kg|t|usd]. Default: "
                 "each country's net exports."),
]
ReservesOpt = Annotated[
    Optional[Path],
    typer.Option("--reserves", help="Tidy CSV of reserves (stocks), same layout as --production (fsc mode)."),
]
AccessOpt = Annotated[
    Optional[float],
    typer.Option("--reserve-access", min=0.0, max=1.0, help="Share of reserves usable in fsc mode (default 0.5, "
                 "the reference's rfrac)."),
]
HorizonOpt = Annotated[
    Optional[int],
    typer.Option("--horizon", min=1, max=100, help="Years to run in fsc mode, reserves carried over (default 1)."),
]
DeclineOpt = Annotated[
    Optional[list[str]],
    typer.Option("--production-decline", help="Production shock on the --material/--hs products, ISO3=SHARE "
                 "(CHN=0.3: output falls 30 %); repeatable."),
]
ImporterOpt = Annotated[
    Optional[str],
    typer.Option("--importer", help="Show only these importers (codes or groups, comma-separated); totals stay "
                 "global."),
]
MinImportOpt = Annotated[
    float, typer.Option("--min-import-usd", min=0.0, help="Show only rows whose baseline imports reach this value.")
]
RankOpt = Annotated[
    Rank, typer.Option("--rank", help="Rank rows by the value lost (default) or by its share of imports.")
]
HeadroomOpt = Annotated[
    Optional[float],
    typer.Option("--headroom", min=0.0, help="Spare capacity of unrestricted suppliers, share of their net exports "
                 "(default 0.10)."),
]
StockOpt = Annotated[
    Optional[float],
    typer.Option("--stock-months", min=0.0, help="Stocks in months: of imports (cascade), of production plus "
                 "imports (fsc, when --reserves is not given); default 0."),
]
AlliesOpt = Annotated[
    Optional[str],
    typer.Option("--allies", help="Substitute only from these countries or groups (friend-shoring), e.g. G7."),
]
MaxIterOpt = Annotated[
    Optional[int], typer.Option("--max-iter", min=1, help="Iteration cap of the cascade (default 100).")
]
ScenarioOpt = Annotated[
    Optional[Path],
    typer.Option("--scenario", help="Scenario TOML file: several measures, their sources and engine settings "
                 "(see examples/scenarios/)."),
]
ByOpt = Annotated[By, typer.Option("--by", help="One row per (importer, hs) or per (importer, material).")]
TopOpt = Annotated[
    Optional[int],
    typer.Option("--top", "-n", min=0, help="Keep the first N rows in ranking order (0 = all; default: "
                 "25 in table/md, all in json/csv)."),
]

@with_spark_flags
@with_reader_flags
def shock(
    files: FilesArg = None,
    exporter: ExporterOpt = None,
    material: MaterialOpt = None,
    hs: HsOpt = None,
    targets: TargetsOpt = None,
    exempt: ExemptOpt = None,
    cut: CutOpt = None,
    quota_usd: QuotaOpt = None,
    export_tax: TaxOpt = None,
    elasticity: ElasticityOpt = None,
    elasticity_source: ElasticitySourceOpt = None,
    mode: ModeOpt = None,
    headroom: HeadroomOpt = None,
    stock_months: StockOpt = None,
    allies: AlliesOpt = None,
    max_iter: MaxIterOpt = None,
    production: ProductionOpt = None,
    reserves: ReservesOpt = None,
    reserve_access: AccessOpt = None,
    horizon: HorizonOpt = None,
    production_decline: DeclineOpt = None,
    scenario: ScenarioOpt = None,
    importer: ImporterOpt = None,
    min_import_usd: MinImportOpt = 0.0,
    rank: RankOpt = Rank.value,
    by: ByOpt = By.hs,
    top: TopOpt = None,
    baskets: BasketsOpt = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    year: YearOpt = None,
    reader: dict | None = None,
) -> None:
    """What if an exporter restricts a product? Who loses how much, who fills the gap, who is left short.

    A measure blocks the share --cut of the flows from --exporter of the
    --material/--hs products to --targets (default: everyone) minus
    --exempt. A scenario file (--scenario) holds several measures and
    documents its sources (see examples/scenarios/).

    Modes: none = first-order exposure (each importer loses exactly its
    restricted imports). cascade (default) = importers draw on stock, buy
    more over their existing links from unrestricted suppliers up to their
    spare capacity (--headroom, share of net exports), and re-export hubs
    pass what stays unmet on to their customers, round after round. Per row:
    shortfall = direct + indirect - substituted - from stock - passed on.
    fsc = the Food Shock Cascade model: production (--production), reserves
    (--reserves or --stock-months, --reserve-access), consumption C = P + I
    - X - dR; short countries draw reserves, then cut their exports and ask
    suppliers that still hold reserves for more, in proportion.
    --production-decline CHN=0.3 adds a production shock. Rows are ranked
    by the value lost (--rank share for its share). Runs on the latest year
    in the data (or the latest --year).

    Examples: scrisk shock --exporter CHN --material gallium --cut 0.5;
    scrisk shock baci.csv --exporter CHN --hs 811292 --targets USA --mode none --format json;
    scrisk shock baci.csv --scenario examples/scenarios/china_us_ban_2024.toml --allies G7.

    Exit codes: 0 ok; 2 bad options (no exporter/product, unknown material or
    country); 3 unreadable data or invalid scenario file (file:line named).
    """
    from scrisk.app import shock_files
    from scrisk.cli.output import emit, note, note_rejections, resolve_format
    from scrisk.errors import UsageError
    from scrisk.materials import load_baskets
    from scrisk.report.shock import DEFAULT_TABLE_ROWS, csv_columns, render_shock
    from scrisk.scenario import load_scenario, scenario_from_options

    reg = load_baskets(baskets) if baskets else None
    if scenario is not None:
        if (exporter or material or hs or targets or exempt or cut is not None or production_decline
                or quota_usd is not None or export_tax is not None):
            raise UsageError("--scenario holds the measures; drop --exporter/--material/--hs/--targets/--exempt/--cut/"
                             "--production-decline or drop --scenario")
        spec = load_scenario(scenario, baskets=reg)
    else:
        spec = scenario_from_options(exporters=exporter, materials=material, hs=hs, targets=targets, exempt=exempt,
                                     cut=1.0 if cut is None else cut, declines=production_decline,
                                     quota_usd=quota_usd, export_tax=export_tax, elasticity=elasticity,
                                     elasticity_source=elasticity_source)
    with progress_steps("shock") as step:
        step(f"reading {len(files) if files else 'the bundled example'} file(s) and propagating")
        result = shock_files(files, spec, reader_options(**reader, years=year),
                              mode=mode.value if mode else None, headroom=headroom,
                              stock_months=stock_months, allies=allies, max_iter=max_iter,
                              reserve_access=reserve_access, horizon=horizon, production=production,
                              reserves=reserves, year=max(year) if year else None, by=by.value, baskets=reg,
                              importers=importer, min_import_usd=min_import_usd, rank=rank.value)
    value = resolve_format(fmt, output)
    limit = None if top == 0 else top if top is not None else (DEFAULT_TABLE_ROWS if value in ("table", "md") else None)
    # csv, parquet and jsonl stream the rows from Arrow (an exporter-wide shock has a million of them)
    emit(result.streamed() if value in ("csv", "parquet", "jsonl") else result, fmt, output, render=render_shock,
         kind="shock", limit=limit, show=0, columns=csv_columns if value == "csv" else None)
    note_rejections(result.meta)
    for msg in result.meta.get("notes", []):
        note(f"note: {msg}")
