r"""The EU Critical Raw Materials supply-risk formula, in full.

European Commission (2017), *Methodology for establishing the EU list of
critical raw materials: Guidelines*; Blengini et al. (2017), JRC EUR 28654;
applied in the 2017, 2020 and 2023 assessments::

    SR = [ HHI_WGI,t(GS) * IR/2  +  HHI_WGI,t(EUS) * (1 - IR/2) ] * (1 - EoL_RIR) * SI_SR

    HHI_WGI,t = sum_c  s_c^2 * WGI_c * t_c

* **GS** (global supply): s_c is country c's share of world production of
  the material at the stage (USGS MCS, BGS WMS or a tidy file; latest
  production year up to the trade year);
* **EUS** (EU sourcing): s_c is c's share of EU domestic production plus
  extra-EU imports (EU member states' production counted per member state;
  imports by exporter, of the basket codes the stage's production supplies).
  Imports enter in kg when every such flow carries a quantity, so they add up
  with production; otherwise by value and without EU production (``eus_basis``
  says which);
* **WGI_c**: World Bank WGI, the mean of the six estimates rescaled to 0-10
  with higher = worse, ``(2.5 - mean) * 2``
  (:func:`scrisk.metrics.governance.rescale_wgi`);
* **t_c**: trade parameter, 1 unless the basket's ``[crm]`` table gives one
  (export taxes, quotas, bans > 1; EU trade agreements 0.8), per scope
  (``global``, ``eu``) and stage;
* **IR** import reliance, **EoL_RIR** end-of-life recycling input rate,
  **SI_SR** substitution index: the basket's ``[crm]`` values, with their
  source.

Every stage with an IR is computed; the stage with the higher SR is the
bottleneck (``bottleneck = true``), as the EU reports it. A figure is called
``eu_crm_supply_risk`` only when both HHI terms exist; a missing term leaves
it empty (with the reason in ``note``).

Examples
--------
>>> round(sr(hhi_gs=5.4, hhi_eus=2.8, ir=0.98, eol_rir=0.0, si_sr=0.98), 4)
3.9925
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import pandas as pd

from scrisk.errors import UsageError
from scrisk.results import RowsResult, pick_year

__all__ = ["sr", "supply_risk", "supply_risk_codes", "SupplyRiskResult", "eu_sourcing_rows", "quantity_coverage"]


def quantity_coverage(flows: pd.DataFrame) -> float | None:
    """Share of the flows' value that carries a quantity (None without flows).

    Examples
    --------
    >>> quantity_coverage(pd.DataFrame({"value_usd": [3.0, 1.0], "qty_kg": [1.0, float("nan")]}))
    0.75
    """
    v = flows["value_usd"].sum()
    if not len(flows) or v <= 0:
        return None
    q = flows["qty_kg"] if "qty_kg" in flows.columns else pd.Series(float("nan"), index=flows.index)
    return float(flows.loc[q.notna(), "value_usd"].sum() / v)


def sr(*, hhi_gs: float, hhi_eus: float, ir: float, eol_rir: float, si_sr: float) -> float:
    """The EU CRM supply risk from its terms (HHIs on the 0-10 WGI scale; IR, EoL_RIR, SI_SR on 0-1).

    Examples
    --------
    >>> sr(hhi_gs=10.0, hhi_eus=10.0, ir=1.0, eol_rir=0.0, si_sr=1.0)
    10.0
    >>> sr(hhi_gs=4.0, hhi_eus=2.0, ir=0.5, eol_rir=0.25, si_sr=0.8)
    1.5
    """
    return (hhi_gs * ir / 2.0 + hhi_eus * (1.0 - ir / 2.0)) * (1.0 - eol_rir) * si_sr


class SupplyRiskResult(RowsResult):
    """Rows per (material, stage) with ``meta``; ``to_dict()`` is the JSON contract."""


def _crm_baskets(reg: Mapping[str, Any], material: Any) -> list[Any]:
    from scrisk.materials import get_basket

    if material is None:
        return [b for b in reg.values() if getattr(b, "crm", None) is not None]
    names = [material] if isinstance(material, str) else list(material)
    out = []
    for n in names:
        b = get_basket(n, baskets=reg)
        if b.crm is None:
            raise UsageError(f"basket {b.name!r} has no [crm] parameters (IR, EoL-RIR, SI_SR); add them with their "
                             "source to the basket file, or pick another material")
        out.append(b)
    return out


def supply_risk_codes(reg: Mapping[str, Any], material: Any = None) -> tuple[str, ...]:
    """The HS codes the EU sourcing of the selected baskets reads (their production tables' ``hs``)."""
    codes = {h for b in _crm_baskets(reg, material) for src in b.production for h in src.hs}
    return tuple(sorted(codes))


def eu_sourcing_rows(flows: pd.DataFrame, hs: Iterable[str], eu: Iterable[str], eu_production: pd.DataFrame,
                     *, year: int) -> tuple[pd.DataFrame, str]:
    """The EU-sourcing supplier rows (``producer, kind, q``) of one material and stage, and their basis.

    ``flows`` are canonical flows; ``eu_production`` has ``producer`` (ISO3) and ``q`` (kg) of EU member states.
    Basis ``quantity``: the imports that carry a quantity (kg) plus EU production (the share of import value with a
    quantity is :func:`quantity_coverage`); ``value, imports only`` when no import carries one.

    Examples
    --------
    >>> f = pd.DataFrame({"year": [2024] * 3, "exporter": ["CHN", "USA", "FRA"], "importer": ["DEU", "FRA", "DEU"],
    ...     "hs": ["811292"] * 3, "value_usd": [70.0, 20.0, 5.0], "qty_kg": [7.0, 2.0, 0.5]})
    >>> rows, basis = eu_sourcing_rows(f, ["811292"], ["DEU", "FRA"], pd.DataFrame({"producer": ["DEU"], "q": [1.0]}),
    ...                                year=2024)
    >>> rows.values.tolist(), basis
    ([['CHN', 'country', 7.0], ['DEU', 'country', 1.0], ['USA', 'country', 2.0]], 'quantity')
    """
    eu = set(eu)
    codes = set(hs)
    f = flows[(flows["year"] == year) & flows["hs"].isin(codes) & flows["importer"].isin(eu)
              & ~flows["exporter"].isin(eu) & (flows["value_usd"] > 0)]
    qty = f["qty_kg"] if "qty_kg" in f.columns else pd.Series(float("nan"), index=f.index)
    if len(f) and qty.notna().any():
        imp = f.assign(q=qty)[qty.notna()].groupby("exporter")["q"].sum()
        prod = eu_production.groupby("producer")["q"].sum() if len(eu_production) else pd.Series(dtype="float64")
        q = imp.add(prod, fill_value=0.0)
        basis = "quantity"
    else:
        q = f.groupby("exporter")["value_usd"].sum()
        basis = "value, imports only"
    out = pd.DataFrame({"producer": q.index.astype(str), "kind": "country", "q": q.to_numpy(dtype="float64")})
    return out.sort_values("producer").reset_index(drop=True), basis


def supply_risk(
    table,
    production,
    wgi: Any,
    *,
    baskets: Any = None,
    material: Any = None,
    year: int | None = None,
    eu: str = "EU27",
) -> SupplyRiskResult:
    """The EU CRM supply risk per (material, stage) of the baskets with ``[crm]`` parameters.

    Parameters
    ----------
    table : FlowTable or DataFrame
        Trade flows (for the extra-EU imports of the EU sourcing).
    production : ProductionData
        World production (:func:`scrisk.production.read_production`).
    wgi : path, WgiScores or mapping
        WGI (long World Bank layout or tidy scores; see :mod:`scrisk.metrics.governance`).
    material : str or list, optional
        Baskets to assess (default: every basket with ``[crm]``).
    year : int, optional
        Trade year (default: the latest loaded); production: the latest year up to it.
    eu : str
        The group whose sourcing is assessed (default ``EU27``).
    """
    from scrisk.analysis import registry
    from scrisk.countries import expand_countries
    from scrisk.engine.store import connect
    from scrisk.engine.supply import supply_sql
    from scrisk.metrics.governance import as_wgi_scores
    from scrisk.production.concentration import map_to_baskets, production_concentration, supplier_rows
    from scrisk.provenance import output_meta
    from scrisk.schema import FlowTable

    if isinstance(table, pd.DataFrame):
        table = FlowTable(frame=table)
    reg = registry(baskets)
    chosen = _crm_baskets(reg, material)
    y = pick_year(table.years, year)
    scores = as_wgi_scores(wgi, year=y)
    members = expand_countries(eu) or ()
    flows = table.frame
    gs = production_concentration(production, baskets=reg, material=[b.name for b in chosen], wgi=scores,
                                  years=None).to_pandas()
    mapped, _ = map_to_baskets(production, reg)
    sup = supplier_rows(mapped)
    order = {d: k for k, d in enumerate(dict.fromkeys(gs["dataset"]))} if len(gs) else {}
    rows = []
    con = connect()
    try:
        for b in chosen:
            p = b.crm
            for stage, ir in p.import_reliance.items():
                rec: dict[str, Any] = {"material": b.name, "stage": stage, "assessed_stage": p.stage, "year": y,
                                       "import_reliance": ir, "eol_rir": p.eol_rir, "si_sr": p.si_sr}
                cand = gs[(gs["material"] == b.name) & (gs["stage"] == stage) & (gs["year"] <= y)
                          & (gs["production_total"] > 0)] if len(gs) else gs
                notes = []
                if len(cand):
                    cand = cand.assign(_r=cand["dataset"].map(order)).sort_values(["year", "_r"], ascending=[False, True])
                    g = cand.iloc[0]
                    rec.update(production_year=int(g["year"]), production_dataset=g["dataset"],
                               hhi_wgi_t_gs=float(g["hhi_wgi_t"]), wgi_coverage_gs=float(g["wgi_coverage"]))
                    eprod = sup[(sup["material"] == b.name) & (sup["stage"] == stage) & (sup["year"] == g["year"])
                                & (sup["dataset"] == g["dataset"]) & sup["producer"].isin(members)]
                else:
                    rec.update(production_year=None, production_dataset=None, hhi_wgi_t_gs=None, wgi_coverage_gs=None)
                    eprod = sup.iloc[0:0]
                    notes.append(f"no {stage} production of {b.name} up to {y} in the production data")
                codes = [h for src in b.production if src.stage == stage for h in src.hs]
                eus, basis = eu_sourcing_rows(flows, codes, members, eprod[["producer", "q"]], year=y)
                tp = p.t("eu", stage)
                eus["w"] = eus["producer"].map(scores.scores).astype("float64")
                eus["t"] = eus["producer"].map(tp).astype("float64")
                eus["material"] = b.name
                if len(eus):
                    con.register("_eus", eus)
                    e = con.sql(supply_sql("_eus", ["material"], options=["wgi"])).df().iloc[0]
                    rec.update(hhi_wgi_t_eus=float(e["hhi_wgi_t"]), wgi_coverage_eus=float(e["wgi_coverage"]),
                               eu_top_supplier=e["top_producer"], eu_top_supplier_share=float(e["top_producer_share"]))
                    con.unregister("_eus")
                else:
                    rec.update(hhi_wgi_t_eus=None, wgi_coverage_eus=None, eu_top_supplier=None,
                               eu_top_supplier_share=None)
                    notes.append(f"no extra-{eu} imports of {', '.join(codes) or 'any code'} in {y}")
                rec["eus_basis"] = basis
                eu_f = flows[(flows["year"] == y) & flows["hs"].isin(set(codes)) & flows["importer"].isin(set(members))
                             & ~flows["exporter"].isin(set(members))]
                rec["eus_quantity_coverage"] = quantity_coverage(eu_f) if basis == "quantity" else None
                rec["eu_production_share"] = (float(eprod["q"].sum() / eus["q"].sum())
                                              if basis == "quantity" and len(eus) and eus["q"].sum() > 0 else None)
                if rec["hhi_wgi_t_gs"] is not None and rec["hhi_wgi_t_eus"] is not None:
                    rec["eu_crm_supply_risk"] = sr(hhi_gs=rec["hhi_wgi_t_gs"], hhi_eus=rec["hhi_wgi_t_eus"], ir=ir,
                                                   eol_rir=p.eol_rir, si_sr=p.si_sr)
                else:
                    rec["eu_crm_supply_risk"] = None
                rec["note"] = "; ".join(notes)
                rec["parameters_source"] = p.source
                rows.append(rec)
    finally:
        con.close()
    out = pd.DataFrame(rows)
    if len(out):
        best = out.groupby("material")["eu_crm_supply_risk"].transform("max")
        out["bottleneck"] = out["eu_crm_supply_risk"].notna() & (out["eu_crm_supply_risk"] == best)
    meta = output_meta(table, material=material, year=y, eu=eu)
    meta["formula"] = ("SR = [HHI_WGI,t(GS) * IR/2 + HHI_WGI,t(EUS) * (1 - IR/2)] * (1 - EoL_RIR) * SI_SR; "
                       "HHI_WGI,t = sum_c s_c^2 * WGI_c * t_c; WGI_c = (2.5 - mean of the 6 WGI estimates) * 2")
    meta["wgi"] = scores.describe()
    meta["production"] = {"inputs": [f["file"] for f in production.files], "report": production.report()}
    return SupplyRiskResult(out, meta)
