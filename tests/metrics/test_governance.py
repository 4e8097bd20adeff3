"""WGI files (long World Bank layout, tidy) and the governance-weighted HHI."""

from __future__ import annotations

import pandas as pd
import pytest

from scrisk.errors import FormatDetectionError, InputError, UnreadableFileError
from scrisk.metrics.governance import governance_hhi, missing_wgi_suppliers, read_wgi, rescale_wgi

LONG_HEADER = '"","Country/Territory","Code","Year","Estimate","Lower","NumSrc","Rank","StdErr","Upper","Indicator"\r\n'
INDICATORS = ["VoiceandAccountability", "PoliticalStability", "GovernmentEffectiveness", "RegulatoryQuality",
              "RuleofLaw", "ControlofCorruption"]


def _long_file(tmp_path, rows, encoding="cp1252"):
    lines = [LONG_HEADER]
    for n, (name, code, year, est, ind) in enumerate(rows, 1):
        lines.append(f'"{n}","{name}","{code}",{year},{est},0,1,50,0.2,60,"{ind}"\r\n')
    p = tmp_path / "wgi.csv"
    p.write_bytes("".join(lines).encode(encoding))
    return p


def test_long_layout_latest_year_mean_of_six(tmp_path):
    rows = [("China", "CHN", 2018, 0.0, i) for i in INDICATORS]
    rows += [("China", "CHN", 2019, e, i) for e, i in zip([-1.6, -0.24, 0.52, -0.24, -0.27, -0.32], INDICATORS)]
    rows += [("Côte d'Ivoire", "CIV", 2019, "NA", i) for i in INDICATORS[:3]]
    rows += [("Côte d'Ivoire", "CIV", 2017, -0.5, i) for i in INDICATORS]
    rows += [("Congo, Dem. Rep.", "ZAR", 2019, -1.5, "RuleofLaw")]
    w = read_wgi(_long_file(tmp_path, rows))  # Latin-1 bytes, CRLF, "NA" estimates: as the real file
    mean = sum([-1.6, -0.24, 0.52, -0.24, -0.27, -0.32]) / 6
    assert w.scores["CHN"] == pytest.approx((2.5 - mean) * 2)
    assert w.years == {"CHN": 2019, "CIV": 2017, "COD": 2019}
    assert w.scores["CIV"] == pytest.approx(6.0)
    assert w.layout == "wgi-long"
    capped = read_wgi(_long_file(tmp_path, rows), year=2018)
    assert capped.scores["CHN"] == pytest.approx(5.0) and capped.years["CHN"] == 2018


def test_tidy_score_and_estimate_layouts(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("iso3,score\nCHN,5.7\nJPN,2.4\n", encoding="utf-8")
    assert read_wgi(p).scores == {"CHN": 5.7, "JPN": 2.4}
    q = tmp_path / "e.csv"
    q.write_text("\ufeffISO3,Estimate\nchn,-0.36\n", encoding="utf-8")
    got = read_wgi(q)
    assert got.layout == "tidy-estimate" and got.scores["CHN"] == pytest.approx(5.72)


def test_bad_files_say_what_and_where(tmp_path):
    with pytest.raises(UnreadableFileError, match="not found"):
        read_wgi(tmp_path / "missing.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(UnreadableFileError, match="empty"):
        read_wgi(empty)
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(FormatDetectionError, match="not a WGI file"):
        read_wgi(other)
    bad = tmp_path / "bad.csv"
    bad.write_text("iso3,score\nCHN,5\nJPN,12\n")
    with pytest.raises(InputError) as e:
        read_wgi(bad)
    assert e.value.line == 3 and "12" in e.value.message
    dup = tmp_path / "dup.csv"
    dup.write_text("iso3,score\nCHN,5\nCHN,6\n")
    with pytest.raises(InputError, match="twice"):
        read_wgi(dup)


def test_rescale_bounds():
    assert list(rescale_wgi([2.5, -2.5, 3.1, -3.2])) == [0.0, 10.0, 0.0, 10.0]


def test_governance_hhi_full_denominator_and_coverage():
    f = pd.DataFrame({"year": [2024] * 3, "exporter": ["CHN", "JPN", "ZZZ"], "importer": ["KOR"] * 3,
                      "hs": ["811292"] * 3, "value_usd": [60.0, 30.0, 10.0]})
    r = governance_hhi(f, {"CHN": 6.0, "JPN": 2.0}).iloc[0]
    assert r["hhi_wgi"] == pytest.approx((0.36 * 6 + 0.09 * 2) / 10)
    assert r["wgi_coverage"] == pytest.approx(0.9)
    none = governance_hhi(f, {"USA": 1.0}).iloc[0]
    assert pd.isna(none["hhi_wgi"]) and none["wgi_coverage"] == 0
    worst = governance_hhi(f, {"CHN": 10.0, "JPN": 10.0, "ZZZ": 10.0}).iloc[0]
    assert worst["hhi_wgi"] == pytest.approx(0.36 + 0.09 + 0.01)  # equals HHI when every score is 10
    assert missing_wgi_suppliers(f, {"CHN": 6.0}).values.tolist() == [["JPN", 30.0], ["ZZZ", 10.0]]


def test_real_wgi_file_parses(realdata):
    p = realdata / "wgi" / "2020_Worldwide_Governance_Indicators_1996-2019.csv"
    if not p.exists():
        pytest.skip("WGI file absent")
    w = read_wgi(p)
    assert len(w.scores) > 200
    assert "COD" in w.scores and "ZAR" not in w.scores and "ROU" in w.scores
    assert all(0 <= v <= 10 for v in w.scores.values())
    assert w.scores["NOR"] < w.scores["CHN"] < w.scores["SOM"]
