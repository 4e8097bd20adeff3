"""read_flows: several files and globs, formats mixed, cross-file duplicates, line numbers, sniffing, errors."""

from __future__ import annotations

import gzip

import pytest
from io_helpers import API_HEADER, api_row, baci_line, write_country_codes_v202601

from scrisk.errors import FormatDetectionError, UnreadableFileError, UsageError
from scrisk.io import ReadOptions, detect_source, read_flows


def _baci(d, year, rows):
    d.mkdir(exist_ok=True)
    write_country_codes_v202601(d / "country_codes_V202601.csv")
    p = d / f"BACI_HS17_Y{year}_V202601.csv"
    p.write_text("t,i,j,k,v,q\n" + "\n".join(baci_line(year, *r) for r in rows) + "\n")
    return p


def test_glob_of_several_years_combines(tmp_path):
    d = tmp_path / "b"
    _baci(d, 2021, [(156, 410, 811292, 1.0, 1.0)])
    _baci(d, 2022, [(156, 410, 811292, 2.0, 1.0), (392, 410, 811292, 3.0, None)])
    t = read_flows([str(d / "BACI_*.csv")])
    assert t.years == (2021, 2022)
    assert [f["rows_read"] for f in t.report.files] == [1, 2]
    assert t.meta.inputs == tuple(str(d / f"BACI_HS17_Y{y}_V202601.csv") for y in (2021, 2022))
    assert t.meta.source_format == "baci" and t.meta.hs_revision == "HS2017"
    t2 = read_flows([str(d / "BACI_*.csv")], ReadOptions(years=(2022,)))
    assert t2.report.rows_read == 2


def test_mixed_formats_and_cross_file_duplicate_key(tmp_path):
    b = _baci(tmp_path / "b", 2022, [(156, 410, 811292, 2.0, 1.0)])
    tidy = tmp_path / "t.csv"
    tidy.write_text("year,exporter,importer,hs,value_usd\n2022,CHN,KOR,811292,5\n2022,JPN,KOR,811292,7\n")
    t = read_flows([b, tidy])
    assert t.meta.source_format == "mixed"
    assert t.meta.hs_revision == "HS2017"  # only the BACI file tells; the tidy one is unknown
    assert dict(t.report.reasons) == {"duplicate key": 1}
    rej = t.report.rejected.iloc[0]
    assert rej["file"] == str(tidy) and rej["line"] == 2 and str(b) in rej["detail"]
    assert t.report.files[1]["rows_accepted"] == 1 and t.report.files[1]["rows_rejected"] == 1
    # the first file given wins
    assert t.frame["value_usd"].sum() == 2000.0 + 7.0


def test_superseded_is_decided_across_files(tmp_path):
    imports = tmp_path / "kor.csv"
    imports.write_text(API_HEADER + "\n" + api_row(410, "M", 156, "811292", 900.0, 1) + "\n")
    exports = tmp_path / "chn.csv"
    exports.write_text(API_HEADER + "\n" + api_row(156, "X", 410, "811292", 880.0, 1) + "\n"
                       + api_row(156, "X", 392, "811292", 10.0, 1) + "\n")
    t = read_flows([exports, imports])
    assert dict(t.report.reasons) == {"superseded by partner report": 1}
    assert sorted(t.frame["value_usd"]) == [10.0, 900.0]


def test_same_file_twice_is_read_once(tmp_path):
    b = _baci(tmp_path / "b", 2022, [(156, 410, 811292, 2.0, 1.0)])
    t = read_flows([b, str(b), str(tmp_path / "b" / "*.csv")])
    assert t.report.rows_read == 1 and t.report.rows_rejected == 0
    assert t.meta.inputs == (str(b),)


def test_line_numbers_survive_blank_lines_bad_lines_and_quoted_newlines(tmp_path):
    p = tmp_path / "x.csv"
    p.write_bytes(
        b"year,exporter,importer,hs,value_usd,note\r\n"  # 1
        b"2022,CHN,KOR,811292,1,\"two\r\nlines\"\r\n"  # 2-3
        b"\r\n"  # 4 blank
        b"2022,JPN,KOR\r\n"  # 5 wrong number of fields
        b"2022,USA,KOR,811292,-1,\"a\nb\nc\"\r\n"  # 6-8 negative
        b"2022,DEU,KOR,811292,x,ok\r\n"  # 9 non-numeric
    )
    t = read_flows([p])
    assert dict(zip(t.report.rejected["reason"], t.report.rejected["line"])) == {
        "wrong number of fields": 5,
        "negative value": 6,
        "non-numeric value": 9,
    }
    assert t.report.rows_read == 4


def test_gzip_is_transparent(tmp_path):
    p = tmp_path / "x.csv.gz"
    p.write_bytes(gzip.compress(b"year,exporter,importer,hs,value_usd\n2022,CHN,KOR,811292,1\n"))
    assert detect_source(p) == "tidy"
    assert len(read_flows([p])) == 1


@pytest.mark.parametrize(
    "content, error, match",
    [
        (b"", UnreadableFileError, "empty"),
        (b"\x00\x01\x02\x03binary\x00", UnreadableFileError, "binary"),
        (b"name,age\nbob,4\n", FormatDetectionError, "not a recognised trade file"),
        (b"\x80\x81\xfe\xfd\xfc\xff", UnreadableFileError, "encoding"),
        (b"\x1f\x8b\x08\x00garbage", UnreadableFileError, "decompress|gzip"),
        (b"PAR1 not really parquet", UnreadableFileError, "Parquet"),
    ],
)
def test_unreadable_inputs_raise_input_errors_naming_the_file(tmp_path, content, error, match):
    p = tmp_path / "in.dat"
    p.write_bytes(content)
    with pytest.raises(error, match=match) as exc:
        read_flows([p])
    assert str(p) in str(exc.value) and exc.value.exit_code == 3


def test_missing_file_and_empty_glob(tmp_path):
    with pytest.raises(UnreadableFileError, match="not found"):
        read_flows([tmp_path / "nope.csv"])
    with pytest.raises(UnreadableFileError, match="no file matches"):
        read_flows([str(tmp_path / "*.csv")])
    with pytest.raises(UsageError):
        read_flows([])


def test_source_override(tmp_path):
    p = tmp_path / "x.txt"
    p.write_text("a,b,c,d\nCHN,KOR,811292,1\n")
    with pytest.raises(UsageError, match="--source"):
        read_flows([p], ReadOptions(source="excel"))
    with pytest.raises(FormatDetectionError, match="BACI file lacks"):
        read_flows([p], ReadOptions(source="baci"))
    t = read_flows([p], ReadOptions(source="tidy", years=(2022,),
                                    columns=dict(exporter="a", importer="b", hs="c", value="d")))
    assert detect_source(p, ReadOptions(source="tidy")) == "tidy" and len(t) == 1


def test_header_only_file_is_empty_but_valid(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("t,i,j,k,v,q\n")
    t = read_flows([p])
    assert len(t) == 0 and t.report.rows_read == 0


def test_columns_on_a_baci_layout_file_say_they_were_not_used(tmp_path):
    p = _baci(tmp_path / "b", 2022, [(156, 410, 811292, 2.0, 1.0)])
    cols = dict(exporter="i", importer="j", hs="k", value="v", year="t")
    t = read_flows([p], ReadOptions(columns=cols))
    assert t.meta.source_format == "baci" and t.frame["value_usd"].sum() == 2000.0
    assert any("--source tidy" in n for n in t.meta.notes)
    t = read_flows([p], ReadOptions(columns=cols, source="tidy", value_unit="kusd"))
    assert t.meta.source_format == "tidy" and t.frame["value_usd"].sum() == 2000.0
