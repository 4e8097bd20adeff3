"""HS revision conversion: the shipped UNSD tables, the rule, and figures against an independent pandas computation."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from scrisk.engine.hs_revision import LINKED, REVISIONS, correlation, harmonize, related_codes, split_shares, targets
from scrisk.errors import UsageError
from scrisk.schema import FlowMeta, FlowTable, make_flow_table

DATA = Path(__file__).resolve().parents[2] / "src" / "scrisk" / "data" / "hs_correlation"


def _pairs(source: str, target: str) -> pd.DataFrame:
    """Independent read of the shipped table for (source, target): columns a (source code), b (target code)."""
    if (source, target) in LINKED:
        f = pd.read_csv(DATA / f"{source}-{target}.csv.gz", dtype=str)
        return f.rename(columns={source: "a", target: "b"})
    f = pd.read_csv(DATA / f"{target}-{source}.csv.gz", dtype=str)
    return f.rename(columns={target: "b", source: "a"})[["a", "b"]]


def _heading_pairs(m: pd.DataFrame) -> pd.DataFrame:
    """HS4 heading pairs of a correlation: heading a maps to the headings its subheadings map to."""
    return m.assign(a=m["a"].str.slice(0, 4), b=m["b"].str.slice(0, 4)).drop_duplicates()


def pandas_convert(frame: pd.DataFrame, default: str | None, target: str) -> pd.DataFrame:
    """The documented rule written again in plain pandas (year-level weights from the target rows, else same code,
    else equal); HS4 headings by the same rule on the heading pairs."""
    f = frame.copy()
    f["rev"] = f["hs_revision"].fillna(default) if "hs_revision" in f else default
    f["rev"] = f["rev"].fillna(target)
    keep = f[f["rev"] == target].copy()
    keep["w"] = 1.0
    keep["b"] = keep["hs"]
    tv = keep.groupby(["year", "b"])["value_usd"].sum()
    ta = keep.groupby("b")["value_usd"].sum()
    out = [keep]
    for rev, part in f[f["rev"] != target].groupby("rev"):
        m = _pairs(rev, target)
        m = pd.concat([m, _heading_pairs(m)], ignore_index=True)  # 6-digit and 4-digit codes never clash
        n = m.groupby("a")["b"].transform("size")
        m = m.assign(n=n)
        j = part.merge(m, left_on="hs", right_on="a", how="left")
        unm = j[j["b"].isna()].assign(b=lambda d: d["hs"], w=1.0)
        j = j[j["b"].notna()].copy()

        def weight(g):
            vy = g.apply(lambda r: tv.get((r["year"], r["b"]), 0.0), axis=1)
            va = g["b"].map(lambda b: ta.get(b, 0.0))
            if vy.sum() > 0:
                return vy / vy.sum()
            if va.sum() > 0:
                return va / va.sum()
            if (g["b"] == g["hs"]).any():
                return (g["b"] == g["hs"]).astype(float)
            return pd.Series(1.0 / len(g), index=g.index)

        w = [weight(g) for _, g in j.groupby(["year", "exporter", "importer", "hs"])]
        j["w"] = pd.concat(w) if w else 1.0
        out += [j, unm]
    allr = pd.concat(out, ignore_index=True)
    allr["v"] = allr["value_usd"] * allr["w"]
    return allr.groupby(["year", "exporter", "importer", "b"], as_index=False)["v"].sum().rename(columns={"b": "hs"})


def _frame(t: FlowTable) -> pd.DataFrame:
    return t.frame[["year", "exporter", "importer", "hs", "value_usd"]].astype({"hs": str, "exporter": str, "importer": str})


def test_tables_shipped_for_every_link():
    for newer, older in LINKED:
        with gzip.open(DATA / f"{newer}-{older}.csv.gz", "rt") as fh:
            assert fh.readline().strip() == f"{newer},{older}"
    assert (DATA / "README.md").read_text().count("UNSD") >= 1


def test_hafnium_scope_between_hs2017_and_hs2022():
    assert targets("HS2022", "HS2017", "811231") == ("811292",)      # n:1, exact
    assert targets("HS2017", "HS2022", "811292") == ("811231", "811241", "811292")  # 1:n, a split
    assert targets("HS2017", "HS2022", "281111") == ("281111",)
    assert "811292" in related_codes(["811231"])
    # two revisions older than HS2017 are linked through HS2017
    assert correlation("HS2007", "HS2012")


def test_convert_single_revision_to_another_equals_pandas():
    f = pd.DataFrame({"year": [2021, 2021, 2021, 2021], "exporter": ["CHN", "JPN", "CHN", "USA"],
                      "importer": ["KOR", "KOR", "USA", "KOR"], "hs": ["811292", "811292", "281111", "854231"],
                      "value_usd": [100.0, 40.0, 7.0, 50.0]})
    t = make_flow_table(f, meta=FlowMeta(hs_revision="HS2017"))
    got = harmonize(t, "HS2022")
    assert got.meta.hs_revision == "HS2022"
    conv = got.meta.hs_conversion
    want = pandas_convert(f, "HS2017", "HS2022")
    a = _frame(got).sort_values(["year", "exporter", "importer", "hs"]).reset_index(drop=True)
    b = want.sort_values(["year", "exporter", "importer", "hs"]).reset_index(drop=True)
    assert list(a["hs"]) == list(b["hs"])
    assert a["value_usd"].tolist() == pytest.approx(b["v"].tolist())
    assert a["value_usd"].sum() == pytest.approx(f["value_usd"].sum())  # nothing lost
    # no HS2022 rows in the data: the split goes to the code with the same number (stated weights)
    assert conv["split_codes"] == {"same code": 2} or "same code" in conv["split_codes"]
    assert conv["exact_share"] + conv["split_share"] + conv["unmapped_share"] == pytest.approx(1.0)
    assert 0 < conv["split_share"] < 1 and conv["chosen_by"] == "given"
    assert split_shares(got)[(2021, "811292")] == pytest.approx(1.0)


def test_unknown_target_is_a_usage_error_not_mixed():
    t = make_flow_table(pd.DataFrame({"year": [2021], "exporter": ["CHN"], "importer": ["KOR"], "hs": ["811292"],
                                      "value_usd": [1.0]}), meta=FlowMeta(hs_revision="HS2017"))
    with pytest.raises(UsageError, match="HS1992"):
        harmonize(t, "mixed")
    assert harmonize(t) is t  # one revision and no target: nothing to do, no query
    assert set(REVISIONS) >= {"HS1992", "HS2022"}


def test_hs4_headings_convert_by_the_rule_at_the_heading_level():
    """An HS4 heading carried as a product: 0208 (HS2017) has subheadings that moved to 0410 in HS2022, so it is a
    1:n heading split by the data's own HS2022 rows; 8112 maps to itself. Equal to the rule written in pandas."""
    f = pd.DataFrame({"year": [2022] * 5, "exporter": ["CHN", "JPN", "USA", "CHN", "USA"],
                      "importer": ["KOR"] * 5, "hs": ["0208", "0208", "0410", "8112", "0208"],
                      "value_usd": [100.0, 50.0, 30.0, 7.0, 90.0],
                      "hs_revision": ["HS2017", "HS2017", "HS2022", "HS2017", "HS2022"]})
    t = make_flow_table(f)
    got = harmonize(t, "HS2022")
    want = pandas_convert(f, None, "HS2022")
    a = _frame(got).sort_values(["year", "exporter", "importer", "hs"]).reset_index(drop=True)
    b = want.sort_values(["year", "exporter", "importer", "hs"]).reset_index(drop=True)
    assert list(a["hs"]) == list(b["hs"]) and set(a["hs"]) == {"0208", "0410", "8112"}
    assert a["value_usd"].tolist() == pytest.approx(b["v"].tolist())
    assert a["value_usd"].sum() == pytest.approx(f["value_usd"].sum())
    # 0410 and 0208 weigh 30 and 90 in the HS2022 rows: CHN's 100 of 0208 becomes 25 of 0410 and 75 of 0208
    chn = a[a.exporter == "CHN"].set_index("hs")["value_usd"]
    assert chn["0410"] == pytest.approx(25.0) and chn["0208"] == pytest.approx(75.0) and chn["8112"] == 7.0
    assert got.meta.hs_conversion["unmapped"] == []


def _world(rows) -> pd.DataFrame:
    w = pd.DataFrame(rows, columns=["year", "reporter", "flow", "hs", "value_usd", "hs_revision"])
    return w.assign(month=pd.array([pd.NA] * len(w), dtype="Int8"), qty_kg=float("nan"), file="w.csv",
                    line=range(2, len(w) + 2))


def _as_flows(w: pd.DataFrame) -> pd.DataFrame:
    exp = w["flow"] == "export"
    return pd.DataFrame({"year": w["year"], "exporter": w["reporter"].where(exp, "WLD"),
                         "importer": w["reporter"].where(~exp, "WLD"), "hs": w["hs"], "value_usd": w["value_usd"],
                         "hs_revision": w["hs_revision"]})


def test_world_totals_of_a_world_only_table_convert_to_the_revision_holding_most_of_their_value():
    """A file with only World partners: the totals are converted (the target chosen from their value) by the
    same rule as flows, written again in pandas with the World on the other side."""
    w = _world([(2022, "JPN", "export", "811292", 60.0, "HS2017"), (2022, "USA", "export", "811231", 30.0, "HS2022"),
                (2022, "USA", "export", "811292", 10.0, "HS2022"), (2022, "KOR", "import", "811292", 50.0, "HS2017"),
                (2022, "DEU", "import", "811241", 20.0, "HS2022"), (2022, "DEU", "import", "811292", 15.0, "HS2022")])
    t = FlowTable(meta=FlowMeta(hs_revision="mixed", world_totals=w))
    assert t.world_only and t.measured_years == (2022,)
    got = harmonize(t)
    assert got.world_only and got.meta.hs_revision == "HS2017"  # 110 of HS2017 against 75 of HS2022
    assert got.meta.hs_conversion["basis"] == "world totals" and got.meta.hs_conversion["chosen_by"] == "most value"
    want = pandas_convert(_as_flows(w), None, "HS2017")
    gw = _as_flows(got.meta.world_totals).groupby(["year", "exporter", "importer", "hs"], as_index=False)["value_usd"].sum()
    m = gw.merge(want, on=["year", "exporter", "importer", "hs"], how="outer", indicator=True)
    assert (m["_merge"] == "both").all() and m["value_usd"].tolist() == pytest.approx(m["v"].tolist())
    assert set(got.meta.world_totals["hs"]) == {"811292"}  # 811231 and 811241 are n:1 into 811292
    assert got.meta.world_totals["value_usd"].sum() == pytest.approx(w["value_usd"].sum())


def test_world_totals_beside_flows_take_the_flows_revision():
    f = pd.DataFrame({"year": [2022, 2022], "exporter": ["CHN", "JPN"], "importer": ["USA", "USA"],
                      "hs": ["811231", "811292"], "value_usd": [40.0, 10.0], "hs_revision": ["HS2022", "HS2017"]})
    w = _world([(2022, "USA", "import", "811292", 99.0, "HS2017")])
    t = make_flow_table(f, meta=FlowMeta(hs_revision="mixed", world_totals=w))
    got = harmonize(t)
    assert got.meta.hs_revision == "HS2022"
    # the HS2017 811292 total is a 1:n split weighted by the totals' own HS2022 rows (none here): all of it to the
    # code with the same number
    wt = got.meta.world_totals
    assert set(wt["hs_revision"]) == {"HS2022"} and wt["value_usd"].sum() == pytest.approx(99.0)
    assert wt[wt.value_usd > 0].set_index("hs")["value_usd"].to_dict() == {"811292": 99.0}
