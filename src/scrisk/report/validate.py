"""Render the result of ``scrisk validate`` (a :meth:`ValidationResult.to_dict`) as table, json, csv or md.

* json: the whole result dict (the stable contract).
* csv: one row per outcome -- ``(accepted)`` first, then each rejection
  reason -- with kind, rows, value_usd and value_share; the rows column sums
  to ``rows_read``.
* md: a summary list, the outcome table, per-file counts and unknown codes.
* table: the same for humans (rich).
"""

from __future__ import annotations

from typing import Any, Mapping

from scrisk.report.render import Column, format_value, to_csv, to_json, to_markdown, to_rich_table

__all__ = ["render_validation", "render_mirror", "outcome_rows", "OUTCOME_COLUMNS", "FILE_COLUMNS", "UNKNOWN_COLUMNS"]


def _kind_style(kind: Any) -> str | None:
    return {"defect": "red", "structural": "yellow", "accepted": "green"}.get(kind)


OUTCOME_COLUMNS = [
    Column("reason", "Outcome"),
    Column("kind", "Kind", style=_kind_style),
    Column("rows", "Rows", "int"),
    Column("value_usd", "Value", "usd"),
    Column("value_share", "Share of value", "share"),
]
FILE_COLUMNS = [
    Column("file", "File"),
    Column("source_format", "Format"),
    Column("encoding", "Encoding"),
    Column("hs_revision", "HS"),
    Column("rows_read", "Read", "int"),
    Column("rows_accepted", "Accepted", "int"),
    Column("rows_rejected", "Rejected", "int"),
    Column("value_usd_accepted", "Value accepted", "usd"),
]
UNKNOWN_COLUMNS = [
    Column("code", "Unknown code"),
    Column("value_usd", "Value", "usd"),
    Column("share", "Share of value", "share"),
]
_CSV_COLUMNS = ("reason", "kind", "rows", "value_usd", "value_share")


def outcome_rows(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Rows of the outcome table: accepted first, then each rejection reason.

    Examples
    --------
    >>> r = {"rows_accepted": 9, "value_usd_accepted": 90.0, "value_usd_total": 100.0,
    ...      "rows": [{"reason": "negative value", "kind": "defect", "rows": 1,
    ...                "value_usd": 10.0, "value_share": 0.1}]}
    >>> [(x["reason"], x["rows"]) for x in outcome_rows(r)]
    [('(accepted)', 9), ('negative value', 1)]
    """
    total = result.get("value_usd_total") or 0.0
    acc_v = result.get("value_usd_accepted", 0.0)
    first = {
        "reason": "(accepted)",
        "kind": "accepted",
        "rows": result.get("rows_accepted", 0),
        "value_usd": acc_v,
        "value_share": (acc_v / total) if total > 0 else None,
    }
    return [first] + [dict(r) for r in result.get("rows", [])]


def _summary_lines(result: Mapping[str, Any]) -> list[str]:
    meta = result.get("meta", {})
    years = ", ".join(str(y) for y in result.get("years", [])) or "–"
    lines = [
        f"status: {result.get('status')}",
        f"rows read {result.get('rows_read', 0):,} = accepted {result.get('rows_accepted', 0):,} + "
        f"rejected {result.get('rows_rejected', 0):,}",
        f"value accepted: {format_value(result.get('value_usd_accepted'), 'usd')} "
        f"of {format_value(result.get('value_usd_total'), 'usd')} read",
        f"years: {years}; HS revision: {result.get('hs_revision') or 'unknown'}; "
        f"format: {result.get('source_format')}",
    ]
    if result.get("quarantine"):
        lines.append(f"rejected rows written to {result['quarantine']}")
    for n in meta.get("notes", []) or []:
        lines.append(f"note: {n}")
    return lines


def render_validation(result: Mapping[str, Any], fmt: str):
    """Render a validation result dict in ``fmt`` (str for json/csv/md, a rich renderable for table)."""
    fmt = getattr(fmt, "value", fmt)
    if fmt == "json":
        return to_json(result)
    rows = outcome_rows(result)
    if fmt == "csv":
        return to_csv(rows, list(_CSV_COLUMNS))
    files = result.get("files", [])
    unknown = result.get("unknown_codes", [])
    if fmt == "md":
        parts = ["### scrisk validate", ""]
        parts += [f"- {line}" for line in _summary_lines(result)] + [""]
        parts.append(to_markdown(rows, OUTCOME_COLUMNS, title="Rows by outcome"))
        if len(files) > 1:
            parts.append(to_markdown(files, FILE_COLUMNS, title="Files"))
        if unknown:
            parts.append(to_markdown(unknown, UNKNOWN_COLUMNS, title="Unknown country codes"))
        return "\n".join(parts)
    from rich.console import Group
    from rich.text import Text

    items: list[Any] = [Text(line) for line in _summary_lines(result)]
    items.append(to_rich_table(rows, OUTCOME_COLUMNS, title="Rows by outcome"))
    if len(files) > 1:
        items.append(to_rich_table(files, FILE_COLUMNS, title="Files"))
    if unknown:
        items.append(to_rich_table(unknown[:20], UNKNOWN_COLUMNS, title="Unknown country codes"))
    return Group(*items)


MIRROR_PAIR_COLUMNS = [
    Column("year", "Year"),
    Column("month", "Month"),
    Column("exporter", "Exporter"),
    Column("importer", "Importer"),
    Column("flows", "Products", "int"),
    Column("importer_value_usd", "Importer reports", "usd"),
    Column("exporter_value_usd", "Exporter reports", "usd"),
    Column("gap_usd", "Gap (M - X)", "usd"),
    Column("ratio", "M / X", "float"),
]
MIRROR_PRODUCT_COLUMNS = [c for c in MIRROR_PAIR_COLUMNS if c.key not in ("exporter", "importer")]
MIRROR_PRODUCT_COLUMNS.insert(2, Column("hs", "HS"))
MIRROR_PRODUCT_COLUMNS[3] = Column("flows", "Pairs", "int")


def render_mirror(result: Mapping[str, Any], fmt: str):
    """Render ``validate --mirror``: the rule, counts, then gaps per pair and per product."""
    fmt = getattr(fmt, "value", fmt)
    if fmt == "json":
        return to_json(result)
    m = result["mirror"]
    if fmt == "csv":
        return to_csv(m["by_pair"], [c.key for c in MIRROR_PAIR_COLUMNS])
    counts = m.get("flows", {})
    lines = [
        f"rule: {m['rule']}",
        f"flows reported by both sides: {counts.get('both', 0):,}; importer only: {counts.get('importer_only', 0):,}; "
        f"exporter only: {counts.get('exporter_only', 0):,}",
    ]
    if m.get("note"):
        lines.append(m["note"])
    if fmt == "md":
        parts = ["### scrisk validate --mirror", ""] + [f"- {x}" for x in lines] + [""]
        parts.append(to_markdown(m["by_pair"], MIRROR_PAIR_COLUMNS, title="Mirror gap per pair"))
        parts.append(to_markdown(m["by_product"], MIRROR_PRODUCT_COLUMNS, title="Mirror gap per product"))
        return "\n".join(parts)
    from rich.console import Group
    from rich.text import Text

    by_pair = sorted(m["by_pair"], key=lambda r: -abs(r.get("gap_usd") or 0))[:25]
    return Group(*[Text(x) for x in lines],
                 to_rich_table(by_pair, MIRROR_PAIR_COLUMNS, title="Mirror gap per pair (largest 25)"),
                 to_rich_table(m["by_product"], MIRROR_PRODUCT_COLUMNS, title="Mirror gap per product"))
