"""The ``scrisk graph`` command: write the country-good trade graph to GraphML or GEXF."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from scrisk.cli.output import progress_steps
from scrisk.cli.options import (
    with_reader_flags,
    BasketsOpt,
    HsOpt,
    MaterialOpt,
    FilesArg,
    Format,
    FormatOpt,
    YearOpt,
    reader_options,
)

__all__ = ["graph"]

OutOpt = Annotated[
    Path,
    typer.Option("--out", help="Graph file to write: .graphml (yEd, Cytoscape, Gephi) or .gexf (Gephi).",
                 show_default=False),
]


@with_reader_flags
def graph(
    files: FilesArg = None,
    out: OutOpt = ...,
    material: MaterialOpt = None,
    hs: HsOpt = None,
    year: YearOpt = None,
    baskets: BasketsOpt = None,
    fmt: FormatOpt = Format.table,
    reader: dict | None = None,
) -> None:
    """Write the trade graph: country and good nodes, export/import edges by year, supply-chain links.

    Country -> good edges are exports, good -> country edges imports; both
    carry value_usd_YEAR and qty_kg_YEAR attributes and the bilateral
    detail (partners_json). Good -> good edges (kind=input_to) are the
    baskets' upstream -> downstream links (gallium -> GaAs wafers -> ICs),
    so the chain can be walked across tiers. Select goods with --material or
    --hs; without them every product in the data is included.

    Examples: scrisk graph --material gallium --out gallium.graphml;
    scrisk graph baci.csv --hs 8542 --year 2024 --out ics.gexf.

    Exit codes: 0 written; 2 unknown extension, material or option; 3
    unreadable input or unwritable output.
    """
    from scrisk.analysis import read_filter
    from scrisk.api import load_flows
    from scrisk.cli.output import emit, note
    from scrisk.graph import export_graph
    from scrisk.report.render import Column, render

    from scrisk.graph import _format_of

    _format_of(out)  # unknown extension: exit 2 before reading anything
    from scrisk.serialize import refuse_input_overwrite

    refuse_input_overwrite(out, {"inputs": [str(f) for f in files or []]})
    options = reader_options(
        **reader, years=year, hs=read_filter(material, hs, baskets=baskets or None),
    )
    with progress_steps("graph") as step:
        step("reading")
        table = load_flows(files or None, options)
        step("building and writing the graph")
        result = export_graph(table, out, material=material, hs=hs, baskets=baskets or None)
    s = result["rows"][0]
    note(f"wrote {s['file']}: {s['countries']:,} countries, {s['goods']:,} goods, {s['edges']:,} edges "
         f"({s['export_edges']:,} export, {s['import_edges']:,} import, {s['input_to_edges']:,} input_to)")
    if fmt != Format.table:
        cols = [Column(k, k, "int" if isinstance(v, int) else "text") for k, v in s.items() if k != "years"]
        emit(render(result, fmt, columns=cols, title="Trade graph"), None)
