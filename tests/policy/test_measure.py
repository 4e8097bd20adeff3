"""scrisk.policy.measure: thresholds derived from the indicator declarations, pairs measured by the one engine."""

from __future__ import annotations

import pandas as pd
import pytest

from policy_helpers import pair_table, world_hhi
from scrisk.engine.indicators import INDICATORS, indicator
from scrisk.policy.measure import diff_measures, level_source, measure_keys, measure_pairs, policy_measures
from scrisk.schema import make_flow_table


def test_every_policy_indicator_gives_a_key_and_every_key_a_declared_indicator():
    got = {m.key: m for m in policy_measures()}
    for m in got.values():
        ind = indicator(m.indicator)  # raises for an undeclared name
        assert ind.policy or indicator(f"delta_{m.indicator}").policy
        assert m.description and m.scale == ind.scale
        assert m.metric == (f"{m.indicator}_increase" if m.baseline else m.indicator)
    eligible = {i.name for i in INDICATORS if i.policy and i.output and i.needs is None
                and not i.name.startswith("delta_") and i.stage not in ("history", "change", "screen", "persist")}
    assert {m.indicator for m in got.values() if not m.baseline} == eligible
    deltas = {i.name[len("delta_"):] for i in INDICATORS if i.policy and i.name.startswith("delta_")}
    assert {m.indicator for m in got.values() if m.baseline} == deltas
    # the keys of the first policy format are all still there, with their meaning
    assert (got["max_hhi"].metric, got["max_top_share"].metric, got["min_suppliers"].metric,
            got["max_world_export_hhi"].metric) == ("hhi", "top_share", "n_suppliers", "world_export_hhi")
    assert got["min_suppliers"].bound == "min" and got["max_hhi"].bound == "max"
    assert measure_keys(baseline=True) == ("max_hhi_increase", "max_top_share_increase")
    assert len(set(measure_keys())) == len(measure_keys())


def test_diff_measures_are_the_declared_ones():
    assert diff_measures() == tuple(i.name for i in INDICATORS if i.diff and i.output)
    assert diff_measures()  # the test can fail


def _table(rows, year=2024):
    return make_flow_table(pd.DataFrame(rows, columns=["exporter", "importer", "hs", "value_usd"]).assign(year=year))


def test_measure_pairs_match_plain_pandas():
    rows = [("CHN", "KOR", "811292", 90.0), ("JPN", "KOR", "811292", 8.0), ("USA", "KOR", "811292", 2.0),
            ("CHN", "USA", "811292", 50.0), ("KOR", "USA", "811292", 50.0), ("CHL", "KOR", "283691", 7.0),
            ("ARG", "KOR", "283691", 3.0), ("CHN", "JPN", "850511", 0.0)]  # a zero flow is no supplier
    got = measure_pairs(_table(rows), 2024).set_index(["importer", "hs"])
    df = pd.DataFrame(rows, columns=["exporter", "importer", "hs", "value"])
    df = df[df["value"] > 0]
    ref = pair_table(df)
    assert list(got.index) == list(ref.index)
    for k, r in ref.iterrows():
        g = got.loc[k]
        assert g["import_value_usd"] == pytest.approx(r["value"]) and g["n_suppliers"] == r["n_suppliers"]
        assert g["top_supplier"] == r["top_supplier"] and g["top_share"] == pytest.approx(r["top_share"])
        assert g["hhi"] == pytest.approx(r["hhi"]) and g["world_export_hhi"] == pytest.approx(world_hhi(df)[k[1]])
    # importers and HS filters keep world-side figures over every importer
    kor = measure_pairs(_table(rows), 2024, importers=["KOR"], hs=["8112"])
    assert kor[["importer", "hs"]].values.tolist() == [["KOR", "811292"]]
    assert kor["world_export_hhi"].iloc[0] == pytest.approx(world_hhi(df)["811292"])


def test_level_source_cuts_tariff_lines_and_sums():
    t = make_flow_table(pd.DataFrame({
        "year": [2024] * 4 + [2022], "exporter": ["CHN", "CHN", "JPN", "CHN", "CHN"], "importer": ["KOR"] * 5,
        "hs": ["8112921010", "8112921090", "8112929000", "28369100", "811292"],
        "value_usd": [50.0, 40.0, 10.0, 7.0, 1.0]}))
    cut = level_source(t, 2024, hs_digits=6).frame
    assert set(cut["year"]) == {2024}
    got = cut.groupby(["exporter", "hs"])["value_usd"].sum().to_dict()
    assert got == {("CHN", "811292"): 90.0, ("JPN", "811292"): 10.0, ("CHN", "283691"): 7.0}
    assert level_source(t, 2024, hs_digits=10) is t and level_source(t, 2022) is t
    eight = level_source(t, 2024, hs_digits=8).frame
    assert sorted(set(eight["hs"])) == ["28369100", "81129210", "81129290"]
