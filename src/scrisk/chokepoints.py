"""Global chokepoints: one row per product, how concentrated its world exports (and production) are.

:func:`chokepoints` runs the declarations of :mod:`scrisk.engine.chokepoints`
over a flow table: world export HHI, the top exporter and its share, the
number of exporters, how many importers take at least 50 / 75 / 90 % of
their imports from that top exporter, and, with production data, the
production HHI, top producer and share of the product's material at its
stage (:mod:`scrisk.production`).

Examples
--------
>>> import pandas as pd
>>> from scrisk.schema import make_flow_table
>>> t = make_flow_table(pd.DataFrame({"year": [2024] * 4, "exporter": ["CHN", "CHN", "JPN", "CHN"],
...     "importer": ["KOR", "USA", "USA", "DEU"], "hs": ["811292"] * 4, "value_usd": [9e6, 5e6, 5e6, 1e6]}))
>>> r = chokepoints(t).to_dict()["rows"][0]
>>> r["hs"], r["world_top_exporter"], r["world_top_exporter_share"], r["importers_top_ge_50"], r["importers_top_ge_90"]
('811292', 'CHN', 0.75, 3, 2)
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

import pandas as pd

from scrisk.errors import UsageError
from scrisk.metrics.screen import Bands
from scrisk.results import RowsResult, pick_year

__all__ = ["chokepoints", "ChokepointResult", "SORTS"]

SORTS: dict[str, str] = {
    "hhi": "world_export_hhi",
    "share": "world_top_exporter_share",
    "value": "world_export_value_usd",
    "dependents": "importers_top_ge_50",
    "production": "production_hhi",
}
"""``--sort`` choices and the column each ranks by (descending; ties: world exports, then HS)."""


class ChokepointResult(RowsResult):
    """Chokepoint rows (Arrow) and ``meta``; ``to_dict()`` is the JSON contract ``{"meta", "rows"}``."""


def _production_pick(con, production: Any, reg, years: list[int]) -> tuple[dict[str, Any], list[str]]:
    """Register ``_prod_pick``: per trade year and HS code, the production concentration to join."""
    from scrisk.production.concentration import ProductionResult, production_concentration
    from scrisk.production.readers import ProductionData, read_production

    data = production if isinstance(production, (ProductionData, ProductionResult)) else read_production(production)
    res = data if isinstance(data, ProductionResult) else production_concentration(data, baskets=reg)
    prodc = res.to_pandas()
    order = {d: k for k, d in enumerate(dict.fromkeys(prodc["dataset"]))}
    prodc["dataset_rank"] = prodc["dataset"].map(order).astype("int64")
    pmap = pd.DataFrame([(h, name, src.stage) for name, b in reg.items() for src in getattr(b, "production", ())
                         for h in src.hs], columns=["hs", "material", "stage"])
    ty = pd.DataFrame({"tyear": pd.array(years, dtype="int64")})
    con.register("_prodc", prodc)
    con.register("_prodmap", pmap)
    con.register("_tyears", ty)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _prod_pick AS
        SELECT y.tyear, m.hs, c.material, c.stage, c.year, c.dataset, c.production_hhi, c.top_producer,
               c.top_producer_share, c.n_producers,
               list(DISTINCT c.material) OVER (PARTITION BY y.tyear, m.hs) AS _candidates
        FROM _tyears y JOIN _prodmap m ON TRUE
        JOIN _prodc c ON c.material = m.material AND c.stage = m.stage AND c.year <= y.tyear
        WHERE c.production_total > 0
        QUALIFY row_number() OVER (PARTITION BY y.tyear, m.hs ORDER BY c.year DESC, c.dataset_rank, c.material) = 1
    """)
    return {"inputs": res.meta.get("inputs", []), "report": res.meta.get("production", {})}, []


def _production_notes(tab) -> list[str]:
    """Notes on the joined production: codes several materials share, production years before the trade year."""
    notes: list[str] = []
    lagged: dict[tuple[int, int], list[str]] = {}
    d = tab.select(["hs", "year", "production_material", "production_year"]).to_pylist()
    for r in d:
        if r["production_year"] is not None and r["production_year"] < r["year"]:
            lagged.setdefault((r["year"], r["production_year"]), []).append(r["hs"])
    for (ty, py), codes in sorted(lagged.items()):
        notes.append(f"no {ty} production data: {py} production used for {len(codes)} product(s)")
    return notes


def chokepoints(
    table,
    *,
    hs: Any = None,
    material: Any = None,
    baskets: Any = None,
    year: int | None = None,
    production: Any = None,
    min_import_usd: float = 0.0,
    bands: Bands = Bands(),
    sort: str = "hhi",
    top: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> ChokepointResult:
    """One row per product of the analysed year: world export concentration, dependents, production concentration.

    Parameters
    ----------
    table : FlowTable or DataFrame
        Canonical flows (every importer: the world side needs them all).
    hs, material, baskets
        Products to keep (HS codes/prefixes, basket names; union), and user basket files.
    year : int, optional
        Year to report (default: the latest loaded year).
    production : path(s), ProductionData or ProductionResult, optional
        USGS MCS / BGS WMS / tidy production files (:func:`scrisk.production.read_production`):
        adds the ``production_*`` columns for products whose basket names their production.
    min_import_usd : float, default 0
        Importers count towards ``importers_top_ge_*`` only with imports of at least this value.
    bands : Bands
        The 50 / 75 / 90 % thresholds (``monitor``, ``high``, ``absolute``).
    sort : one of :data:`SORTS`, default ``hhi``
    top : int, optional
        Keep the first rows after ranking.

    Returns
    -------
    ChokepointResult
        Rows ``year, hs, material`` and :func:`scrisk.engine.chokepoints.chokepoint_columns`, ranked, plus ``rank``.
    """
    from scrisk.analysis import registry
    from scrisk.engine.chokepoints import chokepoint_sql
    from scrisk.engine.indicators import Params
    from scrisk.engine.store import connect, flow_source, sql_str
    from scrisk.materials import label_materials, normalize_revision, resolve_hs
    from scrisk.provenance import output_meta
    from scrisk.schema import FlowTable

    if sort not in SORTS:
        raise UsageError(f"--sort {sort!r} is not one of {', '.join(SORTS)}")
    if sort == "production" and production is None:
        raise UsageError("--sort production needs --production FILE")
    if not min_import_usd >= 0:
        raise UsageError(f"--min-import-usd {min_import_usd} must be >= 0")
    if top is not None and top < 0:
        raise UsageError(f"--top {top} is negative")
    step = progress or (lambda s: None)
    if isinstance(table, pd.DataFrame):
        table = FlowTable(frame=table)
    reg = registry(baskets)
    revision = table.meta.hs_revision
    codes = resolve_hs(material, hs, baskets=reg, revision=normalize_revision(revision) if revision else None)
    y = pick_year(table.years, year)
    params = Params(min_import_usd=float(min_import_usd), band_absolute=bands.absolute, band_high=bands.high,
                    band_monitor=bands.monitor)
    opts = ["production"] if production is not None else []
    con = connect()
    notes: list[str] = []
    prod_meta = None
    try:
        if production is not None:
            step("production")
            prod_meta, notes = _production_pick(con, production, reg, [y])
        step("chokepoints")
        from scrisk.engine.spark import is_spark_table

        if is_spark_table(table):
            # the lens query runs on Spark (the production pick sent there); ranking runs here on its rows
            from scrisk.engine.spark import SparkQueries

            q = SparkQueries()
            try:
                if production is not None:
                    from scrisk.engine.store import arrow_table

                    q.register("_prod_pick", arrow_table(con.sql("SELECT * FROM _prod_pick")))
                con.register("_lens_rows", q.arrow(chokepoint_sql(q.source(table), years=[y], hs=tuple(codes or ()),
                                                                  options=opts, params=params), "the chokepoint query"))
            finally:
                q.close()
            sql = "SELECT * FROM _lens_rows"
        else:
            sql = chokepoint_sql(flow_source(con, table), years=[y], hs=tuple(codes or ()), options=opts,
                                 params=params)
        key = SORTS[sort]
        ranked = (f"SELECT row_number() OVER (ORDER BY {key} DESC NULLS LAST, world_export_value_usd DESC, hs) AS rank, "
                  f"* FROM ({sql}) ORDER BY rank" + (f" LIMIT {int(top)}" if top else ""))
        tab = con.sql(ranked).arrow()
        if hasattr(tab, "read_all"):
            tab = tab.read_all()
        shared: list[str] = []
        if production is not None:
            present = set(tab.column("hs").to_pylist())
            shared = [f"{hs}: production of {mat} joined; the code also carries {', '.join(sorted(set(c) - {mat}))}"
                      for hs, mat, c in con.sql("SELECT hs, material, _candidates FROM _prod_pick "
                                                "WHERE len(_candidates) > 1 ORDER BY hs").fetchall() if hs in present]
    finally:
        con.close()
    mats = label_materials(pd.Series(tab.column("hs").to_pylist(), dtype="string"), reg,
                           revision=normalize_revision(revision) if revision else None)
    import pyarrow as pa

    tab = tab.add_column(3, "material", pa.array(mats.fillna("").tolist(), type=pa.string()))
    meta = output_meta(table, hs=list(codes) if codes else None, material=material, year=y, sort=sort, top=top,
                       min_import_usd=float(min_import_usd),
                       bands={"monitor": bands.monitor, "high": bands.high, "absolute": bands.absolute})
    meta["analysis_year"] = y
    meta["rows_total"] = tab.num_rows
    meta["definitions"] = {
        "world_export_hhi": "sum over exporters of (exports / world exports)^2 of the product, 0-1",
        "importers_top_ge_N": "importers whose imports from the world's top exporter are >= N % of their imports "
                              f"of the product (imports >= US${min_import_usd:,.0f})",
        "production_hhi": "sum over producers of (output / world output)^2 of the material at its stage, 0-1",
    }
    if prod_meta is not None:
        meta["production"] = prod_meta
        notes = shared + _production_notes(tab)
    meta["notes"] = notes
    return ChokepointResult(tab, meta)
