"""Scenario specs: TOML files (with file:line errors), options, expansion of countries and materials."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from scrisk.errors import ScenarioError, UnknownCountryError, UnknownMaterialError, UnreadableFileError, UsageError
from scrisk.scenario.spec import (
    EngineParams,
    Measure,
    Scenario,
    load_scenario,
    nomenclature_share,
    scenario_from_options,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "scenarios"

GOOD = '''\
name = "demo"
title = "Demo"
description = "Two measures."
sources = ["MOFCOM, Announcement No. 23, 2023", "somewhere"]
assumptions = ["cut is assumed"]

[engine]
mode = "none"
headroom = 0.2
stock_months = 1.5
allies = ["G7"]
max_iter = 20

[[measure]]
exporters = ["chn"]
materials = ["gallium"]
cut = 0.5
effective = 2023-08-01

[[measure]]
exporters = "CHN"
hs = ["811010", "2825"]
targets = ["USA"]
exempt = []
label = "ban"
'''


def write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_good_file_parses_every_field(tmp_path):
    s = load_scenario(write(tmp_path, GOOD))
    assert s.name == "demo" and s.title == "Demo"
    assert s.sources == ("MOFCOM, Announcement No. 23, 2023", "somewhere")  # commas stay inside a source
    assert s.assumptions == ("cut is assumed",)
    assert s.engine == EngineParams(mode="none", headroom=0.2, stock_months=1.5, allies=("G7",), max_iter=20)
    m1, m2 = s.measures
    assert m1.exporters == ("CHN",) and m1.materials == ("gallium",) and m1.cut == 0.5
    assert m1.effective == "2023-08-01" and m1.targets == () and m1.line == 14
    assert m2.hs == ("811010", "2825") and m2.targets == ("USA",) and m2.cut == 1.0 and m2.label == "ban"
    assert m2.line == 20
    assert s.path == str(tmp_path / "s.toml")


def test_name_defaults_to_the_file_stem(tmp_path):
    s = load_scenario(write(tmp_path, '[[measure]]\nexporters = ["JPN"]\nhs = ["370790"]\n', "my_case.toml"))
    assert s.name == "my_case"


def test_resolve_expands_groups_materials_and_exemptions():
    s = Scenario("x", (Measure(("CHN",), materials=("gallium",), hs=("8542",), targets=("G7",), exempt=("JPN",),
                               cut=0.3),))
    (m,) = s.resolve(revision="HS2017")
    assert m.exporters == ("CHN",)
    assert m.hs == ("811292", "8542")
    assert m.targets == ("CAN", "DEU", "FRA", "GBR", "ITA", "JPN", "USA")
    assert m.exempt == ("JPN",) and m.cut == 0.3
    (m22,) = Scenario("h", (Measure(("CHN",), materials=("hafnium",)),)).resolve(revision="HS2022")
    assert m22.hs == ("811231",) and m22.targets is None


@pytest.mark.parametrize(
    "text, line, words",
    [
        ('name = "x"\n[[measure]]\nexporters = ["JPN"]\nhs = ["370790"]\ncutt = 0.5\n', 5, ["'cutt'", "'cut'"]),
        ('colour = "red"\n[[measure]]\nexporters = ["JPN"]\nhs = ["370790"]\n', 1, ["'colour'"]),
        ('[[measure]]\nexporters = ["JPN"]\nhs = ["370790"]\n[engine]\nheadroom = 0.1\nspeed = 2\n', 6,
         ["'speed'", "in engine"]),
        ('[[measure]]\nexporters = ["JPN"]\nhs = ["370790"]\n\n[[measure]]\nexporters = ["CHN"]\nhs = [811292]\n', 7,
         ["quoted", "811292"]),
        ('[[measure]]\nexporters = ["JPN"]\nhs = ["370790"]\ncut = 1.5\n', 4, ["cut", "between 0 and 1"]),
        ('[[measure]]\nexporters = ["JPN"]\nhs = ["370790"]\ncut = "half"\n', 4, ["cut", "number"]),
        ('[[measure]]\nexporters = ["JPN"]\nhs = ["37079"]\n', 3, ["not an HS code"]),
        ('[[measure]]\nhs = ["370790"]\n', 1, ["no exporters"]),
        ('[[measure]]\nexporters = ["JPN"]\ncut = 0.5\n', 1, ["names no product"]),
        ('[[measure]]\nexporters = ["JPN"]\nmaterials = ["galium"]\n', 3, ["'galium'", "gallium"]),
        ('[[measure]]\nexporters = ["JPX"]\nhs = ["370790"]\n', 2, ["'JPX'"]),
        ('[[measure]]\nexporters = ["JPN"]\nhs = ["370790"]\ntargets = ["KOR", "EU28"]\n', 4, ["'EU28'"]),
        ('[[measure]]\nexporters = ["JPN"]\nhs = ["370790"]\n[engine]\nmode = "fast"\n', 5, ["'fast'", "cascade"]),
        ('[[measure]]\nexporters = ["JPN"]\nhs = ["370790"]\n[engine]\nmax_iter = 0\n', 5, ["max_iter"]),
        ('[[measure]]\nexporters = ["JPN"]\nhs = ["370790"]\n[engine]\nallies = ["G8"]\n', 5, ["'G8'"]),
        ('name = "x"\n', None, ["no measure"]),
        ('[measure]\nexporters = ["JPN"]\nhs = ["370790"]\n', 1, ["[[measure]]"]),
        ('name = "x"\n[[measure]\nexporters = ["JPN"]\n', 2, ["invalid TOML"]),
    ],
)
def test_bad_files_name_the_line_and_the_fix(tmp_path, text, line, words):
    p = write(tmp_path, text)
    with pytest.raises(ScenarioError) as ei:
        load_scenario(p)
    err = ei.value
    assert err.exit_code == 3
    assert err.path == str(p)
    assert err.line == line, err.one_line()
    msg = err.one_line()
    assert msg.startswith(f"{p}:{line}: " if line else f"{p}: ")
    for w in words:
        assert w in msg, msg


def test_missing_file_is_unreadable(tmp_path):
    with pytest.raises(UnreadableFileError) as ei:
        load_scenario(tmp_path / "nope.toml")
    assert ei.value.exit_code == 3 and "--scenario" in ei.value.message


def test_options_scenario_and_its_usage_errors():
    s = scenario_from_options(exporters=["chn", "RUS"], hs="811292,8112", targets="USA", exempt=None, cut=0.4)
    (m,) = s.measures
    assert m.exporters == ("CHN", "RUS") and m.hs == ("811292", "8112") and m.targets == ("USA",)
    assert "40%" in s.title and "USA" in s.title
    with pytest.raises(UsageError, match="--exporter"):
        scenario_from_options(exporters=None, materials="gallium")
    every = scenario_from_options(exporters="CHN")  # no product: every product (an exporter-wide ban)
    assert every.measures[0].hs == () and every.name == "CHN-all-products" and "every product" in every.title
    assert every.resolve()[0].hs == () and every.read_codes(downstream=True) == ()
    with pytest.raises(UsageError, match="--material"):
        scenario_from_options(exporters=None, declines="CHN=0.3")
    with pytest.raises(UsageError, match="outside 0..1"):
        scenario_from_options(exporters="CHN", hs="811292", cut=1.2)


def test_option_scenarios_raise_usage_errors_when_resolved():
    with pytest.raises(UnknownMaterialError):
        scenario_from_options(exporters="CHN", materials="unobtainium").resolve()
    with pytest.raises(UnknownCountryError):
        scenario_from_options(exporters="CHX", hs="811292").resolve()
    with pytest.raises(UsageError, match="exporters cannot be"):
        scenario_from_options(exporters="*", hs="811292").resolve()


def test_engine_params_precedence():
    file_level = EngineParams(mode="none", headroom=0.3)
    merged = file_level.merged(EngineParams(headroom=0.05, stock_months=2.0))
    assert merged.resolved() == EngineParams(mode="none", headroom=0.05, stock_months=2.0, allies=(), max_iter=100,
                                             reserve_access=0.5, horizon=1)


def test_read_codes_cover_both_revisions_and_downstream():
    s = scenario_from_options(exporters="CHN", materials="hafnium")
    assert s.read_codes() == ("811231", "811292")
    down = s.read_codes(downstream=True)
    assert set(down) >= {"811231", "811292"}


@pytest.mark.parametrize("name", ["japan_korea_2019", "china_gallium_germanium_2023", "china_us_ban_2024",
                                  "indonesia_nickel_2020"])
def test_example_scenarios_load_and_document_themselves(name):
    s = load_scenario(EXAMPLES / f"{name}.toml")
    assert s.name == name
    assert s.title and len(s.description) > 200
    assert s.sources and s.assumptions
    assert any("ASSUMPTION" in a or "assum" in a.lower() or "follows" in a for a in s.assumptions)
    for m in s.measures:
        assert 0 < m.cut <= 1 and m.effective
    resolved = s.resolve(revision="HS2017")
    assert all(r.hs for r in resolved)


def test_example_scenario_facts():
    jk = load_scenario(EXAMPLES / "japan_korea_2019.toml")
    (m,) = jk.resolve()
    assert m.exporters == ("JPN",) and m.targets == ("KOR",) and m.hs == ("281111", "370790", "392099")
    assert m.cut < 1
    us = load_scenario(EXAMPLES / "china_us_ban_2024.toml")
    (m,) = us.resolve()
    assert m.targets == ("USA",) and m.cut == 1.0 and {"811292", "811010"} <= set(m.hs)
    ni = load_scenario(EXAMPLES / "indonesia_nickel_2020.toml")
    (m,) = ni.resolve()
    assert m.exporters == ("IDN",) and m.hs == ("260400",) and m.targets is None and m.cut == 1.0


def test_measure_types_after_the_oecd_inventory(tmp_path):
    from scrisk.scenario.spec import export_tax_cut

    text = '''\
[[measure]]
exporters = ["CHN"]
hs = ["811292"]
type = "prohibition"

[[measure]]
exporters = ["IDN"]
hs = ["260400"]
type = "quota"
quota_usd = 250.0

[[measure]]
exporters = ["JPN"]
hs = ["370790"]
type = "licensing"
refusal = 0.3

[[measure]]
exporters = ["ZAF"]
hs = ["261000"]
type = "export_tax"
rate = 0.15
elasticity = 1.5
elasticity_source = "assumed for the test"
'''
    s = load_scenario(write(tmp_path, text))
    ban, quota, lic, tax = s.measures
    assert (ban.type, ban.cut) == ("prohibition", 1.0)
    assert quota.type == "quota" and quota.quota_usd == 250.0
    assert lic.cut == 0.3 and lic.refusal == 0.3
    assert tax.cut == pytest.approx(1 - 1.15 ** -1.5) and tax.cut == export_tax_cut(0.15, 1.5)
    assert s.to_dict()["measures"][3]["elasticity_source"] == "assumed for the test"
    (rq,) = [m for m in s.resolve() if m.type == "quota"]
    assert rq.quota == 250.0 and rq.quota_unit == "usd"


@pytest.mark.parametrize("body, words", [
    ('type = "embargo"', ["'embargo'", "prohibition"]),
    ('type = "licensing"', ["needs refusal"]),
    ('type = "licensing"\nrefusal = 1.5', ["refusal", "out of range"]),
    ('type = "quota"', ["quota_usd or quota_kg"]),
    ('type = "quota"\nquota_usd = 1\nquota_kg = 2', ["quota_usd or quota_kg"]),
    ('type = "prohibition"\ncut = 0.5', ["cut", "out of range"]),
    ('type = "export_tax"\nrate = 0.1\nelasticity = 2', ["elasticity_source"]),
    ('type = "licensing"\nrefusal = 0.2\ncut = 0.4', ["cut does not apply"]),
])
def test_bad_measure_types_name_the_line(tmp_path, body, words):
    p = write(tmp_path, f'[[measure]]\nexporters = ["CHN"]\nhs = ["811292"]\n{body}\n')
    with pytest.raises(ScenarioError) as exc:
        load_scenario(p)
    msg = str(exc.value)
    assert f"{p}:" in msg
    for w in words:
        assert w in msg


def test_shipped_scenarios_use_measure_types_with_sources():
    for name, kind in [("japan_korea_2019", "licensing"), ("china_gallium_germanium_2023", "licensing"),
                       ("china_us_ban_2024", "prohibition"), ("indonesia_nickel_2020", "prohibition")]:
        s = load_scenario(EXAMPLES / f"{name}.toml")
        assert all(m.type == kind and m.source for m in s.measures), name
        assert any("OECD" in src for src in s.sources), name


def test_production_decline_tables(tmp_path):
    s = load_scenario(write(tmp_path, '[[production_decline]]\ncountries = ["CHN"]\nhs = ["811292"]\n'
                                      'decline = 0.4\nsource = "a refinery fire"\n'))
    assert s.measures == () and s.declines[0].decline == 0.4 and s.declines[0].line == 1
    (d,) = s.resolve_declines()
    assert d.countries == ("CHN",) and d.hs == ("811292",)
    with pytest.raises(ScenarioError, match="decline"):
        load_scenario(write(tmp_path, '[[production_decline]]\ncountries = ["CHN"]\nhs = ["811292"]\n', "b.toml"))
    with pytest.raises(ScenarioError, match="out of range"):
        load_scenario(write(tmp_path, '[[production_decline]]\ncountries = ["CHN"]\nhs = ["811292"]\ndecline = 2\n',
                            "c.toml"))


def test_a_list_covering_most_of_the_nomenclature_reads_the_whole_file():
    chapters = [f"{c:02d}" for c in range(1, 98) if c != 77]
    assert scenario_from_options(exporters="CHN", hs=",".join(chapters)).read_codes(downstream=True) == ()
    half = [c for c in chapters if c < "45"]  # chapters 01-44: under half the subheadings
    assert scenario_from_options(exporters="CHN", hs=",".join(half)).read_codes() == tuple(half)
    assert nomenclature_share(["8542", "811292", "85423100"]) < 0.01  # a tariff line covers no whole subheading
    # a file's own six-digit codes count as products whether or not the nomenclature lists them
    made_up = [f"{n:06d}" for n in range(990000, 993000)]
    assert scenario_from_options(exporters="CHN", hs=",".join(made_up)).read_codes() == ()
    assert scenario_from_options(exporters="CHN", hs=",".join(made_up[:2000])).read_codes() == tuple(made_up[:2000])


def test_a_whole_file_read_shocks_exactly_what_the_filtered_read_does(monkeypatch):
    import scrisk.scenario.spec as spec
    from scrisk.api import load_flows
    from scrisk.app import shock_files

    example = load_flows()
    f = example.frame
    every = sorted(set().union(*spec._nomenclature().values()))
    # a product CHN exports in the latest year, left out of the list: it must stay unshocked
    left_out = sorted(set(f.loc[(f.exporter == "CHN") & (f.year == f.year.max()), "hs"]))[0]
    s = scenario_from_options(exporters="CHN", hs=",".join(c for c in every if c != left_out))
    assert s.read_codes(downstream=True) == ()
    whole = shock_files(None, s)
    assert whole.meta["read"]["rows_read"] == len(example)
    monkeypatch.setattr(spec, "READ_ALL_SHARE", 2.0)  # never read the whole file: the scan filters the codes
    assert s.read_codes(downstream=True)
    filtered = shock_files(None, s)
    assert filtered.meta["read"]["rows_read"] < len(example)
    assert left_out not in set(whole.rows.loc[whole.rows["direct_loss_usd"] > 0, "hs"])
    for part in ("rows", "suppliers", "downstream"):
        pd.testing.assert_frame_equal(getattr(whole, part), getattr(filtered, part))
    assert whole.totals == filtered.totals and whole.measures == filtered.measures
