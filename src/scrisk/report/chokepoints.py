"""Render ``scrisk chokepoints``, ``scrisk production`` and ``scrisk supply-risk`` results (table, json, csv, md).

json is the whole result (the stable contract); csv carries every field; table and md a readable selection.
World-export and production HHIs above 0.4 (the GeoDep threshold) are orange; top shares red >= 90 %, orange
>= 75 %, yellow >= 50 %.
"""

from __future__ import annotations

from typing import Any, Mapping

from scrisk.report.analyze import hhi_style, share_style
from scrisk.report.render import Column, format_value, render

__all__ = ["render_chokepoints", "render_production", "render_supply_risk"]


def _caption(meta: Mapping[str, Any]) -> str:
    inputs = list(meta.get("inputs") or [])
    shown = ", ".join(str(i) for i in inputs[:2]) + (f" and {len(inputs) - 2} more" if len(inputs) > 2 else "")
    parts = [f"inputs: {shown}"] if inputs else []
    prod = meta.get("production") or {}
    if prod.get("inputs"):
        parts.append(f"production: {len(prod['inputs'])} file(s)")
    if meta.get("scrisk_version"):
        parts.append(f"scrisk {meta['scrisk_version']}")
    return "; ".join(parts)


class _Table:
    """A compact rich table that leaves out optional columns (``Column`` keys in ``optional``, last first) until it
    fits the console; numbers never wrap. csv and json carry every field."""

    def __init__(self, rows, cols: list[Column], optional: tuple[str, ...], title: str, caption: str):
        self.rows, self.cols, self.optional, self.title, self.caption = rows, cols, optional, title, caption

    def _cells(self, c: Column) -> list[str]:
        return [format_value(r.get(c.key), c.kind) for r in self.rows]

    def __rich_console__(self, console, options):
        from rich import box
        from rich.markup import escape
        from rich.table import Table

        cols = list(self.cols)
        width = {c.key: max([len(c.header), *map(len, self._cells(c))]) for c in cols}
        drop = [k for k in reversed(self.optional)]
        while drop and sum(width[c.key] + 2 for c in cols) > options.max_width:
            k = drop.pop(0)
            cols = [c for c in cols if c.key != k]
        table = Table(title=self.title, caption=self.caption, box=box.SIMPLE_HEAD, header_style="bold",
                      pad_edge=False)
        for c in cols:
            table.add_column(c.header, justify="left" if c.kind == "text" else "right", no_wrap=c.key != "note",
                             min_width=width[c.key] if c.key != "note" else None)
        for r in self.rows:
            cells = []
            for c in cols:
                text = escape(format_value(r.get(c.key), c.kind))
                style = c.style(r.get(c.key)) if c.style else None
                cells.append(f"[{style}]{text}[/]" if style else text)
            table.add_row(*cells)
        yield table


def _show(result: Mapping[str, Any], fmt: str, cols: list[Column], title: str, optional: tuple[str, ...] = ()):
    """table: :class:`_Table`; other formats: :func:`scrisk.report.render.render`."""
    if getattr(fmt, "value", fmt) != "table":
        return render(result, fmt, columns=cols, title=title)
    return _Table(result.get("rows", []), cols, optional, title, _caption(result.get("meta", {})))


def render_chokepoints(result: Mapping[str, Any], fmt: str):
    """Render a :class:`~scrisk.chokepoints.ChokepointResult` dict."""
    rows = result.get("rows", [])
    cols = [Column("rank", "#", "int"), Column("hs", "HS"), Column("material", "Material"),
            Column("world_export_value_usd", "Exports", "usd"), Column("world_top_exporter", "Top"), Column("world_top_exporter_share", "Share", "share", share_style),
            Column("world_export_hhi", "HHI", "hhi", hhi_style()), Column("importers_top_ge_50", "≥50%", "int"),
            Column("importers_top_ge_75", "≥75%", "int"), Column("importers_top_ge_90", "≥90%", "int")]
    if rows and "production_hhi" in rows[0]:
        cols += [Column("top_producer", "Prod."), Column("top_producer_share", "Share", "share", share_style),
                 Column("production_hhi", "Prod. HHI", "hhi", hhi_style())]
    year = result.get("meta", {}).get("analysis_year")
    return _show(result, fmt, cols, f"Global chokepoints, {year}",
                 optional=("material", "world_export_value_usd", "importers_top_ge_75", "production_hhi"))


def render_production(result: Mapping[str, Any], fmt: str):
    """Render a :class:`~scrisk.production.concentration.ProductionResult` dict."""
    cols = [Column("material", "Material"), Column("stage", "Stage"), Column("year", "Year"),
            Column("edition", "Source"), Column("n_producers", "Prod.", "int"), Column("top_producer", "Top"),
            Column("top_producer_share", "Share", "share", share_style),
            Column("production_hhi", "HHI", "hhi", hhi_style()), Column("other_share", "Other", "share")]
    rows = result.get("rows", [])
    if rows and "hhi_wgi_t" in rows[0]:
        cols.append(Column("hhi_wgi_t", "HHI-WGI,t", "float"))
    return _show(result, fmt, cols, "Production concentration", optional=("edition", "other_share"))


def render_supply_risk(result: Mapping[str, Any], fmt: str):
    """Render a :class:`~scrisk.production.crm.SupplyRiskResult` dict."""
    cols = [Column("material", "Material"), Column("stage", "Stage"), Column("import_reliance", "IR", "share"),
            Column("hhi_wgi_t_gs", "HHI GS", "float"), Column("hhi_wgi_t_eus", "HHI EUS", "float"),
            Column("eol_rir", "EoL-RIR", "share"), Column("si_sr", "SI", "float"),
            Column("eu_crm_supply_risk", "EU CRM SR", "float"), Column("bottleneck", "Bottl."),
            Column("note", "Note")]
    year = result.get("meta", {}).get("parameters", {}).get("year")
    return _show(result, fmt, cols, f"EU CRM supply risk, trade year {year}", optional=("eol_rir", "si_sr", "note"))
