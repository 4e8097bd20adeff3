"""scrisk.countries: the bundled country table, BACI release tables, country groups."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scrisk.countries import (
    COMTRADE_WORLD,
    KINDS,
    CountryGroup,
    CountryTable,
    expand_countries,
    load_groups,
)
from scrisk.errors import (
    ConfigError,
    FormatDetectionError,
    UnknownCountryError,
    UnreadableFileError,
)
from scrisk.resources import package_data

DATA = Path(__file__).resolve().parent / "data" / "countries"
ISO3_RE = re.compile(r"^[A-Z][A-Z0-9]{2}$")  # the flow schema's code pattern


@pytest.fixture(scope="module")
def table() -> CountryTable:
    return CountryTable.bundled()


@pytest.fixture(scope="module")
def raw_csv() -> pd.DataFrame:
    """The bundled CSV read independently of scrisk.countries."""
    lines = [ln for ln in package_data("countries.csv").read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    return pd.DataFrame(list(csv.DictReader(lines))).fillna("")


def _split(v: str) -> list[str]:
    return [p for p in v.split(";") if p]


# ------------------------------------------------------------------ the CSV


def test_csv_codes_match_the_flow_schema_and_are_unique(raw_csv):
    assert raw_csv["iso3"].map(lambda c: bool(ISO3_RE.match(c))).all()
    assert not raw_csv["iso3"].duplicated().any()
    assert set(raw_csv["kind"]) == set(KINDS)
    numbers = [int(n) for v in raw_csv["iso_numeric"] if v for n in [v]]
    numbers += [int(n) for v in raw_csv["trade_codes"] for n in _split(v)]
    assert len(numbers) == len(set(numbers)), "a numeric code names two entries"
    aliases = [a for v in raw_csv["aliases"] for a in _split(v)]
    assert len(aliases) == len(set(aliases))
    assert not set(aliases) & set(raw_csv["iso3"]), "an alias shadows an ISO3 code"
    assert all(ISO3_RE.match(a) for a in aliases)


def test_csv_has_every_iso_3166_1_entry(raw_csv):
    # ISO 3166-1 has 249 entries; every current one has alpha-2, alpha-3 and numeric
    iso = raw_csv[(raw_csv["kind"] == "country") & (raw_csv["iso2"] != "") & (raw_csv["iso_numeric"] != "")]
    former = {"ANT", "CSK", "DDR", "SUN", "SCG", "PUS"}
    assert len(iso[~iso["iso3"].isin(former)]) == 249
    assert set(iso["iso3"]) >= former
    # spot checks across the list, including rarely traded territories
    row = raw_csv.set_index("iso3")
    for a3, a2, num in [("ATA", "AQ", "10"), ("BVT", "BV", "74"), ("UMI", "UM", "581"), ("SSD", "SS", "728"),
                        ("CUW", "CW", "531"), ("BES", "BQ", "535"), ("TWN", "TW", "158"), ("NAM", "NA", "516"),
                        ("ALA", "AX", "248"), ("PSE", "PS", "275"), ("MKD", "MK", "807")]:
        assert (row.loc[a3, "iso2"], row.loc[a3, "iso_numeric"]) == (a2, num)


def test_namibia_iso2_is_not_lost(table):
    assert table.frame.set_index("iso3").loc["NAM", "iso2"] == "NA"
    assert table.alpha_to_iso3(pd.Series(["NA"]), iso2=True).tolist() == ["NAM"]
    assert table.alpha_to_iso3(pd.Series(["NA"])).isna().all()  # ISO2 only on request


# --------------------------------------------------------------- the lookups


def test_taiwan_every_way(table):
    assert table.numeric_to_iso3(pd.Series([490, 158, "490", " 158 "])).tolist() == ["TWN"] * 4
    assert table.alpha_to_iso3(pd.Series(["S19", "s19", "TWN"])).tolist() == ["TWN"] * 3
    assert table.kind_of(pd.Series(["TWN"])).tolist() == ["country"]
    assert table.name_of("TWN") == "Taiwan"


def test_trade_codes_of_comtrade_and_baci(table):
    codes = {842: "USA", 840: "USA", 251: "FRA", 250: "FRA", 699: "IND", 356: "IND", 757: "CHE", 756: "CHE",
             579: "NOR", 578: "NOR", 381: "ITA", 380: "ITA", 58: "BEL", 56: "BEL", 280: "DEU", 276: "DEU",
             736: "SDN", 729: "SDN", 697: "R20", 711: "ZA1", 710: "ZAF", 849: "PUS", 891: "SCG", 0: "WLD", 97: "EUU"}
    got = table.numeric_to_iso3(pd.Series(list(codes)))
    assert dict(zip(codes, got)) == codes


def test_numeric_input_types_and_index(table):
    s = pd.Series([" 76", "076", 76.0, 76, "76.5", "", None, "abc", -4], index=list("abcdefghi"))
    out = table.numeric_to_iso3(s)
    assert list(out.index) == list("abcdefghi")
    assert str(out.dtype) == "string"
    assert out.tolist() == ["BRA", "BRA", "BRA", "BRA", pd.NA, pd.NA, pd.NA, pd.NA, pd.NA]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([4, 36, 76, 156, 392, 410, 490, 516, 842, 894]), st.integers(0, 3), st.booleans())
def test_numeric_spelling_does_not_matter(table, code, pad, as_float):
    spelled = (f"{float(code)}" if as_float else str(code).zfill(len(str(code)) + pad)).center(pad + 6)
    assert table.numeric_to_iso3(pd.Series([spelled])).iloc[0] == table.numeric_to_iso3(pd.Series([code])).iloc[0]


def test_alpha_lookup_aliases_and_unknowns(table):
    s = pd.Series([" kor ", "ROM", "ZAR", "TMP", "YUG", "KSV", "ADO", "WBG", "XYZ", None, "KR"])
    assert table.alpha_to_iso3(s).tolist() == ["KOR", "ROU", "COD", "TLS", "SCG", "XKX", "AND", "PSE", pd.NA, pd.NA, pd.NA]


def test_kinds(table):
    areas = ["R20", "ZA1", "XAN", "XBK", "XFZ", "XSC", "XOC", "XOE", "XOA", "XAM"]
    assert table.kind_of(pd.Series(areas)).tolist() == ["area"] * len(areas)
    assert table.kind_of(pd.Series(["WLD", "EUU"])).tolist() == ["aggregate"] * 2
    assert table.numeric_to_iso3(pd.Series([COMTRADE_WORLD])).tolist() == ["WLD"]
    assert table.kind_of(pd.Series(["CSK", "SUN", "KOR"])).tolist() == ["country"] * 3
    assert table.kind_of(pd.Series(["QQQ"])).isna().all()
    assert table.kind_of(pd.Series(["QQQ"]), default="country").tolist() == ["country"]
    assert "WLD" not in table.iso3_codes("country") and "WLD" in table.iso3_codes()


def test_name_of_unknown_code_suggests(table):
    with pytest.raises(UnknownCountryError, match=r"KOR \(South Korea; KR is its ISO2 code") as e:
        table.name_of("KR")
    assert e.value.exit_code == 2


# ----------------------------------------------------- BACI release tables


def test_from_baci_file_v202201_with_bom_quotes_and_na():
    t = CountryTable.from_baci_file(DATA / "country_codes_V202201_bom.csv")
    got = t.numeric_to_iso3(pd.Series([4, 251, 381, 490, 516, 697, 711, 842, 849, 990]))
    # the release decides 711 (ZAF here); N/A rows take the bundled code; 490 is Taiwan; 990 is unknown to both
    assert got.tolist() == ["AFG", "FRA", "ITA", "TWN", "NAM", "R20", "ZAF", "USA", "PUS", pd.NA]
    assert t.kind_of(pd.Series(["R20", "TWN", "PUS"])).tolist() == ["area", "country", "country"]
    assert t.frame.set_index("iso3").loc["NAM", "iso2"] == "NA"


def test_from_baci_file_v202601_latin1_and_new_codes():
    t = CountryTable.from_baci_file(DATA / "country_codes_V202601_latin1.csv")
    assert t.numeric_to_iso3(pd.Series([384, 490, 516, 711, 999])).tolist() == ["CIV", "TWN", "NAM", "ZA1", "Q99"]
    assert t.alpha_to_iso3(pd.Series(["S19", "Q99", "ZA1"])).tolist() == ["TWN", "Q99", "ZA1"]
    assert t.kind_of(pd.Series(["Q99", "ZA1", "CIV"])).tolist() == ["area", "area", "country"]
    assert t.name_of("Q99") == "Testland nes"


def test_from_baci_file_accepts_a_binary_stream():
    raw = (DATA / "country_codes_V202201_bom.csv").read_bytes()
    t = CountryTable.from_baci_file(io.BytesIO(raw))
    assert t.numeric_to_iso3(pd.Series([490])).tolist() == ["TWN"]


@pytest.mark.parametrize(
    ("content", "error", "line", "fragment"),
    [
        (None, UnreadableFileError, None, "not found"),
        (b"", UnreadableFileError, None, "empty"),
        (b"code,name\n4,Afghanistan\n", FormatDetectionError, 1, "not a BACI country table"),
        (b"country_code,country_name,country_iso2,country_iso3\n4,Afghanistan,AF,AFG\nx12,Bad,BD,BAD\n",
         FormatDetectionError, 3, "'x12' is not a number"),
    ],
)
def test_from_baci_file_errors_name_file_line_and_fix(tmp_path, content, error, line, fragment):
    p = tmp_path / "country_codes_V202601.csv"
    if content is not None:
        p.write_bytes(content)
    with pytest.raises(error) as e:
        CountryTable.from_baci_file(p)
    assert e.value.path == str(p) and e.value.line == line
    assert fragment in str(e.value)
    assert e.value.exit_code == 3


# ------------------------------------------------------------- real data


def _baci_table(path: Path) -> pd.DataFrame:
    enc = "utf-8-sig"
    try:
        path.read_bytes().decode(enc)
    except UnicodeDecodeError:
        enc = "latin-1"
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=enc)
    df.columns = [c.strip() for c in df.columns]
    iso3 = "country_iso3" if "country_iso3" in df.columns else "iso_3digit_alpha"
    return pd.DataFrame({"code": df["country_code"].astype(int), "iso3": df[iso3].str.strip()})


def _baci_files(realdata: Path) -> list[Path]:
    files = [
        realdata / "baci-critmat-atlas" / "country_codes_V202601.csv",
        realdata / "baci-reference" / "country_codes.csv",
        realdata / "baci-hs17-2020-zaf-afg-exports" / "country_codes_V202201.csv",
    ]
    files = [f for f in files if f.is_file()]
    if not files:
        pytest.skip("no BACI country table in the real data")
    return files


def test_every_real_baci_code_maps_in_the_bundled_table(realdata, table):
    for f in _baci_files(realdata):
        ref = _baci_table(f)
        got = table.numeric_to_iso3(ref["code"])
        assert got.notna().all(), f"{f.name}: unmapped {ref['code'][got.isna()].tolist()}"
        assert got[ref["code"] == 490].tolist() == ["TWN"]
        # where the release writes an ISO-shaped code, the bundled table agrees, except where
        # V202201 folds 711 (SACU, ...1999) into ZAF and where the code is an alias (S19)
        shaped = ref["iso3"].str.fullmatch(r"[A-Z][A-Z0-9]{2}") & (ref["iso3"] != "S19")
        differ = ref[shaped & (got != ref["iso3"])]
        assert set(zip(differ["code"], differ["iso3"])) <= {(711, "ZAF")}, f.name


def test_every_real_baci_code_maps_through_its_own_table(realdata):
    for f in _baci_files(realdata):
        ref = _baci_table(f)
        t = CountryTable.from_baci_file(f)
        got = t.numeric_to_iso3(ref["code"])
        assert got.notna().all(), f.name
        assert got[ref["code"] == 490].tolist() == ["TWN"]
        shaped = ref["iso3"].str.fullmatch(r"[A-Z][A-Z0-9]{2}") & (ref["iso3"] != "S19")
        assert (got[shaped] == ref.loc[shaped, "iso3"]).all(), f.name  # the release is the authority
        assert got[ref["code"] == 516].tolist() == ["NAM"]
        kinds = t.kind_of(got)
        assert kinds.notna().all() and set(kinds) <= set(KINDS)


def test_every_iso3_in_real_baci_flows_maps(atlas, table):
    for name in ("baci_2022.csv", "baci_2024.csv"):
        p = atlas / name
        if not p.is_file():
            pytest.skip(f"{name} not present")
        df = pd.read_csv(p, usecols=["i", "j"], dtype=str, keep_default_na=False)
        codes = pd.Series(sorted(set(df["i"]) | set(df["j"])))
        got = table.alpha_to_iso3(codes)
        assert got.notna().all(), f"{name}: unknown {codes[got.isna()].tolist()}"
        assert got[codes == "S19"].tolist() == ["TWN"]
        assert (got[codes != "S19"] == codes[codes != "S19"]).all()
        assert set(table.kind_of(got)) == {"country"}


def test_every_code_in_real_comtrade_maps(atlas, table):
    for name in ("comtrade_2022.csv.gz", "comtrade_2024.csv.gz"):
        p = atlas / name
        if not p.is_file():
            pytest.skip(f"{name} not present")
        df = pd.read_csv(p, usecols=["reporter", "partner"])
        codes = pd.Series(sorted(set(df["reporter"]) | set(df["partner"])))
        got = table.numeric_to_iso3(codes)
        assert got.notna().all(), f"{name}: unknown {codes[got.isna()].tolist()}"
        kinds = dict(zip(codes, table.kind_of(got)))
        assert kinds[0] == "aggregate" and kinds[490] == "country"
        # Comtrade's unallocated partners present in these files
        assert {kinds[c] for c in (527, 568, 577, 636, 837, 838, 839, 899) if c in kinds} == {"area"}
        reporters = table.numeric_to_iso3(pd.Series(sorted(set(df["reporter"]))))
        assert set(table.kind_of(reporters)) == {"country"}


# ------------------------------------------------------------------ groups


def test_group_sizes_and_members(table):
    g = load_groups()
    sizes = {"EU27": 27, "G7": 7, "G20": 19, "RCEP": 15, "CPTPP": 12, "OECD": 38, "IPEF": 14, "BRICS": 10,
             "QUAD": 4, "CHIP4": 4, "NATO": 32, "ASEAN": 11, "EEA": 30, "EFTA": 4, "APEC": 21}
    assert {k: len(g[k].members) for k in sizes} == sizes
    countries = table.iso3_codes("country")
    for grp in g.values():
        assert isinstance(grp, CountryGroup)
        assert grp.members <= countries, grp.name
        assert re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", grp.as_of) and grp.source
        assert table.resolve(grp.name) is None  # a group name never shadows a code


def test_group_relations():
    g = load_groups()
    assert g["G7"].members < g["G20"].members
    assert g["ASEAN"].members - {"TLS"} < g["RCEP"].members
    assert g["EEA"].members == g["EU27"].members | {"ISL", "LIE", "NOR"}
    assert "GBR" not in g["EU27"].members and "GBR" in g["CPTPP"].members
    assert "TWN" in g["CHIP4"].members and "TWN" in g["APEC"].members
    assert {"IDN", "ETH"} <= g["BRICS"].members and "SAU" not in g["BRICS"].members


def test_expand_countries():
    assert expand_countries(None) is None
    assert expand_countries("") is None
    assert expand_countries(" * ") is None
    assert expand_countries("kor,S19, kor") == ("KOR", "TWN")
    assert expand_countries(["g7", "-usa", "KOR"]) == ("CAN", "DEU", "FRA", "GBR", "ITA", "JPN", "KOR")
    assert expand_countries("CHIP4,-TWN") == ("JPN", "KOR", "USA")
    assert expand_countries("eu27,-G7") == tuple(sorted(load_groups()["EU27"].members - {"DEU", "FRA", "ITA"}))
    assert expand_countries("Five-Eyes") == ("AUS", "CAN", "GBR", "NZL", "USA")
    everything_but_china = expand_countries("*,-CHN")
    assert "CHN" not in everything_but_china and "TWN" in everything_but_china and "WLD" not in everything_but_china
    assert expand_countries("-CHN") == everything_but_china


@pytest.mark.parametrize(
    ("spec", "hint"),
    [("Japn", "JPN (Japan)"), ("EU28", "EU27"), ("kr", "KOR"), ("Korea", "PRK"), ("G8", "G7"), ("-Chna", "CHN")],
)
def test_expand_countries_typos_suggest(spec, hint):
    with pytest.raises(UnknownCountryError) as e:
        expand_countries(spec)
    msg = str(e.value)
    assert hint in msg and "did you mean" in msg and "EU27" in msg and "\n" not in msg
    assert e.value.exit_code == 2


def test_user_groups_file_errors_name_the_line(tmp_path):
    p = tmp_path / "groups.toml"
    p.write_text('[groups.MINE]\nas_of = "2024-01-01"\nsource = "me"\nmembers = ["KOR", "JPN"]\n\n'
                 '[groups.BAD]\nas_of = "2024"\nsource = "me"\nmembers = ["KOR", "JAPAN"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"member 'JAPAN' is not a known ISO3 code") as e:
        load_groups(p)
    assert e.value.line == 9 and e.value.path == str(p)  # the members line of [groups.BAD]
    p.write_text('[groups.MINE]\nas_of = "01/2024"\nsource = "me"\nmembers = ["KOR"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="as_of"):
        load_groups(p)
    p.write_text('[groups.KOR]\nas_of = "2024"\nsource = "me"\nmembers = ["KOR"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="also a country code"):
        load_groups(p)
    p.write_text('[groups.MINE]\nas_of = "2024"\nsource = "me"\nmembers = ["kor", "s19"]\n', encoding="utf-8")
    mine = load_groups(p)["MINE"]
    assert mine.members == frozenset({"KOR", "TWN"})
    assert expand_countries("mine", groups=load_groups(p)) == ("KOR", "TWN")


def test_every_code_in_real_wgi_maps(realdata, table):
    p = realdata / "wgi" / "2020_Worldwide_Governance_Indicators_1996-2019.csv"
    if not p.is_file():
        pytest.skip("WGI file not present")
    df = pd.read_csv(p, usecols=["Code", "Country/Territory"], dtype=str, keep_default_na=False, encoding="latin-1")
    pairs = df.drop_duplicates()
    got = table.alpha_to_iso3(pairs["Code"])
    assert got.notna().all(), pairs[got.isna().to_numpy()].to_dict("records")
    by_name = dict(zip(pairs["Country/Territory"], got))
    assert (by_name["Andorra"], by_name["West Bank and Gaza"], by_name["Romania"]) == ("AND", "PSE", "ROU")
    assert by_name["Taiwan, China"] == "TWN"
