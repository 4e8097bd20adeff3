"""Summary: the top dependencies in words, with the key counts."""

from __future__ import annotations

from scrisk.report.html.base import Rendered, Section, template

__all__ = ["SECTION", "render"]

TOP_SENTENCES = 5

_TEMPLATE = """
{% if not rows %}
<p class="lead">No imports of {{ importers }} match the products asked for{% if year %} in {{ year }}{% endif %}.</p>
{% else %}
<p class="lead">In {{ year }}, {{ importers }} imported {{ total | usd }} of {{ rows | length }} product{{ "s" if rows | length != 1 }}{% if many %}
({{ n_importers }} importers){% endif %}. {{ counts.absolute }} come at least {{ bands.absolute | pct(0) }} from one supplier, {{ counts.high }} at
least {{ bands.high | pct(0) }} and {{ counts.monitor }} at least {{ bands.monitor | pct(0) }} (imports of at least
{{ bands.min_import_usd | usd }}); {{ both }} are concentrated on both sides, import HHI and world export HHI above 0.4.
{% if previous %}Changes are against {{ previous }}.{% endif %}</p>
<div class="cards">
  <div class="card"><span class="big">{{ total | usd }}</span>imports analysed</div>
  <div class="card band-absolute"><span class="big">{{ counts.absolute }}</span>absolute (&ge; {{ bands.absolute | pct(0) }})</div>
  <div class="card band-high"><span class="big">{{ counts.high }}</span>high (&ge; {{ bands.high | pct(0) }})</div>
  <div class="card band-monitor"><span class="big">{{ counts.monitor }}</span>monitor (&ge; {{ bands.monitor | pct(0) }})</div>
  <div class="card"><span class="big">{{ both }}</span>both HHIs &gt; 0.4</div>
</div>
<h3>Top dependencies</h3>
<ol class="top">
{% for r in top %}
  <li><strong>{{ r.hs }} {{ title(r.material) }}</strong>{% if many %} ({{ r.importer }}){% endif %}: {{ r.why }}
    <span class="muted">&mdash; {{ r.import_value_usd | usd }} imported, score {{ r.score | num }}</span></li>
{% endfor %}
</ol>
{% endif %}
"""


def render(data) -> Rendered:
    """Sentences over the ranked rows: totals, band counts, both-sides concentration, the top five reasons."""
    rows = data.rows
    meta = data.meta
    bands = meta.get("bands") or {"absolute": 0.9, "high": 0.75, "monitor": 0.5, "min_import_usd": 1e7}
    counts = {b: sum(1 for r in rows if r.get("band") == b) for b in ("absolute", "high", "monitor")}
    both = sum(1 for r in rows if (r.get("hhi") or 0) > 0.4 and (r.get("world_export_hhi") or 0) > 0.4)
    importers = sorted({r["importer"] for r in rows})
    many = len(importers) > 1
    body = template(
        _TEMPLATE, rows=rows, top=rows[:TOP_SENTENCES], total=sum(r.get("import_value_usd") or 0 for r in rows),
        importers=data.importers, year=meta.get("analysis_year"), previous=meta.get("previous_year"), bands=bands,
        counts=counts, both=both, many=many, title=data.material_title, n_importers=len(importers),
    )
    return Rendered(body)


SECTION = Section("summary", "Summary", render)
