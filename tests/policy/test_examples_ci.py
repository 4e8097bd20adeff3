"""examples/ci: the Korea watch-list policy and the GitHub Actions workflow are valid and do what they say."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pandas as pd
import pytest

from policy_helpers import pair_table, run
from scrisk.policy.spec import load_policy

REPO = Path(__file__).resolve().parents[2]
CI = REPO / "examples" / "ci"
POLICY = CI / "korea_watchlist.toml"
EXAMPLE = REPO / "examples" / "example_flows.csv"


def test_policy_parses_and_its_codes_are_hs2017(realdata):
    pol = load_policy(POLICY)
    assert len(pol.rules) >= 8 and pol.max_rejected is not None and pol.needs_baseline
    assert {r.severity for r in pol.rules} == {"error", "warning"}
    assert all(r.importers == ("KOR",) for r in pol.rules)
    codes = set(pd.read_csv(realdata / "baci-reference" / "product_codes.csv", dtype={"code": str})["code"])
    watched = {h for r in pol.rules for h in r.hs}
    assert {"281111", "370790", "392099", "811292", "283691", "250490", "850511"} <= watched
    assert watched <= codes


def test_policy_on_the_bundled_example(monkeypatch, capsys):
    flows = pd.read_csv(EXAMPLE, dtype={"hs": str}).rename(columns={"value_usd": "value"})
    new, old = pair_table(flows[flows.year == 2024]), pair_table(flows[flows.year == 2022])
    code, out, err = run(monkeypatch, capsys, "check", str(EXAMPLE), "--year", "2024", "--policy", str(POLICY),
                         "--baseline", str(EXAMPLE), "--baseline-year", "2022", "--format", "json")
    d = json.loads(out)
    assert code == d["summary"]["exit_code"] and not d["incomplete"], err
    pol = load_policy(POLICY)
    # independently: the error breaches of the single-source and drift rules
    expected = set()
    for r in pol.rules:
        if r.severity != "error":
            continue
        codes = set(r.hs) | ({"850511"} if "permanent_magnets" in r.materials else set())
        for hs in codes:
            row = new.loc[("KOR", hs)]
            if row["value"] < r.min_import_usd:
                continue
            if r.max_top_share is not None and row["top_share"] > r.max_top_share:
                expected.add((r.name, hs))
            if r.max_top_share_increase is not None and \
                    row["top_share"] - old.loc[("KOR", hs), "top_share"] > r.max_top_share_increase:
                expected.add((r.name, hs))
    got = {(b["rule"], b["hs"]) for b in d["breaches"] if b["severity"] == "error"}
    assert got == expected and ("gallium-germanium-absolute-dependence", "811292") in got
    assert code == (1 if expected else 0)


def _workflow():
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load((CI / "github-workflow.yml").read_text())


def _options_of(command: str) -> set[str]:
    import typer.main

    from scrisk.cli import app

    cmd = typer.main.get_command(app).commands[command]
    return {o for p in cmd.params for o in getattr(p, "opts", [])}


def test_workflow_is_valid_and_uses_real_options():
    wf = _workflow()
    steps = wf["jobs"]["check"]["steps"]
    runs = "\n".join(s.get("run", "") for s in steps).replace("\\\n", " ")
    for command in ("check", "diff"):
        line = next(ln for ln in runs.splitlines() if ln.strip().startswith(f"scrisk {command}"))
        flags = {t.split("=")[0] for t in shlex.split(line) if t.startswith("--")}
        assert flags and flags <= _options_of(command), flags - _options_of(command)
    assert "--junit reports/scrisk-check.xml" in runs and '--summary "$GITHUB_STEP_SUMMARY"' in runs
    uses = {s["uses"].split("@")[0]: s for s in steps if "uses" in s}
    assert {"actions/checkout", "actions/setup-python", "actions/upload-artifact",
            "mikepenz/action-junit-report"} <= set(uses)
    assert uses["mikepenz/action-junit-report"]["with"]["report_paths"] == "reports/scrisk-check.xml"
    assert uses["actions/upload-artifact"]["with"]["path"] == "reports/scrisk-check.xml"
    assert all(s.get("if") for s in steps[steps.index(uses["actions/upload-artifact"]):])  # run after a failure
    assert wf["permissions"]["checks"] == "write"
