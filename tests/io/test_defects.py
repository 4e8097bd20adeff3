"""One injected defect of each kind gives exactly those rejections, with the right lines in the quarantine."""

from __future__ import annotations

import pandas as pd
import pytest
from io_helpers import API_HEADER, api_row, write_country_codes_v202601

from scrisk.io import read_flows, validate_files
from scrisk.io.reasons import DEFECTS, STRUCTURAL, is_defect

BACI_LINES = [
    "t,i,j,k,v,q",  # 1
    "2022,156,410,811292,100.0,          1.000",  # 2 good
    "2022,156,410,811292,100.0",  # 3 wrong number of fields
    "2022,,410,811292,5.0,1.0",  # 4 missing field (i)
    "20x2,156,410,811292,5.0,1",  # 5 bad year
    "2022,156,410,81129X,5,1",  # 6 malformed HS code
    "2022,156,410,811293,abc,1",  # 7 non-numeric value
    "2022,156,410,811294,-5,1",  # 8 negative value
    "2022,156,410,811295,5,-1",  # 9 negative quantity
    "2022,999,410,811296,5,1",  # 10 unknown country code
    "2022,410,410,811297,5,1",  # 11 self-trade
    "",  # 12 blank line: skipped, not a row
    "2022,156,410,811292,7.0,1",  # 13 duplicate key (of line 2)
    "2022,392,410,811292,3,             NA",  # 14 good
]
EXPECTED_LINES = {
    "wrong number of fields": 3,
    "missing field": 4,
    "bad year": 5,
    "malformed HS code": 6,
    "non-numeric value": 7,
    "negative value": 8,
    "non-numeric or negative quantity": 9,
    "unknown country code": 10,
    "self-trade": 11,
    "duplicate key": 13,
}


@pytest.fixture
def defects_file(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    write_country_codes_v202601(d / "country_codes_V202601.csv")
    p = d / "BACI_HS17_Y2022_V202601.csv"
    p.write_text("\n".join(BACI_LINES) + "\n")
    return p


def test_each_defect_once(defects_file):
    t = read_flows([defects_file])
    assert dict(t.report.reasons) == {r: 1 for r in EXPECTED_LINES}
    assert t.report.rows_read == 12  # 13 lines after the header, one blank
    assert t.report.rows_accepted == 2
    assert t.report.rows_read == t.report.rows_accepted + t.report.rows_rejected
    got = dict(zip(t.report.rejected["reason"], t.report.rejected["line"]))
    assert got == EXPECTED_LINES
    assert t.report.unknown_codes == {"999": 5000.0}
    assert t.report.value_usd_rejected["negative value"] == -5000.0
    assert t.report.value_usd_accepted == pytest.approx(103_000.0)


def test_a_negative_value_is_no_share_of_the_input_value(defects_file):
    """Shares are of accepted + rejected value, the negative value left out: accepted + rejected shares sum to 1."""
    res = validate_files([defects_file])
    d = res.to_dict()
    rep = res.table.report
    positive = sum(v for v in rep.value_usd_rejected.values() if v > 0)
    assert d["value_usd_total"] == pytest.approx(103_000.0 + positive)
    by = {r["reason"]: r for r in d["rows"]}
    assert by["negative value"]["value_usd"] == -5000.0  # what the file says is kept
    assert by["negative value"]["value_share"] is None
    shares = [r["value_share"] for r in d["rows"] if r["value_share"] is not None]
    assert all(0 <= s <= 1 for s in shares)
    assert rep.value_usd_accepted / d["value_usd_total"] + sum(shares) == pytest.approx(1.0)
    read = d["meta"]["read"]  # the provenance block takes its shares of the same total
    assert read["value_share_rejected"] == pytest.approx(positive / d["value_usd_total"])


def test_quarantine_holds_each_rejected_row(defects_file, tmp_path):
    q = tmp_path / "bad.csv"
    res = validate_files([defects_file], quarantine=q)
    assert res.exit_code == 1
    rows = pd.read_csv(q, dtype=str, keep_default_na=False)
    assert list(rows.columns[:5]) == ["file", "line", "reason", "kind", "detail"]
    assert dict(zip(rows["reason"], rows["line"].astype(int))) == EXPECTED_LINES
    assert set(rows["kind"]) == {"defect"}
    by = rows.set_index("reason")
    # raw fields as written, and the text of the line that could not be split
    assert by.loc["non-numeric value", "v"] == "abc"
    assert by.loc["bad year", "t"] == "20x2"
    assert by.loc["wrong number of fields", "raw_line"] == "2022,156,410,811292,100.0"
    assert "line 2" in by.loc["duplicate key", "detail"] or ":2" in by.loc["duplicate key", "detail"]
    for reason, line in EXPECTED_LINES.items():
        if reason != "wrong number of fields":
            raw = ",".join(by.loc[reason, c] for c in "tijkvq")
            assert raw.replace(" ", "") == BACI_LINES[line - 1].replace(" ", "")


def test_comtrade_specific_defects_and_structural_drops(tmp_path):
    rows = [
        api_row(410, "M", 156, "811292", 900.0, 10),  # 2 good
        api_row(410, "Q", 156, "811292", 1.0, 1),  # 3 unknown flow code
        api_row(410, "M", 156, "811292", 2.0, 1, freq="Q"),  # 4 non-annual period (monthly rows are read)
        api_row(410, "M", 0, "811292", 3.0, 1),  # 5 reporter-to-World total (kept in meta.world_totals)
        api_row(410, "M", 156, "81", 4.0, 1),  # 6 aggregate HS code
        api_row(410, "M", 156, "811292", 5.0, 1, partner2=392),  # 7 duplicate breakdown row
        api_row(410, "RM", 156, "811292", 6.0, 1),  # 8 re-export or re-import
        api_row(410, "MIP", 156, "811292", 7.0, 1),  # 9 other flow code
        api_row(156, "X", 410, "811292", 8.0, 1),  # 10 superseded by partner report
        api_row(410, "M", 392, "811292", 9.0, 1, cls="S4"),  # 11 non-HS classification -> malformed HS
    ]
    p = tmp_path / "ct.csv"
    p.write_text(API_HEADER + "\n" + "\n".join(rows) + "\n")
    t = read_flows([p])
    got = dict(zip(t.report.rejected["reason"], t.report.rejected["line"]))
    assert got == {
        "unknown flow code": 3,
        "non-annual period": 4,
        "reporter-to-World total": 5,
        "aggregate HS code": 6,
        "duplicate breakdown row": 7,
        "re-export or re-import": 8,
        "other flow code": 9,
        "superseded by partner report": 10,
        "malformed HS code": 11,
    }
    assert t.report.rows_accepted == 1
    res = validate_files([p])
    assert res.defects == {"malformed HS code": 1, "unknown flow code": 1, "non-annual period": 1}
    assert res.exit_code == 1


def test_structural_drops_alone_exit_zero(tmp_path):
    rows = [api_row(410, "M", 156, "811292", 900.0, 10), api_row(410, "M", 0, "811292", 900.0, 10),
            api_row(410, "M", 156, "811292", 100.0, 1, mot=2100)]
    p = tmp_path / "ct.csv"
    p.write_text(API_HEADER + "\n" + "\n".join(rows) + "\n")
    res = validate_files([p])
    assert res.structural == {"reporter-to-World total": 1, "duplicate breakdown row": 1}
    assert res.defects == {} and res.exit_code == 0
    assert res.to_dict()["status"] == "structural drops only"


def test_reason_kinds_are_a_partition():
    assert set(DEFECTS).isdisjoint(STRUCTURAL)
    assert all(is_defect(r) for r in DEFECTS) and not any(is_defect(r) for r in STRUCTURAL)
    assert {"aggregate partner", "duplicate breakdown row"} <= set(STRUCTURAL)
