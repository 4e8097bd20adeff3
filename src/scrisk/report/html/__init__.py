"""``scrisk report``: one self-contained HTML page with charts, readable offline.

:func:`build_report` gathers the data from the public library results
(:func:`scrisk.report.html.data.collect`), renders every section of
:data:`scrisk.report.html.sections.SECTIONS` and assembles the page
(:mod:`scrisk.report.html.page`). Charts are Vega-Lite specs built with
Altair and drawn in the browser as SVG by the Vega libraries embedded in the
page (:mod:`scrisk.report.html.assets`); the page loads nothing from any
network.
"""

from __future__ import annotations

from typing import Any, Iterable

from scrisk.report.html.data import ReportData, collect

__all__ = ["build_report", "render_report", "ReportData", "collect"]


def render_report(data: ReportData) -> str:
    """Render a :class:`ReportData` as the HTML document (a str)."""
    from scrisk.report.html.assets import prefetch
    from scrisk.report.html.page import render_page
    from scrisk.report.html.sections import SECTIONS

    future = prefetch()
    rendered = []
    for section in SECTIONS:
        out = section.render(data)
        if out is not None:
            rendered.append((section, out))
    return render_page(data, rendered, bundle=future.result())


def build_report(
    table,
    *,
    importers: str | Iterable[str] | None = None,
    hs: str | Iterable[str] | None = None,
    material: str | Iterable[str] | None = None,
    baskets: Any = None,
    year: int | None = None,
    min_import_usd: float = 10_000_000.0,
    scenario: Any = None,
    scenario_path: str | None = None,
) -> str:
    """Build the HTML report of a flow table (what ``scrisk report`` writes).

    The Vega bundle is prepared in a background thread while the analysis runs.
    Parameters are those of :func:`scrisk.report.html.data.collect`.

    Examples
    --------
    >>> import pandas as pd
    >>> from scrisk.schema import make_flow_table
    >>> t = make_flow_table(pd.DataFrame({"year": 2024, "exporter": ["CHN", "JPN", "CHN"],
    ...     "importer": ["KOR", "KOR", "USA"], "hs": "811292", "value_usd": [9.2e7, 0.8e7, 4e7]}))
    >>> html = build_report(t, importers="KOR")
    >>> html.startswith("<!DOCTYPE html>"), "92% from CHN" in html, 'id="chart-plane"' in html
    (True, True, True)
    """
    from scrisk.report.html.assets import prefetch

    prefetch()
    data = collect(table, importers=importers, hs=hs, material=material, baskets=baskets, year=year,
                   min_import_usd=min_import_usd, scenario=scenario, scenario_path=scenario_path)
    return render_report(data)
