"""Render ``scrisk cache info`` (:meth:`scrisk.engine.cache.InputCache.report`) as table, json, csv or md.

* json: the whole result, ``{"meta", "rows"}`` (the stable contract).
* csv: one row per cache entry.
* md and table: the location, entry count and size, then one row per entry.
"""

from __future__ import annotations

from typing import Any, Mapping

from scrisk.report.render import Column, to_csv, to_json, to_markdown, to_rich_table

__all__ = ["render_cache_info", "format_bytes", "ENTRY_COLUMNS"]

ENTRY_COLUMNS = [
    Column("input", "Input"),
    Column("rows_accepted", "Accepted", "int"),
    Column("rows_rejected", "Rejected", "int"),
    Column("size", "Size"),
    Column("last_used", "Last used"),
    Column("key", "Key"),
]
_CSV_COLUMNS = ("key", "input", "options_fingerprint", "files", "rows_accepted", "rows_rejected", "created",
                "last_used", "size_bytes", "valid")


def format_bytes(n: Any) -> str:
    """A byte count for humans, in binary units.

    Examples
    --------
    >>> format_bytes(0), format_bytes(1536), format_bytes(21474836480), format_bytes(None)
    ('0 B', '1.5 KiB', '20.0 GiB', '–')
    """
    if n is None:
        return "–"
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{int(n)} B" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def _summary(meta: Mapping[str, Any]) -> str:
    """One line: where the cache is, how much it holds, and whether it works.

    Examples
    --------
    >>> _summary({"location": "/c", "entries": 2, "total_bytes": 2048, "max_bytes": 1024**3, "enabled": True})
    '/c: 2 entries, 2.0 KiB (limit 1.0 GiB)'
    """
    n = meta.get("entries", 0)
    line = (f"{meta.get('location')}: {n:,} entr{'y' if n == 1 else 'ies'}, {format_bytes(meta.get('total_bytes'))}"
            f" (limit {format_bytes(meta.get('max_bytes'))})")
    if not meta.get("enabled"):
        line += "; " + (meta.get("disabled_reason") or "cache off")
    return line


def _display_rows(rows: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "size": format_bytes(r.get("size_bytes")), "key": str(r.get("key", ""))[:8]
             + ("" if r.get("valid", True) else " (damaged)"),
             "last_used": str(r.get("last_used") or "").replace("T", " ").rstrip("Z")} for r in rows]


def render_cache_info(result: Mapping[str, Any], fmt: Any):
    """Render a cache report in ``fmt`` (a str for json/csv/md, a rich renderable for table).

    Examples
    --------
    >>> r = {"meta": {"location": "/c", "entries": 0, "total_bytes": 0, "max_bytes": 1024, "enabled": True},
    ...      "rows": []}
    >>> print(render_cache_info(r, "md"), end="")
    ### scrisk cache
    <BLANKLINE>
    /c: 0 entries, 0 B (limit 1.0 KiB)
    <BLANKLINE>
    | Input | Accepted | Rejected | Size | Last used | Key |
    |---|---:|---:|---|---|---|
    """
    fmt = getattr(fmt, "value", fmt)
    rows = list(result.get("rows", []))
    meta = result.get("meta", {})
    if fmt == "json":
        return to_json(result)
    if fmt == "csv":
        return to_csv(rows, _CSV_COLUMNS)
    if fmt == "md":
        table = to_markdown(_display_rows(rows), ENTRY_COLUMNS)
        return f"### scrisk cache\n\n{_summary(meta)}\n\n{table}"
    return to_rich_table(_display_rows(rows), ENTRY_COLUMNS, title="scrisk cache", caption=_summary(meta))
