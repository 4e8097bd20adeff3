"""Render ``scrisk check`` and ``scrisk diff`` results. Renderers return; they never print.

``check`` (a :meth:`CheckResult.to_dict`):

* ``text`` -- plain lines for logs: verdict, inputs, each breach and
  completeness problem, a line per rule.
* ``json`` -- the result dict, the stable contract
  ``{meta, summary, breaches, incomplete, rows}``.
* ``junit`` -- JUnit XML: one ``<testsuite>`` per rule, one ``<testcase>``
  per (rule, importer, HS code) evaluated. An error-severity breach is a
  ``<failure>``; a warning-severity breach passes, with the warning in the
  test case's ``<system-out>``; a pair below ``min_import_usd``, or whose
  rule has no threshold the data can judge, is ``<skipped>``; a watched product absent from the data is an ``<error>``
  test case of its rule, and defect rejections beyond ``--max-rejected`` are
  ``<error>`` test cases of a last ``scrisk.input`` suite. So CI dashboards
  count failures + errors exactly when ``scrisk check`` exits 1.
* ``github`` -- GitHub Actions workflow commands: ``::error`` for error
  breaches and incompleteness, ``::warning`` for warnings (pointing at the
  rule's line in the policy file), and a closing ``::notice`` with the
  summary.
* ``md`` -- a Markdown summary for ``$GITHUB_STEP_SUMMARY``.

``diff`` (a :meth:`DiffResult.to_dict`): ``table`` (rich), ``json``,
``csv`` (every field) and ``md``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any, Mapping, Sequence

from scrisk.safetext import md_cell, text_line, xml_chars
from scrisk.report.render import Column, format_value, to_csv, to_json, to_markdown, to_rich_table

__all__ = [
    "render_check",
    "check_text",
    "check_junit",
    "check_github",
    "check_markdown",
    "render_diff",
    "DIFF_COLUMNS",
    "DIFF_TABLE_COLUMNS",
    "BREACH_COLUMNS",
    "ROW_COLUMNS",
]

MD_MAX_ROWS = 500
"""Evaluated pairs listed in the Markdown summary (GitHub caps a job summary at 1 MiB)."""

_VERDICT = {"pass": "PASSED", "fail": "FAILED", "incomplete": "INCOMPLETE"}
_MD_VERDICT = {"pass": "✅ passed", "fail": "❌ failed", "incomplete": "⚠️ incomplete run"}
_KIND = {"max_hhi": "hhi", "max_top_share": "share", "min_suppliers": "int", "max_world_export_hhi": "hhi",
         "max_hhi_increase": "hhi", "max_top_share_increase": "share"}

BREACH_COLUMNS = [
    Column("severity", "Severity"),
    Column("rule", "Rule"),
    Column("importer", "Importer"),
    Column("product", "Product"),
    Column("threshold_key", "Threshold"),
    Column("value_text", "Measured", "num"),
    Column("threshold_text", "Limit", "num"),
    Column("baseline_text", "Baseline", "num"),
    Column("top_supplier", "Top supplier"),
    Column("import_value_usd", "Imports", "usd"),
]
ROW_COLUMNS = [
    Column("rule", "Rule"),
    Column("importer", "Importer"),
    Column("product", "Product"),
    Column("status", "Status"),
    Column("import_value_usd", "Imports", "usd"),
    Column("n_suppliers", "Suppliers", "int"),
    Column("top_supplier", "Top supplier"),
    Column("top_share", "Top share", "share"),
    Column("hhi", "HHI", "hhi"),
    Column("world_export_hhi", "World export HHI", "hhi"),
]


def _product(r: Mapping[str, Any]) -> str:
    return f"{r['hs']} ({r['material']})" if r.get("material") else str(r["hs"])


def _fmt(v: Any, key: str) -> str:
    if v is None:
        return "–"
    if key == "max_top_share_increase":
        return f"{v * 100:+.1f} pts"
    if key == "max_hhi_increase":
        return f"{v:+.3f}"
    return format_value(v, _KIND.get(key, "float"))


def _limit(v: Any, key: str) -> str:
    if key == "max_top_share_increase":
        return f"{v * 100:g} pts"
    if key in ("max_top_share",):
        return f"{v * 100:g}%"
    if key == "min_suppliers":
        return f">= {int(v)}"
    return f"{v:g}"


def _breach_rows(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    out = []
    for b in result.get("breaches", []):
        base = b.get("baseline_value")
        if base is not None:
            base = format_value(base, "share" if b["threshold_key"] == "max_top_share_increase" else "hhi")
            base = f"{base} ({b['baseline_year']})"
        out.append({**b, "product": _product(b), "value_text": _fmt(b["value"], b["threshold_key"]),
                    "threshold_text": _limit(b["threshold"], b["threshold_key"]), "baseline_text": base or "–"})
    return out


def _inputs_line(meta: Mapping[str, Any]) -> str:
    inputs = ", ".join(meta.get("inputs") or []) or "–"
    read = meta.get("read") or {}
    bits = [f"year {meta.get('year')}"]
    if meta.get("hs_revision"):
        bits.append(str(meta["hs_revision"]))
    if read:
        bits.append(f"{read.get('rows_read', 0):,} rows read, {read.get('defects', 0):,} defects")
    return f"{inputs} ({'; '.join(bits)})"


def _baseline_line(meta: Mapping[str, Any]) -> str | None:
    b = meta.get("baseline")
    if not b:
        return None
    rev = f", {b['hs_revision']}" if b.get("hs_revision") else ""
    return f"{', '.join(b.get('inputs') or []) or '–'} (year {b.get('year')}{rev})"


def _headline(s: Mapping[str, Any]) -> str:
    return (f"{s['errors']} error breach{'es' if s['errors'] != 1 else ''}, "
            f"{s['warnings']} warning{'s' if s['warnings'] != 1 else ''}, "
            f"{s['incomplete']} incompleteness problem{'s' if s['incomplete'] != 1 else ''}; "
            f"{s['evaluated']} pair{'s' if s['evaluated'] != 1 else ''} evaluated against {s['rules']} "
            f"rule{'s' if s['rules'] != 1 else ''}" + (f" ({s['not_judged']} below min_import_usd, not judged)"
                                                       if s.get("not_judged") else "")
            + (f"; {s['not_evaluable']} threshold{'s' if s['not_evaluable'] != 1 else ''} not evaluable on the data"
               if s.get("not_evaluable") else ""))


def _per_rule(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    meta = result.get("meta", {})
    names = (meta.get("policy") or {}).get("rules") or sorted({r["rule"] for r in result.get("rows", [])})
    out = []
    for name in names:
        rows = [r for r in result.get("rows", []) if r["rule"] == name]
        sev = next((r["severity"] for r in rows), None)
        out.append({
            "rule": name,
            "severity": sev or (meta.get("policy") or {}).get("severities", {}).get(name, ""),
            "evaluated": sum(1 for r in rows if r["status"] not in ("not_judged", "not_evaluable")),
            "passed": sum(1 for r in rows if r["status"] == "pass"),
            "failed": sum(1 for r in rows if r["status"] == "fail"),
            "warned": sum(1 for r in rows if r["status"] == "warn"),
            "not_judged": sum(1 for r in rows if r["status"] == "not_judged"),
            "absent": sum(1 for i in result.get("incomplete", []) if i.get("rule") == name),
            "not_evaluable": next((n["keys"] for n in result.get("not_evaluable", []) if n["rule"] == name), []),
        })
    return out


# ---------------------------------------------------------------------------
# check: text


def check_text(result: Mapping[str, Any]) -> str:
    """Render a check result as plain text for humans and CI logs.

    Examples
    --------
    >>> r = {"meta": {"inputs": ["new.csv"], "year": 2024, "policy": {"path": "p.toml", "rules": ["r1"]}},
    ...      "summary": {"rules": 1, "evaluated": 1, "not_judged": 0, "breaches": 0, "errors": 0,
    ...                  "warnings": 0, "incomplete": 0, "status": "pass", "exit_code": 0},
    ...      "breaches": [], "incomplete": [], "rows": [{"rule": "r1", "severity": "error", "status": "pass"}]}
    >>> print(check_text(r).splitlines()[0])
    scrisk check PASSED: 0 error breaches, 0 warnings, 0 incompleteness problems; 1 pair evaluated against 1 rule
    """
    meta, s = result.get("meta", {}), result["summary"]
    pol = meta.get("policy") or {}
    blind = (f", {s['not_evaluable']} threshold{'s' if s['not_evaluable'] != 1 else ''} not evaluable"
             if s.get("not_evaluable") else "")
    lines = [f"scrisk check {_VERDICT[s['status']]}{blind}: {_headline(s)}"]
    title = f" \"{pol['title']}\"" if pol.get("title") else ""
    lines.append(f"  policy:   {pol.get('path') or '–'}{title}")
    lines.append(f"  data:     {_inputs_line(meta)}")
    bl = _baseline_line(meta)
    if bl:
        lines.append(f"  baseline: {bl}")
    for n in meta.get("notes") or []:
        lines.append(f"  note:     {n}")
    errors = [b for b in result.get("breaches", []) if b["severity"] == "error"]
    warnings = [b for b in result.get("breaches", []) if b["severity"] != "error"]
    for head, tag, items in (("Error breaches", "ERROR", errors), ("Warnings", "WARNING", warnings),
                             ("Incomplete run", "INCOMPLETE", result.get("incomplete", [])),
                             ("Not evaluable", "N/A", result.get("not_evaluable", []))):
        if items:
            lines += ["", f"{head} ({len(items)}):"]
            lines += [f"  {tag:<10} {b['message']}" for b in items]
    per = _per_rule(result)
    if per:
        lines += ["", "Rules:"]
        width = max(len(p["rule"]) for p in per)
        for p in per:
            blind = f", not evaluable: {', '.join(p['not_evaluable'])}" if p["not_evaluable"] else ""
            lines.append(f"  {p['rule']:<{width}}  {p['severity'] or '':<7}  {p['evaluated']} evaluated, "
                         f"{p['failed']} failed, {p['warned']} warned, {p['not_judged']} not judged, "
                         f"{p['absent']} absent{blind}")
    # names and messages come from policy and data files: one line each, none starting with "::"
    return "\n".join(text_line(ln) for ln in lines) + "\n"


# ---------------------------------------------------------------------------
# check: JUnit XML


def _suite(parent: ET.Element, name: str) -> ET.Element:
    return ET.SubElement(parent, "testsuite", name=name)


def _count(suite: ET.Element) -> dict[str, int]:
    cases = suite.findall("testcase")
    return {
        "tests": len(cases),
        "failures": sum(1 for c in cases if c.find("failure") is not None),
        "errors": sum(1 for c in cases if c.find("error") is not None),
        "skipped": sum(1 for c in cases if c.find("skipped") is not None),
    }


def check_junit(result: Mapping[str, Any]) -> str:
    """Render a check result as JUnit XML (see the module docstring for the mapping).

    Examples
    --------
    >>> r = {"meta": {"policy": {"path": "p.toml", "rules": ["r1"]}},
    ...      "summary": {"status": "fail"},
    ...      "breaches": [{"rule": "r1", "severity": "error", "importer": "KOR", "hs": "811292",
    ...                    "threshold_key": "max_top_share", "message": "CHN supplies 92.4%"}],
    ...      "incomplete": [],
    ...      "rows": [{"rule": "r1", "severity": "error", "importer": "KOR", "hs": "811292", "material": "gallium",
    ...                "status": "fail", "note": ""}]}
    >>> root = ET.fromstring(check_junit(r))
    >>> root.get("tests"), root.get("failures"), root.find("testsuite/testcase").get("name")
    ('2', '1', 'KOR 811292 (gallium)')
    """
    meta = result.get("meta", {})
    pol = meta.get("policy") or {}
    root = ET.Element("testsuites", name="scrisk check")
    names = list(pol.get("rules") or [])
    for r in result.get("rows", []):
        if r["rule"] not in names:
            names.append(r["rule"])
    for name in names:
        suite = _suite(root, name)
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="policy", value=str(pol.get("path") or ""))
        ET.SubElement(props, "property", name="year", value=str(meta.get("year", "")))
        for r in [r for r in result.get("rows", []) if r["rule"] == name]:
            case = ET.SubElement(suite, "testcase", classname=f"scrisk.check.{name}",
                                 name=f"{r['importer']} {_product(r)}", time="0")
            hits = [b for b in result.get("breaches", [])
                    if b["rule"] == name and b["importer"] == r["importer"] and b["hs"] == r["hs"]]
            if r["status"] in ("not_judged", "not_evaluable"):
                ET.SubElement(case, "skipped", message=r.get("note") or r["status"].replace("_", " "))
            elif r["status"] == "fail":
                el = ET.SubElement(case, "failure", message=hits[0]["message"] if len(hits) == 1
                                   else f"{len(hits)} thresholds crossed",
                                   type=",".join(b["threshold_key"] for b in hits))
                el.text = "\n".join(b["message"] for b in hits)
            elif r["status"] == "warn":
                ET.SubElement(case, "system-out").text = "\n".join("WARNING: " + b["message"] for b in hits)
        for item in [i for i in result.get("incomplete", []) if i.get("rule") == name]:
            case = ET.SubElement(suite, "testcase", classname=f"scrisk.check.{name}",
                                 name=f"{item['importer']} {'/'.join(item['hs'])} (absent)", time="0")
            ET.SubElement(case, "error", message=item["message"], type="absent").text = item["message"]
    suite = _suite(root, "scrisk.input")
    sides = ["checked data"] + (["baseline"] if meta.get("baseline") else [])
    for side in sides:
        case = ET.SubElement(suite, "testcase", classname="scrisk.input", name=f"{side}: defect rejections within "
                             "--max-rejected", time="0")
        for item in result.get("incomplete", []):
            if item.get("kind") == "rejected" and item.get("side") == side:
                ET.SubElement(case, "error", message=item["message"], type="rejected").text = item["message"]
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for s in root.findall("testsuite"):
        c = _count(s)
        for k, v in c.items():
            s.set(k, str(v))
            totals[k] += v
        s.set("time", "0")
    for k, v in totals.items():
        root.set(k, str(v))
    for el in root.iter():  # XML 1.0 cannot hold control characters: drop them from names and messages
        el.attrib.update({k: xml_chars(v) for k, v in el.attrib.items()})
        if el.text:
            el.text = xml_chars(el.text)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# ---------------------------------------------------------------------------
# check: GitHub annotations


def _gh_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(s: str) -> str:
    return _gh_data(s).replace(":", "%3A").replace(",", "%2C")


def check_github(result: Mapping[str, Any]) -> str:
    """Render a check result as GitHub Actions workflow commands (one per line).

    Examples
    --------
    >>> r = {"meta": {"policy": {"path": "p.toml", "lines": {"r1": 3}}},
    ...      "summary": {"rules": 1, "evaluated": 1, "not_judged": 0, "errors": 1, "warnings": 0,
    ...                  "incomplete": 0, "status": "fail"},
    ...      "breaches": [{"rule": "r1", "severity": "error", "message": "KOR: 92.4%, above 90%"}],
    ...      "incomplete": []}
    >>> print(check_github(r).splitlines()[0])
    ::error file=p.toml,line=3,title=scrisk check%3A r1::KOR: 92.4%25, above 90%25
    """
    meta, s = result.get("meta", {}), result["summary"]
    pol = meta.get("policy") or {}
    lines_of = pol.get("lines") or {}
    out = []
    for b in result.get("breaches", []):
        cmd = "error" if b["severity"] == "error" else "warning"
        props = []
        if pol.get("path"):
            props.append(f"file={_gh_prop(str(pol['path']))}")
            if lines_of.get(b["rule"]):
                props.append(f"line={int(lines_of[b['rule']])}")
        props.append(f"title={_gh_prop('scrisk check: ' + b['rule'])}")
        out.append(f"::{cmd} {','.join(props)}::{_gh_data(b['message'])}")
    for item in result.get("incomplete", []):
        props = []
        if item.get("rule") and pol.get("path"):
            props.append(f"file={_gh_prop(str(pol['path']))}")
            if lines_of.get(item["rule"]):
                props.append(f"line={int(lines_of[item['rule']])}")
        props.append(f"title={_gh_prop('scrisk check: incomplete run')}")
        out.append(f"::error {','.join(props)}::{_gh_data(item['message'])}")
    for item in result.get("not_evaluable", []):
        out.append(f"::notice title={_gh_prop('scrisk check: not evaluable')}::{_gh_data(item['message'])}")
    out.append(f"::notice title={_gh_prop('scrisk check ' + _VERDICT[s['status']].lower())}::"
               f"{_gh_data(_headline(s))}")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------
# check: Markdown


def check_markdown(result: Mapping[str, Any]) -> str:
    """Render a check result as a Markdown job summary.

    Examples
    --------
    >>> r = {"meta": {"inputs": ["new.csv"], "year": 2024, "policy": {"path": "p.toml", "rules": []}},
    ...      "summary": {"rules": 0, "evaluated": 0, "not_judged": 0, "errors": 0, "warnings": 0,
    ...                  "incomplete": 0, "status": "pass"}, "breaches": [], "incomplete": [], "rows": []}
    >>> print(check_markdown(r).splitlines()[0])
    ## scrisk check: ✅ passed
    """
    meta, s = result.get("meta", {}), result["summary"]
    pol = meta.get("policy") or {}
    title = f" — {md_cell(pol['title'])}" if pol.get("title") else ""
    lines = [f"## scrisk check: {_MD_VERDICT[s['status']]}{title}", "", _headline(s) + ".", ""]
    lines.append(f"- policy: `{md_cell(pol.get('path') or '–').replace('`', '')}`")
    lines.append(f"- data: {md_cell(_inputs_line(meta))}")
    bl = _baseline_line(meta)
    if bl:
        lines.append(f"- baseline: {md_cell(bl)}")
    for n in meta.get("notes") or []:
        lines.append(f"- note: {md_cell(n)}")
    if meta.get("scrisk_version"):
        lines.append(f"- scrisk {meta['scrisk_version']}, {meta.get('generated_at', '')}")
    lines.append("")
    brows = _breach_rows(result)
    if brows:
        lines.append(to_markdown(brows, BREACH_COLUMNS, title=f"Breaches ({len(brows)})"))
    if result.get("incomplete"):
        lines += [f"### Incomplete run ({len(result['incomplete'])})", ""]
        lines += [f"- {md_cell(i['message'])}" for i in result["incomplete"]]
        lines.append("")
    if result.get("not_evaluable"):
        lines += [f"### Not evaluable ({len(result['not_evaluable'])})", ""]
        lines += [f"- {md_cell(i['message'])}" for i in result["not_evaluable"]]
        lines.append("")
    rows = [{**r, "product": _product(r)} for r in result.get("rows", [])]
    if rows:
        lines += [f"<details><summary>All evaluated pairs ({len(rows)})</summary>", ""]
        lines.append(to_markdown(rows[:MD_MAX_ROWS], ROW_COLUMNS))
        if len(rows) > MD_MAX_ROWS:
            lines.append(f"_first {MD_MAX_ROWS} of {len(rows)} pairs; `--format json` lists them all_")
        lines += ["</details>", ""]
    return "\n".join(lines)


def render_check(result: Mapping[str, Any], fmt: str) -> str:
    """Render a check result dict in ``fmt``: text, json, junit, github or md."""
    fmt = getattr(fmt, "value", fmt)
    if fmt == "json":
        return to_json(result)
    if fmt == "junit":
        return check_junit(result)
    if fmt == "github":
        return check_github(result)
    if fmt == "md":
        return check_markdown(result)
    return check_text(result)


# ---------------------------------------------------------------------------
# diff


def _change_style(kind: Any) -> str | None:
    if kind in ("new_single_source", "hhi_increase", "supplier_lost", "vanished", "single_source_switch",
                "world_export_hhi_increase"):
        return "red"
    if kind in ("resolved_single_source", "hhi_decrease", "supplier_gained", "appeared", "world_export_hhi_decrease"):
        return "green"
    return None


DIFF_COLUMNS = [
    Column("change", "Change", style=_change_style),
    Column("importer", "Importer"),
    Column("hs", "HS"),
    Column("material", "Material"),
    Column("supplier", "Supplier"),
    Column("old_import_value_usd", "Old imports", "usd"),
    Column("new_import_value_usd", "New imports", "usd"),
    Column("old_hhi", "Old HHI", "hhi"),
    Column("new_hhi", "New HHI", "hhi"),
    Column("detail", "Detail"),
]


DIFF_TABLE_COLUMNS = [c for c in DIFF_COLUMNS if c.key in ("change", "importer", "hs", "material", "supplier",
                                                             "detail")]
"""The narrower column set of the rich table (the detail text carries the numbers)."""


def _diff_headline(result: Mapping[str, Any]) -> str:
    s = result["summary"]
    meta = result.get("meta", {})
    o, n = meta.get("old", {}), meta.get("new", {})
    kinds = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in s.items() if not k.startswith("pairs_"))
    return (f"{', '.join(o.get('inputs') or [])} ({o.get('year')}) -> {', '.join(n.get('inputs') or [])} "
            f"({n.get('year')}); pairs {s['pairs_old']} -> {s['pairs_new']} ({s['pairs_common']} in both). {kinds}")


def render_diff(result: Mapping[str, Any], fmt: str):
    """Render a diff result dict in ``fmt``: table (a rich renderable), json, csv or md (str).

    Examples
    --------
    >>> r = {"meta": {"old": {"inputs": ["a.csv"], "year": 2022}, "new": {"inputs": ["b.csv"], "year": 2024}},
    ...      "summary": {"pairs_old": 1, "pairs_new": 1, "pairs_common": 1, "supplier_lost": 1},
    ...      "rows": [{"change": "supplier_lost", "importer": "KOR", "hs": "811292", "supplier": "JPN"}]}
    >>> print(render_diff(r, "csv").splitlines()[1])
    supplier_lost,KOR,811292,,JPN,,,,,,,,,,,,,,,,,,,,
    """
    from scrisk.policy.diff import DIFF_FIELDS

    fmt = getattr(fmt, "value", fmt)
    rows: Sequence[Mapping[str, Any]] = result.get("rows", [])
    if fmt == "json":
        return to_json(result)
    if fmt == "csv":
        return to_csv(rows, list(DIFF_FIELDS))
    if fmt == "md":
        head = ["## scrisk diff", "", _diff_headline(result), ""]
        head += [f"- note: {n}" for n in result.get("meta", {}).get("notes") or []]
        return "\n".join(head) + "\n" + to_markdown(rows, DIFF_COLUMNS)
    from rich.console import Group
    from rich.text import Text

    notes = [Text(f"note: {n}", style="yellow") for n in result.get("meta", {}).get("notes") or []]
    return Group(Text(_diff_headline(result)), *notes, to_rich_table(rows, DIFF_TABLE_COLUMNS, title="scrisk diff"))
