"""The concentration engine: ties, pooling, zero values, empty input, the new helpers."""

from __future__ import annotations

import pandas as pd
import pytest

from scrisk.metrics.concentration import (
    exporter_totals,
    group_share,
    import_concentration,
    world_export_concentration,
)
from scrisk.schema import empty_flows


def _f(rows):
    return pd.DataFrame(rows, columns=["year", "exporter", "importer", "hs", "value_usd"])


def test_ties_go_to_the_smaller_code_whatever_the_row_order():
    rows = [(2024, "USA", "KOR", "811292", 5.0), (2024, "JPN", "KOR", "811292", 5.0),
            (2024, "DEU", "KOR", "811292", 1.0)]
    for order in ([0, 1, 2], [2, 1, 0], [1, 2, 0]):
        r = import_concentration(_f([rows[i] for i in order])).iloc[0]
        assert r["top_supplier"] == "JPN" and r["top_share"] == pytest.approx(5 / 11)


def test_pooled_years_sum_a_supplier_once():
    f = _f([(2022, "CHN", "KOR", "a", 3.0), (2024, "CHN", "KOR", "a", 3.0), (2024, "JPN", "KOR", "a", 4.0)])
    r = import_concentration(f, by_year=False).iloc[0]
    assert "year" not in import_concentration(f, by_year=False).columns
    assert r["n_suppliers"] == 2 and r["top_supplier"] == "CHN" and r["top_share"] == pytest.approx(0.6)
    assert r["hhi"] == pytest.approx(0.36 + 0.16)


def test_zero_values_are_not_suppliers_and_groups_sorted():
    f = _f([(2024, "CHN", "USA", "b", 0.0), (2024, "JPN", "USA", "b", 2.0), (2024, "CHN", "KOR", "b", 1.0),
            (2024, "CHN", "JPN", "z", 0.0)])
    out = import_concentration(f)
    assert out[["importer", "hs", "n_suppliers"]].values.tolist() == [["KOR", "b", 1], ["USA", "b", 1]]


def test_empty_input_keeps_the_columns():
    out = import_concentration(empty_flows())
    assert list(out.columns) == ["year", "importer", "hs", "import_value_usd", "n_suppliers", "top_supplier",
                                 "top_share", "hhi", "effective_suppliers"]
    assert len(out) == 0
    assert len(world_export_concentration(empty_flows())) == 0


def test_exporter_totals_and_group_share():
    f = _f([(2024, "CHN", "KOR", "a", 6.0), (2024, "CHN", "USA", "a", 2.0), (2024, "JPN", "KOR", "a", 2.0)])
    t = exporter_totals(f)
    assert t[["exporter", "export_value_usd", "world_export_share"]].values.tolist() == [["CHN", 8.0, 0.8],
                                                                                       ["JPN", 2.0, 0.2]]
    g = group_share(f, exporters=["JPN"]).set_index("importer")["group_share"]
    assert g.to_dict() == {"KOR": 0.25, "USA": 0.0}
    w = world_export_concentration(f).iloc[0]
    assert w["world_top_exporter"] == "CHN" and w["world_export_hhi"] == pytest.approx(0.68)
