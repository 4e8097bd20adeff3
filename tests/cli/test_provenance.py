"""Every output's meta accounts for the rows read: accepted, rejected by reason, value shares, unknown codes."""

from __future__ import annotations

import json

from cli_helpers import run

from scrisk.api import load_flows
from scrisk.provenance import output_meta

BAD = (
    "year,exporter,importer,hs,value_usd\n"
    "2024,CHN,KOR,811292,900\n2024,JPN,KOR,811292,100\n2024,QQQ,KOR,811292,50\n2024,USA,KOR,81129,-5\n"
)


def test_meta_reports_rejections_with_value_shares(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text(BAD)
    read = output_meta(load_flows([p]))["read"]
    assert read["rows_read"] == 4 and read["rows_accepted"] == 2 and read["rows_rejected"] == 2
    assert read["reasons"] == {"negative value": 1, "unknown country code": 1}
    assert read["unknown_codes"] == [{"code": "QQQ", "value_usd": 50.0, "value_share": 50.0 / 1050.0}]
    assert abs(read["value_share_rejected"] - 50.0 / 1050.0) < 1e-12
    assert read["rows_rejected_defect"] == 2 and read["rows_rejected_structural"] == 0


def test_analyze_and_shock_say_so_on_stderr(monkeypatch, capsys, tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text(BAD)
    code, out, err = run(monkeypatch, capsys, "analyze", str(p), "-f", "json")
    assert code == 0 and json.loads(out)["meta"]["read"]["rows_rejected"] == 2
    assert "2 of 4 input rows rejected as defects" in err and "QQQ" in err
    # shock pushes its HS codes into the scan: the 5-digit row (read as 081129) is outside it and never read
    code, out, err = run(monkeypatch, capsys, "shock", str(p), "--exporter", "CHN", "--hs", "811292", "-f", "json")
    assert code == 0 and json.loads(out)["meta"]["read"]["rows_read"] == 3
    assert "1 of 3 input rows rejected as defects" in err and "QQQ" in err


def test_structural_drops_are_not_called_defects(monkeypatch, capsys, tmp_path):
    p = tmp_path / "ct.csv"
    p.write_text("year,reporter,partner,cmd,flow,value,netwgt\n"
                 "2024,410,156,811292,M,900,1\n2024,410,0,811292,M,950,1\n2024,410,156,811292,M,900,1\n")
    code, out, err = run(monkeypatch, capsys, "analyze", str(p), "-f", "json")
    read = json.loads(out)["meta"]["read"]
    assert code == 0 and read["rows_rejected_defect"] == 0 and read["rows_rejected_structural"] == 2
    assert "rejected as defects" not in err and "2 of 3 input rows dropped by design" in err
