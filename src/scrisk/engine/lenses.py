r"""The lenses' measures, declared once, and the compilers that turn them into SQL.

A lens looks at the same flow table as ``scrisk analyze`` from another side:

``leverage`` (:data:`LEVERAGE`)
    one exporter's hold over its customers (CEPII GeoDep's reverse
    dependence): per (period, hs, importer) the exporter's share of the
    importer's imports; per (period, hs) the exporter's exports, its share
    of world exports, the destination HHI and the importers at or above
    each single-source band;
``complement`` (:data:`COMPLEMENT`)
    a dependent country's imports of a product from a rival, what a cover
    country exports of it to the world and to third countries, the share
    of the imports from the rival those third-country exports could
    replace, and the second-tier exposure (after Hoang and Lewis, "As the
    U.S. is Derisking from China, Other Foreign U.S. Suppliers Are Relying
    More on Chinese Imports", FEDS Notes, Federal Reserve Board, 2 August
    2024: the rival's share of each supplier's own imports, weighted by
    that supplier's share of the dependent's imports);
``partner`` (:data:`PARTNER`)
    the KIET-style named-partner screen: the importer's trade balance in
    the product and the named partner's share of its imports, at or above
    two bands, by BEC end use; :data:`PARTNER_SUMMARY` counts the screened
    products per end use.

Every declaration is an :class:`~scrisk.engine.indicators.Indicator`
(name, type, scale, description, SQL, stage). World-side figures
(``world_export_value_usd``, ``world_export_hhi``...) and the importer's
``import_value_usd`` are *not* re-declared: the compilers take them from
:data:`scrisk.engine.indicators.INDICATORS`. Parameters in braces come from
:class:`LensParams`; codes in ``{exporter}``, ``{dependent}``, ``{cover}``,
``{rival}``, ``{partner}`` are filled in as SQL string literals.

Blocs (:func:`bloc_source`) rewrite the flows before any lens or analyze
runs: members of a bloc become one country (the bloc's name) and trade
between members is dropped, so ``EU27`` imports are extra-EU imports.

Examples
--------
>>> [i.name for i in LEVERAGE if i.output][:4]
['imports_usd', 'from_exporter_usd', 'exporter_share', 'band']
>>> lens_indicator("complement", "cover_share").description
"Share of the dependent's imports from the rival that the cover's exports to third countries could replace, min(1, third / from rival) (0-1)"
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from scrisk.engine.indicators import INDICATORS, Indicator, indicator
from scrisk.engine.store import sql_str

__all__ = [
    "LensParams",
    "LEVERAGE",
    "COMPLEMENT",
    "PARTNER",
    "PARTNER_SUMMARY",
    "LENSES",
    "lens_indicator",
    "lens_columns",
    "leverage_sql",
    "leverage_pairs_sql",
    "leverage_product_sql",
    "leverage_importers_sql",
    "complement_sql",
    "partner_sql",
    "partner_summary_sql",
    "bloc_source",
    "flow_periods",
    "period_columns",
]


@dataclass(frozen=True)
class LensParams:
    """Parameters the lens declarations use."""

    band_absolute: float = 0.9
    band_high: float = 0.75
    band_monitor: float = 0.5
    min_import_usd: float = 0.0
    min_share: float = 0.5
    partner_low: float = 0.5
    partner_high: float = 0.7

    def values(self) -> dict[str, str]:
        return {k: repr(float(v)) for k, v in self.__dict__.items()}


_I = Indicator

_BAND = ("CASE WHEN {share} >= {{band_absolute}} THEN 'absolute' WHEN {share} >= {{band_high}} THEN 'high' "
         "WHEN {share} >= {{band_monitor}} THEN 'monitor' END")

LEVERAGE: tuple[Indicator, ...] = (
    # -- per (period, hs, importer) over the flows into the importer (stage pair, then pair_row)
    _I("imports_usd", "DOUBLE", "usd", "The importer's imports of the product from every supplier (USD)",
       indicator("import_value_usd").sql, "pair"),
    _I("from_exporter_usd", "DOUBLE", "usd", "The importer's imports of the product from the exporter (USD)",
       "coalesce(fsum(v) FILTER (WHERE exporter = {exporter}), 0.0)", "pair"),
    _I("exporter_share", "DOUBLE", "share", "The exporter's share of the importer's imports (0-1)",
       "from_exporter_usd / imports_usd", "pair_row"),
    _I("band", "VARCHAR", "label", "Single-source band of exporter_share: absolute >= {band_absolute}, "
       "high >= {band_high}, monitor >= {band_monitor}", _BAND.format(share="exporter_share"), "pair_row",
       pandas="string"),
    # -- per (period, hs) over the importers the exporter ships to (stage product)
    _I("export_value_usd", "DOUBLE", "usd", "The exporter's exports of the product (USD)", "fsum(from_exporter_usd)",
       "product"),
    _I("n_destinations", "BIGINT", "count", "Importers the exporter ships the product to", "count(*)", "product",
       pandas="int64"),
    _I("_dss", "DOUBLE", "usd", "sum of squared exports per destination", "fsum(from_exporter_usd * from_exporter_usd)",
       "product"),
    _I("_dtop", "STRUCT(nv DOUBLE, e VARCHAR)", "code", "largest destination (negated value, code)",
       "min(struct_pack(nv := -from_exporter_usd, e := importer))", "product"),
    _I("n_importers_monitor", "BIGINT", "count", "Importers whose imports come >= {band_monitor} from the exporter "
       "(imports >= {min_import_usd} USD)",
       "count(*) FILTER (WHERE exporter_share >= {band_monitor} AND imports_usd >= {min_import_usd})", "product",
       pandas="int64"),
    _I("n_importers_high", "BIGINT", "count", "Importers at >= {band_high} from the exporter",
       "count(*) FILTER (WHERE exporter_share >= {band_high} AND imports_usd >= {min_import_usd})", "product",
       pandas="int64"),
    _I("n_importers_absolute", "BIGINT", "count", "Importers at >= {band_absolute} from the exporter",
       "count(*) FILTER (WHERE exporter_share >= {band_absolute} AND imports_usd >= {min_import_usd})", "product",
       pandas="int64"),
    _I("importers_monitor", "VARCHAR[]", "code", "Those importers (>= {band_monitor}), largest share first",
       "coalesce(list(importer ORDER BY exporter_share DESC, importer) FILTER (WHERE exporter_share >= "
       "{band_monitor} AND imports_usd >= {min_import_usd}), [])", "product", pandas="object"),
    _I("importers_high", "VARCHAR[]", "code", "Importers at >= {band_high}, largest share first",
       "coalesce(list(importer ORDER BY exporter_share DESC, importer) FILTER (WHERE exporter_share >= "
       "{band_high} AND imports_usd >= {min_import_usd}), [])", "product", pandas="object"),
    _I("importers_absolute", "VARCHAR[]", "code", "Importers at >= {band_absolute}, largest share first",
       "coalesce(list(importer ORDER BY exporter_share DESC, importer) FILTER (WHERE exporter_share >= "
       "{band_absolute} AND imports_usd >= {min_import_usd}), [])", "product", pandas="object"),
    # -- per (period, hs), over the product row joined with the world figures (stage row)
    _I("world_share", "DOUBLE", "share", "The exporter's share of world exports of the product (0-1)",
       "export_value_usd / world_export_value_usd", "row"),
    _I("destination_hhi", "DOUBLE", "hhi", "HHI of the exporter's destinations, sum of d_i^2 over its importers' "
       "shares of its exports (0-1)", "least(_dss / (export_value_usd * export_value_usd), 1.0)", "row"),
    _I("top_destination", "VARCHAR", "code", "The exporter's largest customer (ties to the smaller code)", "_dtop.e",
       "row", pandas="string"),
    _I("top_destination_share", "DOUBLE", "share", "That customer's share of the exporter's exports (0-1)",
       "-_dtop.nv / export_value_usd", "row"),
)
"""Exporter leverage: per importer (stages pair, pair_row) and per product (product, row)."""

COMPLEMENT: tuple[Indicator, ...] = (
    # -- the dependent's imports of the product (stage imports, over the flows into the dependent)
    _I("import_value_usd", "DOUBLE", "usd", indicator("import_value_usd").description,
       indicator("import_value_usd").sql, "imports"),
    _I("from_rival_usd", "DOUBLE", "usd", "The dependent's imports from the rival (USD)",
       "coalesce(fsum(v) FILTER (WHERE exporter = {rival}), 0.0)", "imports"),
    _I("from_cover_usd", "DOUBLE", "usd", "The dependent's imports from the cover country, today (USD)",
       "coalesce(fsum(v) FILTER (WHERE exporter = {cover}), 0.0)", "imports"),
    # -- what the cover exports (stage cover, over the flows out of the cover)
    _I("cover_exports_world_usd", "DOUBLE", "usd", "The cover's exports of the product to every country (USD)",
       "fsum(v)", "cover"),
    _I("cover_exports_third_usd", "DOUBLE", "usd", "The cover's exports to third countries: not the dependent, "
       "not the rival (USD)", "coalesce(fsum(v) FILTER (WHERE importer NOT IN ({dependent}, {rival})), 0.0)", "cover"),
    # -- second tier (stage tier2, over the dependent's suppliers s joined with their own imports)
    _I("_t2v", "DOUBLE", "usd", "sum over suppliers s other than the rival of v_s * (rival's share of s's imports)",
       "coalesce(fsum(d.v * coalesce(s.s_from_rival / s.s_imports, 0.0)) FILTER (WHERE d.supplier <> {rival}), 0.0)",
       "tier2"),
    # -- per row
    _I("rival_share", "DOUBLE", "share", "The rival's share of the dependent's imports (0-1)",
       "from_rival_usd / import_value_usd", "row"),
    _I("cover_supply_share", "DOUBLE", "share", "The cover's share of the dependent's imports today (0-1)",
       "from_cover_usd / import_value_usd", "row"),
    _I("cover_world_share", "DOUBLE", "share", "The cover's share of world exports of the product (0-1)",
       "coalesce(cover_exports_world_usd, 0.0) / world_export_value_usd", "row"),
    _I("cover_share", "DOUBLE", "share", "Share of the dependent's imports from the rival that the cover's exports "
       "to third countries could replace, min(1, third / from rival) (0-1)",
       "least(coalesce(cover_exports_third_usd, 0.0) / from_rival_usd, 1.0)", "row"),
    _I("second_tier_rival_share", "DOUBLE", "share", "Second-tier exposure (Hoang and Lewis 2024): sum over the "
       "dependent's other suppliers s of s's share of its imports times the rival's share of s's own imports (0-1)",
       "_t2v / import_value_usd", "row"),
    _I("total_rival_exposure", "DOUBLE", "share", "Direct plus second-tier exposure to the rival (0-1)",
       "rival_share + second_tier_rival_share", "row"),
    _I("suppliers_rival_share", "DOUBLE", "share", "The FEDS Note statistic: the rival's share of the imports of the "
       "dependent's average other supplier, weighted by each supplier's share of the imports not from the rival (0-1)",
       "CASE WHEN import_value_usd > from_rival_usd THEN _t2v / (import_value_usd - from_rival_usd) END", "row"),
)
"""The complementarity lens for one (dependent, cover, rival); run twice for the two sides."""

PARTNER: tuple[Indicator, ...] = (
    _I("import_value_usd", "DOUBLE", "usd", indicator("import_value_usd").description,
       indicator("import_value_usd").sql, "imports"),
    _I("from_partner_usd", "DOUBLE", "usd", "The importer's imports from the named partner (USD)",
       "coalesce(fsum(v) FILTER (WHERE exporter = {partner}), 0.0)", "imports"),
    _I("export_value_usd", "DOUBLE", "usd", "The importer's own exports of the product (USD)", "fsum(v)", "exports"),
    _I("partner_share", "DOUBLE", "share", "The partner's share of the importer's imports (0-1)",
       "from_partner_usd / import_value_usd", "row"),
    _I("trade_balance_usd", "DOUBLE", "usd", "Exports minus imports of the product (USD; < 0 is a deficit)",
       "coalesce(export_value_usd, 0.0) - import_value_usd", "row"),
    _I("deficit", "BOOLEAN", "flag", "The importer runs a trade deficit in the product with the world",
       "trade_balance_usd < 0", "row", pandas="bool"),
    _I("at_low", "BOOLEAN", "flag", "Deficit and partner share >= {partner_low}",
       "deficit AND partner_share >= {partner_low}", "row", pandas="bool"),
    _I("at_high", "BOOLEAN", "flag", "Deficit and partner share >= {partner_high}",
       "deficit AND partner_share >= {partner_high}", "row", pandas="bool"),
)
"""The KIET-style named-partner screen per (period, importer, hs)."""

PARTNER_SUMMARY: tuple[Indicator, ...] = (
    _I("products", "BIGINT", "count", "Products the importer imports", "count(*)", "summary", pandas="int64"),
    _I("import_value_usd", "DOUBLE", "usd", "Their imports (USD)", "fsum(import_value_usd)", "summary"),
    _I("products_low", "BIGINT", "count", "Products with a deficit and partner share >= {partner_low}",
       "count(*) FILTER (WHERE at_low)", "summary", pandas="int64"),
    _I("import_value_low_usd", "DOUBLE", "usd", "Their imports (USD)",
       "coalesce(fsum(import_value_usd) FILTER (WHERE at_low), 0.0)", "summary"),
    _I("from_partner_low_usd", "DOUBLE", "usd", "Their imports from the partner (USD)",
       "coalesce(fsum(from_partner_usd) FILTER (WHERE at_low), 0.0)", "summary"),
    _I("products_high", "BIGINT", "count", "Products with a deficit and partner share >= {partner_high}",
       "count(*) FILTER (WHERE at_high)", "summary", pandas="int64"),
    _I("import_value_high_usd", "DOUBLE", "usd", "Their imports (USD)",
       "coalesce(fsum(import_value_usd) FILTER (WHERE at_high), 0.0)", "summary"),
    _I("from_partner_high_usd", "DOUBLE", "usd", "Their imports from the partner (USD)",
       "coalesce(fsum(from_partner_usd) FILTER (WHERE at_high), 0.0)", "summary"),
)
"""The screen's counts per (period, end use)."""

LENSES: dict[str, tuple[Indicator, ...]] = {
    "leverage": LEVERAGE, "complement": COMPLEMENT, "partner": PARTNER, "partner_summary": PARTNER_SUMMARY,
}

_WORLD = tuple(i for i in INDICATORS if i.stage == "world")
_WORLD_ROW = tuple(indicator(n) for n in ("world_top_exporter", "world_top_exporter_share", "world_export_hhi"))


def lens_indicator(lens: str, name: str) -> Indicator:
    """The declaration of one lens measure."""
    for i in LENSES[lens]:
        if i.name == name:
            return i
    raise KeyError(name)


def lens_columns(lens: str, stages: Iterable[str] | None = None) -> list[str]:
    """Output column names of a lens (optionally of some stages only), in declaration order."""
    want = set(stages) if stages is not None else None
    return [i.name for i in LENSES[lens] if i.output and (want is None or i.stage in want)]


def _sel(decls: Sequence[Indicator], stage: str, fill: Mapping[str, str]) -> list[str]:
    return [f"{i.sql.format(**fill)} AS {i.name}" for i in decls if i.stage == stage]


def _fill(params: LensParams, **codes: str) -> dict[str, str]:
    return params.values() | {k: sql_str(v) for k, v in codes.items()}


def _base(source: str, keys: Sequence[str], hs: Sequence[str]) -> str:
    from scrisk.engine.baci_scan import hs_filter_sql

    where = ["value_usd > 0"] + ([hs_filter_sql("hs", hs)] if hs else [])
    k = ", ".join(keys)
    return f"SELECT {k}, exporter, importer, hs, value_usd AS v FROM {source} WHERE {' AND '.join(where)}"


def _world_ctes(keys: Sequence[str]) -> str:
    k = ", ".join(keys)
    return (f"xt AS (SELECT {k}, hs, exporter, fsum(v) AS xv FROM f GROUP BY {k}, hs, exporter),\n"
            f"world AS (SELECT {k}, hs, {', '.join(_sel(_WORLD, 'world', {}))} FROM xt GROUP BY {k}, hs)")


def _world_cols() -> str:
    """The world CTE's own columns (its keys come from the other side of the join: one column per name on every
    engine)."""
    return ", ".join(f"world.{i.name}" for i in _WORLD)


def _world_row() -> list[str]:
    return [f"{i.sql} AS {i.name}" for i in _WORLD_ROW]


def leverage_pairs_sql(source: str, *, exporter: str, keys: Sequence[str] = ("year",), hs: Sequence[str] = (),
                       importers: Sequence[str] | None = None, params: LensParams = LensParams()) -> str:
    """Compile the flow side of :data:`LEVERAGE`: one row per (keys, hs, importer) the exporter ships to.

    Columns ``keys, hs, importer``, the pair measures (stages ``pair`` and
    ``pair_row``) and the product's world figures (stage ``world`` of
    :data:`~scrisk.engine.indicators.INDICATORS`). This is the query that
    reads every flow; :func:`leverage_product_sql` and
    :func:`leverage_importers_sql` finish from its rows, so on Spark only it
    runs on the cluster. ``importers`` (codes) restricts it to those
    customers; the world figures always use every flow.
    """
    p = _fill(params, exporter=exporter)
    k = ", ".join(keys)
    imp_where = ""
    if importers is not None:
        imp_where = "WHERE importer IN (" + (", ".join(sql_str(c) for c in importers) or "NULL") + ")"
    return f"""
WITH f AS NOT MATERIALIZED ({_base(source, keys, hs)}),
{_world_ctes(keys)},
pair0 AS (
  SELECT {k}, hs, importer, {', '.join(_sel(LEVERAGE, 'pair', p))}
  FROM f {imp_where} GROUP BY {k}, hs, importer
),
pair AS (
  SELECT *, {', '.join(_sel(LEVERAGE, 'pair_row', p))} FROM pair0 WHERE from_exporter_usd > 0
)
SELECT pair.*, {_world_cols()} FROM pair JOIN world USING ({k}, hs)"""


def leverage_product_sql(pairs: str, *, exporter: str, keys: Sequence[str] = ("year",),
                         params: LensParams = LensParams()) -> str:
    """Compile the product side of :data:`LEVERAGE` over ``pairs`` (the rows of :func:`leverage_pairs_sql`).

    Columns ``keys, hs, exporter``, the product and row measures and the world figures.
    """
    p = _fill(params, exporter=exporter)
    k = ", ".join(keys)
    by = ", ".join([*keys, "hs", *(i.name for i in _WORLD)])  # the world figures are one per (keys, hs)
    prod_cols = [i.name for i in LEVERAGE if i.output and i.stage in ("product", "row")]
    world_cols = ["world_export_value_usd", "n_exporters"] + [i.name for i in _WORLD_ROW]
    return f"""
WITH prod AS (SELECT {by}, {', '.join(_sel(LEVERAGE, 'product', p))} FROM {pairs} GROUP BY {by}),
rowv AS (SELECT *, {', '.join(_sel(LEVERAGE, 'row', p) + _world_row())} FROM prod)
SELECT {k}, hs, {p['exporter']} AS exporter, {', '.join(prod_cols + world_cols)} FROM rowv"""


def leverage_importers_sql(pairs: str, *, exporter: str, keys: Sequence[str] = ("year",)) -> str:
    """The importer table of :data:`LEVERAGE` from ``pairs``: ``keys, hs, exporter, importer`` and the pair measures."""
    pair_cols = [i.name for i in LEVERAGE if i.output and i.stage in ("pair", "pair_row")]
    k = ", ".join(keys)
    return f"SELECT {k}, hs, {sql_str(exporter)} AS exporter, importer, {', '.join(pair_cols)} FROM {pairs}"


def leverage_sql(source: str, *, exporter: str, keys: Sequence[str] = ("year",), hs: Sequence[str] = (),
                 importers: Sequence[str] | None = None, params: LensParams = LensParams()) -> tuple[str, str]:
    """Compile :data:`LEVERAGE` into two queries over ``source``: ``(product query, importer query)``.

    The product query has ``keys, hs, exporter`` then the product and row
    measures and the world figures; the importer query ``keys, hs, exporter,
    importer`` and the pair measures, one row per importer the exporter
    ships to. Both are :func:`leverage_pairs_sql` finished by
    :func:`leverage_product_sql` / :func:`leverage_importers_sql`.
    """
    pairs = "(" + leverage_pairs_sql(source, exporter=exporter, keys=keys, hs=hs, importers=importers,
                                     params=params) + ")"
    return (leverage_product_sql(pairs, exporter=exporter, keys=keys, params=params),
            leverage_importers_sql(pairs, exporter=exporter, keys=keys))


def complement_sql(source: str, *, dependent: str, cover: str, rival: str, side: str, keys: Sequence[str] = ("year",),
                   hs: Sequence[str] = (), params: LensParams = LensParams()) -> str:
    """Compile :data:`COMPLEMENT` for one side: the dependent's products where the rival holds >= ``min_share``.

    Columns: ``side, keys, hs, dependent, cover, rival`` and every output
    measure, with the world figures; only rows with ``rival_share >=
    min_share`` and imports >= ``min_import_usd``.
    """
    p = _fill(params, dependent=dependent, cover=cover, rival=rival)
    k = ", ".join(keys)
    on = " AND ".join(f"s.{c} = d.{c}" for c in keys)
    out = [i.name for i in COMPLEMENT if i.output]
    return f"""
WITH f AS NOT MATERIALIZED ({_base(source, keys, hs)}),
{_world_ctes(keys)},
imp AS (SELECT {k}, hs, {', '.join(_sel(COMPLEMENT, 'imports', p))} FROM f WHERE importer = {p['dependent']}
        GROUP BY {k}, hs),
cov AS (SELECT {k}, hs, {', '.join(_sel(COMPLEMENT, 'cover', p))} FROM f WHERE exporter = {p['cover']}
        GROUP BY {k}, hs),
sup AS (SELECT {k}, hs, importer AS supplier, fsum(v) AS s_imports,
               coalesce(fsum(v) FILTER (WHERE exporter = {p['rival']}), 0.0) AS s_from_rival
        FROM f GROUP BY {k}, hs, importer),
dsup AS (SELECT {k}, hs, exporter AS supplier, fsum(v) AS v FROM f WHERE importer = {p['dependent']}
         GROUP BY {k}, hs, exporter),
tier2 AS (SELECT {', '.join('d.' + c for c in keys)}, d.hs, {', '.join(_sel(COMPLEMENT, 'tier2', p))}
          FROM dsup d LEFT JOIN sup s ON {on} AND s.hs = d.hs AND s.supplier = d.supplier
          GROUP BY {', '.join('d.' + c for c in keys)}, d.hs),
base AS (
  SELECT imp.*, cov.cover_exports_world_usd, cov.cover_exports_third_usd, tier2._t2v, {_world_cols()}
  FROM imp JOIN world USING ({k}, hs) LEFT JOIN cov USING ({k}, hs) LEFT JOIN tier2 USING ({k}, hs)
),
r1 AS (SELECT *, {', '.join(_sel(COMPLEMENT, 'row', p) + _world_row())} FROM base)
SELECT {sql_str(side)} AS side, {k}, hs, {p['dependent']} AS dependent, {p['cover']} AS cover, {p['rival']} AS rival,
       {', '.join(out)}, world_export_value_usd, world_top_exporter, world_top_exporter_share
FROM r1 WHERE rival_share >= {p['min_share']} AND import_value_usd >= {p['min_import_usd']}"""


def partner_sql(source: str, *, importer: str, partner: str, keys: Sequence[str] = ("year",), hs: Sequence[str] = (),
                end_use: str | None = None, params: LensParams = LensParams()) -> str:
    """Compile :data:`PARTNER`: one row per (keys, hs) the importer imports, with ``end_use`` and ``bec``.

    ``end_use`` names a table ``(hs, bec, end_use)`` to join (None: no end use columns filled).
    """
    p = _fill(params, importer=importer, partner=partner)
    k = ", ".join(keys)
    out = [i.name for i in PARTNER if i.output]
    eu_join = f"LEFT JOIN {end_use} e ON e.hs = r.hs" if end_use else ""
    eu_cols = "coalesce(e.end_use, 'unmapped') AS end_use, e.bec AS bec" if end_use else \
        "'unmapped' AS end_use, NULL::VARCHAR AS bec"
    return f"""
WITH f AS NOT MATERIALIZED ({_base(source, keys, hs)}),
imp AS (SELECT {k}, hs, {', '.join(_sel(PARTNER, 'imports', p))} FROM f WHERE importer = {p['importer']}
        GROUP BY {k}, hs),
exp AS (SELECT {k}, hs, {', '.join(_sel(PARTNER, 'exports', p))} FROM f WHERE exporter = {p['importer']}
        GROUP BY {k}, hs),
r0 AS (SELECT imp.*, exp.export_value_usd FROM imp LEFT JOIN exp USING ({k}, hs)),
r1 AS (SELECT *, {', '.join(_sel(PARTNER, 'row', p))} FROM r0)
SELECT {', '.join('r.' + c for c in keys)}, r.hs, {p['importer']} AS importer, {p['partner']} AS partner,
       {', '.join('r.' + c for c in out)}, {eu_cols}
FROM r1 r {eu_join}"""


def partner_summary_sql(rows: str, *, keys: Sequence[str] = ("year",), params: LensParams = LensParams()) -> str:
    """Compile :data:`PARTNER_SUMMARY` over the rows of :func:`partner_sql`: per (keys, end use) and a ``total``."""
    p = params.values()
    k = ", ".join(keys)
    cols = ", ".join(_sel(PARTNER_SUMMARY, "summary", p))
    return f"""
SELECT {k}, end_use, {cols} FROM {rows} GROUP BY {k}, end_use
UNION ALL
SELECT {k}, 'total' AS end_use, {cols} FROM {rows} GROUP BY {k}"""


def flow_periods(q, source: str) -> tuple[tuple[str, ...], list[tuple[int, ...]]]:
    """The period keys of a flow source and its periods, in order, from one grouped query.

    ``q`` runs the query (:class:`~scrisk.engine.store.DuckQueries`,
    :class:`~scrisk.engine.spark.SparkQueries`). The keys are ``("year",
    "month")`` for monthly flows, ``("year",)`` for annual ones: flows are
    monthly when the source has a ``month`` column filled on every row,
    annual when it has none or it is null on every row.

    Raises
    ------
    UsageError
        Annual and monthly rows mixed (their sums would double count).
    """
    from scrisk.errors import UsageError

    if "month" not in q.columns(source):
        return ("year",), sorted({(int(r[0]),) for r in q.rows(f"SELECT DISTINCT year FROM {source}")})
    got = q.rows(f"SELECT year, month, count(*) FROM {source} GROUP BY year, month")
    monthly = sum(int(n) for _, m, n in got if m is not None)
    annual = sum(int(n) for _, m, n in got if m is None)
    if monthly and annual:
        raise UsageError(f"the flows mix {annual:,} annual and {monthly:,} monthly rows; read annual and monthly "
                         "files separately")
    if monthly:
        return ("year", "month"), sorted((int(y), int(m)) for y, m, _ in got)
    return ("year",), sorted({(int(y),) for y, _, _ in got})


def period_columns(q, source: str) -> tuple[str, ...]:
    """The period keys of a flow source (:func:`flow_periods`)."""
    return flow_periods(q, source)[0]


def bloc_source(q, source: str, blocs: Mapping[str, Mapping[tuple, Iterable[str]]], keys: Sequence[str]) -> str:
    """Rewrite ``source`` so each bloc is one country: members renamed to the bloc, intra-bloc flows dropped.

    ``blocs`` maps a bloc name to ``{period key tuple: member codes}`` (the
    members on the period's last day); the members go to ``q`` as a small
    table (``q.register``: a DuckDB connection, DuckQueries or SparkQueries).
    Returns a SQL table expression with the period keys, ``exporter,
    importer, hs, value_usd, qty_kg``, one row per (period, exporter,
    importer, hs) of the rewritten flows.
    """
    import pyarrow as pa

    if not blocs:
        return source
    name = f"_blocs_{abs(hash((source, tuple(sorted(blocs))))) % 10**8}"
    rows = [tuple(period) + (code, bloc) for bloc, per in blocs.items() for period, codes in per.items()
            for code in codes]
    cols = {c: pa.array([r[k] for r in rows], pa.int64()) for k, c in enumerate(keys)}
    cols |= {"code": pa.array([r[-2] for r in rows], pa.string()), "bloc": pa.array([r[-1] for r in rows], pa.string())}
    q.register(name, pa.table(cols))
    on_e = " AND ".join(f"be.{c} = s.{c}" for c in keys)
    on_i = " AND ".join(f"bi.{c} = s.{c}" for c in keys)
    k = ", ".join(f"s.{c}" for c in keys)
    return (f"(SELECT {k}, coalesce(be.bloc, s.exporter) AS exporter, coalesce(bi.bloc, s.importer) AS importer, s.hs,"
            f" sum(s.value_usd) AS value_usd, sum(s.qty_kg) AS qty_kg"
            f" FROM {source} s LEFT JOIN {name} be ON {on_e} AND be.code = s.exporter"
            f" LEFT JOIN {name} bi ON {on_i} AND bi.code = s.importer"
            f" WHERE be.bloc IS NULL OR bi.bloc IS NULL OR be.bloc <> bi.bloc"
            f" GROUP BY ALL)")
