"""The EU CRM supply-risk formula: hand-worked fixtures and real data (USGS MCS, BACI 2024, WGI) against pandas."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from scrisk.materials import load_baskets
from scrisk.metrics.governance import read_wgi
from scrisk.production.crm import sr, supply_risk
from scrisk.production.readers import read_production, read_production_tidy
from scrisk.schema import make_flow_table


def test_formula_terms():
    # IR = 1: half global supply, half EU sourcing; IR = 0: EU sourcing only
    assert sr(hhi_gs=6.0, hhi_eus=2.0, ir=1.0, eol_rir=0.0, si_sr=1.0) == pytest.approx(4.0)
    assert sr(hhi_gs=6.0, hhi_eus=2.0, ir=0.0, eol_rir=0.0, si_sr=1.0) == pytest.approx(2.0)
    assert sr(hhi_gs=6.0, hhi_eus=2.0, ir=1.0, eol_rir=0.5, si_sr=0.5) == pytest.approx(1.0)


def test_hand_worked_supply_risk():
    """Gallium (IR 0.98, EoL 0, SI 0.98 in the basket): GS CHN 90 / JPN 10; EUS CHN 6 kg, USA 2 kg + DEU 2 kg made."""
    prod = read_production_tidy(io.StringIO(
        "country,commodity,stage,year,quantity,unit\nCHN,gallium,refinery,2023,90,kg\nJPN,gallium,refinery,2023,8,kg\n"
        "DEU,gallium,refinery,2023,2,kg\n"))
    f = pd.DataFrame({"year": [2024] * 4, "exporter": ["CHN", "USA", "FRA", "CHN"],
                      "importer": ["DEU", "FRA", "DEU", "USA"], "hs": ["811292"] * 4,
                      "value_usd": [60.0, 20.0, 5.0, 9.0], "qty_kg": [6.0, 2.0, 0.5, 1.0]})
    wgi = {"CHN": 6.0, "JPN": 2.0, "USA": 2.5, "DEU": 1.5, "FRA": 2.0}
    r = supply_risk(make_flow_table(f), prod, wgi, material="gallium").to_pandas().iloc[0]
    gs = 0.9 ** 2 * 6.0 + 0.08 ** 2 * 2.0 + 0.02 ** 2 * 1.5          # 4.8743
    eus = 0.6 ** 2 * 6.0 + 0.2 ** 2 * 2.5 + 0.2 ** 2 * 1.5            # extra-EU CHN 6, USA 2; DEU production 2
    assert r.hhi_wgi_t_gs == pytest.approx(gs) and r.hhi_wgi_t_eus == pytest.approx(eus)
    assert r.eus_basis == "quantity" and r.eu_production_share == pytest.approx(0.2)
    assert r.eu_crm_supply_risk == pytest.approx((gs * 0.49 + eus * 0.51) * 1.0 * 0.98)
    assert bool(r.bottleneck)


def test_basket_parameters_and_sources():
    b = load_baskets()
    ga = b["gallium"].crm
    assert (ga.stage, ga.import_reliance["refinery"], ga.eol_rir, ga.si_sr) == ("refinery", 0.98, 0.0, 0.98)
    assert "10.2873/725585" in ga.source
    assert b["nickel"].crm.t("global", "mine") == {"IDN": 1.3}


def test_missing_term_leaves_no_eu_crm_figure():
    prod = read_production_tidy(io.StringIO("country,commodity,stage,year,quantity\nCHN,gallium,refinery,2023,9\n"))
    f = pd.DataFrame({"year": [2024], "exporter": ["CHN"], "importer": ["USA"], "hs": ["811292"], "value_usd": [1.0]})
    r = supply_risk(make_flow_table(f), prod, {"CHN": 6.0}, material="gallium").to_pandas().iloc[0]
    assert pd.isna(r.eu_crm_supply_risk) and "no extra-EU27 imports" in r.note


def test_realdata_gallium_against_pandas(realdata, atlas):
    t = pd.read_parquet(atlas / "trade.parquet")
    f = pd.DataFrame({"year": t["year"].astype(int), "exporter": t["exporter"], "importer": t["importer"],
                      "hs": t["hs6"].astype(str).str.zfill(6), "value_usd": t["value_kusd"] * 1000,
                      "qty_kg": t["qty_t"] * 1000})
    usgs = realdata / "usgs-mcs" / "mcs2024" / "mcs2024-galli_world.csv"
    wgi_path = realdata / "wgi" / "2020_Worldwide_Governance_Indicators_1996-2019.csv"
    r = supply_risk(make_flow_table(f), read_production(usgs), wgi_path, material="gallium").to_pandas().iloc[0]
    # independent pandas: WGI mean of the 6 estimates of the latest year, rescaled; USGS 2023 shares; extra-EU imports
    w = pd.read_csv(wgi_path, encoding="latin-1")
    w = w.dropna(subset=["Estimate"])
    w = w[w["Year"] == w.groupby("Code")["Year"].transform("max")]
    score = ((2.5 - w.groupby("Code")["Estimate"].mean()) * 2).clip(0, 10)
    raw = pd.read_csv(usgs, encoding="utf-8-sig").dropna(how="all")
    raw = raw[~raw["Country"].str.startswith(("World", "Other"))]
    names = {"United\u00a0States": "USA", "China": "CHN", "Japane": "JPN", "Korea, Republic ofe": "KOR",
             "Russiae": "RUS"}
    q = raw.set_index(raw["Country"].map(names))["Prod_kg_est_2023"].astype(float)
    s = q / q.sum()
    gs = float((s ** 2 * score.reindex(s.index)).sum())
    eu = ["AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN", "IRL", "ITA", "LVA",
          "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP", "SWE"]
    e = f[(f["year"] == 2024) & (f["hs"] == "811292") & f["importer"].isin(eu) & ~f["exporter"].isin(eu)
          & f["qty_kg"].notna()]
    v = e.groupby("exporter")["qty_kg"].sum()
    se = v / v.sum()
    sc = score.rename(index={"ROM": "ROU", "ZAR": "COD"}).reindex(se.index)
    eus = float((se ** 2 * sc).fillna(0).sum())
    assert r.hhi_wgi_t_gs == pytest.approx(gs, rel=1e-9)
    assert r.hhi_wgi_t_eus == pytest.approx(eus, rel=1e-9)
    assert r.eu_crm_supply_risk == pytest.approx((gs * 0.98 / 2 + eus * (1 - 0.98 / 2)) * 1.0 * 0.98, rel=1e-9)
    assert read_wgi(wgi_path).years["CHN"] == 2019
