"""`scrisk diff` end to end on the BACI 2022 and 2024 extracts, against independent pandas computations."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "policy"))

from policy_helpers import ATLAS_READ, atlas_flows, pair_table, run, suppliers  # noqa: E402


def diff(monkeypatch, capsys, atlas, *extra: str):
    return run(monkeypatch, capsys, "diff", str(atlas / "baci_2022.csv"), str(atlas / "baci_2024.csv"),
               *ATLAS_READ, "--year", "2022", "--year", "2024", *extra)


@pytest.fixture(scope="module")
def ref(atlas):
    o, n = pair_table(atlas_flows(atlas, 2022)), pair_table(atlas_flows(atlas, 2024))
    return o.add_prefix("old_").join(n.add_prefix("new_"), how="outer")


def pairs(rows, kind):
    return {(r["importer"], r["hs"]) for r in rows if r["change"] == kind}


def test_diff_json_matches_pandas(monkeypatch, capsys, atlas, ref):
    code, out, err = diff(monkeypatch, capsys, atlas, "--format", "json")
    assert code == 0, err
    d = json.loads(out)
    rows = d["rows"]
    ov, nv = ref["old_value"].fillna(0), ref["new_value"].fillna(0)
    ss_old = (ref["old_top_share"].fillna(0) >= 0.9) & (ov >= 10e6)
    ss_new = (ref["new_top_share"].fillna(0) >= 0.9) & (nv >= 10e6)
    assert pairs(rows, "new_single_source") == set(ref.index[ss_new & ~ss_old])
    assert pairs(rows, "resolved_single_source") == set(ref.index[ss_old & ~ss_new])
    assert d["summary"]["appeared"] == int((ref["old_value"].isna()).sum()) > 100
    assert d["summary"]["vanished"] == int((ref["new_value"].isna()).sum()) > 100
    both = ref["old_value"].notna() & ref["new_value"].notna()
    moved = (ref["new_hhi"] - ref["old_hhi"]).abs() > 0.05
    assert d["summary"]["hhi_increase"] + d["summary"]["hhi_decrease"] == int((both & moved).sum())
    assert d["summary"]["pairs_common"] == int(both.sum())
    o, n = atlas_flows(atlas, 2022), atlas_flows(atlas, 2024)
    for imp, hs in [("KOR", "811292"), ("CHN", "250490"), ("USA", "283691")]:
        got = {r["supplier"] for r in rows if r["change"] == "supplier_gained" and (r["importer"], r["hs"]) == (imp, hs)}
        assert got == suppliers(n, imp, hs) - suppliers(o, imp, hs)
        got = {r["supplier"] for r in rows if r["change"] == "supplier_lost" and (r["importer"], r["hs"]) == (imp, hs)}
        assert got == suppliers(o, imp, hs) - suppliers(n, imp, hs)
    assert d["meta"]["old"]["year"] == 2022 and d["meta"]["new"]["year"] == 2024
    assert d["meta"]["old"]["inputs"] == [str(atlas / "baci_2022.csv")]


def test_json_equals_the_library_result(monkeypatch, capsys, atlas):
    from scrisk.io.options import ReadOptions
    from scrisk.policy.diff import diff_files

    code, out, _ = diff(monkeypatch, capsys, atlas, "--importer", "KOR", "--material", "gallium,lithium",
                        "--hhi-threshold", "0.02", "--format", "json")
    lib = diff_files([atlas / "baci_2022.csv"], [atlas / "baci_2024.csv"], options=ReadOptions(
        columns={"exporter": "i", "importer": "j", "hs": "cmd", "value": "value"}, value_unit="usd"),
        old_year=2022, new_year=2024, importers=["KOR"], material=["gallium,lithium"], hhi_threshold=0.02).to_dict()
    d = json.loads(out)
    for x in (d, lib):
        x["meta"].pop("generated_at")
    assert code == 0 and d == lib
    assert {r["hs"] for r in d["rows"]} <= {"811292", "283691"} and d["summary"]["pairs_new"] == 2


def test_old_new_options_and_single_source_flags(monkeypatch, capsys, atlas, ref):
    args = ["--old", str(atlas / "baci_2022.csv"), "--new", str(atlas / "baci_2024.csv"), *ATLAS_READ,
            "--old-year", "2022", "--new-year", "2024", "--importer", "KOR", "--format", "json"]
    code, out, _ = run(monkeypatch, capsys, "diff", *args)
    d = json.loads(out)
    kor = ref[ref.index.get_level_values("importer") == "KOR"]
    new_ss = (kor["new_top_share"] >= 0.9) & (kor["new_value"] >= 10e6) & ~(
        (kor["old_top_share"] >= 0.9) & (kor["old_value"] >= 10e6))
    assert code == 0 and pairs(d["rows"], "new_single_source") == set(kor.index[new_ss])
    assert new_ss.sum() >= 1
    code, _, err = run(monkeypatch, capsys, "diff", *args, "--fail-on-new-single-source")
    assert code == 1 and "new single-source" in err
    code, out, _ = run(monkeypatch, capsys, "diff", *args, "--single-source", "0.99", "--fail-on-new-single-source")
    assert code == (1 if ((kor["new_top_share"] >= 0.99) & (kor["new_value"] >= 10e6) & ~(
        (kor["old_top_share"] >= 0.99) & (kor["old_value"] >= 10e6))).any() else 0)


def test_csv_md_table(monkeypatch, capsys, atlas):
    from scrisk.policy.diff import DIFF_FIELDS

    code, out, _ = diff(monkeypatch, capsys, atlas, "--importer", "KOR", "--change", "new_single_source,vanished",
                        "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and list(rows[0]) == list(DIFF_FIELDS)
    assert {r["change"] for r in rows} <= {"new_single_source", "vanished"} and rows
    code, out, _ = diff(monkeypatch, capsys, atlas, "--importer", "KOR", "--format", "md")
    assert code == 0 and out.startswith("## scrisk diff") and "| Change | Importer | HS |" in out
    code, out, _ = diff(monkeypatch, capsys, atlas, "--importer", "KOR", "--change", "new_single_source")
    assert code == 0 and "811292" in out and "gallium" in out


@pytest.mark.parametrize(
    "args, needle",
    [
        (["only_one.csv"], "give both vintages"),
        (["a.csv", "b.csv", "--change", "apeared"], "did you mean 'appeared'"),
        (["a.csv", "b.csv", "--year", "2020", "--year", "2021", "--year", "2022"], "--year takes one year"),
        (["a.csv", "--old", "x.csv", "--new", "y.csv"], "not both"),
    ],
)
def test_usage_errors(monkeypatch, capsys, tmp_path, args, needle):
    for name in ("a.csv", "b.csv", "x.csv", "y.csv"):
        (tmp_path / name).write_text("year,exporter,importer,hs,value_usd\n2024,CHN,KOR,811292,1\n")
    monkeypatch.chdir(tmp_path)
    code, _, err = run(monkeypatch, capsys, "diff", *args)
    assert code == 2 and needle in err, err
