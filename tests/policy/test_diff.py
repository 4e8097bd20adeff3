"""diff_vintages(): each kind of change against an independent pandas computation, plus filters and options."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from policy_helpers import atlas_flows, pair_table, suppliers
from scrisk.errors import UsageError
from scrisk.policy.diff import CHANGES, DIFF_FIELDS, diff_vintages
from scrisk.schema import FlowMeta, make_flow_table


@pytest.fixture(scope="module")
def vintages(atlas):
    from scrisk.io import read_flows
    from scrisk.io.options import ReadOptions

    cols = {"exporter": "i", "importer": "j", "hs": "cmd", "value": "value"}
    return tuple(read_flows([atlas / f"baci_{y}.csv"], ReadOptions(columns=cols, years=(y,), value_unit="usd"))
                 for y in (2022, 2024))


@pytest.fixture(scope="module")
def reference(atlas):
    """Independent pandas view of both vintages: one row per pair in either, old_/new_ measures."""
    o, n = pair_table(atlas_flows(atlas, 2022)), pair_table(atlas_flows(atlas, 2024))
    return o.add_prefix("old_").join(n.add_prefix("new_"), how="outer"), atlas_flows(atlas, 2022), \
        atlas_flows(atlas, 2024)


def _pairs(rows, kind):
    return {(r["importer"], r["hs"]) for r in rows if r["change"] == kind}


def _expected_sets(ref: pd.DataFrame, *, s=0.9, min_usd=10e6, hhi=0.05, min_pair=0.0):
    ov, nv = ref["old_value"].fillna(0), ref["new_value"].fillna(0)
    ss_old = (ref["old_top_share"].fillna(0) >= s) & (ov >= min_usd)
    ss_new = (ref["new_top_share"].fillna(0) >= s) & (nv >= min_usd)
    big = (ov >= min_pair) | (nv >= min_pair)
    both = ref["old_value"].notna() & ref["new_value"].notna()
    d = ref["new_hhi"] - ref["old_hhi"]
    idx = lambda m: set(ref.index[m.fillna(False)])  # noqa: E731
    return {
        "new_single_source": idx(ss_new & ~ss_old),
        "resolved_single_source": idx(ss_old & ~ss_new),
        "single_source_switch": idx(ss_old & ss_new & (ref["old_top_supplier"] != ref["new_top_supplier"])),
        "hhi_increase": idx(both & big & (d > hhi)),
        "hhi_decrease": idx(both & big & (d < -hhi)),
        "appeared": idx(ref["old_value"].isna() & big),
        "vanished": idx(ref["new_value"].isna() & big),
    }


def test_real_diff_matches_pandas(vintages, reference):
    ref, oflows, nflows = reference
    r = diff_vintages(*vintages)
    want = _expected_sets(ref)
    for kind, pairs in want.items():
        assert _pairs(r.rows, kind) == pairs, kind
    assert len(want["new_single_source"]) > 10 and len(want["appeared"]) > 100  # the test can fail
    assert r.summary["pairs_old"] == int(ref["old_value"].notna().sum())
    assert r.summary["pairs_new"] == int(ref["new_value"].notna().sum())
    # suppliers gained and lost: totals over every pair present in both, and a few pairs one by one
    common = ref.index[ref["old_value"].notna() & ref["new_value"].notna()]
    og = oflows.groupby(["importer", "hs"])["exporter"].apply(set)
    ng = nflows.groupby(["importer", "hs"])["exporter"].apply(set)
    gained = sum(len(ng[k] - og[k]) for k in common)
    lost = sum(len(og[k] - ng[k]) for k in common)
    assert r.summary["supplier_gained"] == gained and r.summary["supplier_lost"] == lost
    for imp, hs in [("KOR", "811292"), ("JPN", "283691"), ("USA", "850511"), ("DEU", "250490")]:
        got_g = {x["supplier"] for x in r.rows if x["change"] == "supplier_gained" and (x["importer"], x["hs"]) ==
                 (imp, hs)}
        got_l = {x["supplier"] for x in r.rows if x["change"] == "supplier_lost" and (x["importer"], x["hs"]) ==
                 (imp, hs)}
        assert got_g == suppliers(nflows, imp, hs) - suppliers(oflows, imp, hs)
        assert got_l == suppliers(oflows, imp, hs) - suppliers(nflows, imp, hs)


def test_real_diff_values_and_options(vintages, reference):
    ref, _, nflows = reference
    r = diff_vintages(*vintages, importers="KOR", single_source=0.75, min_import_usd=1e6, hhi_threshold=0.1,
                      min_pair_usd=1e6)
    kor = ref[ref.index.get_level_values("importer") == "KOR"]
    want = _expected_sets(kor, s=0.75, min_usd=1e6, hhi=0.1, min_pair=1e6)
    for kind, pairs in want.items():
        assert _pairs(r.rows, kind) == pairs, kind
    assert {x["importer"] for x in r.rows} <= {"KOR"}
    row = next(x for x in r.rows if x["change"] in ("hhi_increase", "hhi_decrease"))
    k = (row["importer"], row["hs"])
    assert row["old_hhi"] == pytest.approx(ref.loc[k, "old_hhi"]) and row["new_hhi"] == pytest.approx(
        ref.loc[k, "new_hhi"])
    assert row["hhi_change"] == pytest.approx(ref.loc[k, "new_hhi"] - ref.loc[k, "old_hhi"])
    assert row["new_import_value_usd"] == pytest.approx(ref.loc[k, "new_value"])


def test_material_filter_and_labels(vintages, reference):
    r = diff_vintages(*vintages, importers=["KOR", "JPN"], material="gallium")
    assert {x["hs"] for x in r.rows} == {"811292"} and {x["material"] for x in r.rows} == {"gallium"}
    assert r.summary["pairs_new"] == 2


def test_change_filter_keeps_the_summary(vintages):
    full = diff_vintages(*vintages, importers="KOR")
    only = diff_vintages(*vintages, importers="KOR", changes="new_single_source,resolved-single-source")
    assert only.summary == full.summary
    assert {x["change"] for x in only.rows} == {"new_single_source", "resolved_single_source"}
    with pytest.raises(UsageError, match="did you mean 'appeared'"):
        diff_vintages(*vintages, changes=["apeared"])


def _t(rows, year, **meta):
    f = pd.DataFrame(rows, columns=["exporter", "importer", "hs", "value_usd"]).assign(year=year)
    return make_flow_table(f, meta=FlowMeta(**meta))


def test_every_kind_on_a_hand_made_pair_set():
    old = _t([("CHN", "KOR", "811292", 95e6), ("JPN", "KOR", "811292", 5e6),      # single source (CHN)
              ("JPN", "KOR", "370790", 95e6), ("USA", "KOR", "370790", 5e6),      # single source (JPN) -> switch
              ("CHL", "KOR", "283691", 50e6), ("ARG", "KOR", "283691", 50e6),     # becomes single source
              ("CHN", "KOR", "850511", 20e6),                                     # vanishes (single source)
              ("CHN", "KOR", "250490", 99e6), ("MOZ", "KOR", "250490", 1e6)], 2022)   # resolved
    new = _t([("CHN", "KOR", "811292", 96e6), ("JPN", "KOR", "811292", 4e6),
              ("CHN", "KOR", "370790", 95e6), ("JPN", "KOR", "370790", 5e6),
              ("CHL", "KOR", "283691", 95e6), ("ARG", "KOR", "283691", 5e6),
              ("CHN", "KOR", "250490", 50e6), ("MOZ", "KOR", "250490", 50e6),
              ("JPN", "KOR", "281111", 30e6)], 2024)                              # appears (single source)
    r = diff_vintages(old, new)
    got = {(x["change"], x["hs"], x["supplier"]) for x in r.rows}
    assert got == {
        ("new_single_source", "283691", None), ("resolved_single_source", "250490", None),
        ("single_source_switch", "370790", None), ("hhi_increase", "283691", None),
        ("hhi_decrease", "250490", None), ("supplier_gained", "370790", "CHN"), ("supplier_lost", "370790", "USA"),
        ("appeared", "281111", None), ("vanished", "850511", None),
        # a pair that appears single-source is a new dependency; one that vanishes is resolved
        ("new_single_source", "281111", None), ("resolved_single_source", "850511", None),
    }
    assert [x["change"] for x in r.rows] == sorted((x["change"] for x in r.rows), key=CHANGES.index)
    assert all(list(x) == list(DIFF_FIELDS) for x in r.rows)
    sw = next(x for x in r.rows if x["change"] == "single_source_switch")
    assert sw["detail"] == "single source moved from JPN (95.0%) in 2022 to CHN (95.0%) in 2024"
    json.dumps(r.to_dict(), allow_nan=False)
    assert r.to_dict()["summary"]["appeared"] == 1


def test_revision_mismatch_note_and_bad_options():
    old = _t([("CHN", "KOR", "811292", 1.0)], 2022, hs_revision="HS2017")
    new = _t([("CHN", "KOR", "811231", 1.0)], 2024, hs_revision="HS2022")
    r = diff_vintages(old, new)
    assert "OLD is HS2017 and NEW HS2022" in r.meta["notes"][0]
    assert (r.meta["old"]["year"], r.meta["new"]["year"]) == (2022, 2024)
    for kw in ({"hhi_threshold": 2.0}, {"single_source": 0.0}, {"min_import_usd": -1.0}):
        with pytest.raises(UsageError):
            diff_vintages(old, new, **kw)
    with pytest.raises(UsageError, match="year 2023 is not in OLD"):
        diff_vintages(old, new, old_year=2023)


# ------------------------------------------------------------------ one engine, vectorised rows, real counts


def test_real_diff_counts(vintages):
    r = diff_vintages(*vintages)
    s = r.summary
    assert (s["new_single_source"], s["resolved_single_source"], s["appeared"], s["vanished"]) == (59, 56, 391, 471)
    assert len(r.rows) == sum(s[k] for k in CHANGES) and len(r.to_pandas()) == len(r.rows)


def test_hand_made_figures_match_plain_pandas():
    old_rows = [("CHN", "KOR", "811292", 60e6), ("JPN", "KOR", "811292", 30e6), ("USA", "KOR", "811292", 10e6),
                ("CHL", "KOR", "283691", 40e6), ("CHN", "USA", "811292", 5e6)]
    new_rows = [("CHN", "KOR", "811292", 95e6), ("DEU", "KOR", "811292", 5e6),
                ("ARG", "KOR", "283691", 20e6), ("CHL", "KOR", "283691", 20e6), ("CHN", "JPN", "850511", 3e6)]
    r = diff_vintages(_t(old_rows, 2022), _t(new_rows, 2024), hhi_threshold=0.0)
    cols = ["exporter", "importer", "hs", "value"]
    o, n = pair_table(pd.DataFrame(old_rows, columns=cols)), pair_table(pd.DataFrame(new_rows, columns=cols))
    assert r.rows
    for x in r.rows:
        k = (x["importer"], x["hs"])
        for side, ref in (("old", o), ("new", n)):
            if k not in ref.index:
                assert x[f"{side}_import_value_usd"] is None and x[f"{side}_top_supplier"] is None
                continue
            p = ref.loc[k]
            assert x[f"{side}_import_value_usd"] == pytest.approx(p["value"])
            assert x[f"{side}_n_suppliers"] == p["n_suppliers"] and x[f"{side}_top_supplier"] == p["top_supplier"]
            assert x[f"{side}_top_share"] == pytest.approx(p["top_share"])
            assert x[f"{side}_hhi"] == pytest.approx(p["hhi"])
    kinds = {(x["change"], x["hs"], x["supplier"]) for x in r.rows}
    assert {("supplier_gained", "811292", "DEU"), ("supplier_lost", "811292", "JPN"),
            ("supplier_lost", "811292", "USA"), ("supplier_gained", "283691", "ARG"),
            ("hhi_increase", "811292", None), ("hhi_decrease", "283691", None), ("vanished", "811292", None),
            ("appeared", "850511", None)} <= kinds
    lost = next(x for x in r.rows if x["change"] == "supplier_lost" and x["supplier"] == "JPN")
    assert lost["supplier_value_usd"] == 30e6 and lost["detail"] == "JPN shipped $30.0M in 2022; none in 2024"
    hhi = next(x for x in r.rows if x["change"] == "hhi_increase")
    assert hhi["hhi_change"] == pytest.approx(n.loc[("KOR", "811292"), "hhi"] - o.loc[("KOR", "811292"), "hhi"])
    assert hhi["detail"] == (f"import HHI {o.loc[('KOR', '811292'), 'hhi']:.3f} in 2022 -> "
                             f"{n.loc[('KOR', '811292'), 'hhi']:.3f} in 2024 ({hhi['hhi_change']:+.3f}); "
                             "top CHN 60.0% -> CHN 95.0%")


def test_diff_and_analyze_agree_on_the_same_pairs(vintages):
    """Both measure through scrisk.metrics.indicators: the NEW side of a diff is analyze's row, figure for figure."""
    from scrisk.analysis import analyze

    old, new = vintages
    r = diff_vintages(old, new, importers=["KOR", "JPN", "DEU"])
    a = analyze(new, importers=["KOR", "JPN", "DEU"]).to_pandas().set_index(["importer", "hs"])
    seen = 0
    for x in r.rows:
        if x["new_import_value_usd"] is None:
            continue
        row = a.loc[(x["importer"], x["hs"])]
        assert x["new_import_value_usd"] == row["import_value_usd"] and x["new_top_share"] == row["top_share"]
        assert x["new_hhi"] == row["hhi"] and x["new_top_supplier"] == row["top_supplier"]
        assert x["new_n_suppliers"] == row["n_suppliers"]
        seen += 1
    assert seen > 100


def test_tariff_lines_are_compared_at_hs6():
    old = _t([("CHN", "KOR", "8112921010", 50e6), ("CHN", "KOR", "8112921090", 45e6),
              ("JPN", "KOR", "8112929000", 5e6)], 2022)
    new = _t([("CHN", "KOR", "811292", 60e6), ("JPN", "KOR", "811292", 40e6)], 2024)
    r = diff_vintages(old, new)
    assert r.summary["pairs_common"] == 1 and r.summary["resolved_single_source"] == 1
    (res,) = r.changes("resolved_single_source")
    assert res["hs"] == "811292" and res["old_top_share"] == pytest.approx(0.95)
    assert res["old_import_value_usd"] == pytest.approx(100e6)


def test_only_kept_kinds_are_built_and_arrow_matches_rows():
    old = _t([("CHN", "KOR", "811292", 95e6), ("JPN", "KOR", "811292", 5e6)], 2022)
    new = _t([("CHN", "KOR", "811292", 50e6), ("USA", "KOR", "811292", 50e6), ("CHN", "KOR", "281111", 1.0)], 2024)
    r = diff_vintages(old, new, changes="supplier_gained")
    assert [x["supplier"] for x in r.rows] == ["USA"] and r.summary["appeared"] == 1
    tab = r.to_arrow()
    assert tab.column_names == list(DIFF_FIELDS) and tab.to_pylist() == r.rows
    empty = diff_vintages(old, old)
    assert empty.rows == [] and list(empty.to_pandas().columns) == list(DIFF_FIELDS)


def test_detail_text_in_the_engine_formats_like_textfmt():
    """The SQL that builds the detail text writes dollars and shares exactly as scrisk.textfmt does."""
    from hypothesis import given
    from hypothesis import strategies as st

    from scrisk.engine.store import connect
    from scrisk.policy.diff import _TEXT_MACROS
    from scrisk.textfmt import format_share, format_usd

    con = connect()
    for m in _TEXT_MACROS:
        con.execute(m)
    edges = [0.0, 0.5, 949.5, 999.95, 1000.0, 999_950.0, 1e6, 9.99995e8, 1e9, 1e12, 1.5e15, 12.25, 0.05]

    def check(usd, share):
        got = con.execute("SELECT _d_usd(?::DOUBLE), _d_share(?::DOUBLE)", [usd, share]).fetchall()[0]
        assert got == (format_usd(usd), format_share(share))

    for v in edges:
        check(v, v / 1e15)
    check(None, None)
    given(st.floats(0, 1e16, allow_nan=False), st.floats(0, 1, allow_nan=False))(check)()


def test_codes_of_no_basket_have_an_empty_material():
    old = _t([("CHN", "KOR", "010121", 5e6)], 2022)
    new = _t([("CHN", "KOR", "010121", 3e6), ("FRA", "KOR", "010121", 3e6)], 2024)
    r = diff_vintages(old, new)
    assert {x["material"] for x in r.rows} == {""} and r.summary["supplier_gained"] == 1


def test_rows_written_in_runs_of_importers_are_the_rows_written_at_once(monkeypatch):
    import random

    from scrisk.policy import diff as diff_mod

    rnd = random.Random(7)
    countries = ["ARG", "AUS", "CHL", "CHN", "DEU", "IND", "JPN", "KOR", "MOZ", "USA"]
    codes = ["250490", "281111", "283691", "370790", "811292", "850511"]

    def year(y):
        rows = {(e, i, h): rnd.choice([1e6, 5e6, 2e7, 9e7]) for e in countries for i in countries for h in codes
                if e != i and rnd.random() < 0.35}
        return _t([(e, i, h, v) for (e, i, h), v in rows.items()], y)

    old, new = year(2022), year(2024)
    whole = diff_vintages(old, new)
    assert len(whole.rows) > 100 and len({r["change"] for r in whole.rows}) >= 6
    key = [(CHANGES.index(r["change"]), r["importer"], r["hs"], r["supplier"] or "") for r in whole.rows]
    assert key == sorted(key)
    for size in (1, 7):
        monkeypatch.setattr(diff_mod, "_CHUNK_ROWS", size)
        runs = diff_vintages(old, new)
        assert len(runs.table.paths) > len({r["change"] for r in whole.rows})  # the kinds were cut into runs
        assert runs.rows == whole.rows and runs.counts == whole.counts
