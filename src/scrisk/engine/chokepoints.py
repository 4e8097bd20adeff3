r"""The chokepoint lens: one row per (year, product), declared once and compiled to SQL.

The world-side figures are the declarations of :data:`scrisk.engine.indicators.INDICATORS`
(``world_export_value_usd``, ``n_exporters``, ``world_top_exporter``,
``world_top_exporter_share``, ``world_export_hhi``), reused, not copied. The
lens adds, at stage ``dependents`` (one row per importer ``i`` of the
product with imports ``m_i`` and imports ``mt_i`` from the world's top
exporter, ``s_i = mt_i / m_i``):

* ``n_importers``: importers with imports > 0;
* ``importers_top_ge_50`` / ``_75`` / ``_90``: importers with ``s_i`` at or
  above the monitor / high / absolute band (0.5, 0.75, 0.9) and imports of
  at least ``{min_import_usd}``;

and, at stage ``production`` (with production data), the production
concentration of the product's material and stage
(:mod:`scrisk.engine.supply`), the latest production year up to the trade
year.

Examples
--------
>>> [i.name for i in CHOKEPOINT_INDICATORS if i.output][:6]
['world_export_value_usd', 'n_exporters', 'world_top_exporter', 'world_top_exporter_share', 'world_export_hhi', 'n_importers']
"""

from __future__ import annotations

from typing import Iterable, Sequence

from scrisk.engine.indicators import INDICATORS, Indicator, Params

__all__ = ["CHOKEPOINT_INDICATORS", "chokepoint_columns", "chokepoint_sql", "WORLD_COLUMNS", "world_side_sql"]

_WORLD = ("world_export_value_usd", "n_exporters", "_wtop", "_wss", "world_top_exporter", "world_top_exporter_share",
          "world_export_hhi")
_I = Indicator
CHOKEPOINT_INDICATORS: tuple[Indicator, ...] = tuple(i for i in INDICATORS if i.name in _WORLD) + (
    _I("n_importers", "BIGINT", "count", "Importers of the product (imports > 0)", "count(*)", "dependents",
       pandas="int64"),
    _I("importers_top_ge_50", "BIGINT", "count", "Importers taking >= {band_monitor} of their imports from the world's "
       "top exporter (imports >= {min_import_usd} USD)",
       "count(*) FILTER (WHERE s >= {band_monitor} AND m >= {min_import_usd})", "dependents", pandas="int64"),
    _I("importers_top_ge_75", "BIGINT", "count", "Importers taking >= {band_high} from the top exporter",
       "count(*) FILTER (WHERE s >= {band_high} AND m >= {min_import_usd})", "dependents", pandas="int64"),
    _I("importers_top_ge_90", "BIGINT", "count", "Importers taking >= {band_absolute} from the top exporter",
       "count(*) FILTER (WHERE s >= {band_absolute} AND m >= {min_import_usd})", "dependents", pandas="int64"),
    _I("production_material", "VARCHAR", "label", "Material whose production is joined (basket [[production]] table)",
       "p.material", "production", needs="production", pandas="string"),
    _I("production_stage", "VARCHAR", "label", "Production stage joined: mine or refinery", "p.stage", "production",
       needs="production", pandas="string"),
    _I("production_year", "BIGINT", "year", "Production year used (the latest up to the trade year)", "p.year",
       "production", needs="production", pandas="Int64"),
    _I("production_dataset", "VARCHAR", "label", "Production dataset: USGS MCS, BGS WMS or tidy", "p.dataset",
       "production", needs="production", pandas="string"),
    _I("production_hhi", "DOUBLE", "hhi", "Production HHI of the material at that stage (0-1)", "p.production_hhi",
       "production", needs="production"),
    _I("top_producer", "VARCHAR", "code", "Largest producer", "p.top_producer", "production", needs="production",
       pandas="string"),
    _I("top_producer_share", "DOUBLE", "share", "Largest producer's share of production (0-1)", "p.top_producer_share",
       "production", needs="production"),
    _I("n_producers", "BIGINT", "count", "Producers with output > 0", "p.n_producers", "production",
       needs="production", pandas="Int64"),
)
"""The chokepoint lens's indicators, in output order."""


def chokepoint_columns(options: Iterable[str] = ()) -> list[str]:
    """Output columns (after ``year, hs``) present with ``options`` (``production``)."""
    opts = set(options)
    return [i.name for i in CHOKEPOINT_INDICATORS if i.output and (i.needs is None or i.needs in opts)]


def _sel(stage: str, p: dict[str, str], opts: set[str]) -> str:
    return ", ".join(f"{i.sql.format(**p)} AS {i.name}" for i in CHOKEPOINT_INDICATORS
                     if i.stage == stage and (i.needs is None or i.needs in opts))


def chokepoint_sql(source: str, *, years: Sequence[int], hs: Sequence[str] = (), options: Iterable[str] = (),
                   params: Params | None = None) -> str:
    """Compile the lens into one query over ``source`` (canonical flow columns): columns ``year, hs`` and
    :func:`chokepoint_columns`.

    With ``production`` in ``options`` the query reads ``_prod_pick(tyear, hs, year, material, stage, dataset,
    production_hhi, top_producer, top_producer_share, n_producers)`` keyed by trade year and product (see
    :func:`scrisk.chokepoints.chokepoints`). ``params`` default: the bands of :class:`Params` and no minimum
    import value (every importer counts).
    """
    from scrisk.engine.baci_scan import hs_filter_sql

    opts = set(options)
    p = (params if params is not None else Params(min_import_usd=0.0)).values()
    ys = sorted({int(y) for y in years})
    where = ["value_usd > 0", f"year IN ({', '.join(str(y) for y in ys)})" if ys else "FALSE"]
    if hs:
        where.append(hs_filter_sql("hs", hs))
    join = ("LEFT JOIN _prod_pick p ON p.tyear = w.year AND p.hs = w.hs" if "production" in opts else "")
    prod = _sel("production", p, opts)
    cols = ", ".join(chokepoint_columns(opts))
    return f"""
WITH f AS NOT MATERIALIZED (
  SELECT year, exporter, importer, hs, value_usd AS v FROM {source} WHERE {' AND '.join(where)}
),
xt AS (SELECT year, hs, exporter, fsum(v) AS xv FROM f GROUP BY year, hs, exporter),
world AS (SELECT year, hs, {_sel('world', p, opts)} FROM xt GROUP BY year, hs),
wrow AS (SELECT *, {_sel('row', p, opts)} FROM world),
dep AS (
  SELECT f.year, f.hs, f.importer, fsum(f.v) AS m,
         coalesce(fsum(f.v) FILTER (WHERE f.exporter = w.world_top_exporter), 0.0) AS mt
  FROM f JOIN wrow w ON w.year = f.year AND w.hs = f.hs GROUP BY f.year, f.hs, f.importer
),
deps AS (SELECT year, hs, {_sel('dependents', p, opts)} FROM (SELECT *, mt / m AS s FROM dep) GROUP BY year, hs),
out AS (
  SELECT w.*, deps.* EXCLUDE (year, hs){', ' + prod if prod else ''}
  FROM wrow w JOIN deps ON deps.year = w.year AND deps.hs = w.hs {join}
)
SELECT year, hs, {cols} FROM out
"""


WORLD_COLUMNS: tuple[str, ...] = tuple(n for n in _WORLD if not n.startswith("_"))
"""The world-side figures of one product, from the declarations (:data:`scrisk.engine.indicators.INDICATORS`)."""


def world_side_sql(source: str, *, years: Sequence[int], hs: Sequence[str] = (), world: str | None = None) -> str:
    """Per (year, hs): the world-side figures :data:`WORLD_COLUMNS`, compiled from their declarations.

    Over the flows of ``source``, or, with ``world`` (a relation of reporters' totals with the World,
    :func:`scrisk.engine.indicators.register_world`), over the reporters' exports to the World.
    """
    from scrisk.engine.baci_scan import hs_filter_sql

    p = Params(min_import_usd=0.0).values()
    ys = sorted({int(y) for y in years})
    where = [f"year IN ({', '.join(str(y) for y in ys)})" if ys else "FALSE"]
    if hs:
        where.append(hs_filter_sql("hs", hs))
    if world is None:
        xt = (f"SELECT year, hs, exporter, fsum(value_usd) AS xv FROM {source} WHERE value_usd > 0 AND "
              f"{' AND '.join(where)} GROUP BY year, hs, exporter")
    else:
        xt = (f"SELECT year, hs, reporter AS exporter, fsum(v) AS xv FROM {world} WHERE flow = 'export' AND v > 0 AND "
              f"{' AND '.join(where)} GROUP BY year, hs, reporter")
    return f"""
WITH xt AS ({xt}),
world AS (SELECT year, hs, {_sel('world', p, set())} FROM xt GROUP BY year, hs)
SELECT year, hs, {', '.join(WORLD_COLUMNS)} FROM (SELECT *, {_sel('row', p, set())} FROM world)
"""
