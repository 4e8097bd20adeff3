"""Render the result of ``scrisk analyze`` (:meth:`scrisk.analysis.AnalysisResult.to_dict`) as table, json, csv or md.

json is the whole result (the stable contract); csv carries every row field
(lists joined with ';'); table and md show a readable selection of columns.

Colour bands in the table (visual aid only; the data carry the numbers):

* top share: red >= 90 %, orange >= 75 %, yellow >= 50 % (the single-source
  bands of Korean practice);
* import and world export HHI: orange above 0.4 (the EU/GeoDep threshold);
* score: red >= 0.7, orange >= 0.55, yellow >= 0.4.

The table leaves out the band and supplier count (the Why text says them);
csv and json carry every field.
"""

from __future__ import annotations

from typing import Any, Mapping

from scrisk.report.render import Column, _meta_line, format_value, render

__all__ = ["analysis_columns", "render_analysis", "share_style", "score_style", "hhi_style", "AnalysisTable", "WIDE"]


def share_style(v: Any) -> str | None:
    """Return the rich style of a top share (0-1)."""
    if not isinstance(v, (int, float)):
        return None
    if v >= 0.9:
        return "bold red"
    if v >= 0.75:
        return "dark_orange"
    if v >= 0.5:
        return "yellow"
    return None


def score_style(v: Any) -> str | None:
    """Return the rich style of a composite score (0-1)."""
    if not isinstance(v, (int, float)):
        return None
    if v >= 0.7:
        return "bold red"
    if v >= 0.55:
        return "dark_orange"
    if v >= 0.4:
        return "yellow"
    return None


def hhi_style(scale: int = 1):
    """Return a style function marking HHIs above 0.4 (4,000 on the 10,000 scale)."""

    def style(v: Any) -> str | None:
        if isinstance(v, (int, float)) and v > 0.4 * scale:
            return "dark_orange"
        return None

    return style


def _band_style(v: Any) -> str | None:
    return {"absolute": "bold red", "high": "dark_orange", "monitor": "yellow"}.get(v)


def analysis_columns(meta: Mapping[str, Any], rows: list[Mapping[str, Any]] | None = None) -> list[Column]:
    """Choose the table/md columns for a result (optional ones when the data carry them)."""
    scale = int(meta.get("hhi_scale") or 1)
    hk = "hhi" if scale == 1 else "int"
    first = rows[0] if rows else {}
    cols = [
        Column("rank", "#", "int"),
        Column("importer", "Importer"),
        Column("hs", "HS"),
        Column("material", "Material"),
        Column("import_value_usd", "Imports", "usd"),
        Column("top_supplier", "Top"),
        Column("top_share", "Share", "share", share_style),
        Column("hhi", "HHI", hk, hhi_style(scale)),
        Column("world_export_hhi", "World", hk, hhi_style(scale)),
        Column("score", "Score", "score", score_style),
    ]
    if "friendly_share" in first:
        cols.append(Column("friendly_share", "Friendly", "share"))
    if "hhi_wgi" in first:
        cols.append(Column("hhi_wgi", "HHI-WGI", hk))
    if "delta_hhi" in first and meta.get("previous_year"):
        cols.append(Column("delta_hhi", f"ΔHHI {meta['previous_year']}", hk))
    if "screen" in first:
        cols.append(Column("screen", "GeoDep"))
    cols.append(Column("why", "Why"))
    return cols


WIDE = 160
"""Console width from which the Why column sits inside the table (narrower: listed under it)."""

_NARROW = ("rank", "importer", "hs", "import_value_usd", "top_supplier", "top_share", "hhi", "world_export_hhi", "score")


def _rich_table(rows: list[Mapping[str, Any]], columns: list[Column], *, title: str, caption: str | None,
                with_why: bool):
    """A compact rich table: numbers never wrap; the Why column takes the remaining width."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title, caption=caption, box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False,
                  expand=with_why)
    shown = [c for c in columns if with_why or c.key in _NARROW]
    for c in shown:
        if c.key == "why":
            table.add_column(c.header, justify="left", overflow="fold", ratio=1, min_width=24)
        else:
            table.add_column(c.header, justify="left" if c.kind == "text" else "right", no_wrap=True)
    for r in rows:
        cells = []
        for c in shown:
            val = r.get(c.key)
            text = escape(format_value(val, c.kind))
            style = c.style(val) if c.style else None
            cells.append(f"[{style}]{text}[/]" if style else text)
        table.add_row(*cells)
    return table


class AnalysisTable:
    """Rich renderable of an analyze result that adapts to the console width.

    From :data:`WIDE` columns on, the Why text is a table column; on narrower
    consoles (pipes default to 80) the table keeps the main figures and the
    material and reason are listed under it, one numbered line per row.
    """

    def __init__(self, rows: list[Mapping[str, Any]], columns: list[Column], *, title: str, caption: str | None):
        self.rows = rows
        self.columns = columns
        self.title = title
        self.caption = caption

    def __rich_console__(self, console, options):
        from rich.markup import escape
        from rich.text import Text

        wide = options.max_width >= WIDE
        yield _rich_table(self.rows, self.columns, title=self.title, caption=None if not wide else self.caption,
                          with_why=wide)
        if not wide:
            for r in self.rows:
                head = f"{r.get('rank')}. {r.get('importer')} {r.get('hs')}"
                if r.get("material"):
                    head += f" {r['material']}"
                yield Text.from_markup(f"[bold]{escape(head)}[/]: {escape(str(r.get('why') or ''))}")
            if self.caption:
                yield Text(self.caption, style="dim")


def _title(meta: Mapping[str, Any]) -> str:
    p = meta.get("parameters", {}) or {}
    year = meta.get("analysis_year")
    t = "Import dependencies" + (f", {year}" if year is not None else "")
    if meta.get("previous_year"):
        t += f" (change vs {meta['previous_year']})"
    who = p.get("importers")
    if who:
        t += " — " + ", ".join(who)
    what = p.get("material") or p.get("hs")
    if what:
        t += " — " + ", ".join(what)
    return t


def render_analysis(result: Mapping[str, Any], fmt: Any, *, max_rows: int | None = None):
    """Render an analyze result dict in ``fmt`` (table returns a rich renderable; others a str).

    ``max_rows`` limits the rows shown by table and md (json and csv are never cut).
    """
    fmt = getattr(fmt, "value", fmt)
    meta = result.get("meta", {})
    rows = list(result.get("rows", []))
    view = result
    if max_rows is not None and fmt in ("table", "md") and len(rows) > max_rows:
        view = {**result, "rows": rows[:max_rows]}
    columns = analysis_columns(meta, rows)
    if fmt == "table":
        return AnalysisTable(list(view.get("rows", [])), columns, title=_title(meta), caption=_meta_line(meta) or None)
    return render(view, fmt, columns=columns, title=_title(meta))
