"""Single-source bands and the GeoDep screen on hand-made frames."""

from __future__ import annotations

import pandas as pd
import pytest

from scrisk.metrics.screen import Bands, ScreenCriteria, geodep_screen, import_export_ratio, single_source_band


def test_band_edges_are_inclusive_and_need_the_minimum_value():
    f = pd.DataFrame({
        "top_share": [0.9, 0.8999, 0.75, 0.5, 0.4999, 1.0, 1.0],
        "import_value_usd": [1e7, 1e7, 1e7, 1e7, 1e7, 9_999_999.0, 0.0],
    })
    assert single_source_band(f).tolist() == ["absolute", "high", "high", "monitor", pd.NA, pd.NA, pd.NA]
    assert single_source_band(f, min_import_usd=0).tolist()[-2:] == ["absolute", "absolute"]


def test_custom_bands_and_bad_bands():
    f = pd.DataFrame({"top_share": [0.85], "import_value_usd": [1e9]})
    assert single_source_band(f, bands=Bands(absolute=0.8, high=0.7, monitor=0.6)).tolist() == ["absolute"]
    with pytest.raises(ValueError):
        Bands(absolute=0.5, high=0.75, monitor=0.9)


def test_ratio_uses_9999_when_no_exports():
    r = import_export_ratio(pd.Series([10.0, 10.0, 0.5]), pd.Series([0.0, 20.0, 1.0]))
    assert r.tolist() == [9999.0, 0.5, 0.5]


def _frame(rows):
    return pd.DataFrame(rows, columns=["year", "importer", "hs", "hhi", "world_export_hhi", "import_export_ratio"])


def test_each_criterion_is_strictly_greater_than():
    f = _frame([
        (2024, "KOR", "a", 0.41, 0.41, 1.01),
        (2024, "KOR", "b", 0.40, 0.41, 1.01),  # C1 fails at exactly 0.4
        (2024, "KOR", "c", 0.41, 0.40, 1.01),  # C2 fails
        (2024, "KOR", "d", 0.41, 0.41, 1.00),  # C3 fails at exactly 1
    ])
    out = geodep_screen(f)
    assert out["screen_met"].tolist() == [True, False, False, False]
    assert out["screen"].tolist() == [True, False, False, False]  # one loaded year: no persistence test


def test_persistence_two_of_three_loaded_years():
    rows = []
    met = {2020: True, 2021: False, 2022: True, 2023: False, 2024: False}
    for y, ok in met.items():
        rows.append((y, "KOR", "811292", 0.9 if ok else 0.1, 0.9, 5.0))
    out = geodep_screen(_frame(rows)).set_index("year")
    # window of 2022 = 2020..2022 (2 met) -> True; of 2023 = 2021..2023 (1) -> False; of 2021 = 2020..2021 -> need 2
    assert out["screen_years_met"].to_dict() == {2020: 1, 2021: 1, 2022: 2, 2023: 1, 2024: 1}
    assert out["screen"].to_dict() == {2020: True, 2021: False, 2022: True, 2023: False, 2024: False}
    assert out["screen_window"].to_dict() == {2020: 1, 2021: 2, 2022: 3, 2023: 3, 2024: 3}


def test_absent_years_count_as_not_met_and_gaps_are_spanned():
    f = _frame([(2024, "KOR", "x", 0.9, 0.9, 9999.0), (2019, "JPN", "y", 0.9, 0.9, 9999.0)])
    out = geodep_screen(f, years=[2019, 2024]).set_index("importer")
    assert out.loc["KOR", "screen_years_met"] == 1 and not out.loc["KOR", "screen"]
    assert out.loc["JPN", "screen"]  # first loaded year: window of one
    strict = geodep_screen(f, years=[2019, 2024], criteria=ScreenCriteria(min_years=1))
    assert strict["screen"].all()


def test_input_not_mutated():
    f = _frame([(2024, "KOR", "a", 0.5, 0.5, 2.0)])
    before = f.copy()
    geodep_screen(f)
    pd.testing.assert_frame_equal(f, before)
