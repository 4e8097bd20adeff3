"""BACI release CSV: numeric codes, k padding, NA quantities, units, Taiwan, country tables."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pandas as pd
import pytest
from io_helpers import baci_line, frame_of, write_country_codes_v202201, write_country_codes_v202601

from scrisk.io import ReadOptions, detect_source, read_flows


def test_small_release_file_is_read_in_canonical_units(small_baci):
    t = read_flows([small_baci])
    f = frame_of(t).set_index(["exporter", "importer", "hs"])
    assert t.report.rows_read == 6 and t.report.rows_rejected == 0
    assert f.loc[("CHN", "KOR", "811292"), "value_usd"] == pytest.approx(900_500.0)
    assert f.loc[("CHN", "KOR", "811292"), "qty_kg"] == pytest.approx(10_000.0)
    # Taiwan 490 -> TWN, NA quantity -> NaN
    assert math.isnan(f.loc[("TWN", "KOR", "381800"), "qty_kg"])
    # Namibia's ISO2 "NA" does not turn into a missing value; k 71120 -> 071120
    assert f.loc[("NAM", "USA", "071120"), "value_usd"] == pytest.approx(2250.0)
    assert ("CHE", "AUS", "710812") in f.index
    assert t.meta.source_format == "baci"
    assert t.meta.hs_revision == "HS2017" and t.meta.release == "V202601"
    assert t.years == (2022,)
    assert detect_source(small_baci) == "baci"


def test_v202201_country_table_with_bom_quotes_and_taiwan_na(small_baci, tmp_path):
    d = tmp_path / "old"
    d.mkdir()
    shutil.copy(small_baci, d / "BACI_HS17_Y2022_V202201.csv")
    write_country_codes_v202201(d / "country_codes_V202201.csv")
    t = read_flows([d / "BACI_HS17_Y2022_V202201.csv"])
    assert t.report.rows_rejected == 0
    assert "TWN" in set(t.frame["exporter"])
    assert t.meta.release == "V202201"


def test_explicit_country_codes_option(small_baci, tmp_path):
    d = tmp_path / "alone"
    d.mkdir()
    p = d / "data.csv"
    shutil.copy(small_baci, p)
    cc = write_country_codes_v202601(tmp_path / "my_codes.csv")
    t = read_flows([p], ReadOptions(country_codes=cc))
    assert t.report.rows_rejected == 0
    assert any("my_codes.csv" in n for n in t.meta.notes)


def test_bundled_table_when_no_release_table_is_beside(small_baci, tmp_path):
    d = tmp_path / "bare"
    d.mkdir()
    p = d / "BACI_HS17_Y2022_V202601.csv"
    shutil.copy(small_baci, p)
    t = read_flows([p])
    assert any("bundled" in n for n in t.meta.notes)
    assert t.report.rows_accepted == 6
    assert set(t.frame["exporter"]) >= {"CHN", "TWN", "NAM", "CHE"}


def test_year_and_hs_filters_are_pushed_into_the_scan(tmp_path):
    d = tmp_path / "f"
    d.mkdir()
    write_country_codes_v202601(d / "country_codes_V202601.csv")
    rows = [(2021, 156, 410, 811292, 1.0, 1.0), (2022, 156, 410, 811292, 2.0, 1.0), (2022, 156, 410, 10121, 3.0, 1.0),
            (2022, 156, 410, 10121, -3.0, 1.0)]
    p = d / "x.csv"
    p.write_text("t,i,j,k,v,q\n" + "\n".join(baci_line(*r) for r in rows) + "\n")
    t = read_flows([p], ReadOptions(years=(2022,)))
    assert t.report.rows_read == 3  # the 2021 row is never read nor counted
    t = read_flows([p], ReadOptions(years=(2022,), hs=("0101",)))
    # the 5-digit k is padded before the prefix filter; the negative row is read and rejected
    assert t.report.rows_read == 2 and t.report.rows_accepted == 1
    assert list(t.frame["hs"]) == ["010121"]
    assert dict(t.report.reasons) == {"negative value": 1}


@pytest.mark.parametrize("with_table", [True, False])
def test_release_layout_built_from_trade_parquet_matches_per_flow(atlas, tmp_path, with_table):
    """trade.parquet rewritten as a BACI release file (numeric codes, integer k, NA-padded q,
    thousand USD, shuffled) reads back to the same totals per (exporter, importer, hs),
    with the release country table beside it and with scrisk's bundled table."""
    trade = pd.read_parquet(atlas / "trade.parquet")
    cc = pd.read_csv(atlas / "country_codes_V202601.csv", dtype=str, keep_default_na=False)
    # ISO3 -> the current BACI code (for BEL/DEU/SDN the lower code is the current one)
    code_of = cc.assign(code=cc["country_code"].astype(int)).groupby("country_iso3")["code"].min()
    rel = pd.DataFrame(
        {
            "t": trade["year"].astype(int),
            "i": trade["exporter"].map(code_of),
            "j": trade["importer"].map(code_of),
            "k": trade["hs6"].astype(int),  # integer: leading zeros dropped
            "v": trade["value_kusd"].map(lambda x: f"{x:.3f}"),
            "q": trade["qty_t"].map(lambda x: "NA" if pd.isna(x) else f"{x:.3f}").str.rjust(15),
        }
    )
    assert rel["i"].notna().all() and rel["j"].notna().all()
    rel = rel.sample(frac=1.0, random_state=7)
    d = tmp_path / "rel"
    d.mkdir()
    p = d / "BACI_HS17_Y2024_V202601.csv"
    rel.to_csv(p, index=False)
    if with_table:
        shutil.copy(atlas / "country_codes_V202601.csv", d / "country_codes_V202601.csv")
    t = read_flows([p])
    assert t.report.rows_rejected == 0, dict(t.report.reasons)
    got = frame_of(t).groupby(["exporter", "importer", "hs"])[["value_usd", "qty_kg"]].sum(min_count=1)
    exp = trade.assign(
        exporter=trade["exporter"].replace({"S19": "TWN"}),
        importer=trade["importer"].replace({"S19": "TWN"}),
        hs=trade["hs6"],
        value_usd=trade["value_kusd"] * 1000.0,
        qty_kg=trade["qty_t"] * 1000.0,
    ).groupby(["exporter", "importer", "hs"])[["value_usd", "qty_kg"]].sum(min_count=1)
    assert len(got) == len(exp) == len(trade)
    got = got.reindex(exp.index)
    np.testing.assert_allclose(got["value_usd"].to_numpy(), exp["value_usd"].to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(got["qty_kg"].to_numpy(), exp["qty_kg"].to_numpy(), rtol=1e-9)
    assert got["qty_kg"].isna().sum() == trade["qty_t"].isna().sum() == 1030
    assert "TWN" in got.index.get_level_values("exporter") and "S19" not in got.index.get_level_values("exporter")


def test_real_release_example_with_v202201_table(realdata):
    """The BACI HS17 2020 extract (integer k, space-padded NA q) with its V202201 table (Latin-1)."""
    folder = realdata / "baci-hs17-2020-zaf-afg-exports"
    if not folder.is_dir():
        pytest.skip("baci-hs17-2020-zaf-afg-exports not present")
    raw = pd.read_csv(folder / "ExampleTradeData.csv", dtype=str, keep_default_na=False)
    t = read_flows([folder / "ExampleTradeData.csv"])
    assert t.report.rows_read == len(raw) == 72097
    assert t.report.rows_rejected == 0, dict(t.report.reasons)
    assert set(t.frame["exporter"]) == {"ZAF", "AFG"}
    assert t.frame["hs"].str.len().eq(6).all()
    assert t.frame["qty_kg"].isna().sum() == (raw["q"].str.strip() == "NA").sum()
    assert t.frame["value_usd"].sum() == pytest.approx(raw["v"].astype(float).sum() * 1000.0, rel=1e-9)


def test_dotted_hs_code_is_malformed_in_baci_on_either_path(tmp_path):
    # BACI writes plain digits; unlike tidy and customs files, a dotted code there is a defect, on the fast
    # scan and on the exact reader (a zip) alike
    import zipfile

    body = "t,i,j,k,v,q\n" + baci_line(2022, 156, 410, 811292, 1.5, 1.0) + "\n" + \
        baci_line(2022, 156, 410, "8112.92", 2.5, 1.0) + "\n"
    plain = tmp_path / "BACI_HS17_Y2022_V202601.csv"
    plain.write_text(body)
    write_country_codes_v202601(tmp_path / "country_codes_V202601.csv")
    z = tmp_path / "z" / "BACI_HS17_V202601.zip"
    z.parent.mkdir()
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("BACI_HS17_Y2022_V202601.csv", body)
        zf.write(tmp_path / "country_codes_V202601.csv", "country_codes_V202601.csv")
    for path in (plain, z):
        t = read_flows([path])
        assert (t.report.rows_accepted, dict(t.report.reasons)) == (1, {"malformed HS code": 1}), path
