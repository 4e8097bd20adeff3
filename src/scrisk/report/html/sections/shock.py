"""The shock (with ``--scenario``): the waterfall from blocked trade to shortfall, and who filled the gap."""

from __future__ import annotations

from collections import defaultdict

from scrisk.report.html.base import Chart, Rendered, Section, named, template, with_data

__all__ = ["SECTION", "render", "waterfall_steps", "waterfall_spec", "fillers"]

GAP_FILLERS_SHOWN = 15

_COLOURS = {"total": "#7f1d1d", "gain": "#c0392b", "relief": "#2e8b57", "end": "#e74c3c"}

_TEMPLATE = """
{% set sc = shock.meta.scenario %}
<p><strong>{{ sc.title or sc.name }}</strong>{% if sc.description %} &mdash; {{ sc.description }}{% endif %}</p>
<p class="muted">Scenario file {{ path or "(options)" }}; mode {{ shock.meta.mode }}, year {{ shock.meta.year }},
{{ shock.meta.iterations }} round{{ "s" if shock.meta.iterations != 1 }}; conservation error
{{ "%.1e" | format(shock.meta.conservation_error or 0) }}.</p>
<table class="plain">
<thead><tr><th>Measure</th><th>Exporters</th><th>Products</th><th>Targets</th><th>Exempt</th><th>Cut</th>
<th>Matched flows</th><th>Blocked</th></tr></thead>
<tbody>
{% for m in shock.measures %}
<tr><td>{{ m.label or "" }}</td><td>{{ m.exporters | join(", ") }}</td>
<td>{{ (m.materials + m.hs) | join(", ") }}</td><td>{{ m.targets | join(", ") }}</td><td>{{ m.exempt | join(", ") }}</td>
<td class="num">{{ m.cut | pct(0) }}</td><td class="num">{{ m.matched_flows }}</td>
<td class="num">{{ m.blocked_usd | usd }}</td></tr>
{% endfor %}
</tbody>
</table>
<p>Of {{ t.blocked_usd | usd }} blocked, {{ t.substituted_usd | usd }} is bought from other suppliers,
{{ t.stock_drawn_usd | usd }} drawn from stock, and {{ t.shortfall_usd | usd }}
({{ t.shortfall_share_of_blocked | pct }}) is left short across {{ t.importers_hit }} importers.</p>
<div class="chart" id="chart-waterfall" role="img" aria-label="{{ description }}"></div>
{% if focus_steps %}
<h3>{{ focus }}</h3>
<p>{{ focus }} loses {{ focus_total.direct | usd }} directly and {{ focus_total.indirect | usd }} through re-exporters;
{{ focus_total.shortfall | usd }} is left short ({{ focus_total.share | pct }} of its {{ focus_total.baseline | usd }}
imports of the products hit).</p>
<div class="chart" id="chart-waterfall-focus" role="img" aria-label="Waterfall for {{ focus }}"></div>
{% endif %}
{% if gap %}
<h3>Who filled the gap</h3>
<p>Extra exports of the unrestricted suppliers, over their existing links, up to their spare capacity.</p>
<div class="chart" id="chart-fillers" role="img" aria-label="Bars of extra exports by supplier"></div>
{% endif %}
{% if sc.sources %}<h3>Sources</h3><ul>{% for s in sc.sources %}<li>{{ s }}</li>{% endfor %}</ul>{% endif %}
{% if sc.assumptions %}<h3>Assumptions</h3><ul>{% for s in sc.assumptions %}<li>{{ s }}</li>{% endfor %}</ul>{% endif %}
{% if shock.meta.notes %}<ul class="notes">{% for n in shock.meta.notes %}<li>{{ n }}</li>{% endfor %}</ul>{% endif %}
"""


def waterfall_steps(totals: dict) -> list[dict]:
    """Blocked -> substituted -> from stock -> shortfall as floating bars (start, end).

    Examples
    --------
    >>> [(s["step"], s["start"], s["end"]) for s in waterfall_steps(
    ...     {"blocked_usd": 100.0, "substituted_usd": 30.0, "stock_drawn_usd": 10.0, "shortfall_usd": 60.0})]
    [('blocked', 0.0, 100.0), ('substituted', 70.0, 100.0), ('from stock', 60.0, 70.0), ('shortfall', 0.0, 60.0)]
    """
    b = float(totals.get("blocked_usd") or 0.0)
    s = float(totals.get("substituted_usd") or 0.0)
    st = float(totals.get("stock_drawn_usd") or 0.0)
    return [
        {"step": "blocked", "start": 0.0, "end": b, "amount": b, "kind": "total"},
        {"step": "substituted", "start": b - s, "end": b, "amount": -s, "kind": "relief"},
        {"step": "from stock", "start": b - s - st, "end": b - s, "amount": -st, "kind": "relief"},
        {"step": "shortfall", "start": 0.0, "end": float(totals.get("shortfall_usd") or 0.0),
         "amount": float(totals.get("shortfall_usd") or 0.0), "kind": "end"},
    ]


def _focus_steps(rows: list[dict]) -> tuple[list[dict], dict]:
    d = sum(r["direct_loss_usd"] for r in rows)
    i = sum(r["indirect_loss_usd"] for r in rows)
    s = sum(r["substituted_usd"] for r in rows)
    st = sum(r["stock_drawn_usd"] for r in rows)
    p = sum(r["passed_on_usd"] for r in rows)
    sf = sum(r["shortfall_usd"] for r in rows)
    base = sum(r["baseline_usd"] for r in rows)
    steps = [
        {"step": "direct loss", "start": 0.0, "end": d, "amount": d, "kind": "total"},
        {"step": "indirect loss", "start": d, "end": d + i, "amount": i, "kind": "gain"},
        {"step": "substituted", "start": d + i - s, "end": d + i, "amount": -s, "kind": "relief"},
        {"step": "from stock", "start": d + i - s - st, "end": d + i - s, "amount": -st, "kind": "relief"},
        {"step": "passed on", "start": d + i - s - st - p, "end": d + i - s - st, "amount": -p, "kind": "relief"},
        {"step": "shortfall", "start": 0.0, "end": sf, "amount": sf, "kind": "end"},
    ]
    return steps, {"direct": d, "indirect": i, "shortfall": sf, "baseline": base,
                   "share": sf / base if base > 0 else None}


def waterfall_spec(steps: list[dict]) -> dict:
    """Floating bars in step order with their amounts written above."""
    import altair as alt

    order = [s["step"] for s in steps]
    values = [dict(s, top=max(s["start"], s["end"])) for s in steps]
    base = alt.Chart(named("steps")).encode(x=alt.X("step:N", sort=order, title=None,
                                                             axis=alt.Axis(labelAngle=0)))
    bars = base.mark_bar(size=56).encode(
        y=alt.Y("start:Q", title="USD", axis=alt.Axis(format="$.2~s")), y2="end:Q",
        color=alt.Color("kind:N", legend=None, scale=alt.Scale(domain=list(_COLOURS), range=list(_COLOURS.values()))),
        tooltip=[alt.Tooltip("step:N"), alt.Tooltip("amount:Q", title="USD", format="$,.0f")],
    )
    text = base.mark_text(dy=-6, fontSize=11).encode(y="top:Q", text=alt.Text("amount:Q", format="$.3~s"))
    return with_data(alt.layer(bars, text).properties(width=520, height=300), steps=values)


def fillers(suppliers: list[dict]) -> list[dict]:
    """Extra exports per supplier country (summed over products), largest first.

    Examples
    --------
    >>> fillers([{"exporter": "DEU", "hs": "1", "extra_exports_usd": 2.0, "capacity_usd": 4.0},
    ...          {"exporter": "DEU", "hs": "2", "extra_exports_usd": 1.0, "capacity_usd": 1.0},
    ...          {"exporter": "SGP", "hs": "1", "extra_exports_usd": 0.0, "capacity_usd": 1.0}])
    [{'exporter': 'DEU', 'extra_exports_usd': 3.0, 'capacity_usd': 5.0, 'hs': '1, 2', 'capacity_used_share': 0.6}]
    """
    agg: dict[str, dict] = defaultdict(lambda: {"extra_exports_usd": 0.0, "capacity_usd": 0.0, "hs": []})
    for s in suppliers:
        if (s.get("extra_exports_usd") or 0) <= 0:
            continue
        a = agg[s["exporter"]]
        a["extra_exports_usd"] += float(s["extra_exports_usd"])
        a["capacity_usd"] += float(s.get("capacity_usd") or 0.0)
        a["hs"].append(str(s["hs"]))
    out = [{"exporter": k, "extra_exports_usd": v["extra_exports_usd"], "capacity_usd": v["capacity_usd"],
            "hs": ", ".join(sorted(v["hs"])),
            "capacity_used_share": v["extra_exports_usd"] / v["capacity_usd"] if v["capacity_usd"] > 0 else None}
           for k, v in agg.items()]
    return sorted(out, key=lambda r: (-r["extra_exports_usd"], r["exporter"]))


def _fillers_spec(rows: list[dict]) -> dict:
    import altair as alt

    base = alt.Chart(named("fillers")).encode(
        y=alt.Y("exporter:N", sort=[r["exporter"] for r in rows], title=None),
        x=alt.X("extra_exports_usd:Q", title="Extra exports (USD)", axis=alt.Axis(format="$.2~s")),
    )
    bars = base.mark_bar(color="#2e8b57").encode(tooltip=[
        alt.Tooltip("exporter:N"), alt.Tooltip("extra_exports_usd:Q", title="extra exports", format="$,.0f"),
        alt.Tooltip("capacity_used_share:Q", title="spare capacity used", format=".0%"), alt.Tooltip("hs:N")])
    text = base.mark_text(align="left", dx=3, fontSize=10).encode(text=alt.Text("extra_exports_usd:Q",
                                                                                format="$.3~s"))
    return with_data(alt.layer(bars, text).properties(width=520, height=max(100, 22 * len(rows))), fillers=rows)


def render(data) -> Rendered | None:
    """Left out without a scenario."""
    shock = data.shock
    if shock is None:
        return None
    focus_codes = {r["importer"] for r in data.rows}
    focus = data.importers if data.importers != "every importer" else ""
    focus_rows = [r for r in shock["rows"] if r["importer"] in focus_codes] if focus else []
    focus_steps, focus_total = _focus_steps(focus_rows) if focus_rows else ([], {})
    if focus_total and focus_total["direct"] + focus_total["indirect"] <= 0:
        focus_steps = []
    gap = fillers(shock.get("suppliers") or [])[:GAP_FILLERS_SHOWN]
    description = "Waterfall: blocked, substituted, from stock, shortfall (USD)."
    charts = [Chart("chart-waterfall", waterfall_spec(waterfall_steps(shock["totals"])), description)]
    if focus_steps:
        charts.append(Chart("chart-waterfall-focus", waterfall_spec(focus_steps), f"Waterfall for {focus}"))
    if gap:
        charts.append(Chart("chart-fillers", _fillers_spec(gap), "Extra exports by supplier"))
    body = template(_TEMPLATE, shock=shock, t=shock["totals"], path=data.scenario_path, focus=focus,
                    focus_steps=focus_steps, focus_total=focus_total, gap=gap, description=description)
    return Rendered(body, charts)


SECTION = Section("shock", "Shock: what if the scenario's measures hit", render)
