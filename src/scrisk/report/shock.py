"""Render a shock result (:meth:`scrisk.scenario.ShockResult.to_dict`) as table, json, csv or md.

json is the whole result (the stable contract: meta, totals, rows, measures,
suppliers, downstream); csv carries the rows; md and the rich table add the
totals, who filled the gap and the downstream exposure.
"""

from __future__ import annotations

from typing import Any, Mapping

from scrisk.report.render import Column, format_value, to_csv, to_json, to_markdown, to_rich_table

__all__ = ["render_shock", "row_columns", "fsc_columns", "SUPPLIER_COLUMNS", "FSC_SUPPLIER_COLUMNS",
           "DOWNSTREAM_COLUMNS", "DEFAULT_TABLE_ROWS"]

DEFAULT_TABLE_ROWS = 25
"""Rows shown by the table and md formats when --top is not given."""


def _share_style(v: Any) -> str | None:
    if not isinstance(v, (int, float)):
        return None
    if v >= 0.5:
        return "bold red"
    if v >= 0.25:
        return "yellow"
    return None


def row_columns(by: str = "hs", *, stock: bool = False, cascade: bool = True) -> list[Column]:
    """Columns of the main table: per (importer, hs) or per (importer, material).

    Examples
    --------
    >>> [c.key for c in row_columns("material", cascade=False)]
    ['importer', 'material', 'baseline_usd', 'direct_loss_usd', 'shortfall_usd', 'shortfall_share']
    """
    cols = [Column("importer", "Importer"), Column("material", "Material") if by == "material" else Column("hs", "HS")]
    cols += [Column("baseline_usd", "Imports", "usd"), Column("direct_loss_usd", "Direct", "usd")]
    if cascade:
        cols += [Column("indirect_loss_usd", "Indirect", "usd"), Column("substituted_usd", "Substit.", "usd")]
        if stock:
            cols.append(Column("stock_drawn_usd", "Stock", "usd"))
        cols.append(Column("passed_on_usd", "Passed on", "usd"))
    cols += [Column("shortfall_usd", "Shortfall", "usd"), Column("shortfall_share", "Share", "share", _share_style)]
    return cols


def fsc_columns(unit: str = "usd", *, steps: bool = False) -> list[Column]:
    """Columns of the ``fsc`` table; amounts in USD or in kg (``unit``).

    Examples
    --------
    >>> [c.key for c in fsc_columns("kg")][:4]
    ['country', 'hs', 'production', 'reserves_before']
    """
    k = "usd" if unit == "usd" else "float"
    u = "" if unit == "usd" else " (kg)"
    cols = [Column("step", "Year", "int")] if steps else []
    cols += [Column("country", "Country"), Column("hs", "HS"), Column("production", "Production" + u, k),
             Column("reserves_before", "Reserves" + u, k), Column("reserves_after", "Res. after" + u, k),
             Column("exports_before", "Exports" + u, k), Column("exports_after", "Exp. after" + u, k),
             Column("shortage", "Shortage" + u, k), Column("consumption_ratio", "C/C0", "share"),
             Column("consumption_loss_usd", "Loss", "usd"),
             Column("consumption_loss_share", "Share", "share", _share_style)]
    return cols


FSC_SUPPLIER_COLUMNS = [
    Column("exporter", "Supplier"),
    Column("hs", "HS"),
    Column("exports_before", "Exports", "float"),
    Column("restricted_kept", "Kept", "float"),
    Column("exports_after", "After", "float"),
    Column("extra_exports", "Extra supplied", "float"),
]
SUPPLIER_COLUMNS = [
    Column("exporter", "Supplier"),
    Column("hs", "HS"),
    Column("baseline_exports_usd", "Exports", "usd"),
    Column("capacity_usd", "Spare capacity", "usd"),
    Column("extra_exports_usd", "Extra supplied", "usd"),
    Column("capacity_used_share", "Capacity used", "share"),
]
DOWNSTREAM_COLUMNS = [
    Column("importer", "Importer"),
    Column("input_hs", "Input"),
    Column("input_shortfall_share", "Input short", "share"),
    Column("downstream_hs", "Downstream HS"),
    Column("tier", "Tier", "int"),
    Column("exports_usd", "Exports", "usd"),
    Column("at_stake_usd", "At stake", "usd"),
    Column("note", "Link"),
]
_CSV_HS = ("importer", "hs", "material", "baseline_usd", "direct_loss_usd", "indirect_loss_usd", "substituted_usd",
           "stock_drawn_usd", "passed_on_usd", "shortfall_usd", "shortfall_share")
_CSV_FSC = ("step", "country", "hs", "material", "production", "production_after", "reserves_before",
            "reserves_after", "reserves_drawn", "restricted_kept", "imports_before", "imports_after", "exports_before",
            "exports_after", "consumption_before", "consumption_after", "consumption_loss", "consumption_ratio",
            "shortage", "imports_usd", "consumption_loss_usd", "consumption_loss_share")
_CSV_MATERIAL = ("importer", "material", "hs", "baseline_usd", "direct_loss_usd", "indirect_loss_usd",
                 "substituted_usd", "stock_drawn_usd", "passed_on_usd", "shortfall_usd", "shortfall_share")


def csv_columns(meta: Mapping[str, Any]) -> list[str]:
    """The csv columns of a shock result's rows, from its meta (mode and grouping).

    Examples
    --------
    >>> csv_columns({"mode": "cascade", "by": "hs"})[:3]
    ['importer', 'hs', 'material']
    """
    if meta.get("mode") == "fsc":
        return list(_CSV_FSC)
    return list(_CSV_MATERIAL if meta.get("by", "hs") == "material" else _CSV_HS)


def _title(meta: Mapping[str, Any]) -> str:
    sc = meta.get("scenario") or {}
    name = sc.get("title") or sc.get("name") or "shock"
    return f"Shock: {name} ({meta.get('mode')}, {meta.get('year')})"


def _summary(result: Mapping[str, Any]) -> str:
    """One line: the global identity and run figures.

    Examples
    --------
    >>> _summary({"meta": {"mode": "cascade", "iterations": 3, "conservation_error": 0.0},
    ...           "totals": {"blocked_usd": 100.0, "shortfall_usd": 60.0, "substituted_usd": 30.0,
    ...                      "stock_drawn_usd": 10.0}})
    'blocked $100 = shortfall $60 + substituted $30 + from stock $10; 3 rounds; conservation error 0'
    """
    t, m = result.get("totals", {}), result.get("meta", {})
    if m.get("mode") == "fsc":
        k = "usd" if t.get("unit") == "usd" else "float"
        u = "" if k == "usd" else " kg"
        return (f"production lost {format_value(t.get('production_lost'), k)}{u}, restricted and kept "
                f"{format_value(t.get('restricted_kept'), k)}{u}, reserves drawn "
                f"{format_value(t.get('reserves_drawn'), k)}{u}, consumption lost "
                f"{format_value(t.get('consumption_loss'), k)}{u} ({format_value(t.get('consumption_loss_usd'), 'usd')})"
                f"; run on {m.get('basis', m.get('unit'))}; {m.get('iterations', 0)} rounds; conservation error "
                f"{m.get('conservation_error', 0.0):.2g}")
    parts = [f"blocked {format_value(t.get('blocked_usd'), 'usd')} = shortfall {format_value(t.get('shortfall_usd'), 'usd')}"]
    if m.get("mode") == "cascade":
        parts[0] += (f" + substituted {format_value(t.get('substituted_usd'), 'usd')}"
                     f" + from stock {format_value(t.get('stock_drawn_usd'), 'usd')}")
    parts.append(f"{m.get('iterations', 0)} rounds")
    parts.append(f"conservation error {m.get('conservation_error', 0.0):.2g}")
    return "; ".join(parts)


def _more(result: Mapping[str, Any]) -> str:
    m = result.get("meta", {})
    total, shown = m.get("rows_total"), m.get("rows_shown")
    if total is not None and shown is not None and shown < total:
        how = "share" if (m.get("parameters") or {}).get("rank") == "share" else "value lost"
        return f"showing {shown} of {total} rows, ranked by {how}; --top N or --format json for more"
    return ""


def _compact(rows, cols, *, title: str, caption: str | None = None):
    """A rich table whose codes and figures never wrap (long text columns fold instead)."""
    from rich import box

    table = to_rich_table(rows, cols, title=title, caption=caption)
    table.box = box.SIMPLE_HEAD
    table.pad_edge = False
    for c, col in zip(cols, table.columns):
        col.no_wrap = c.kind != "text" or c.key in ("importer", "hs", "exporter", "input_hs", "downstream_hs")
    return table


WIDE = 100
"""Console width from which every column of the main table is shown."""
_NARROW = ("importer", "hs", "material", "baseline_usd", "direct_loss_usd", "indirect_loss_usd", "shortfall_usd",
           "shortfall_share", "step", "country", "shortage", "consumption_ratio", "consumption_loss_usd",
           "consumption_loss_share")


class ShockTable:
    """The main shock table, adapting to the console width.

    From :data:`WIDE` columns on every column is shown; on narrower consoles
    (pipes default to 80) substituted, stock and passed-on columns are left
    out and the caption says so.
    """

    def __init__(self, rows, columns, *, title: str, caption: str):
        self.rows, self.columns, self.title, self.caption = rows, columns, title, caption

    def __rich_console__(self, console, options):
        cols = self.columns
        caption = self.caption
        if options.max_width < WIDE and any(c.key not in _NARROW for c in cols):
            cols = [c for c in cols if c.key in _NARROW]
            left = ("production, reserves and export columns" if any(c.key == "country" for c in cols)
                    else "substituted, stock and passed-on columns")
            caption = "\n".join(x for x in (caption, f"narrow console: {left} left out (widen it, or use "
                                             "--format json/csv/md)") if x)
        yield _compact(self.rows, cols, title=self.title, caption=caption)


def render_shock(result: Mapping[str, Any], fmt: Any):
    """Render a shock result dict; returns a str (json/csv/md) or a rich renderable (table).

    Examples
    --------
    >>> r = {"meta": {"mode": "none", "year": 2024, "by": "hs", "scenario": {"name": "demo"}, "iterations": 0,
    ...               "conservation_error": 0.0},
    ...      "totals": {"blocked_usd": 40.0, "shortfall_usd": 40.0},
    ...      "rows": [{"importer": "KOR", "hs": "811292", "material": "gallium", "baseline_usd": 100.0,
    ...                "direct_loss_usd": 40.0, "shortfall_usd": 40.0, "shortfall_share": 0.4}]}
    >>> print(render_shock(r, "md"))
    ### Shock: demo (none, 2024)
    <BLANKLINE>
    | Importer | HS | Imports | Direct | Shortfall | Share |
    |---|---|---:|---:|---:|---:|
    | KOR | 811292 | $100 | $40 | $40 | 40.0% |
    <BLANKLINE>
    _blocked $40 = shortfall $40; 0 rounds; conservation error 0_
    <BLANKLINE>
    """
    fmt = getattr(fmt, "value", fmt)
    meta = result.get("meta", {})
    by = meta.get("by", "hs")
    if fmt == "json":
        return to_json(result)
    rows = result.get("rows", [])
    fsc = meta.get("mode") == "fsc"
    if fmt == "csv":
        return to_csv(rows, csv_columns(meta))
    cascade = meta.get("mode") == "cascade"
    stock = bool((result.get("totals") or {}).get("stock_drawn_usd"))
    if fsc:
        steps = int((meta.get("parameters") or {}).get("horizon") or 1) > 1
        cols = fsc_columns(meta.get("unit", "usd"), steps=steps)
    else:
        cols = row_columns(by, stock=stock, cascade=cascade)
    sup_cols = FSC_SUPPLIER_COLUMNS if fsc else SUPPLIER_COLUMNS
    title = _title(meta)
    suppliers = result.get("suppliers") or []
    downstream = result.get("downstream") or []
    notes = [n for n in (_summary(result), _more(result)) if n]
    if fmt == "md":
        parts = [to_markdown(rows, cols, title=title, meta=meta), "\n".join(f"_{n}_" for n in notes), ""]
        if suppliers:
            parts.append(to_markdown(suppliers[:10], sup_cols, title="Who filled the gap (top 10)"))
        if downstream:
            parts.append(to_markdown(downstream[:10], DOWNSTREAM_COLUMNS, title="Downstream exposure (top 10)"))
        return "\n".join(parts)
    from rich.console import Group
    from rich.text import Text

    items: list[Any] = [ShockTable(rows, cols, title=title, caption="\n".join(notes))]
    if suppliers:
        items.append(_compact(suppliers[:10], sup_cols, title="Who filled the gap (top 10)"))
    if downstream:
        items.append(_compact(downstream[:10], DOWNSTREAM_COLUMNS, title="Downstream exposure (top 10)"))
    if meta.get("scenario", {}).get("sources"):
        items.append(Text("Sources: " + "; ".join(meta["scenario"]["sources"]), style="dim"))
    return Group(*items)
