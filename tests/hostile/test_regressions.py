"""One regression test (or a few) per numbered case of the hardening issue."""

from __future__ import annotations

import errno
import os
import re
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cases import HDR, POLICY, TIDY  # noqa: E402
from test_corpus import run_cli  # noqa: E402

from scrisk.errors import ConfigError  # noqa: E402


def _w(p: Path, data: bytes) -> str:
    p.write_bytes(data)
    return str(p)


# ------------------------------------------------------------------ 1: overflow, NaN identities


def test_case1_overflowing_pair_is_rejected_and_analyze_shows_finite_numbers(tmp_path, capsys):
    import json

    f = _w(tmp_path / "f.csv", HDR + b"2022,CHN,KOR,811292,1e308\n2022,JPN,KOR,811292,1e308\n"
           b"2022,CHN,KOR,282560,3\n2022,JPN,KOR,282560,1\n")
    code, out, err = run_cli(["analyze", f, "--format", "json"], capsys)
    doc = json.loads(out)
    assert code == 0 and doc["meta"]["read"]["reasons"] == {"value too large": 2}
    (row,) = doc["rows"]
    assert row["import_value_usd"] == 4.0 and row["top_share"] == 0.75 and row["hhi"] == pytest.approx(0.625)
    code, out, err = run_cli(["check", f, "--policy", _w(tmp_path / "p.toml", POLICY)], capsys)
    assert code == 1, err  # the pair is gone with a reason; the rest breaches 0.5 (0.75)


def test_case1_baci_v_1e306_is_rejected_with_a_reason(tmp_path):
    from scrisk.io import read_flows

    (tmp_path / "country_codes_V202401.csv").write_text(
        "country_code,country_name,country_iso2,country_iso3\n156,China,CN,CHN\n410,Korea,KR,KOR\n")
    p = _w(tmp_path / "BACI_HS17_Y2022_V202401.csv", b"t,i,j,k,v,q\n2022,156,410,811292,1e306,NA\n")
    t = read_flows([p])
    assert t.report.rows_rejected == 1 and t.report.reasons == {"value too large": 1}
    assert "1e306" in t.report.rejected["detail"].iloc[0]
    assert t.report.value_usd_accepted == 0.0


def test_case1_conservation_fails_on_nan():
    from scrisk.scenario.engine import _conservation_error

    nan = np.array([np.nan])
    one = np.array([1.0])
    assert np.isnan(_conservation_error(None, 0, one, one, np.zeros(1), nan, np.zeros(1), np.zeros(1), one))
    err = _conservation_error(None, 0, one, one, np.zeros(1), np.zeros(1), np.zeros(1), np.zeros(1), one)
    assert err == 0.0


# ------------------------------------------------------------------ 2: outputs


@pytest.mark.parametrize("argv", [
    ["analyze", "{f}", "-o", "{f}"],
    ["analyze", "{f}", "-o", "{d}/./f.csv"],
    ["validate", "{f}", "--quarantine", "{f}"],
    ["report", "{f}", "-o", "{f}"],
    ["check", "{f}", "--policy", "{p}", "-o", "{p}"],
])
def test_case2_output_equal_to_an_input_is_refused_and_the_input_kept(argv, tmp_path, capsys):
    f = _w(tmp_path / "f.csv", TIDY)
    p = _w(tmp_path / "p.toml", POLICY)
    code, out, err = run_cli([a.format(f=f, p=p, d=tmp_path) for a in argv], capsys)
    assert code == 2 and "would overwrite an input" in err
    assert Path(f).read_bytes() == TIDY and Path(p).read_bytes() == POLICY


def test_case2_concurrent_quarantine_writers_never_interleave(tmp_path):
    from scrisk.io import read_flows
    from scrisk.io.validate import write_quarantine

    tables = []
    for k in range(2):
        lines = b"".join(b"2022,CHN,KOR,%06d,-%d\n" % (100000 + i, k + 1) for i in range(3000))
        tables.append(read_flows([_w(tmp_path / f"in{k}.csv", HDR + lines)]))
    out = tmp_path / "q.csv"
    singles = []
    for k, t in enumerate(tables):
        write_quarantine(t, tmp_path / f"single{k}.csv")
        singles.append((tmp_path / f"single{k}.csv").read_bytes())
    for _ in range(5):
        threads = [threading.Thread(target=write_quarantine, args=(t, out)) for t in tables for _ in range(3)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert out.read_bytes() in singles
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_case2_a_failed_write_leaves_the_old_file(tmp_path, monkeypatch, capsys):
    import scrisk.io.validate as v

    f = _w(tmp_path / "f.csv", HDR + b"2022,CHN,KOR,811292,-1\n")
    q = tmp_path / "q.csv"
    q.write_text("old\n")

    def boom(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", boom)
    code, out, err = run_cli(["validate", f, "--quarantine", str(q)], capsys)
    assert code == 3 and "cannot write" in err and "No space left" in err and q.read_text() == "old\n"
    assert v is not None


# ------------------------------------------------------------------ 6: injection


def test_case6_quarantine_and_csv_outputs_neutralise_formulas(tmp_path, capsys):
    f = _w(tmp_path / "f.csv", HDR + b'2022,"=HYPERLINK(""http://x"")",KOR,811292,5\n2022,@SUM(A1),KOR,811292,5\n'
           b"2022,CHN,KOR,811292,-5\n")
    q = tmp_path / "q.csv"
    run_cli(["validate", f, "--quarantine", str(q)], capsys)
    got = pd.read_csv(q, dtype=str, keep_default_na=False)
    assert got["exporter"].tolist() == ["'=HYPERLINK(\"http://x\")", "'@SUM(A1)", "CHN"]
    assert got["value_usd"].tolist() == ["5", "5", "-5"]  # numbers stay numbers


def test_case6_csv_writers_prefix_formula_cells_in_both_paths():
    import io

    import pyarrow as pa

    from scrisk.serialize import to_csv, write_rows

    rows = [{"name": "=cmd|' /C calc'!A0", "n": -1.5}, {"name": "+1+1", "n": 2.0}, {"name": "-3", "n": 0.0},
            {"name": "\tx", "n": 1.0}, {"name": "ok", "n": 1.0}]
    text = to_csv(rows)
    buf = io.BytesIO()
    write_rows(pa.Table.from_pylist(rows), {}, buf, "csv")
    assert buf.getvalue().decode() == text
    assert text.splitlines()[1:] == ["'=cmd|' /C calc'!A0,-1.5", "'+1+1,2.0", "-3,0.0", "'\tx,1.0", "ok,1.0"]


def _policy_named(name: str) -> bytes:
    return POLICY.replace(b'"kor-ga"', b'"' + name.encode() + b'"')


def test_case6_text_format_never_starts_a_line_with_two_colons(tmp_path, capsys):
    f = _w(tmp_path / "f.csv", TIDY)
    p = _w(tmp_path / "p.toml", _policy_named("x\\n::error::owned\\r::warning::y"))
    code, out, err = run_cli(["check", f, "--policy", p], capsys)
    assert code == 1 and out
    assert not [ln for ln in out.splitlines() if ln.lstrip().startswith("::") and not ln.startswith(" ")]
    assert not [ln for ln in out.splitlines() if ln.startswith("::")]


def test_case6_junit_is_well_formed_with_control_characters(tmp_path, capsys):
    f = _w(tmp_path / "f.csv", TIDY)
    p = _w(tmp_path / "p.toml", _policy_named("a\\u0000b\\u001bc\\u0007d"))
    code, out, err = run_cli(["check", f, "--policy", p, "--format", "junit"], capsys)
    root = ET.fromstring(out)
    assert code == 1 and root.find("testsuite").get("name") == "abcd"


def test_case6_markdown_escapes_html_pipes_and_newlines(tmp_path, capsys):
    f = _w(tmp_path / "f.csv", TIDY)
    p = _w(tmp_path / "p.toml", _policy_named("<img src=x onerror=alert(1)>|x\\ny"))
    code, out, err = run_cli(["check", f, "--policy", p, "--format", "md"], capsys)
    assert "<img" not in out and "&lt;img src=x onerror=alert(1)&gt;\\|x<br>y" in out
    table_lines = [ln for ln in out.splitlines() if ln.startswith("|")]
    assert len({len(re.findall(r"(?<!\\)\|", ln)) for ln in table_lines}) == 1


# ------------------------------------------------------------------ 8: errors and exit codes


def _sub(*args, **kw):
    return subprocess.run([sys.executable, "-m", "scrisk", *args], capture_output=True, text=True, **kw)


def test_case8_usage_errors_are_one_line_with_the_fix(capsys):
    for argv in (["analyze", "--no-such"], ["analyze", "--format", "xml"], ["shock", "--cut", "x"], ["nope"]):
        code, out, err = run_cli(argv, capsys)
        assert code == 2 and len(err.strip().splitlines()) == 1 and "--help" in err and "╭" not in err


def test_case8_version_and_completion(capsys):
    from scrisk import __version__

    code, out, err = run_cli(["--version"], capsys)
    assert code == 0 and out.strip() == f"scrisk {__version__}"
    r = _sub("--show-completion", "bash", env={**os.environ, "SHELL": "/bin/bash"})
    assert r.returncode == 0 and "complete" in r.stdout


def test_case8_unreadable_file_is_exit_3_one_line(tmp_path, capsys):
    f = tmp_path / "f.csv"
    f.write_bytes(TIDY)
    code, out, err = run_cli(["validate", str(f / "inside.csv")], capsys)  # a path through a file
    assert code == 3 and len(err.strip().splitlines()) == 1


def test_case8_full_disk_closed_stdout_and_recursion_are_one_line():
    from scrisk.cli.boundary import main_with_boundary

    for exc, code, words in ((OSError(errno.ENOSPC, "No space left on device"), 3, "no space left"),
                             (RecursionError("deep"), 3, "nested too deeply"),
                             (BrokenPipeError(errno.EPIPE, "Broken pipe"), 1, None)):  # 1: click's own
        app = typer.Typer()

        @app.command()
        def go(exc=exc) -> None:  # noqa: B008
            raise exc

        with pytest.raises(SystemExit) as ei:
            main_with_boundary(app, [])
        assert ei.value.code == code
    r = subprocess.run(f"{sys.executable} -m scrisk analyze --format csv | head -c 10 >/dev/null", shell=True,
                       capture_output=True, text=True)
    assert "Traceback" not in r.stderr and "Exception ignored" not in r.stderr


def test_case8_year_outside_data_is_exit_2_in_every_command(tmp_path, capsys):
    f = _w(tmp_path / "f.csv", TIDY)
    p = _w(tmp_path / "p.toml", POLICY)
    for argv in (["analyze", f], ["check", f, "--policy", p], ["shock", f, "--exporter", "CHN", "--hs", "811292"]):
        code, out, err = run_cli([*argv, "--year", "1999"], capsys)
        assert code == 2 and "1999" in err, (argv, err)


def test_case8_header_only_file_is_exit_0_in_analyze_and_shock(tmp_path, capsys):
    f = _w(tmp_path / "f.csv", HDR)
    assert run_cli(["analyze", f], capsys)[0] == 0
    assert run_cli(["shock", f, "--exporter", "CHN", "--hs", "811292"], capsys)[0] == 0


# ------------------------------------------------------------------ 10: one config loader


def test_case10_one_loader_gives_file_line_and_suggestions_for_every_kind(tmp_path):
    from scrisk.countries import load_groups
    from scrisk.io.profiles import load_profiles

    prof = tmp_path / "scrisk.toml"
    prof.write_text('[profiles.kcs]\nexporter = "i"\n\nqty_unti = "t"\n')
    with pytest.raises(ConfigError) as ei:
        load_profiles(prof)
    assert ei.value.one_line() == (f"{prof}:4: unknown key 'qty_unti' in profiles.kcs; did you mean 'qty_unit'? "
                                   "(allowed: year, exporter, importer, hs, value, qty, value_unit, qty_unit, "
                                   "encoding, decimal, source, hs_revision, columns)")
    groups = tmp_path / "g.toml"
    groups.write_text('[groups.ASEANX]\nmembers = ["IDN"]\nas_of = "2024"\nsourc = "x"\n')
    with pytest.raises(ConfigError) as ei:
        load_groups(groups)
    assert ei.value.line == 4 and "did you mean 'source'?" in ei.value.message


def test_case10_the_hand_written_validators_are_gone():
    import importlib
    import importlib.util

    assert importlib.util.find_spec("scrisk.tomlfile") is None
    import scrisk.config as c

    assert c.TomlLines('[[rule]]\n[[rule]]\nname = "x"\n').line(("rule", 1, "name")) == 3
    # each file kind is a declarative model of the one loader; no module keeps its own line finder or key checker
    for module, models in (("scrisk.materials", ("BasketSpec", "BasketsFile", "CodeSpec", "CrmSpec")),
                           ("scrisk.scenario.spec", ("ScenarioFile", "MeasureSpec", "EngineSpec", "DeclineSpec")),
                           ("scrisk.policy.spec", ("PolicyFile", "RuleSpec")),
                           ("scrisk.io.profiles", ("ProfileFile",)), ("scrisk.countries", ("GroupsFile",))):
        mod = importlib.import_module(module)
        assert all(issubclass(getattr(mod, m), c.ConfigModel) for m in models), module
        left = [n for n in ("_line_of", "_Ctx", "_File", "_Source", "_check_keys", "_parse_rule", "_parse_measure",
                            "_parse_basket", "_parse_code", "_unknown_key") if hasattr(mod, n)]
        assert left == [], (module, left)


BASKETS = """[[basket]]
name = "testmat"
[[basket.code]]
hs = "811292"
stage = "refined"
description = "x"

[[basket]]
name = "indium"
[[basket.code]]
hs = "282590"
stage = "refined"
description = "Indium oxide"
[basket.crm]
source = "x"
stage = "refinery"
eol_rir = 0.0
si_sr = 0.9
import_reliance = {refinery = 0.5}
trade_parameter = [{country = "CHN", t = 1.1}]
"""
SCENARIO = """name = "s"
[engine]
mode = "cascade"

[[measure]]
exporters = ["CHN"]
hs = ["811292"]

[[measure]]
exporters = ["JPN"]
hs = ["370790"]
type = "licensing"
refusal = 0.3

[[production_decline]]
countries = ["CHN"]
hs = ["811292"]
decline = 0.3
"""
POLICY2 = POLICY.decode() + """
[[rule]]
name = "kor-li"
importer = "KOR"
material = "lithium"
max_hhi = 0.4
severity = "warning"
"""
PYPROJECT = """[project]
name = "x"

[tool.scrisk]
title = "t"

[[tool.scrisk.rule]]
name = "a"
importer = "KOR"
hs = ["811292"]
max_top_share = 0.9
"""
PROFILES = """[profiles.kcs]
value_unit = "kusd"

[profiles.kcs.columns]
exporter = "i"
importer = "j"
"""
GROUPS = """[groups.ASEANX]
members = ["IDN", "MYS"]
as_of = "2024-01-01"
source = "x"
"""


def _loaders():
    from scrisk.countries import load_groups
    from scrisk.io.profiles import load_profiles
    from scrisk.materials import load_baskets
    from scrisk.policy.spec import load_policy
    from scrisk.scenario.spec import load_scenario

    return {"basket": load_baskets, "scenario": load_scenario, "policy": load_policy, "profile": load_profiles,
            "groups": load_groups}


@pytest.mark.parametrize("kind, name, text, old, new, line, pattern", [
    # baskets: an array of tables inside an array of tables, a table in it, an array of inline tables
    ("basket", "b.toml", BASKETS, 'stage = "refined"\ndescription = "Indium', 'stge = "refined"\ndescription = "Indium',
     12, r"unknown key 'stge' in basket\['indium'\]\.code\[1\]; did you mean 'stage'\?"),
    ("basket", "b.toml", BASKETS, 'stage = "refined"\ndescription = "Indium', 'stage = "refind"\ndescription = "Indium',
     12, r"basket\['indium'\]\.code\[1\]\.stage = 'refind' is not one of .*; did you mean 'refined'\?"),
    ("basket", "b.toml", BASKETS, "{refinery = 0.5}", "{refinry = 0.5}", 19,
     r"basket\['indium'\]\.crm\.import_reliance has the key 'refinry', .*did you mean 'refinery'\?"),
    ("basket", "b.toml", BASKETS, 'si_sr = 0.9', 'si_sr = 0.9\nsi_rs = 1', 19, r"unknown key 'si_rs' in .*crm; did you mean 'si_sr'\?"),
    ("basket", "b.toml", BASKETS, '{country = "CHN", t = 1.1}', '{country = "CHN", scop = "eu", t = 1.1}', 20,
     r"unknown key 'scop' in basket\['indium'\]\.crm\.trade_parameter\[1\]; did you mean 'scope'\?"),
    ("basket", "b.toml", BASKETS, '{country = "CHN", t = 1.1}', '{country = "CHN", scope = "EU", t = 1.1}', 20,
     r"trade_parameter\[1\]\.scope = 'EU' is not one of global, eu; did you mean 'eu'\?"),
    ("basket", "b.toml", BASKETS, 'hs = "282590"', 'hs = "282590"\nrevisions = ["HS2019"]', 12,
     r"code\[1\]\.revisions holds 'HS2019', not an HS revision; did you mean 'HS2017'\?"),
    # scenarios: a table, two arrays of tables
    ("scenario", "s.toml", SCENARIO, 'mode = "cascade"', 'mode = "cascad"', 3,
     r"engine\.mode = 'cascad' is not one of none, cascade, fsc; did you mean 'cascade'\?"),
    ("scenario", "s.toml", SCENARIO, 'mode = "cascade"', 'mod = "cascade"', 3,
     r"unknown key 'mod' in engine; did you mean 'mode'\?"),
    ("scenario", "s.toml", SCENARIO, 'type = "licensing"', 'type = "licensng"', 12,
     r"measure\[2\]\.type = 'licensng' is not one of .*; did you mean 'licensing'\?"),
    ("scenario", "s.toml", SCENARIO, 'refusal = 0.3', 'refusl = 0.3', 13,
     r"unknown key 'refusl' in measure\[2\]; did you mean 'refusal'\?"),
    ("scenario", "s.toml", SCENARIO, 'hs = ["370790"]', 'materials = ["galium"]', 11,
     r"measure\[2\]\.materials: unknown material 'galium'; did you mean 'gallium'\?"),
    ("scenario", "s.toml", SCENARIO, 'exporters = ["JPN"]', 'exporters = ["JPNN"]', 10,
     r"measure\[2\]\.exporters: unknown country or group 'JPNN'; did you mean JPN \(Japan\)"),
    ("scenario", "s.toml", SCENARIO, 'decline = 0.3', 'declin = 0.3', 18,
     r"unknown key 'declin' in production_decline\[1\]; did you mean 'decline'\?"),
    # policies: arrays of tables, named; and under [tool.scrisk] in a pyproject.toml
    ("policy", "p.toml", POLICY2, 'severity = "warning"', 'severity = "warnin"', 12,
     r"rule\['kor-li'\]\.severity = 'warnin' is not one of error, warning; did you mean 'warning'\?"),
    ("policy", "p.toml", POLICY2, 'max_hhi = 0.4', 'max_hh = 0.4', 11,
     r"unknown key 'max_hh' in rule\['kor-li'\]; did you mean 'max_hhi'\?"),
    ("policy", "p.toml", POLICY2, 'material = "lithium"', 'material = "lithum"', 10,
     r"rule\['kor-li'\]\.material: unknown material 'lithum'; did you mean 'lithium'\?"),
    ("policy", "pyproject.toml", PYPROJECT, "max_top_share = 0.9", "max_top_shar = 0.9", 11,
     r"unknown key 'max_top_shar' in tool\.scrisk\.rule\['a'\]; did you mean 'max_top_share'\?"),
    ("policy", "pyproject.toml", PYPROJECT, 'title = "t"', 'titel = "t"', 5,
     r"unknown key 'titel' in tool\.scrisk; did you mean 'title'\?"),
    # profiles and groups: tables of tables
    ("profile", "scrisk.toml", PROFILES, 'importer = "j"', 'importr = "j"', 6,
     r"unknown key 'importr' in profiles\.kcs\.columns; did you mean 'importer'\?"),
    ("profile", "scrisk.toml", PROFILES, 'value_unit = "kusd"', 'value_unit = "kusdd"', 2,
     r"profiles\.kcs\.value_unit = 'kusdd' is not one of usd, kusd; did you mean 'kusd'\?"),
    ("groups", "g.toml", GROUPS, 'source = "x"', 'sourc = "x"', 4,
     r"unknown key 'sourc' in groups\.ASEANX; did you mean 'source'\?"),
    ("groups", "g.toml", GROUPS, '"MYS"]', '"MYSS"]', 2, r"member 'MYSS' is not a known ISO3 code; did you mean MYS \(Malaysia\)"),
])
def test_case10_every_file_kind_gives_file_line_and_did_you_mean_for_keys_and_values(
        kind, name, text, old, new, line, pattern, tmp_path):
    assert old in text
    f = tmp_path / name
    f.write_text(text.replace(old, new, 1))
    load = _loaders()[kind]
    with pytest.raises(ConfigError) as ei:
        load(f)
    msg = ei.value.one_line()
    assert msg.startswith(f"{f}:{line}: "), msg
    assert re.search(pattern, msg), msg
    assert "\n" not in msg


def test_case10_the_unmodified_files_load(tmp_path):
    for kind, name, text in (("basket", "b.toml", BASKETS), ("scenario", "s.toml", SCENARIO),
                             ("policy", "p.toml", POLICY2), ("policy", "pyproject.toml", PYPROJECT),
                             ("profile", "scrisk.toml", PROFILES), ("groups", "g.toml", GROUPS)):
        f = tmp_path / name
        f.write_text(text)
        assert _loaders()[kind](f), kind


# ------------------------------------------------------------------ reader cases (on the reader registry)


def test_case3_bad_encoding_after_64_kib_is_one_line_without_a_traceback(tmp_path):
    f = _w(tmp_path / "f.csv", HDR + b"".join(b"2022,CHN,KOR,%06d,5\n" % (100000 + i) for i in range(4000))
           + b"2022,CHN,KOR,811292,\xff\xfe5\n")
    r = _sub("validate", f)
    assert r.returncode == 3 and "Traceback" not in r.stderr and "Exception ignored" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "--encoding" in r.stderr


def _accounting(paths):
    from scrisk.io import read_flows

    t = read_flows(paths)
    r = t.report
    assert r.rows_read == r.rows_accepted + r.rows_rejected == len(t) + r.rows_rejected
    return r


def _empty_rows(r) -> list:
    rej = r.rejected
    return sorted(int(x) for x in rej.loc[rej["reason"] == R_EMPTY_ROW, "line"])


R_EMPTY_ROW = "empty row"


def test_case4_delimiter_only_lines_are_read_rows_rejected_with_their_line(tmp_path, capsys):
    from scrisk.io import reasons as R

    assert R.EMPTY_ROW == R_EMPTY_ROW and R.is_defect(R.EMPTY_ROW) and R.EMPTY_ROW in R.ALL_REASONS
    # lines 2, 6 and 8 hold only delimiters (8: quoted empties, 9: blank after them); 4 and 7 are blank
    text = HDR + b",,,,\n2022,CHN,KOR,811292,5\n\n 2022 ,JPN,KOR,811292,5\n,,,,\r\n\n\"\",\"\",\"\",\"\",\"\"\n\n"
    f = _w(tmp_path / "f.csv", text)
    r = _accounting([f])
    assert (r.rows_read, r.rows_accepted, r.rows_rejected) == (5, 2, 3)
    assert dict(r.reasons) == {"empty row": 3} and _empty_rows(r) == [2, 6, 8]
    q = tmp_path / "q.csv"
    code, out, err = run_cli(["validate", f, "--quarantine", str(q)], capsys)
    got = pd.read_csv(q, dtype=str, keep_default_na=False)
    assert code == 1 and got[["file", "line", "reason"]].values.tolist() == [[f, "2", "empty row"], [f, "6", "empty row"],
                                                                              [f, "8", "empty row"]]


def test_case4_delimiter_only_lines_in_comtrade_zip_and_gzip(tmp_path):
    import gzip
    import zipfile

    from cases import COMTRADE

    r = _accounting([_w(tmp_path / "c.csv", COMTRADE + b",,,,,,,,,\n\n")])
    assert (r.rows_read, r.rows_rejected, _empty_rows(r)) == (2, 1, [3])
    r = _accounting([_w(tmp_path / "t.csv.gz", gzip.compress(TIDY + b",,,,\n"))])
    assert (r.rows_read, r.rows_rejected, _empty_rows(r)) == (4, 1, [5])
    from cases import BACI, BACI_NAME

    with zipfile.ZipFile(tmp_path / "BACI_HS17_V202401.zip", "w") as z:
        z.writestr(BACI_NAME, BACI + b",,,,,\n,,,\n")
    r = _accounting([str(tmp_path / "BACI_HS17_V202401.zip")])
    assert (r.rows_read, r.reasons["empty row"], _empty_rows(r)) == (4, 1, [4])


def test_case4_delimiter_only_lines_in_baci_on_the_fast_path_and_the_exact_reader(tmp_path, monkeypatch):
    from cases import BACI, BACI_NAME, CC

    import scrisk.engine.baci_scan as scan
    from scrisk.engine import ingest

    outcomes = []
    real = scan.scan_baci
    monkeypatch.setattr(scan, "scan_baci", lambda *a, **k: outcomes.append(real(*a, **k)) or outcomes[-1])
    monkeypatch.setattr(ingest, "_cache_enabled", False)
    for k, (tail, read, lines) in enumerate(((b"\n", 2, []), (b",,,,,\n\n,,,,,\n", 4, [4, 6]))):
        (tmp_path / f"d{k}").mkdir()
        (tmp_path / f"d{k}" / "country_codes_V202401.csv").write_bytes(CC)
        r = _accounting([_w(tmp_path / f"d{k}" / BACI_NAME, BACI + tail)])
        assert (r.rows_read, r.rows_accepted, _empty_rows(r)) == (read, 2, lines)
    # the parallel scan read both: the first passed whole, the second went to the exact reader for its reasons
    assert [(o.clean, o.rows) for o in outcomes] == [(True, 2), (False, 4)]


def test_case4_the_duckdb_baci_scan_never_drops_a_delimiter_only_line(tmp_path):
    from cases import BACI, BACI_NAME, CC

    from scrisk.engine.baci_scan import scan_baci
    from scrisk.engine.store import connect
    from scrisk.io.formats import sniff
    from scrisk.io.formats.baci import _columns, baci_countries
    from scrisk.io.options import ReadOptions

    (tmp_path / "country_codes_V202401.csv").write_bytes(CC)
    p = tmp_path / BACI_NAME
    for tail, clean, rows in ((b"\n", True, 2), (b",,,,,\n", False, 3), (b'"","","","","",""\n', False, 3)):
        p.write_bytes(BACI + tail)
        fmt, src = sniff(p, ReadOptions())
        mapper, _ = baci_countries(p, ReadOptions(), release="V202401")
        con = connect()
        out = scan_baci(con, p, header=src.header, roles=_columns(src), delimiter=",", compression="none",
                        mapper=mapper, out=tmp_path / "o.parquet")
        con.close()
        assert (out.clean, out.rows) == (clean, rows), tail  # a row the exact reader must judge, never a clean pass


def test_case4_a_parquet_row_of_nulls_is_an_empty_row_in_both_parquet_paths(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from cases import _parquet_with_a_null_row

    f = _w(tmp_path / "f.parquet", _parquet_with_a_null_row())
    r = _accounting([f])
    assert (r.rows_read, r.rows_rejected, dict(r.reasons), _empty_rows(r)) == (2, 1, {"empty row": 1}, [2])
    canonical = pa.table({"year": pa.array([2022, None], pa.int64()), "exporter": ["CHN", None],
                          "importer": ["KOR", None], "hs": ["811292", None], "value_usd": [5.0, None],
                          "qty_kg": pa.array([None, None], pa.float64()), "month": pa.array([None, None], pa.int8()),
                          "hs_revision": pa.array([None, None], pa.string())})
    pq.write_table(canonical, tmp_path / "c.parquet")
    r = _accounting([str(tmp_path / "c.parquet")])
    assert (r.rows_read, r.rows_rejected, _empty_rows(r)) == (2, 1, [2])


@pytest.mark.parametrize("name, data", [
    ("f.csv", TIDY.replace(b"\n", b"\r")),
    ("q.csv", b'"year","exporter","importer","hs","value_usd"\r"2022","CHN","KOR","811292","5"\r'),
    ("f.csv.gz", None),
    ("BACI_HS17_Y2022_V202401.csv", None),
])
def test_case4_cr_only_line_endings_give_the_cause_and_fix(name, data, tmp_path, capsys):
    import gzip

    from cases import BACI, CC

    if name.endswith(".gz"):
        data = gzip.compress(TIDY.replace(b"\n", b"\r"))
    if name.startswith("BACI"):
        (tmp_path / "country_codes_V202401.csv").write_bytes(CC)
        data = BACI.replace(b"\n", b"\r")
    f = _w(tmp_path / name, data)
    code, out, err = run_cli(["validate", f], capsys)
    assert code == 3 and len(err.strip().splitlines()) == 1
    assert f"{f}:1: the lines end with CR only" in err and "convert them to LF" in err


def test_case4_a_header_on_lf_then_cr_only_lines_is_read_with_blank_and_delimiter_only_lines_told_apart(tmp_path):
    rows = b"2022,CHN,KOR,811292,900\r\r,,,,\r2022,JPN,KOR,811292,100\r"
    r = _accounting([_w(tmp_path / "f.csv", HDR + rows)])
    assert (r.rows_read, r.rows_accepted, _empty_rows(r)) == (3, 2, [4])


def test_case5_fifo_and_process_substitution_are_read_whole(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    src = _w(tmp_path / "f.csv", TIDY)
    r = subprocess.run(f"cat {src} > {fifo} & {sys.executable} -m scrisk validate {fifo} --format json", shell=True,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and '"rows_read": 3' in r.stdout, r.stderr
    r = subprocess.run(["bash", "-c", f"{sys.executable} -m scrisk validate <(cat {src}) --format json"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and '"rows_read": 3' in r.stdout and '"rows_accepted": 3' in r.stdout, r.stderr


def test_case7_unknown_codes_add_up_to_the_value_rejected(tmp_path):
    from scrisk.io import read_flows

    f = _w(tmp_path / "f.csv", HDR + b"2022,XXX,YYY,811292,40000\n2022,XXX,KOR,811292,15000\n2022,CHN,KOR,811292,5\n")
    r = read_flows([f]).report
    assert r.value_usd_rejected == {"unknown country code": 55000.0}
    assert sum(r.unknown_codes.values()) == 55000.0
    assert r.unknown_codes == {"XXX": 35000.0, "YYY": 20000.0}
