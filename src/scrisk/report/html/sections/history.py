"""Top supplier's share across the loaded years, against the 50/75/90 % single-source bands."""

from __future__ import annotations

from scrisk.report.html.base import BAND_COLOURS, Chart, Rendered, Section, named, product_label, template, with_data

__all__ = ["SECTION", "render", "chart_spec"]

_TEMPLATE = """
<p>The top supplier's share of imports of the {{ n }} top-ranked product{{ "s" if n != 1 }} in each loaded year
({{ years | join(", ") }}), against the Korean single-source bands: monitor from {{ bands.monitor | pct(0) }},
high from {{ bands.high | pct(0) }}, absolute from {{ bands.absolute | pct(0) }}.
{% if years | length < 2 %}Only one year is loaded: load several (e.g. one BACI file per year) to see the trend.{% endif %}</p>
<div class="chart" id="chart-history" role="img" aria-label="{{ description }}"></div>
"""


def chart_spec(history: list[dict], bands: dict, order: list[str], many: bool) -> dict:
    """Lines (points for one year) over shaded bands."""
    import altair as alt

    values = [dict(h, label=product_label(h, with_importer=many)) for h in history]
    lo, mid, hi = float(bands["monitor"]), float(bands["high"]), float(bands["absolute"])
    shade = alt.Chart(alt.Data(values=[
        {"lo": lo, "hi": mid, "band": "monitor"}, {"lo": mid, "hi": hi, "band": "high"},
        {"lo": hi, "hi": 1.0, "band": "absolute"},
    ])).mark_rect(opacity=0.16).encode(
        y=alt.Y("lo:Q", scale=alt.Scale(domain=[0, 1])), y2="hi:Q",
        color=alt.Color("band:N", scale=alt.Scale(domain=["monitor", "high", "absolute"],
                                                  range=[BAND_COLOURS[b] for b in ("monitor", "high", "absolute")]),
                        legend=None),
    )
    rules = alt.Chart(alt.Data(values=[{"v": lo, "t": f"monitor {lo:.0%}"}, {"v": mid, "t": f"high {mid:.0%}"},
                                       {"v": hi, "t": f"absolute {hi:.0%}"}]))
    rule = rules.mark_rule(color="#888", strokeDash=[3, 3]).encode(y="v:Q")
    rule_text = rules.mark_text(align="left", dx=4, dy=-6, color="#666", fontSize=10).encode(
        y="v:Q", x=alt.value(0), text="t:N")
    lines = alt.Chart(named("history")).mark_line(point=alt.OverlayMarkDef(size=60)).encode(
        x=alt.X("year:O", title="Year"),
        y=alt.Y("top_share:Q", title="Top supplier's share", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("label:N", title="Product", sort=order, scale=alt.Scale(scheme="tableau20")),
        tooltip=[alt.Tooltip("label:N", title="product"), alt.Tooltip("year:O"),
                 alt.Tooltip("top_supplier:N", title="top supplier"),
                 alt.Tooltip("top_share:Q", title="top share", format=".1%"),
                 alt.Tooltip("import_value_usd:Q", title="imports (USD)", format="$,.0f")],
    )
    return with_data(alt.layer(shade, rule, rule_text, lines).properties(width=560, height=360).resolve_scale(color="independent"),
                     history=values)


def render(data) -> Rendered | None:
    """The top share per year of the chart rows."""
    if not data.history:
        return None
    bands = data.meta.get("bands") or {"monitor": 0.5, "high": 0.75, "absolute": 0.9}
    many = len({r["importer"] for r in data.rows}) > 1
    order = [product_label(r, with_importer=many) for r in data.chart_rows]
    years = sorted({h["year"] for h in data.history})
    description = f"Top supplier share by year, {len(years)} year(s), {len(order)} products, with bands."
    return Rendered(template(_TEMPLATE, n=len(order), years=years, bands=bands, description=description),
                    [Chart("chart-history", chart_spec(data.history, bands, order, many), description)])


SECTION = Section("history", "Top share over the years", render)
