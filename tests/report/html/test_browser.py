"""The report in a real browser: headless Chromium opens it from disk through the DevTools protocol (Playwright).

Checks that no console error occurs, that every chart rendered (a non-empty
SVG), that the page makes no network request, and that a ``<script>``
injected in a tidy file's country code, a basket title and a scenario shows
as text and never runs. A screenshot is saved. Skipped only when no Chromium
is installed (CI installs Debian's package in .ci/run).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from report_helpers import INJECT_BASKET, INJECT_CODE, INJECT_SCENARIO

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
"""Chromium flags (Playwright adds --headless and the fresh --user-data-dir of the persistent context)."""


def _chromium() -> str | None:
    env = os.environ.get("SCRISK_CHROMIUM")
    if env:
        return env
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


CHROMIUM = _chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (apt-get install chromium); "
                                "CI installs it in .ci/run")


def open_report(path: Path, screenshot: Path, tmp_path: Path) -> dict:
    """Open ``path`` in headless Chromium; return what the page did; save a full-page screenshot."""
    from playwright.sync_api import sync_playwright

    console, errors, requests = [], [], []
    with sync_playwright() as p:
        profile = tmp_path / "chromium-profile"
        ctx = p.chromium.launch_persistent_context(str(profile), executable_path=CHROMIUM, headless=True,
                                                   args=FLAGS, viewport={"width": 1280, "height": 900})
        try:
            page = ctx.new_page()
            page.on("console", lambda m: console.append((m.type, m.text)))
            page.on("pageerror", lambda e: errors.append(str(e)))
            ctx.on("request", lambda r: requests.append(r.url))
            page.goto(path.resolve().as_uri(), wait_until="load")
            page.wait_for_selector("body[data-charts=done]", timeout=30_000)
            charts = page.eval_on_selector_all(".chart", """els => els.map(e => {
                const svg = e.querySelector('svg'); const box = svg ? svg.getBoundingClientRect() : null;
                return {id: e.id, rendered: e.getAttribute('data-rendered'), marks: svg ? svg.querySelectorAll(
                  'path, rect, circle, line, text').length : 0, width: box ? box.width : 0,
                  height: box ? box.height : 0};
            })""")
            pwned = page.evaluate("() => Object.keys(window).filter(k => k.startsWith('__pwned'))")
            text = page.inner_text("body")
            # the table sorts and filters
            page.fill("input.filter", "zzz-no-such-row")
            hidden = page.eval_on_selector_all("#ranked-table tbody tr", "rs => rs.filter(r => r.hidden).length")
            rows = page.eval_on_selector_all("#ranked-table tbody tr", "rs => rs.length")
            page.fill("input.filter", "")
            page.click("#ranked-table thead th:nth-child(5)")
            first_sorted = page.inner_text("#ranked-table tbody tr:first-child td:nth-child(5)")
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            ctx.close()
    return {"console": console, "errors": errors, "requests": requests, "charts": charts, "pwned": pwned,
            "text": text, "hidden": hidden, "rows": rows, "first_sorted": first_sorted}


def _assert_clean(seen: dict, path: Path, expect_charts: set[str]) -> None:
    assert [m for m in seen["console"] if m[0] == "error"] == []
    assert seen["errors"] == []
    assert seen["requests"] == [path.resolve().as_uri()]  # the file itself, nothing else
    ids = {c["id"] for c in seen["charts"]}
    assert ids == expect_charts
    for c in seen["charts"]:
        assert c["rendered"] == "1" and c["marks"] > 5 and c["width"] > 100 and c["height"] > 50, c


def test_injected_report_in_chromium(tmp_path, injected):
    from cli_like import build

    out = tmp_path / "report.html"
    build(out, injected)
    shot = tmp_path / "report.png"
    seen = open_report(out, shot, tmp_path)
    _assert_clean(seen, out, {"chart-plane", "chart-suppliers", "chart-history", "chart-chokepoints",
                              "chart-waterfall", "chart-waterfall-focus", "chart-fillers"})
    assert seen["pwned"] == []  # no injected script ran
    for raw in (INJECT_CODE, INJECT_BASKET, INJECT_SCENARIO):
        assert raw in seen["text"]  # shown as text
    assert seen["hidden"] == seen["rows"] > 0
    assert seen["first_sorted"].startswith("$")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def test_real_report_in_chromium(tmp_path, atlas):
    """BACI 2024, Korea, China's 2023 gallium/germanium measure: every chart drawn, offline."""
    from scrisk.api import load_flows
    from scrisk.io.options import ReadOptions
    from scrisk.report.html import build_report
    from scrisk.scenario import load_scenario

    scenario = Path(__file__).resolve().parents[3] / "examples/scenarios/china_gallium_germanium_2023.toml"
    table = load_flows([atlas / "baci_2024.csv"], ReadOptions(years=(2024,)))
    out = tmp_path / "kor.html"
    out.write_text(build_report(table, importers="KOR", scenario=load_scenario(scenario)), encoding="utf-8")
    seen = open_report(out, tmp_path / "kor.png", tmp_path)
    _assert_clean(seen, out, {"chart-plane", "chart-suppliers", "chart-history", "chart-chokepoints",
                              "chart-waterfall", "chart-waterfall-focus", "chart-fillers"})
    assert "92.4%" in seen["text"] and "magnesium" in seen["text"]
