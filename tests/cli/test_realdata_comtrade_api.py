"""The eight comtrade-us-critmin-api files and the SME file through analyze, shock, check and diff, against pandas.

Every figure is computed again here from the raw CSV in plain pandas: the reading rules (total rows only, M and X
oriented, importer reports first and exporter reports where no importer reported, HS4 headings with no code under
them as products, reporter-to-World rows apart), the HS revision conversion (``pandas_convert`` of
tests/engine/test_hs_revision.py, the documented rule written again) and the measures. Skipped cleanly when
../shared/realdata is absent.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli_helpers import run

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))
from test_hs_revision import pandas_convert  # noqa: E402 - the conversion rule written in pandas, shared

CRITMIN = ["cobalt", "copper", "gallium", "graphite", "heavy_ree", "light_ree", "lithium", "nickel"]
REV = {f"H{i}": r for i, r in enumerate(("HS1992", "HS1996", "HS2002", "HS2007", "HS2012", "HS2017", "HS2022"))}
API_ISO = {"156": "CHN", "842": "USA", "180": "COD", "36": "AUS", "360": "IDN", "0": "WLD"}
KEY = ["year", "exporter", "importer", "hs"]


def _api(realdata: Path, name: str) -> Path:
    p = realdata / "comtrade-us-critmin-api" / f"{name}_trade_data.csv"
    if not p.is_file():
        pytest.skip(f"{p} not present")
    return p


def _sme(realdata: Path) -> Path:
    p = realdata / "comtrade-sme-world" / "comtrade 2021-08-16.csv"
    if not p.is_file():
        pytest.skip(f"{p} not present")
    return p


# ---------------------------------------------------------------------------------------------- pandas, independently


def read_api(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(bilateral flows, reporter-to-World rows) of a Comtrade+ API file: year, exporter, importer, hs, value_usd,
    hs_revision (World as ``WLD``)."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    detailed = {c[:4] for c in raw["cmdCode"] if len(c) > 4}  # headings with a code under them are totals
    total = (raw.partner2Code == "0") & (raw.motCode == "0") & (raw.mosCode == "0") & (raw.customsCode == "C00")
    keep = raw[total & raw.flowCode.isin(["M", "X"]) & raw.freqCode.eq("A")]
    keep = keep[~((keep.cmdCode.str.len() == 4) & keep.cmdCode.isin(detailed))]
    assert set(keep.reporterCode) | set(keep.partnerCode) <= set(API_ISO)
    r, p = keep.reporterCode.map(API_ISO), keep.partnerCode.map(API_ISO)
    m = (keep.flowCode == "M").to_numpy()
    df = pd.DataFrame({"year": keep.refYear.astype(int).to_numpy(), "exporter": np.where(m, p, r),
                       "importer": np.where(m, r, p), "hs": keep.cmdCode.to_numpy(),
                       "value_usd": keep.primaryValue.astype(float).to_numpy(),
                       "hs_revision": keep.classificationCode.map(REV).to_numpy(), "flow": keep.flowCode.to_numpy()})
    world = df[(df.exporter == "WLD") | (df.importer == "WLD")]
    bil = df[(df.exporter != "WLD") & (df.importer != "WLD") & (df.exporter != df.importer)]
    mr, xr = bil[bil.flow == "M"], bil[bil.flow == "X"]
    xr = xr.merge(mr[KEY], on=KEY, how="left", indicator=True)
    xr = xr[xr["_merge"] == "left_only"].drop(columns="_merge")
    flows = pd.concat([mr, xr], ignore_index=True).drop(columns="flow")
    assert not flows.duplicated(KEY).any()
    return flows, world.drop(columns="flow")


def read_sme(path: Path) -> pd.DataFrame:
    """The SME file's reporter-to-World imports (1) and exports (2) as flows with the World (``WLD``) on one side."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert set(raw["Partner Code"]) == {"0"}
    w = raw[raw["Trade Flow Code"].isin(["1", "2"])]
    rep = w["Reporter ISO"].where(w["Reporter Code"] != "490", "TWN")  # "Other Asia, nes" is Taiwan
    exp = (w["Trade Flow Code"] == "2").to_numpy()
    return pd.DataFrame({"year": w["Year"].astype(int).to_numpy(), "exporter": np.where(exp, rep, "WLD"),
                         "importer": np.where(exp, "WLD", rep), "hs": w["Commodity Code"].str.zfill(6).to_numpy(),
                         "value_usd": w["Trade Value (US$)"].astype(float).to_numpy(),
                         "hs_revision": w["Classification"].map(REV).to_numpy()})


def most_value(frame: pd.DataFrame) -> str:
    return frame.groupby("hs_revision")["value_usd"].sum().idxmax()


def measures(conv: pd.DataFrame, year: int) -> pd.DataFrame:
    """Per (importer, hs) of ``year``: imports, suppliers, top supplier and share, HHI, and the product's world side."""
    f = conv[(conv.year == year) & (conv.v > 0)]
    bil = f[(f.exporter != "WLD") & (f.importer != "WLD")]
    imp = f[f.importer != "WLD"].groupby(["importer", "hs"])["v"].sum().rename("import_value_usd")
    top = bil.sort_values(["v", "exporter"], ascending=[False, True]).groupby(["importer", "hs"]).first()
    out = imp.to_frame().join(bil.groupby(["importer", "hs"])["v"].agg(n_suppliers="size", sq=lambda v: (v * v).sum()))
    out["top_supplier"] = top["exporter"]
    out["top_share"] = top["v"] / out["import_value_usd"]
    out["hhi"] = out.pop("sq") / out["import_value_usd"] ** 2
    xt = f[f.exporter != "WLD"].groupby(["hs", "exporter"], as_index=False)["v"].sum()
    tot = xt.groupby("hs")["v"].sum()
    wtop = xt.sort_values(["v", "exporter"], ascending=[False, True]).groupby("hs").first()
    world = pd.DataFrame({"world_export_value_usd": tot, "n_exporters": xt.groupby("hs").size(),
                          "world_export_hhi": xt.assign(s=xt.v ** 2).groupby("hs")["s"].sum() / tot ** 2,
                          "world_top_exporter": wtop["exporter"], "world_top_exporter_share": wtop["v"] / tot})
    return out.join(world, on="hs")


def _json(monkeypatch, capsys, *args) -> tuple[int, dict, str]:
    code, out, err = run(monkeypatch, capsys, *args)
    assert "Traceback" not in err, err
    return code, json.loads(out), err


def _same(got, want, what) -> None:
    if want is None or (isinstance(want, float) and np.isnan(want)):
        assert got is None, what
    elif isinstance(want, str):
        assert got == want, what
    else:
        assert got == pytest.approx(float(want), rel=1e-9, abs=1e-9), what


# ---------------------------------------------------------------------------------------- the eight Comtrade API files


@pytest.mark.parametrize("name", CRITMIN)
def test_analyze_equals_pandas(realdata, name, monkeypatch, capsys):
    path = _api(realdata, name)
    flows, _ = read_api(path)
    target = most_value(flows)
    conv = pandas_convert(flows, None, target)
    year = int(conv.year.max())
    want = measures(conv, year)
    code, r, err = _json(monkeypatch, capsys, "analyze", str(path), "--min-import-usd", "0", "-f", "json")
    assert code == 0, err
    assert r["meta"]["hs_revision"] == target and r["meta"]["analysis_year"] == year
    got = {(x["importer"], x["hs"]): x for x in r["rows"]}
    assert set(got) == set(want.index), name
    for k, w in want.iterrows():
        for col in ("import_value_usd", "n_suppliers", "top_supplier", "top_share", "hhi", "world_export_hhi",
                    "world_top_exporter", "world_top_exporter_share", "n_exporters"):
            _same(got[k][col], w[col], (name, k, col))
    heads = sorted({h for h in conv.hs if len(h) == 4})
    assert r["meta"].get("hs_headings", []) == heads  # copper, nickel: all; cobalt 8105; REE 2846
    if heads:
        assert any("HS4 headings carried as products" in n for n in r["meta"]["notes"])


@pytest.mark.parametrize("name", CRITMIN)
def test_check_equals_pandas(realdata, name, tmp_path, monkeypatch, capsys):
    path = _api(realdata, name)
    flows, _ = read_api(path)
    conv = pandas_convert(flows, None, most_value(flows))
    year = int(conv.year.max())
    want = measures(conv, year)
    prefixes = sorted({h[:4] for h in conv.hs})
    policy = tmp_path / "p.toml"
    policy.write_text('[[rule]]\nname = "watch"\nimporter = "*"\nhs = [' + ", ".join(f'"{c}"' for c in prefixes)
                      + ']\nmax_top_share = 0.95\nmax_hhi = 0.6\nmin_import_usd = 1000000\n')
    code, r, err = _json(monkeypatch, capsys, "check", str(path), "--policy", str(policy), "-f", "json")
    judged = want[want.import_value_usd >= 1e6]
    expect = {(i, h, "max_top_share") for (i, h), w in judged.iterrows() if w.top_share > 0.95 + 1e-12}
    expect |= {(i, h, "max_hhi") for (i, h), w in judged.iterrows() if w.hhi > 0.6 + 1e-12}
    assert {(b["importer"], b["hs"], b["threshold_key"]) for b in r["breaches"]} == expect, name
    assert code == (1 if expect else 0), err
    assert {(x["importer"], x["hs"]) for x in r["rows"]} == set(want.index)
    assert r["summary"]["not_judged"] == int((want.import_value_usd < 1e6).sum())
    assert "not_evaluable" not in r and r["incomplete"] == []


@pytest.mark.parametrize("name", CRITMIN)
def test_diff_equals_pandas(realdata, name, monkeypatch, capsys):
    """Two years of one file as two vintages: every change kind per pair, from the pandas measures of both years."""
    path = _api(realdata, name)
    flows, _ = read_api(path)
    ny = int(flows.year.max())
    oy = ny - 1
    target = most_value(flows[flows.year == ny])  # each side is read for its year; OLD is converted to NEW's
    old = pandas_convert(flows[flows.year == oy], None, target)
    new = pandas_convert(flows[flows.year == ny], None, target)
    o, n = measures(old, oy), measures(new, ny)
    code, r, err = _json(monkeypatch, capsys, "diff", str(path), str(path), "--old-year", str(oy), "--new-year",
                         str(ny), "-f", "json")
    assert code == 0, err
    j = o.join(n, how="outer", lsuffix="_o", rsuffix="_n")
    in_o, in_n = j.import_value_usd_o.notna(), j.import_value_usd_n.notna()
    ss_o = (j.top_share_o.fillna(0) >= 0.9 - 1e-12) & (j.import_value_usd_o.fillna(0) >= 1e7)
    ss_n = (j.top_share_n.fillna(0) >= 0.9 - 1e-12) & (j.import_value_usd_n.fillna(0) >= 1e7)
    dh = (j.hhi_n - j.hhi_o).fillna(0)
    kinds = {
        "new_single_source": ss_n & ~ss_o, "resolved_single_source": ss_o & ~ss_n,
        "single_source_switch": ss_o & ss_n & (j.top_supplier_o != j.top_supplier_n),
        "hhi_increase": in_o & in_n & (dh.abs() > 0.05 + 1e-12) & (dh > 0),
        "hhi_decrease": in_o & in_n & (dh.abs() > 0.05 + 1e-12) & (dh < 0),
        "appeared": in_n & ~in_o, "vanished": in_o & ~in_n,
    }
    expect = {(k, i, h, None) for k, mask in kinds.items() for (i, h) in j.index[mask.to_numpy()]}
    common = set(j.index[(in_o & in_n).to_numpy()])
    so = {(i, h, e) for e, i, h in old.loc[old.v > 0, ["exporter", "importer", "hs"]].itertuples(index=False)}
    sn = {(i, h, e) for e, i, h in new.loc[new.v > 0, ["exporter", "importer", "hs"]].itertuples(index=False)}
    expect |= {("supplier_gained", i, h, e) for i, h, e in sn - so if (i, h) in common}
    expect |= {("supplier_lost", i, h, e) for i, h, e in so - sn if (i, h) in common}
    assert {(x["change"], x["importer"], x["hs"], x["supplier"]) for x in r["rows"]} == expect, name
    assert r["summary"]["pairs_old"] == len(o) and r["summary"]["pairs_new"] == len(n)
    for x in r["rows"]:
        if x["importer"] is not None and (x["importer"], x["hs"]) in n.index:
            _same(x["new_hhi"], n.loc[(x["importer"], x["hs"]), "hhi"], (name, x))
            _same(x["new_world_export_hhi"], n.loc[(x["importer"], x["hs"]), "world_export_hhi"], (name, x))


@pytest.mark.parametrize("name", CRITMIN)
def test_shock_equals_pandas(realdata, name, monkeypatch, capsys):
    """China stops every export to the USA, first order: each US product loses what China shipped it."""
    path = _api(realdata, name)
    flows, _ = read_api(path)
    conv = pandas_convert(flows, None, most_value(flows))
    year = int(conv.year.max())
    f = conv[(conv.year == year) & (conv.v > 0)]
    base = f.groupby(["importer", "hs"])["v"].sum()
    lost = f[(f.exporter == "CHN") & (f.importer == "USA")].groupby(["importer", "hs"])["v"].sum()
    code, r, err = _json(monkeypatch, capsys, "shock", str(path), "--exporter", "CHN", "--targets", "USA",
                         "--mode", "none", "-f", "json")
    assert code == 0, err
    assert r["meta"]["year"] == year
    got = {(x["importer"], x["hs"]): x for x in r["rows"]}
    assert set(got) == set(base.index), name
    for k, x in got.items():
        _same(x["baseline_usd"], base[k], (name, k))
        _same(x["direct_loss_usd"], lost.get(k, 0.0), (name, k))
    assert r["totals"]["blocked_usd"] == pytest.approx(float(lost.sum()), rel=1e-9)


def test_copper_material_selects_the_hs4_headings(realdata, monkeypatch, capsys):
    """--material copper: the basket's HS6 codes (740200, 740311) select the file's headings 7402 and 7403."""
    path = _api(realdata, "copper")
    flows, _ = read_api(path)
    conv = pandas_convert(flows, None, most_value(flows))
    want = measures(conv, int(conv.year.max()))
    code, r, err = _json(monkeypatch, capsys, "analyze", str(path), "--material", "copper", "--min-import-usd", "0",
                         "-f", "json")
    assert code == 0, err
    assert {(x["importer"], x["hs"]) for x in r["rows"]} == set(want.index) and {x["material"] for x in r["rows"]} == {
        "copper"}
    assert "HS codes without imports in 2024: 260300, 740400" in r["meta"]["notes"]  # no heading holds these
    code, r, err = _json(monkeypatch, capsys, "analyze", str(path), "--hs", "740311", "--min-import-usd", "0",
                         "-f", "json")
    assert {x["hs"] for x in r["rows"]} == {"7403"}


# ------------------------------------------------------------------------------------------ the SME file (World only)


def _sme_conv(path: Path, years=None) -> tuple[pd.DataFrame, str]:
    w = read_sme(path)
    if years is not None:
        w = w[w.year.isin(years)]
    return w, most_value(w)


def test_sme_analyze_world_side_equals_pandas(realdata, monkeypatch, capsys):
    path = _sme(realdata)
    w, target = _sme_conv(path)
    conv = pandas_convert(w, None, target)
    for year in (2019, 2020):
        want = measures(conv, year)
        code, r, err = _json(monkeypatch, capsys, "analyze", str(path), "--year", str(year), "--min-import-usd", "0",
                             "-f", "json")
        assert code == 0, err
        m = r["meta"]
        assert m["world_totals_only"] is True and m["hs_revision"] == target and m["analysis_year"] == year
        assert m["hs_conversion"]["basis"] == "world totals"
        assert any(n.startswith("bilateral (importer-side) figures are unavailable") for n in m["notes"])
        got = {(x["importer"], x["hs"]): x for x in r["rows"]}
        assert set(got) == set(want.index)
        for k, x in got.items():
            for col in ("import_value_usd", "world_export_hhi", "world_top_exporter", "world_top_exporter_share",
                        "n_exporters", "world_export_value_usd"):
                _same(x[col], want.loc[k, col], (year, k, col))
            assert x["top_supplier"] is None and x["top_share"] is None and x["hhi"] is None
            assert x["n_suppliers"] is None and x["score"] is None and x["band"] is None
            assert "world_totals_only" in x["flags"]
            assert ("hs_split" in x["flags"]) == bool(x.get("hs_split_share"))  # totals split between revisions
    # SOURCE.md: 2019 exports of 848620 by 63 reporters, 42.83 bn USD, Japan 27.08 %
    r2019 = measures(conv, 2019).xs("848620", level="hs").iloc[0]
    assert r2019.n_exporters == 63 and round(r2019.world_export_value_usd / 1e9, 2) == 42.83
    assert r2019.world_top_exporter == "JPN" and round(r2019.world_top_exporter_share * 100, 2) == 27.08


def test_sme_check_judges_world_side_keys_and_lists_the_others(realdata, tmp_path, monkeypatch, capsys):
    path = _sme(realdata)
    w, target = _sme_conv(path)
    want = measures(pandas_convert(w, None, target), 2020)
    policy = tmp_path / "p.toml"
    policy.write_text('[[rule]]\nname = "sme"\nimporter = "*"\nhs = ["848620", "903082", "903141"]\n'
                      'max_top_share = 0.9\nmax_world_export_hhi = 0.19\nmin_import_usd = 1000000\n')
    code, r, err = _json(monkeypatch, capsys, "check", str(path), "--policy", str(policy), "-f", "json")
    judged = want[want.import_value_usd >= 1e6]
    expect = {(i, h) for (i, h), x in judged.iterrows() if x.world_export_hhi > 0.19 + 1e-12}
    assert expect and {(b["importer"], b["hs"]) for b in r["breaches"]} == expect
    assert {b["threshold_key"] for b in r["breaches"]} == {"max_world_export_hhi"} and code == 1
    assert r["not_evaluable"] == [{"kind": "not_evaluable", "rule": "sme", "severity": "error",
                                   "keys": ["max_top_share"], "message": r["not_evaluable"][0]["message"]}]
    assert "max_top_share not evaluable" in r["not_evaluable"][0]["message"]
    assert r["summary"]["not_evaluable"] == 1 and r["incomplete"] == []
    assert all(x["not_evaluable"] == ["max_top_share"] for x in r["rows"])
    # only not-evaluable keys: no breach, no pass either, exit 0
    policy.write_text('[[rule]]\nname = "sme"\nimporter = "*"\nhs = ["848620"]\nmax_top_share = 0.9\nmax_hhi = 0.5\n'
                      'min_import_usd = 0\n')
    code, r, err = _json(monkeypatch, capsys, "check", str(path), "--policy", str(policy), "-f", "json")
    assert code == 0 and r["breaches"] == [] and r["summary"]["evaluated"] == 0
    assert {x["status"] for x in r["rows"]} == {"not_evaluable"}
    assert len(r["rows"]) == int((want.xs("848620", level="hs").import_value_usd > 0).sum())
    code, out, err = run(monkeypatch, capsys, "check", str(path), "--policy", str(policy))
    assert code == 0 and "Not evaluable (1):" in out and "max_hhi, max_top_share not evaluable" in out
    assert out.startswith("scrisk check PASSED, 2 thresholds not evaluable:")


def test_sme_diff_compares_world_side_measures(realdata, monkeypatch, capsys):
    path = _sme(realdata)
    oy, ny = 2016, 2019
    w, target = _sme_conv(path, [ny])
    old_w = read_sme(path)
    old, new = pandas_convert(old_w[old_w.year == oy], None, target), pandas_convert(w, None, target)
    o, n = measures(old, oy), measures(new, ny)
    code, r, err = _json(monkeypatch, capsys, "diff", str(path), str(path), "--old-year", str(oy), "--new-year",
                         str(ny), "-f", "json")
    assert code == 0, err
    expect = {("appeared", i, h) for i, h in set(n.index) - set(o.index)}
    expect |= {("vanished", i, h) for i, h in set(o.index) - set(n.index)}
    po, pn = o.groupby("hs").first(), n.groupby("hs").first()
    both = po.join(pn, lsuffix="_o", rsuffix="_n", how="inner")
    dh = both.world_export_hhi_n - both.world_export_hhi_o
    expect |= {("world_export_hhi_increase", None, h) for h in both.index[(dh.abs() > 0.05) & (dh > 0)]}
    expect |= {("world_export_hhi_decrease", None, h) for h in both.index[(dh.abs() > 0.05) & (dh < 0)]}
    expect |= {("world_top_exporter_switch", None, h)
               for h in both.index[both.world_top_exporter_o != both.world_top_exporter_n]}
    assert {(x["change"], x["importer"], x["hs"]) for x in r["rows"]} == expect
    assert ("world_top_exporter_switch", None, "848620") in expect  # USA in 2016, JPN in 2019
    for x in r["rows"]:
        if x["change"].startswith("world"):
            _same(x["old_world_export_hhi"], po.loc[x["hs"], "world_export_hhi"], x)
            _same(x["new_world_top_exporter_share"], pn.loc[x["hs"], "world_top_exporter_share"], x)
    s = r["summary"]
    assert s["pairs_old"] == len(o) and s["pairs_new"] == len(n) and s["hhi_increase"] == s["supplier_lost"] == 0
    assert any("not evaluable without bilateral flows" in t for t in r["meta"]["notes"])


def test_sme_shock_runs_and_says_no_flow_can_be_shocked(realdata, monkeypatch, capsys):
    path = _sme(realdata)
    code, r, err = _json(monkeypatch, capsys, "shock", str(path), "--exporter", "USA", "--hs", "848620", "-f", "json")
    assert code == 0 and r["rows"] == [] and r["totals"]["blocked_usd"] == 0
    assert r["meta"]["world_totals_only"] is True and r["meta"]["year"] == 2020
    assert "bilateral (importer-side) figures are unavailable" in err and "no flow was shocked" in err
