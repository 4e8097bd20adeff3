"""Property tests: invariants of the concentration measures and of the full indicator frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scrisk.metrics.composite import chokepoint_score
from scrisk.metrics.concentration import hhi, import_concentration, supplier_shares, world_export_concentration
from scrisk.metrics.indicators import indicators
from scrisk.schema import BASE_COLUMNS, complete_flows

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])  # whole-frame runs

values = st.lists(st.floats(min_value=1e-3, max_value=1e12, allow_nan=False, allow_infinity=False),
                  min_size=1, max_size=30)
CODES = ["CHN", "JPN", "USA", "DEU", "KOR", "TWN", "BRA"]


@st.composite
def flow_frames(draw, max_rows=40):
    """Canonical frames with unique keys, a few importers, products and years."""
    keys = draw(st.sets(
        st.tuples(st.sampled_from([2022, 2023, 2024]), st.sampled_from(CODES), st.sampled_from(CODES),
                  st.sampled_from(["811292", "283691", "850511"])),
        min_size=1, max_size=max_rows,
    ))
    keys = sorted(k for k in keys if k[1] != k[2]) or [(2024, "CHN", "KOR", "811292")]
    vals = draw(st.lists(st.floats(min_value=1.0, max_value=1e10, allow_nan=False), min_size=len(keys),
                         max_size=len(keys)))
    rows = [(*k, v, np.nan) for k, v in zip(keys, vals)]
    return complete_flows(pd.DataFrame(rows, columns=list(BASE_COLUMNS)))


@SETTINGS
@given(values)
def test_hhi_in_unit_interval(v):
    h = hhi(v)
    assert 0 < h <= 1 + 1e-12
    assert h >= 1 / len(v) - 1e-12


@SETTINGS
@given(st.floats(min_value=1e-6, max_value=1e12))
def test_hhi_one_supplier_is_one(x):
    assert hhi([x]) == pytest.approx(1.0)
    assert hhi([x, 0.0, 0.0]) == pytest.approx(1.0)


@SETTINGS
@given(values, st.data())
def test_merging_two_suppliers_never_lowers_hhi(v, data):
    if len(v) < 2:
        return
    i, j = data.draw(st.lists(st.integers(0, len(v) - 1), min_size=2, max_size=2, unique=True))
    merged = [x for k, x in enumerate(v) if k not in (i, j)] + [v[i] + v[j]]
    assert hhi(merged) >= hhi(v) - 1e-12


@SETTINGS
@given(flow_frames())
def test_supplier_shares_sum_to_one(f):
    r = f.iloc[0]
    s = supplier_shares(f, importer=r["importer"], hs=r["hs"], year=int(r["year"]))
    assert s.sum() == pytest.approx(1.0)
    assert list(s) == sorted(s, reverse=True)


@SLOW
@given(flow_frames(), st.randoms(use_true_random=False))
def test_row_order_never_changes_the_result(f, rnd):
    idx = list(range(len(f)))
    rnd.shuffle(idx)
    g = f.iloc[idx].reset_index(drop=True)
    pd.testing.assert_frame_equal(import_concentration(f), import_concentration(g))
    pd.testing.assert_frame_equal(world_export_concentration(f), world_export_concentration(g))
    a = indicators(f, min_import_usd=0.0, screen=True, friendly=["JPN", "USA"], wgi={"CHN": 5.7, "JPN": 2.4})
    b = indicators(g, min_import_usd=0.0, screen=True, friendly=["JPN", "USA"], wgi={"CHN": 5.7, "JPN": 2.4})
    pd.testing.assert_frame_equal(a, b)


@SLOW
@given(flow_frames())
def test_indicator_invariants(f):
    ind = indicators(f, min_import_usd=0.0, friendly=["JPN"], wgi={"CHN": 10.0, "JPN": 0.0, "USA": 2.0})
    assert ((ind["hhi"] > 0) & (ind["hhi"] <= 1 + 1e-12)).all()
    assert (ind["top_share"] ** 2 <= ind["hhi"] + 1e-12).all()  # the top share alone bounds HHI from below
    assert (ind["hhi"] <= ind["top_share"] + 1e-12).all()
    assert ((ind["effective_suppliers"] >= 1 - 1e-9) & (ind["effective_suppliers"] <= ind["n_suppliers"] + 1e-9)).all()
    assert ((ind["score"] >= 0) & (ind["score"] <= 1)).all()
    assert ((ind["friendly_share"] >= 0) & (ind["friendly_share"] <= 1 + 1e-12)).all()
    # hhi_wgi <= hhi (WGI/10 <= 1); missing only when no supplier is scored
    ok = ind["hhi_wgi"].notna()
    assert (ind.loc[ok, "hhi_wgi"] <= ind.loc[ok, "hhi"] + 1e-12).all()
    assert (ind.loc[~ok, "wgi_coverage"] == 0).all()
    # world side: every importer's imports are part of world exports
    assert (ind["import_value_usd"] <= ind["world_export_value_usd"] * (1 + 1e-12)).all()
    assert ((ind["top_supplier_world_share"] > 0) & (ind["top_supplier_world_share"] <= 1 + 1e-12)).all()


@SETTINGS
@given(st.lists(st.tuples(*[st.floats(0, 1)] * 4), min_size=1, max_size=20))
def test_score_in_unit_interval_and_monotone(terms):
    f = pd.DataFrame(terms, columns=["hhi", "top_share", "world_export_hhi", "top_supplier_world_share"])
    s = chokepoint_score(f)
    assert ((s >= 0) & (s <= 1)).all()
    higher = chokepoint_score(f.assign(world_export_hhi=np.minimum(f["world_export_hhi"] + 0.1, 1.0)))
    assert (higher >= s - 1e-12).all()
