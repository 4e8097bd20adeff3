"""The GeoDep plane: import HHI against world export HHI, the EU/CEPII 0.4 thresholds, bubbles sized by imports."""

from __future__ import annotations

from scrisk.report.html.base import (BAND_COLOURS, BAND_ORDER, Chart, Rendered, Section, named, product_label, template,
                                    with_data)

__all__ = ["SECTION", "render", "chart_spec", "THRESHOLD"]

THRESHOLD = 0.4
"""Criteria C1 and C2 of the EU/GeoDep screen (EC SWD(2021) 352; CEPII Policy Brief 47, 2024)."""

_TEMPLATE = """
<p>Each bubble is one importer&ndash;product pair: across, how concentrated its suppliers are (import HHI); up, how
concentrated the world's exports of the product are (world export HHI). The dashed lines are the EU/GeoDep thresholds
at {{ threshold }}: the top-right quadrant holds the products that are hard to source elsewhere from any importer's
point of view. Bubble area is the import value; colour the single-source band.</p>
<div class="chart" id="chart-plane" role="img" aria-label="{{ description }}"></div>
"""


def chart_spec(rows: list[dict]) -> dict:
    """The Vega-Lite spec of the plane (Altair, validated against the schema)."""
    import altair as alt

    many = len({r["importer"] for r in rows}) > 1
    values = [{
        "label": product_label(r, with_importer=many), "importer": r["importer"], "hs": r["hs"],
        "material": r.get("material") or "", "hhi": r.get("hhi"), "world_export_hhi": r.get("world_export_hhi"),
        "import_value_usd": r.get("import_value_usd"), "top_supplier": r.get("top_supplier"),
        "top_share": r.get("top_share"), "band": r.get("band") or "none",
    } for r in rows if r.get("hhi") is not None and r.get("world_export_hhi") is not None]
    axis = alt.Scale(domain=[0, 1])
    points = alt.Chart(named("plane")).mark_circle(opacity=0.75, stroke="#333", strokeWidth=0.5).encode(
        x=alt.X("hhi:Q", scale=axis, title="Import HHI (supplier concentration)", axis=alt.Axis(tickCount=10)),
        y=alt.Y("world_export_hhi:Q", scale=axis, title="World export HHI", axis=alt.Axis(tickCount=10)),
        size=alt.Size("import_value_usd:Q", scale=alt.Scale(range=[30, 2500]),
                      legend=alt.Legend(title="Imports (USD)", format="$.2~s")),
        color=alt.Color("band:N", title="Single-source band",
                        scale=alt.Scale(domain=list(BAND_ORDER), range=[BAND_COLOURS[b] for b in BAND_ORDER])),
        tooltip=[alt.Tooltip("label:N", title="product"), alt.Tooltip("importer:N"),
                 alt.Tooltip("import_value_usd:Q", title="imports (USD)", format="$,.0f"),
                 alt.Tooltip("top_supplier:N", title="top supplier"),
                 alt.Tooltip("top_share:Q", title="top share", format=".1%"),
                 alt.Tooltip("hhi:Q", title="import HHI", format=".3f"),
                 alt.Tooltip("world_export_hhi:Q", title="world export HHI", format=".3f"),
                 alt.Tooltip("band:N")],
    )
    rules = alt.Data(values=[{"v": THRESHOLD}])
    vline = alt.Chart(rules).mark_rule(strokeDash=[5, 4], color="#555").encode(x="v:Q")
    hline = alt.Chart(rules).mark_rule(strokeDash=[5, 4], color="#555").encode(y="v:Q")
    labels = alt.Chart(alt.Data(values=[
        {"x": 0.7, "y": 0.97, "t": "concentrated on both sides"},
        {"x": 0.2, "y": 0.97, "t": "world supply concentrated"},
        {"x": 0.7, "y": 0.03, "t": "own suppliers concentrated"},
    ])).mark_text(fontSize=11, color="#777", align="center", baseline="middle").encode(x="x:Q", y="y:Q", text="t:N")
    chart = alt.layer(vline, hline, labels, points).properties(width=640, height=460)
    return with_data(chart, plane=values)


def render(data) -> Rendered | None:
    """The bubble plane of every ranked row."""
    rows = [r for r in data.rows if r.get("hhi") is not None and r.get("world_export_hhi") is not None]
    if not rows:
        return None
    both = sum(1 for r in rows if r["hhi"] > THRESHOLD and r["world_export_hhi"] > THRESHOLD)
    description = (f"Scatter of {len(rows)} importer-product pairs, import HHI against world export HHI; "
                   f"{both} lie above 0.4 on both axes.")
    return Rendered(template(_TEMPLATE, threshold=THRESHOLD, description=description),
                    [Chart("chart-plane", chart_spec(rows), description)])


SECTION = Section("plane", "GeoDep plane: import vs world export concentration", render)
