"""Production concentration per (material, stage, year): the basket mapping, then the supply declarations.

:func:`map_to_baskets` gives each production row its material and stage from
the baskets' ``[[production]]`` tables (USGS code and Type, BGS commodity
and sub-commodity; a tidy file names them itself). Where several USGS
editions report the same year (MCS2023's 2022 estimate and MCS2024's 2022
figure), the latest edition is kept and the others are counted as
superseded. :func:`production_concentration` then runs the declarations of
:mod:`scrisk.engine.supply` (production HHI, top producer and share, the
"Other countries" remainder, unmapped names) in DuckDB.

Examples
--------
>>> import io
>>> from scrisk.production.readers import read_production_tidy
>>> d = read_production_tidy(io.StringIO("country,commodity,stage,year,quantity\\n"
...     "CHN,gallium,refinery,2023,600\\nJPN,gallium,refinery,2023,3\\nRUS,gallium,refinery,2023,5\\n"
...     "KOR,gallium,refinery,2023,2\\n"))
>>> r = production_concentration(d).to_pandas().iloc[0]
>>> r.material, r.stage, int(r.year), r.top_producer, round(float(r.top_producer_share), 4), round(float(r.production_hhi), 4)
('gallium', 'refinery', 2023, 'CHN', 0.9836, 0.9676)
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from scrisk.errors import UnknownMaterialError, UsageError
from scrisk.production.readers import ProductionData
from scrisk.results import RowsResult

__all__ = ["map_to_baskets", "supplier_rows", "production_concentration", "ProductionResult", "PRODUCTION_KEYS"]

PRODUCTION_KEYS: tuple[str, ...] = ("material", "stage", "year", "dataset")
"""The keys of a production-concentration row (``dataset``: ``USGS MCS``, ``BGS WMS`` or ``tidy``)."""


def _dataset(source: str) -> str:
    s = str(source)
    if s.upper().startswith("MCS"):
        return "USGS MCS"
    if s == "BGS":
        return "BGS WMS"
    return s


def map_to_baskets(data: ProductionData, baskets: Mapping[str, Any] | None = None) -> tuple[pd.DataFrame, dict]:
    """Give production rows their basket material and stage.

    Returns
    -------
    (DataFrame, dict)
        The rows that map (columns of the data plus ``material``, ``stage``,
        ``dataset``, ``edition``), and a report: ``unmapped_commodities``
        (commodity, type, rows), ``superseded`` rows (older editions of the
        same year), ``ambiguous`` (a USGS file with several types and a
        basket that names none).
    """
    from scrisk.materials import get_basket, load_baskets

    reg = load_baskets() if baskets is None else baskets
    f = data.frame.copy()
    f["material"] = pd.array([pd.NA] * len(f), dtype="string")
    f["dataset"] = [_dataset(s) for s in f["source"]]
    f["edition"] = f["source"]
    f["stage"] = f["stage"].astype("string")
    ambiguous: list[dict[str, Any]] = []
    low_type = f["type"].str.lower().fillna("").str.strip().to_numpy(dtype=object)
    dataset = f["dataset"].to_numpy(dtype=object)
    editions = f["edition"].to_numpy(dtype=object)
    kinds = f["kind"].to_numpy(dtype=object)
    by_commodity = {k: v for k, v in f.groupby("commodity", sort=False).indices.items()}
    material = np.full(len(f), None, dtype=object)
    stage = f["stage"].to_numpy(dtype=object).copy()
    for name, b in reg.items():
        for src in getattr(b, "production", ()):
            hits: list[int] = []
            if src.usgs:
                ix = [i for i in by_commodity.get(src.usgs, ()) if dataset[i] == "USGS MCS"]
                if src.usgs_type:
                    hits += [i for i in ix if low_type[i].startswith(src.usgs_type)]
                else:  # a file (edition) with several production types needs usgs_type
                    for ed in sorted({editions[i] for i in ix}):
                        ie = [i for i in ix if editions[i] == ed]
                        types = sorted({low_type[i] for i in ie if kinds[i] != "world"})
                        if len(types) > 1:
                            ambiguous.append({"material": name, "stage": src.stage, "usgs": src.usgs, "edition": ed,
                                              "types": types})
                        else:
                            hits += ie
            if src.bgs:
                hits += [i for i in by_commodity.get(src.bgs, ()) if dataset[i] == "BGS WMS"
                         and low_type[i] == src.bgs_sub]
            for i in hits:
                if material[i] is None:
                    material[i], stage[i] = name, src.stage
    f["material"] = pd.array(material, dtype="string")
    f["stage"] = pd.array(stage, dtype="string")
    tidy = f["dataset"] == "tidy"
    unknown_tidy: list[str] = []
    for com in sorted(set(f.loc[tidy, "commodity"])):
        try:
            f.loc[tidy & (f["commodity"] == com), "material"] = get_basket(com, baskets=reg).name
        except UnknownMaterialError:
            unknown_tidy.append(com)
    mapped = f[f["material"].notna()].copy()
    unm = f[f["material"].isna()]
    unmapped = (unm.groupby(["dataset", "commodity", "type"], dropna=False).size().reset_index(name="rows")
                .to_dict(orient="records"))
    # the latest USGS edition of each (material, stage, year) wins
    if len(mapped):
        latest = mapped.groupby(["dataset", "material", "stage", "year"])["edition"].transform("max")
        superseded = int((mapped["edition"] != latest).sum())
        mapped = mapped[mapped["edition"] == latest]
    else:
        superseded = 0
    report = {"rows_mapped": int(len(mapped)), "rows_superseded": superseded,
              "unmapped_commodities": unmapped, "ambiguous": ambiguous, "unknown_tidy_materials": unknown_tidy}
    return mapped.reset_index(drop=True), report


def supplier_rows(mapped: pd.DataFrame) -> pd.DataFrame:
    """One row per (material, stage, year, dataset, producer): ``producer, kind, q, unit, edition, rows``.

    Names that map to no ISO3 code become the producer ``name:<name>``;
    several rows of one producer (USGS qualifiers such as ``China`` and
    ``China (unspecified minerals)``) are summed; world totals are kept (as the
    largest one) only as a check.
    """
    if mapped.empty:
        return pd.DataFrame(columns=[*PRODUCTION_KEYS, "producer", "kind", "q", "unit", "edition", "rows"])
    m = mapped.copy()
    m["producer"] = m["country"].astype(object)
    unm = m["kind"] == "unmapped"
    m.loc[unm, "producer"] = ["name:" + re.sub(r"\s+", " ", str(n)).strip() for n in m.loc[unm, "country_name"]]
    m.loc[m["kind"].isin(["other", "world"]), "producer"] = m.loc[m["kind"].isin(["other", "world"]), "kind"]
    keys = [*PRODUCTION_KEYS, "producer", "kind"]
    g = m.groupby(keys, sort=True)
    out = g.agg(q=("quantity", "sum"), qmax=("quantity", "max"), unit=("unit", "first"), edition=("edition", "max"),
                rows=("quantity", "size")).reset_index()
    out.loc[out["kind"] == "world", "q"] = out.loc[out["kind"] == "world", "qmax"]
    return out.drop(columns="qmax")


class ProductionResult(RowsResult):
    """Production concentration rows with ``meta``; ``to_dict()`` is the JSON contract.

    Rows: :data:`PRODUCTION_KEYS`, ``unit``, ``edition``, then the
    :mod:`scrisk.engine.supply` columns (``production_total, n_producers,
    world_total_reported, top_producer, top_producer_share, production_hhi,
    other_share, unmapped_share`` and with WGI ``hhi_wgi_t, wgi_coverage``).
    """


def production_concentration(
    data: ProductionData,
    *,
    baskets: Mapping[str, Any] | None = None,
    material: str | Iterable[str] | None = None,
    stage: str | None = None,
    years: Iterable[int] | None = None,
    wgi: Any = None,
    trade_parameter: Mapping[tuple[str, str, str], float] | None = None,
) -> ProductionResult:
    """Production HHI, top producer and share per (material, stage, year, dataset).

    Parameters
    ----------
    data : ProductionData
        From :func:`scrisk.production.read_production`.
    baskets : mapping, optional
        Basket registry (default: bundled).
    material, stage, years : optional
        Keep only these materials (names or aliases), stage (``mine`` or ``refinery``) and years.
    wgi : WgiScores, mapping or path, optional
        Adds ``hhi_wgi_t`` (the EU CRM HHI_WGI,t of global supply, 0-10) and ``wgi_coverage``.
    trade_parameter : mapping, optional
        ``(material, stage, ISO3) -> t_c``; default: each basket's ``[crm]`` global-scope values (1 elsewhere).

    Returns
    -------
    ProductionResult
    """
    from scrisk.engine.store import connect
    from scrisk.engine.supply import supply_sql
    from scrisk.materials import PRODUCTION_STAGES, get_basket, load_baskets
    from scrisk.provenance import output_meta

    reg = load_baskets() if baskets is None else baskets
    mapped, report = map_to_baskets(data, reg)
    if material is not None:
        names = [material] if isinstance(material, str) else list(material)
        want = {get_basket(n, baskets=reg).name for n in names}
        mapped = mapped[mapped["material"].isin(want)]
    if stage is not None:
        if stage not in PRODUCTION_STAGES:
            raise UsageError(f"stage {stage!r} is not one of {', '.join(PRODUCTION_STAGES)}")
        mapped = mapped[mapped["stage"] == stage]
    if years is not None:
        mapped = mapped[mapped["year"].isin([int(y) for y in years])]
    rows = supplier_rows(mapped)
    opts: list[str] = []
    rows["w"] = float("nan")
    rows["t"] = float("nan")
    wgi_meta = None
    if wgi is not None:
        from scrisk.metrics.governance import as_wgi_scores

        scores = as_wgi_scores(wgi)
        rows["w"] = rows["producer"].map(scores.scores).astype("float64")
        tp = dict(trade_parameter) if trade_parameter is not None else {
            (name, st, c): v for name, b in reg.items() if getattr(b, "crm", None)
            for (sc, st, c), v in b.crm.trade_parameter.items() if sc == "global"}
        rows["t"] = [tp.get((m, s, p), 1.0) for m, s, p in zip(rows["material"], rows["stage"], rows["producer"])]
        opts.append("wgi")
        wgi_meta = scores.describe() | {"formula": "hhi_wgi_t = sum_c s_c^2 * WGI_c * t_c (0-10)"}
    con = connect()
    try:
        con.register("_supply_rows", rows)
        keys = list(PRODUCTION_KEYS)
        sql = (f"WITH c AS ({supply_sql('_supply_rows', keys, options=opts)}), "
               "u AS (SELECT material, stage, year, dataset, min(unit) AS unit, max(edition) AS edition "
               "FROM _supply_rows GROUP BY ALL) "
               "SELECT c.material, c.stage, c.year, c.dataset, u.unit, u.edition, c.* EXCLUDE (material, stage, year, "
               "dataset) FROM c JOIN u USING (material, stage, year, dataset) ORDER BY material, stage, year, dataset")
        table = con.sql(sql).arrow() if len(rows) else _empty_arrow(con, opts)
    finally:
        con.close()
    if hasattr(table, "read_all"):
        table = table.read_all()
    unmapped_names = (mapped[mapped["kind"] == "unmapped"].groupby(["material", "stage", "year", "country_name"])
                      ["quantity"].sum().reset_index())
    meta = output_meta(None, material=material, stage=stage, years=None if years is None else sorted(years))
    meta["inputs"] = [f["file"] for f in data.files]
    meta["production"] = data.report() | report
    meta["production"]["unmapped_names"] = unmapped_names.to_dict(orient="records")
    meta["units"] = "quantities in kg for masses (USGS kt/t/Mt and BGS tonnes converted); carats and m3 as such"
    if wgi_meta:
        meta["wgi"] = wgi_meta
    return ProductionResult(table, meta)


def _empty_arrow(con, opts):
    from scrisk.engine.supply import supply_columns

    cols = ", ".join(["NULL::VARCHAR AS material", "NULL::VARCHAR AS stage", "NULL::BIGINT AS year",
                      "NULL::VARCHAR AS dataset", "NULL::VARCHAR AS unit", "NULL::VARCHAR AS edition"]
                     + [f"NULL::DOUBLE AS {c}" for c in supply_columns(opts)])
    return con.sql(f"SELECT {cols} LIMIT 0").arrow()
