"""Issue 9 readers on small hand-made files: monthly periods, year per file, one-sided and named-partner files,
reporter-to-World totals, BACI with extra columns, mirror flows, --strict / --max-rejected, the registry."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from io_helpers import API_HEADER, api_row

from scrisk.errors import TooManyRejectedError, UsageError
from scrisk.io import ReadOptions, read_flows
from scrisk.io.formats import FORMATS, SOURCES, detect_source


def _monthly(row: str, year: int, month: int) -> str:
    """An API row of ``api_row(..., year=year, freq='M')`` turned monthly: refMonth and period YYYYMM."""
    return row.replace(f",{year},52,{year},", f",{year},{month},{year}{month:02d},", 1)


def _write(tmp_path, name, text, encoding="utf-8"):
    p = tmp_path / name
    p.write_text(text, encoding=encoding)
    return p


def _check_accounting(t):
    rep = t.report
    assert rep.rows_accepted + rep.rows_rejected == rep.rows_read
    rep.check()


# ---------------------------------------------------------------- periods

def test_comtrade_monthly_rows_keep_every_month(tmp_path):
    rows = [_monthly(api_row(842, "M", 156, "380110", 1000.0 * m, 1, year=2024, freq="M"), 2024, m) for m in range(1, 13)]
    rows.append(api_row(842, "M", 156, "380110", 5.0, 1, year=2024, freq="Q"))  # other frequencies stay rejected
    t = read_flows([_write(tmp_path, "m.csv", API_HEADER + "\n" + "\n".join(rows) + "\n")])
    f = t.frame
    assert f["month"].tolist() == list(range(1, 13)) and (f["year"] == 2024).all()
    assert f["value_usd"].sum() == sum(1000.0 * m for m in range(1, 13))  # not only January
    assert t.report.reasons == {"non-annual period": 1}
    assert t.meta.periods == tuple(f"2024-{m:02d}" for m in range(1, 13))
    _check_accounting(t)


def test_monthly_row_without_a_month_is_a_defect(tmp_path):
    t = read_flows([_write(tmp_path, "m.csv", API_HEADER + "\n" + api_row(842, "M", 156, "380110", 9.0, year=2024, freq="M") + "\n")])
    assert t.report.reasons == {"bad year": 1} and "freqCode M" in t.report.rejected["detail"][0]


@pytest.mark.parametrize("period", ["202406", "2024-06", "2024-06-01", "2024-06-30T00:00:00"])
def test_tidy_periods_yyyymm_iso_months_and_dates(tmp_path, period):
    p = _write(tmp_path, "t.csv", f"period,exporter,importer,hs,value_usd\n{period},CHN,KOR,811292,5\n2024,CHN,KOR,811292,7\n")
    f = read_flows([p]).frame
    assert f["month"].tolist()[0] == 6 and pd.isna(f["month"].tolist()[1]) and f["year"].tolist() == [2024, 2024]


def test_period_column_flag_and_bad_periods(tmp_path):
    p = _write(tmp_path, "t.csv", "when,exporter,importer,hs,value_usd\n202407,CHN,KOR,811292,5\n202413,CHN,KOR,811292,7\n")
    t = read_flows([p], ReadOptions(period_column="when"))
    assert t.frame["month"].tolist() == [7] and t.report.reasons == {"bad year": 1}
    assert "YYYYMM" in t.report.rejected["detail"][0]
    with pytest.raises(Exception, match="--period-column nope"):
        read_flows([p], ReadOptions(period_column="nope"))


def test_year_filter_applies_to_yyyymm_periods(tmp_path):
    p = _write(tmp_path, "t.csv", "period,exporter,importer,hs,value_usd\n202306,CHN,KOR,811292,5\n202406,CHN,KOR,811292,7\n")
    t = read_flows([p], ReadOptions(years=(2024,)))
    assert t.frame["value_usd"].tolist() == [7.0] and t.report.rows_read == 1


def test_two_files_without_year_and_one_year_flag_are_refused(tmp_path):
    a = _write(tmp_path, "a.csv", "exporter,importer,hs,value_usd\nBEL,KOR,283691,357.0\n")
    b = _write(tmp_path, "b.csv", "exporter,importer,hs,value_usd\nBEL,KOR,283691,75.8\n")
    with pytest.raises(UsageError, match="mix their years.*--year a.csv=YEAR"):
        read_flows([a, b], ReadOptions(years=(2024,)))
    t = read_flows([a, b], ReadOptions(file_years={"a.csv": 2022, "b.csv": 2024}))
    assert t.frame[["year", "value_usd"]].values.tolist() == [[2022, 357.0], [2024, 75.8]]
    one = read_flows([b], ReadOptions(years=(2024,)))  # one file, one --year: fine
    assert one.frame["year"].tolist() == [2024]


def test_year_from_the_file_name(tmp_path):
    a = _write(tmp_path, "exports_2022.csv", "exporter,importer,hs,value_usd\nBEL,KOR,283691,357.0\n")
    b = _write(tmp_path, "exports_2024.csv", "exporter,importer,hs,value_usd\nBEL,KOR,283691,75.8\n")
    t = read_flows([a, b])
    assert t.frame[["year", "value_usd"]].values.tolist() == [[2022, 357.0], [2024, 75.8]]
    assert any("from file name" in n for n in t.meta.notes)
    only_2024 = read_flows([a, b], ReadOptions(years=(2024,)))
    assert only_2024.frame["value_usd"].tolist() == [75.8]  # the 2022 file never wins a 2024 table


# ---------------------------------------------------------------- layouts

def test_one_sided_file_with_english_korean_and_japanese_partner_names(tmp_path):
    p = _write(tmp_path, "cn.csv", "period_dt,partner_name,hs6,val,qty\n2024-01-01,South Korea,811292,100,1\n"
               "2024-01-01,대한민국,380110,50,1\n2024-02-01,米国,811292,30,1\n2024-02-01,UAE,811292,20,1\n"
               "2024-02-01,Atlantis,811292,800,1\n2024-03-01,World,811292,1000,4\n")
    t = read_flows([p], ReadOptions(exporter="CHN"))
    f = t.frame
    assert f[["exporter", "importer", "hs", "month"]].values.tolist() == [
        ["CHN", "KOR", "811292", 1], ["CHN", "KOR", "380110", 1], ["CHN", "USA", "811292", 2], ["CHN", "ARE", "811292", 2]]
    assert t.report.unknown_codes == {"Atlantis": 800.0}
    assert any("'Atlantis' 40.00%" in n for n in t.meta.notes)  # 800 of 2000 USD read
    w = t.meta.world_totals
    assert w[["reporter", "flow", "value_usd"]].values.tolist() == [["CHN", "export", 1000.0]]
    assert t.report.reasons == {"unknown country code": 1, "reporter-to-World total": 1}
    _check_accounting(t)


def test_one_sided_import_file_and_missing_side_message(tmp_path):
    p = _write(tmp_path, "kr.csv", "year,partner,hs,value_usd\n2024,CHN,811292,100\n2024,Japan,811292,30\n")
    t = read_flows([p], ReadOptions(importer="KOR"))
    assert t.frame[["exporter", "importer"]].values.tolist() == [["CHN", "KOR"], ["JPN", "KOR"]]
    with pytest.raises(UsageError, match="no exporter column.*--exporter"):
        read_flows([_write(tmp_path, "x.csv", "year,importer,hs,value_usd\n2024,KOR,811292,1\n")])


def test_korean_customs_file_in_cp949(tmp_path):
    p = _write(tmp_path, "kr_2024.csv", "국가,hs,value_usd\n중국,811292,100\n일본,811292,30\n미국,811292,5\n", encoding="cp949")
    t = read_flows([p], ReadOptions(importer="KOR"))
    assert t.frame[["exporter", "year"]].values.tolist() == [["CHN", 2024], ["JPN", 2024], ["USA", 2024]]


def test_baci_header_with_extra_columns_is_baci_in_thousand_usd(tmp_path):
    p = _write(tmp_path, "x.csv", "t,i,j,k,v,q,src,note\n2022,156,410,811292,1.5,2,cepii,ok\n2022,392,410,811292,0.5,NA,cepii,\n")
    assert detect_source(p) == "baci"
    t = read_flows([p])
    assert t.frame["value_usd"].tolist() == [1500.0, 500.0] and t.frame["qty_kg"].tolist()[0] == 2000.0
    assert any("extra column(s) src, note" in n for n in t.meta.notes)


def test_reporter_to_world_rows_are_world_totals_not_flows(tmp_path):
    rows = [api_row(842, "M", 0, "848620", 900.0, 1), api_row(392, "X", 0, "848620", 700.0, 1),
            api_row(842, "M", 392, "848620", 400.0, 1)]
    t = read_flows([_write(tmp_path, "w.csv", API_HEADER + "\n" + "\n".join(rows) + "\n")])
    assert t.frame[["exporter", "importer", "value_usd"]].values.tolist() == [["JPN", "USA", 400.0]]
    w = t.meta.world_totals.sort_values("reporter")
    assert w[["reporter", "flow", "value_usd", "line"]].values.tolist() == [["JPN", "export", 700.0, 3], ["USA", "import", 900.0, 2]]
    assert t.meta.to_dict()["world_totals"] == {"rows": 2, "value_usd": 1600.0, "reporters": ["JPN", "USA"]}
    _check_accounting(t)


# ---------------------------------------------------------------- mirror

def test_both_sides_reported_keep_both_values(tmp_path):
    rows = [api_row(842, "M", 156, "811292", 53.3e6, 1, year=2024), api_row(156, "X", 842, "811292", 9.6e6, 1, year=2024),
            api_row(156, "X", 410, "811292", 2.0e6, 1, year=2024)]
    t = read_flows([_write(tmp_path, "c.csv", API_HEADER + "\n" + "\n".join(rows) + "\n")])
    f = t.frame.sort_values("importer")
    assert f[["importer", "value_usd"]].values.tolist() == [["KOR", 2.0e6], ["USA", 53.3e6]]  # importer value used
    m = t.meta.mirror
    assert m.counts == {"both": 1, "importer_only": 0, "exporter_only": 1}
    row = m.by_pair.iloc[0]
    assert (row["exporter"], row["importer"], row["importer_value_usd"], row["exporter_value_usd"]) == ("CHN", "USA", 53.3e6, 9.6e6)
    assert row["gap_usd"] == pytest.approx(43.7e6) and row["ratio"] == pytest.approx(53.3 / 9.6)
    assert m.by_product["hs"].tolist() == ["811292"]
    assert "importer-reported" in t.meta.to_dict()["mirror"]["rule"]


def test_validate_mirror_json(tmp_path):
    rows = [api_row(842, "M", 156, "811292", 10.0, 1), api_row(156, "X", 842, "811292", 8.0, 1)]
    p = _write(tmp_path, "c.csv", API_HEADER + "\n" + "\n".join(rows) + "\n")
    out = subprocess.run([sys.executable, "-m", "scrisk", "validate", str(p), "--mirror", "--format", "json"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)["mirror"]
    assert got["by_pair"][0]["gap_usd"] == 2.0 and got["flows"]["both"] == 1 and got["by_product"][0]["hs"] == "811292"


# ---------------------------------------------------------------- strict

def test_max_rejected_share_of_value(tmp_path):
    p = _write(tmp_path, "d.csv", "year,exporter,importer,hs,value_usd\n2024,CHN,KOR,811292,90\n2024,XXQ,KOR,811292,10\n")
    assert len(read_flows([p], ReadOptions(max_rejected=0.2))) == 1
    with pytest.raises(TooManyRejectedError, match=r"10\.00% of the input value .* --max-rejected 0.05") as ei:
        read_flows([p], ReadOptions(max_rejected=0.05))
    assert ei.value.exit_code == 1
    with pytest.raises(TooManyRejectedError, match="--strict"):
        read_flows([p], ReadOptions(max_rejected=0.0))


@pytest.mark.parametrize("command", ["analyze", "validate"])
def test_strict_on_the_command_line(tmp_path, command):
    p = _write(tmp_path, "d.csv", "year,exporter,importer,hs,value_usd\n2024,CHN,KOR,811292,90\n2024,XXQ,KOR,811292,10\n")
    strict = subprocess.run([sys.executable, "-m", "scrisk", command, str(p), "--strict"], capture_output=True, text=True)
    assert strict.returncode == 1 and "Traceback" not in strict.stderr
    loose = subprocess.run([sys.executable, "-m", "scrisk", command, str(p), "--max-rejected", "0.5"], capture_output=True,
                           text=True)
    assert loose.returncode == 0, loose.stderr
    if command == "analyze":
        assert "rejected as defects" in strict.stderr


# ---------------------------------------------------------------- registry

def test_registry_lists_one_module_per_format():
    import scrisk.io.formats as reg

    assert SOURCES == tuple(f.name for f in FORMATS) and len(set(SOURCES)) == len(SOURCES)
    for f in FORMATS:
        assert callable(f.read) and (f.recognise is not None) == (f.container == "text")
    mods = {f.read.__module__ for f in FORMATS}
    assert mods == {f"scrisk.io.formats.{m}" for m in ("baci", "comtrade", "tidy", "parquet")}
    assert reg.get_format("comtrade").recognise(["reporter", "partner", "cmd", "flow", "value"])


def test_no_import_circle_between_sniff_and_the_formats():
    """sniff.py (containers, encodings, headers) imports no format module and no reader: the circle is gone."""
    import ast
    from pathlib import Path

    import scrisk.io.sniff as sniff_mod

    tree = ast.parse(Path(sniff_mod.__file__).read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in imported if m.startswith(("scrisk.io.formats", "scrisk.io.reader", "scrisk.io.tidy"))}
