"""`scrisk check` end to end on the real BACI extracts: exit codes, every format, completeness, reader options."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "policy"))

from policy_helpers import ATLAS_READ, atlas_flows, line_of, pair_table, run  # noqa: E402

BREACHED = """\
[[rule]]
name = "kor-gallium-single-source"
importer = "KOR"
hs = ["811292"]
max_top_share = 0.9
"""


@pytest.fixture(scope="module")
def ref2024(atlas):
    return pair_table(atlas_flows(atlas, 2024))


def write(tmp_path: Path, text: str, name: str = "policy.toml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def check(monkeypatch, capsys, atlas, policy: Path, *extra: str, year: int = 2024):
    return run(monkeypatch, capsys, "check", str(atlas / f"baci_{year}.csv"), "--policy", str(policy),
               *ATLAS_READ, "--year", str(year), *extra)


def test_breach_exits_1_and_names_everything(monkeypatch, capsys, atlas, tmp_path, ref2024):
    ref = ref2024.loc[("KOR", "811292")]
    assert ref["top_share"] > 0.9
    code, out, err = check(monkeypatch, capsys, atlas, write(tmp_path, BREACHED))
    assert code == 1, err
    assert out.startswith("scrisk check FAILED")
    line = next(ln for ln in out.splitlines() if ln.strip().startswith("ERROR"))
    for needle in ("kor-gallium-single-source", "KOR", "811292", "gallium", ref["top_supplier"],
                   f"{ref['top_share'] * 100:.1f}%", "max_top_share 90%"):
        assert needle in line, needle
    code, out, _ = check(monkeypatch, capsys, atlas, write(tmp_path, BREACHED), "--format", "json")
    d = json.loads(out)
    (b,) = d["breaches"]
    assert code == 1 and b["value"] == pytest.approx(ref["top_share"]) and b["threshold"] == 0.9
    assert (b["rule"], b["importer"], b["hs"], b["material"]) == ("kor-gallium-single-source", "KOR", "811292",
                                                                  "gallium")
    assert d["summary"]["errors"] == 1 and d["summary"]["status"] == "fail"
    assert d["meta"]["inputs"] == [str(atlas / "baci_2024.csv")] and d["meta"]["year"] == 2024


def test_met_policy_exits_0(monkeypatch, capsys, atlas, tmp_path, ref2024):
    ref = ref2024.loc[("KOR", "811292")]
    assert ref["top_share"] < 0.95 and ref["n_suppliers"] >= 5
    text = BREACHED.replace("max_top_share = 0.9", "max_top_share = 0.95\nmin_suppliers = 5")
    code, out, err = check(monkeypatch, capsys, atlas, write(tmp_path, text))
    assert code == 0, out + err
    assert out.startswith("scrisk check PASSED") and "1 evaluated, 0 failed" in out


def test_misspelt_key_exits_3_naming_key_and_line(monkeypatch, capsys, atlas, tmp_path):
    text = BREACHED + '\n[[rule]]\nname = "second"\nimporter = "KOR"\nhs = ["283691"]\nmax_top_shares = 0.9\n'
    p = write(tmp_path, text)
    code, out, err = check(monkeypatch, capsys, atlas, p)
    assert code == 3 and out == ""
    assert f"{p}:{line_of(text, 'max_top_shares')}:" in err
    assert "'max_top_shares'" in err and "did you mean 'max_top_share'" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_junit_is_valid_xml_with_the_right_failure_count(monkeypatch, capsys, atlas, tmp_path, ref2024):
    hs = ["811292", "850511", "283691"]
    text = (f'[[rule]]\nname = "single-source"\nimporter = "*"\nhs = {json.dumps(hs)}\nmax_top_share = 0.9\n'
            "min_import_usd = 1_000_000\n"
            f'[[rule]]\nname = "hhi-warning"\nimporter = "*"\nhs = {json.dumps(hs)}\nmax_hhi = 0.5\n'
            'severity = "warning"\nmin_import_usd = 1_000_000\n')
    code, out, _ = check(monkeypatch, capsys, atlas, write(tmp_path, text), "--format", "junit")
    root = ET.fromstring(out)
    sel = ref2024[ref2024.index.get_level_values("hs").isin(hs)]
    judged = sel[sel["value"] >= 1e6]
    failures = int((judged["top_share"] > 0.9).sum())
    assert failures > 5 and code == 1
    assert root.tag == "testsuites" and int(root.get("failures")) == failures and int(root.get("errors")) == 0
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"single-source", "hhi-warning", "scrisk.input"}
    ss = suites["single-source"]
    assert int(ss.get("tests")) == len(sel) and int(ss.get("skipped")) == len(sel) - len(judged)
    assert len(ss.findall("testcase/failure")) == failures
    hw = suites["hhi-warning"]
    assert hw.get("failures") == "0" and len(hw.findall("testcase/system-out")) == int((judged["hhi"] > 0.5).sum())
    case = next(c for c in ss.findall("testcase") if c.get("name") == "KOR 811292 (gallium)")
    assert "92." in case.find("failure").get("message")


def test_github_md_and_side_outputs(monkeypatch, capsys, atlas, tmp_path):
    p = write(tmp_path, BREACHED + 'severity = "error"\n' + BREACHED.replace("kor-gallium-single-source", "warn")
              .replace("0.9", "0.5") + 'severity = "warning"\n')
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n")
    junit = tmp_path / "out" / "report.xml"
    junit.parent.mkdir()
    code, out, err = check(monkeypatch, capsys, atlas, p, "--format", "github", "--junit", str(junit),
                           "--summary", str(summary))
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith(f"::error file={p},line=1,title=scrisk check%3A kor-gallium-single-source::")
    assert lines[1].startswith(f"::warning file={p},line=7,title=scrisk check%3A warn::")
    assert "%25" in lines[0] and lines[-1].startswith("::notice title=scrisk check failed::")
    assert "scrisk check FAILED" in err
    assert ET.parse(junit).getroot().get("failures") == "1"
    md = summary.read_text()
    assert md.startswith("# earlier step\n## scrisk check: ❌ failed")
    assert "| error | kor-gallium-single-source | KOR | 811292 (gallium) | max_top_share |" in md
    code, out, _ = check(monkeypatch, capsys, atlas, p, "--format", "md", "--output", str(tmp_path / "s.md"))
    assert code == 1 and out == "" and (tmp_path / "s.md").read_text().startswith("## scrisk check")


def test_absent_watched_product_is_incomplete(monkeypatch, capsys, atlas, tmp_path):
    text = BREACHED.replace('hs = ["811292"]', 'hs = ["281111"]').replace("0.9", "0.99")
    code, out, _ = check(monkeypatch, capsys, atlas, write(tmp_path, text))
    assert code == 1 and out.startswith("scrisk check INCOMPLETE")
    assert ("rule 'kor-gallium-single-source' watches 281111 for KOR but the data has no KOR imports of 281111 "
            "in 2024") in out
    code, out, _ = check(monkeypatch, capsys, atlas, write(tmp_path, text), "--format", "junit")
    root = ET.fromstring(out)
    assert code == 1 and root.get("errors") == "1" and root.find(".//error").get("type") == "absent"


DEFECTS = "year,exporter,importer,hs,value_usd\n" \
          "2024,CHN,KOR,811292,900\n2024,JPN,KOR,811292,100\n" \
          "2024,WLD,KOR,811292,1000\n" \
          "2024,USA,KOR,811292,-5\n2024,XXQ,KOR,811292,7\n"


def test_rejected_rows_beyond_max_rejected(monkeypatch, capsys, tmp_path):
    data = tmp_path / "customs.csv"
    data.write_text(DEFECTS)  # 2 defects (negative value, unknown code) + 1 structural (World partner)
    p = write(tmp_path, BREACHED.replace("0.9", "0.95"))
    code, out, _ = run(monkeypatch, capsys, "check", str(data), "--policy", str(p))
    assert code == 1 and "2 input rows of the checked data" in out and "--max-rejected allows 0 rows" in out
    assert run(monkeypatch, capsys, "check", str(data), "--policy", str(p), "--max-rejected", "1")[0] == 1
    assert run(monkeypatch, capsys, "check", str(data), "--policy", str(p), "--max-rejected", "2")[0] == 0
    assert run(monkeypatch, capsys, "check", str(data), "--policy", str(p), "--max-rejected", "40%")[0] == 0
    assert run(monkeypatch, capsys, "check", str(data), "--policy", str(p), "--max-rejected", "0.3")[0] == 1
    code, _, err = run(monkeypatch, capsys, "check", str(data), "--policy", str(p), "--max-rejected", "lots")
    assert code == 2 and "--max-rejected 'lots'" in err


def test_pyproject_policy_is_the_default(monkeypatch, capsys, atlas, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "data"\n\n[tool.scrisk]\n'
                                            + BREACHED.replace("[[rule]]", "[[tool.scrisk.rule]]"))
    monkeypatch.chdir(tmp_path)
    code, out, err = run(monkeypatch, capsys, "check", str(atlas / "baci_2024.csv"), *ATLAS_READ, "--year", "2024")
    assert code == 1 and "kor-gallium-single-source" in out and "policy:   pyproject.toml" in out
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "data"\n')
    code, _, err = run(monkeypatch, capsys, "check", str(atlas / "baci_2024.csv"), *ATLAS_READ, "--year", "2024")
    assert code == 2 and "--policy" in err


def test_baseline_rules(monkeypatch, capsys, atlas, tmp_path):
    old, new = pair_table(atlas_flows(atlas, 2022)), pair_table(atlas_flows(atlas, 2024))
    rise = new.loc[("KOR", "250490"), "hhi"] - old.loc[("KOR", "250490"), "hhi"]
    assert rise > 0.2
    p = write(tmp_path, '[[rule]]\nname = "drift"\nimporter = "KOR"\nhs = ["250490"]\nmax_hhi_increase = 0.2\n')
    code, _, err = check(monkeypatch, capsys, atlas, p)
    assert code == 2 and "--baseline" in err
    code, out, _ = check(monkeypatch, capsys, atlas, p, "--baseline", str(atlas / "baci_2022.csv"),
                         "--baseline-year", "2022", "--format", "json")
    d = json.loads(out)
    (b,) = d["breaches"]
    assert code == 1 and b["value"] == pytest.approx(rise) and b["baseline_value"] == pytest.approx(
        old.loc[("KOR", "250490"), "hhi"])
    assert d["meta"]["baseline"]["year"] == 2022 and d["meta"]["baseline"]["inputs"] == [str(atlas / "baci_2022.csv")]


def test_reader_options_comtrade(monkeypatch, capsys, atlas, tmp_path):
    """The Comtrade extract read as importer reports only: KOR's own report of 811292 imports."""
    p = write(tmp_path, BREACHED.replace("max_top_share = 0.9", "max_top_share = 1.0"))
    code, out, err = run(monkeypatch, capsys, "check", str(atlas / "comtrade_2024.csv.gz"), "--policy", str(p),
                         "--comtrade-side", "imports", "--year", "2024", "--max-rejected", "100%", "--format", "json")
    assert code == 0, err
    d = json.loads(out)
    (row,) = d["rows"]
    assert d["meta"]["source_format"] == "comtrade" and row["importer"] == "KOR"
    # independently: Korea's own import records of 811292, the largest of each partner's duplicated breakdown
    # rows (= its total row), partner 0 (World) left out; 156 is China's M49 code
    raw = pd.read_csv(atlas / "comtrade_2024.csv.gz")
    k = raw[(raw["reporter"] == 410) & (raw["flow"] == "M") & (raw["cmd"] == 811292) & (raw["partner"] != 0)]
    per = k.groupby("partner")["value"].max().sort_values(ascending=False)
    assert per.index[0] == 156 and row["top_supplier"] == "CHN"
    assert row["top_share"] * row["import_value_usd"] == pytest.approx(per.iloc[0])


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--year", "2022", "--year", "2024"], "single --year"),
        (["--format", "xml"], "xml"),
    ],
)
def test_usage_errors(monkeypatch, capsys, atlas, tmp_path, args, needle):
    code, _, err = check(monkeypatch, capsys, atlas, write(tmp_path, BREACHED), *args)
    assert code == 2 and needle in err


def test_unreadable_inputs_exit_3(monkeypatch, capsys, atlas, tmp_path):
    code, _, err = run(monkeypatch, capsys, "check", str(tmp_path / "nope.csv"), "--policy",
                       str(write(tmp_path, BREACHED)))
    assert code == 3 and "nope.csv" in err
    code, _, err = run(monkeypatch, capsys, "check", str(atlas / "baci_2024.csv"), "--policy",
                       str(tmp_path / "missing.toml"), *ATLAS_READ, "--year", "2024")
    assert code == 3 and "policy file not found" in err
