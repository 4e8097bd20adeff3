r"""Every dependency indicator, declared once, and the compiler that turns the declarations into one SQL query.

An :class:`Indicator` is a name, a type, a scale, a description and its
relational definition: a SQL expression evaluated at one **stage** of the
query :func:`indicator_sql` builds over the flow table (canonical columns,
values in USD):

``imports``
    aggregates over the flows into one (year, importer, hs), one row per
    exporter: ``exporter``, ``v`` (USD), ``w`` (the exporter's WGI score when
    governance weights are given);
``world``
    aggregates over every exporter's total exports of one (year, hs):
    ``exporter``, ``xv``;
``row``
    expressions over the joined row (earlier names can be used by later
    ones), plus ``_top_xv`` (the top supplier's world exports),
    ``_own_xv`` (the importer's own exports), ``_cov_ne`` and ``_cov_ni``
    (the year's exporters, and the most importers one exporter ships one
    product to: what the data covers) and, with the ``hs_split`` option,
    ``_split`` (the share of the product's value allocated by an HS split,
    :mod:`scrisk.engine.hs_revision`);
``change``
    expressions over the row ``c``, the same pair in the previous loaded
    year ``p`` and the year table ``yl`` (``prev_year``);
``screen`` then ``persist``
    the GeoDep criteria and their persistence over the loaded years
    (``yidx`` is the year's position among them).

Names starting with ``_`` are intermediate values, not output. Everything
that lists indicators -- output columns, ``--sort`` keys, the thresholds a
``scrisk check`` policy may use, the measures ``scrisk diff`` compares --
is derived from :data:`INDICATORS`. Adding a metric is one declaration here
plus its test. Parameters (``{min_import_usd}``, band and screen thresholds,
score weights) are filled in from :class:`Params`.

The same declarations compile for any SQL engine with DuckDB's dialect
(window functions, ``FILTER``, struct ordering); :func:`indicator_sql`
returns plain SQL text.

Examples
--------
>>> indicator("hhi").description
'Herfindahl-Hirschman index of the import shares, sum of s_c^2 (0-1)'
>>> [(i.sort, i.name) for i in INDICATORS if i.sort]
[('value', 'import_value_usd'), ('top_share', 'top_share'), ('hhi', 'hhi'), ('score', 'score'), ('hhi_wgi', 'hhi_wgi')]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from scrisk.engine.store import sql_str

__all__ = [
    "Indicator",
    "Flag",
    "Params",
    "INDICATORS",
    "FLAGS",
    "indicator",
    "output_indicators",
    "indicator_sql",
    "flags_sql",
    "why_sql",
    "SQL_MACROS",
    "MACROS",
    "register_world",
    "PANDAS_DTYPES",
    "pandas_dtype",
    "prepare",
]


@dataclass(frozen=True)
class Indicator:
    """One indicator: what it is and how it is computed.

    Attributes
    ----------
    name : str
        Output column (``_name`` for intermediate values).
    dtype : str
        SQL type of the result.
    scale : str
        ``usd``, ``share`` (0-1), ``hhi`` (0-1, shown x10,000 with
        ``--hhi-scale 10000``), ``count``, ``ratio``, ``score``, ``code``
        (ISO3), ``label``, ``flag`` (boolean), ``year``.
    description : str
    sql : str
        The relational definition at ``stage`` (see the module docstring).
    stage : str
    needs : str or None
        The option that adds it: ``friendly``, ``wgi`` or ``screen``.
    policy : bool
        A ``scrisk check`` rule may set a threshold on it.
    diff : bool
        ``scrisk diff`` reports its change between two vintages.
    sort : str or None
        The ``--sort`` choice that ranks by it (descending).
    pandas : str
        The pandas dtype of the column in :func:`scrisk.metrics.indicators.indicators`.
    world : bool
        Computable from reporters' totals with the World alone (a file with only World partners,
        :attr:`scrisk.schema.FlowTable.world_only`): the world-side figures, an importer's imports from the
        World and its own exports. The others need bilateral flows and are empty on such a file.
    """

    name: str
    dtype: str
    scale: str
    description: str
    sql: str
    stage: str
    needs: str | None = None
    policy: bool = False
    diff: bool = False
    sort: str | None = None
    pandas: str = "float64"
    world: bool = False

    @property
    def output(self) -> bool:
        """False for intermediate values."""
        return not self.name.startswith("_")


@dataclass(frozen=True)
class Flag:
    """A flag raised on an analyze row: name, meaning and SQL condition over the row."""

    name: str
    description: str
    sql: str
    needs: str | None = None


@dataclass(frozen=True)
class Params:
    """The parameters the declarations use (bands, screen criteria, score weights, minimum value)."""

    min_import_usd: float = 10_000_000.0
    band_absolute: float = 0.9
    band_high: float = 0.75
    band_monitor: float = 0.5
    import_hhi: float = 0.4
    world_export_hhi: float = 0.4
    import_export_ratio: float = 1.0
    zero_export_ratio: float = 9999.0
    window: int = 3
    min_years: int = 2
    w_import_hhi: float = 0.35
    w_top_share: float = 0.25
    w_world_export_hhi: float = 0.25
    w_alternatives: float = 0.15
    coverage_few: int = 3
    coverage_many: int = 20

    @classmethod
    def of(cls, *, min_import_usd: float, bands, criteria, weights) -> "Params":
        """Build from the library's :class:`~scrisk.metrics.screen.Bands`, ScreenCriteria and ScoreWeights."""
        return cls(
            min_import_usd=float(min_import_usd),
            band_absolute=bands.absolute,
            band_high=bands.high,
            band_monitor=bands.monitor,
            import_hhi=criteria.import_hhi,
            world_export_hhi=criteria.world_export_hhi,
            import_export_ratio=criteria.import_export_ratio,
            zero_export_ratio=criteria.zero_export_ratio,
            window=criteria.window,
            min_years=criteria.min_years,
            w_import_hhi=weights.import_hhi,
            w_top_share=weights.top_share,
            w_world_export_hhi=weights.world_export_hhi,
            w_alternatives=weights.alternatives,
        )

    def values(self) -> dict[str, str]:
        """SQL literals of every parameter."""
        out = {}
        for k, v in self.__dict__.items():
            out[k] = str(int(v)) if isinstance(v, int) and not isinstance(v, bool) else repr(float(v))
        out["window_back"] = str(max(int(self.window) - 1, 0))
        return out


def _score_sql() -> str:
    terms = [("w_import_hhi", "hhi"), ("w_top_share", "top_share"), ("w_world_export_hhi", "world_export_hhi"),
             ("w_alternatives", "top_supplier_world_share")]
    num = " + ".join(f"CASE WHEN {c} IS NULL THEN 0.0 ELSE {{{w}}} * greatest(least({c}, 1.0), 0.0) END" for w, c in terms)
    den = " + ".join(f"CASE WHEN {c} IS NULL THEN 0.0 ELSE {{{w}}} END" for w, c in terms)
    return f"CASE WHEN ({den}) > 0 THEN ({num}) / ({den}) END"


_I = Indicator
INDICATORS: tuple[Indicator, ...] = (
    # -- the importer's imports of the product (stage imports), then the row figures built from them
    _I("import_value_usd", "DOUBLE", "usd", "Imports of the product by the importer, sum of v_c over suppliers c (USD)",
       "fsum(v)", "imports", policy=True, diff=True, sort="value", world=True),
    _I("n_suppliers", "BIGINT", "count", "Supplier countries with imports > 0", "count(*)", "imports",
       policy=True, diff=True, pandas="int64"),
    _I("_top", "STRUCT(nv DOUBLE, e VARCHAR)", "code", "largest supplier value (negated) and its code, ties to the smaller code",
       "min(struct_pack(nv := -v, e := exporter))", "imports"),
    _I("_ss", "DOUBLE", "usd", "sum of squared supplier values", "fsum(v * v)", "imports"),
    _I("_friendly_v", "DOUBLE", "usd", "imports from the friendly group",
       "coalesce(fsum(v) FILTER (WHERE exporter IN (SELECT code FROM _friends)), 0.0)", "imports", needs="friendly"),
    _I("_wgi_hw", "DOUBLE", "usd", "sum of squared supplier values weighted by WGI", "fsum(v * v * w)", "imports", needs="wgi"),
    _I("_wgi_cov_v", "DOUBLE", "usd", "imports from suppliers with a WGI score",
       "coalesce(fsum(v) FILTER (WHERE w IS NOT NULL), 0.0)", "imports", needs="wgi"),
    _I("top_supplier", "VARCHAR", "code", "Largest supplier (ties to the smaller ISO3 code)", "_top.e", "row",
       pandas="string"),
    _I("top_share", "DOUBLE", "share", "Top supplier's share of the imports (0-1)", "-_top.nv / import_value_usd",
       "row", policy=True, diff=True, sort="top_share"),
    _I("hhi", "DOUBLE", "hhi", "Herfindahl-Hirschman index of the import shares, sum of s_c^2 (0-1)",
       "least(_ss / (import_value_usd * import_value_usd), 1.0)", "row", policy=True, diff=True, sort="hhi"),
    _I("effective_suppliers", "DOUBLE", "count", "Effective number of suppliers, 1 / HHI", "1.0 / hhi", "row",
       policy=True),
    # -- world exports of the product (stage world)
    _I("world_export_value_usd", "DOUBLE", "usd", "World exports of the product in the loaded data (USD)", "fsum(xv)",
       "world", policy=True, world=True),
    _I("n_exporters", "BIGINT", "count", "Countries exporting the product", "count(*)", "world", pandas="int64", world=True),
    _I("_wtop", "STRUCT(nv DOUBLE, e VARCHAR)", "code", "largest exporter (negated value, code)",
       "min(struct_pack(nv := -xv, e := exporter))", "world", world=True),
    _I("_wss", "DOUBLE", "usd", "sum of squared exporter totals", "fsum(xv * xv)", "world", world=True),
    # -- derived per row (stage row)
    _I("world_top_exporter", "VARCHAR", "code", "Largest exporter of the product (ties to the smaller code)",
       "_wtop.e", "row", pandas="string", world=True),
    _I("world_top_exporter_share", "DOUBLE", "share", "Largest exporter's share of world exports (0-1)",
       "-_wtop.nv / world_export_value_usd", "row", policy=True, world=True),
    _I("world_export_hhi", "DOUBLE", "hhi", "HHI of the exporters' shares of world exports (0-1)",
       "CASE WHEN world_export_value_usd > 0 THEN least(_wss / (world_export_value_usd * world_export_value_usd), "
       "1.0) END", "row", policy=True, diff=True, world=True),
    _I("top_supplier_world_share", "DOUBLE", "share", "Top supplier's share of world exports (0-1)",
       "_top_xv / world_export_value_usd", "row", policy=True),
    _I("world_coverage_limited", "BOOLEAN", "flag", "World-side figures come from a one-sided extract: the year's "
       "data has at most {coverage_few} exporters shipping to {coverage_many}+ importers, or the reverse (one "
       "reporter's file), so world shares are shares of the data, not of the world",
       "coalesce((_cov_ne <= {coverage_few} AND _cov_ni >= {coverage_many}) OR "
       "(_cov_ni <= {coverage_few} AND _cov_ne >= {coverage_many}), false)", "row", pandas="bool", world=True),
    _I("export_value_usd", "DOUBLE", "usd", "The importer's own exports of the product (USD)",
       "coalesce(_own_xv, 0.0)", "row", world=True),
    _I("import_export_ratio", "DOUBLE", "ratio", "Imports / own exports ({zero_export_ratio} when it exports none)",
       "CASE WHEN export_value_usd > 0 THEN import_value_usd / export_value_usd ELSE {zero_export_ratio} END", "row",
       policy=True, world=True),
    _I("band", "VARCHAR", "label", "Single-source band: absolute >= 90 %, high >= 75 %, monitor >= 50 % (imports >= the minimum)",
       "CASE WHEN import_value_usd >= {min_import_usd} THEN CASE WHEN top_share >= {band_absolute} THEN 'absolute' "
       "WHEN top_share >= {band_high} THEN 'high' WHEN top_share >= {band_monitor} THEN 'monitor' END END", "row",
       pandas="string"),
    _I("above_min_value", "BOOLEAN", "flag", "Imports reach --min-import-usd", "import_value_usd >= {min_import_usd}",
       "row", pandas="bool", world=True),
    # -- change against the previous loaded year (stages history and change)
    _I("prev_year", "BIGINT", "year", "Previous loaded year", "yl.prev_year", "change", pandas="Int64", world=True),
    _I("prev_import_value_usd", "DOUBLE", "usd", "Imports in the previous loaded year", "p.import_value_usd", "change", world=True),
    _I("prev_top_supplier", "VARCHAR", "code", "Top supplier in the previous loaded year", "p.top_supplier", "change",
       pandas="string"),
    _I("prev_top_share", "DOUBLE", "share", "Top share in the previous loaded year", "p.top_share", "change"),
    _I("prev_hhi", "DOUBLE", "hhi", "HHI in the previous loaded year", "p.hhi", "change"),
    _I("delta_hhi", "DOUBLE", "hhi", "HHI minus its previous-year value", "c.hhi - p.hhi", "change", policy=True),
    _I("delta_top_share", "DOUBLE", "share", "Top share minus its previous-year value", "c.top_share - p.top_share",
       "change", policy=True),
    _I("top_supplier_changed", "BOOLEAN", "flag", "The top supplier differs from the previous loaded year",
       "CASE WHEN p.importer IS NULL THEN NULL ELSE c.top_supplier <> p.top_supplier END", "change", pandas="boolean"),
    _I("new_import", "BOOLEAN", "flag", "No imports of the product in the previous loaded year",
       "CASE WHEN yl.prev_year IS NULL THEN NULL ELSE p.importer IS NULL END", "change", pandas="boolean", world=True),
    _I("_n_ss", "BIGINT", "count", "loaded years up to the row's with a top share >= the absolute band",
       "count(*) FILTER (WHERE r.top_share >= {band_absolute})", "history"),
    _I("_n_obs", "BIGINT", "count", "loaded years up to the row's with imports", "count(*)", "history", world=True),
    _I("_n_met", "BIGINT", "count", "years of the screen window with C1-C3",
       "count(*) FILTER (WHERE r.screen_met AND ry.yidx > t.yidx - {window})", "history", needs="screen"),
    _I("years_single_source", "BIGINT", "count", "Loaded years up to this one with a top share >= the absolute band",
       "h._n_ss", "change", policy=True, pandas="int64"),
    _I("years_observed", "BIGINT", "count", "Loaded years up to this one with imports", "h._n_obs", "change",
       pandas="int64", world=True),
    # -- the composite score and the optional figures
    _I("score", "DOUBLE", "score", "Composite chokepoint score (0-1): weighted mean of hhi, top_share, world_export_hhi "
       "and top_supplier_world_share, missing terms left out", _score_sql(), "row", policy=True, diff=True, sort="score"),
    _I("friendly_share", "DOUBLE", "share", "Share of the imports from the --friendly countries (0-1)",
       "_friendly_v / import_value_usd", "row", needs="friendly", policy=True),
    _I("hhi_wgi", "DOUBLE", "hhi", "Governance-weighted HHI, sum of s_c^2 * WGI_c / 10 (a lower bound when wgi_coverage < 1)",
       "CASE WHEN _wgi_cov_v > 0 THEN _wgi_hw / (import_value_usd * import_value_usd) / 10.0 END", "row",
       needs="wgi", policy=True, sort="hhi_wgi"),
    _I("wgi_coverage", "DOUBLE", "share", "Share of the imports from suppliers with a WGI score (0-1)",
       "least(_wgi_cov_v / import_value_usd, 1.0)", "row", needs="wgi"),
    _I("hs_split_share", "DOUBLE", "share", "Share of the product's value (that year, every flow) allocated by a "
       "1:n HS revision split, not converted exactly (0-1)", "coalesce(_split, 0.0)", "row", needs="hs_split", world=True),
    # -- the GeoDep screen: criteria per row, persistence over the window
    _I("screen_import_hhi", "BOOLEAN", "flag", "C1: import HHI > {import_hhi}", "coalesce(hhi > {import_hhi}, false)",
       "row", needs="screen", pandas="bool"),
    _I("screen_world_export_hhi", "BOOLEAN", "flag", "C2: world export HHI > {world_export_hhi}",
       "coalesce(world_export_hhi > {world_export_hhi}, false)", "row", needs="screen", pandas="bool", world=True),
    _I("screen_ratio", "BOOLEAN", "flag", "C3: imports / own exports > {import_export_ratio}",
       "coalesce(import_export_ratio > {import_export_ratio}, false)", "row", needs="screen", pandas="bool", world=True),
    _I("screen_met", "BOOLEAN", "flag", "C1, C2 and C3 all hold this year",
       "screen_import_hhi AND screen_world_export_hhi AND screen_ratio", "row", needs="screen", pandas="bool"),
    _I("screen_years_met", "BIGINT", "count", "Years of the window in which C1-C3 held", "h._n_met", "change",
       needs="screen", pandas="int64"),
    _I("screen_window", "BIGINT", "count", "Loaded years in the window (at most {window})", "least({window}, yl.yidx + 1)",
       "change", needs="screen", pandas="int64", world=True),
    _I("screen", "BOOLEAN", "flag", "C4: C1-C3 held in at least min({min_years}, window) years of the window",
       "screen_years_met >= least({min_years}, screen_window)", "change", needs="screen", pandas="bool"),
)
"""Every indicator, in output order (intermediate ``_`` values included)."""

_BY_NAME = {i.name: i for i in INDICATORS}

FLAGS: tuple[Flag, ...] = (
    Flag("absolute_dependence", "top supplier holds >= 90 % (band 'absolute') and imports reach the minimum value",
         "band = 'absolute'"),
    Flag("high_dependence", "top supplier holds >= 75 % (band 'high')", "band = 'high'"),
    Flag("monitor_dependence", "top supplier holds >= 50 % (band 'monitor')", "band = 'monitor'"),
    Flag("sole_supplier", "one supplier country only", "n_suppliers = 1"),
    Flag("concentrated_imports", "import HHI > 0.4 (EU/GeoDep criterion 1)", "hhi > {import_hhi}"),
    Flag("concentrated_world_exports", "world export HHI > 0.4 (EU/GeoDep criterion 2)",
         "world_export_hhi > {world_export_hhi}"),
    Flag("net_importer", "imports / own exports > 1 (criterion 3; shown with --screen)", "screen_ratio", needs="screen"),
    Flag("geodep", "meets the GeoDep screen including persistence (with --screen)", "screen", needs="screen"),
    Flag("new_top_supplier", "top supplier differs from the previous loaded year", "top_supplier_changed"),
    Flag("new_import", "no imports of the product in the previous loaded year", "new_import"),
    Flag("below_min_value", "imports below --min-import-usd: no band, ranked after the others", "NOT above_min_value"),
    Flag("world_coverage_limited", "the data covers only some of the product's exporters or importers (a "
         "one-reporter file, a partial extract): world shares and the score's world terms are of the data only",
         "world_coverage_limited"),
    Flag("hs_split", "part of the product's value was converted from another HS revision by a 1:n split "
         "(hs_split_share)", "hs_split_share > 0", needs="hs_split"),
    Flag("wgi_incomplete", "some suppliers have no WGI score (hhi_wgi is a lower bound)",
         "wgi_coverage < 1.0 - 1e-9", needs="wgi"),
    Flag("world_totals_only", "the data has only reporters' totals with the World: imports are from the World, the "
         "world-side figures come from reporters' exports to the World, and the bilateral figures (suppliers, top "
         "supplier and share, import HHI, score) are unavailable", "true", needs="world"),
)
"""Every flag an analyze row can carry, in the order they are listed."""

def pandas_dtype(name: str, column) -> str:
    """The pandas dtype of an indicator column: :data:`PANDAS_DTYPES`, made nullable (``Int64``, ``boolean``)
    when the column holds nulls (the bilateral figures of a table with World totals only)."""
    want = PANDAS_DTYPES.get(name, "float64")
    if want in ("int64", "bool") and column.isna().any():
        return {"int64": "Int64", "bool": "boolean"}[want]
    return want


PANDAS_DTYPES: dict[str, str] = {"year": "int64", "importer": "string", "hs": "string"} | {
    i.name: i.pandas for i in INDICATORS if i.output
}

MACROS: dict[str, tuple[tuple[str, ...], str]] = {
    # a 0-1 share as a whole percentage that never rounds to 100 % or 0 % (scrisk.metrics.composite.format_pct)
    "scrisk_pct": (("s",), "CASE WHEN s IS NULL OR isnan(s) THEN '?' "
                   "WHEN s >= 1.0 THEN '100%' WHEN s <= 0.0 THEN '0%' WHEN round_even(s * 100, 0) >= 100 THEN '>99%' "
                   "WHEN round_even(s * 100, 0) <= 0 THEN '<1%' "
                   "ELSE CAST(CAST(round_even(s * 100, 0) AS BIGINT) AS VARCHAR) || '%' END"),
    # US dollars to three significant figures (scrisk.textfmt.format_usd_short)
    "scrisk_usd_short": (("v",), "CASE WHEN abs(v) >= 1e9 THEN 'US$' || printf('%.3g', v / 1e9) || 'B' "
                         "WHEN abs(v) >= 1e6 THEN 'US$' || printf('%.3g', v / 1e6) || 'M' "
                         "WHEN abs(v) >= 1e3 THEN 'US$' || printf('%.3g', v / 1e3) || 'k' "
                         "ELSE 'US$' || printf('%.0f', v) END"),
}
"""The SQL macros the declarations' text expressions use: name -> (parameters, DuckDB body)."""

SQL_MACROS: tuple[str, ...] = tuple(
    f"CREATE OR REPLACE TEMP MACRO {name}({', '.join(args)}) AS {body}" for name, (args, body) in MACROS.items()
)
"""The macros as DuckDB statements (:func:`prepare` runs them)."""


def indicator(name: str) -> Indicator:
    """The declaration of one indicator.

    Raises
    ------
    KeyError
        For a name no indicator has.
    """
    return _BY_NAME[name]


def output_indicators(*, options: Iterable[str] = (), change: bool = True) -> list[Indicator]:
    """The output indicators (no intermediate values) present with ``options`` (``friendly``, ``wgi``, ``screen``)."""
    opts = set(options)
    return [
        i for i in INDICATORS
        if i.output and (i.needs is None or i.needs in opts) and (change or i.stage != "change")
    ]


def _fill(sql: str, params: Mapping[str, str]) -> str:
    return sql.format(**params)


def _select(stage: str, opts: set[str], params: Mapping[str, str], *, world: bool = False) -> list[str]:
    """The stage's expressions; with ``world`` (World totals only) the ones not :attr:`Indicator.world` are NULL."""
    return [
        f"{_fill(i.sql, params)} AS {i.name}" if i.world or not world else f"NULL::{i.dtype} AS {i.name}"
        for i in INDICATORS
        if i.stage == stage and (i.needs is None or i.needs in opts)
    ]


def indicator_sql(
    source: str,
    *,
    years: Sequence[int],
    importers: Sequence[str] | None = None,
    hs: Sequence[str] = (),
    options: Iterable[str] = (),
    params: Params = Params(),
    output_years: Sequence[int] | None = None,
    world: str | None = None,
) -> str:
    """Compile the declarations into one SQL query over ``source``: every indicator per (year, importer, hs).

    Parameters
    ----------
    source : str
        A SQL table expression with the canonical flow columns.
    years : sequence of int
        The loaded years (change and persistence run over them; flows of other years are left out).
    importers : sequence of str, optional
        ISO3 importers to keep (world-side figures still use every importer).
    hs : sequence of str
        HS codes or prefixes to keep.
    options : iterable of str
        ``friendly`` (needs a ``_friends(code)`` table), ``wgi`` (a ``_wgi(code, score)`` table),
        ``hs_split`` (a ``_hs_split(year, hs, share)`` table), ``screen``.
    params : Params
    output_years : sequence of int, optional
        Only these years' rows are returned (default: every loaded year); the
        other years still feed change and persistence.
    world : str, optional
        A relation of reporters' totals with the World (``year, hs, reporter, flow, v``; flow ``import`` or
        ``export``; :func:`register_world`), for a table with no bilateral flow: the world stage runs over the
        reporters' exports to the World, one row per importer comes from its imports from the World, and every
        indicator that is not :attr:`Indicator.world` is NULL.

    Returns
    -------
    str
        A query with the columns ``year, importer, hs`` and every output indicator in
        declaration order.
    """
    from scrisk.engine.baci_scan import hs_filter_sql

    opts = set(options)
    p = params.values()
    ys = sorted({int(y) for y in years})
    outs = ys if output_years is None else sorted({int(y) for y in output_years} & set(ys))
    where = ["value_usd > 0"]
    where.append(f"year IN ({', '.join(str(y) for y in ys)})" if ys else "FALSE")
    if hs:
        where.append(hs_filter_sql("hs", hs))
    imp_where = ""
    if importers is not None:
        imp_where = "WHERE importer IN (" + (", ".join(sql_str(c) for c in importers) or "NULL") + ")"
    wgi_join = "LEFT JOIN _wgi ON _wgi.code = f.exporter" if "wgi" in opts else ""
    w_col = "_wgi.score AS w" if "wgi" in opts else "NULL::DOUBLE AS w"
    year_rows = ", ".join(
        f"({y}, {ys[k - 1] if k else 'NULL'}, {k}, {'true' if y in outs else 'false'})" for k, y in enumerate(ys)
    ) or "(NULL, NULL, NULL, false)"
    wo = world is not None
    row_cols = ",\n       ".join(_select("row", opts, p, world=wo))
    hist_cols = ", ".join(_select("history", opts, p, world=wo))
    chg_cols = ",\n       ".join(_select("change", opts, p, world=wo))
    out_names = [i.name for i in output_indicators(options=opts)]
    split_col = ", sp.share AS _split" if "hs_split" in opts else ""
    split_join = " LEFT JOIN _hs_split sp ON sp.year = imp.year AND sp.hs = imp.hs" if "hs_split" in opts else ""
    # world's own columns only (year and hs come from imp): one column per name on every engine
    world_cols = ", ".join(f"world.{i.name}" for i in INDICATORS if i.stage == "world")
    if world is None:
        imp_rows = f"SELECT f.exporter, f.importer, f.hs, f.year, f.v, {w_col} FROM f {wgi_join} {imp_where}"
        xt_rows = "SELECT year, hs, exporter, fsum(v) AS xv, count(*) AS xn FROM f GROUP BY year, hs, exporter"
        world_join = "JOIN"
    else:  # reporters' totals with the World: imports from, and exports to, the World
        w_where = " AND ".join(["v > 0"] + where[1:])
        imp_rows = (f"SELECT * FROM (SELECT NULL::VARCHAR AS exporter, reporter AS importer, hs, year, v, NULL::DOUBLE "
                    f"AS w FROM {world} WHERE flow = 'import' AND {w_where}) {imp_where}")
        xt_rows = (f"SELECT year, hs, reporter AS exporter, fsum(v) AS xv, NULL::BIGINT AS xn FROM {world} "
                   f"WHERE flow = 'export' AND {w_where} GROUP BY year, hs, reporter")
        world_join = "LEFT JOIN"
    return f"""
WITH f AS NOT MATERIALIZED (
  SELECT year, exporter, importer, hs, value_usd AS v FROM {source} WHERE {' AND '.join(where)}
),
fi AS NOT MATERIALIZED ({imp_rows}),
imp AS (
  SELECT year, importer, hs, {', '.join(_select('imports', opts, p, world=wo))}
  FROM fi GROUP BY year, importer, hs
),
xt AS ({xt_rows}),
world AS (SELECT year, hs, {', '.join(_select('world', opts, p))} FROM xt GROUP BY year, hs),
cov AS (SELECT year, count(DISTINCT exporter) AS ne, max(xn) AS ni FROM xt GROUP BY year),
base AS (
  SELECT imp.*, {world_cols}, tx.xv AS _top_xv, ox.xv AS _own_xv, cov.ne AS _cov_ne, cov.ni AS _cov_ni{split_col}
  FROM imp {world_join} world USING (year, hs)
  LEFT JOIN xt tx ON tx.year = imp.year AND tx.hs = imp.hs AND tx.exporter = imp._top.e
  LEFT JOIN xt ox ON ox.year = imp.year AND ox.hs = imp.hs AND ox.exporter = imp.importer
  LEFT JOIN cov ON cov.year = imp.year{split_join}
),
rowv AS (
  SELECT year, importer, hs, import_value_usd, n_suppliers, world_export_value_usd, n_exporters, _cov_ne, _cov_ni,
       {row_cols}
  FROM base
),
yl(year, prev_year, yidx, out) AS (VALUES {year_rows}),
hist AS (
  SELECT t.year, r.importer, r.hs, {hist_cols}
  FROM rowv r JOIN yl ry ON ry.year = r.year JOIN yl t ON t.out AND ry.yidx <= t.yidx
  GROUP BY t.year, r.importer, r.hs
),
chg AS (
  SELECT c.*,
       {chg_cols}
  FROM rowv c JOIN yl ON yl.year = c.year AND yl.out
  LEFT JOIN rowv p ON p.year = yl.prev_year AND p.importer = c.importer AND p.hs = c.hs
  JOIN hist h ON h.year = c.year AND h.importer = c.importer AND h.hs = c.hs
)
SELECT year, importer, hs, {', '.join(out_names)} FROM chg
"""


def flags_sql(options: Iterable[str], params: Params = Params()) -> str:
    """A SQL expression: the list of :data:`FLAGS` a row raises, in order."""
    opts = set(options)
    p = params.values()
    items = ", ".join(
        f"CASE WHEN coalesce({_fill(fl.sql, p)}, false) THEN {sql_str(fl.name)} END"
        for fl in FLAGS
        if fl.needs is None or fl.needs in opts
    )
    return f"list_filter([{items}], lambda x: x IS NOT NULL)"


def why_sql(*, change: bool, screen: bool, min_import_usd: float, min_text: str, world: bool = False) -> str:
    """A SQL expression: the row's plain-language reason (as :func:`scrisk.metrics.composite.explain`).

    With ``world`` (World totals only) the reason says what the row holds instead: imports from the World, the
    world's top exporter, and that the suppliers are unknown.
    """
    if world:
        parts = [
            "'imports ' || scrisk_usd_short(import_value_usd) || ' from the World (no supplier detail in the data)'",
            "CASE WHEN world_top_exporter IS NOT NULL THEN 'top world exporter ' || world_top_exporter || ' with ' || "
            "scrisk_pct(world_top_exporter_share) || ' of reporters'' exports to the World, ' || "
            "CAST(n_exporters AS VARCHAR) || ' exporters' ELSE 'no reporter''s exports to the World of it' END",
        ]
        return "concat_ws('; ', " + ", ".join(parts) + ")"
    parts = [
        "scrisk_pct(top_share) || ' from ' || top_supplier || CASE WHEN top_supplier_world_share IS NULL THEN '' "
        "WHEN world_coverage_limited THEN ', which ships ' || scrisk_pct(top_supplier_world_share) || ' of the exports "
        "in the data (coverage-limited: not world exports)' "
        "ELSE ', which ships ' || scrisk_pct(top_supplier_world_share) || ' of world exports' END",
        "CASE WHEN n_suppliers = 1 THEN 'sole supplier' ELSE CAST(n_suppliers AS VARCHAR) || ' suppliers' END",
    ]
    if change:
        parts.append(
            "CASE WHEN prev_year IS NOT NULL THEN CASE WHEN new_import THEN 'no imports in ' || prev_year "
            "WHEN scrisk_pct(prev_top_share) <> '?' THEN CASE WHEN top_supplier_changed THEN "
            "'top supplier was ' || prev_top_supplier || ' in ' || prev_year "
            "WHEN scrisk_pct(prev_top_share) <> scrisk_pct(top_share) THEN scrisk_pct(prev_top_share) || ' in ' || prev_year "
            "END END END"
        )
    if screen:
        parts.append("CASE WHEN screen THEN 'meets the GeoDep screen' END")
    if min_import_usd > 0:
        parts.append(
            f"CASE WHEN import_value_usd < {float(min_import_usd)!r} THEN 'imports ' || scrisk_usd_short(import_value_usd) "
            f"|| ', below the ' || {sql_str(min_text)} || ' minimum' END"
        )
    return "concat_ws('; ', " + ", ".join(parts) + ")"


def register_world(con, table, name: str = "_world") -> str | None:
    """Register the World totals of a table with no bilateral flow (:attr:`~scrisk.schema.FlowTable.world_only`)
    as ``name(year, hs, reporter, flow, v)`` for the ``world`` argument of :func:`indicator_sql`; None for any
    other table (Spark tables included: their world totals are not sent to Spark).
    """
    if not getattr(table, "world_only", False):
        return None
    wt = table.meta.world_totals
    con.register(name, wt[["year", "hs", "reporter", "flow", "value_usd"]].rename(columns={"value_usd": "v"}))
    return name


def prepare(con, *, friendly: Iterable[str] | None = None, wgi: Mapping[str, float] | None = None,
            hs_split: Mapping[tuple[int, str], float] | None = None) -> list[str]:
    """Create the macros and the option tables the compiled query reads; return the options in use.

    ``friendly`` fills ``_friends(code)``; ``wgi`` (ISO3 -> score 0-10) fills ``_wgi(code, score)``;
    ``hs_split`` (``{(year, hs): share}``, :func:`scrisk.engine.hs_revision.split_shares`) fills
    ``_hs_split(year, hs, share)`` when it holds any split.
    """
    for m in SQL_MACROS:
        con.execute(m)
    opts = []
    if friendly is not None:
        con.execute("CREATE OR REPLACE TEMP TABLE _friends (code VARCHAR)")
        codes = sorted(set(friendly))
        if codes:
            con.executemany("INSERT INTO _friends VALUES (?)", [(c,) for c in codes])
        opts.append("friendly")
    if wgi is not None:
        con.execute("CREATE OR REPLACE TEMP TABLE _wgi (code VARCHAR, score DOUBLE)")
        rows = [(str(k), float(v)) for k, v in wgi.items() if v == v]
        if rows:
            con.executemany("INSERT INTO _wgi VALUES (?, ?)", rows)
        opts.append("wgi")
    if hs_split:
        con.execute("CREATE OR REPLACE TEMP TABLE _hs_split (year BIGINT, hs VARCHAR, share DOUBLE)")
        con.executemany("INSERT INTO _hs_split VALUES (?, ?, ?)", [(int(y), str(h), float(v)) for (y, h), v in hs_split.items()])
        opts.append("hs_split")
    return opts
