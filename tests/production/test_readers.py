"""Production readers: USGS MCS, BGS WMS and tidy layouts, hand-made and real (../shared/realdata)."""

from __future__ import annotations

import csv
import io
import re

import pandas as pd
import pytest

from scrisk.errors import FormatDetectionError, InputError
from scrisk.production.names import classify_name
from scrisk.production.readers import read_bgs_wms, read_production, read_production_tidy, read_usgs_mcs

USGS = ("\ufeffSource,Country,Type,Prod_kt_2022,Prod_kt_est_2023,Prod_notes,Reserves_kt,Reserves_notes\r\n"
        "MCS2024,United\u00a0States,\"Mine production, x\",W,W,,NA,\r\n"
        "MCS2024,Chinae,\"Mine production, x\",\"1,200\",1300,,50,\r\n"
        "MCS2024,\"Korea, Republic ofe\",\"Mine production, x\",NA,e40,,,\r\n"
        "MCS2024,Other countries4,\"Mine production, x\",100,100,,,\r\n"
        "MCS2024,World total (rounded),\"Mine production, x\",1300,1400,,,\r\n"
        ",,,,,,,\r\n,,,,,,,\r\n")


def usgs_file(tmp_path, text=USGS, name="mcs2024-xxxxx_world.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_usgs_values_units_footnotes_and_rejections(tmp_path):
    d = read_usgs_mcs(usgs_file(tmp_path))
    f = d.frame
    assert set(f["commodity"]) == {"xxxxx"}
    got = {(r.country_name, r.year): (r.country, r.kind, r.quantity, r.estimated) for r in f.itertuples()}
    assert got[("Chinae", 2022)] == ("CHN", "country", 1.2e9, False)  # "1,200" kt -> kg
    assert got[("Chinae", 2023)] == ("CHN", "country", 1.3e9, True)
    assert got[("Korea, Republic ofe", 2023)] == ("KOR", "country", 4e7, True)  # "e40": an estimate marked in the cell
    assert got[("Other countries4", 2022)][1] == "other"
    assert got[("World total (rounded)", 2023)][1] == "world"
    reasons = sorted((r["country_name"], r["year"], r["reason"]) for r in d.rejected)
    assert reasons == [("Korea, Republic ofe", 2022, "no data"), ("United\u00a0States", 2022, "withheld"),
                       ("United\u00a0States", 2023, "withheld")]
    # every production cell of the five data rows is read or rejected
    assert len(f) + len(d.rejected) == 5 * 2
    assert d.files[0]["skipped_blank"] == 2


def test_usgs_header_naming_its_only_type_and_qualified_units(tmp_path):
    text = ("Source,Country,\"Mine production, fluorspar\",Prod_kt_2022,Prod_kt_Est_2023\n"
            "MCS2024,China,\"Mine production, fluorspar\",5700,5700\n")
    f = read_usgs_mcs(usgs_file(tmp_path, text, "mcs2024-fluor_world.csv")).frame
    assert f["quantity"].tolist() == [5.7e9, 5.7e9] and f["type"].iloc[0] == "Mine production, fluorspar"
    text = "Source,Country,Type,Prod_Sponge_t_Est_2022,Prod_Sponge_t_Est_2023\nMCS2024,Japan,Sponge,49200,50000\n"
    f = read_usgs_mcs(usgs_file(tmp_path, text, "mcs2024-titan_world.csv")).frame
    assert f["quantity"].tolist() == [4.92e7, 5e7] and f["estimated"].all()


def test_usgs_not_a_table(tmp_path):
    with pytest.raises(FormatDetectionError, match="not a USGS MCS world table"):
        read_usgs_mcs(usgs_file(tmp_path, "a,b,c\n1,2,3\n"))


def test_country_names():
    assert classify_name("Congo (Kinshasa)") == ("COD", "country")
    assert classify_name("Brazil (beneficiated)") == ("BRA", "country")
    assert classify_name("China, boric oxide equivalent") == ("CHN", "country")
    assert classify_name("Korea, Dem. P.R. of") == ("PRK", "country")
    assert classify_name("Ukraine") == ("UKR", "country")  # a name ending in e is not a footnote
    assert classify_name("Soviet Union") == (None, "unmapped")
    assert classify_name("Other countries (rounded)") == (None, "other")


def test_bgs_layout(tmp_path):
    p = tmp_path / "bgs.csv"
    p.write_text("Country;commodity_code;commodity_desc;Sub-commodity;year;value\n"
                 "Congo, Democratic Republic;36;cobalt mine;;2019;100000\nZambia;36;cobalt mine;;2019;x\n"
                 "Soviet Union;36;cobalt mine;;1985;2000\n")
    d = read_bgs_wms(p)
    assert d.frame[["country", "kind", "quantity"]].values.tolist() == [["COD", "country", 1e8],
                                                                         [pd.NA, "unmapped", 2e6]]
    assert [r["reason"] for r in d.rejected] == ["not a number"]


def test_tidy_layout_and_errors():
    d = read_production_tidy(io.StringIO("country,commodity,stage,year,quantity,unit\nCHN,gallium,primary,2023,600,t\n"
                                         "Japan,gallium,refinery,2023,3000,kg\n"))
    assert d.frame[["country", "stage", "quantity"]].values.tolist() == [["CHN", "refinery", 6e5],
                                                                          ["JPN", "refinery", 3e3]]
    with pytest.raises(InputError, match="stage 'smelting'") as ei:
        read_production_tidy(io.StringIO("country,commodity,stage,year,quantity\nCHN,gallium,smelting,2023,1\n"))
    assert ei.value.line == 2
    with pytest.raises(InputError, match="no quantity column"):
        read_production_tidy(io.StringIO("country,commodity,stage,year\nCHN,gallium,mine,2023\n"))


def _pandas_usgs_cells(path) -> tuple[int, int]:
    """Independent count of the non-blank data rows' production cells of one USGS file (with the csv module)."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    cols = [j for j, h in enumerate(rows[0]) if re.match(r"(?i)^prod_.*\d{4}$", h.strip())]
    data = [r for r in rows[1:] if any(c.strip() for c in r)]
    return len(data) * len(cols), len(data)


def test_realdata_usgs_every_cell_accounted(realdata):
    folder = realdata / "usgs-mcs"
    d = read_production(folder)
    files = sorted(p for p in folder.rglob("*.csv"))
    expected = sum(_pandas_usgs_cells(p)[0] for p in files)
    assert len(d.frame) + len(d.rejected) == expected
    assert {r["reason"] for r in d.rejected} <= {"withheld", "no data", "below the reporting unit",
                                                 "included in another row"}
    # every USGS name maps to an ISO3 code or is an aggregate, except the one joint entry
    unm = set(d.frame.loc[d.frame["kind"] == "unmapped", "country_name"])
    assert unm <= {"United\u00a0States and Canada"}


def test_realdata_bgs_rows_accounted(realdata):
    path = realdata / "bgs-wms" / "df_ukgs.csv.gz"
    raw = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
    d = read_bgs_wms(path)
    assert len(d.frame) + len(d.rejected) == len(raw)
    numeric = pd.to_numeric(raw["value"], errors="coerce").notna()
    assert len(d.frame) == int(numeric.sum())
    assert d.report()["unmapped_names"] == ["Czechoslovakia", "German Democratic Rep", "Neutral zone",
                                            "Serbia and Montenegro", "Soviet Union", "Yugoslavia"]
