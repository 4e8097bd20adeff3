"""The ``scrisk report`` command: one self-contained HTML page with charts, readable offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from scrisk.cli.options import (
    BasketsOpt,
    FilesArg,
    HsOpt,
    ImporterOpt,
    MaterialOpt,
    YearOpt,
    reader_options,
    with_reader_flags,
)

__all__ = ["report"]

ReportOutputOpt = Annotated[
    Optional[Path], typer.Option("--output", "-o", help="The HTML file to write (required), e.g. report.html.")
]
ScenarioOpt = Annotated[
    Optional[Path],
    typer.Option("--scenario", help="Scenario TOML file (see examples/scenarios/): adds the shock waterfall and who "
                 "filled the gap."),
]
MinImportOpt = Annotated[
    float,
    typer.Option("--min-import-usd", help="Minimum imports (USD) for a single-source band; smaller rows rank last."),
]


@with_reader_flags
def report(
    files: FilesArg = None,
    importer: ImporterOpt = None,
    material: MaterialOpt = None,
    hs: HsOpt = None,
    year: YearOpt = None,
    scenario: ScenarioOpt = None,
    min_import_usd: MinImportOpt = 10_000_000.0,
    baskets: BasketsOpt = None,
    output: ReportOutputOpt = None,
    reader: dict | None = None,
) -> None:
    """Write one self-contained HTML report: summary, ranked table, charts, provenance (works offline).

    Sections: the top dependencies in words; the ranked table (sortable,
    searchable); the GeoDep plane (import HHI vs world export HHI, lines at
    0.4, bubble area = imports, colour = single-source band); the supplier
    breakdown of the top products; the top share across the loaded years
    against the 50/75/90 % bands; world chokepoints; with --scenario, the
    shock waterfall (blocked, substituted, from stock, shortfall) and who
    filled the gap; the provenance. The page embeds its chart library and
    makes no network request when opened.

    Examples: scrisk report --importer KOR -o kor.html;
    scrisk report baci.csv --importer KOR --material gallium --scenario examples/scenarios/china_us_ban_2024.toml
    -o gallium.html.

    Exit codes: 0 ok; 2 bad options (no -o, unknown material or country);
    3 unreadable input, invalid scenario file or unwritable output.
    """
    from scrisk.analysis import read_filter
    from scrisk.api import load_flows
    from scrisk.cli.output import emit, note_rejections, progress_steps
    from scrisk.errors import UsageError
    from scrisk.materials import load_baskets
    from scrisk.provenance import read_summary
    from scrisk.report.html import build_report
    from scrisk.report.html.assets import prefetch

    if output is None:
        raise UsageError("scrisk report writes a file: give -o report.html")
    from scrisk.serialize import refuse_input_overwrite

    given = [*(files or []), *([scenario] if scenario else []), *(baskets or [])]
    refuse_input_overwrite(output, {"inputs": [str(f) for f in given]})  # before anything is read
    prefetch()  # build the chart library bundle while the data is read
    reg = load_baskets(baskets) if baskets else None
    spec = None
    codes = read_filter(material, hs, baskets=reg)
    if scenario is not None:
        from scrisk.scenario import load_scenario

        spec = load_scenario(scenario, baskets=reg)
        if codes:  # a product filter: read the scenario's codes too; no filter reads everything
            more = spec.read_codes(baskets=reg, downstream=True)
            codes = tuple(sorted(set(codes) | set(more))) if more else ()
    options = reader_options(**reader, years=year, hs=codes)
    with progress_steps("report") as step:
        step(f"reading {len(files) if files else 'the bundled example'} file(s)")
        table = load_flows(files or None, options)
        step("analysing and drawing")
        html = build_report(table, importers=importer, hs=hs, material=material, baskets=reg,
                            year=max(year) if year else None, min_import_usd=min_import_usd, scenario=spec,
                            scenario_path=str(scenario) if scenario else None)
    emit(html, output)
    note_rejections({"read": read_summary(table)})
