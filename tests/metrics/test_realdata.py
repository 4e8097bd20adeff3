"""Metrics on real BACI data checked against independent pandas computations on the raw CSV.

The raw files (``i,j,cmd,value``) are aggregated here with plain groupby and
arithmetic, never with scrisk code; Taiwan stays ``S19`` on the raw side.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from atlas import raw_atlas
from scrisk.metrics.concentration import import_concentration, world_export_concentration
from scrisk.metrics.governance import read_wgi
from scrisk.metrics.indicators import indicators

PAIRS = [("KOR", "811292"), ("JPN", "283691"), ("USA", "850511"), ("DEU", "810411"), ("KOR", "283691"),
         ("JPN", "850511")]


def _raw_pair(raw: pd.DataFrame, importer: str, hs: str) -> pd.Series:
    """Exporter -> value of one importer's imports of one product, by hand."""
    sub = raw[(raw["j"] == importer) & (raw["cmd"] == hs) & (raw["value"] > 0)]
    return sub.groupby("i")["value"].sum()


def _iso(code: str) -> str:
    return "TWN" if code == "S19" else code


@pytest.fixture(scope="module")
def ind_all(atlas_flows):
    return indicators(atlas_flows.frame, min_import_usd=0.0)


@pytest.mark.parametrize("year", [2022, 2024])
@pytest.mark.parametrize("importer,hs", PAIRS)
def test_pair_metrics_match_hand_computation(atlas, ind_all, importer, hs, year):
    raw = raw_atlas(atlas, year)
    by = _raw_pair(raw, importer, hs)
    assert len(by) > 0, "pair must exist in the real data for the test to mean anything"
    total = by.sum()
    shares = by / total
    top_code = sorted(by.index, key=lambda c: (-by[c], c))[0]
    row = ind_all[(ind_all["year"] == year) & (ind_all["importer"] == importer) & (ind_all["hs"] == hs)]
    assert len(row) == 1
    r = row.iloc[0]
    assert r["import_value_usd"] == pytest.approx(total, rel=1e-12)
    assert int(r["n_suppliers"]) == len(by)
    assert r["top_supplier"] == _iso(top_code)
    assert r["top_share"] == pytest.approx(shares.max(), rel=1e-12)
    assert r["hhi"] == pytest.approx(float((shares**2).sum()), rel=1e-12)
    assert r["effective_suppliers"] == pytest.approx(1.0 / float((shares**2).sum()), rel=1e-12)

    world = raw[(raw["cmd"] == hs) & (raw["value"] > 0)].groupby("i")["value"].sum()
    ws = world / world.sum()
    assert r["world_export_hhi"] == pytest.approx(float((ws**2).sum()), rel=1e-12)
    assert r["world_top_exporter"] == _iso(ws.idxmax())
    assert r["world_top_exporter_share"] == pytest.approx(ws.max(), rel=1e-12)
    assert r["top_supplier_world_share"] == pytest.approx(ws.get(top_code, 0.0), rel=1e-12)
    own_exports = raw[(raw["i"] == importer) & (raw["cmd"] == hs)]["value"].sum()
    assert r["export_value_usd"] == pytest.approx(own_exports, rel=1e-12, abs=0)
    expected_ratio = total / own_exports if own_exports > 0 else 9999.0
    assert r["import_export_ratio"] == pytest.approx(expected_ratio, rel=1e-12)


def test_world_export_hhi_811292_by_hand(atlas, atlas_flows):
    raw = raw_atlas(atlas, 2024)
    by = raw[raw["cmd"] == "811292"].groupby("i")["value"].sum()
    s = by / by.sum()
    w = world_export_concentration(atlas_flows.frame)
    r = w[(w["year"] == 2024) & (w["hs"] == "811292")].iloc[0]
    assert r["world_export_hhi"] == pytest.approx(float((s**2).sum()), rel=1e-12)
    assert r["world_export_value_usd"] == pytest.approx(by.sum(), rel=1e-12)
    assert int(r["n_exporters"]) == int((by > 0).sum())
    assert r["world_top_exporter"] == "CHN" == by.idxmax()


@pytest.mark.parametrize("year", [2022, 2024])
def test_whole_table_counts_of_single_source_pairs(atlas, atlas_flows, year):
    raw = raw_atlas(atlas, year)
    raw = raw[raw["value"] > 0]
    by = raw.groupby(["j", "cmd", "i"])["value"].sum()
    tot = by.groupby(level=[0, 1]).sum()
    top = by.groupby(level=[0, 1]).max()
    share = top / tot
    n_pairs = len(tot)
    n90 = int((share >= 0.9).sum())
    n90_10m = int(((share >= 0.9) & (tot >= 10_000_000)).sum())
    n75_10m = int(((share >= 0.75) & (share < 0.9) & (tot >= 10_000_000)).sum())
    n50_10m = int(((share >= 0.5) & (share < 0.75) & (tot >= 10_000_000)).sum())

    ind = indicators(atlas_flows.frame)
    ind = ind[ind["year"] == year]
    assert len(ind) == n_pairs
    assert int((ind["top_share"] >= 0.9).sum()) == n90
    assert int((ind["band"] == "absolute").sum()) == n90_10m
    assert int((ind["band"] == "high").sum()) == n75_10m
    assert int((ind["band"] == "monitor").sum()) == n50_10m
    # the comparison is not vacuous: thousands of pairs, over a thousand >= 90 %, a hundred of them >= US$10m
    assert n_pairs > 3000 and n90 > 1000 and n90_10m > 100


def test_import_concentration_equals_indicators_core(atlas_flows, ind_all):
    core = import_concentration(atlas_flows.frame)
    cols = ["year", "importer", "hs", "import_value_usd", "n_suppliers", "top_share", "hhi"]
    a = core[cols].sort_values(cols[:3]).reset_index(drop=True)
    b = ind_all[cols].sort_values(cols[:3]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a.astype({"importer": str, "hs": str}), b.astype({"importer": str, "hs": str}),
                                  check_dtype=False)


def test_change_between_2022_and_2024_by_hand(atlas, ind_all):
    def share_hhi(year):
        raw = raw_atlas(atlas, year)
        by = _raw_pair(raw, "KOR", "811292")
        s = by / by.sum()
        return float(s.max()), float((s**2).sum()), _iso(s.idxmax())

    s22, h22, t22 = share_hhi(2022)
    s24, h24, t24 = share_hhi(2024)
    r = ind_all[(ind_all["year"] == 2024) & (ind_all["importer"] == "KOR") & (ind_all["hs"] == "811292")].iloc[0]
    assert int(r["prev_year"]) == 2022
    assert r["delta_hhi"] == pytest.approx(h24 - h22, abs=1e-12)
    assert r["delta_top_share"] == pytest.approx(s24 - s22, abs=1e-12)
    assert bool(r["top_supplier_changed"]) == (t22 != t24)
    assert int(r["years_single_source"]) == int(s22 >= 0.9) + int(s24 >= 0.9)


def test_geodep_screen_on_real_pairs_by_hand(atlas, atlas_flows):
    ind = indicators(atlas_flows.frame, screen=True, importers=["KOR", "JPN", "USA", "DEU"])

    def met(year, importer, hs):
        raw = raw_atlas(atlas, year)
        by = _raw_pair(raw, importer, hs)
        if by.empty:
            return False
        s = by / by.sum()
        w = raw[(raw["cmd"] == hs) & (raw["value"] > 0)].groupby("i")["value"].sum()
        ws = w / w.sum()
        exports = raw[(raw["i"] == importer) & (raw["cmd"] == hs)]["value"].sum()
        ratio = by.sum() / exports if exports > 0 else 9999.0
        return (s**2).sum() > 0.4 and (ws**2).sum() > 0.4 and ratio > 1

    checked = 0
    for importer, hs in PAIRS + [("KOR", "810411"), ("KOR", "720293"), ("JPN", "720293")]:
        row = ind[(ind["year"] == 2024) & (ind["importer"] == importer) & (ind["hs"] == hs)]
        if row.empty:
            continue
        expected = met(2022, importer, hs) and met(2024, importer, hs)  # 2 loaded years: both must pass
        assert bool(row.iloc[0]["screen"]) == expected, (importer, hs)
        assert bool(row.iloc[0]["screen_met"]) == met(2024, importer, hs)
        checked += 1
    assert checked >= 8
    assert ind.loc[ind["year"] == 2024, "screen"].any()


def test_governance_hhi_by_hand(realdata, atlas, atlas_flows):
    path = realdata / "wgi" / "2020_Worldwide_Governance_Indicators_1996-2019.csv"
    if not path.exists():
        pytest.skip("WGI file absent")
    w = pd.read_csv(path, encoding="latin-1")
    w = w[(w["Year"] == 2019)]
    mean = pd.to_numeric(w["Estimate"], errors="coerce").groupby(w["Code"]).mean()
    scaled = ((2.5 - mean) * 2).clip(0, 10)
    raw = raw_atlas(atlas, 2024)
    by = _raw_pair(raw, "KOR", "811292")
    by.index = [_iso(c) for c in by.index]
    s = by / by.sum()
    covered = [c for c in s.index if c in scaled.index and not math.isnan(scaled[c])]
    expected = float(sum(s[c] ** 2 * scaled[c] for c in covered) / 10)
    coverage = float(s[covered].sum())

    scores = read_wgi(path, year=2024)
    ind = indicators(atlas_flows.frame, importers=["KOR"], hs=["811292"], wgi=scores)
    r = ind[ind["year"] == 2024].iloc[0]
    assert r["hhi_wgi"] == pytest.approx(expected, rel=1e-9)
    assert r["wgi_coverage"] == pytest.approx(coverage, rel=1e-12)
    assert 0 < r["hhi_wgi"] < r["hhi"]
    # China (the top supplier) is scored from its 2019 estimates
    assert scores.years["CHN"] == 2019
    assert scores.scores["CHN"] == pytest.approx(float(scaled["CHN"]), rel=1e-9)


def test_shares_cover_every_value(atlas_flows, ind_all):
    f = atlas_flows.frame
    total = float(f.loc[f["value_usd"] > 0, "value_usd"].sum())
    assert float(ind_all["import_value_usd"].sum()) == pytest.approx(total, rel=1e-12)
    assert np.all((ind_all["hhi"] > 0) & (ind_all["hhi"] <= 1))
    assert np.all((ind_all["score"] >= 0) & (ind_all["score"] <= 1))
