"""Issue 9 reader problems on the real files in ../shared/realdata, checked against independent pandas computations.

Each test is one problem of the issue's "Why" list that lives in the readers (skipped cleanly without the data).
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from scrisk.countries import CountryTable
from scrisk.errors import UsageError
from scrisk.io import ReadOptions, read_flows


def _file(realdata, *parts):
    p = realdata.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"{p} not present")
    return p


def _accounting(t):
    assert t.report.rows_accepted + t.report.rows_rejected == t.report.rows_read
    t.report.check()


def test_china_monthly_exports_by_named_partner(realdata):
    """cn-critmin-comtrade-monthly: one country's exports, English partner names, monthly ISO dates."""
    p = _file(realdata, "cn-critmin-comtrade-monthly", "deep_dive_hs6_monthly.csv")
    t = read_flows([p], ReadOptions(exporter="CHN"))
    raw = pd.read_csv(p)
    assert t.report.rows_read == len(raw) == t.report.rows_accepted  # every partner name mapped
    _accounting(t)
    f = t.frame
    raw["year"] = raw["period_dt"].str[:4].astype(int)
    raw["month"] = raw["period_dt"].str[5:7].astype(int)
    # SOURCE.md: 811292 to the 39 partners in 2024 = 396.1 M USD
    got = f[(f.year == 2024) & (f.hs == "811292")]["value_usd"].sum()
    want = raw[(raw.year == 2024) & (raw.hs6 == 811292)]["val"].sum()
    assert got == pytest.approx(want) and round(want / 1e6, 1) == 396.1
    # never only the first month of a year: the USA's 380110 in 2024, all twelve months
    usa = f[(f.year == 2024) & (f.hs == "380110") & (f.importer == "USA")]
    want_usa = raw[(raw.year == 2024) & (raw.hs6 == 380110) & (raw.partner_name == "USA")]
    assert sorted(usa["month"].tolist()) == sorted(want_usa["month"].tolist())
    assert usa["value_usd"].sum() == pytest.approx(want_usa["val"].sum())
    by_month = f.groupby(["year", "month"])["value_usd"].sum()
    want_month = raw.groupby(["year", "month"])["val"].sum()
    assert np.allclose(by_month.to_numpy(), want_month.to_numpy())
    assert set(f["importer"]) >= {"KOR", "USA", "TWN", "ARE", "HKG", "VNM", "TUR", "CZE"}


def test_china_monthly_file_without_exporter_says_what_to_pass(realdata):
    p = _file(realdata, "cn-critmin-comtrade-monthly", "deep_dive_hs6_monthly.csv")
    with pytest.raises(UsageError, match="--exporter"):
        read_flows([p])


def test_flows_best_parquet_with_yyyymm_periods(atlas):
    p = _file(atlas, "flows_best.parquet")
    t = read_flows([p])
    raw = pd.read_parquet(p)
    assert t.report.rows_read == len(raw)
    _accounting(t)
    f = t.frame
    raw["year"] = raw["period"] // np.where(raw["period"] > 9999, 100, 1)
    raw["month"] = np.where(raw["period"] > 9999, raw["period"] % 100, 0)
    assert set(zip(f.year, f.month.fillna(0).astype(int))) <= set(zip(raw.year, raw.month))
    # independent: rows with two countries, first row per (period, exporter, importer, hs6) kept
    ok = raw[(raw.exporter != raw.importer) & raw.exporter.str.fullmatch("[A-Z]{3}") & raw.importer.str.fullmatch("[A-Z]{3}")]
    ok = ok.drop_duplicates(["period", "exporter", "importer", "hs6"], keep="first")
    want = ok.astype({"year": "int64", "month": "int64"}).groupby(["year", "month"])["value_usd"].sum()
    got = f.assign(month=f.month.fillna(0).astype(int)).groupby(["year", "month"])["value_usd"].sum()
    pd.testing.assert_series_equal(got, want, check_names=False, rtol=1e-9)
    assert {"2024", "2024-12", "2026-06"} <= set(t.meta.periods)


def _comtrade_pandas(path, year):
    """Independent read of a trimmed Comtrade file: max row per reported key, M and X oriented."""
    raw = pd.read_csv(path, dtype={"cmd": str})
    raw = raw[raw["flow"].isin(["M", "X"]) & raw["cmd"].str.fullmatch(r"\d{6}")]
    raw = raw.sort_values("value", ascending=False, kind="stable").drop_duplicates(
        ["reporter", "partner", "cmd", "flow"], keep="first")
    table = CountryTable.bundled()
    iso = table.numeric_to_iso3(pd.Series(pd.concat([raw.reporter, raw.partner]).unique()))
    codes = dict(zip(pd.concat([raw.reporter, raw.partner]).unique(), iso))
    codes[490] = "TWN"
    raw["r"] = raw["reporter"].map(codes)
    raw["p"] = raw["partner"].map(codes)
    kinds = table.kind_of(pd.Series(pd.concat([raw.r, raw.p]).dropna().unique()))
    kind = dict(zip(pd.concat([raw.r, raw.p]).dropna().unique(), kinds))
    raw = raw[raw.r.notna() & raw.p.notna() & (raw.r != raw.p)]
    raw = raw[(raw.r.map(kind) != "aggregate") & (raw.p.map(kind) != "aggregate")]
    raw["exporter"] = np.where(raw.flow == "M", raw.p, raw.r)
    raw["importer"] = np.where(raw.flow == "M", raw.r, raw.p)
    m = raw[raw.flow == "M"][["exporter", "importer", "cmd", "value"]]
    x = raw[raw.flow == "X"][["exporter", "importer", "cmd", "value"]]
    return m.merge(x, on=["exporter", "importer", "cmd"], suffixes=("_m", "_x"))


def test_mirror_gaps_on_comtrade_2024_equal_pandas(atlas):
    p = _file(atlas, "comtrade_2024.csv.gz")
    t = read_flows([p])
    _accounting(t)
    both = _comtrade_pandas(p, 2024)
    m = t.meta.mirror
    assert m.counts["both"] == len(both)
    flows = m.flows.rename(columns={"hs": "cmd"}).merge(both, on=["exporter", "importer", "cmd"], how="outer", indicator=True)
    assert (flows["_merge"] == "both").all()
    assert np.allclose(flows["importer_value_usd"], flows["value_m"]) and np.allclose(flows["exporter_value_usd"], flows["value_x"])
    pair = both.groupby(["exporter", "importer"])[["value_m", "value_x"]].sum()
    got = m.by_pair.set_index(["exporter", "importer"])
    assert np.allclose(got.loc[pair.index, "gap_usd"], pair.value_m - pair.value_x)
    prod = both.groupby("cmd")[["value_m", "value_x"]].sum()
    gp = m.by_product.set_index("hs")
    assert np.allclose(gp.loc[prod.index, "gap_usd"], prod.value_m - prod.value_x)
    # the case: the USA reports $53.3M of 811292 imports from China, China $9.6M of exports to the USA
    row = got.loc[("CHN", "USA")]
    us = m.flows[(m.flows.exporter == "CHN") & (m.flows.importer == "USA") & (m.flows.hs == "811292")].iloc[0]
    assert round(us.importer_value_usd / 1e6, 1) == 53.3 and round(us.exporter_value_usd / 1e6, 1) == 9.6
    assert row["flows"] >= 1
    # the importer's value is the one used
    used = t.frame[(t.frame.exporter == "CHN") & (t.frame.importer == "USA") & (t.frame.hs == "811292")]["value_usd"]
    assert used.tolist() == [us.importer_value_usd]


def test_sme_world_file_feeds_world_totals_only(realdata):
    p = _file(realdata, "comtrade-sme-world", "comtrade 2021-08-16.csv")
    t = read_flows([p])
    _accounting(t)
    assert len(t) == 0  # no fake bilateral flows
    raw = pd.read_csv(p, dtype={"Commodity Code": str})
    world = raw[raw["Partner Code"].eq(0) & raw["Trade Flow Code"].isin([1, 2])]
    w = t.meta.world_totals
    assert len(w) == len(world) == t.report.reasons["reporter-to-World total"]
    # SOURCE.md: 2019 exports of 848620 by 63 reporters, 42.83 bn USD
    x = w[(w.year == 2019) & (w.flow == "export") & (w.hs == "848620")]
    want = world[(world.Year == 2019) & (world["Trade Flow Code"] == 2) & (world["Commodity Code"] == "848620")]
    assert x["value_usd"].sum() == pytest.approx(want["Trade Value (US$)"].sum())
    assert len(x) == 63 and round(x["value_usd"].sum() / 1e9, 2) == 42.83
    assert set(w["hs_revision"].dropna()) <= {"HS2002", "HS2007", "HS2012", "HS2017"}


def test_two_baci_extracts_without_year_column(atlas, tmp_path):
    """baci_2022.csv and baci_2024.csv (i,j,cmd,value; no year column): never mixed into one year."""
    a, b = _file(atlas, "baci_2022.csv"), _file(atlas, "baci_2024.csv")
    t = read_flows([a, b], ReadOptions(years=(2024,)))
    f = t.frame
    bel = f[(f.importer == "BEL") & (f.hs == "283691")]["value_usd"].sum()
    raw = pd.read_csv(b, dtype={"cmd": str})
    assert bel == pytest.approx(raw[(raw.j == "BEL") & (raw.cmd == "283691")]["value"].sum())
    assert round(bel / 1e6, 1) == 75.8 and t.years == (2024,)
    # the same files under names without a year, with one --year: refused, not silently stamped 2024
    x, y = tmp_path / "old.csv", tmp_path / "new.csv"
    shutil.copy(a, x)
    shutil.copy(b, y)
    with pytest.raises(UsageError, match="mix their years"):
        read_flows([x, y], ReadOptions(years=(2024,)))
    per_file = read_flows([x, y], ReadOptions(file_years={"old.csv": 2022, "new.csv": 2024}))
    assert per_file.years == (2022, 2024)


def test_comtrade_api_files_carry_their_revision_per_row(realdata):
    files = sorted(_file(realdata, "comtrade-us-critmin-api").glob("*_trade_data.csv"))
    assert len(files) == 8
    for p in files:
        t = read_flows([p])
        _accounting(t)
        raw = pd.read_csv(p, dtype=str)
        revs = set(t.frame["hs_revision"].dropna()) | set(t.meta.world_totals["hs_revision"].dropna()
                                                           if t.meta.world_totals is not None else [])
        want = {{"H5": "HS2017", "H6": "HS2022", "H4": "HS2012"}.get(c) for c in raw["classificationCode"].unique()}
        assert revs <= want
        assert revs or (len(t) == 0 and (t.meta.world_totals is None or not len(t.meta.world_totals)))


def test_zaf_afg_baci_file_stays_on_the_fast_path(realdata):
    p = _file(realdata, "baci-hs17-2020-zaf-afg-exports", "ExampleTradeData.csv")
    t = read_flows([p])
    assert not t.in_memory  # plain BACI is not routed through slow code
    raw = pd.read_csv(p)
    assert len(t) == len(raw) and t.frame["value_usd"].sum() == pytest.approx(raw["v"].sum() * 1000)
    assert set(t.frame["hs_revision"]) == {"HS2017"} or t.frame["hs_revision"].isna().all()


def test_names_table_has_korean_and_japanese_names_of_the_named_partners(realdata):
    """Every partner named in the real files has an English, a Korean and a Japanese name in the bundled table."""
    import csv

    from scrisk.io.names import names_to_iso3
    from scrisk.resources import package_data

    p = _file(realdata, "cn-critmin-comtrade-monthly", "deep_dive_hs6_monthly.csv")
    partners = pd.read_csv(p)["partner_name"].unique()
    iso = set(names_to_iso3(pd.Series(partners)))
    assert pd.NA not in iso and len(iso) == len(partners)
    with open(package_data("country_names.csv"), encoding="utf-8") as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    for lang in ("ko", "ja"):
        have = {r["iso3"] for r in rows if r["lang"] == lang}
        assert iso <= have, (lang, sorted(iso - have))
        names = [r["name"] for r in rows if r["lang"] == lang and r["iso3"] in iso]
        assert set(names_to_iso3(pd.Series(names))) <= iso


def _only_hs2022() -> set[str]:
    """HS2022 codes in no older revision, read again from the shipped UNSD tables."""
    import gzip
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "src" / "scrisk" / "data" / "hs_correlation"
    new, old = set(), set()
    for f in folder.glob("*.csv.gz"):
        with gzip.open(f, "rt") as fh:
            head = fh.readline().strip().split(",")
            pairs = [ln.strip().split(",") for ln in fh if ln.strip()]
        for a, b in pairs:
            (new if head[0] == "HS2022" else old).add(a)
            old.add(b)
    return new - old


def test_comtrade_2024_revision_inferred_per_reporter_equals_pandas(atlas):
    """comtrade_2024.csv.gz has no classification column: the 37 reporters that report HS2022-only 811231 are HS2022."""
    p = _file(atlas, "comtrade_2024.csv.gz")
    t = read_flows([p])
    raw = pd.read_csv(p, dtype={"cmd": str, "reporter": str})
    only = _only_hs2022()
    want = set(raw.loc[raw["cmd"].isin(only), "reporter"])
    inf = t.meta.hs_inference
    assert inf["counts"]["HS2022"] == len(want) == 37 and "HS2017" not in inf["counts"]
    assert inf["counts"]["undetermined"] == raw["reporter"].nunique() - 37
    table = CountryTable.bundled()
    codes = sorted(want)
    iso = {c: ("TWN" if c == "490" else i) for c, i in zip(codes, table.numeric_to_iso3(pd.Series(codes)))}
    assert {r["reporter"] for r in inf["reporter_years"] if r["revision"] == "HS2022"} == set(iso.values())
    assert all(set(r["evidence"]) == {"HS2022"} and set(r["evidence"]["HS2022"]) <= only
               for r in inf["reporter_years"] if r["revision"])
    # rows carry HS2022 or nothing, and an HS2022 row has one of those reporters on one side
    f = t.frame
    hs22 = f["hs_revision"].eq("HS2022").fillna(False).to_numpy()
    assert (f.loc[hs22, ["exporter", "importer"]].isin(set(iso.values())).any(axis=1)).all()
    assert hs22.sum() + f["hs_revision"].isna().sum() == len(f) and hs22.any()
