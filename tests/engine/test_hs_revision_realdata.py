"""Real Comtrade files spanning HS2012/HS2017/HS2022: every command exits 0 and the conversion equals pandas."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from scrisk.api import load_flows
from scrisk.io import read_flows
from scrisk.io.options import ReadOptions

from cli_helpers import run
from test_hs_revision import pandas_convert

CRITMIN = ["cobalt", "copper", "gallium", "graphite", "heavy_ree", "light_ree", "lithium", "nickel"]


def _files(realdata: Path) -> list[Path]:
    d = realdata / "comtrade-us-critmin-api"
    sme = realdata / "comtrade-sme-world" / "comtrade 2021-08-16.csv"
    out = [d / f"{m}_trade_data.csv" for m in CRITMIN] + [sme]
    missing = [p for p in out if not p.is_file()]
    if missing:
        pytest.skip(f"real files absent: {missing[0]}")
    return out


def _key(f: pd.DataFrame) -> pd.DataFrame:
    f = f[["year", "exporter", "importer", "hs", "value_usd"]].astype({"exporter": str, "importer": str, "hs": str})
    return f.groupby(["year", "exporter", "importer", "hs"], as_index=False)["value_usd"].sum().sort_values(
        ["year", "exporter", "importer", "hs"]).reset_index(drop=True)


def _world_as_flows(w: pd.DataFrame) -> pd.DataFrame:
    """Reporters' World totals with the World on the other side (the documented way they are converted)."""
    exp = w["flow"] == "export"
    return pd.DataFrame({"year": w["year"], "exporter": w["reporter"].where(exp, "WLD").astype(str),
                         "importer": w["reporter"].where(~exp, "WLD").astype(str), "hs": w["hs"].astype(str),
                         "value_usd": w["value_usd"], "hs_revision": w["hs_revision"]})


@pytest.mark.parametrize("target", [None, "HS2017"])
def test_conversion_of_every_file_equals_pandas(realdata, target):
    """Flows (HS4 headings of copper and nickel included) and, for the SME file, the World totals."""
    for path in _files(realdata):
        raw = read_flows([path], ReadOptions())
        conv = load_flows([path], ReadOptions(target_revision=target))
        if raw.world_only:  # the SME file: the World totals are what is converted
            frame = _world_as_flows(raw.meta.world_totals)
            got_frame = _world_as_flows(conv.meta.world_totals)
            assert conv.world_only and conv.meta.hs_conversion["basis"] == "world totals", path.name
        else:
            frame, got_frame = raw.frame, conv.frame
        by_rev = frame.groupby(frame["hs_revision"].astype(object).fillna("?"))["value_usd"].sum()
        want_target = target or by_rev.drop("?", errors="ignore").idxmax()
        assert conv.meta.hs_revision == want_target, path.name
        if conv.meta.hs_conversion is not None:
            c = conv.meta.hs_conversion
            assert c["target"] == want_target
            assert c["chosen_by"] == ("given" if target else "most value")
            assert c["unmapped"] == [] or path.name.startswith("comtrade"), (path.name, c["unmapped"])
        want = _key(pandas_convert(frame.astype({"hs": str}), raw.meta.hs_revision if raw.meta.hs_revision != "mixed"
                                   else None, want_target).rename(columns={"v": "value_usd"}))
        got = _key(got_frame)
        assert list(got["hs"]) == list(want["hs"]), path.name
        assert got["value_usd"].to_numpy() == pytest.approx(want["value_usd"].to_numpy(), rel=1e-9), path.name
        assert got["value_usd"].sum() == pytest.approx(frame["value_usd"].sum(), rel=1e-9)  # nothing lost
        if path.name in ("copper_trade_data.csv", "nickel_trade_data.csv"):
            assert {len(h) for h in got["hs"]} == {4} and set(conv.meta.hs_headings) == set(got["hs"])


def test_every_command_exits_0_on_the_mixed_files(realdata, tmp_path, monkeypatch, capsys):
    """analyze, shock, check and diff on each file: exit 0, one revision in meta, never 'unknown HS revision'.

    copper and nickel hold 4-digit headings only: they are products (meta.hs_headings); the SME file has World
    partners only: every command says the bilateral figures are unavailable (meta.world_totals_only). The figures
    themselves are checked against pandas in tests/cli/test_realdata_comtrade_api.py.
    """
    scenario = tmp_path / "s.toml"
    scenario.write_text('name = "cut"\ntitle = "China stops its exports to the USA"\ndescription = "test"\n'
                        '[[measure]]\nexporters = ["CHN"]\ntargets = ["USA"]\n'
                        'hs = ["25", "28", "38", "74", "75", "81", "84", "90"]\ntype = "prohibition"\n')
    for path in _files(realdata):
        t = load_flows([path], ReadOptions())
        rows = t.meta.world_totals if t.world_only else t.frame
        codes = sorted({h[:4] for h in rows.loc[rows["value_usd"] > 0, "hs"].astype(str)})
        assert codes, path.name
        policy = tmp_path / "p.toml"
        policy.write_text('[[rule]]\nname = "watch"\nimporter = "*"\nhs = [' + ", ".join(f'"{c}"' for c in codes)
                          + ']\nmax_top_share = 1.0\nmin_import_usd = 0\n')
        for args in (["analyze", str(path), "-f", "json"],
                     ["shock", str(path), "--scenario", str(scenario), "-f", "json"],
                     ["check", str(path), "--policy", str(policy), "-f", "json"],
                     ["diff", str(path), str(path), "-f", "json"]):
            code, out, err = run(monkeypatch, capsys, *args)
            assert "unknown HS revision" not in err and "mixed" not in err, (path.name, args[0], err)
            assert code == 0, (path.name, args[0], err)
            meta = json.loads(out)["meta"]
            assert meta.get("hs_revision") in ("HS2012", "HS2017", "HS2022"), (path.name, args[0])
            said = err + "\n".join(meta.get("notes") or [])  # check -f json keeps its notes in meta only
            if t.world_only:
                assert meta["world_totals_only"] is True and "bilateral (importer-side) figures are unavailable" in said
            if path.name in ("copper_trade_data.csv", "nickel_trade_data.csv"):
                assert meta["hs_headings"] == codes and "HS4 headings carried as products" in said, (path.name, args[0])
            if args[0] == "analyze":
                c = meta["hs_conversion"]
                assert c["chosen_by"] == "most value" and len(c["revisions"]) >= 2
                assert meta["hs_revision"] == max(c["revisions"], key=lambda r: r["value_usd"])["revision"]


@pytest.mark.parametrize("target", ["HS2017", "HS2022"])
def test_analyze_figures_of_a_converted_file_equal_pandas(realdata, target):
    from scrisk.app import analyze_files

    path = _files(realdata)[CRITMIN.index("gallium")]
    raw = read_flows([path], ReadOptions()).frame.astype({"hs": str})
    conv = pandas_convert(raw, None, target).rename(columns={"v": "value_usd"})
    year = int(conv["year"].max())
    f = conv[conv["year"] == year]
    imp = f.groupby(["importer", "hs"])["value_usd"].agg(["sum", "max"])
    r = analyze_files([path], ReadOptions(target_revision=target), min_import_usd=0).to_dict()
    assert r["meta"]["hs_revision"] == target and r["meta"]["analysis_year"] == year
    assert len(r["rows"]) == len(imp)
    for row in r["rows"]:
        s, mx = imp.loc[(row["importer"], row["hs"])]
        assert row["import_value_usd"] == pytest.approx(s, rel=1e-12)
        assert row["top_share"] == pytest.approx(mx / s, rel=1e-12)
    if target == "HS2022":  # HS2017 811292 is 1:n in HS2022: allocated by the data's own HS2022 rows, and flagged
        c = r["meta"]["hs_conversion"]
        assert c["split_share"] > 0 and set(c["split_codes"]) <= {"data, same year", "data, other years"}
        split_here = bool(((raw["year"] == year) & (raw["hs_revision"] == "HS2017")).any())
        assert any("hs_split" in row["flags"] for row in r["rows"]) == split_here


def test_comtrade_2024_converts_by_the_inferred_revisions(atlas):
    """The 37 HS2022 reporters of comtrade_2024.csv.gz (inferred from 811231) convert to HS2017 exactly like pandas;
    their hafnium then sits in 811292, as the HS2017 reporters' does."""
    from scrisk.app import analyze_files

    p = atlas / "comtrade_2024.csv.gz"
    if not p.is_file():
        pytest.skip(f"{p} not present")
    raw = read_flows([p], ReadOptions())
    conv = load_flows([p], ReadOptions(target_revision="HS2017"))
    c = conv.meta.hs_conversion
    assert c["sources"] == ["HS2022"] and c["assumed_share"] > 0 and conv.meta.hs_revision == "HS2017"
    want = _key(pandas_convert(raw.frame.astype({"hs": str}), None, "HS2017").rename(columns={"v": "value_usd"}))
    got = _key(conv.frame)
    assert list(got["hs"]) == list(want["hs"])
    assert got["value_usd"].to_numpy() == pytest.approx(want["value_usd"].to_numpy(), rel=1e-9)
    assert "811231" not in set(got["hs"]) and "811231" in set(raw.frame["hs"])
    r = analyze_files([p], ReadOptions(target_revision="HS2017"), material="hafnium", min_import_usd=0).to_dict()
    assert {x["hs"] for x in r["rows"]} == {"811292"} and r["meta"]["hs_inference"]["counts"]["HS2022"] == 37
    # by default the revision holding most of the known value: HS2022, hafnium is 811231 there
    r = analyze_files([p], material="hafnium", min_import_usd=0).to_dict()
    assert r["meta"]["hs_revision"] == "HS2022" and r["rows"] and {x["hs"] for x in r["rows"]} == {"811231"}
