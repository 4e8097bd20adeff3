"""Provenance: inputs, years, HS revision, rows read and rejected, parameters, versions."""

from __future__ import annotations

import json

from scrisk.report.html.base import Rendered, Section, template

__all__ = ["SECTION", "render"]

_TEMPLATE = """
<dl class="prov">
  <dt>scrisk version</dt><dd>{{ m.scrisk_version }}</dd>
  <dt>Generated</dt><dd>{{ m.generated_at }}</dd>
  <dt>Inputs</dt><dd>{% if m.inputs %}<ul>{% for i in m.inputs %}<li><code>{{ i }}</code></li>{% endfor %}</ul>{% else %}the bundled example{% endif %}</dd>
  <dt>Years loaded</dt><dd>{{ m.years | join(", ") }}</dd>
  <dt>Year analysed</dt><dd>{{ m.analysis_year }}{% if m.previous_year %} (change against {{ m.previous_year }}){% endif %}</dd>
  <dt>HS revision</dt><dd>{{ m.hs_revision or "not recorded in the input" }}</dd>
  <dt>Source format</dt><dd>{{ m.source_format or "" }}{% if m.release %}, release {{ m.release }}{% endif %}</dd>
  <dt>Rows</dt><dd>{{ "{:,}".format(read.rows_read or 0) }} read, {{ "{:,}".format(read.rows_accepted or 0) }} accepted,
    {{ "{:,}".format(read.rows_rejected or 0) }} rejected ({{ "{:,}".format(read.rows_rejected_defect or 0) }} defects)</dd>
  <dt>Rejected value</dt><dd>{{ read.value_share_rejected | pct(2) }} of the value read
    ({{ read.value_share_rejected_defect | pct(2) }} defects){% if read.reasons %}; reasons:
    {% for k, v in read.reasons.items() %}{{ k }} {{ v }}{{ ", " if not loop.last }}{% endfor %}{% endif %}</dd>
  {% if read.unknown_codes %}<dt>Unknown country codes</dt><dd>{% for u in read.unknown_codes[:10] %}{{ u.code }}
    ({{ u.value_share | pct(2) }}){{ ", " if not loop.last }}{% endfor %}</dd>{% endif %}
  <dt>Importers</dt><dd>{{ importers }}</dd>
  <dt>Parameters</dt><dd><code>{{ parameters }}</code></dd>
  {% if scenario %}<dt>Scenario</dt><dd>{{ scenario.name }}{% if path %} (<code>{{ path }}</code>){% endif %}</dd>{% endif %}
  <dt>Score</dt><dd>{{ (m.score or {}).formula or "" }}</dd>
  <dt>Charts</dt><dd>{% for k, v in versions.items() %}{{ k }} {{ v }}{{ ", " if not loop.last }}{% endfor %}
    (embedded in this file; it makes no network request)</dd>
</dl>
{% if m.notes %}<h3>Notes</h3><ul class="notes">{% for n in m.notes %}<li>{{ n }}</li>{% endfor %}</ul>{% endif %}
"""


def render(data) -> Rendered:
    """The analysis meta (the same provenance as ``scrisk analyze --format json``) and the chart libraries."""
    from scrisk.report.html.assets import versions

    m = data.meta
    return Rendered(template(
        _TEMPLATE, m=m, read=m.get("read") or {}, importers=data.importers,
        parameters=json.dumps(m.get("parameters") or {}, ensure_ascii=False, default=str),
        scenario=(data.shock or {}).get("meta", {}).get("scenario"), path=data.scenario_path, versions=versions(),
    ))


SECTION = Section("provenance", "Provenance", render)
