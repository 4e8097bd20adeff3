"""Change versus the previous loaded year and single-source persistence."""

from __future__ import annotations

import pandas as pd

from scrisk.metrics.concentration import import_concentration
from scrisk.metrics.persistence import CHANGE_COLUMNS, year_over_year


def test_change_columns_on_tiny_flows(tiny_flows):
    out = year_over_year(import_concentration(tiny_flows)).set_index(["year", "importer", "hs"])
    assert list(out.columns[-len(CHANGE_COLUMNS):]) == list(CHANGE_COLUMNS)
    r = out.loc[(2024, "KOR", "811292")]
    # 2022: CHN 900, JPN 80, USA 20 -> top 0.9; 2024: CHN 500, JPN 300 -> 0.625
    assert r["prev_year"] == 2022
    assert r["prev_top_share"] == 0.9
    assert abs(r["delta_top_share"] - (0.625 - 0.9)) < 1e-12
    assert abs(r["delta_hhi"] - ((0.625**2 + 0.375**2) - (0.81 + 0.0064 + 0.0004))) < 1e-12
    assert bool(r["top_supplier_changed"]) is False  # CHN both years
    assert r["years_single_source"] == 1 and r["years_observed"] == 2
    p = out.loc[(2024, "KOR", "370790")]
    assert bool(p["top_supplier_changed"]) is False  # JPN both years
    first = out.loc[(2022, "KOR", "811292")]
    assert pd.isna(first["prev_year"]) and pd.isna(first["delta_hhi"]) and pd.isna(first["new_import"])


def test_new_import_and_changed_supplier():
    f = pd.DataFrame({
        "year": [2022, 2024, 2024], "importer": ["KOR", "KOR", "KOR"], "hs": ["a", "a", "b"],
        "import_value_usd": [1.0, 1.0, 1.0], "top_supplier": ["CHN", "JPN", "USA"],
        "top_share": [0.95, 0.95, 1.0], "hhi": [0.9, 0.9, 1.0],
    })
    out = year_over_year(f).set_index(["year", "hs"])
    assert bool(out.loc[(2024, "a"), "top_supplier_changed"]) is True
    assert bool(out.loc[(2024, "a"), "new_import"]) is False
    assert bool(out.loc[(2024, "b"), "new_import"]) is True
    assert pd.isna(out.loc[(2024, "b"), "top_supplier_changed"])
    assert out.loc[(2024, "a"), "years_single_source"] == 2


def test_previous_loaded_year_not_calendar_year():
    f = pd.DataFrame({"year": [2019, 2024], "importer": ["KOR"] * 2, "hs": ["a"] * 2,
                      "import_value_usd": [1.0, 2.0], "top_supplier": ["CHN"] * 2, "top_share": [0.5, 0.6],
                      "hhi": [0.4, 0.5]})
    out = year_over_year(f)
    assert pd.isna(out["prev_year"].iloc[0]) and out["prev_year"].iloc[1] == 2019
    # years loaded but the pair absent: prev row missing -> new_import
    out2 = year_over_year(f.iloc[[1]], years=[2019, 2022, 2024])
    assert out2["prev_year"].tolist() == [2022] and bool(out2["new_import"].iloc[0])
