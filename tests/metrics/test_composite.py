"""The composite score and the plain-language reasons."""

from __future__ import annotations

import pandas as pd
import pytest

from scrisk.metrics.composite import ScoreWeights, chokepoint_score, explain, format_pct


def test_score_formula_by_hand():
    f = pd.DataFrame({"hhi": [0.8], "top_share": [0.9], "world_export_hhi": [0.3], "top_supplier_world_share": [0.5]})
    assert chokepoint_score(f).iloc[0] == pytest.approx(0.35 * 0.8 + 0.25 * 0.9 + 0.25 * 0.3 + 0.15 * 0.5)
    w = ScoreWeights(import_hhi=1, top_share=0, world_export_hhi=0, alternatives=0)
    assert chokepoint_score(f, weights=w).iloc[0] == pytest.approx(0.8)


def test_missing_term_is_left_out_and_weights_renormalised():
    f = pd.DataFrame({"hhi": [0.5], "top_share": [0.5], "world_export_hhi": [float("nan")],
                      "top_supplier_world_share": [0.5]})
    assert chokepoint_score(f).iloc[0] == pytest.approx(0.5)


def test_bad_weights_rejected():
    with pytest.raises(ValueError):
        ScoreWeights(import_hhi=-1)
    with pytest.raises(ValueError):
        ScoreWeights(0, 0, 0, 0)


def test_why_uses_the_row_numbers():
    f = pd.DataFrame({
        "top_supplier": ["CHN", "JPN", "BRA"], "top_share": [0.9244, 1.0, 0.62],
        "top_supplier_world_share": [0.29, 0.05, 0.8], "n_suppliers": [18, 1, 4],
        "import_value_usd": [5e7, 2e6, 3e7], "prev_year": [2022, 2022, 2022],
        "prev_top_share": [0.8, 1.0, float("nan")], "prev_top_supplier": ["CHN", "JPN", None],
        "top_supplier_changed": pd.array([False, False, pd.NA], dtype="boolean"),
        "new_import": pd.array([False, False, True], dtype="boolean"),
    })
    why = explain(f, min_import_usd=1e7).tolist()
    assert why[0] == "92% from CHN, which ships 29% of world exports; 18 suppliers; 80% in 2022"
    assert why[1] == ("100% from JPN, which ships 5% of world exports; sole supplier; "
                      "imports US$2M, below the US$10M minimum")
    assert why[2] == "62% from BRA, which ships 80% of world exports; 4 suppliers; no imports in 2022"


def test_format_pct_never_rounds_to_extremes():
    assert [format_pct(x) for x in (0.995, 0.9949, 0.004, 0.0, 1.0)] == [">99%", "99%", "<1%", "0%", "100%"]


def test_the_engines_reason_is_the_pure_definition(tiny_flows):
    """analyze writes each row's "why" in SQL; it equals :func:`explain` on the same figures."""
    from scrisk.analysis import analyze
    from scrisk.schema import make_flow_table

    for kwargs in ({}, {"screen": True, "min_import_usd": 5e7}, {"min_import_usd": 0.0}):
        rows = analyze(make_flow_table(tiny_flows), **kwargs).rows
        floor = kwargs.get("min_import_usd", 1e7)
        assert rows["why"].tolist() == explain(rows, min_import_usd=floor if floor > 0 else None).tolist()
