"""Run a scenario on a flow table: select the year, apply the measures, run the engine, label, rank, report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

from scrisk.errors import UsageError
from scrisk.scenario.engine import DEFAULT_TOLERANCE, ROW_COLUMNS, propagate
from scrisk.scenario.spec import MODES, EngineParams, ResolvedMeasure, Scenario, expand_country_specs
from scrisk.schema import EXPORTER, HS, IMPORTER, VALUE, YEAR, FlowTable

__all__ = ["ShockResult", "run_scenario", "measure_cut", "BY_CHOICES", "USD_COLUMNS"]

BY_CHOICES = ("hs", "material")
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
        ``by="material"``), ranked by shortfall share (ties: shortfall
        descending, importer, hs).
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


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    from scrisk.report.render import jsonable

    return [jsonable(r) for r in df.to_dict(orient="records")]


def measure_cut(flows: pd.DataFrame, measures: tuple[ResolvedMeasure, ...]) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Cut fraction per flow row: the largest cut of the measures hitting it (0 when none does).

    Returns the cut array and, per measure, the number and value of the flows it matched.

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
    from scrisk.materials import hs_mask

    cut = np.zeros(len(flows))
    info = []
    hs = flows[HS]
    for m in measures:
        mask = flows[EXPORTER].isin(list(m.exporters)).to_numpy(dtype=bool, copy=True)
        mask &= hs_mask(hs, m.hs).to_numpy(dtype=bool)
        if m.targets is not None:
            mask &= flows[IMPORTER].isin(list(m.targets)).to_numpy(dtype=bool)
        if m.exempt:
            mask &= ~flows[IMPORTER].isin(list(m.exempt)).to_numpy(dtype=bool)
        cut = np.where(mask, np.maximum(cut, m.cut), cut)
        info.append({
            "exporters": list(m.exporters),
            "hs": list(m.hs),
            "materials": list(m.materials),
            "targets": list(m.targets) if m.targets is not None else ["*"],
            "exempt": list(m.exempt),
            "cut": m.cut,
            "label": m.label,
            "matched_flows": int(mask.sum()),
            "matched_value_usd": float(flows[VALUE].to_numpy()[mask].sum()),
            "blocked_usd": float((flows[VALUE].to_numpy()[mask] * m.cut).sum()),
        })
    return cut, info


def _check_params(p: EngineParams) -> None:
    if p.mode not in MODES:
        raise UsageError(f"mode {p.mode!r} is not one of {', '.join(MODES)}; use --mode none or --mode cascade")
    if not (p.headroom >= 0) or p.headroom > 100:
        raise UsageError(f"headroom {p.headroom:g} must be between 0 and 100 (a share: 0.10 = 10 % spare capacity)")
    if not (p.stock_months >= 0) or p.stock_months > 1200:
        raise UsageError(f"stock months {p.stock_months:g} must be between 0 and 1200")
    if p.max_iter < 1:
        raise UsageError(f"max iterations {p.max_iter} must be at least 1")


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
    codes = pd.Series(pd.unique(hs_codes.astype(str)), dtype="string")
    fallback = label_materials(codes, baskets, revision=revision)
    label = {}
    for code, fb in zip(codes, fallback):
        hit = next((v for k, v in named.items() if code.startswith(k)), None)
        label[code] = "+".join(hit) if hit else (fb or "unlabelled")
    return hs_codes.astype(str).map(label).astype("string").rename("material")


def _rank(rows: pd.DataFrame, key: str) -> pd.DataFrame:
    return rows.sort_values(["shortfall_share", "shortfall_usd", "importer", key],
                            ascending=[False, False, True, True], kind="mergesort",
                            na_position="last").reset_index(drop=True)


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
    year: int | None = None,
    by: str = "hs",
    baskets: Mapping[str, Any] | None = None,
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
    mode, headroom, stock_months, allies, max_iter : optional
        Override the scenario file's ``[engine]`` values; None keeps them
        (defaults: cascade, 0.10, 0, any supplier, 100). ``allies`` takes
        ISO3 codes and group names.
    year : int, optional
        Year of the network (default: the latest year in the table).
    by : {'hs', 'material'}
        One row per (importer, hs), or aggregated per (importer, material).
    baskets : dict, optional
        Material baskets (default: bundled).

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
    """
    if by not in BY_CHOICES:
        raise UsageError(f"--by {by!r} is not one of {', '.join(BY_CHOICES)}")
    if isinstance(allies, str):
        allies = tuple(a.strip() for a in allies.split(",") if a.strip())
    override = EngineParams(mode=mode, headroom=headroom, stock_months=stock_months,
                            allies=tuple(allies) if allies is not None else None, max_iter=max_iter)
    params = scenario.engine.merged(override).resolved()
    _check_params(params)
    ally_codes = expand_country_specs(params.allies) if params.allies else None

    frame = table.frame
    years = table.years
    if not years:
        when = f" for year {year}" if year is not None else ""
        raise UsageError(f"no flows{when} in the data; nothing to shock (check the file and the --year/--hs filters)")
    if year is None:
        year = max(years)
    elif int(year) not in years:
        raise UsageError(f"no flows for year {year}; the data holds {', '.join(str(y) for y in years)}")
    year = int(year)
    revision = table.meta.hs_revision
    measures = scenario.resolve(baskets=baskets, revision=revision)

    fy = frame[frame[YEAR] == year]
    from scrisk.materials import hs_mask

    in_scope = np.zeros(len(fy), dtype=bool)
    for m in measures:
        in_scope |= hs_mask(fy[HS], m.hs).to_numpy(dtype=bool)
    sub = fy[in_scope]
    cut, info = measure_cut(sub, measures)
    out = propagate(sub, cut, mode=params.mode, headroom=params.headroom, stock_months=params.stock_months,
                    allies=ally_codes, max_iter=params.max_iter)

    notes: list[str] = []
    present = pd.unique(sub[HS].astype(str))
    absent = sorted({c for m in measures for c in m.hs if not any(h.startswith(c) for h in present)})
    if absent and len(absent) < len({c for m in measures for c in m.hs}):
        notes.append(f"HS {', '.join(absent)} named by the scenario: no flows in {year} in the data; the other codes "
                     "were shocked")
    for k, i in enumerate(info, 1):
        if i["matched_flows"] == 0:
            present = sorted(set(sub[HS].astype(str)))
            why = ("the data holds no flows of " + ", ".join(i["hs"])) if not present else \
                f"no flows from {', '.join(i['exporters'])} of {', '.join(i['hs'])} to the targets"
            notes.append(f"measure {k} matched no flows in {year}: {why}; check the file covers these codes "
                         "(--hs/--material) and countries")

    rows = out.rows.copy()
    rows["material"] = _material_labels(rows["hs"], measures, baskets, revision)
    from scrisk.scenario.downstream import downstream_exposure

    down, dnotes = downstream_exposure(fy, rows, baskets=baskets)
    notes.extend(dnotes)
    if out.unresolved_usd > 0:
        notes.append(f"the iteration cap ({params.max_iter}) stopped the cascade with {out.unresolved_usd:,.0f} USD "
                     "still pending; it is counted as shortfall of the countries holding it (raise --max-iter)")
    if by == "material":
        rows = _rank(_by_material(rows), "material")
    else:
        rows = _rank(rows[[*ROW_COLUMNS, "material"]], "hs")

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
    from scrisk.provenance import output_meta

    meta = output_meta(
        table,
        mode=params.mode,
        headroom=params.headroom,
        stock_months=params.stock_months,
        allies=list(params.allies),
        max_iter=params.max_iter,
        tolerance=DEFAULT_TOLERANCE,
        year=year,
        by=by,
    )
    meta.update(
        scenario=scenario.to_dict(),
        mode=params.mode,
        year=year,
        iterations=max(out.iterations.values(), default=0),
        iterations_by_hs=dict(sorted(out.iterations.items())),
        conservation_error=out.conservation_error,
        by=by,
        notes=notes,
    )
    return ShockResult(meta=meta, totals=totals, rows=rows, suppliers=out.suppliers, downstream=down,
                       measures=info)
