"""Assemble the report page: sections, chart specs as inert JSON, the Vega bundle, a strict content policy.

The page is one file. Its only scripts are the Vega bundle and a small
initialiser, both inline and allowed by their SHA-256 hashes in a
Content-Security-Policy that also forbids every network fetch
(``default-src 'none'``): an injected script would not run even if some text
escaped the templates, and nothing is loaded from anywhere. Chart specs sit
in a ``<script type="application/json">`` block with ``<``, ``>`` and ``&``
written as JSON escapes, so no data string can close it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from typing import Any

from markupsafe import Markup

from scrisk.report.html.base import template

__all__ = ["render_page", "safe_json", "content_policy", "INIT_JS"]

INIT_JS = r"""
(function () {
  "use strict";
  var specs = JSON.parse(document.getElementById("scrisk-charts").textContent);
  var opts = {actions: false, renderer: "svg", tooltip: true};
  var jobs = specs.map(function (c) {
    var el = document.getElementById(c.id);
    return vegaEmbed(el, c.spec, opts).then(function () { el.setAttribute("data-rendered", "1"); })
      .catch(function (e) { el.setAttribute("data-rendered", "error"); el.textContent = "chart failed: " + e;
        console.error(e); });
  });
  Promise.all(jobs).then(function () { document.body.setAttribute("data-charts", "done"); });

  function key(td, kind) {
    var v = td.hasAttribute("data-sort") ? td.getAttribute("data-sort") : td.textContent.trim();
    if (kind === "num") { var n = parseFloat(v); return isNaN(n) ? -Infinity : n; }
    return v.toLowerCase();
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.querySelectorAll("thead th");
    heads.forEach(function (th, col) {
      th.tabIndex = 0;
      function sort() {
        var kind = th.getAttribute("data-kind") || "text";
        var asc = th.getAttribute("aria-sort") !== "ascending";
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = key(a.cells[col], kind), y = key(b.cells[col], kind);
          return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
    });
  });
  document.querySelectorAll("input.filter").forEach(function (input) {
    var table = document.getElementById(input.getAttribute("data-table"));
    var count = document.querySelector(".filter-count[data-table='" + input.getAttribute("data-table") + "']");
    input.addEventListener("input", function () {
      var q = input.value.trim().toLowerCase(), shown = 0, rows = table.tBodies[0].rows;
      for (var i = 0; i < rows.length; i++) {
        var hit = !q || rows[i].textContent.toLowerCase().indexOf(q) >= 0;
        rows[i].hidden = !hit; if (hit) { shown++; }
      }
      if (count) { count.textContent = shown + " of " + rows.length + " rows"; }
    });
  });
})();
"""
"""The initialiser: embeds every chart (SVG, no actions menu: no link out), sorts and filters tables."""

_CSS = """
:root { --fg: #1f2933; --muted: #616e7c; --line: #d9e2ec; --bg: #ffffff; --soft: #f5f7fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans KR", sans-serif;
       color: var(--fg); background: var(--bg); }
header { background: #102a43; color: #f0f4f8; padding: 20px 32px 12px; }
header h1 { margin: 0 0 4px; font-size: 24px; }
header p { margin: 0 0 8px; color: #bcccdc; }
nav a { color: #9fb3c8; margin-right: 14px; font-size: 13px; text-decoration: none; }
nav a:hover { color: #fff; }
main { max-width: 1180px; margin: 0 auto; padding: 8px 32px 48px; }
section { border-bottom: 1px solid var(--line); padding: 18px 0 24px; }
h2 { font-size: 20px; margin: 8px 0 10px; }
h3 { font-size: 16px; margin: 18px 0 6px; }
.lead { font-size: 16px; }
.muted { color: var(--muted); }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
.card { background: var(--soft); border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 150px;
        font-size: 13px; color: var(--muted); }
.card .big { display: block; font-size: 24px; font-weight: 600; color: var(--fg); }
.card.band-absolute { border-left: 5px solid #c0392b; } .card.band-high { border-left: 5px solid #e67e22; }
.card.band-monitor { border-left: 5px solid #f1c40f; }
ol.top li { margin: 4px 0; }
.scroll { overflow-x: auto; max-height: 640px; overflow-y: auto; border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; font-size: 13px; width: 100%; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { position: sticky; top: 0; background: var(--soft); cursor: pointer; white-space: nowrap; }
table.plain thead th { cursor: default; }
th[aria-sort="ascending"]::after { content: " \\25B2"; } th[aria-sort="descending"]::after { content: " \\25BC"; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.why { min-width: 280px; } td.flags { color: var(--muted); font-size: 12px; }
tr.band-absolute td.share { background: #fadbd8; } tr.band-high td.share { background: #fdebd0; }
tr.band-monitor td.share { background: #fcf3cf; }
#chokepoint-table tr.band-absolute td:nth-child(7) { background: #fadbd8; }
input.filter { padding: 5px 8px; width: 280px; border: 1px solid #9aa5b1; border-radius: 4px; font: inherit; }
.chart { margin: 10px 0; min-height: 60px; }
dl.prov { display: grid; grid-template-columns: 180px 1fr; gap: 4px 16px; font-size: 14px; }
dl.prov dt { color: var(--muted); } dl.prov dd { margin: 0; } dl.prov ul { margin: 0; padding-left: 18px; }
code { font-size: 12px; word-break: break-all; }
ul.notes { color: var(--muted); font-size: 13px; }
footer { max-width: 1180px; margin: 0 auto; padding: 0 32px 32px; color: var(--muted); font-size: 12px; }
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{ csp }}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="scrisk {{ version }}">
<title>{{ title }}</title>
<style>{{ css }}</style>
</head>
<body>
<header>
<h1>{{ title }}</h1>
<p>{{ subtitle }}</p>
<nav>{% for s, r in sections %}<a href="#{{ s.id }}">{{ s.title }}</a>{% endfor %}</nav>
</header>
<main>
{% for s, r in sections %}
<section id="{{ s.id }}">
<h2>{{ s.title }}</h2>
{{ r.body }}
</section>
{% endfor %}
</main>
<footer>Made by scrisk {{ version }}. Shares and HHIs describe whole HS codes; see the provenance for the inputs.</footer>
<script type="application/json" id="scrisk-charts">{{ charts }}</script>
<script>{{ bundle }}</script>
<script>{{ init }}</script>
</body>
</html>
"""


def _clean(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def safe_json(obj: Any) -> str:
    """JSON that can sit inside a ``<script>`` element: no ``<``, ``>`` or ``&`` survives as itself.

    Examples
    --------
    >>> safe_json({"name": "</script><script>alert(1)</script>"})
    '{"name":"\\\\u003c/script\\\\u003e\\\\u003cscript\\\\u003ealert(1)\\\\u003c/script\\\\u003e"}'
    >>> json.loads(safe_json({"x": float("nan"), "t": "a&b"}))
    {'x': None, 't': 'a&b'}
    """
    text = json.dumps(_clean(obj), ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=str)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def content_policy(*scripts: str) -> str:
    """The page's Content-Security-Policy: these inline scripts only (by hash), inline styles, no fetch at all.

    No network source is allowed at all, so an opened report cannot load anything even by mistake.

    Examples
    --------
    >>> content_policy("1;").split("; ")[:2]
    ["default-src 'none'", "script-src 'unsafe-eval' 'sha256-CImjRDTlhukYQ2AnxOi0wzgPhGQ3Mb3rVwJK24dFz1M='"]
    """
    return "; ".join([
        "default-src 'none'",
        # Vega compiles its expressions with Function(): 'unsafe-eval' is needed; inline scripts run only by hash
        "script-src 'unsafe-eval' " + " ".join(_sha256(s) for s in scripts),
        "style-src 'unsafe-inline'",
        "img-src data:",
        "base-uri 'none'",
        "form-action 'none'",
    ])


def render_page(data, rendered: list, *, bundle: str) -> str:
    """The whole HTML document from the rendered sections (pairs of Section and Rendered)."""
    from scrisk import __version__

    meta = data.meta
    year = meta.get("analysis_year")
    charts = [{"id": c.id, "spec": c.spec} for _, r in rendered for c in r.charts]
    bundle = bundle.replace("</script", "<\\/script")
    init = INIT_JS
    title = f"Import dependencies: {data.importers}" + (f", {year}" if year else "")
    inputs = meta.get("inputs") or []
    subtitle = (f"{len(data.rows)} importer–product pairs from "
                + (f"{len(inputs)} input file{'s' if len(inputs) != 1 else ''}" if inputs else "the bundled example")
                + f"; HS revision {meta.get('hs_revision') or 'not recorded'}; generated {meta.get('generated_at', '')}"
                + f" by scrisk {__version__}")
    if data.shock is not None:
        sc = data.shock["meta"].get("scenario") or {}
        subtitle += f"; scenario: {sc.get('title') or sc.get('name') or ''}"
    return str(template(
        _PAGE, csp=content_policy(bundle, init), version=__version__, title=title, subtitle=subtitle,
        css=Markup(_CSS), sections=rendered, charts=Markup(safe_json(charts)), bundle=Markup(bundle),
        init=Markup(init),
    ))
