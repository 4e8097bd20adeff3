"""Chokepoints: hand-worked fixtures and BACI 2022/2024 against independent pandas computations."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pandas as pd
import pytest

from scrisk.chokepoints import chokepoints
from scrisk.errors import UsageError
from scrisk.production.readers import read_production, read_production_tidy
from scrisk.schema import make_flow_table

sys.path.insert(0, str(Path(__file__).resolve().parent / "metrics"))


def flows(rows):
    return make_flow_table(pd.DataFrame(rows, columns=["year", "exporter", "importer", "hs", "value_usd"]))


def test_hand_worked_world_side_and_dependents():
    # world exports of 811292: CHN 60 (to KOR 40, USA 20), JPN 30 (to USA), DEU 10 (to KOR)
    t = flows([(2024, "CHN", "KOR", "811292", 40.0), (2024, "CHN", "USA", "811292", 20.0),
               (2024, "JPN", "USA", "811292", 30.0), (2024, "DEU", "KOR", "811292", 10.0),
               (2024, "CHN", "FRA", "811292", 9.0), (2024, "DEU", "FRA", "811292", 1.0)])
    r = chokepoints(t).to_pandas().iloc[0]
    total = 110.0
    assert r.world_export_value_usd == total and r.n_exporters == 3 and r.world_top_exporter == "CHN"
    assert r.world_top_exporter_share == pytest.approx(69 / total)
    assert r.world_export_hhi == pytest.approx((69 / total) ** 2 + (30 / total) ** 2 + (11 / total) ** 2)
    # importers' shares from CHN: KOR 0.8, USA 0.4, FRA 0.9
    assert (r.n_importers, r.importers_top_ge_50, r.importers_top_ge_75, r.importers_top_ge_90) == (3, 2, 2, 1)
    # a minimum import value leaves small importers out of the counts
    r = chokepoints(t, min_import_usd=20.0).to_pandas().iloc[0]
    assert (r.importers_top_ge_50, r.importers_top_ge_90) == (1, 0)


def test_one_row_per_product_ranked_and_year():
    t = flows([(2022, "CHN", "KOR", "811292", 1.0), (2024, "CHN", "KOR", "811292", 1.0),
               (2024, "CHN", "KOR", "370790", 1.0), (2024, "JPN", "KOR", "370790", 3.0)])
    res = chokepoints(t)
    d = res.to_pandas()
    assert d["hs"].tolist() == ["811292", "370790"] and d["rank"].tolist() == [1, 2] and set(d["year"]) == {2024}
    assert res.meta["analysis_year"] == 2024
    assert chokepoints(t, year=2022).to_pandas()["hs"].tolist() == ["811292"]
    with pytest.raises(UsageError, match="not in the data"):
        chokepoints(t, year=2023)
    with pytest.raises(UsageError, match="needs --production"):
        chokepoints(t, sort="production")


def test_production_joined_by_basket():
    t = flows([(2024, "CHN", "KOR", "811292", 9.0), (2024, "JPN", "KOR", "811292", 1.0)])
    prod = read_production_tidy(io.StringIO("country,commodity,stage,year,quantity\nCHN,gallium,refinery,2023,90\n"
                                            "RUS,gallium,refinery,2023,10\n"))
    res = chokepoints(t, production=prod)
    r = res.to_pandas().iloc[0]
    assert (r.production_material, r.production_stage, r.production_year) == ("gallium", "refinery", 2023)
    assert r.top_producer == "CHN" and r.top_producer_share == pytest.approx(0.9)
    assert r.production_hhi == pytest.approx(0.82)
    assert res.meta["notes"] == ["no 2024 production data: 2023 production used for 1 product(s)"]


def _pandas_chokepoints(raw: pd.DataFrame) -> pd.DataFrame:
    """Independent computation per product from the raw BACI rows i, j, cmd, value."""
    out = []
    for hs, g in raw.groupby("cmd"):
        x = g.groupby("i")["value"].sum()
        share = x / x.sum()
        top = sorted(x.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        m = g.groupby("j")["value"].sum()
        mt = g[g["i"] == top].groupby("j")["value"].sum().reindex(m.index, fill_value=0.0)
        s = mt / m
        out.append({"hs": hs, "world_export_value_usd": x.sum(), "n_exporters": len(x), "world_top_exporter": top,
                    "world_top_exporter_share": share[top], "world_export_hhi": float((share ** 2).sum()),
                    "n_importers": len(m), "ge50": int((s >= 0.5).sum()), "ge75": int((s >= 0.75).sum()),
                    "ge90": int((s >= 0.9).sum())})
    return pd.DataFrame(out).set_index("hs")


@pytest.mark.parametrize("year", [2022, 2024])
def test_realdata_baci_against_pandas(atlas, year):
    from atlas import atlas_table, raw_atlas

    raw = raw_atlas(atlas, year)
    raw = raw[raw["value"] > 0].assign(i=lambda d: d["i"].replace({"S19": "TWN"}),
                                       j=lambda d: d["j"].replace({"S19": "TWN"}), cmd=lambda d: d["cmd"].str.zfill(6))
    want = _pandas_chokepoints(raw)
    got = chokepoints(atlas_table(atlas, years=(2022, 2024)), year=year).to_pandas().set_index("hs")
    assert sorted(got.index) == sorted(want.index)
    got = got.loc[want.index]
    assert (got["world_top_exporter"] == want["world_top_exporter"]).all()
    assert (got["n_exporters"] == want["n_exporters"]).all() and (got["n_importers"] == want["n_importers"]).all()
    for a, b in (("world_export_value_usd", "world_export_value_usd"), ("world_export_hhi", "world_export_hhi"),
                 ("world_top_exporter_share", "world_top_exporter_share")):
        assert got[a].to_numpy() == pytest.approx(want[b].to_numpy(), rel=1e-9)
    for n in (50, 75, 90):
        assert (got[f"importers_top_ge_{n}"] == want[f"ge{n}"]).all()


def test_realdata_baci_2024_with_usgs_production(atlas, realdata):
    from atlas import atlas_table

    prod = read_production(realdata / "usgs-mcs" / "mcs2024")
    got = chokepoints(atlas_table(atlas, years=(2024,)), production=prod).to_pandas().set_index("hs")
    ga = got.loc["811292"]
    assert (ga.production_material, ga.production_year, ga.top_producer) == ("gallium", 2023, "CHN")
    assert ga.top_producer_share == pytest.approx(600 / 610)
