"""Unallocated "nes" areas stay as flows; aggregates and Comtrade own-country rows do not."""

from __future__ import annotations

from io_helpers import API_HEADER, api_row

from scrisk.io import read_flows
from scrisk.io.options import ReadOptions


def test_nes_area_partner_is_kept_and_world_is_structural(tmp_path):
    rows = [
        api_row(410, "M", 156, "811292", 900.0, 10),  # line 2: CHN -> KOR
        api_row(410, "M", 899, "811292", 50.0, 1),  # line 3: Areas nes -> KOR, kept
        api_row(410, "M", 0, "811292", 950.0, 11),  # line 4: World row, structural
        api_row(410, "M", 410, "811292", 7.0, 1),  # line 5: KOR re-imports from itself, structural
    ]
    p = tmp_path / "ct.csv"
    p.write_text(API_HEADER + "\n" + "\n".join(rows) + "\n")
    t = read_flows([p], ReadOptions())
    f = t.frame
    assert sorted(f["exporter"].tolist()) == ["CHN", "XAN"]
    assert float(f["value_usd"].sum()) == 950.0
    assert dict(t.report.reasons) == {"reporter-to-World total": 1, "own country as partner": 1}
    assert t.meta.world_totals["value_usd"].tolist() == [950.0]  # kept for world-side figures
    assert t.report.rows_accepted + t.report.rows_rejected == t.report.rows_read == 4


def test_self_trade_in_a_tidy_file_is_a_defect(tmp_path):
    p = tmp_path / "tidy.csv"
    p.write_text("year,exporter,importer,hs,value_usd\n2024,KOR,KOR,811292,5\n2024,CHN,KOR,811292,9\n")
    t = read_flows([p], ReadOptions())
    assert dict(t.report.reasons) == {"self-trade": 1}
    assert t.report.rejected["line"].tolist() == [2]
