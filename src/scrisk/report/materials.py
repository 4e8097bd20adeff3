"""Render the result of ``scrisk materials [NAME]`` (:func:`scrisk.materials.catalog`) as table, json, csv or md.

Three shapes, told apart by the result itself:

* the list of baskets (no NAME): one row per basket;
* one basket (NAME is a basket name or alias): one row per HS code, plus
  ``links`` (upstream -> downstream) and the basket's description and
  sources in ``meta["basket"]``;
* one HS code (NAME is digits): one row per basket holding it.

json is the whole result (the stable contract); csv carries the rows only
(lists joined with ';'); md and table add the links and sources.
"""

from __future__ import annotations

from typing import Any, Mapping

from scrisk.report.render import Column, to_csv, to_json, to_markdown, to_rich_table

__all__ = ["render_materials", "LIST_COLUMNS", "CODE_COLUMNS", "LINK_COLUMNS", "HS_COLUMNS"]


def _stage_style(stage: Any) -> str | None:
    return {"raw": "yellow", "refined": "cyan", "intermediate": "blue", "downstream": "green",
            "equipment": "magenta"}.get(stage)


LIST_COLUMNS = [
    Column("name", "Name"),
    Column("title", "Title"),
    Column("n_codes", "Codes", "int"),
    Column("hs2017_codes", "HS2017 codes"),
    Column("stages", "Stages"),
    Column("hs2022_diff", "HS2022 differs"),
]
CODE_COLUMNS = [
    Column("hs", "HS"),
    Column("revisions", "Revisions"),
    Column("hs2022", "HS2022 code"),
    Column("stage", "Stage", style=_stage_style),
    Column("description", "Description"),
    Column("precision", "Precision note"),
]
LINK_COLUMNS = [
    Column("upstream", "Upstream"),
    Column("downstream", "Downstream"),
    Column("note", "Note"),
    Column("basket", "From basket"),
]
HS_COLUMNS = [
    Column("material", "Basket"),
    Column("hs", "HS"),
    Column("revisions", "Revisions"),
    Column("stage", "Stage", style=_stage_style),
    Column("description", "Description"),
    Column("precision", "Precision note"),
]
_LIST_CSV = ("name", "title", "n_codes", "hs2017_codes", "hs2022_codes", "stages", "aliases", "origin")
_CODE_CSV = ("hs", "revisions", "hs2022", "stage", "description", "precision", "materials")
_HS_CSV = ("material", "title", "hs", "revisions", "hs2022", "stage", "description", "precision")


def _keep_first(table, n: int = 1):
    """Never wrap the first ``n`` columns (names and codes) of a rich table."""
    for col in table.columns[:n]:
        col.no_wrap = True
    return table


def _revision_diff(row: Mapping[str, Any]) -> str:
    """'+new -old' HS2022 codes against HS2017, '' when the same.

    Examples
    --------
    >>> _revision_diff({"hs2017_codes": ["811292"], "hs2022_codes": ["811231"]})
    '+811231 -811292'
    """
    a, b = set(row.get("hs2017_codes") or ()), set(row.get("hs2022_codes") or ())
    return " ".join([f"+{c}" for c in sorted(b - a)] + [f"-{c}" for c in sorted(a - b)])


def _shape(result: Mapping[str, Any]) -> str:
    meta = result.get("meta", {})
    if "basket" in meta:
        return "basket"
    if "hs" in meta:
        return "hs"
    return "list"


def render_materials(result: Mapping[str, Any], fmt: Any):
    """Render a catalog result; returns a str (json/csv/md) or a rich renderable (table).

    Examples
    --------
    >>> r = {"meta": {}, "rows": [{"name": "gallium", "title": "Gallium", "n_codes": 1,
    ...       "hs2017_codes": ["811292"], "hs2022_codes": ["811292"], "stages": ["refined"]}]}
    >>> print(render_materials(r, "md"), end="")
    | Name | Title | Codes | HS2017 codes | Stages | HS2022 differs |
    |---|---|---:|---|---|---|
    | gallium | Gallium | 1 | 811292 | refined |  |
    """
    fmt = getattr(fmt, "value", fmt)
    shape = _shape(result)
    rows = result.get("rows", [])
    if fmt == "json":
        return to_json(result)
    if fmt == "csv":
        cols = {"list": _LIST_CSV, "basket": _CODE_CSV, "hs": _HS_CSV}[shape]
        return to_csv(rows, list(cols))
    meta = result.get("meta", {})
    if shape == "list":
        rows = [dict(r, hs2022_diff=_revision_diff(r)) for r in rows]
        if fmt == "md":
            return to_markdown(rows, LIST_COLUMNS)
        return _keep_first(to_rich_table(rows, LIST_COLUMNS, title="Material baskets",
                                         caption="scrisk materials NAME shows the codes, precision notes and links "
                                         "of one basket"))
    if shape == "hs":
        title = f"Baskets holding HS {meta.get('hs')}"
        if fmt == "md":
            return to_markdown(rows, HS_COLUMNS, title=title)
        return _keep_first(to_rich_table(rows, HS_COLUMNS, title=title), 2)
    b = meta["basket"]
    links = result.get("links", [])
    heading = f"{b['title']} ({b['name']})"
    if fmt == "md":
        parts = [f"### {heading}", "", b.get("description", ""), ""]
        if b.get("aliases"):
            parts += [f"Aliases: {', '.join(b['aliases'])}", ""]
        parts.append(to_markdown(rows, CODE_COLUMNS))
        if links:
            parts.append(to_markdown(links, LINK_COLUMNS, title="Links (upstream -> downstream)"))
        if b.get("sources"):
            parts += ["Sources:", ""] + [f"- {s}" for s in b["sources"]] + [""]
        return "\n".join(parts)
    from rich.console import Group
    from rich.text import Text

    items: list[Any] = [Text(heading, style="bold"), Text(b.get("description", ""))]
    if b.get("aliases"):
        items.append(Text("Aliases: " + ", ".join(b["aliases"]), style="dim"))
    items.append(_keep_first(to_rich_table(rows, CODE_COLUMNS, title="HS codes")))
    if links:
        items.append(to_rich_table(links, LINK_COLUMNS, title="Links (upstream -> downstream)"))
    if b.get("sources"):
        items.append(Text("Sources:\n" + "\n".join(f"  - {s}" for s in b["sources"]), style="dim"))
    return Group(*items)
