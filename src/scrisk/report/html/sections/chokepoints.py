"""World chokepoints: per product, how much of world exports one country ships, and the world export HHI."""

from __future__ import annotations

from scrisk.report.html.base import Chart, Rendered, Section, named, template, with_data

__all__ = ["SECTION", "render", "chart_spec", "THRESHOLD"]

THRESHOLD = 0.4
"""World export HHI above which a product's world supply counts as concentrated (EU/GeoDep criterion 2)."""

_TEMPLATE = """
<p>Every product in the loaded data{% if focus %} (those {{ focus }} imports are marked &#9679;){% endif %}, from all
exporters to all importers: the world's top exporter and its share of world exports. Red bars are products whose world
export HHI is above {{ threshold }}. {{ concentrated }} of {{ world | length }} products are.</p>
<div class="chart" id="chart-chokepoints" role="img" aria-label="{{ description }}"></div>
<div class="scroll">
<table class="sortable" id="chokepoint-table">
<thead><tr><th data-kind="text">HS</th><th data-kind="text">Material</th><th data-kind="num">World exports</th>
<th data-kind="num">Exporters</th><th data-kind="text">Top exporter</th><th data-kind="num">Its share</th>
<th data-kind="num">World export HHI</th><th data-kind="num">Importers</th>
<th data-kind="num">{{ focus or "Report" }} imports</th></tr></thead>
<tbody>
{% for w in world %}
<tr{% if w.world_export_hhi is not none and w.world_export_hhi > threshold %} class="band-absolute"{% endif %}>
  <td>{{ w.hs }}</td><td>{{ w.material or "" }}</td>
  <td class="num" data-sort="{{ w.world_export_value_usd }}">{{ w.world_export_value_usd | usd }}</td>
  <td class="num" data-sort="{{ w.n_exporters }}">{{ w.n_exporters }}</td>
  <td>{{ w.world_top_exporter }}</td>
  <td class="num" data-sort="{{ w.world_top_exporter_share }}">{{ w.world_top_exporter_share | pct }}</td>
  <td class="num" data-sort="{{ w.world_export_hhi }}">{{ w.world_export_hhi | num }}</td>
  <td class="num" data-sort="{{ w.importers }}">{{ w.importers }}</td>
  <td class="num" data-sort="{{ w.focus_import_value_usd }}">{{ w.focus_import_value_usd | usd }}</td>
</tr>
{% endfor %}
</tbody>
</table>
</div>
"""


def chart_spec(world: list[dict]) -> dict:
    """Horizontal bars of the top exporter's share, sorted by it, labelled with the exporter."""
    import altair as alt

    values = [{
        "label": f"{'● ' if w['focus_import_value_usd'] > 0 else ''}{w['hs']} {w.get('material') or ''}".strip(),
        "exporter": w["world_top_exporter"], "share": w["world_top_exporter_share"],
        "hhi": w["world_export_hhi"], "value": w["world_export_value_usd"],
        "concentrated": (f"world export HHI > {THRESHOLD}" if (w["world_export_hhi"] or 0) > THRESHOLD
                         else f"world export HHI ≤ {THRESHOLD}"),
    } for w in world]
    base = alt.Chart(named("world")).encode(
        y=alt.Y("label:N", sort=[v["label"] for v in sorted(values, key=lambda v: -(v["share"] or 0))], title=None,
                axis=alt.Axis(labelLimit=260)),
        x=alt.X("share:Q", title="Top exporter's share of world exports", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
    )
    bars = base.mark_bar().encode(
        color=alt.Color("concentrated:N", title=None,
                        scale=alt.Scale(domain=[f"world export HHI > {THRESHOLD}", f"world export HHI ≤ {THRESHOLD}"],
                                        range=["#c0392b", "#95a5a6"])),
        tooltip=[alt.Tooltip("label:N", title="product"), alt.Tooltip("exporter:N", title="top exporter"),
                 alt.Tooltip("share:Q", format=".1%"), alt.Tooltip("hhi:Q", title="world export HHI", format=".3f"),
                 alt.Tooltip("value:Q", title="world exports (USD)", format="$,.0f")],
    )
    text = base.mark_text(align="left", dx=3, fontSize=10).encode(text="exporter:N")
    return with_data(alt.layer(bars, text).properties(width=560, height=max(120, 18 * len(values))), world=values)


def render(data) -> Rendered | None:
    """World-side figures of every product, from an analysis over all importers."""
    if not data.world:
        return None
    concentrated = sum(1 for w in data.world if (w["world_export_hhi"] or 0) > THRESHOLD)
    focus = data.importers if data.importers != "every importer" else ""
    description = f"Bars of the top exporter's share of world exports for {len(data.world)} products."
    return Rendered(template(_TEMPLATE, world=data.world, threshold=THRESHOLD, concentrated=concentrated,
                             focus=focus, description=description),
                    [Chart("chart-chokepoints", chart_spec(data.world), description)])


SECTION = Section("chokepoints", "World chokepoints", render)
