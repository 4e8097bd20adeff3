"""Render the lens results (``scrisk leverage``, ``complement``, ``partner``) as table, json, csv or md.

json is the whole result (the stable contract, with its extra tables); csv
carries every row field; table and md show a readable selection.
"""

from __future__ import annotations

from typing import Any, Mapping

from scrisk.report.analyze import share_style
from scrisk.report.render import Column, render

__all__ = ["render_leverage", "render_complement", "render_partner", "LEVERAGE_COLUMNS", "COMPLEMENT_COLUMNS",
           "PARTNER_COLUMNS"]


def _period(meta: Mapping[str, Any]) -> list[Column]:
    cols = [Column("year", "Year")]
    if meta.get("period") == "month":
        cols.append(Column("month", "Month"))
    return cols


def _join(v: Any) -> str:
    if isinstance(v, (list, tuple)):
        return ", ".join(str(x) for x in v[:6]) + (f" (+{len(v) - 6})" if len(v) > 6 else "")
    return "" if v is None else str(v)


LEVERAGE_COLUMNS = [
    Column("hs", "HS"),
    Column("exporter", "Exporter"),
    Column("export_value_usd", "Exports", "usd"),
    Column("world_share", "World share", "share", share_style),
    Column("destination_hhi", "Dest. HHI", "hhi"),
    Column("top_destination", "Top customer"),
    Column("n_importers_monitor", ">=50%", "int"),
    Column("n_importers_high", ">=75%", "int"),
    Column("n_importers_absolute", ">=90%", "int"),
    Column("importers_absolute_text", "Importers >=90%"),
]

COMPLEMENT_COLUMNS = [
    Column("side", "Side"),
    Column("hs", "HS"),
    Column("dependent", "Dependent"),
    Column("from_rival_usd", "From rival", "usd"),
    Column("rival_share", "Rival share", "share", share_style),
    Column("cover", "Cover"),
    Column("cover_exports_world_usd", "Cover exports", "usd"),
    Column("cover_exports_third_usd", "To third", "usd"),
    Column("cover_world_share", "Cover world share", "share"),
    Column("cover_share", "Could cover", "share"),
    Column("second_tier_rival_share", "2nd tier", "share"),
]

PARTNER_COLUMNS = [
    Column("hs", "HS"),
    Column("end_use", "End use"),
    Column("import_value_usd", "Imports", "usd"),
    Column("from_partner_usd", "From partner", "usd"),
    Column("partner_share", "Partner share", "share", share_style),
    Column("trade_balance_usd", "Balance", "usd"),
    Column("at_high", ">= high"),
]

SUMMARY_COLUMNS = [
    Column("end_use", "End use"),
    Column("products", "Imported", "int"),
    Column("products_low", ">= low", "int"),
    Column("import_value_low_usd", "Imports >= low", "usd"),
    Column("products_high", ">= high", "int"),
    Column("import_value_high_usd", "Imports >= high", "usd"),
]


def render_leverage(result: Mapping[str, Any], fmt: str):
    """Render a :func:`scrisk.lenses.leverage` result dict."""
    rows = [{**r, "importers_absolute_text": _join(r.get("importers_absolute"))} for r in result.get("rows", [])]
    meta = result.get("meta", {})
    ex = (meta.get("actors", {}).get("exporter") or {}).get("code", "")
    shown = {**result, "rows": rows} if getattr(fmt, "value", fmt) in ("table", "md") else result
    return render(shown, fmt, columns=_period(meta) + LEVERAGE_COLUMNS, title=f"Leverage of {ex}")


def render_complement(result: Mapping[str, Any], fmt: str):
    """Render a :func:`scrisk.lenses.complement` result dict."""
    meta = result.get("meta", {})
    a = meta.get("actors", {})
    title = "Complementarity: {} and {} against {}".format(*((a.get(k) or {}).get("code", "?")
                                                         for k in ("importer", "ally", "rival")))
    cols = COMPLEMENT_COLUMNS
    if getattr(fmt, "value", fmt) == "table":  # the terminal gets the core; md, csv and json carry every figure
        cols = [c for c in cols if c.key not in _COMPLEMENT_WIDE]
    return render(result, fmt, columns=_period(meta) + cols, title=title)


_COMPLEMENT_WIDE = {"side", "cover_exports_world_usd", "cover_world_share"}


def render_partner(result: Mapping[str, Any], fmt: str):
    """Render a :func:`scrisk.lenses.partner_screen` result dict (md and table add the end-use summary)."""
    meta = result.get("meta", {})
    a = meta.get("actors", {})
    title = "Named-partner screen: {} imports from {}".format(*((a.get(k) or {}).get("code", "?")
                                                               for k in ("importer", "partner")))
    value = getattr(fmt, "value", fmt)
    main = render(result, fmt, columns=_period(meta) + PARTNER_COLUMNS, title=title)
    if value == "md":
        summ = render({"meta": meta, "rows": result.get("summary", [])}, "md", columns=_period(meta) + SUMMARY_COLUMNS,
                      title="By end use")
        return main + "\n" + summ
    if value == "table":
        from rich.console import Group

        summ = render({"meta": {}, "rows": result.get("summary", [])}, "table",
                      columns=_period(meta) + SUMMARY_COLUMNS, title="By end use")
        return Group(main, summ)
    return main
