"""The library call behind ``scrisk analyze``: ranked import dependencies with reasons.

:func:`analyze` takes a flow table, picks one year (default: the latest
loaded), computes every indicator of :func:`indicators` for each (importer,
hs), labels materials, ranks, and returns an :class:`AnalysisResult` whose
:meth:`~AnalysisResult.to_dict` is the stable JSON contract::

    {"meta": {scrisk_version, inputs, years, hs_revision, generated_at, parameters, ...},
     "rows": [{rank, importer, hs, material, import_value_usd, n_suppliers, top_supplier,
               top_share, hhi, effective_suppliers, world_export_hhi, world_top_exporter,
               world_top_exporter_share, score, flags, why, ...extra fields}]}

One row per (importer, hs); shares and HHIs on the 0-1 scale (HHIs on
0-10,000 with ``hhi_scale=10000``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from scrisk.errors import UsageError
from scrisk.engine.indicators import INDICATORS, Params
from scrisk.metrics.composite import ScoreWeights
from scrisk.metrics.governance import WgiScores, as_wgi_scores
from scrisk.metrics.indicators import FLAGS, INDICATOR_COLUMNS, SCREEN_COLUMNS, indicators
from scrisk.metrics.persistence import CHANGE_COLUMNS
from scrisk.metrics.screen import Bands, ScreenCriteria
from scrisk.schema import FlowTable
from scrisk.textfmt import format_usd_short

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "analyze",
    "indicators",
    "AnalysisResult",
    "CONTRACT_COLUMNS",
    "SORT_KEYS",
    "FLAGS",
    "INDICATOR_COLUMNS",
    "expand_country_spec",
    "registry",
    "read_filter",
]

CONTRACT_COLUMNS: tuple[str, ...] = (
    "rank",
    "importer",
    "hs",
    "material",
    "import_value_usd",
    "n_suppliers",
    "top_supplier",
    "top_share",
    "hhi",
    "effective_suppliers",
    "world_export_hhi",
    "world_top_exporter",
    "world_top_exporter_share",
    "score",
    "flags",
    "why",
)
"""Fields every analyze row carries, in order (extra fields follow)."""

_EXTRA_COLUMNS: tuple[str, ...] = (
    "year",
    "band",
    "top_supplier_world_share",
    "world_export_value_usd",
    "n_exporters",
    "export_value_usd",
    "import_export_ratio",
)

SORT_KEYS: dict[str, str] = {i.sort: i.name for i in INDICATORS if i.sort}
"""``--sort`` choices and the column each sorts on (descending)."""

_HHI_COLUMNS = ("hhi", "world_export_hhi", "hhi_wgi", "prev_hhi", "delta_hhi")


class AnalysisResult:
    """The result of :func:`analyze`.

    Attributes
    ----------
    rows : DataFrame
        One row per (importer, hs), ranked: :data:`CONTRACT_COLUMNS` then
        extra fields (``year``, ``band``, ``top_supplier_world_share``...,
        and when asked ``friendly_share``, ``hhi_wgi``/``wgi_coverage``, the
        change columns, the screen columns). Built from :meth:`to_arrow` on
        first use.
    meta : dict
        Provenance (:func:`scrisk.provenance.output_meta`) plus
        ``analysis_year``, ``previous_year``, ``rows_total``, ``notes``,
        ``score``, ``bands`` (and ``wgi``, ``screen`` when used).
    """

    def __init__(self, rows: pd.DataFrame | None = None, meta: dict[str, Any] | None = None, *, table=None):
        self._rows = rows
        self._table = table  # a pyarrow.Table, or the engine's rows (scrisk.engine.store.DuckRows) until asked for
        self.meta = meta if meta is not None else {}

    def __len__(self) -> int:
        return self._table.num_rows if self._table is not None else len(self._rows)

    def to_arrow(self):
        """The ranked rows as a :class:`pyarrow.Table` (no Python object per row)."""
        import pyarrow as pa

        if self._table is None:
            self._table = pa.Table.from_pandas(self._rows, preserve_index=False)
        elif not isinstance(self._table, pa.Table):
            self._table = self._table.to_arrow()
        return self._table

    def rows_source(self):
        """The ranked rows to stream: the engine's table while they are still there (copied by it), else Arrow."""
        if self._table is not None and hasattr(self._table, "copy_to"):
            return self._table
        return self.to_arrow()

    def head_rows(self, n: int | None) -> list[dict[str, Any]]:
        """The first ``n`` ranked rows (all when None) as dicts of Python values, read without building Arrow."""
        if self._table is not None and hasattr(self._table, "head_rows"):
            return self._table.head_rows(n)
        tab = self.to_arrow()
        return (tab if n is None else tab.slice(0, n)).to_pylist()

    def to_pandas(self) -> pd.DataFrame:
        """The ranked rows as a pandas DataFrame (the canonical dtypes; ``flags`` as lists)."""
        return self.rows

    @property
    def rows(self) -> pd.DataFrame:
        if self._rows is None:
            self._rows = _arrow_rows_to_pandas(self.to_arrow())
        return self._rows

    def records(self) -> list[dict[str, Any]]:
        """Return the rows as JSON-ready dicts (NaN/<NA> become None)."""
        from scrisk.serialize import jsonable

        return [jsonable(r) for r in self.rows.to_dict(orient="records")]

    def to_dict(self) -> dict[str, Any]:
        """Return ``{"meta": ..., "rows": [...]}``, JSON-ready (the stable contract)."""
        from scrisk.serialize import jsonable

        return {"meta": jsonable(self.meta), "rows": self.records()}


def _arrow_rows_to_pandas(tab) -> pd.DataFrame:
    import pandas as pd
    import pyarrow as pa

    from scrisk.engine.indicators import PANDAS_DTYPES, pandas_dtype

    out = tab.to_pandas(types_mapper={pa.string(): pd.StringDtype(), pa.large_string(): pd.StringDtype()}.get)
    for c in out.columns:
        want = {"rank": "int64", "material": "string"}.get(c) or (pandas_dtype(c, out[c]) if c in PANDAS_DTYPES
                                                                   else None)
        if c == "flags":
            out[c] = [list(v) if v is not None else [] for v in out[c]]
        elif c == "why":
            out[c] = out[c].astype(object)
        elif want and str(out[c].dtype) != want:
            out[c] = out[c].astype(want)
    return out


def registry(baskets: Any = None):
    """Return a basket registry from None (bundled), a mapping, or basket file path(s)."""
    from scrisk.materials import load_baskets

    if baskets is None:
        return load_baskets()
    if isinstance(baskets, Mapping):
        return baskets
    return load_baskets(extra=baskets)


def _split(spec: Any) -> list[str]:
    if spec is None:
        return []
    items = [spec] if isinstance(spec, str) else list(spec)
    out: list[str] = []
    for it in items:
        out.extend(p.strip() for p in str(it).split(",") if p.strip())
    return out


def expand_country_spec(spec: str | Iterable[str] | None) -> tuple[str, ...] | None:
    """Expand ISO3 codes and group names (``KOR``, ``EU27``, ``G7,CPTPP``, ``EU27,-DEU``) into sorted ISO3 codes.

    None, an empty spec or ``*`` mean "every country" and return None (see
    :func:`scrisk.countries.expand_countries`).

    Raises
    ------
    UnknownCountryError
        A code or group scrisk does not know (exit code 2).
    """
    parts = _split(spec)
    if not parts:
        return None
    from scrisk.countries import expand_countries

    got = expand_countries(parts)
    return None if got is None else tuple(sorted(set(got)))


def _labels(codes: list[str], reg, revision: str | None, material: Any) -> list[str | None]:
    """The material of each HS code: the first basket asked for (``material``) holding it, else the first of all."""
    from scrisk.materials import code_labels, first_labels, get_basket

    labels = code_labels(codes, first_labels(reg, revision=revision))
    wanted = _split(material)
    if wanted:
        first: dict[str, str] = {}
        for m in wanted:
            b = get_basket(m, baskets=reg)
            for c in b.hs_codes(revision):
                first.setdefault(c, b.name)
        labels = [own if own is not None else other for own, other in zip(code_labels(codes, first), labels)]
    return [label or None for label in labels]


KEEP_INDICATORS_ROWS = 1_000_000
"""Flows from which the indicator and ranked rows of an analysis are kept in the cache for a re-run
(:func:`scrisk.engine.cache.cached_table`). On fewer, computing them again takes less than a second and is cheaper
than keeping them; on a 10M-row year a re-run from the kept rows takes about a third of the first run."""


def _ranked_rows(
    table: FlowTable,
    *,
    y: int | None,
    window_years: list[int],
    imp_codes: tuple[str, ...] | None,
    codes: tuple[str, ...],
    friends: tuple[str, ...] | None,
    scores: WgiScores | None,
    screen: bool,
    params,
    sort: str,
    top: int | None,
    hhi_scale: int,
    change: bool,
    labeller: Callable[[list[str]], list[str | None]],
    progress: Callable[[str], None] | None,
    blocs: list | None = None,
):
    """Run the indicator query for year ``y``, label, flag, explain and rank in the engine.

    Ranking: rows at/above the minimum value first, then ``sort`` descending,
    import value descending, importer, hs (missing values last).
    """
    from scrisk.engine.baci_scan import hs_filter_sql
    from scrisk.engine.indicators import flags_sql, indicator_sql, prepare, why_sql
    from scrisk.engine.store import DuckRows, connect, flow_source, sql_str

    from scrisk.engine.spark import is_spark_table

    step = progress or (lambda s: None)
    spark = is_spark_table(table)
    con = connect()
    done = False  # the connection stays open with the ranked rows (DuckRows), and is closed on any error
    try:
        from scrisk.engine.hs_revision import split_shares

        from scrisk.engine.indicators import register_world

        splits = split_shares(table)
        opts = prepare(con, friendly=friends, wgi=scores.scores if scores is not None else None, hs_split=splits)
        if screen:
            opts.append("screen")
        world = None if spark else register_world(con, table)
        if world is not None:
            opts.append("world")
        step("indicators")
        year_sql = str(int(y)) if y is not None else "NULL"
        ind_file = None  # the cache file holding the indicator rows, when they are kept there
        compile_args = dict(years=window_years, importers=imp_codes, hs=codes, params=params,
                            output_years=[y] if y is not None else [])
        if spark:
            # the indicator rows are computed on Spark; ranking, flags and reasons run here on those rows
            from scrisk.engine.spark import indicator_rows

            if blocs:
                raise UsageError("--as-bloc runs on the DuckDB engine; leave out --engine spark")
            con.register("_ind_rows", indicator_rows(table, friendly=friends, screen=screen,
                                                     wgi=scores.scores if scores is not None else None,
                                                     where=f"year = {year_sql}", **compile_args))
            con.execute("CREATE TEMP TABLE _ind AS SELECT * FROM _ind_rows")
        else:
            src = flow_source(con, table)
            if blocs:
                from scrisk.engine.lenses import bloc_source
                from scrisk.lenses import _blocs

                years = [(int(r[0]),) for r in con.execute(f"SELECT DISTINCT year FROM {src}").fetchall()]
                src = bloc_source(con, src, _blocs(blocs, sorted(years)), ("year",))
            ind = indicator_sql(src, options=opts, world=world, **compile_args)
            query = f"SELECT * FROM ({ind}) WHERE year = {year_sql}"
            if blocs or world is not None or table.in_memory or not table.parquet or len(table) < KEEP_INDICATORS_ROWS:
                con.execute(f"CREATE TEMP TABLE _ind AS {query}")
            else:
                # the indicator rows of the same query on the same stored flows are kept in the cache: a re-run
                # (another --sort, --top or format) starts from them. The option tables are in the key by value.
                from scrisk.engine.cache import cached_table
                from scrisk.engine.indicators import SQL_MACROS
                from scrisk.engine.ingest import input_cache

                values = {"macros": list(SQL_MACROS), "friendly": sorted(friends) if friends is not None else None,
                          "wgi": sorted(scores.scores.items()) if scores is not None else None,
                          "hs_split": sorted([y, h, v] for (y, h), v in (splits or {}).items())}
                _, ind_file = cached_table(con, "_ind", query, cache=input_cache(), inputs=table.parquet,
                                           fingerprint=values)
        total, below, limited = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE NOT above_min_value), count(*) FILTER (WHERE world_coverage_limited) "
            "FROM _ind").fetchone()
        hs_here = [r[0] for r in con.execute("SELECT DISTINCT hs FROM _ind ORDER BY hs").fetchall()]
        stats: dict[str, Any] = {"total": int(total), "below": int(below or 0), "hs": hs_here, "importers": [],
                                 "coverage_limited": int(limited or 0)}
        if "hs_split" in opts:
            stats["split_rows"] = int(con.execute("SELECT count(*) FROM _ind WHERE hs_split_share > 0").fetchall()[0][0])
        if imp_codes and len(imp_codes) <= 10:
            stats["importers"] = [r[0] for r in con.execute("SELECT DISTINCT importer FROM _ind").fetchall()]
        step("ranking")
        labels = labeller(hs_here) if hs_here else []
        con.execute("CREATE TEMP TABLE _mat_df AS SELECT unnest(?::VARCHAR[]) AS hs, unnest(?::VARCHAR[]) AS material",
                    [hs_here, labels])
        cols = list(CONTRACT_COLUMNS) + list(_EXTRA_COLUMNS)
        if friends is not None:
            cols.append("friendly_share")
        if scores is not None:
            cols += ["hhi_wgi", "wgi_coverage"]
        if change:
            cols += list(CHANGE_COLUMNS)
        if screen:
            cols += list(SCREEN_COLUMNS)
        if limited:
            cols.append("world_coverage_limited")
        if "hs_split" in opts:
            cols.append("hs_split_share")
        scale = float(hhi_scale)
        select = [f"{c} * {scale!r} AS {c}" if c in _HHI_COLUMNS and hhi_scale != 1 else c for c in cols]
        metric = SORT_KEYS[sort]
        why = why_sql(change=change, screen=screen, min_import_usd=params.min_import_usd,
                      min_text=format_usd_short(params.min_import_usd), world=world is not None)
        limit = f"LIMIT {int(top)}" if top else ""
        final = f"""
            SELECT {', '.join(select)} FROM (
              SELECT i.*, m.material,
                     {flags_sql(opts, params)} AS flags,
                     {why} AS why,
                     row_number() OVER (ORDER BY (NOT i.above_min_value), i.{metric} DESC NULLS LAST,
                                        i.import_value_usd DESC NULLS LAST, i.importer, i.hs) AS rank
              FROM _ind i LEFT JOIN _mat_df m ON m.hs = i.hs
            ) ORDER BY rank {limit}"""
        if ind_file is None:
            con.execute(f"CREATE TEMP TABLE _ranked AS {final}")
        else:  # ranked from kept indicator rows: kept too, under their file, the query and the material labels
            from scrisk.engine.cache import cached_table
            from scrisk.engine.indicators import SQL_MACROS
            from scrisk.engine.ingest import input_cache

            cached_table(con, "_ranked", final, cache=input_cache(), inputs=[ind_file],
                         fingerprint={"macros": list(SQL_MACROS), "labels": [list(hs_here), list(labels)]})
        tab = DuckRows(con, "_ranked", order="rank")
        if scores is not None:
            base = [f"year = {year_sql}", "value_usd > 0"]
            if codes:
                base.append(hs_filter_sql("hs", codes))
            if imp_codes is not None:
                base.append("importer IN (" + (", ".join(sql_str(c) for c in imp_codes) or "NULL") + ")")
            cond = " AND ".join(base)
            queries = [
                "SELECT exporter, sum(value_usd) AS v FROM {src} WHERE " + cond + " AND exporter NOT IN "
                "(SELECT code FROM _wgi) GROUP BY exporter ORDER BY v DESC, exporter",
                "SELECT coalesce(sum(value_usd), 0) FROM {src} WHERE " + cond.replace('value_usd > 0', 'TRUE'),
            ]
            if spark:
                from scrisk.engine.spark import SparkQueries

                q = SparkQueries()
                try:
                    q.prepare(wgi=scores.scores)
                    missing, total_v = (q.rows(t.format(src=q.source(table)), "the WGI coverage") for t in queries)
                finally:
                    q.close()
            else:
                missing, total_v = (con.execute(t.format(src=src)).fetchall() for t in queries)
            stats["wgi_missing"] = [(e, float(v)) for e, v in missing]
            stats["wgi_total"] = float(total_v[0][0])
        con.execute("DROP TABLE _ind")
        done = True
    finally:
        if not done:
            con.close()
    return tab, stats


def analyze(
    table: FlowTable,
    *,
    importers: str | Iterable[str] | None = None,
    hs: str | Iterable[str] | None = None,
    material: str | Iterable[str] | None = None,
    baskets: Any = None,
    year: int | None = None,
    friendly: str | Iterable[str] | None = None,
    wgi: str | Path | WgiScores | Mapping[str, float] | None = None,
    min_import_usd: float = 10_000_000.0,
    screen: bool = False,
    top: int | None = None,
    sort: str = "score",
    hhi_scale: int = 1,
    weights: ScoreWeights = ScoreWeights(),
    bands: Bands = Bands(),
    criteria: ScreenCriteria = ScreenCriteria(),
    progress: Callable[[str], None] | None = None,
    as_bloc: str | Iterable[str] | None = None,
) -> AnalysisResult:
    """Rank the import dependencies in a flow table and explain each one.

    Parameters
    ----------
    table : FlowTable
        The flows (e.g. from :func:`scrisk.api.load_flows`).
    importers : str or iterable of str, optional
        ISO3 codes and/or country groups (``"KOR"``, ``"EU27"``,
        ``"KOR,JPN"``); default every importer.
    hs : str or iterable of str, optional
        HS codes or 2/4-digit prefixes (``"811292"``, ``"8542"``).
    material : str or iterable of str, optional
        Basket names (``"gallium"``); combined with ``hs`` as a union.
    baskets : mapping or path(s), optional
        A basket registry or user basket TOML file(s) added to the bundled ones.
    year : int, optional
        Year to analyse; default the latest loaded year. Change columns
        compare it with the previous loaded year when there is one.
    friendly : str or iterable of str, optional
        Codes and groups whose share of imports is reported
        (``"G7,EU27,CPTPP"`` -> ``friendly_share``).
    wgi : path, WgiScores or mapping, optional
        World Bank WGI file (long layout or tidy iso3,score) or scores;
        adds ``hhi_wgi`` and ``wgi_coverage``.
    min_import_usd : float, default 10,000,000
        Minimum imports for a single-source band; smaller rows rank last.
    screen : bool, default False
        Apply the GeoDep screen (adds the screen columns and the ``geodep``
        flag).
    top : int, optional
        Keep the first ``top`` rows after ranking (None or 0: all).
    sort : {'score', 'hhi', 'top_share', 'value', 'hhi_wgi'}, default 'score'
        Ranking key (descending). Ties: import value desc, importer, hs.
        Rows below ``min_import_usd`` come after the others; NaN never first.
    hhi_scale : {1, 10000}, default 1
        Scale of the HHI fields in the output.
    weights, bands, criteria
        Score weights, band thresholds and screen thresholds.
    progress : callable, optional
        Called with a short step name as the work advances (for progress bars).
    as_bloc : str or iterable of str, optional
        Groups to treat as one country (``"EU27"``): members' flows are added
        and trade among them left out, so ``importers="EU27", as_bloc="EU27"``
        gives one EU row per product with extra-EU imports, and the EU is one
        exporter in every world figure. Dated groups use the members of each
        year (on its last day); so does ``importers`` without ``as_bloc``.

    Returns
    -------
    AnalysisResult

    Raises
    ------
    UnknownMaterialError, UnknownCountryError, UsageError
        Bad options (exit code 2).

    Examples
    --------
    >>> import pandas as pd
    >>> from scrisk.schema import make_flow_table
    >>> t = make_flow_table(pd.DataFrame({"year": [2024] * 3, "exporter": ["CHN", "JPN", "CHN"],
    ...     "importer": ["KOR", "KOR", "USA"], "hs": ["811292"] * 3, "value_usd": [9.2e7, 0.8e7, 4e7]}))
    >>> rows = analyze(t).to_dict()["rows"]
    >>> [(r["rank"], r["importer"], r["top_supplier"], r["top_share"]) for r in rows]
    [(1, 'USA', 'CHN', 1.0), (2, 'KOR', 'CHN', 0.92)]
    >>> rows[1]["flags"][:2], rows[1]["why"]
    (['absolute_dependence', 'concentrated_imports'], '92% from CHN, which ships 94% of world exports; 2 suppliers')
    """
    if sort not in SORT_KEYS:
        raise UsageError(f"--sort {sort!r} is not one of {', '.join(SORT_KEYS)}")
    if sort == "hhi_wgi" and wgi is None:
        raise UsageError("--sort hhi_wgi needs --wgi FILE")
    if hhi_scale not in (1, 10000):
        raise UsageError(f"--hhi-scale {hhi_scale} is not 1 or 10000")
    if top is not None and top < 0:
        raise UsageError(f"--top {top} is negative; give a positive number of rows (0 = all)")
    if not min_import_usd >= 0:
        raise UsageError(f"--min-import-usd {min_import_usd} must be >= 0")

    from scrisk.materials import normalize_revision, resolve_hs
    from scrisk.provenance import output_meta

    _step = progress or (lambda s: None)
    _step("options")
    reg = registry(baskets)
    revision = table.meta.hs_revision
    codes = resolve_hs(material, hs, baskets=reg, revision=normalize_revision(revision) if revision else None)
    loaded = list(table.measured_years)
    notes: list[str] = []
    if revision is None and material:
        notes.extend(_other_revision_codes(table, material, codes, reg))
    if year is None:
        y = loaded[-1] if loaded else None
    else:
        y = int(year)
        if y not in loaded:
            if not loaded:  # the year filter runs in the scan: no row of that year was read
                raise UsageError(f"no rows of year {y} in the data; pick a year the data holds "
                                 "(`scrisk validate FILE` lists them)")
            have = ", ".join(str(v) for v in loaded)
            raise UsageError(f"year {y} is not in the data (loaded years: {have}); pick one of them with --year")
    from scrisk.countries import period_end
    from scrisk.lenses import resolve_actor

    blocs = [resolve_actor(g, "as-bloc") for g in _split(as_bloc)]
    on = period_end(y) if y is not None else None
    imp_codes = _with_blocs(importers, blocs, on)
    friends = _with_blocs(friendly, blocs, on) if friendly is not None else None
    if friendly is not None and friends is None:
        raise UsageError("--friendly needs country codes or groups, e.g. --friendly G7,EU27")
    scores = as_wgi_scores(wgi, year=y) if wgi is not None else None

    parameters = {
        "importers": _split(importers) or None,
        "hs": _split(hs) or None,
        "material": _split(material) or None,
        "hs_codes": list(codes) or None,
        "baskets": None if baskets is None or isinstance(baskets, Mapping) else [str(p) for p in _split_paths(baskets)],
        "year": year,
        "friendly": _split(friendly) or None,
        "wgi": str(wgi) if isinstance(wgi, (str, Path)) else (None if wgi is None else "scores"),
        "min_import_usd": float(min_import_usd),
        "screen": bool(screen),
        "top": top,
        "sort": sort,
        "hhi_scale": int(hhi_scale),
        "as_bloc": _split(as_bloc) or None,
    }
    meta = output_meta(table, **parameters)

    window_years = [v for v in loaded if y is not None and v <= y][-max(criteria.window, 2):]
    prev_year = window_years[-2] if len(window_years) >= 2 else None
    tab, stats = _ranked_rows(
        table,
        y=y,
        window_years=window_years,
        imp_codes=imp_codes,
        codes=codes,
        friends=friends,
        scores=scores,
        screen=screen,
        params=Params.of(min_import_usd=min_import_usd, bands=bands, criteria=criteria, weights=weights),
        sort=sort,
        top=top,
        hhi_scale=hhi_scale,
        change=prev_year is not None,
        labeller=lambda hs_codes: _labels(hs_codes, reg, revision, material),
        progress=progress,
        blocs=blocs,
    )
    total, n_below = stats["total"], stats["below"]

    # notes: say what is missing rather than returning a silent empty table
    if table.world_only:
        from scrisk.provenance import world_only_note

        notes.append(world_only_note(table, "import values are the reporters' imports from the World, and the world "
                     "export HHI, top exporter and share and number of exporters come from the reporters' exports to "
                     "the World; suppliers, top supplier and share, import HHI, bands and the score are left empty "
                     "(flag world_totals_only)"))
    if table.meta.hs_headings:
        from scrisk.provenance import headings_note

        notes.append(headings_note(table.meta.hs_headings))
    if y is None:
        notes.append("the flow table is empty")
    elif total == 0:
        what = f" of {', '.join(codes)}" if codes else ""
        who = f" by {', '.join(imp_codes)}" if imp_codes else ""
        notes.append(f"no imports{what}{who} in {y}")
    elif imp_codes:
        absent = sorted(set(imp_codes) - set(stats["importers"]))
        if absent and len(imp_codes) <= 10:
            notes.append(f"no imports of the selected products in {y} for: {', '.join(absent)}")
    if codes and y is not None:
        here = stats["hs"]
        missing = [c for c in codes if not any(h.startswith(c) or (len(h) == 4 and c[:4] == h) for h in here)]
        if missing:
            notes.append(f"HS codes without imports in {y}: {', '.join(missing)}")
    if n_below and total:
        notes.append(f"{n_below} of {total} rows have imports below {format_usd_short(min_import_usd)}: no band, ranked after "
                     "the others")
    if top and total > top:
        notes.append(f"showing the top {top} of {total} rows")
    if stats.get("coverage_limited"):
        notes.append(f"world-side figures are coverage-limited ({stats['coverage_limited']} of {total} rows): the "
                     f"{y} data is one-sided (at most 3 exporters shipping to 20+ importers, or the reverse: one "
                     "reporter's file or a partial extract), so world shares, world HHIs and the score's world terms "
                     "describe the data, not world trade; flag world_coverage_limited")
    if stats.get("split_rows"):
        conv = table.meta.hs_conversion or {}
        notes.append(f"{stats['split_rows']} rows hold value converted from another HS revision by a 1:n split "
                     f"(hs_split_share; {conv.get('split_share', 0.0):.1%} of all value): allocated by the rule in "
                     "meta.hs_conversion")

    meta.update(
        analysis_year=y,
        previous_year=prev_year,
        rows_total=total,
        hhi_scale=int(hhi_scale),
        score={"formula": "score = (0.35*hhi + 0.25*top_share + 0.25*world_export_hhi + "
                          "0.15*top_supplier_world_share) / sum of weights (weights below)",
               "weights": weights.as_dict()},
        bands={"absolute": bands.absolute, "high": bands.high, "monitor": bands.monitor,
               "min_import_usd": float(min_import_usd)},
        flags=dict(FLAGS),
        coverage={"limited_rows": int(stats.get("coverage_limited", 0)),
                  "rule": "world_coverage_limited when the year's data has at most 3 exporters shipping to 20 or more "
                          "importers, or every exporter ships each product to at most 3 importers while 20 or more "
                          "countries export"},
    )
    if screen:
        meta["screen"] = {
            "criteria": {"import_hhi_gt": criteria.import_hhi, "world_export_hhi_gt": criteria.world_export_hhi,
                         "import_export_ratio_gt": criteria.import_export_ratio,
                         "zero_export_ratio": criteria.zero_export_ratio},
            "persistence": f"criteria met in >= min({criteria.min_years}, n) of the last n <= {criteria.window} "
                           "loaded years up to the analysis year",
            "window_years": window_years[-criteria.window:],
        }
    if scores is not None:
        info = scores.describe()
        miss, tot = stats["wgi_missing"], stats["wgi_total"]
        info["suppliers_without_score"] = [{"exporter": str(e), "value_usd": float(v)} for e, v in miss[:20]]
        info["value_share_without_score"] = float(sum(v for _, v in miss) / tot) if tot > 0 else 0.0
        if miss:
            notes.append(
                f"{len(miss)} supplier(s) without a WGI score ({info['value_share_without_score']:.1%} of import "
                f"value; hhi_wgi is a lower bound where wgi_coverage < 1): "
                + ", ".join(str(e) for e, _ in miss[:8])
            )
        meta["wgi"] = info
    if blocs:
        meta["blocs"] = {b.name: {str(v): list(b.members_on(period_end(v))) for v in window_years} for b in blocs}
    meta["notes"] = notes
    return AnalysisResult(meta=meta, table=tab)


def _other_revision_codes(table: FlowTable, material: Any, codes: Iterable[str], reg: Any) -> list[str]:
    """A note when the data's HS revision is unknown and it holds basket codes of another revision (not counted)."""
    from scrisk.engine.store import connect, flow_source, sql_list
    from scrisk.materials import get_basket

    other = sorted({c for m in _split(material) for c in get_basket(m, baskets=reg).all_hs_codes()} - set(codes))
    if not other:
        return []
    con = connect()
    try:
        rows = con.execute(f"SELECT hs, fsum(value_usd) FROM {flow_source(con, table)} WHERE list_contains("
                           f"{sql_list(other)}, hs) GROUP BY hs ORDER BY hs").fetchall()
    finally:
        con.close()
    if not rows:
        return []
    found = ", ".join(f"{h} ({format_usd_short(v)})" for h, v in rows)
    return [f"the data's HS revision is unknown, so the baskets are read as HS2017 ({', '.join(codes)}); it also holds "
            f"codes the baskets use in another revision, not counted: {found}. Declare the files' revision "
            "(the hs_revision key of a --profile, or a classification column) to convert them"]
def _with_blocs(spec: Any, blocs: list, on: str | None) -> tuple[str, ...] | None:
    """Expand ``--importer``/``--friendly`` on date ``on``; a group given with ``as_bloc`` stays one code."""
    from scrisk.countries import _group_key, expand_countries

    items = _split(spec)
    if not items:
        return None
    names = {_group_key(b.spec): b for b in blocs}
    kept = [i for i in items if _group_key(i) not in names]
    chosen = [names[_group_key(i)].name for i in items if _group_key(i) in names]
    codes = set(expand_countries(kept, on=on) or ()) if kept else set()
    collapsed = {c for b in blocs for c in b.members_on(on)}
    return tuple(sorted((codes - collapsed) | set(chosen)))


def read_filter(
    material: str | Iterable[str] | None = None,
    hs: str | Iterable[str] | None = None,
    *,
    baskets: Any = None,
) -> tuple[str, ...]:
    """Return the HS prefixes worth reading for ``material``/``hs`` (to push into the reader's scan).

    The union of the baskets' codes in every HS revision (the file's revision
    is known only after reading) and the ``hs`` prefixes; empty means read
    everything. Unknown materials raise here, before any file is read.

    Examples
    --------
    >>> read_filter("hafnium", "8542")
    ('811231', '811292', '8542')
    >>> read_filter(None, None)
    ()
    """
    from scrisk.materials import minimal_prefixes, get_basket, resolve_hs

    reg = registry(baskets)
    codes: list[str] = []
    for m in _split(material):
        codes.extend(get_basket(m, baskets=reg).all_hs_codes())
    codes.extend(resolve_hs(None, hs, baskets=reg))
    return minimal_prefixes(codes)


def _split_paths(baskets: Any) -> list[Any]:
    if isinstance(baskets, (str, Path)):
        return [baskets]
    return list(baskets)
