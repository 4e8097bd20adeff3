"""The lenses (scrisk.lenses): hand-worked fixtures for each formula, and real BACI 2022/2024 figures checked
against independent pandas computations (no scrisk metric code on the pandas side)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "metrics"))
from atlas import atlas_table, raw_atlas  # noqa: E402

from scrisk.errors import UsageError  # noqa: E402
from scrisk.lenses import complement, end_use_table, leverage, partner_screen  # noqa: E402
from scrisk.schema import make_flow_table  # noqa: E402


def _t(rows, year=2024):
    return make_flow_table(pd.DataFrame(rows, columns=["exporter", "importer", "hs", "value_usd"]).assign(year=year))


# --------------------------------------------------------------- hand-worked fixtures


def test_leverage_by_hand():
    # CHN ships 60 to KOR (of KOR's 100), 30 to USA (of 40), 10 to DEU (of 100); JPN ships the rest
    t = _t([("CHN", "KOR", "811292", 60.0), ("JPN", "KOR", "811292", 40.0), ("CHN", "USA", "811292", 30.0),
            ("JPN", "USA", "811292", 10.0), ("CHN", "DEU", "811292", 10.0), ("JPN", "DEU", "811292", 90.0)])
    r = leverage(t, exporter="CHN")
    row = r.to_dict()["rows"][0]
    assert row["export_value_usd"] == 100.0
    assert row["world_share"] == pytest.approx(100 / 240)
    assert row["destination_hhi"] == pytest.approx(0.6**2 + 0.3**2 + 0.1**2)
    assert (row["top_destination"], row["top_destination_share"]) == ("KOR", pytest.approx(0.6))
    # shares: KOR 0.6, USA 0.75, DEU 0.1
    assert row["importers_monitor"] == ["USA", "KOR"] and row["n_importers_monitor"] == 2
    assert row["importers_high"] == ["USA"] and row["importers_absolute"] == []
    imps = r.table("importers").set_index("importer")
    assert imps.loc["USA", "exporter_share"] == pytest.approx(0.75) and imps.loc["USA", "band"] == "high"
    assert imps.loc["DEU", "band"] is None or pd.isna(imps.loc["DEU", "band"])
    # a minimum import value leaves small customers out of the band counts
    assert leverage(t, exporter="CHN", min_import_usd=50).to_dict()["rows"][0]["importers_monitor"] == ["KOR"]


def test_complement_by_hand_both_sides_and_second_tier():
    # KOR imports 80 from CHN, 20 from VNM; VNM itself imports 50 from CHN out of 100
    # JPN exports 30 to USA, 10 to CHN, 5 to KOR -> to third countries 30
    # JPN imports 40 from CHN, 10 from KOR; KOR exports 6 to USA
    t = _t([("CHN", "KOR", "811292", 80.0), ("VNM", "KOR", "811292", 20.0), ("CHN", "VNM", "811292", 50.0),
            ("AUS", "VNM", "811292", 50.0), ("JPN", "USA", "811292", 30.0), ("JPN", "CHN", "811292", 10.0),
            ("JPN", "KOR", "811292", 5.0), ("CHN", "JPN", "811292", 40.0), ("KOR", "JPN", "811292", 10.0),
            ("KOR", "USA", "811292", 6.0)])
    rows = {r["side"]: r for r in complement(t, importer="KOR", ally="JPN", rival="CHN").to_dict()["rows"]}
    a = rows["ally_covers_importer"]
    assert (a["dependent"], a["cover"], a["rival"]) == ("KOR", "JPN", "CHN")
    assert a["import_value_usd"] == 105.0 and a["from_rival_usd"] == 80.0
    assert a["rival_share"] == pytest.approx(80 / 105)
    assert a["cover_exports_world_usd"] == 45.0 and a["cover_exports_third_usd"] == 30.0
    assert a["cover_share"] == pytest.approx(30 / 80)
    assert a["cover_supply_share"] == pytest.approx(5 / 105)
    world = 80 + 20 + 50 + 50 + 30 + 10 + 5 + 40 + 10 + 6
    assert a["cover_world_share"] == pytest.approx(45 / world)
    # second tier: VNM holds 20/105 of KOR's imports and buys 50 % from CHN; JPN 5/105, buys 40/50 from CHN
    assert a["second_tier_rival_share"] == pytest.approx(20 / 105 * 0.5 + 5 / 105 * 0.8)
    assert a["total_rival_exposure"] == pytest.approx(a["rival_share"] + a["second_tier_rival_share"])
    # the FEDS Note weights: shares of the imports not from the rival (VNM 20/25, JPN 5/25)
    assert a["suppliers_rival_share"] == pytest.approx(20 / 25 * 0.5 + 5 / 25 * 0.8)
    b = rows["importer_covers_ally"]
    assert (b["dependent"], b["cover"]) == ("JPN", "KOR")
    assert b["rival_share"] == pytest.approx(0.8) and b["from_rival_usd"] == 40.0
    assert b["cover_exports_world_usd"] == 16.0 and b["cover_exports_third_usd"] == 6.0
    assert b["cover_share"] == pytest.approx(6 / 40)
    # KOR (10/50 of JPN's imports) buys 80/105 from CHN
    assert b["second_tier_rival_share"] == pytest.approx(0.2 * 80 / 105)


def test_complement_cover_share_is_capped_and_threshold_applies():
    t = _t([("CHN", "KOR", "811292", 10.0), ("JPN", "USA", "811292", 100.0), ("CHN", "KOR", "282520", 4.0), ("USA", "KOR", "282520", 6.0)])
    rows = complement(t, importer="KOR", ally="JPN", rival="CHN").to_dict()["rows"]
    assert [(r["hs"], r["cover_share"]) for r in rows] == [("811292", 1.0)]  # 282520: CHN holds 40 % < 50 %
    assert {r["hs"] for r in complement(t, importer="KOR", ally="JPN", rival="CHN", min_share=0.4)
            .to_dict()["rows"]} == {"811292", "282520"}


def test_partner_screen_by_hand():
    # KOR: 811292 75 % from CHN, deficit; 848620 CHN 60 % but KOR exports more than it imports;
    # 854231 CHN 55 %, deficit (mixed end use)
    t = _t([("CHN", "KOR", "811292", 75.0), ("JPN", "KOR", "811292", 25.0),
            ("CHN", "KOR", "848620", 60.0), ("USA", "KOR", "848620", 40.0), ("KOR", "USA", "848620", 500.0),
            ("CHN", "KOR", "854231", 55.0), ("TWN", "KOR", "854231", 45.0), ("KOR", "USA", "854231", 10.0)])
    r = partner_screen(t, importer="KOR", partner="CHN")
    rows = {x["hs"]: x for x in r.to_dict()["rows"]}
    assert set(rows) == {"811292", "854231"}
    assert rows["811292"]["at_high"] and rows["811292"]["end_use"] == "intermediate"
    assert not rows["854231"]["at_high"] and rows["854231"]["end_use"] == "mixed"
    assert rows["854231"]["trade_balance_usd"] == -90.0
    s = r.table("summary").set_index("end_use")
    assert s.loc["total", "products"] == 3 and s.loc["total", "products_low"] == 2
    assert s.loc["total", "products_high"] == 1 and s.loc["capital", "products_low"] == 0
    assert s.loc["total", "import_value_low_usd"] == 200.0 and s.loc["total", "from_partner_low_usd"] == 130.0
    assert len(partner_screen(t, importer="KOR", partner="CHN", show_all=True)) == 3


def test_blocs_drop_intra_bloc_trade_and_follow_the_date():
    # GBR is in EU27 in 2019 and not in 2020; DEU->FRA is intra-EU
    rows = []
    for y in (2019, 2020):
        rows += [(y, "DEU", "FRA", "811292", 100.0), (y, "GBR", "FRA", "811292", 50.0), (y, "CHN", "FRA", "811292", 50.0),
                 (y, "CHN", "DEU", "811292", 50.0)]
    t = make_flow_table(pd.DataFrame(rows, columns=["year", "exporter", "importer", "hs", "value_usd"]))
    got = complement(t, importer="EU27", ally="USA", rival="CHN", min_share=0.0).to_pandas().query(
        "side == 'ally_covers_importer'").set_index("year")
    # 2019: extra-EU imports are CHN's 100 only (GBR is inside); 2020: GBR's 50 is extra-EU
    assert got.loc[2019, "import_value_usd"] == 100.0 and got.loc[2019, "rival_share"] == 1.0
    assert got.loc[2020, "import_value_usd"] == 150.0 and got.loc[2020, "rival_share"] == pytest.approx(100 / 150)
    lev = leverage(t, exporter="CHN", as_bloc="EU27").table("importers").set_index("year")
    assert lev.loc[2019, "importer"] == "EU27" and lev.loc[2020, "imports_usd"] == 150.0


def test_overlapping_actors_are_refused():
    t = _t([("CHN", "KOR", "811292", 1.0)])
    with pytest.raises(UsageError, match="belongs to both"):
        complement(t, importer="DEU", ally="EU27", rival="CHN")
    with pytest.raises(UsageError, match="three different"):
        complement(t, importer="KOR", ally="KOR", rival="CHN")


def test_end_use_table_is_the_unsd_concordance(realdata):
    """Every HS code of the UNSD HS2017->BEC table is in the shipped table with its BEC codes (pandas read)."""
    raw = pd.read_csv(realdata / "hs-concordance" / "HS2017 to BEC Conversion and Correlation Tables.csv",
                      dtype=str, encoding="utf-8-sig")
    raw.columns = ["hs", "bec", "rel"]
    want = raw.groupby("hs")["bec"].apply(lambda s: ";".join(sorted(set(s)))).to_dict()
    got = end_use_table("HS2017").set_index("hs")["bec"].to_dict()
    assert got == want
    eu = end_use_table("HS2017").set_index("hs")["end_use"]
    assert set(eu) <= {"intermediate", "capital", "consumption", "mixed"}
    assert eu["848620"] == "capital" and eu["811292"] == "intermediate"


def test_shipped_end_use_table_is_what_the_generator_writes(realdata, tmp_path):
    import runpy

    from scrisk.resources import package_data

    gen = runpy.run_path(str(Path(__file__).resolve().parents[1] / "tools" / "gen_hs_bec_end_use.py"))
    gen["main"](str(realdata / "hs-concordance"), tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_bytes() == package_data("hs_bec_end_use.csv").read_bytes()


# ------------------------------------------------------- real data, independent pandas


def _flows(atlas, year):
    d = raw_atlas(atlas, year)
    return pd.DataFrame({"exporter": d["i"].replace({"S19": "TWN"}), "importer": d["j"].replace({"S19": "TWN"}),
                         "hs": d["cmd"].str.zfill(6), "v": d["value"]}).query("v > 0")


def _pandas_complement(f, dep, cov, riv):
    imp = f[f.importer == dep].groupby(["hs", "exporter"]).v.sum().unstack(fill_value=0.0)
    total = imp.sum(axis=1)
    from_r = imp.get(riv, pd.Series(0.0, index=imp.index))
    share = from_r / total
    dep_hs = share[share >= 0.5].index
    cx = f[f.exporter == cov]
    world_c = cx.groupby("hs").v.sum()
    third_c = cx[~cx.importer.isin([dep, riv])].groupby("hs").v.sum()
    world = f.groupby("hs").v.sum()
    # second tier: each supplier's own imports and its imports from the rival
    own = f.groupby(["importer", "hs"]).v.sum()
    own_r = f[f.exporter == riv].groupby(["importer", "hs"]).v.sum()
    out = {}
    for h in dep_hs:
        t2 = 0.0
        for s, v in imp.loc[h].items():
            if v > 0 and s != riv and (s, h) in own.index:
                t2 += v / total[h] * own_r.get((s, h), 0.0) / own[(s, h)]
        out[h] = {
            "import_value_usd": total[h], "from_rival_usd": from_r[h], "rival_share": share[h],
            "cover_exports_world_usd": world_c.get(h, 0.0), "cover_exports_third_usd": third_c.get(h, 0.0),
            "cover_world_share": world_c.get(h, 0.0) / world[h],
            "cover_share": min(third_c.get(h, 0.0) / from_r[h], 1.0), "second_tier_rival_share": t2,
        }
        if total[h] > from_r[h]:
            out[h]["suppliers_rival_share"] = t2 * total[h] / (total[h] - from_r[h])
    return out


@pytest.mark.parametrize("year", [2022, 2024])
def test_complement_kor_jpn_chn_equals_pandas(atlas, year):
    """Every KOR dependency on CHN (CHN >= 50 % of KOR's imports) with the ally figures, and the other side."""
    f = _flows(atlas, year)
    r = complement(atlas_table(atlas, years=(year,)), importer="KOR", ally="JPN", rival="CHN").to_pandas()
    for side, dep, cov in (("ally_covers_importer", "KOR", "JPN"), ("importer_covers_ally", "JPN", "KOR")):
        want = _pandas_complement(f, dep, cov, "CHN")
        got = r[r.side == side].set_index("hs")
        assert set(got.index) == set(want) and len(want) > 5
        for h, w in want.items():
            for k, v in w.items():
                assert got.loc[h, k] == pytest.approx(v, rel=1e-9, abs=1e-12), (side, h, k)


def test_complement_kor_2024_lists_the_known_dependencies(atlas):
    rows = complement(atlas_table(atlas, years=(2024,)), importer="KOR", ally="JPN", rival="CHN").to_pandas()
    kor = rows[rows.side == "ally_covers_importer"].set_index("hs")
    assert len(kor) == 11 and {"850511", "811292", "810411", "280469"} <= set(kor.index)
    assert kor.loc["811292", "rival_share"] == pytest.approx(0.924353, abs=1e-6)


def _pandas_leverage(f, ex):
    world = f.groupby("hs").v.sum()
    imp = f.groupby(["hs", "importer"]).v.sum()
    fe = f[f.exporter == ex].groupby(["hs", "importer"]).v.sum()
    out = {}
    for h, g in fe.groupby(level="hs"):
        g = g.droplevel("hs")
        share = g / imp.loc[h].loc[g.index]
        out[h] = {
            "export_value_usd": g.sum(), "world_share": g.sum() / world[h],
            "destination_hhi": float(((g / g.sum()) ** 2).sum()), "n_destinations": len(g),
            "n_importers_monitor": int((share >= 0.5).sum()), "n_importers_high": int((share >= 0.75).sum()),
            "n_importers_absolute": int((share >= 0.9).sum()),
            "importers_absolute": set(share[share >= 0.9].index),
        }
    return out


@pytest.mark.parametrize("year", [2022, 2024])
def test_leverage_chn_equals_pandas(atlas, year):
    f = _flows(atlas, year)
    want = _pandas_leverage(f, "CHN")
    got = leverage(atlas_table(atlas, years=(year,)), exporter="CHN").to_pandas().set_index("hs")
    assert set(got.index) == set(want)
    for h, w in want.items():
        for k, v in w.items():
            g = got.loc[h, k]
            if k == "importers_absolute":
                assert set(g) == v
            else:
                assert g == pytest.approx(v, rel=1e-9), (h, k)


def test_leverage_importer_shares_equal_pandas(atlas):
    f = _flows(atlas, 2024)
    imps = leverage(atlas_table(atlas, years=(2024,)), exporter="CHN", hs="811292").table("importers")
    tot = f[f.hs == "811292"].groupby("importer").v.sum()
    chn = f[(f.hs == "811292") & (f.exporter == "CHN")].groupby("importer").v.sum()
    got = imps.set_index("importer")["exporter_share"]
    assert set(got.index) == set(chn.index)
    assert np.allclose(got.sort_index().to_numpy(), (chn / tot.loc[chn.index]).sort_index().to_numpy())


def test_eu27_bloc_leverage_equals_pandas_extra_eu(atlas):
    """With EU27 as one importer, CHN's share of EU imports is its share of extra-EU imports (pandas)."""
    from scrisk.countries import load_groups

    eu = set(load_groups()["EU27"].members_on("2024-12-31"))
    f = _flows(atlas, 2024)
    g = f.copy()
    g["exporter"] = g.exporter.where(~g.exporter.isin(eu), "EU27")
    g["importer"] = g.importer.where(~g.importer.isin(eu), "EU27")
    g = g[~((g.exporter == "EU27") & (g.importer == "EU27"))]
    want = _pandas_leverage(g, "CHN")
    extra = g[g.importer == "EU27"]
    want_share = (extra[extra.exporter == "CHN"].groupby("hs").v.sum() / extra.groupby("hs").v.sum()).dropna()
    r = leverage(atlas_table(atlas, years=(2024,)), exporter="CHN", as_bloc="EU27")
    got = r.to_pandas().set_index("hs")
    for h, w in want.items():
        assert got.loc[h, "world_share"] == pytest.approx(w["world_share"], rel=1e-9)
        assert got.loc[h, "destination_hhi"] == pytest.approx(w["destination_hhi"], rel=1e-9)
    eu_rows = r.table("importers").query("importer == 'EU27'").set_index("hs")["exporter_share"]
    assert np.allclose(eu_rows.sort_index(), want_share.loc[eu_rows.index].sort_index())
    assert len(eu_rows) == len(want_share)


def test_analyze_as_bloc_equals_pandas_extra_eu(atlas):
    from scrisk.analysis import analyze
    from scrisk.countries import load_groups

    eu = set(load_groups()["EU27"].members_on("2024-12-31"))
    f = _flows(atlas, 2024)
    extra = f[f.importer.isin(eu) & ~f.exporter.isin(eu)]
    by = extra.groupby(["hs", "exporter"]).v.sum()
    tot = by.groupby(level="hs").sum()
    hhi = ((by / tot.reindex(by.index, level="hs").to_numpy()) ** 2).groupby(level="hs").sum()
    rows = analyze(atlas_table(atlas, years=(2024,)), importers="EU27", as_bloc="EU27").to_pandas().set_index("hs")
    assert set(rows.importer) == {"EU27"} and set(rows.index) == set(tot.index)
    assert np.allclose(rows.loc[tot.index, "import_value_usd"], tot)
    assert np.allclose(rows.loc[tot.index, "hhi"], hhi.loc[tot.index])


def _pandas_partner(f, imp, part):
    m = f[f.importer == imp].groupby("hs").v.sum()
    mp = f[(f.importer == imp) & (f.exporter == part)].groupby("hs").v.sum().reindex(m.index, fill_value=0.0)
    x = f[f.exporter == imp].groupby("hs").v.sum().reindex(m.index, fill_value=0.0)
    share = mp / m
    deficit = x < m
    return m, share, deficit


@pytest.mark.parametrize("year", [2022, 2024])
def test_partner_screen_kor_chn_equals_pandas(atlas, year, realdata):
    f = _flows(atlas, year)
    m, share, deficit = _pandas_partner(f, "KOR", "CHN")
    r = partner_screen(atlas_table(atlas, years=(year,)), importer="KOR", partner="CHN")
    got = r.to_pandas().set_index("hs")
    want_low = set(share[(share >= 0.5) & deficit].index)
    assert set(got.index) == want_low
    assert set(got[got.at_high].index) == set(share[(share >= 0.7) & deficit].index)
    assert np.allclose(got.loc[sorted(want_low), "partner_share"], share.loc[sorted(want_low)])
    # end use from the UNSD table read with pandas (every atlas code maps to one BEC code)
    bec = pd.read_csv(realdata / "hs-concordance" / "HS2017 to BEC Conversion and Correlation Tables.csv",
                      dtype=str, encoding="utf-8-sig")
    bec.columns = ["hs", "bec", "rel"]
    b = bec.groupby("hs")["bec"].apply(lambda s: ";".join(sorted(set(s))))
    assert (got["bec"] == b.loc[got.index]).all()
    s = r.table("summary").set_index("end_use")
    assert s.loc["total", "products"] == len(m) and s.loc["total", "products_low"] == len(want_low)
    assert s.loc["total", "import_value_low_usd"] == pytest.approx(m.loc[sorted(want_low)].sum())


def test_monthly_flows_give_one_row_per_month_and_monthly_membership():
    # GBR is an EU member on 2020-01-31 and not on 2020-02-29
    f = pd.DataFrame({"year": [2020] * 4, "month": [1, 1, 2, 2], "exporter": ["CHN", "GBR", "CHN", "GBR"],
                      "importer": ["FRA"] * 4, "hs": ["811292"] * 4, "value_usd": [30.0, 70.0, 30.0, 70.0]})
    t = make_flow_table(f.astype({"month": "Int8"}))
    r = leverage(t, exporter="CHN", as_bloc="EU27")
    assert r.meta["period"] == "month" and r.meta["periods"] == ["2020-01", "2020-02"]
    imps = r.table("importers").set_index("month")
    assert imps.loc[1, "importer"] == "EU27" and imps.loc[1, "exporter_share"] == 1.0  # GBR inside: intra-EU
    assert imps.loc[2, "exporter_share"] == pytest.approx(0.3)


def test_mixed_annual_and_monthly_rows_are_refused():
    f = pd.DataFrame({"year": [2020, 2020], "month": [1, None], "exporter": ["CHN", "CHN"], "importer": ["FRA", "FRA"],
                      "hs": ["811292"] * 2, "value_usd": [1.0, 2.0]})
    with pytest.raises(UsageError, match="mix"):
        leverage(make_flow_table(f.astype({"month": "Int8"})), exporter="CHN")
