"""Periods: a year, a month or a rolling window selected in the store; figures against pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scrisk.analysis import analyze
from scrisk.engine.periods import parse_period, select_period
from scrisk.errors import UsageError
from scrisk.schema import FlowTable


def monthly(seed: int = 7) -> pd.DataFrame:
    """24 months (2023-01 .. 2024-12) of KOR and JPN imports of two products from four suppliers."""
    rng = np.random.default_rng(seed)
    rows = []
    for y in (2023, 2024):
        for m in range(1, 13):
            for imp in ("KOR", "JPN"):
                for exp in ("CHN", "USA", "DEU", "VNM"):
                    if exp == imp:
                        continue
                    for hs in ("811292", "850511"):
                        if rng.random() < 0.85:
                            rows.append((y, m, exp, imp, hs, float(rng.integers(1, 10_000)) * 1e3))
    f = pd.DataFrame(rows, columns=["year", "month", "exporter", "importer", "hs", "value_usd"])
    f["qty_kg"] = np.nan
    return f.astype({"month": "Int8", "exporter": "string", "importer": "string", "hs": "string"})


def table(f: pd.DataFrame) -> FlowTable:
    return FlowTable(frame=f)


def pandas_window(f: pd.DataFrame, months: list[tuple[int, int]]) -> pd.DataFrame:
    keys = set(months)
    w = f[[(int(y), int(m)) in keys for y, m in zip(f["year"], f["month"])]]
    g = w.groupby(["importer", "hs", "exporter"], as_index=False)["value_usd"].sum()
    tot = g.groupby(["importer", "hs"])["value_usd"].transform("sum")
    g["s"] = g["value_usd"] / tot
    out = g.groupby(["importer", "hs"]).agg(import_value_usd=("value_usd", "sum"), hhi=("s", lambda s: (s * s).sum()),
                                            top_share=("s", "max"), n_suppliers=("s", "size")).reset_index()
    world = g.groupby(["hs", "exporter"])["value_usd"].sum()
    wt = world.groupby("hs").sum()
    out["world_export_hhi"] = out["hs"].map(((world / world.groupby("hs").transform("sum")) ** 2).groupby("hs").sum())
    out["world_export_value_usd"] = out["hs"].map(wt)
    return out


def test_parse_and_shift():
    p = parse_period("2024-06", rolling=12)
    assert p.months[0] == (2023, 7) and p.months[-1] == (2024, 6) and len(p.months) == 12
    assert p.shift(-1).label == "2023-06..2024-05" and p.shift(-12).label == "2022-07..2023-06"
    assert parse_period("2024-01").shift(-1).label == "2023-12"
    with pytest.raises(UsageError, match="needs a month"):
        parse_period("2024", rolling=12)
    with pytest.raises(UsageError, match="not a period"):
        parse_period("June")


@pytest.mark.parametrize("period,rolling", [("2024-06", 12), ("2024-03", None), ("2024", None), ("2024-02", 3)])
def test_analyze_on_a_period_equals_pandas(period, rolling):
    f = monthly()
    p = parse_period(period, rolling=rolling)
    sel = select_period(table(f), p)
    assert sel.meta.period["label"] == p.label and sel.years == (p.year,)
    got = analyze(sel, min_import_usd=0).to_pandas().set_index(["importer", "hs"]).sort_index()
    want = pandas_window(f, p.months).set_index(["importer", "hs"]).sort_index()
    assert list(got.index) == list(want.index)
    for col in ("import_value_usd", "hhi", "top_share", "world_export_hhi", "world_export_value_usd"):
        assert got[col].to_numpy() == pytest.approx(want[col].to_numpy(), rel=1e-12), col
    assert (got["n_suppliers"].to_numpy() == want["n_suppliers"].to_numpy()).all()


def test_missing_months_are_stated_and_absent_periods_refused():
    f = monthly()
    f = f[~((f["year"] == 2024) & (f["month"].isin([2, 3])))]
    sel = select_period(table(f), parse_period("2024-06", rolling=12))
    assert sel.meta.period["months_missing"] == ["2024-02", "2024-03"]
    assert any("lacks 2 of its 12 months" in n for n in sel.meta.notes)
    with pytest.raises(UsageError, match="not in the data"):
        select_period(table(f), parse_period("2026-01"))
    annual = f.drop(columns="month").groupby(["year", "exporter", "importer", "hs"], as_index=False)["value_usd"].sum()
    with pytest.raises(UsageError, match="annual flows only"):
        select_period(FlowTable(frame=annual.assign(qty_kg=np.nan)), parse_period("2024-06"))


def test_rolling_12_months_on_real_monthly_data_equals_pandas(atlas):
    from scrisk.app import analyze_files
    from scrisk.io import read_flows
    from scrisk.io.options import ReadOptions

    path = atlas / "flows_best.parquet"
    raw = read_flows([path], ReadOptions()).frame
    f = raw[raw["month"].notna()].astype({"month": int})
    p = parse_period("2025-06", rolling=12)
    r = analyze_files([path], ReadOptions(period="2025-06", rolling=12), min_import_usd=0)
    d = r.to_dict()
    assert d["meta"]["period"]["label"] == "2024-07..2025-06" and d["meta"]["period"]["months_missing"] == []
    got = r.to_pandas().set_index(["importer", "hs"]).sort_index()
    want = pandas_window(f, p.months).set_index(["importer", "hs"]).sort_index()
    assert list(got.index) == list(want.index) and len(got) > 50
    for col in ("import_value_usd", "hhi", "top_share", "world_export_value_usd", "world_export_hhi"):
        assert got[col].to_numpy() == pytest.approx(want[col].to_numpy(), rel=1e-9), col
    # month on month: the window a month earlier, from the same file
    from scrisk.app import diff_files

    dd = diff_files([path], [path], ReadOptions(period="2025-06", rolling=12), compare="mom").to_dict()
    assert dd["meta"]["old"]["period"]["label"] == "2024-06..2025-05"
    assert dd["meta"]["new"]["period"]["label"] == "2024-07..2025-06"
