"""Supplier breakdown: who supplies each of the top-ranked products, as shares of its imports."""

from __future__ import annotations

from collections import Counter

from scrisk.report.html.base import Chart, Rendered, Section, named, product_label, template, with_data

__all__ = ["SECTION", "render", "chart_spec", "NAMED_COLOURS"]

NAMED_COLOURS = 9
"""Suppliers with their own colour (the most frequent in the chart); the others share grey."""

_PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f")

_TEMPLATE = """
<p>The suppliers of the {{ n }} top-ranked product{{ "s" if n != 1 }}: each bar is 100 % of the imports, split by
supplier country (the largest {{ shown }} named, the rest summed). Hover for values.</p>
<div class="chart" id="chart-suppliers" role="img" aria-label="{{ description }}"></div>
"""


def chart_spec(suppliers: list[dict], order: list[str], many: bool) -> dict:
    """Normalised stacked bars, one per product in rank order."""
    import altair as alt

    counts = Counter(s["supplier"] for s in suppliers if not s["supplier"].startswith("other"))
    own = [c for c, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:NAMED_COLOURS]]
    values = [dict(s, label=product_label(s, with_importer=many),
                   colour=s["supplier"] if s["supplier"] in own else "other") for s in suppliers]
    domain = own + ["other"]
    colours = list(_PALETTE[: len(own)]) + ["#bab0ac"]
    base = alt.Chart(named("suppliers")).encode(
        y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X("share:Q", stack="zero", title="Share of imports", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        order=alt.Order("order:Q"),
    )
    bars = base.mark_bar(stroke="white", strokeWidth=0.5).encode(
        color=alt.Color("colour:N", title="Supplier", scale=alt.Scale(domain=domain, range=colours)),
        tooltip=[alt.Tooltip("label:N", title="product"), alt.Tooltip("supplier:N"),
                 alt.Tooltip("share:Q", format=".1%"), alt.Tooltip("value_usd:Q", title="USD", format="$,.0f")],
    )
    text = base.mark_text(align="right", dx=-3, color="white", fontSize=10).encode(
        text="supplier:N").transform_filter(alt.datum.share >= 0.08)
    height = max(120, 26 * len(order))
    return with_data(alt.layer(bars, text).properties(width=640, height=height), suppliers=values)


def render(data) -> Rendered | None:
    """Bars for the chart rows (top :data:`~scrisk.report.html.data.CHART_PRODUCTS` dependencies)."""
    if not data.suppliers:
        return None
    from scrisk.report.html.data import SUPPLIERS_SHOWN

    many = len({r["importer"] for r in data.rows}) > 1
    order = [product_label(r, with_importer=many) for r in data.chart_rows]
    order = [o for o in order if any(product_label(s, with_importer=many) == o for s in data.suppliers)]
    description = f"Stacked bars of supplier shares for {len(order)} products."
    return Rendered(template(_TEMPLATE, n=len(order), shown=SUPPLIERS_SHOWN, description=description),
                    [Chart("chart-suppliers", chart_spec(data.suppliers, order, many), description)])


SECTION = Section("suppliers", "Supplier breakdown", render)
