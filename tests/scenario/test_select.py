"""Shocks at scale: flows selected in the flow store, exporter-wide measures, and results equal to per-product runs.

The network is a generated BACI-layout year (benchmarks/generate.py: heavy-tailed, a few specialist exporters per
product), read through the fast path into the flow store's Parquet, as ``scrisk shock FILE`` reads it. Expected
figures come from plain pandas on the raw file, or from running each product alone.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scrisk.api import load_flows
from scrisk.io.options import ReadOptions
from scrisk.scenario import run_scenario, scenario_from_options
from scrisk.scenario.engine import CONSERVATION_LIMIT
from scrisk.scenario.select import downstream_exports, select_flows

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def baci(tmp_path_factory) -> Path:
    sys.path.insert(0, str(BENCH))
    try:
        import generate
    finally:
        sys.path.pop(0)
    d = tmp_path_factory.mktemp("wide")
    return generate.generate_file(d, 60_000, seed=11, years=(2024,), n_countries=60, n_products=120)


@pytest.fixture(scope="module")
def table(baci):
    t = load_flows([baci], ReadOptions())
    assert not t.in_memory  # the flow store's Parquet, as the CLI reads it
    return t


@pytest.fixture(scope="module")
def raw(baci) -> pd.DataFrame:
    """The raw file read with pandas, as an analyst would (ISO3 through the release table beside it)."""
    codes = pd.read_csv(baci.parent / "country_codes_V202601.csv", keep_default_na=False)
    iso = dict(zip(codes["country_code"], codes["country_iso3"].where(codes["country_iso3"] != "S19", "TWN")))
    d = pd.read_csv(baci, dtype={"k": str})
    return pd.DataFrame({"exporter": d["i"].map(iso), "importer": d["j"].map(iso), "hs": d["k"].str.zfill(6),
                         "value_usd": d["v"] * 1000})


@pytest.fixture(scope="module")
def wide(table):
    return run_scenario(table, scenario_from_options(exporters="CHN"))


def test_selection_is_the_year_and_prefixes_asked(table, raw):
    codes = sorted(raw["hs"].unique())
    ch, four, six = codes[0][:2], codes[len(codes) // 2][:4], codes[-1]  # a chapter, a heading, a subheading
    sel = select_flows(table, 2024, (ch, four, six))
    got = pd.DataFrame({"exporter": sel.codes.countries[sel.codes.exporter],
                        "importer": sel.codes.countries[sel.codes.importer],
                        "hs": sel.codes.products[sel.codes.product], "value_usd": sel.codes.value})
    want = raw[raw["hs"].str[:2].eq(ch) | raw["hs"].str[:4].eq(four) | raw["hs"].eq(six)]
    assert len(got) == len(want) > 0
    key = ["hs", "exporter", "importer"]
    a, b = got.sort_values(key).reset_index(drop=True), want.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a[key], b[key].astype(a[key].dtypes.to_dict()))
    np.testing.assert_allclose(a["value_usd"], b["value_usd"], rtol=1e-12)
    # sorted by product, exporter, importer (the engine's order), codes within their sorted lists
    k = (sel.codes.product.astype(np.int64) * len(sel.codes.countries) + sel.codes.exporter) \
        * len(sel.codes.countries) + sel.codes.importer
    assert (np.diff(k) > 0).all() and list(sel.codes.countries) == sorted(sel.codes.countries)
    everything = select_flows(table, 2024)
    assert len(everything) == len(raw) and len(select_flows(table, 2023)) == 0


def test_downstream_exports_sum_per_country_and_code(table, raw):
    ch = raw["hs"].str[:2].value_counts().index[0]
    got = downstream_exports(table, 2024, (ch,)).set_index(["importer", "downstream_hs"])["exports_usd"]
    want = raw[raw["hs"].str.startswith(ch)].groupby(["exporter", "hs"])["value_usd"].sum()
    assert len(got) == len(want) > 0
    np.testing.assert_allclose(got.sort_index().to_numpy(), want.sort_index().to_numpy(), rtol=1e-12)


def test_exporter_wide_first_order_equals_pandas(table, raw):
    r = run_scenario(table, scenario_from_options(exporters="CHN"), mode="none")
    assert r.meta["products"] == {"scope": "every product", "codes": raw["hs"].nunique(),
                                  "codes_restricted": raw.loc[raw["exporter"] == "CHN", "hs"].nunique()}
    assert any("every product" in n for n in r.meta["notes"]) and r.measures[0]["hs"] == ["*"]
    blocked = raw["value_usd"].where(raw["exporter"] == "CHN", 0.0)
    want = raw.assign(b=blocked).groupby(["importer", "hs"]).agg(base=("value_usd", "sum"), b=("b", "sum"))
    got = r.rows.set_index(["importer", "hs"]).sort_index()
    want = want.sort_index()
    assert len(got) == len(want)
    np.testing.assert_allclose(got["baseline_usd"], want["base"], rtol=1e-12)
    np.testing.assert_allclose(got["shortfall_usd"], want["b"], rtol=1e-12)
    assert r.totals["blocked_usd"] == pytest.approx(blocked.sum(), rel=1e-12)


def test_exporter_wide_cascade_equals_each_product_alone(table, wide):
    assert wide.meta["conservation_error"] <= CONSERVATION_LIMIT
    hit = sorted(wide.meta["iterations_by_hs"])
    assert len(hit) == wide.meta["products"]["codes_restricted"] > 50
    # a sample: the product blocking most, the one running the most rounds, and random ones
    by_blocked = wide.rows.groupby("hs")["direct_loss_usd"].sum().sort_values()
    rounds = pd.Series(wide.meta["iterations_by_hs"]).sort_values(kind="mergesort")
    rng = np.random.default_rng(5)
    sample = {by_blocked.index[-1], rounds.index[-1], *rng.choice(hit, size=6, replace=False)}
    for hs in sorted(sample):
        alone = run_scenario(table, scenario_from_options(exporters="CHN", hs=hs))
        part = wide.rows[wide.rows["hs"] == hs].sort_values("importer").reset_index(drop=True)
        one = alone.rows.sort_values("importer").reset_index(drop=True)
        pd.testing.assert_frame_equal(part.drop(columns="material"), one.drop(columns="material"), check_exact=True)
        assert wide.meta["iterations_by_hs"][hs] == alone.meta["iterations_by_hs"][hs]
        sup = wide.suppliers[wide.suppliers["hs"] == hs].reset_index(drop=True)
        pd.testing.assert_frame_equal(sup, alone.suppliers.reset_index(drop=True), check_exact=True)


def test_every_code_listed_equals_exporter_wide(table, raw, wide):
    codes = sorted(raw["hs"].unique())
    listed = run_scenario(table, scenario_from_options(exporters="CHN", hs=codes))
    assert listed.meta["products"]["scope"] == "named"
    pd.testing.assert_frame_equal(listed.rows, wide.rows, check_exact=True)
    assert listed.totals == wide.totals
    chapters = run_scenario(table, scenario_from_options(exporters="CHN", hs=sorted({c[:2] for c in codes})))
    pd.testing.assert_frame_equal(chapters.rows, wide.rows, check_exact=True)


def test_exporter_wide_identities_per_row(wide):
    r = wide.rows
    resid = (r["direct_loss_usd"] + r["indirect_loss_usd"] - r["substituted_usd"] - r["stock_drawn_usd"]
             - r["passed_on_usd"] - r["shortfall_usd"])
    assert np.isfinite(r[["shortfall_usd", "substituted_usd"]].to_numpy()).all()
    assert (resid.abs() <= 1e-9 * (r["direct_loss_usd"] + r["indirect_loss_usd"]).clip(lower=1e-6)).all()
    t = wide.totals
    assert t["blocked_usd"] == pytest.approx(t["shortfall_usd"] + t["substituted_usd"] + t["stock_drawn_usd"],
                                             rel=1e-9)
    assert t["indirect_loss_usd"] == pytest.approx(t["passed_on_usd"], rel=1e-9)
