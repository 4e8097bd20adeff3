"""The lenses: exporter leverage, the Korea-Japan complementarity lens and the KIET-style named-partner screen.

Each lens is one function over a flow table that returns a :class:`LensResult`
(``meta``, ``rows``, optional second tables; ``to_dict()`` is the stable JSON
contract). The measures are declared once in :mod:`scrisk.engine.lenses` and
run as one SQL query in DuckDB; :func:`leverage` runs its query on Spark
when the table's rows are there (``--engine spark``, the same declarations
transpiled by :func:`scrisk.engine.spark.to_spark_sql`).

Countries and blocs: ``exporter``, ``ally``, ``rival``, ``importer`` and
``partner`` take an ISO3 code, a group (``EU27``, ``G7``, ``MSP``...) or a
list (``JPN,KOR``). A group or list is **one actor** (a bloc): its members'
flows are added up and trade among them is left out, so EU27 imports are
extra-EU imports. Dated groups (EU27, MSP, NATO, ...) take, for each period,
the members on its last day. ``as_bloc`` collapses further groups the same way
(``as_bloc=["EU27"]``: the EU is one importer and one exporter everywhere, the
world export HHI included).

Periods: one row per year, or per (year, month) when the flow table has a
``month`` column (monthly readers).

Examples
--------
>>> import pandas as pd
>>> from scrisk.schema import make_flow_table
>>> t = make_flow_table(pd.DataFrame({"year": [2024] * 5,
...     "exporter": ["CHN", "CHN", "JPN", "CHN", "JPN"], "importer": ["KOR", "USA", "KOR", "DEU", "USA"],
...     "hs": ["811292"] * 5, "value_usd": [80.0, 50.0, 20.0, 30.0, 50.0]}))
>>> r = leverage(t, exporter="CHN").to_dict()["rows"][0]
>>> r["export_value_usd"], r["world_share"], r["importers_monitor"], round(r["destination_hhi"], 4)
(160.0, 0.6956521739130435, ['DEU', 'KOR', 'USA'], 0.3828)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

from scrisk.engine.lenses import LensParams
from scrisk.errors import UsageError
from scrisk.results import RowsResult
from scrisk.schema import FlowTable

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["LensResult", "leverage", "complement", "partner_screen", "Actor", "resolve_actor", "end_use_table"]


class LensResult(RowsResult):
    """The result of a lens: ``meta``, ranked ``rows`` (Arrow) and named extra tables.

    ``to_dict()`` is ``{"meta", "rows", **extras}`` with every table as a list
    of row dicts; ``to_arrow()`` / ``to_pandas()`` give the main rows
    (:class:`~scrisk.results.RowsResult`).
    """

    def __init__(self, rows, meta: dict[str, Any], extras: Mapping[str, Any] | None = None):
        super().__init__(rows, meta)
        self.extras = dict(extras or {})

    def table(self, name: str) -> pd.DataFrame:
        """An extra table (``importers``, ``summary``...) as a pandas DataFrame."""
        return self.extras[name].to_pandas()

    def contract_extras(self) -> dict[str, Any]:
        """The contract's tables besides meta and rows (for the streamed json)."""
        return {k: v.to_pylist() for k, v in self.extras.items()}

    def to_dict(self) -> dict[str, Any]:
        """``{"meta", "rows", **extras}``, JSON-ready (the stable contract)."""
        from scrisk.serialize import jsonable

        return {**super().to_dict(), **jsonable(self.contract_extras())}


class Actor:
    """A country or a bloc named on the command line.

    Attributes
    ----------
    name : str
        The code rows carry: the ISO3 code, the group's name (``EU27``) or
        ``JPN+KOR`` for a list.
    spec : str
        What the user gave.
    bloc : bool
        True for a group or a list (members' flows added, intra-bloc trade left out).
    """

    def __init__(self, spec: str, name: str, bloc: bool, members: Callable[[str | None], tuple[str, ...]]):
        self.spec, self.name, self.bloc, self._members = spec, name, bloc, members

    def members_on(self, date: str | None) -> tuple[str, ...]:
        """Member codes on ``date`` (the country itself for a single country)."""
        return self._members(date)

    def describe(self, dates: Sequence[str]) -> dict[str, Any]:
        """What the actor stood for on each period's last day (for meta)."""
        if not self.bloc:
            return {"spec": self.spec, "code": self.name, "bloc": False}
        per = {d: list(self.members_on(d)) for d in dates}
        return {"spec": self.spec, "code": self.name, "bloc": True, "members_on": per}


def _items(spec: Any) -> list[str]:
    parts = [spec] if isinstance(spec, str) else list(spec or [])
    return [x.strip() for p in parts for x in str(p).split(",") if x.strip()]


def resolve_actor(spec: Any, role: str) -> Actor:
    """Resolve ``--exporter``/``--ally``/``--rival``/... into an :class:`Actor`.

    Raises
    ------
    UsageError
        Nothing given, or ``*`` (every country cannot be one actor).
    UnknownCountryError
        An unknown code or group (exit code 2).

    Examples
    --------
    >>> a = resolve_actor("eu27", "importer")
    >>> a.name, a.bloc, "GBR" in a.members_on("2019-12-31"), "GBR" in a.members_on("2020-12-31")
    ('EU27', True, True, False)
    >>> resolve_actor("jpn", "ally").name
    'JPN'
    """
    from scrisk.countries import _group_key, expand_countries, load_groups

    items = _items(spec)
    if not items:
        raise UsageError(f"--{role} needs a country code or group, e.g. --{role} CHN")
    if any(i.lstrip("-") == "*" for i in items):
        raise UsageError(f"--{role} '*' would make every country one actor; name a country or a group")
    expand_countries(items)  # unknown codes fail here, with suggestions
    groups = load_groups()
    if len(items) == 1 and _group_key(items[0]) not in groups:
        code = expand_countries(items)[0]
        return Actor(items[0], code, False, lambda d, c=code: (c,))
    name = _group_key(items[0]) if len(items) == 1 else "+".join(i.upper() for i in items)
    return Actor(",".join(items), name, True, lambda d, it=tuple(items): expand_countries(list(it), on=d) or ())


def _period_end(period: tuple) -> str:
    from scrisk.countries import period_end

    return period_end(period[0], period[1] if len(period) > 1 else None)


def _period_label(period: tuple) -> str:
    return f"{period[0]}-{period[1]:02d}" if len(period) > 1 else str(period[0])


def _blocs(actors: Sequence[Actor], periods: Sequence[tuple]) -> dict[str, dict[tuple, tuple[str, ...]]]:
    """The members of every bloc actor per period; refuse actors that share a member in a period."""
    blocs: dict[str, dict[tuple, tuple[str, ...]]] = {}
    for a in actors:
        if a.bloc and a.name not in blocs:
            blocs[a.name] = {p: a.members_on(_period_end(p)) for p in periods}
    for p in periods:
        owner: dict[str, str] = {}
        for a in actors:
            codes = blocs[a.name][p] if a.bloc else (a.name,)
            for c in codes:
                if c in owner and owner[c] != a.name:
                    raise UsageError(f"{c} belongs to both {owner[c]} and {a.name} in {_period_label(p)}; "
                                     "give actors that do not overlap (e.g. EU27,-DEU)")
                owner[c] = a.name
    return blocs


def _codes(table: FlowTable, material: Any, hs: Any, baskets: Any) -> tuple[str, ...]:
    from scrisk.analysis import registry
    from scrisk.materials import normalize_revision, resolve_hs

    rev = table.meta.hs_revision
    return tuple(resolve_hs(material, hs, baskets=registry(baskets), revision=normalize_revision(rev) if rev else None))


def _select_periods(periods: list[tuple], year: Any) -> list[tuple]:
    if year is None:
        return periods
    want = {int(y) for y in ([year] if isinstance(year, (int, str)) else year)}
    got = [p for p in periods if p[0] in want]
    if not got:
        have = ", ".join(sorted({str(p[0]) for p in periods})) or "none"
        raise UsageError(f"year {', '.join(str(y) for y in sorted(want))} is not in the data (loaded years: {have})")
    return got


def _period_where(keys: Sequence[str], periods: Sequence[tuple]) -> str:
    if not periods:
        return "FALSE"
    return "(" + " OR ".join("(" + " AND ".join(f"{k} = {int(v)}" for k, v in zip(keys, p)) + ")"
                             for p in periods) + ")"


def _meta(table: FlowTable, lens: str, actors: Mapping[str, Actor], periods: Sequence[tuple], keys: Sequence[str],
          params: LensParams, **parameters: Any) -> dict[str, Any]:
    from scrisk.engine.lenses import LENSES
    from scrisk.provenance import output_meta

    meta = output_meta(table, **parameters)
    ends = [_period_end(p) for p in periods]
    meta.update(
        lens=lens,
        periods=[_period_label(p) for p in periods],
        period="month" if len(keys) > 1 else "year",
        actors={role: a.describe(ends) for role, a in actors.items()},
        blocs_note="a group or list is one actor: its members' flows are added and trade among them is left out; "
                   "dated groups take the members on each period's last day",
        bands={"absolute": params.band_absolute, "high": params.band_high, "monitor": params.band_monitor},
        measures={i.name: i.description.format(**params.values()) for i in LENSES[lens] if i.output},
    )
    return meta


def _bloc_actors(as_bloc: Any) -> list[Actor]:
    return [resolve_actor(g, "as-bloc") for g in _items(as_bloc)]


class _Run:
    """What every lens opens with: the blocs, the product codes, the engine, the source and its periods.

    ``q`` runs the lens's queries: on Spark when ``spark`` is allowed and the
    table's rows are on Spark (:func:`scrisk.engine.store.queries_for`), else
    on a DuckDB connection (``con``; a Spark table's rows are collected).
    """

    def __init__(self, table: FlowTable, actors: Sequence[Actor], *, as_bloc: Any, material: Any, hs: Any,
                 baskets: Any, year: Any, spark: bool = False):
        from scrisk.engine.lenses import bloc_source, flow_periods
        from scrisk.engine.store import DuckQueries, queries_for

        self.blocs = _bloc_actors(as_bloc)
        self.codes = _codes(table, material, hs, baskets)
        self.q = queries_for(table) if spark else DuckQueries()
        self.con = getattr(self.q, "con", None)
        try:
            src = self.q.source(table)
            self.keys, periods = flow_periods(self.q, src)
            self.src = bloc_source(self.q, src, _blocs(list(actors) + self.blocs, periods), self.keys)
            self.periods = _select_periods(periods, year)
        except BaseException:
            self.q.close()
            raise
        self.where = _period_where(self.keys, self.periods)
        self.k = ", ".join(self.keys)
        self.common = dict(hs=_items(hs) or None, material=_items(material) or None,
                           hs_codes=list(self.codes) or None, year=year, as_bloc=_items(as_bloc) or None)

    def bloc_roles(self) -> dict[str, Actor]:
        return {f"bloc_{b.name}": b for b in self.blocs}


# ------------------------------------------------------------------ leverage


def leverage(
    table: FlowTable,
    *,
    exporter: Any,
    importers: Any = None,
    hs: Any = None,
    material: Any = None,
    baskets: Any = None,
    year: Any = None,
    as_bloc: Any = None,
    min_import_usd: float = 0.0,
    combine: bool = False,
    params: LensParams | None = None,
) -> LensResult:
    """How much leverage an exporter holds, and over whom (``scrisk leverage``).

    Per (period, hs): the exporter's exports, its share of world exports, the
    HHI of its destinations, its largest customer, and the importers whose
    imports come at or above each band (50/75/90 %) from it. The
    ``importers`` table has one row per (period, hs, importer) it ships to:
    the importer's imports, those from the exporter and the exporter's share.

    Parameters
    ----------
    exporter : str
        ISO3 code, group or list (one actor, intra-bloc flows left out).
    importers : str, optional
        Customers to keep (codes or groups, expanded per period; the world
        figures still use every flow).
    hs, material, baskets
        Products (default: every product in the data).
    year : int or list of int, optional
        Years to report (default all loaded).
    as_bloc : str or list, optional
        Groups to treat as one country everywhere (``"EU27"``).
    min_import_usd : float, default 0
        Importers below this import value are not counted in the bands.
    combine : bool, default False
        Treat the selected products as one (a material basket's codes, or
        ``hs="250410,380110"``): ``hs`` then holds the material names or the
        codes joined by ``+``.

    Returns
    -------
    LensResult
        rows: ``period keys, hs, exporter,`` the product measures of
        :data:`~scrisk.engine.lenses.LEVERAGE` and the world figures, ranked by
        period, world share (descending) and hs; extra table ``importers``.
    """
    import dataclasses

    from scrisk.engine.lenses import leverage_importers_sql, leverage_pairs_sql, leverage_product_sql
    from scrisk.engine.store import arrow_table, connect

    params = dataclasses.replace(params or LensParams(), min_import_usd=float(min_import_usd))
    ex = resolve_actor(exporter, "exporter")
    run = _Run(table, [ex], as_bloc=as_bloc, material=material, hs=hs, baskets=baskets, year=year, spark=True)
    q, src, keys, periods, codes, blocs = run.q, run.src, run.keys, run.periods, run.codes, run.blocs
    try:
        imp_codes = None
        if importers is not None:
            from scrisk.countries import expand_countries

            got: set[str] = set()
            for p in periods:
                got.update(expand_countries(_items(importers), on=_period_end(p)) or ())
            got |= {b.name for b in blocs if b.spec.upper() in {i.upper() for i in _items(importers)}}
            imp_codes = sorted(got)
        sql_codes = codes
        if combine:
            from scrisk.engine.baci_scan import hs_filter_sql
            from scrisk.engine.store import sql_str

            if not codes:
                raise UsageError("--combine needs the products to combine: --material or --hs")
            label = "+".join(_items(material)) if material is not None and hs is None else "+".join(codes)
            src = (f"(SELECT {run.k}, exporter, importer, {sql_str(label)} AS hs, value_usd FROM {src} "
                   f"WHERE {hs_filter_sql('hs', codes)})")
            sql_codes = ()
        # the query over the flows runs where they are (Spark or DuckDB); the product figures follow from its rows
        flows_sql = leverage_pairs_sql(src, exporter=ex.name, keys=keys, hs=sql_codes, importers=imp_codes,
                                       params=params)
        pairs = q.arrow(f"SELECT * FROM ({flows_sql}) WHERE {run.where}", "the leverage query")
    finally:
        q.close()
    con = connect()
    try:
        con.register("_lev_pairs", pairs)
        prod = leverage_product_sql("_lev_pairs", exporter=ex.name, keys=keys, params=params)
        rows = arrow_table(con.sql(f"SELECT * FROM ({prod}) ORDER BY {run.k}, world_share DESC NULLS LAST, hs"))
        imp = leverage_importers_sql("_lev_pairs", exporter=ex.name, keys=keys)
        imps = arrow_table(con.sql(f"SELECT * FROM ({imp}) ORDER BY {run.k}, hs, exporter_share DESC, importer"))
    finally:
        con.close()
    meta = _meta(table, "leverage", {"exporter": ex, **run.bloc_roles()}, periods, keys, params,
                 exporter=_items(exporter), importers=_items(importers) or None, **run.common,
                 min_import_usd=float(min_import_usd), combine=bool(combine))
    if rows.num_rows == 0:
        meta["notes"] = [f"{ex.name} exports none of the selected products in {', '.join(meta['periods']) or 'the data'}"]
    else:
        meta["notes"] = []
    return LensResult(rows, meta, {"importers": imps})


# ---------------------------------------------------------------- complement


def complement(
    table: FlowTable,
    *,
    importer: Any,
    ally: Any,
    rival: Any,
    hs: Any = None,
    material: Any = None,
    baskets: Any = None,
    year: Any = None,
    as_bloc: Any = None,
    min_share: float = 0.5,
    min_import_usd: float = 0.0,
    params: LensParams | None = None,
) -> LensResult:
    """Where an ally could cover an importer's dependence on a rival, and the other way round (``scrisk complement``).

    For every product where the rival holds at least ``min_share`` of the
    importer's imports (side ``ally_covers_importer``): the importer's
    imports and those from the rival, what the ally exports of it to the
    world and to third countries (neither the importer nor the rival), the
    ally's share of world exports, and ``cover_share``: the share of the
    imports from the rival that the ally's current third-country exports
    could replace (capped at 1). Then the same with the roles swapped (side
    ``importer_covers_ally``): the ally's dependencies on the rival and what
    the importer could cover. Every row also has the second-tier exposure
    to the rival (after Hoang and Lewis, FEDS Notes, 2 August 2024).

    Columns are named for the roles of the side: ``dependent`` (whose
    imports), ``cover`` (who could supply), ``rival``.

    Returns
    -------
    LensResult
        rows: ``side, period keys, hs, dependent, cover, rival`` and the
        measures of :data:`~scrisk.engine.lenses.COMPLEMENT` with the world
        figures, ranked by side, period and imports from the rival
        (descending).

    Examples
    --------
    >>> import pandas as pd
    >>> from scrisk.schema import make_flow_table
    >>> t = make_flow_table(pd.DataFrame({"year": [2024] * 5,
    ...     "exporter": ["CHN", "JPN", "JPN", "JPN", "CHN"], "importer": ["KOR", "KOR", "USA", "CHN", "JPN"],
    ...     "hs": ["811292"] * 5, "value_usd": [80.0, 20.0, 30.0, 10.0, 5.0]}))
    >>> r = complement(t, importer="KOR", ally="JPN", rival="CHN").to_dict()["rows"][0]
    >>> r["side"], r["rival_share"], r["cover_exports_world_usd"], r["cover_exports_third_usd"], r["cover_share"]
    ('ally_covers_importer', 0.8, 60.0, 30.0, 0.375)
    """
    import dataclasses

    from scrisk.engine.lenses import complement_sql
    from scrisk.engine.store import arrow_table

    if not 0.0 <= float(min_share) <= 1.0:
        raise UsageError(f"--min-share {min_share} must be between 0 and 1")
    params = dataclasses.replace(params or LensParams(), min_share=float(min_share), min_import_usd=float(min_import_usd))
    imp, al, rv = resolve_actor(importer, "importer"), resolve_actor(ally, "ally"), resolve_actor(rival, "rival")
    names = [imp.name, al.name, rv.name]
    if len(set(names)) < 3:
        raise UsageError(f"--importer, --ally and --rival must be three different actors (got {', '.join(names)})")
    run = _Run(table, [imp, al, rv], as_bloc=as_bloc, material=material, hs=hs, baskets=baskets, year=year)
    con, src, keys, periods, codes = run.con, run.src, run.keys, run.periods, run.codes
    try:
        parts = [complement_sql(src, dependent=imp.name, cover=al.name, rival=rv.name, side="ally_covers_importer",
                                keys=keys, hs=codes, params=params),
                 complement_sql(src, dependent=al.name, cover=imp.name, rival=rv.name, side="importer_covers_ally",
                                keys=keys, hs=codes, params=params)]
        sql = " UNION ALL ".join(f"SELECT * FROM ({q})" for q in parts)
        rows = arrow_table(con.sql(
            f"SELECT * FROM ({sql}) WHERE {run.where} "
            f"ORDER BY side = 'importer_covers_ally', {run.k}, from_rival_usd DESC, hs"))
    finally:
        con.close()
    meta = _meta(table, "complement", {"importer": imp, "ally": al, "rival": rv, **run.bloc_roles()}, periods, keys,
                 params, importer=_items(importer), ally=_items(ally), rival=_items(rival), **run.common,
                 min_share=float(min_share), min_import_usd=float(min_import_usd))
    meta["sides"] = {
        "ally_covers_importer": f"{imp.name}'s dependencies on {rv.name} (rival share >= {min_share:g}) and what "
                                f"{al.name} could cover",
        "importer_covers_ally": f"{al.name}'s dependencies on {rv.name} and what {imp.name} could cover",
    }
    meta["third_countries"] = "every importer other than the dependent and the rival (the cover's own bloc " \
                              "members excluded when the cover is a bloc)"
    meta["notes"] = []
    return LensResult(rows, meta)


# ------------------------------------------------------------ partner screen


def end_use_table(revision: str | None) -> pd.DataFrame:
    """The bundled HS -> BEC Rev.4 -> end use table for ``revision`` (HS2017 or HS2022; HS2017 when unknown).

    Generated by ``tools/gen_hs_bec_end_use.py`` from the UNSD HS-BEC
    correlation tables; ``end_use`` is intermediate, capital, consumption or
    mixed.

    Examples
    --------
    >>> t = end_use_table("HS2017")
    >>> t.set_index("hs").loc[["811292", "848620", "854231"], "end_use"].tolist()
    ['intermediate', 'capital', 'mixed']
    """
    import pandas as pd

    from scrisk.resources import package_data

    raw = pd.read_csv(package_data("hs_bec_end_use.csv"), comment="#", dtype=str, keep_default_na=False)
    rev = (revision or "HS2017").upper().replace(" ", "")
    if rev not in set(raw["revision"]):
        rev = "HS2017"
    return raw[raw["revision"] == rev][["hs", "bec", "end_use"]].reset_index(drop=True)


def partner_screen(
    table: FlowTable,
    *,
    importer: Any,
    partner: Any,
    hs: Any = None,
    material: Any = None,
    baskets: Any = None,
    year: Any = None,
    as_bloc: Any = None,
    low: float = 0.5,
    high: float = 0.7,
    show_all: bool = False,
    params: LensParams | None = None,
) -> LensResult:
    """The KIET-style named-partner screen (``scrisk partner``): deficit products mostly bought from one partner.

    A product is screened when the importer runs a trade deficit in it with
    the world (its exports of the product < its imports) and the named
    partner holds at least ``low`` (50 %) of its imports; ``at_high`` marks
    those at ``high`` (70 %) or more. Each product carries its BEC Rev.4
    codes and end use (intermediate, capital, consumption, mixed, or
    unmapped) from the bundled HS-BEC table. The ``summary`` table counts
    products and values per period and end use.

    Returns
    -------
    LensResult
        rows: screened products (every imported product with ``show_all``),
        ranked by period and imports from the partner; extra table ``summary``.

    Examples
    --------
    >>> import pandas as pd
    >>> from scrisk.schema import make_flow_table
    >>> t = make_flow_table(pd.DataFrame({"year": [2024] * 4, "exporter": ["CHN", "JPN", "CHN", "KOR"],
    ...     "importer": ["KOR", "KOR", "KOR", "USA"], "hs": ["811292", "811292", "848620", "848620"],
    ...     "value_usd": [75.0, 25.0, 10.0, 50.0]}))
    >>> r = partner_screen(t, importer="KOR", partner="CHN")
    >>> [(x["hs"], x["partner_share"], x["at_high"], x["end_use"]) for x in r.to_dict()["rows"]]
    [('811292', 0.75, True, 'intermediate')]
    """
    import dataclasses

    from scrisk.engine.lenses import partner_sql, partner_summary_sql
    from scrisk.engine.store import arrow_table

    if not 0.0 <= float(low) <= float(high) <= 1.0:
        raise UsageError(f"--low {low} and --high {high} must satisfy 0 <= low <= high <= 1")
    params = dataclasses.replace(params or LensParams(), partner_low=float(low), partner_high=float(high))
    imp, pt = resolve_actor(importer, "importer"), resolve_actor(partner, "partner")
    if imp.name == pt.name:
        raise UsageError("--importer and --partner must differ")
    run = _Run(table, [imp, pt], as_bloc=as_bloc, material=material, hs=hs, baskets=baskets, year=year)
    con, src, keys, periods, codes = run.con, run.src, run.keys, run.periods, run.codes
    try:
        bec = end_use_table(table.meta.hs_revision)
        con.register("_hs_end_use", bec)
        q = partner_sql(src, importer=imp.name, partner=pt.name, keys=keys, hs=codes, end_use="_hs_end_use",
                        params=params)
        con.execute(f"CREATE TEMP TABLE _screen AS SELECT * FROM ({q}) WHERE {run.where}")
        k = run.k
        keep = "" if show_all else "WHERE at_low"
        rows = arrow_table(con.sql(f"SELECT * FROM _screen {keep} ORDER BY {k}, from_partner_usd DESC, hs"))
        summary = arrow_table(con.sql(
            f"SELECT * FROM ({partner_summary_sql('_screen', keys=keys, params=params)}) "
            f"ORDER BY {k}, end_use = 'total', end_use"))
        unmapped = con.execute("SELECT count(*), coalesce(sum(import_value_usd), 0) FROM _screen "
                               "WHERE end_use = 'unmapped'").fetchall()[0]
        total = con.execute("SELECT coalesce(sum(import_value_usd), 0) FROM _screen").fetchall()[0][0]
    finally:
        con.close()
    meta = _meta(table, "partner", {"importer": imp, "partner": pt, **run.bloc_roles()}, periods, keys, params,
                 importer=_items(importer), partner=_items(partner), **run.common, low=float(low), high=float(high),
                 show_all=bool(show_all))
    meta["screen"] = {"rule": f"imports > own exports (trade deficit) and partner share >= {low:g} (at_low) / "
                              f">= {high:g} (at_high)", "after": "KIET (Korea Institute for Industrial Economics and "
                      "Trade): items with a trade deficit with the world and >= 50 % of imports from China"}
    meta["end_use"] = {"source": "UNSD HS-BEC Rev.4 correlation tables via tools/gen_hs_bec_end_use.py; SNA end use "
                                 "of the BEC Rev.4 basic classes", "revision": (table.meta.hs_revision or "HS2017")}
    meta["notes"] = []
    if unmapped[0]:
        share = unmapped[1] / total if total else 0.0
        meta["notes"].append(f"{unmapped[0]} product(s) without a BEC end use ({share:.1%} of import value): "
                             "end_use 'unmapped'")
    meta["unmapped_end_use"] = {"products": int(unmapped[0]), "import_value_usd": float(unmapped[1]),
                                "share_of_imports": float(unmapped[1] / total) if total else 0.0}
    return LensResult(rows, meta, {"summary": summary})
