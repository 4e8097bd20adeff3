"""Acceptance: the destination-HHI tables of cn-critmin-comtrade-monthly reproduced from its deep_dive file, read
natively by scrisk's reader (one country's exports by named partner, monthly dates) and run through
``scrisk leverage`` per month."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "cli"))
from cli_helpers import run  # noqa: E402

from scrisk.io import ReadOptions, read_flows  # noqa: E402
from scrisk.lenses import leverage  # noqa: E402


def _files(realdata):
    folder = realdata / "cn-critmin-comtrade-monthly"
    if not (folder / "deep_dive_hs6_monthly.csv").exists():
        pytest.skip("cn-critmin-comtrade-monthly not present")
    return folder / "deep_dive_hs6_monthly.csv", folder / "concentration_destination_hhi.csv"


def _author(table, group):
    t = pd.read_csv(table)
    t = t[t.broad_group == group]
    when = pd.to_datetime(t.period_dt)
    return t.assign(year=when.dt.year, month=when.dt.month).set_index(["year", "month"])["sq"]


def test_graphite_destination_hhi_table_reproduced(realdata):
    """Graphite = 250410 + 380110 as one product: all 96 months equal the author's table."""
    deep, table = _files(realdata)
    flows = read_flows([deep], ReadOptions(exporter="CHN"))
    r = leverage(flows, exporter="CHN", hs="250410,380110", combine=True)
    assert r.meta["period"] == "month" and len(r.meta["periods"]) == 96
    got = r.to_pandas().astype({"year": "int64", "month": "int64"}).set_index(["year", "month"])["destination_hhi"]
    want = _author(table, "Graphite")
    assert len(want) == 96 and set(got.index) == set(want.index)
    assert (got.loc[want.index] - want).abs().max() < 1e-12


def test_per_product_monthly_destination_hhi_equals_pandas(realdata):
    """811292 per month (the Gallium/Germanium table also holds codes absent from the deep_dive file)."""
    deep, _ = _files(realdata)
    r = leverage(read_flows([deep], ReadOptions(exporter="CHN")), exporter="CHN", hs="811292")
    got = r.to_pandas().astype({"year": "int64", "month": "int64"}).set_index(["year", "month"])["destination_hhi"]
    raw = pd.read_csv(deep, dtype={"hs6": str})
    raw = raw[(raw.hs6 == "811292") & (raw.val > 0)]
    when = pd.to_datetime(raw.period_dt)
    raw = raw.assign(year=when.dt.year, month=when.dt.month)
    v = raw.groupby(["year", "month", "partner_name"]).val.sum()
    s = v / v.groupby(level=["year", "month"]).transform("sum")
    want = (s ** 2).groupby(level=["year", "month"]).sum()
    assert set(got.index) == set(want.index)
    assert (got.loc[want.index] - want).abs().max() < 1e-12


def test_cli_leverage_monthly_json(monkeypatch, capsys, realdata):
    deep, table = _files(realdata)
    code, out, _ = run(monkeypatch, capsys, "leverage", str(deep), "--exporter", "CHN", "--hs", "250410,380110",
                       "--combine", "--year", "2024", "--format", "json")
    assert code == 0
    rows = json.loads(out)["rows"]
    want = _author(table, "Graphite").loc[2024]
    assert [r["month"] for r in rows] == list(range(1, 13))
    assert all(abs(r["destination_hhi"] - want[r["month"]]) < 1e-12 for r in rows)
