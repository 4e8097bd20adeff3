"""The shock engine on the real BACI 2024 network (30 critical-material codes): China cuts HS 811292.

Expected figures are computed independently with pandas from the raw file.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scrisk.scenario import run_scenario, scenario_from_options
from scrisk.scenario.engine import propagate
from scrisk.schema import FlowMeta, make_flow_table

HEADROOMS = [0.0, 0.05, 0.10, 0.25, 0.5, 1.0, 3.0]


@pytest.fixture(scope="module")
def raw(atlas) -> pd.DataFrame:
    d = pd.read_csv(atlas / "baci_2024.csv", dtype={"cmd": str, "i": str, "j": str}, keep_default_na=False)
    return d.replace({"i": {"S19": "TWN"}, "j": {"S19": "TWN"}})


@pytest.fixture(scope="module")
def table(raw):
    frame = raw.rename(columns={"i": "exporter", "j": "importer", "cmd": "hs", "value": "value_usd"}).assign(year=2024)
    return make_flow_table(frame, meta=FlowMeta(source_format="baci", hs_revision="HS2017", inputs=("baci_2024.csv",)))


@pytest.fixture(scope="module")
def china_gallium():
    return scenario_from_options(exporters="CHN", hs="811292")


def test_none_mode_direct_loss_is_each_importers_imports_from_china(raw, table, china_gallium):
    r = run_scenario(table, china_gallium, mode="none")
    china = raw[(raw["i"] == "CHN") & (raw["cmd"] == "811292")]
    expected = china.groupby("j")["value"].sum()
    got = r.rows.set_index("importer")
    hit = got[got["direct_loss_usd"] > 0]
    assert set(hit.index) == set(expected.index)
    for imp, v in expected.items():
        assert float(got.loc[imp, "direct_loss_usd"]) == pytest.approx(float(v), rel=1e-12)
        assert float(got.loc[imp, "shortfall_usd"]) == pytest.approx(float(v), rel=1e-12)
    assert r.totals["blocked_usd"] == pytest.approx(float(china["value"].sum()), rel=1e-12)
    assert r.totals["shortfall_usd"] == pytest.approx(float(china["value"].sum()), rel=1e-12)
    # baseline = every importer's imports of 811292 from anyone
    imports = raw[raw["cmd"] == "811292"].groupby("j")["value"].sum()
    assert got["baseline_usd"].to_dict() == pytest.approx(imports.to_dict())
    assert r.meta["iterations"] == 0 and r.meta["conservation_error"] == 0.0


@pytest.mark.parametrize("headroom, months", [(0.10, 0.0), (0.5, 2.0), (0.0, 0.0)])
def test_cascade_conserves_and_bounds_every_row(raw, table, china_gallium, headroom, months):
    r = run_scenario(table, china_gallium, headroom=headroom, stock_months=months)
    rows = r.rows
    loss = rows["direct_loss_usd"] + rows["indirect_loss_usd"]
    resid = loss - rows["substituted_usd"] - rows["stock_drawn_usd"] - rows["passed_on_usd"] - rows["shortfall_usd"]
    blocked = float(raw[(raw["i"] == "CHN") & (raw["cmd"] == "811292")]["value"].sum())
    assert float(resid.abs().max()) <= 1e-9 * blocked
    assert r.meta["conservation_error"] <= 1e-9
    t = r.totals
    assert t["blocked_usd"] == pytest.approx(blocked, rel=1e-12)
    assert t["shortfall_usd"] + t["substituted_usd"] + t["stock_drawn_usd"] == pytest.approx(blocked, rel=1e-9)
    assert t["indirect_loss_usd"] == pytest.approx(t["passed_on_usd"], rel=1e-9)
    assert (rows["shortfall_usd"] >= 0).all()
    assert (rows["shortfall_usd"] <= loss * (1 + 1e-12)).all()
    assert (loss <= rows["baseline_usd"] * (1 + 1e-9)).all()
    if headroom == 0.0:
        assert t["substituted_usd"] == 0.0
    else:
        assert t["substituted_usd"] > 0 and r.meta["iterations"] >= 2


def test_total_shortfall_never_rises_when_headroom_rises(table, china_gallium):
    runs = [run_scenario(table, china_gallium, headroom=h) for h in HEADROOMS]
    totals = [r.totals["shortfall_usd"] for r in runs]
    blocked = runs[0].totals["blocked_usd"]
    for a, b in zip(totals, totals[1:]):
        assert b <= a + 1e-9 * blocked
    assert totals[-1] < totals[0]  # headroom matters on this network
    # and for every importer
    frames = [r.rows.set_index("importer")["shortfall_usd"].sort_index() for r in runs]
    for a, b in zip(frames, frames[1:]):
        assert (b <= a + 1e-9 * blocked).all()


def test_total_shortfall_never_falls_when_the_cut_deepens(table):
    totals = []
    for c in [0.0, 0.25, 0.5, 0.75, 1.0]:
        r = run_scenario(table, scenario_from_options(exporters="CHN", hs="811292", cut=c))
        totals.append(r.totals["shortfall_usd"])
        if c == 0.0:
            assert r.totals["blocked_usd"] == 0.0 and r.meta["iterations"] == 0
            assert (r.rows[["direct_loss_usd", "indirect_loss_usd", "shortfall_usd"]] == 0).all().all()
    assert all(b >= a - 1e-6 for a, b in zip(totals, totals[1:]))


def test_row_order_does_not_matter(table):
    f = table.frame[table.frame["hs"] == "811292"]
    cut = np.where(f["exporter"] == "CHN", 0.6, 0.0)
    a = propagate(f, cut)
    perm = np.random.default_rng(3).permutation(len(f))
    b = propagate(f.iloc[perm], cut[perm])
    pd.testing.assert_frame_equal(a.rows, b.rows, check_exact=True)


def test_all_thirty_products_at_once_equal_each_product_alone(table):
    f = table.frame
    cut = np.where(f["exporter"] == "CHN", 1.0, 0.0)
    together = propagate(f, cut)
    assert len(together.iterations) == f["hs"].nunique()
    assert together.conservation_error <= 1e-9
    for hs in ("811292", "850511", "250490"):
        sub = f["hs"] == hs
        alone = propagate(f[sub], cut[sub.to_numpy()])
        part = together.rows[together.rows["hs"] == hs].reset_index(drop=True)
        pd.testing.assert_frame_equal(part, alone.rows, rtol=1e-12)
        assert together.iterations[hs] == alone.iterations[hs]


def test_friend_shoring_uses_only_allied_suppliers(table, china_gallium):
    from scrisk.countries import expand_countries

    r = run_scenario(table, china_gallium, allies="G7")
    assert set(r.suppliers["exporter"]) <= set(expand_countries("G7"))
    assert r.meta["conservation_error"] <= 1e-9


# ---------------------------------------------------------------------------
# fsc mode on the real network


@pytest.mark.parametrize("months", [0.0, 3.0])
def test_fsc_on_real_data_conserves_and_keeps_the_restricting_country_whole(raw, table, china_gallium, months):
    r = run_scenario(table, china_gallium, mode="fsc", stock_months=months)
    rows = r.rows.set_index("country")
    china = raw[(raw["i"] == "CHN") & (raw["cmd"] == "811292")]["value"].sum()
    assert r.meta["unit"] == "usd" and r.meta["conservation_error"] <= 1e-9
    assert all(r.meta["converged_by_hs"].values())
    assert float(rows.loc["CHN", "restricted_kept"]) == pytest.approx(float(china), rel=1e-12)
    assert float(rows.loc["CHN", "shortage"]) <= 1.5e-8 * float(china) * 10
    # independent accounting from the output: blocked = consumption lost + reserves drawn - kept + kept
    t = r.totals
    assert t["consumption_loss"] + t["reserves_drawn"] == pytest.approx(t["restricted_kept"], rel=1e-9)
    # baseline imports and exports are the raw file's
    g = raw[raw["cmd"] == "811292"]
    assert rows["imports_before"].to_dict() == pytest.approx(
        g.groupby("j")["value"].sum().reindex(rows.index).fillna(0.0).to_dict())
    if months == 0.0:
        # no reserves: nobody but China holds any, and China cannot export more (its every link is cut)
        assert r.suppliers.empty
        assert (rows["exports_after"] <= rows["exports_before"] - rows["restricted_kept"] + 1e-6).all()
    else:
        assert not r.suppliers.empty and t["reserves_drawn"] > 0


def test_fsc_multi_year_on_real_data_draws_reserves_down(table, china_gallium):
    r = run_scenario(table, china_gallium, mode="fsc", stock_months=6, horizon=3)
    steps = {x["step"]: x for x in r.totals["by_step"]}
    assert steps[1]["consumption_loss"] <= steps[2]["consumption_loss"] <= steps[3]["consumption_loss"]
    assert r.meta["conservation_error"] <= 1e-9
