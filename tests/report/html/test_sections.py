"""Each section: what it shows, when it is left out, and Vega-Lite specs that validate against the schema."""

from __future__ import annotations

import pytest

from scrisk.report.html.base import Rendered
from scrisk.report.html.data import collect
from scrisk.report.html.sections import SECTIONS
from scrisk.report.html.sections.shock import fillers, waterfall_steps


def _validate(spec: dict) -> None:
    import altair.vegalite.v6.schema.core as core
    from altair.utils.schemapi import validate_jsonschema

    err = validate_jsonschema(spec, core.load_schema(), raise_error=False)
    assert err is None, str(err)[:500]


@pytest.fixture
def data(small_table):
    from scrisk.scenario.spec import Measure, Scenario

    return collect(small_table, importers="KOR", scenario=Scenario("t", (Measure(("CHN",), hs=("811292",)),)))


def test_registry_order_and_ids():
    ids = [s.id for s in SECTIONS]
    assert ids == ["summary", "ranked", "plane", "suppliers", "history", "chokepoints", "shock", "provenance"]
    assert len(set(ids)) == len(ids)


def test_every_section_renders_and_every_chart_spec_validates(data):
    seen = 0
    for s in SECTIONS:
        out = s.render(data)
        assert isinstance(out, Rendered), s.id
        for chart in out.charts:
            assert f'id="{chart.id}"' in str(out.body), chart.id
            _validate(chart.spec)
            for name, values in chart.spec.get("datasets", {}).items():
                assert isinstance(values, list), name
            seen += 1
    assert seen == 7  # plane, suppliers, history, chokepoints, two waterfalls, gap fillers


def test_shock_section_is_left_out_without_a_scenario(small_table):
    data = collect(small_table, importers="KOR")
    shock = next(s for s in SECTIONS if s.id == "shock")
    assert shock.render(data) is None


def test_summary_counts_the_bands(data):
    summary = next(s for s in SECTIONS if s.id == "summary")
    text = str(summary.render(data).body)
    bands = [r.get("band") for r in data.rows]
    assert f'<span class="big">{bands.count("absolute")}</span>absolute' in text
    assert data.rows[0]["why"].split(";")[0] in text


def test_ranked_table_has_every_row(data):
    ranked = next(s for s in SECTIONS if s.id == "ranked")
    body = str(ranked.render(data).body)
    assert body.count("<tr class=\"band-") == len(data.rows)


def test_waterfall_identity_on_real_shock(atlas):
    """Blocked - substituted - from stock = shortfall, so the waterfall closes (BACI 2024, China's 2023 measure)."""
    from pathlib import Path

    from scrisk.api import load_flows
    from scrisk.io.options import ReadOptions
    from scrisk.scenario import load_scenario, run_scenario

    table = load_flows([atlas / "baci_2024.csv"], ReadOptions(years=(2024,)))
    spec = load_scenario(Path(__file__).resolve().parents[3] / "examples/scenarios/china_gallium_germanium_2023.toml")
    totals = run_scenario(table, spec).to_dict()["totals"]
    steps = waterfall_steps(totals)
    assert steps[2]["start"] == pytest.approx(steps[3]["end"], rel=1e-9)
    assert steps[0]["end"] == pytest.approx(159_704_784.0)


def test_fillers_sum_over_products():
    rows = fillers([{"exporter": "A", "hs": "1", "extra_exports_usd": 1.0, "capacity_usd": 2.0},
                    {"exporter": "B", "hs": "1", "extra_exports_usd": 3.0, "capacity_usd": 3.0},
                    {"exporter": "A", "hs": "2", "extra_exports_usd": 1.0, "capacity_usd": 2.0}])
    assert [(r["exporter"], r["extra_exports_usd"], r["capacity_used_share"]) for r in rows] == [
        ("B", 3.0, 1.0), ("A", 2.0, 0.5)]
