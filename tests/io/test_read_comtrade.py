"""UN Comtrade: API/bulk, legacy and trimmed layouts; aggregates, breakdown rows, orientation, sides."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest
from io_helpers import API_HEADER, api_row, frame_of

from scrisk.errors import UsageError
from scrisk.io import ReadOptions, detect_source, read_flows

@pytest.fixture
def api_file(tmp_path):
    rows = [
        api_row(410, "M", 156, "811292", 900.0, 10),  # line 2: KOR imports from CHN (total)
        api_row(410, "M", 156, "811292", 600.0, 6, mot=1000),  # 3: breakdown by transport mode
        api_row(410, "M", 156, "811292", 300.0, 4, customs="C01"),  # 4: breakdown by customs procedure
        api_row(410, "M", 0, "811292", 1000.0, 11),  # 5: World
        api_row(156, "X", 410, "811292", 880.0, 9),  # 6: CHN's mirror report: superseded (both)
        api_row(156, "X", 392, "811292", 500.0, 5),  # 7: CHN exports to JPN, no JPN import report
        api_row(392, "RX", 410, "811292", 20.0, ""),  # 8: re-export
        api_row(490, "X", 842, "854231", 70.0, 1),  # 9: Taiwan (Other Asia nes) exports to USA
        api_row(842, "M", 490, "8542", 75.0, 1),  # 10: heading-level aggregate
        api_row(842, "M", 251, "370790", 5.0, "", freq="Q"),  # 11: quarterly (monthly rows are read, see test_periods_layouts)
        api_row(842, "DX", 251, "370790", 5.0, ""),  # 12: domestic exports (special flow)
    ]
    p = tmp_path / "comtrade_api.csv"
    p.write_text(API_HEADER + "\n" + "\n".join(rows) + "\n")
    return p


def _reasons(t):
    return dict(t.report.reasons)


def test_api_layout_both_sides(api_file):
    assert detect_source(api_file) == "comtrade"
    t = read_flows([api_file])
    f = frame_of(t).set_index(["exporter", "importer", "hs"])
    assert sorted(f.index) == [("CHN", "JPN", "811292"), ("CHN", "KOR", "811292"), ("TWN", "USA", "854231")]
    assert f.loc[("CHN", "KOR", "811292"), "value_usd"] == 900.0  # the importer's total, not the mirror
    assert f.loc[("CHN", "KOR", "811292"), "qty_kg"] == 10.0
    assert _reasons(t) == {
        "duplicate breakdown row": 2,
        "reporter-to-World total": 1,
        "superseded by partner report": 1,
        "re-export or re-import": 1,
        "aggregate HS code": 1,
        "non-annual period": 1,
        "other flow code": 1,
    }
    rej = t.report.rejected.set_index("line")
    assert rej.loc[3, "reason"] == rej.loc[4, "reason"] == "duplicate breakdown row"
    assert rej.loc[5, "reason"] == "reporter-to-World total"
    assert rej.loc[6, "reason"] == "superseded by partner report"
    assert t.meta.hs_revision == "HS2017"
    assert t.report.rows_read == 11 == t.report.rows_accepted + t.report.rows_rejected


def test_side_exports_and_imports(api_file):
    ex = read_flows([api_file], ReadOptions(comtrade_side="exports"))
    assert sorted(zip(ex.frame["exporter"], ex.frame["importer"])) == [("CHN", "JPN"), ("CHN", "KOR"), ("TWN", "USA")]
    assert frame_of(ex).set_index(["exporter", "importer"]).loc[("CHN", "KOR"), "value_usd"] == 880.0
    im = read_flows([api_file], ReadOptions(comtrade_side="imports"))
    assert sorted(zip(im.frame["exporter"], im.frame["importer"])) == [("CHN", "KOR")]
    assert im.report.reasons["other reported side"] == 3
    with pytest.raises(UsageError, match="comtrade-side"):
        read_flows([api_file], ReadOptions(comtrade_side="mirror"))


def test_trimmed_layout_keeps_the_largest_row_per_key_and_needs_a_year(tmp_path):
    p = tmp_path / "short.csv.gz"
    text = (
        "reporter,partner,cmd,flow,value,netwgt\n"
        "156,410,811292,X,100.0,1\n"
        "156,410,811292,X,60.0,1\n"
        "156,410,811292,X,100.0,1\n"
        "156,0,811292,X,150.0,2\n"
        "156,392,811292,X,50.0,\n"
    )
    p.write_bytes(gzip.compress(text.encode()))
    assert detect_source(p) == "comtrade"
    with pytest.raises(UsageError, match="--year"):
        read_flows([p])
    t = read_flows([p], ReadOptions(years=(2024,), comtrade_side="exports"))
    assert t.years == (2024,)
    assert t.frame["value_usd"].sum() == 150.0  # = the World row
    rej = t.report.rejected.set_index("line")
    assert rej.loc[3, "reason"] == rej.loc[4, "reason"] == "duplicate breakdown row"
    assert "line 2" in rej.loc[4, "detail"]


def test_legacy_bulk_layout(tmp_path):
    head = ("Classification,Year,Period,Period Desc.,Aggregate Level,Is Leaf Code,Trade Flow Code,Trade Flow,"
            "Reporter Code,Reporter,Reporter ISO,Partner Code,Partner,Partner ISO,2nd Partner Code,2nd Partner,"
            "2nd Partner ISO,Customs Proc. Code,Customs,Mode of Transport Code,Mode of Transport,Commodity Code,"
            "Commodity,Qty Unit Code,Qty Unit,Qty,Alt Qty Unit Code,Alt Qty Unit,Alt Qty,Netweight (kg),"
            "Gross weight (kg),Trade Value (US$),CIF Trade Value (US$),FOB Trade Value (US$),Flag")
    rows = [
        'H5,2019,2019,2019,6,1,1,Import,392,Japan,JPN,528,Netherlands,NLD,,,,,,,,848620,"Machines, semiconductor",1,'
        'No Quantity,0,,,,5000,,7000000,,,0',
        'H5,2019,2019,2019,6,1,2,Export,392,Japan,JPN,0,World,WLD,,,,,,,,848620,"Machines, semiconductor",1,'
        'No Quantity,0,,,,9000,,9000000,,,0',
        'H5,2019,2019,2019,6,1,3,Re-Export,392,Japan,JPN,410,Rep. of Korea,KOR,,,,,,,,848620,"Machines",1,'
        'No Quantity,0,,,,1,,100,,,0',
    ]
    p = tmp_path / "legacy.csv"
    p.write_text(head + "\n" + "\n".join(rows) + "\n")
    t = read_flows([p])
    assert list(zip(t.frame["exporter"], t.frame["importer"], t.frame["value_usd"])) == [("NLD", "JPN", 7_000_000.0)]
    assert _reasons(t) == {"reporter-to-World total": 1, "re-export or re-import": 1}
    assert t.meta.hs_revision == "HS2017"


def test_china_811292_exports_equal_china_world_row(atlas):
    """Comtrade 2024: China-reported exports of 811292 over all partners (breakdown rows resolved)
    equal China's own World row, computed here independently with pandas."""
    path = atlas / "comtrade_2024.csv.gz"
    raw = pd.read_csv(path, dtype={"reporter": str, "partner": str, "cmd": str, "flow": str})
    china = raw[(raw["reporter"] == "156") & (raw["cmd"] == "811292") & (raw["flow"] == "X")]
    world = china.loc[china["partner"] == "0", "value"].unique()
    assert len(world) == 1 and world[0] == 392_720_858.0
    t = read_flows([path], ReadOptions(years=(2024,), comtrade_side="exports"))
    f = t.frame
    got = f.loc[(f["exporter"] == "CHN") & (f["hs"] == "811292"), "value_usd"].sum()
    assert got == pytest.approx(world[0], abs=0.5)
    # the file repeats breakdown rows; they were dropped, not summed
    assert t.report.reasons["duplicate breakdown row"] > 0
    assert raw.duplicated(["reporter", "partner", "cmd", "flow"]).sum() > 0
    assert t.report.rows_read == len(raw)
    assert t.report.rows_read == t.report.rows_accepted + t.report.rows_rejected
    assert t.report.reasons["other reported side"] == (raw["flow"] == "M").sum()


def test_real_api_records_us_china(realdata):
    folder = realdata / "comtrade-us-critmin-api"
    if not folder.is_dir():
        pytest.skip("comtrade-us-critmin-api not present")
    path = folder / "gallium_trade_data.csv"
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    t = read_flows([path])
    assert t.report.rows_read == len(raw)
    # only USA<->CHN are bilateral in this pull; every accepted flow is one of them
    assert set(zip(t.frame["exporter"], t.frame["importer"])) <= {("USA", "CHN"), ("CHN", "USA")}
    total = raw[(raw["partnerCode"] != "0") & (raw["motCode"] == "0") & (raw["customsCode"] == "C00")
                & (raw["partner2Code"] == "0") & raw["flowCode"].isin(["M", "X"])]
    # both sides: importer reports, plus exporter reports no importer made
    imports = total[total["flowCode"] == "M"]
    exports = total[total["flowCode"] == "X"]
    keys_m = set(zip(imports["refYear"], imports["partnerCode"], imports["reporterCode"], imports["cmdCode"]))
    extra = exports[[k not in keys_m for k in zip(exports["refYear"], exports["reporterCode"], exports["partnerCode"],
                                                  exports["cmdCode"])]]
    expected = imports["primaryValue"].astype(float).sum() + extra["primaryValue"].astype(float).sum()
    assert t.frame["value_usd"].sum() == pytest.approx(expected)
    # this pull mixes H5 (HS2017) and H6 (HS2022) records; the table says so
    assert set(raw["classificationCode"]) == {"H5", "H6"}
    assert t.meta.hs_revision == "mixed"
