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


def pandas_convert(frame: pd.DataFrame, default: str | None, target: str) -> pd.DataFrame:
    """The documented rule written again in plain pandas (year-level weights from the target rows, else same code, else equal)."""
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
