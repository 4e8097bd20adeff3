"""Production concentration: hand-worked fixtures, the basket mapping, and real USGS/BGS figures against pandas."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from scrisk.production.concentration import map_to_baskets, production_concentration
from scrisk.production.readers import read_bgs_wms, read_production, read_production_tidy, read_usgs_mcs


def tidy(text: str):
    return read_production_tidy(io.StringIO("country,commodity,stage,year,quantity,unit\n" + text))


def test_hand_worked_hhi_top_and_remainder(tmp_path):
    # A 60, B 20, Other countries 20 (not one producer), world total 100 (a check only)
    p = tmp_path / "mcs2024-galli_world.csv"
    p.write_text("Source,Country,Type,Prod_t_2022,Prod_t_est_2023\n"
                 "MCS2024,China,Primary production,60,60\nMCS2024,Japan,Primary production,20,20\n"
                 "MCS2024,Other countries,Primary production,20,20\nMCS2024,World total (rounded),Primary production,100,100\n")
    r = production_concentration(read_usgs_mcs(p)).to_pandas()
    row = r[r["year"] == 2023].iloc[0]
    assert (row.material, row.stage, row.top_producer, row.n_producers) == ("gallium", "refinery", "CHN", 2)
    assert row.production_total == pytest.approx(100_000.0)  # kg
    assert row.top_producer_share == pytest.approx(0.6)
    assert row.production_hhi == pytest.approx(0.6 ** 2 + 0.2 ** 2)  # 0.40, the remainder left out
    assert row.other_share == pytest.approx(0.2)
    assert row.world_total_reported == pytest.approx(100_000.0)


def test_unmapped_name_is_its_own_producer_and_reported():
    d = tidy("CHN,cobalt,mine,2020,30,t\nAtlantis,cobalt,mine,2020,10,t\n")
    res = production_concentration(d)
    row = res.to_pandas().iloc[0]
    assert row.n_producers == 2 and row.unmapped_share == pytest.approx(0.25)
    assert row.production_hhi == pytest.approx(0.75 ** 2 + 0.25 ** 2)
    assert res.meta["production"]["unmapped_names"][0]["country_name"] == "Atlantis"


def test_hhi_wgi_t_hand_worked():
    # shares 0.8 / 0.2, WGI 6 and 2, t_c 1.5 for CHN: 0.64*6*1.5 + 0.04*2*1 = 5.84
    d = tidy("CHN,gallium,refinery,2023,80,t\nJPN,gallium,refinery,2023,20,t\n")
    row = production_concentration(d, wgi={"CHN": 6.0, "JPN": 2.0},
                                   trade_parameter={("gallium", "refinery", "CHN"): 1.5}).to_pandas().iloc[0]
    assert row.hhi_wgi_t == pytest.approx(5.84) and row.wgi_coverage == pytest.approx(1.0)


def test_latest_usgs_edition_wins(tmp_path):
    a = tmp_path / "mcs2023-galli_world.csv"
    a.write_text("Source,Country,Type,Prod_t_2021,Prod_t_est_2022\nMCS2023,China,Primary production,400,540\n")
    b = tmp_path / "mcs2024-galli_world.csv"
    b.write_text("Source,Country,Type,Prod_t_2022,Prod_t_est_2023\nMCS2024,China,Primary production,600,600\n")
    mapped, report = map_to_baskets(read_production([a, b]))
    y2022 = mapped[mapped["year"] == 2022]
    assert y2022["edition"].tolist() == ["MCS2024"] and y2022["quantity"].tolist() == [6e5]
    assert report["rows_superseded"] == 1


def test_usgs_file_with_several_types_needs_usgs_type(tmp_path):
    p = tmp_path / "mcs2024-cobal_world.csv"
    p.write_text("Source,Country,Type,Prod_t_2022,Prod_t_est_2023\nMCS2024,Congo (Kinshasa),Mine A,1,1\n"
                 "MCS2024,Zambia,Mine B,1,1\n")
    mapped, report = map_to_baskets(read_usgs_mcs(p))
    assert mapped.empty and report["ambiguous"][0]["material"] == "cobalt"


# -- real data --------------------------------------------------------------------------------------------------


def test_realdata_gallium_2023_china_share(realdata):
    """Acceptance: China's share of 2023 primary gallium in USGS MCS 2024 is 98.4 % (600 of 610 t), computed."""
    path = realdata / "usgs-mcs" / "mcs2024" / "mcs2024-galli_world.csv"
    row = production_concentration(read_production(path), material="gallium", years=[2023]).to_pandas().iloc[0]
    # independent pandas: the country rows of the file (all but the world total), est. 2023 column
    raw = pd.read_csv(path, encoding="utf-8-sig").dropna(how="all")
    raw = raw[~raw["Country"].str.startswith("World total")]
    q = pd.to_numeric(raw["Prod_kg_est_2023"].astype(str).str.replace(",", ""), errors="coerce")
    china = float(q[raw["Country"] == "China"].iloc[0])
    assert china == 600_000 and q.sum() == 610_000
    assert row.top_producer == "CHN"
    assert row.top_producer_share == pytest.approx(china / q.sum())
    assert round(row.top_producer_share * 100, 1) == 98.4
    assert row.production_hhi == pytest.approx(float(((q / q.sum()) ** 2).sum()))


def test_realdata_usgs_copper_refinery_against_pandas(realdata):
    path = realdata / "usgs-mcs" / "mcs2024" / "mcs2024-coppe_world.csv"
    row = production_concentration(read_production(path), material="copper", stage="refinery",
                                   years=[2023]).to_pandas().iloc[0]
    raw = pd.read_csv(path, encoding="utf-8-sig", dtype=str).dropna(how="all")
    raw = raw[raw["Type"].str.startswith("Refinery")]
    raw["q"] = pd.to_numeric(raw["Prod_kt_est_2023"].str.replace(",", "").str.strip()) * 1e6
    body = raw[~raw["Country"].str.startswith("World")]
    named = body[body["Country"] != "Other countries"]
    total = body["q"].sum()
    assert row.production_total == pytest.approx(total)
    assert row.top_producer == "CHN" and row.top_producer_share == pytest.approx(named["q"].max() / total)
    assert row.production_hhi == pytest.approx(float(((named["q"] / total) ** 2).sum()))
    assert row.other_share == pytest.approx(float(body.loc[body["Country"] == "Other countries", "q"].sum() / total))


def test_realdata_bgs_cobalt_refined_against_pandas(realdata):
    path = realdata / "bgs-wms" / "df_ukgs.csv.gz"
    res = production_concentration(read_bgs_wms(path), material="cobalt", stage="refinery", years=[2019])
    row = res.to_pandas().iloc[0]
    raw = pd.read_csv(path, sep=";", dtype={"value": float})
    sel = raw[(raw["commodity_desc"] == "cobalt refined") & (raw["Sub-commodity"].isna()) & (raw["year"] == 2019)]
    q = sel.groupby("Country")["value"].sum() * 1e3
    q = q[q > 0]
    assert row.production_total == pytest.approx(q.sum())
    assert row.n_producers == len(q)
    assert row.production_hhi == pytest.approx(float(((q / q.sum()) ** 2).sum()))
    assert row.top_producer == "CHN" and row.top_producer_share == pytest.approx(q["China"] / q.sum())


def test_shock_production_amounts_from_statistics(tmp_path):
    """The shock engine's production reader takes USGS / BGS / tidy statistics through the baskets."""
    from scrisk.scenario.production import read_amounts

    p = tmp_path / "mcs2024-galli_world.csv"
    p.write_text("Source,Country,Type,Prod_t_2022,Prod_t_est_2023\nMCS2024,China,Primary production,600,600\n"
                 "MCS2024,Japane,Primary production,3,W\nMCS2024,World total (rounded),Primary production,603,600\n")
    got = read_amounts(p)
    assert got.values.tolist() == [["CHN", "811292", 2022, 6e5, "kg"], ["CHN", "811292", 2023, 6e5, "kg"],
                                   ["JPN", "811292", 2022, 3e3, "kg"]]
    # the hs layout is read as before
    q = tmp_path / "amounts.csv"
    q.write_text("country,hs,year,quantity,unit\nCHN,811292,2024,750,t\n")
    assert read_amounts(q).values.tolist() == [["CHN", "811292", 2024, 750000.0, "kg"]]
