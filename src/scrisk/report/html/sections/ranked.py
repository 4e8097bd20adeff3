"""The ranked dependency table: every row of the analysis, sortable by any column and searchable."""

from __future__ import annotations

from scrisk.report.html.base import Rendered, Section, template

__all__ = ["SECTION", "render"]

_TEMPLATE = """
<p>One row per importer and HS code, ranked by the composite chokepoint score. Click a column heading to sort;
type in the box to filter (any text: a country, a code, a material, a flag).</p>
<p><input type="search" class="filter" data-table="ranked-table" placeholder="Filter rows…" aria-label="Filter the table">
<span class="muted filter-count" data-table="ranked-table">{{ rows | length }} rows</span></p>
<div class="scroll">
<table class="sortable" id="ranked-table">
<thead><tr>
{% for key, label, kind in columns %}<th data-kind="{{ kind }}" scope="col">{{ label }}</th>{% endfor %}
</tr></thead>
<tbody>
{% for r in rows %}
<tr class="band-{{ r.band or 'none' }}">
  <td data-sort="{{ r.rank }}">{{ r.rank }}</td>
  <td>{{ r.importer }}</td>
  <td>{{ r.hs }}</td>
  <td title="{{ title(r.material) }}">{{ r.material or "" }}</td>
  <td data-sort="{{ r.import_value_usd }}" class="num">{{ r.import_value_usd | usd }}</td>
  <td data-sort="{{ r.n_suppliers }}" class="num">{{ r.n_suppliers }}</td>
  <td>{{ r.top_supplier }}</td>
  <td data-sort="{{ r.top_share }}" class="num share">{{ r.top_share | pct }}</td>
  <td data-sort="{{ r.hhi }}" class="num">{{ r.hhi | num }}</td>
  <td data-sort="{{ r.world_export_hhi }}" class="num">{{ r.world_export_hhi | num }}</td>
  <td>{{ r.world_top_exporter }} {{ r.world_top_exporter_share | pct(0) }}</td>
  <td data-sort="{{ r.score }}" class="num">{{ r.score | num }}</td>
  <td>{{ r.band or "" }}</td>
  <td class="why">{{ r.why }}</td>
  <td class="flags">{{ r.flags | join(", ") }}</td>
</tr>
{% endfor %}
</tbody>
</table>
</div>
"""

COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("rank", "#", "num"), ("importer", "Importer", "text"), ("hs", "HS", "text"), ("material", "Material", "text"),
    ("import_value_usd", "Imports", "num"), ("n_suppliers", "Suppliers", "num"), ("top_supplier", "Top", "text"),
    ("top_share", "Top share", "num"), ("hhi", "HHI", "num"), ("world_export_hhi", "World HHI", "num"),
    ("world_top_exporter", "World top exporter", "text"), ("score", "Score", "num"), ("band", "Band", "text"),
    ("why", "Why", "text"), ("flags", "Flags", "text"),
)
"""Table columns: (field, heading, sort kind)."""


def render(data) -> Rendered | None:
    """The whole ranked table (all rows, not only the charted ones)."""
    if not data.rows:
        return None
    return Rendered(template(_TEMPLATE, rows=data.rows, columns=COLUMNS, title=data.material_title))


SECTION = Section("ranked", "Ranked dependencies", render)
