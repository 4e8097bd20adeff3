"""Coverage: world-side figures of one-sided data carry the world_coverage_limited flag and a note, never a silent 1.000."""

from __future__ import annotations

import pandas as pd
import pytest

from scrisk.analysis import analyze
from scrisk.engine.indicators import FLAGS, indicator
from scrisk.metrics.indicators import indicators
from scrisk.schema import make_flow_table

IMPORTERS = ["AUS", "AUT", "BEL", "BRA", "CAN", "CHE", "CHL", "CHN", "DEU", "DNK", "ESP", "FIN", "FRA", "GBR", "IDN",
             "IND", "ITA", "JPN", "KOR", "MEX", "NLD", "NOR", "POL", "SWE", "USA"]


def _one_reporter() -> pd.DataFrame:
    """One country's exports (ZAF) to 25 importers, plus one small exporter: a one-reporter file."""
    rows = [(2020, "ZAF", imp, "260200", 1e6 * (k + 1)) for k, imp in enumerate(IMPORTERS)]
    rows.append((2020, "AFG", "IND", "260200", 5e5))
    return pd.DataFrame(rows, columns=["year", "exporter", "importer", "hs", "value_usd"])


def test_flag_declared_once():
    assert [f.name for f in FLAGS].count("world_coverage_limited") == 1
    assert indicator("world_coverage_limited").scale == "flag"


def test_one_reporter_file_is_flagged_and_explained():
    f = _one_reporter()
    ind = indicators(f)
    assert ind["world_coverage_limited"].all()
    r = analyze(make_flow_table(f), importers="CHN", min_import_usd=0).to_dict()
    row = r["rows"][0]
    assert row["score"] == pytest.approx(row["score"])  # still computed
    assert "world_coverage_limited" in row["flags"]
    assert "coverage-limited" in row["why"] and "of world exports" not in row["why"]
    assert any("coverage-limited" in n for n in r["meta"]["notes"])
    assert r["meta"]["coverage"]["limited_rows"] == 1


def test_full_matrix_and_small_fixtures_are_not_flagged():
    # every importer also exports: a world table
    rows = [(2020, e, i, "260200", 1.0 + k) for k, (e, i) in enumerate(
        (e, i) for e in IMPORTERS for i in IMPORTERS if e != i)]
    f = pd.DataFrame(rows, columns=["year", "exporter", "importer", "hs", "value_usd"])
    assert not indicators(f)["world_coverage_limited"].any()
    small = _one_reporter().head(5)  # too few countries to judge: not flagged
    assert not indicators(small)["world_coverage_limited"].any()


def test_zaf_afg_exports_are_coverage_limited(realdata):
    from scrisk.app import analyze_files
    from scrisk.io.options import ReadOptions

    path = realdata / "baci-hs17-2020-zaf-afg-exports" / "ExampleTradeData.csv"
    if not path.is_file():
        pytest.skip("baci-hs17-2020-zaf-afg-exports not present")
    r = analyze_files([path], ReadOptions(hs=("2602", "7202")), min_import_usd=0).to_dict()
    raw = pd.read_csv(path, skipinitialspace=True, na_values=["NA"])
    raw["hs"] = raw["k"].astype(str).str.zfill(6)
    raw = raw[raw["hs"].str.startswith(("2602", "7202"))]
    assert r["rows"] and all("world_coverage_limited" in row["flags"] for row in r["rows"])
    assert all("of world exports" not in row["why"] for row in r["rows"])
    # the world-side figures are those of the data: ZAF's and AFG's exports only (BACI v is thousand USD)
    world = raw.groupby("hs")["v"].sum() * 1000
    for row in r["rows"][:20]:
        assert row["world_export_value_usd"] == pytest.approx(world[row["hs"]], rel=1e-9)
