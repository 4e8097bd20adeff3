"""Helpers for reader tests: hand-made BACI country tables, BACI lines, frame comparison."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

# A hand-made subset of BACI's country table (codes as BACI publishes them; Taiwan 490).
COUNTRIES = [
    (4, "Afghanistan", "AF", "AFG"),
    (36, "Australia", "AU", "AUS"),
    (76, "Brazil", "BR", "BRA"),
    (156, "China", "CN", "CHN"),
    (251, "France", "FR", "FRA"),
    (276, "Germany", "DE", "DEU"),
    (392, "Japan", "JP", "JPN"),
    (410, "Rep. of Korea", "KR", "KOR"),
    (490, "Other Asia, nes", "", "S19"),
    (516, "Namibia", "NA", "NAM"),
    (699, "India", "IN", "IND"),
    (757, "Switzerland", "CH", "CHE"),
    (842, "USA", "US", "USA"),
]


def write_country_codes_v202601(path: Path) -> Path:
    """Write a V202601-layout country table (country_code,country_name,country_iso2,country_iso3)."""
    lines = ["country_code,country_name,country_iso2,country_iso3"]
    lines += [f'{c},"{n}",{i2},{i3}' if "," in n else f"{c},{n},{i2},{i3}" for c, n, i2, i3 in COUNTRIES]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_country_codes_v202201(path: Path) -> Path:
    """Write a V202201-layout table: UTF-8 BOM, quoted, CRLF, Taiwan's ISO3 written "N/A"."""
    head = '"country_code","country_name_abbreviation","country_name_full","iso_2digit_alpha","iso_3digit_alpha"'
    rows = []
    for c, n, i2, i3 in COUNTRIES:
        i3 = "N/A" if c == 490 else i3
        i2 = "N/A" if c == 490 else i2
        rows.append(f'{c},"{n}","{n}","{i2}","{i3}"')
    path.write_bytes(("\ufeff" + "\r\n".join([head] + rows) + "\r\n").encode("utf-8"))
    return path


def baci_line(t, i, j, k, v, q) -> str:
    """One BACI release line: q right-aligned in 15 characters (NA when missing), as CEPII writes it."""
    qs = "NA" if q is None else f"{q:.3f}"
    return f"{t},{i},{j},{k},{v},{qs:>15}"


def frame_of(table) -> pd.DataFrame:
    """The flow frame of a FlowTable with plain object strings (for easy comparisons)."""
    return table.frame.astype({"exporter": object, "importer": object, "hs": object})


API_HEADER = (
    "typeCode,freqCode,refPeriodId,refYear,refMonth,period,reporterCode,reporterISO,reporterDesc,flowCode,flowDesc,"
    "partnerCode,partnerISO,partnerDesc,partner2Code,partner2ISO,partner2Desc,classificationCode,"
    "classificationSearchCode,isOriginalClassification,cmdCode,cmdDesc,aggrLevel,isLeaf,customsCode,customsDesc,"
    "mosCode,motCode,motDesc,qtyUnitCode,qtyUnitAbbr,qty,isQtyEstimated,altQtyUnitCode,altQtyUnitAbbr,altQty,"
    "isAltQtyEstimated,netWgt,isNetWgtEstimated,grossWgt,isGrossWgtEstimated,cifvalue,fobvalue,primaryValue,"
    "legacyEstimationFlag,isReported,isAggregate"
)


def api_row(reporter, flow, partner, cmd, value, netwgt="", *, partner2=0, customs="C00", mot=0, year=2022, freq="A",
            cls="H5"):
    return (
        f"C,{freq},{year}0101,{year},52,{year},{reporter},,,{flow},,{partner},,,{partner2},,,{cls},HS,True,{cmd},,6,"
        f"True,{customs},,0,{mot},,8,,{netwgt},False,8,,{netwgt},False,{netwgt},False,0.0,False,{value},0.0,{value},"
        "0,True,False"
    )
