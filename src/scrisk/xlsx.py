"""Excel workbooks of scrisk results: one sheet per table plus a provenance sheet.

:func:`write_xlsx` takes a result's JSON contract (``to_dict()`` of
``analyze``, ``shock``, ``check`` or ``diff``) and writes an ``.xlsx`` file
with openpyxl. Numbers stay numbers (never text), shares (fields named
``*share*`` and a few others on the 0-1 scale) carry a percentage number
format, US dollars a thousands format, HHIs three decimals; the header row
is bold, frozen and filtered. Lists become comma-separated text, nested
records JSON text. The ``provenance`` sheet lists every ``meta`` entry
(nested keys dotted: ``read.rows_rejected``).

Examples
--------
>>> import tempfile, os
>>> from openpyxl import load_workbook
>>> result = {"meta": {"scrisk_version": "0.1.0", "years": [2024], "read": {"rows_read": 3}},
...           "rows": [{"rank": 1, "importer": "KOR", "hs": "811292", "import_value_usd": 1e8,
...                     "top_share": 0.924, "hhi": 0.856, "flags": ["absolute_dependence"]}]}
>>> path = os.path.join(tempfile.mkdtemp(), "analyze.xlsx")
>>> write_xlsx(result, path, kind="analyze")
>>> wb = load_workbook(path)
>>> wb.sheetnames
['dependencies', 'provenance']
>>> ws = wb["dependencies"]
>>> [c.value for c in ws[2]], ws["E2"].number_format, ws.freeze_panes
([1, 'KOR', '811292', 100000000, 0.924, 0.856, 'absolute_dependence'], '0.0%', 'A2')
>>> [(r[0].value, r[1].value) for r in wb["provenance"].iter_rows(min_row=2)]
[('scrisk_version', '0.1.0'), ('years', '2024'), ('read.rows_read', 3)]
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Iterable, Mapping

from scrisk.errors import UnreadableFileError, UsageError

__all__ = ["write_xlsx", "KINDS", "SHEETS", "is_share_field"]

SHEETS: dict[str, tuple[tuple[str, str], ...]] = {
    "analyze": (("rows", "dependencies"),),
    "shock": (("rows", "shortfall"), ("totals", "totals"), ("measures", "measures"), ("suppliers", "suppliers"),
              ("downstream", "downstream")),
    "check": (("summary", "summary"), ("breaches", "breaches"), ("incomplete", "incomplete"), ("rows", "rows")),
    "diff": (("summary", "summary"), ("rows", "changes")),
}
"""Per result kind: (key of the JSON contract, sheet title), in sheet order; ``provenance`` comes last."""

KINDS: tuple[str, ...] = tuple(SHEETS)

_SHARE_NAMES = frozenset({"cut", "wgi_coverage", "friendly_share"})
_SHARE_METRICS = frozenset({"top_share", "top_share_increase", "world_top_exporter_share"})
_METRIC_VALUE_FIELDS = frozenset({"value", "threshold", "baseline_value"})
_PCT = "0.0%"
_USD = "#,##0"
_DEC = "0.000"
_MAX_CELL = 32_767  # Excel's limit on the characters of one cell


def is_share_field(name: str) -> bool:
    """True when a field holds a share on the 0-1 scale (shown as a percentage).

    Examples
    --------
    >>> [is_share_field(n) for n in ("top_share", "shortfall_share_of_blocked", "cut", "hhi", "share_x_usd")]
    [True, True, True, False, False]
    """
    if name.endswith("_usd") or name.endswith("_kg"):
        return False
    return name in _SHARE_NAMES or name.endswith("_share") or "_share_" in name or name == "share"


def _is_hhi_field(name: str) -> bool:
    return "hhi" in name


def _cell(value: Any) -> Any:
    """A JSON value as an Excel cell value: numbers stay numbers, lists become text, records JSON."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
            return int(value)
        return value
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
            text = ", ".join(str(v) for v in value)
        else:
            text = json.dumps(value, ensure_ascii=False, default=str)
    elif isinstance(value, Mapping):
        text = json.dumps(value, ensure_ascii=False, default=str)
    else:
        text = str(value)
    return text if len(text) <= _MAX_CELL else text[: _MAX_CELL - 1] + "…"


def _number_format(field: str, value: Any, row: Mapping[str, Any]) -> str | None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    if field == "value" and "field" in row:  # a field/value sheet: the record's field names the number
        return _number_format(str(row["field"]).rsplit(".", 1)[-1], value, {})
    if field in _METRIC_VALUE_FIELDS and "metric" in row:
        metric = str(row.get("metric") or "")
        return _PCT if metric in _SHARE_METRICS else _DEC if _is_hhi_field(metric) else None
    if is_share_field(field):
        return _PCT
    if field.endswith("_usd"):
        return _USD
    if _is_hhi_field(field):
        return _DEC
    return None


def _columns(records: list[Mapping[str, Any]]) -> list[str]:
    cols: dict[str, None] = {}
    for r in records:
        for k in r:
            cols.setdefault(k, None)
    return list(cols)


def _write_table(ws, records: list[Mapping[str, Any]], columns: list[str]) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws.append(columns or ["(no rows)"])
    for c in ws[1]:
        if isinstance(c.value, str) and c.value.startswith("="):
            c.data_type = "s"
    for c in ws[1]:
        c.font = Font(bold=True)
    widths = [len(str(c)) for c in columns]
    for r in records:
        ws.append([_cell(r.get(c)) for c in columns])
        for j, c in enumerate(columns):
            cell = ws.cell(row=ws.max_row, column=j + 1)
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text from an input, never a formula (=HYPERLINK, =cmd|...)
            fmt = _number_format(c, cell.value, r)
            if fmt:
                cell.number_format = fmt
            widths[j] = max(widths[j], min(60, len(str(cell.value)) if cell.value is not None else 0))
    ws.freeze_panes = "A2"
    if columns and records:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{ws.max_row}"
    for j, w in enumerate(widths):
        ws.column_dimensions[get_column_letter(j + 1)].width = max(8, min(60, w + 2))


def _flatten(meta: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    for k, v in meta.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping) and v:
            yield from _flatten(v, key + ".")
        else:
            yield key, v


def _field_value_records(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"field": k, "value": v} for k, v in _flatten(data)]


def write_xlsx(result_dict: Mapping[str, Any], path: str | Path, *, kind: str) -> None:
    """Write a result's JSON contract as an Excel workbook.

    Parameters
    ----------
    result_dict : dict
        ``to_dict()`` of an analyze, shock, check or diff result.
    path : str or Path
        The ``.xlsx`` file to write (replaced when it exists).
    kind : {'analyze', 'shock', 'check', 'diff'}
        Which result it is: decides the sheets (:data:`SHEETS`).

    Raises
    ------
    UsageError
        An unknown ``kind`` (exit code 2).
    UnreadableFileError
        The file cannot be written (exit code 3).
    """
    if kind not in SHEETS:
        raise UsageError(f"xlsx output for {kind!r} is not available; kinds: {', '.join(KINDS)}")
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for key, title in SHEETS[kind]:
        data = result_dict.get(key)
        ws = wb.create_sheet(title)
        if isinstance(data, Mapping):
            recs = _field_value_records(data)
            _write_table(ws, recs, ["field", "value"])
        else:
            recs = list(data or [])
            _write_table(ws, recs, _columns(recs))
    ws = wb.create_sheet("provenance")
    _write_table(ws, _field_value_records(result_dict.get("meta") or {}), ["field", "value"])
    try:
        wb.save(str(path))
    except OSError as exc:
        raise UnreadableFileError(f"cannot write the workbook: {exc.strerror}; check the folder exists and is "
                                  "writable", path=str(path)) from None
