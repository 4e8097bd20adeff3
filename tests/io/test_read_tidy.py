"""Tidy CSV and Parquet through column mappings, profiles and encodings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from io_helpers import frame_of

from scrisk.errors import ColumnMappingError, ConfigError, FormatDetectionError, ScriskError, UsageError
from scrisk.io import ReadOptions, detect_source, read_flows

BACI_TIDY = dict(exporter="i", importer="j", hs="cmd", value="value")


def test_baci_2024_as_tidy_equals_trade_parquet_row_for_row(atlas):
    t = read_flows([atlas / "baci_2024.csv"], ReadOptions(columns=BACI_TIDY, years=(2024,), value_unit="usd"))
    trade = pd.read_parquet(atlas / "trade.parquet")
    assert t.report.rows_read == len(trade) and t.report.rows_rejected == 0
    exp = pd.DataFrame(
        {
            "year": trade["year"].astype("int64"),
            "exporter": trade["exporter"].replace({"S19": "TWN"}).astype(object),
            "importer": trade["importer"].replace({"S19": "TWN"}).astype(object),
            "hs": trade["hs6"].astype(object),
            "value_usd": trade["value_kusd"] * 1000.0,
        }
    )
    keys = ["year", "exporter", "importer", "hs"]
    got = frame_of(t)[keys + ["value_usd"]].sort_values(keys).reset_index(drop=True)
    exp = exp.sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(got[keys], exp[keys])
    np.testing.assert_allclose(got["value_usd"], exp["value_usd"], rtol=1e-12)
    assert t.meta.source_format == "tidy" and t.meta.hs_revision is None
    assert "S19" not in set(got["exporter"]) | set(got["importer"])


def test_trade_parquet_is_read_with_obvious_headers(atlas):
    t = read_flows([atlas / "trade.parquet"])
    trade = pd.read_parquet(atlas / "trade.parquet")
    assert detect_source(atlas / "trade.parquet") == "parquet"
    assert t.report.rows_accepted == len(trade)
    # value_kusd and qty_t headers carry their units
    assert t.frame["value_usd"].sum() == pytest.approx(trade["value_kusd"].sum() * 1000.0)
    assert t.frame["qty_kg"].sum() == pytest.approx(trade["qty_t"].sum() * 1000.0)


def test_auto_detected_headers_and_units(tmp_path):
    p = tmp_path / "flows.csv"
    p.write_text(
        "year,exporter_iso3,importer_iso3,hs,value_usd,qty_kg\n"
        "2023,chn,KOR,811292,10.5,1\n"
        "2023,S19,KOR,71120,3,\n"  # Taiwan pseudo-code; 5-digit HS padded
        "2023,JPN,KOR,3707900010,7,2\n"  # 10-digit national tariff line kept
        "2023,USA,KOR,8542,1,1\n"  # a heading with no code under it in the file: an HS4 product
        "2023,USA,KOR,28,1,1\n"  # chapter: aggregate
        "2023,USA,KOR,1234567,1,1\n"  # 7 digits: ambiguous, malformed
    )
    assert detect_source(p) == "tidy"
    t = read_flows([p])
    assert sorted(zip(t.frame["exporter"], t.frame["hs"])) == [("CHN", "811292"), ("JPN", "3707900010"),
                                                               ("TWN", "071120"), ("USA", "8542")]
    assert dict(t.report.reasons) == {"aggregate HS code": 1, "malformed HS code": 1}
    assert t.meta.hs_headings == ("8542",)



def test_dotted_and_spaced_hs_notation_is_read_as_digits(tmp_path):
    # national customs files and tariff schedules write codes as the nomenclature does
    p = tmp_path / "customs.csv"
    p.write_text(
        "year,exporter,importer,hs,value_usd\n"
        "2024,CHN,KOR,8112.92,10\n"
        "2024,JPN,KOR,3707.90.0010,7\n"  # US-style tariff line
        "2024,JPN,KOR,2811 11 00,3\n"  # EU CN with spaces
        "2024,AUS,KOR,2606.00,2\n"  # HS 260600, not the heading 2606
        "2024,USA,KOR,811292.0,1\n"  # a float-formatted code
        "2024,USA,KOR,2811.1,1\n"  # a float-damaged code: which subheading cannot be told
    )
    t = read_flows([p], ReadOptions(hs=("8112", "3707", "2811", "2606")))
    assert sorted(zip(t.frame["exporter"], t.frame["hs"])) == [
        ("AUS", "260600"), ("CHN", "811292"), ("JPN", "28111100"), ("JPN", "3707900010"), ("USA", "811292")]
    assert dict(t.report.reasons) == {"malformed HS code": 1}
    assert t.report.rows_read == t.report.rows_accepted + t.report.rows_rejected == 6


def test_spreadsheet_text_guards_on_hs_codes_are_removed(tmp_path):
    # files prepared for a spreadsheet keep leading zeros with an apostrophe or a ="..." formula
    p = tmp_path / "sheet.csv"
    p.write_text(
        "year,exporter,importer,hs,value_usd\n"
        "2024,CHN,KOR,'010121,10\n"
        '2024,JPN,KOR,"=""028111""",7\n'  # the formula, quoted as a CSV writer does
        "2024,USA,KOR,=\"0101.29\",3\n"  # and in the dotted notation
        "2024,DEU,KOR,'01A121,1\n"  # a guard around something else is no code
    )
    t = read_flows([p])
    assert sorted(zip(t.frame["exporter"], t.frame["hs"])) == [("CHN", "010121"), ("JPN", "028111"), ("USA", "010129")]
    assert dict(t.report.reasons) == {"malformed HS code": 1}
    assert t.report.rows_read == t.report.rows_accepted + t.report.rows_rejected == 4


def test_kusd_and_tonnes_and_single_year(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("origin;dest;product;v;q\nCHN;KOR;811292;1.5;2\n")
    with pytest.raises(UsageError, match="--year"):
        read_flows([p], ReadOptions(columns={"qty": "q"}))
    t = read_flows([p], ReadOptions(years=(2021,), value_unit="kusd", qty_unit="t", columns={"qty": "q"}))
    row = frame_of(t).iloc[0]
    assert (row["year"], row["value_usd"], row["qty_kg"]) == (2021, 1500.0, 2000.0)


def test_mapping_errors_name_the_headers_found(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("a,b,c,d\nCHN,KOR,811292,1\n")
    with pytest.raises(FormatDetectionError, match="'a', 'b', 'c', 'd'"):
        read_flows([p], ReadOptions(years=(2022,)))
    with pytest.raises(ColumnMappingError, match="no column 'zz'.*'a', 'b'"):
        read_flows([p], ReadOptions(years=(2022,), columns={"exporter": "a", "importer": "zz"}))
    with pytest.raises(UsageError, match="canonical"):
        read_flows([p], ReadOptions(years=(2022,), columns={"exporter": "a", "origin": "b"}))
    with pytest.raises(UsageError, match="value-unit"):
        read_flows([p], ReadOptions(years=(2022,), value_unit="eur", columns=dict(exporter="a", importer="b", hs="c",
                                                                                   value="d")))
    t = read_flows([p], ReadOptions(years=(2022,), columns=dict(exporter="A", importer="B", hs="C", value="D")))
    assert len(t) == 1  # header names match case-insensitively


def test_parquet_with_numeric_hs_and_year_filter(tmp_path):
    p = tmp_path / "x.parquet"
    tbl = pa.table({"yr": pa.array([2022, 2023, 2023], pa.int32()), "exp": ["CHN", "CHN", "JPN"],
                    "imp": ["KOR", "KOR", "KOR"], "code": pa.array([811292, 10121, 370790], pa.int64()),
                    "val": [1.0, 2.0, -3.0]})
    pq.write_table(tbl, p)
    cols = dict(year="yr", exporter="exp", importer="imp", hs="code", value="val")
    t = read_flows([p], ReadOptions(columns=cols, years=(2023,)))
    assert t.report.rows_read == 2
    assert list(t.frame["hs"]) == ["010121"]
    rej = t.report.rejected
    assert list(rej["reason"]) == ["negative value"] and list(rej["line"]) == [3]  # record number


KOREAN_HEADER = "연도,수출국,수입국,품목코드,금액(천달러),중량(kg)"
JAPANESE_HEADER = "年,輸出国,輸入国,品目コード,金額（千ドル）,数量（キログラム）"
PROFILES = """
[profiles.kcs]
year = "연도"
exporter = "수출국"
importer = "수입국"
hs = "품목코드"
value = "금액(천달러)"
qty = "중량(kg)"
value_unit = "kusd"

[profiles.japan]
exporter = "輸出国"
importer = "輸入国"
hs = "品目コード"
value = "金額（千ドル）"
value_unit = "kusd"
encoding = "shift_jis"
year = 2023

[profiles.japan.columns]
qty = "数量（キログラム）"
"""


@pytest.fixture
def profiles(tmp_path):
    p = tmp_path / "profiles.toml"
    p.write_text(PROFILES, encoding="utf-8")
    return p


def test_cp949_korean_customs_file_through_a_profile(tmp_path, profiles):
    p = tmp_path / "kcs.csv"
    body = KOREAN_HEADER + "\n2023,CHN,KOR,811292,12.5,300\n2023,JPN,KOR,370790,4,\n"
    p.write_bytes(body.encode("cp949"))
    with pytest.raises(FormatDetectionError, match="수출국.*Korean/Japanese headers need a column mapping"):
        read_flows([p])
    t = read_flows([p], ReadOptions(profile="kcs", profiles=profiles))
    assert t.report.files[0]["encoding"] == "cp949"
    assert frame_of(t)[["exporter", "value_usd", "qty_kg"]].values.tolist()[0] == ["CHN", 12500.0, 300.0]


def test_shift_jis_japanese_customs_file_through_a_profile(tmp_path, profiles):
    p = tmp_path / "japan.csv"
    body = JAPANESE_HEADER + "\n2023,CHN,JPN,811292,2,5\n2023,KOR,JPN,370790,1,\n"
    p.write_bytes(body.encode("shift_jis"))
    t = read_flows([p], ReadOptions(profile="japan", profiles=profiles))
    assert t.report.files[0]["encoding"] == "shift_jis"
    assert t.report.rows_accepted == 2 and t.years == (2023,)
    assert t.frame["value_usd"].sum() == 3000.0
    # detected without the profile's encoding too
    t2 = read_flows([p], ReadOptions(columns={"exporter": "輸出国", "importer": "輸入国", "hs": "品目コード",
                                              "value": "金額（千ドル）"}, years=(2023,)))
    assert t2.report.files[0]["encoding"] in ("shift_jis", "cp932") and len(t2) == 2


def test_utf8_bom_is_handled(tmp_path):
    p = tmp_path / "bom.csv"
    p.write_bytes("\ufeffexporter,importer,hs,value_usd,year\nCHN,KOR,811292,1,2022\n".encode("utf-8"))
    t = read_flows([p])
    assert t.report.files[0]["encoding"] == "utf-8-sig" and len(t) == 1


def test_explicit_encoding_overrides_detection(tmp_path):
    p = tmp_path / "latin.csv"
    p.write_bytes("exporter,importer,hs,value_usd,year,note\nCHN,KOR,811292,1,2022,Côte\n".encode("latin-1"))
    t = read_flows([p], ReadOptions(encoding="latin-1"))
    assert len(t) == 1


def test_profile_errors(tmp_path, profiles):
    p = tmp_path / "x.csv"
    p.write_text("exporter,importer,hs,value_usd\nCHN,KOR,811292,1\n")
    with pytest.raises(UsageError, match="available: japan, kcs"):
        read_flows([p], ReadOptions(profile="nope", profiles=profiles))
    bad = tmp_path / "bad.toml"
    bad.write_text("[profiles.x]\nexporter = \n")
    with pytest.raises(ConfigError, match="TOML"):
        read_flows([p], ReadOptions(profile="x", profiles=bad))
    odd = tmp_path / "odd.toml"
    odd.write_text('[profiles.x]\nexporter = "a"\ncurrency = "eur"\n')
    with pytest.raises(ConfigError, match="currency"):
        read_flows([p], ReadOptions(profile="x", profiles=odd))


def test_profile_from_scrisk_toml_in_cwd(tmp_path, monkeypatch):
    (tmp_path / "scrisk.toml").write_text('[profiles.mine]\nexporter = "e"\nimporter = "m"\nhs = "h"\nvalue = "v"\n'
                                          "year = 2020\n")
    p = tmp_path / "x.csv"
    p.write_text("e,m,h,v\nCHN,KOR,811292,1\n")
    monkeypatch.chdir(tmp_path)
    t = read_flows([p], ReadOptions(profile="mine"))
    assert t.years == (2020,)


def test_decimal_comma_file_with_grouped_thousands(tmp_path):
    p = tmp_path / "eu.csv"
    p.write_text(
        "year;exporter;importer;hs;value_usd;qty_kg\n"
        "2024;CHN;DEU;811292;1.234,5;10,25\n"
        "2024;JPN;DEU;370790;2 000;\n"
        "2024;USA;DEU;281111;1\u00a0000\u00a0000,75;1\n"  # no-break spaces between groups
        "2024;KOR;DEU;854231;1.5;1\n"  # a dot that groups nothing: not a number in this file
    )
    t = read_flows([p], ReadOptions(decimal=","))
    got = dict(zip(frame_of(t)["exporter"], frame_of(t)["value_usd"]))
    assert got == {"CHN": 1234.5, "JPN": 2000.0, "USA": 1000000.75}
    assert frame_of(t).set_index("exporter").loc["CHN", "qty_kg"] == 10.25
    assert dict(t.report.reasons) == {"non-numeric value": 1}
    # read with the default decimal point, the same file loses its comma values: reported, never misread; 2 000
    # reads the same under either mark
    t = read_flows([p])
    assert dict(zip(frame_of(t)["exporter"], frame_of(t)["value_usd"])) == {"JPN": 2000.0, "KOR": 1.5}
    assert dict(t.report.reasons) == {"non-numeric value": 2}
    assert all("--decimal ," in d for d in t.report.rejected["detail"])
    with pytest.raises(UsageError, match="decimal"):
        ReadOptions(decimal=";")


def test_thousands_grouped_by_commas_with_the_decimal_point(tmp_path):
    """1,234.5 and 12,345,678 read the same under either mark; 1,234 needs --decimal . (or , for 1.234)."""
    p = tmp_path / "us.csv"
    p.write_text(
        "year,exporter,importer,hs,value_usd,qty_kg\n"
        '2024,CHN,USA,811292,"1,234.5","10,250"\n'
        '2024,JPN,USA,370790,"12,345,678",\n'
        '2024,KOR,USA,281111,"1,234",1\n'  # 1234 or 1.234: not guessed
        '2024,DEU,USA,854231,"12,34.5",1\n'  # groups of three digits only
        "2024,FRA,USA,854231,1 500.25,1\n"
    )
    t = read_flows([p])
    got = dict(zip(frame_of(t)["exporter"], frame_of(t)["value_usd"]))
    assert got == {"JPN": 12345678.0, "FRA": 1500.25}
    # "10,250" kg is one group, as ambiguous as "1,234": CHN's row goes for its quantity
    assert dict(t.report.reasons) == {"non-numeric value": 2, "non-numeric or negative quantity": 1}
    detail = dict(zip(t.report.rejected["line"], t.report.rejected["detail"]))
    assert all("--decimal ." in detail[k] and "--decimal ," in detail[k] for k in (2, 4))
    assert t.report.rows_read == t.report.rows_accepted + t.report.rows_rejected == 5
    # with the mark given, commas group thousands
    t = read_flows([p], ReadOptions(decimal="."))
    got = dict(zip(frame_of(t)["exporter"], frame_of(t)["value_usd"]))
    assert got == {"CHN": 1234.5, "JPN": 12345678.0, "KOR": 1234.0, "FRA": 1500.25}
    assert frame_of(t).set_index("exporter").loc["CHN", "qty_kg"] == 10250.0
    assert dict(t.report.reasons) == {"non-numeric value": 1}


def test_decimal_comma_from_a_profile(tmp_path):
    prof = tmp_path / "p.toml"
    prof.write_text('[profiles.destatis]\ndecimal = ","\nvalue_unit = "usd"\n', encoding="utf-8")
    p = tmp_path / "x.csv"
    p.write_text("year;exporter;importer;hs;value_usd\n2024;CHN;DEU;811292;12,5\n")
    t = read_flows([p], ReadOptions(profile="destatis", profiles=prof))
    assert frame_of(t)["value_usd"].tolist() == [12.5]


def test_headers_spelt_with_units_in_brackets(tmp_path):
    # a spreadsheet export: BOM, padded and title-cased names, units in brackets, CRLF, a blank line
    p = tmp_path / "sheet.csv"
    p.write_bytes(b"\xef\xbb\xbf Year , Exporter ,Importer,HS Code,Value (kUSD),Net weight (kg)\r\n"
                  b"2024,CHN,KOR,281111,1.5,10\r\n\r\n2024,JPN,KOR,370790,2,\r\n")
    t = read_flows([p])
    got = dict(zip(frame_of(t)["exporter"], frame_of(t)["value_usd"]))
    assert got == {"CHN": 1500.0, "JPN": 2000.0}  # kUSD in the header: thousands, as value_kusd
    assert frame_of(t).set_index("exporter").loc["CHN", "qty_kg"] == 10.0
    # a unit the names do not spell is not guessed: the message asks for the mapping
    p.write_text("year,exporter,importer,hs,Value (1000 USD)\n2024,CHN,KOR,281111,1.5\n")
    with pytest.raises(ScriskError, match="--columns"):
        read_flows([p])
