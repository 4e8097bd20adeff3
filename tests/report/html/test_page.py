"""The page: self-contained, strict content policy matching its scripts, every data string escaped."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from report_helpers import INJECT_BASKET, INJECT_CODE, INJECT_SCENARIO, parse_page
from scrisk.report.html import build_report
from scrisk.report.html.page import content_policy, safe_json


@pytest.fixture(scope="module")
def injected_page(tmp_path_factory):
    from report_helpers import write_injected
    from scrisk.api import load_flows
    from scrisk.materials import load_baskets
    from scrisk.scenario import load_scenario

    paths = write_injected(tmp_path_factory.mktemp("inj"))
    reg = load_baskets([paths["basket"]])
    table = load_flows([paths["flows"]])
    html = build_report(table, importers="KOR", baskets=reg, scenario=load_scenario(paths["scenario"], baskets=reg),
                        scenario_path=str(paths["scenario"]))
    return html, table


def test_injected_markup_is_text_everywhere(injected_page):
    html, table = injected_page
    assert INJECT_CODE in table.report.unknown_codes  # the reader kept the code as it was written
    page = parse_page(html)
    text = "".join(page.text)
    for raw in (INJECT_CODE, INJECT_BASKET, INJECT_SCENARIO, "<script>window.__pwned_measure=1</script>",
                "<script>window.__pwned_source=1</script>", "<img src=x onerror=alert(1)>"):
        assert raw not in html, raw            # never as markup
        assert raw in text, raw                # but shown as text
    # exactly the page's own three script elements: chart data (inert JSON), the Vega bundle, the initialiser
    kinds = [s["attrs"].get("type") for s in page.scripts]
    assert kinds == ["application/json", None, None]
    assert "__pwned" not in page.scripts[2]["text"]
    assert not any(tag == "img" for tag, _, _ in page.links)


def test_content_policy_allows_only_the_page_scripts_and_no_network(injected_page):
    html, _ = injected_page
    page = parse_page(html)
    csp = page.meta_csp
    assert csp.startswith("default-src 'none'")
    assert "connect-src" not in csp and "http" not in csp  # default-src 'none' covers every fetch
    for s in page.scripts[1:]:
        digest = base64.b64encode(hashlib.sha256(s["text"].encode("utf-8")).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";")[0]


def test_no_element_loads_anything(injected_page):
    html, _ = injected_page
    page = parse_page(html)
    assert [link for link in page.links if not link[2].startswith("#")] == []


def test_chart_data_block_holds_valid_json_with_the_names(injected_page):
    html, _ = injected_page
    page = parse_page(html)
    charts = json.loads(page.scripts[0]["text"])
    assert {c["id"] for c in charts} >= {"chart-plane", "chart-suppliers", "chart-history", "chart-chokepoints",
                                         "chart-waterfall"}
    blob = json.dumps(charts)
    assert "evilium" in blob and "</script" not in page.scripts[0]["text"]


def test_safe_json_round_trips_hostile_text():
    s = {"a": "</script><!-- & \u2028", "b": [1.5, float("inf")]}
    out = safe_json(s)
    assert "<" not in out and ">" not in out and "&" not in out and "\u2028" not in out
    assert json.loads(out) == {"a": "</script><!-- & \u2028", "b": [1.5, None]}


def test_content_policy_hashes_are_sha256_of_the_text():
    want = base64.b64encode(hashlib.sha256("alert(1)".encode()).digest()).decode()
    assert f"'sha256-{want}'" in content_policy("alert(1)")


def test_bundled_example_report_is_one_page(tmp_path):
    import scrisk

    html = build_report(scrisk.load_flows(), importers="KOR")
    page = parse_page(html)
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert [s for s in page.scripts if "src" in s["attrs"]] == []
    assert "Import dependencies: KOR, 2024" in "".join(page.text)
