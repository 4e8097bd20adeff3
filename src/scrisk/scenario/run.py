"""Run a scenario on a flow table: select the year, apply the measures, run the engine, label, rank, report.

Modes ``none`` and ``cascade`` run :func:`scrisk.scenario.engine.propagate`
(rows per importer); ``fsc`` runs :func:`scrisk.scenario.fsc.run_fsc` (rows
per country, with production, reserves and consumption). Rows are ranked by
the value lost (``shortfall_usd``, or ``consumption_loss_usd`` in ``fsc``)
by default, or by its share of imports/consumption with ``rank="share"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from scrisk.errors import UsageError
from scrisk.scenario.engine import DEFAULT_TOLERANCE, ROW_COLUMNS, FlowCodes, propagate_codes
from scrisk.scenario.spec import MODES, EngineParams, ResolvedMeasure, Scenario, expand_country_specs
from scrisk.schema import EXPORTER, HS, IMPORTER, QTY, VALUE, YEAR, FlowTable

__all__ = ["ShockResult", "ShockRows", "run_scenario", "measure_cut", "measure_cut_codes", "decline_shares", "BY_CHOICES", "RANK_CHOICES",
           "USD_COLUMNS"]

BY_CHOICES = ("hs", "material")
RANK_CHOICES = ("value", "share")
USD_COLUMNS: tuple[str, ...] = (
    "baseline_usd", "direct_loss_usd", "indirect_loss_usd", "substituted_usd", "stock_drawn_usd", "passed_on_usd",
    "shortfall_usd",
)


@dataclass
class ShockResult:
    """The result of :func:`run_scenario`.

    Attributes
    ----------
    meta : dict
        Provenance (:func:`scrisk.provenance.output_meta`) plus ``scenario``,
        ``mode``, ``year``, ``iterations`` (largest number of rounds over the
        products), ``iterations_by_hs``, ``conservation_error``, ``by`` and
        ``notes``.
    totals : dict
        ``blocked_usd, direct_loss_usd, indirect_loss_usd, substituted_usd,
        stock_drawn_usd, passed_on_usd, shortfall_usd, unresolved_usd,
        shortfall_share_of_blocked``.
    rows : DataFrame
        One row per (importer, hs) (or per (importer, material) with
        ``by="material"``), ranked by shortfall value (ties: share, importer,
        hs) or, with ``rank="share"``, by shortfall share (ties: value). In
        ``fsc`` mode one row per (country, hs) with
        :data:`scrisk.scenario.fsc.FSC_COLUMNS` plus ``material``,
        ``imports_usd``, ``consumption_loss_usd``, ``consumption_loss_share``
        and ``step`` (year of a multi-year run).
    suppliers : DataFrame
        Who filled the gap: extra exports per (exporter, hs), cascade only.
    downstream : DataFrame
        Downstream exposure (see :mod:`scrisk.scenario.downstream`).
    measures : list of dict
        Per measure: the expanded codes and countries, matched flows and value.
    """

    meta: dict[str, Any]
    totals: dict[str, float]
    rows: pd.DataFrame
    suppliers: pd.DataFrame
    downstream: pd.DataFrame
    measures: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self, *, top: int | None = None) -> dict[str, Any]:
        """Return the JSON contract ``{meta, totals, rows, measures, suppliers, downstream}``.

        ``top`` keeps the first N rows (ranking order); ``meta["rows_total"]``
        tells how many there were.
        """
        rows = self.rows if top is None else self.rows.head(top)
        meta = dict(self.meta, rows_total=int(len(self.rows)), rows_shown=int(len(rows)))
        return {
            "meta": meta,
            "totals": dict(self.totals),
            "rows": _records(rows),
            "measures": list(self.measures),
            "suppliers": _records(self.suppliers),
            "downstream": _records(self.downstream),
        }

    def to_pandas(self) -> pd.DataFrame:
        """The ranked rows as a pandas DataFrame."""
        return self.rows

    def streamed(self) -> "ShockRows":
        """This result as rows to stream from Arrow (csv, parquet, jsonl): see :class:`ShockRows`."""
        return ShockRows(self)


class ShockRows:
    """A :class:`ShockResult` whose rows are written from Arrow, never as one Python object per row.

    What ``scrisk shock`` hands to :func:`scrisk.cli.output.emit` for csv,
    parquet and jsonl (an exporter-wide shock has a row per importer and
    product: a million rows); json, md and the table keep
    :meth:`ShockResult.to_dict`.
    """

    def __init__(self, result: ShockResult):
        self.result = result
        self.meta = dict(result.meta, rows_total=int(len(result.rows)))

    def __len__(self) -> int:
        return int(len(self.result.rows))

    def to_arrow(self):
        """The ranked rows as a :class:`pyarrow.Table` (no Python object per row)."""
        import pyarrow as pa

        return pa.Table.from_pandas(self.result.rows, preserve_index=False)

    def to_dict(self, *, top: int | None = None) -> dict[str, Any]:
        return self.result.to_dict(top=top)

    def contract_extras(self) -> dict[str, Any]:
        d = self.result.to_dict(top=0)
        return {k: d[k] for k in ("totals", "measures", "suppliers", "downstream")}


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    from scrisk.serialize import jsonable

    return [jsonable(r) for r in df.to_dict(orient="records")]


def measure_cut(flows: pd.DataFrame, measures: tuple[ResolvedMeasure, ...]) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Cut fraction per flow row: the largest cut of the measures hitting it (0 when none does).

    Returns the cut array and, per measure, the number and value of the flows it matched.
    (:func:`measure_cut_codes` on the frame's integer codes.)

    Examples
    --------
    >>> f = pd.DataFrame({"exporter": ["CHN", "CHN", "JPN"], "importer": ["USA", "KOR", "KOR"],
    ...                   "hs": ["811292", "811292", "811292"], "value_usd": [10.0, 20.0, 5.0]})
    >>> m1 = ResolvedMeasure(("CHN",), ("811292",), None, (), 0.5)
    >>> m2 = ResolvedMeasure(("CHN",), ("8112",), ("USA",), (), 1.0)
    >>> cut, info = measure_cut(f, (m1, m2))
    >>> cut.tolist(), [i["matched_flows"] for i in info]
    ([1.0, 0.5, 0.0], [2, 1])
    """
    from scrisk.scenario.engine import FlowCodes

    qty = flows[QTY].to_numpy(dtype=float) if QTY in flows.columns else None
    return measure_cut_codes(FlowCodes.from_frame(flows), measures, qty=qty)


def _first(items: Sequence[str], n: int = 20) -> str:
    """The first ``n`` of a list for a note, and how many more (a 5,000-code list stays one line).

    >>> _first(["a", "b", "c"], 2)
    'a, b and 1 more'
    """
    items = list(items)
    return ", ".join(items[:n]) + (f" and {len(items) - n:,} more" if len(items) > n else "")


def measure_cut_codes(codes: FlowCodes, measures: tuple[ResolvedMeasure, ...], *, qty: np.ndarray | None = None
                      ) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """:func:`measure_cut` on integer-coded flows: per measure, one lookup per country and per product code.

    A measure's exporters, targets and exempt countries become boolean
    tables over the countries, its HS prefixes a boolean table over the
    distinct products (:func:`scrisk.materials.hs_prefix_match`; no product
    = every product), so matching the flows is indexing, whatever the
    number of codes. ``qty`` (kg per flow) is needed by a quota in kg only.
    """
    from scrisk.materials import hs_prefix_match

    countries = np.asarray(codes.countries, dtype=object).astype(str)
    ei, mi, pi = codes.exporter, codes.importer, codes.product
    value = np.asarray(codes.value, dtype=float)
    cut = np.zeros(len(codes))
    info = []
    for m in measures:
        ok_c = np.isin(countries, list(m.exporters))
        mask = ok_c[ei]
        mask &= hs_prefix_match(codes.products, m.hs)[pi]
        if m.targets is not None:
            mask &= np.isin(countries, list(m.targets))[mi]
        if m.exempt:
            mask &= ~np.isin(countries, list(m.exempt))[mi]
        level = np.full(len(codes), float(m.cut))
        by_exporter: dict[str, float] = {}
        if m.type == "quota":
            if m.quota_unit == "usd":
                amt = value
            elif qty is None:
                raise UsageError("a quota in kg needs flows with quantities (qty_kg)")
            else:
                amt = np.asarray(qty, dtype=float)
            if m.quota_unit == "kg" and np.isnan(amt[mask]).any():
                raise UsageError(f"a quota in kg on {', '.join(m.exporters)} needs a quantity on every matched flow; "
                                 "some flows report none: give quota_usd instead")
            hit = np.flatnonzero(mask)
            for k in np.unique(ei[hit]):  # one per restricting exporter
                sel = hit[ei[hit] == k]
                b = float(amt[sel].sum())
                c = min(1.0, max(0.0, 1.0 - m.quota / b)) if b > 0 else 0.0
                by_exporter[str(countries[k])] = c
                level[sel] = c
        cut = np.where(mask, np.maximum(cut, level), cut)
        info.append({
            "type": m.type,
            "exporters": list(m.exporters),
            "hs": list(m.hs) if m.hs else ["*"],
            "materials": list(m.materials),
            "targets": list(m.targets) if m.targets is not None else ["*"],
            "exempt": list(m.exempt),
            "cut": m.cut,
            "label": m.label,
            "matched_flows": int(mask.sum()),
            "matched_value_usd": float(value[mask].sum()),
            "blocked_usd": float((value[mask] * level[mask]).sum()),
            **({"quota": m.quota, "quota_unit": m.quota_unit, "cut_by_exporter": by_exporter}
               if m.type == "quota" else {}),
        })
    return cut, info


def decline_shares(flows: pd.DataFrame, declines, production: pd.DataFrame | None = None) -> np.ndarray:
    """Export cut per flow row implied by production declines (modes ``none`` and ``cascade``).

    A country losing the share *d* of its output P shares the loss over its
    uses in proportion: every export link loses :math:`s = d P / (P + I)` of
    its flow (I its imports of the product). P is the production given, at
    least the country's net exports (the least output consistent with its
    trade); without production, P = max(0, X - I).

    Examples
    --------
    >>> from scrisk.scenario.spec import ResolvedDecline
    >>> f = pd.DataFrame({"exporter": ["CHN", "KOR"], "importer": ["KOR", "VNM"], "hs": "811292",
    ...                   "value_usd": [80.0, 40.0]})
    >>> decline_shares(f, (ResolvedDecline(("CHN",), ("811292",), 0.5),)).tolist()
    [0.5, 0.0]
    """
    from scrisk.materials import hs_mask

    out = np.zeros(len(flows))
    if not declines or flows.empty:
        return out
    v = flows[VALUE].to_numpy(dtype=float)
    hs = flows[HS].astype(str)
    X = pd.Series(v).groupby([flows[EXPORTER].astype(str).to_numpy(), hs.to_numpy()]).sum()
    I = pd.Series(v).groupby([flows[IMPORTER].astype(str).to_numpy(), hs.to_numpy()]).sum()
    given = {}
    if production is not None and not production.empty:
        given = production.set_index(["country", "hs"])["production"].to_dict()
    given_s = pd.Series(given, dtype=float) if given else pd.Series(dtype=float)
    ex = flows[EXPORTER].astype(str).to_numpy()
    for d in declines:  # per decline, the matched flows' (country, hs) looked up at once
        mask = flows[EXPORTER].isin(list(d.countries)).to_numpy(dtype=bool) & hs_mask(hs, d.hs).to_numpy(dtype=bool)
        k = np.flatnonzero(mask)
        if not len(k):
            continue
        key = pd.MultiIndex.from_arrays([ex[k], hs.to_numpy()[k]])
        x = X.reindex(key).fillna(0.0).to_numpy(dtype=float)
        i = I.reindex(key).fillna(0.0).to_numpy(dtype=float)
        g = given_s.reindex(key).fillna(0.0).to_numpy(dtype=float) if len(given_s) else np.zeros(len(k))
        p = np.maximum(np.maximum(g, x - i), 0.0)
        share = np.zeros(len(k))
        np.divide(d.decline * p, p + i, out=share, where=(p + i) > 0)
        out[k] = np.maximum(out[k], np.minimum(1.0, share))
    return out


def minimal_scope(measures, declines) -> tuple[str, ...]:
    """The HS prefixes the measures and declines name, without those a shorter one covers.

    Examples
    --------
    >>> minimal_scope((ResolvedMeasure(("CHN",), ("8542", "854231", "811292"), None, (), 1.0),), ())
    ('811292', '8542')
    """
    from scrisk.materials import minimal_prefixes

    return minimal_prefixes(c for m in (*measures, *declines) for c in m.hs)


def hs_prefix_match_any(codes: list[str], products) -> list[bool]:
    """Per code (prefix), whether some product starts with it: one set of prefixes per length.

    Examples
    --------
    >>> hs_prefix_match_any(["81", "8542", "999999", "740311"], ["811292", "854231", "7403"])
    [True, True, False, True]
    """
    lengths = {len(c) for c in codes}
    heads = {n: {str(p)[:n] for p in products} for n in lengths}
    four = {str(p) for p in products if len(str(p)) == 4}  # HS4 headings carried as products hold the codes under them
    return [c in heads[len(c)] or (len(c) > 4 and c[:4] in four) for c in codes]


def _check_params(p: EngineParams) -> None:
    if p.mode not in MODES:
        raise UsageError(f"mode {p.mode!r} is not one of {', '.join(MODES)}; use --mode none, cascade or fsc")
    if not (p.headroom >= 0) or p.headroom > 100:
        raise UsageError(f"headroom {p.headroom:g} must be between 0 and 100 (a share: 0.10 = 10 % spare capacity)")
    if not (p.stock_months >= 0) or p.stock_months > 1200:
        raise UsageError(f"stock months {p.stock_months:g} must be between 0 and 1200")
    if p.max_iter < 1:
        raise UsageError(f"max iterations {p.max_iter} must be at least 1")
    if not (0 <= p.reserve_access <= 1):
        raise UsageError(f"reserve access {p.reserve_access:g} must be between 0 and 1 (the share of reserves usable)")
    if not (1 <= p.horizon <= 100):
        raise UsageError(f"horizon {p.horizon} must be between 1 and 100 years")
    if p.horizon > 1 and p.mode != "fsc":
        raise UsageError("a multi-year run (--horizon) carries reserves over and needs --mode fsc")


def _material_labels(hs_codes: pd.Series, measures: tuple[ResolvedMeasure, ...], baskets, revision) -> pd.Series:
    """Material of each HS code: a material the scenario named for it, else the baskets' first label."""
    from scrisk.materials import get_basket, label_materials

    named: dict[str, list[str]] = {}
    for m in measures:
        for name in m.materials:
            b = get_basket(name, baskets=baskets)
            for code in b.hs_codes(revision):
                named.setdefault(code, [])
                if b.name not in named[code]:
                    named[code].append(b.name)
    idx, uniq = pd.factorize(hs_codes.astype(str))
    codes = pd.Series(np.asarray(uniq, dtype=object).astype(str), dtype="string")
    fallback = label_materials(codes, baskets, revision=revision)
    rank = {k: n for n, k in enumerate(named)}  # the first named prefix (in the scenario's order) wins
    lengths = sorted({len(k) for k in named})
    labels = []
    for code, fb in zip(codes, fallback):  # one per distinct code, one set lookup per prefix length
        keys = [code[:n] for n in lengths if code[:n] in rank]
        hit = named[min(keys, key=rank.__getitem__)] if keys else None
        labels.append("+".join(hit) if hit else (fb or "unlabelled"))
    out = pd.Series(np.asarray(labels, dtype=object)[idx] if len(labels) else np.array([], dtype=object),
                    index=hs_codes.index, dtype="string", name="material")
    return out


def _rank(rows: pd.DataFrame, key: str, rank: str = "value", *, value: str = "shortfall_usd",
          share: str = "shortfall_share", who: str = "importer") -> pd.DataFrame:
    first, second = (value, share) if rank == "value" else (share, value)
    cols = (["step"] if "step" in rows.columns else []) + [first, second, who, key]
    asc = ([True] if "step" in rows.columns else []) + [False, False, True, True]
    return rows.sort_values(cols, ascending=asc, kind="mergesort", na_position="last").reset_index(drop=True)


def _filter_rows(rows: pd.DataFrame, who: str, importers, min_import_usd: float, imports_col: str) -> pd.DataFrame:
    if importers is not None:
        rows = rows[rows[who].isin(list(importers))]
    if min_import_usd > 0:
        rows = rows[rows[imports_col] >= min_import_usd]
    return rows.reset_index(drop=True)


def _by_material(rows: pd.DataFrame) -> pd.DataFrame:
    g = rows.groupby(["importer", "material"], observed=True, sort=True)
    agg = g[list(USD_COLUMNS)].sum()
    agg["hs"] = g["hs"].agg(lambda s: ",".join(sorted(s.astype(str))))
    agg = agg.reset_index()
    agg["shortfall_share"] = agg["shortfall_usd"] / agg["baseline_usd"]
    return agg[["importer", "material", "hs", *USD_COLUMNS, "shortfall_share"]]


def run_scenario(
    table: FlowTable,
    scenario: Scenario,
    *,
    mode: str | None = None,
    headroom: float | None = None,
    stock_months: float | None = None,
    allies: tuple[str, ...] | list[str] | str | None = None,
    max_iter: int | None = None,
    reserve_access: float | None = None,
    horizon: int | None = None,
    production: Any = None,
    reserves: Any = None,
    year: int | None = None,
    by: str = "hs",
    baskets: Mapping[str, Any] | None = None,
    importers: tuple[str, ...] | list[str] | str | None = None,
    min_import_usd: float = 0.0,
    rank: str = "value",
) -> ShockResult:
    """Apply a scenario's measures to one year of flows and run the engine.

    Parameters
    ----------
    table : FlowTable
        Flows read by :func:`scrisk.api.load_flows`; may hold several years
        and products (products outside the measures feed the downstream
        exposure only).
    scenario : Scenario
        From :func:`~scrisk.scenario.spec.load_scenario` or
        :func:`~scrisk.scenario.spec.scenario_from_options`.
    mode, headroom, stock_months, allies, max_iter, reserve_access, horizon : optional
        Override the scenario file's ``[engine]`` values; None keeps them
        (defaults: cascade, 0.10, 0, any supplier, 100 (1200 in fsc), 0.5,
        1). ``allies`` takes ISO3 codes and group names.
    production, reserves : path or DataFrame, optional
        Tidy production / reserves (:func:`scrisk.scenario.production.read_amounts`).
        Reserves are used by ``fsc`` only; without them every country holds
        ``stock_months`` of its production plus imports.
    year : int, optional
        Year of the network (default: the latest year in the table).
    by : {'hs', 'material'}
        One row per (importer, hs), or aggregated per (importer, material)
        (modes none and cascade).
    baskets : dict, optional
        Material baskets (default: bundled).
    importers : codes or groups, optional
        Keep only these importers' (countries') rows; totals stay global.
    min_import_usd : float
        Keep only rows whose baseline imports are at least this value.
    rank : {'value', 'share'}
        Rank rows by the value lost (default) or by its share.

    Returns
    -------
    ShockResult

    Raises
    ------
    UsageError
        Bad parameters, or a year the table does not hold (exit 2).

    Examples
    --------
    >>> from scrisk.schema import make_flow_table
    >>> from scrisk.scenario.spec import Measure
    >>> t = make_flow_table(pd.DataFrame({"year": 2024, "exporter": ["CHN", "JPN", "CHN"],
    ...     "importer": ["KOR", "KOR", "USA"], "hs": "811292", "value_usd": [80.0, 20.0, 40.0]}))
    >>> s = Scenario("demo", (Measure(("CHN",), hs=("811292",), targets=("KOR",), cut=0.5),))
    >>> r = run_scenario(t, s, mode="none")
    >>> r.rows[["importer", "direct_loss_usd", "shortfall_share"]].values.tolist()
    [['KOR', 40.0, 0.4], ['USA', 0.0, 0.0]]
    >>> r.totals["blocked_usd"], r.meta["iterations"]
    (40.0, 0)
    >>> f = run_scenario(t, s, mode="fsc")
    >>> f.rows[["country", "consumption_loss_usd"]].values.tolist()[0], f.meta["unit"]
    (['KOR', 40.0], 'usd')
    """
    if by not in BY_CHOICES:
        raise UsageError(f"--by {by!r} is not one of {', '.join(BY_CHOICES)}")
    if rank not in RANK_CHOICES:
        raise UsageError(f"--rank {rank!r} is not one of {', '.join(RANK_CHOICES)}")
    if not (min_import_usd >= 0):
        raise UsageError(f"--min-import-usd {min_import_usd!r} must be a value >= 0")
    if isinstance(allies, str):
        allies = tuple(a.strip() for a in allies.split(",") if a.strip())
    if isinstance(importers, str):
        importers = tuple(a.strip() for a in importers.split(",") if a.strip())
    override = EngineParams(mode=mode, headroom=headroom, stock_months=stock_months,
                            allies=tuple(allies) if allies is not None else None, max_iter=max_iter,
                            reserve_access=reserve_access, horizon=horizon)
    params = scenario.engine.merged(override).resolved()
    _check_params(params)
    if params.mode == "fsc" and by != "hs":
        raise UsageError("--by material is not available with --mode fsc (rows are per country and HS code); drop it")
    ally_codes = expand_country_specs(params.allies) if params.allies else None
    importer_codes = expand_country_specs(importers) if importers else None

    years = table.measured_years  # a table with World totals only: their years (no flow to shock, said below)
    if not years and year is not None:  # the year filter runs in the scan: no row of that year was read
        raise UsageError(f"no rows of year {year} in the data; pick a year the data holds "
                         "(`scrisk validate FILE` lists them)")
    if not years:
        # an input with no flows (a header-only file) is not an error, as in analyze: an empty result, exit 0
        year = 0
    elif year is None:
        year = max(years)
    elif int(year) not in years:
        raise UsageError(f"no flows for year {year}; the data holds {', '.join(str(y) for y in years)}")
    year = int(year)
    revision = table.meta.hs_revision
    measures = scenario.resolve(baskets=baskets, revision=revision)
    declines = scenario.resolve_declines(baskets=baskets, revision=revision)

    # the flows of the products in scope, selected in the flow store (every product when a measure names none)
    from scrisk.materials import hs_prefix_match
    from scrisk.scenario.select import downstream_exports, select_flows

    every = any(not m.hs for m in (*measures, *declines))
    scope = None if every else minimal_scope(measures, declines)
    quota_kg = any(m.type == "quota" and m.quota_unit == "kg" for m in measures)
    sel = select_flows(table, year, scope, qty=params.mode == "fsc" or quota_kg or production is not None)
    products = np.asarray(sel.codes.products, dtype=object).astype(str)
    cut, info = measure_cut_codes(sel.codes, measures, qty=sel.qty)
    notes: list[str] = []
    if table.world_only:
        from scrisk.provenance import world_only_note

        notes.append(world_only_note(table, "a shock runs through who ships to whom, so no flow was shocked and "
                                     "every loss is empty"))
    if table.meta.hs_headings:
        from scrisk.provenance import headings_note

        notes.append(headings_note(table.meta.hs_headings))
    if every:
        hit_p = np.zeros(len(products), dtype=bool)
        hit_p[sel.codes.product[cut > 0]] = True
        notes.append(f"no product named: every product in the data is in scope ({len(products):,} HS codes in {year}; "
                     f"{int(hit_p.sum()):,} with restricted flows)")
    inputs = _inputs(production, reserves, set(products), year, baskets, revision, notes)

    all_codes = sorted({c for m in (*measures, *declines) for c in m.hs})
    found = hs_prefix_match_any(all_codes, products)
    absent = [c for c, ok in zip(all_codes, found) if not ok]
    if absent and len(absent) < len(all_codes):
        notes.append(f"HS {_first(absent)} named by the scenario: no flows in {year} in the data; the other codes "
                     "were shocked")
    for k, i in enumerate(info, 1):
        if i["matched_flows"] == 0:
            why = ("the data holds no flows of " + _first(i["hs"])) if not len(products) else \
                f"no flows from {_first(i['exporters'])} of {_first(i['hs'])} to the targets"
            notes.append(f"measure {k} matched no flows in {year}: {why}; check the file covers these codes "
                         "(--hs/--material) and countries")

    from scrisk.provenance import output_meta

    meta = output_meta(
        table,
        mode=params.mode,
        headroom=params.headroom,
        stock_months=params.stock_months,
        allies=list(params.allies),
        max_iter=params.max_iter,
        tolerance=DEFAULT_TOLERANCE,
        reserve_access=params.reserve_access,
        horizon=params.horizon,
        year=year,
        by=by,
        importers=list(importers) if importers else None,
        min_import_usd=float(min_import_usd),
        rank=rank,
        production=inputs["production_source"],
        reserves=inputs["reserves_source"],
    )
    meta["products"] = {"scope": "every product" if every else "named", "codes": int(len(products)),
                        "codes_restricted": int(len(np.unique(sel.codes.product[cut > 0])))}

    def exports(codes):
        return downstream_exports(table, year, codes)

    if params.mode == "fsc":
        return _run_fsc_mode(sel.frame(), exports, cut, info, measures, declines, inputs, params, ally_codes,
                             importer_codes, min_import_usd, rank, meta, notes, scenario, baskets, revision, year)

    sub = sel.frame() if (declines or inputs["production"] is not None) else None
    prod_usd = _production_usd(inputs, sub) if sub is not None else None
    if declines:
        cut = np.maximum(cut, decline_shares(sub, declines, prod_usd))
        notes.append("production declines enter this mode as export cuts: a country losing the share d of its output "
                     "P cuts every export link by d*P/(P + imports); --mode fsc models the producer itself")
    del sub
    out = propagate_codes(sel.codes, cut, mode=params.mode, headroom=params.headroom,
                          stock_months=params.stock_months, allies=ally_codes, max_iter=params.max_iter,
                          production=prod_usd)
    del sel, cut

    rows = out.rows
    rows["material"] = _material_labels(rows["hs"], measures, baskets, revision)
    from scrisk.scenario.downstream import downstream_exposure

    down, dnotes = downstream_exposure(None, rows, baskets=baskets, exports=exports)
    notes.extend(dnotes)
    if out.unresolved_usd > 0:
        notes.append(f"the iteration cap ({params.max_iter}) stopped the cascade with {out.unresolved_usd:,.0f} USD "
                     "still pending; it is counted as shortfall of the countries holding it (raise --max-iter)")
    if by == "material":
        rows = _by_material(rows)
        key = "material"
    else:
        rows = rows[[*ROW_COLUMNS, "material"]]
        key = "hs"
    rows = _rank(_filter_rows(rows, "importer", importer_codes, min_import_usd, "baseline_usd"), key, rank)

    blocked = float(sum(out.blocked_usd.values()))
    r = out.rows
    totals = {
        "blocked_usd": blocked,
        "direct_loss_usd": float(r["direct_loss_usd"].sum()),
        "indirect_loss_usd": float(r["indirect_loss_usd"].sum()),
        "substituted_usd": float(r["substituted_usd"].sum()),
        "stock_drawn_usd": float(r["stock_drawn_usd"].sum()),
        "passed_on_usd": float(r["passed_on_usd"].sum()),
        "shortfall_usd": float(r["shortfall_usd"].sum()),
        "unresolved_usd": float(out.unresolved_usd),
        "shortfall_share_of_blocked": float(r["shortfall_usd"].sum()) / blocked if blocked > 0 else 0.0,
        "importers_hit": int((r["direct_loss_usd"] + r["indirect_loss_usd"] > 0).sum()),
    }
    meta.update(
        scenario=scenario.to_dict(),
        mode=params.mode,
        unit="usd",
        basis="values (USD): modes none and cascade run on trade values",
        year=year,
        iterations=max(out.iterations.values(), default=0),
        iterations_by_hs=dict(sorted(out.iterations.items())),
        conservation_error=out.conservation_error,
        by=by,
        notes=notes,
    )
    return ShockResult(meta=meta, totals=totals, rows=rows, suppliers=out.suppliers, downstream=down,
                       measures=info)


def _inputs(production, reserves, codes: set[str], year, baskets, revision, notes) -> dict[str, Any]:
    """Read production/reserves (paths or frames), pick the year, keep the products in scope (``codes``)."""
    from scrisk.scenario.production import read_amounts, select_year

    out: dict[str, Any] = {"production": None, "reserves": None, "production_source": None,
                           "reserves_source": None}
    for what, src, option in (("production", production, "--production"), ("reserves", reserves, "--reserves")):
        if src is None:
            continue
        if isinstance(src, pd.DataFrame):
            df, label = src.copy(), "<DataFrame>"
            if "amount" not in df.columns and what in df.columns:
                df = df.rename(columns={what: "amount"})
            df["unit"] = df["unit"] if "unit" in df.columns else "kg"
            df["year"] = (df["year"] if "year" in df.columns else pd.NA)
            df["year"] = df["year"].astype("Int64")
        else:
            df, label = read_amounts(src, what=what, option=option, baskets=baskets, revision=revision), str(src)
        df, why = select_year(df, year)
        if why:
            notes.append(f"{what} ({label}): {why}")
        df = df[df["hs"].astype(str).isin(codes)]
        out[what] = df.reset_index(drop=True)
        out[f"{what}_source"] = label
    return out


def _production_usd(inputs: dict[str, Any], sub: pd.DataFrame) -> pd.DataFrame | None:
    """Production in USD (kg converted at each product's world unit value), for the value-based modes."""
    from scrisk.scenario.production import unit_values

    prod = inputs["production"]
    if prod is None or prod.empty:
        return None
    p = prod.copy()
    kg = p["unit"] == "kg"
    p.loc[kg, "amount"] = p.loc[kg, "amount"] * p.loc[kg, "hs"].astype(str).map(unit_values(sub)).astype(float)
    missing = p["amount"].isna()
    if missing.any():
        codes_missing = ", ".join(sorted(set(p.loc[missing, "hs"].astype(str))))
        raise UsageError(f"production of HS {codes_missing} is in kg but the flows of that code carry no "
                         "quantities to convert it to USD; give the production in usd (unit column) or flows "
                         "with quantities")
    return p.rename(columns={"amount": "production"})[["country", "hs", "production"]]


def _run_fsc_mode(sub, exports, cut, info, measures, declines, inputs, params, ally_codes, importer_codes,
                  min_import_usd, rank, meta, notes, scenario, baskets, revision, year) -> ShockResult:
    from scrisk.materials import hs_mask
    from scrisk.scenario.fsc import run_fsc
    from scrisk.scenario.production import unit_values

    prod, res = inputs["production"], inputs["reserves"]
    units = {u for df in (prod, res) if df is not None and not df.empty for u in df["unit"]}
    has_qty = bool(len(sub)) and bool((sub[QTY].notna() & (sub[QTY] > 0)).all())
    if has_qty and "usd" not in units:
        amount, unit = QTY, "kg"
        basis = "quantities (kg): every flow reports a quantity" + \
            (" and production/reserves are in kg" if units else "")
    else:
        amount, unit = VALUE, "usd"
        why = "not every flow reports a quantity" if not has_qty else "production or reserves are given in USD"
        basis = f"values (USD): {why}" + ("; kg inputs converted at each product's world unit value" if
                                          "kg" in units else "")
    uv = unit_values(sub)

    def to_unit(df, col):
        if df is None or df.empty:
            return None
        d = df.copy()
        if unit == "usd":
            kg = d["unit"] == "kg"
            d.loc[kg, "amount"] = d.loc[kg, "amount"] * d.loc[kg, "hs"].astype(str).map(uv).astype(float)
            if d["amount"].isna().any():
                codes = ", ".join(sorted(set(d.loc[d["amount"].isna(), "hs"].astype(str))))
                raise UsageError(f"{col} of HS {codes} is in kg but the flows carry no quantities to convert it to "
                                 "USD; give it in usd (unit column) or flows with quantities")
        return d.rename(columns={"amount": col})[["country", "hs", col]]

    prod_u, res_u = to_unit(prod, "production"), to_unit(res, "reserves")
    dec_rows = []
    present = pd.Series(pd.unique(sub[HS].astype(str)), dtype="string")
    for d in declines:
        for h in present[hs_mask(present, d.hs).to_numpy(dtype=bool)]:
            for c in d.countries:
                dec_rows.append((c, str(h), d.decline))
    dec = pd.DataFrame(dec_rows, columns=["country", "hs", "decline"])
    if not dec.empty:
        dec = dec.groupby(["country", "hs"], as_index=False)["decline"].max()

    flows = sub.copy()
    if amount == QTY:
        flows = flows[flows[VALUE] > 0]
        cut_use = cut[(sub[VALUE] > 0).to_numpy()]
    else:
        cut_use = cut
    steps = []
    reserves_now, months = res_u, params.stock_months
    iterations: dict[str, int] = {}
    converged: dict[str, bool] = {}
    err = 0.0
    for step in range(1, params.horizon + 1):
        out = run_fsc(flows, cut_use, amount=amount, production=prod_u, reserves=reserves_now, decline=dec,
                      access=params.reserve_access, kmax=params.max_iter, allies=ally_codes, stock_months=months)
        r = out.rows.copy()
        r.insert(0, "step", step)
        steps.append(r)
        iterations.update({f"{h}" if params.horizon == 1 else f"{h}@{step}": k for h, k in out.iterations.items()})
        converged.update({f"{h}" if params.horizon == 1 else f"{h}@{step}": c for h, c in out.converged.items()})
        err = float(np.max([err, out.conservation_error]))  # a NaN stays NaN (max() would drop it)
        if step == 1 and out.lifted:
            n = sum(len(v) for v in out.lifted.values())
            notes.append(f"production raised to net exports for {n} country-product pair(s) whose exports exceed "
                         "their production plus imports (re-exports, or production and trade data that do not "
                         "match)")
        # the reference's carry-over: next year's reserves = this year's reserves + dR
        reserves_now = r[["country", "hs", "reserves_after"]].rename(columns={"reserves_after": "reserves"})
        months = 0.0
    rows = pd.concat(steps, ignore_index=True)
    imp_usd = sub.groupby([sub[IMPORTER].astype(str), sub[HS].astype(str)])[VALUE].sum()
    key = pd.MultiIndex.from_arrays([rows["country"].astype(str), rows["hs"].astype(str)])
    rows["imports_usd"] = imp_usd.reindex(key).fillna(0.0).to_numpy()
    factor = 1.0 if unit == "usd" else rows["hs"].astype(str).map(uv).astype(float).to_numpy()
    rows["consumption_loss_usd"] = rows["consumption_loss"].to_numpy() * factor
    share = np.full(len(rows), np.nan)
    c0 = rows["consumption_before"].to_numpy(dtype=float)
    np.divide(rows["consumption_loss"].to_numpy(dtype=float), c0, out=share, where=c0 > 0)
    rows["consumption_loss_share"] = share
    rows["material"] = _material_labels(rows["hs"], measures, baskets, revision)

    first = rows[rows["step"] == 1]
    scale = max(float(first["consumption_before"].abs().sum()), 1.0)
    from scrisk.scenario.downstream import downstream_exposure

    down_in = first.rename(columns={"country": "importer"}).assign(
        shortfall_share=np.clip(np.nan_to_num(first["consumption_loss_share"].to_numpy()), 0.0, 1.0))
    down, dnotes = downstream_exposure(None, down_in[["importer", "hs", "shortfall_share"]], baskets=baskets,
                                       exports=exports)
    notes.extend(dnotes)
    not_conv = sorted(h for h, c in converged.items() if not c)
    if not_conv:
        notes.append(f"no equilibrium after {params.max_iter} rounds for HS {', '.join(not_conv)} (the reference "
                     "warns the same way); raise --max-iter")
    if params.stock_months == 0 and res_u is None:
        notes.append("no reserves (--reserves FILE or --stock-months N): no country can export more, so shortages "
                     "are only passed on, never substituted")
    # extra supply: exports after the cascade beyond the exports left after the restriction
    left = first["exports_before"] - first["restricted_kept"]
    sup = first[first["exports_after"] > left + 1e-12 * scale].copy()
    sup = sup.assign(extra=sup["exports_after"] - left[sup.index]).sort_values(
        ["hs", "extra", "country"], ascending=[True, False, True], kind="mergesort")
    suppliers = pd.DataFrame({"exporter": sup["country"], "hs": sup["hs"], "exports_before": sup["exports_before"],
                              "restricted_kept": sup["restricted_kept"], "exports_after": sup["exports_after"],
                              "extra_exports": sup["extra"]}).reset_index(drop=True)
    shocked = float((first["production"] - first["production_after"]).sum())
    totals = {
        "unit": unit,
        "production_lost": shocked,
        "restricted_kept": float(first["restricted_kept"].sum()),
        "reserves_drawn": float(first["reserves_drawn"].sum()),
        "consumption_loss": float(first["consumption_loss"].sum()),
        "consumption_loss_usd": float(first["consumption_loss_usd"].sum()),
        "shortage": float(first["shortage"].sum()),
        "countries_short": int((first["consumption_loss"] > 1e-9 * scale).sum()),
        "blocked": float(first["restricted_kept"].sum()),
    }
    if params.horizon > 1:
        totals["by_step"] = [
            {"step": int(k), "consumption_loss": float(g["consumption_loss"].sum()),
             "consumption_loss_usd": float(g["consumption_loss_usd"].sum()),
             "reserves_after": float(g["reserves_after"].sum())}
            for k, g in rows.groupby("step")]
    from scrisk.scenario.fsc import FSC_COLUMNS

    cols = ["step", *FSC_COLUMNS, "material", "imports_usd", "consumption_loss_usd", "consumption_loss_share"]
    rows = _filter_rows(rows[cols], "country", importer_codes, min_import_usd, "imports_usd")
    rows = _rank(rows, "hs", rank, value="consumption_loss_usd", share="consumption_loss_share", who="country")
    meta.update(
        scenario=scenario.to_dict(),
        mode="fsc",
        unit=unit,
        basis=basis,
        year=year,
        iterations=max(iterations.values(), default=0),
        iterations_by_hs=dict(sorted(iterations.items())),
        converged_by_hs=dict(sorted(converged.items())),
        conservation_error=err,
        by="hs",
        notes=notes,
    )
    return ShockResult(meta=meta, totals=totals, rows=rows, suppliers=suppliers, downstream=down, measures=info)
