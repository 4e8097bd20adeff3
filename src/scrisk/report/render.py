"""Render results to table (rich), json, csv and md. Renderers return; they never print.

Every scrisk result serialises to one JSON shape, the stable contract::

    {"meta": {...}, "rows": [{...}, ...]}           # plus "totals" where a command has them

:func:`to_json` is that serialisation; csv and md carry the rows (md adds a
short meta line); the rich table is for humans and may round and colour.
:func:`jsonable`, :func:`to_json` and :func:`to_csv` are defined in the
library module :mod:`scrisk.serialize` (with the streaming writers of large
results) and re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

# the plain serialisers live in the library (scrisk.serialize); re-exported here for the renderers
from scrisk.serialize import _csv_cell, _fieldnames, jsonable, to_csv, to_json  # noqa: F401
from scrisk.textfmt import format_share, format_usd
from scrisk.safetext import md_cell

__all__ = [
    "Column",
    "jsonable",
    "to_json",
    "to_csv",
    "to_markdown",
    "to_rich_table",
    "format_value",
    "render",
]


@dataclass(frozen=True)
class Column:
    """How one result field is shown in table and md output.

    Attributes
    ----------
    key : str
        Field name in each row dict.
    header : str
        Column header.
    kind : {'text', 'int', 'float', 'usd', 'share', 'hhi', 'score'}
        Formatting: usd as compact dollars, share as a percentage, hhi and
        score with 3 decimals.
    style : callable, optional
        ``value -> rich style string`` (colour bands) for the table format.
    """

    key: str
    header: str
    kind: str = "text"
    style: Callable[[Any], str | None] | None = None


def format_value(v: Any, kind: str = "text") -> str:
    """Format one value for humans.

    Examples
    --------
    >>> format_value(392720858.0, "usd"), format_value(0.9244, "share"), format_value(0.85621, "hhi")
    ('$392.7M', '92.4%', '0.856')
    """
    v = jsonable(v)
    if v is None:
        return "–"
    if isinstance(v, list):
        return ", ".join(str(x) for x in v)
    if kind == "usd" and isinstance(v, (int, float)):
        return format_usd(v)
    if kind == "share" and isinstance(v, (int, float)):
        return format_share(v)
    if kind in ("hhi", "score") and isinstance(v, (int, float)):
        return f"{v:.3f}"
    if kind == "float" and isinstance(v, (int, float)):
        return f"{v:,.2f}"
    if kind == "int" and isinstance(v, (int, float)):
        return f"{int(v):,}"
    return str(v)


def _meta_line(meta: Mapping[str, Any]) -> str:
    parts = []
    inputs = meta.get("inputs")
    if inputs:
        parts.append("inputs: " + ", ".join(str(i) for i in inputs))
    if meta.get("years"):
        parts.append("years: " + ", ".join(str(y) for y in meta["years"]))
    if meta.get("hs_revision"):
        parts.append(f"HS revision: {meta['hs_revision']}")
    if meta.get("scrisk_version"):
        parts.append(f"scrisk {meta['scrisk_version']}")
    return "; ".join(parts)


def to_markdown(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    *,
    title: str | None = None,
    meta: Mapping[str, Any] | None = None,
) -> str:
    """Render rows as a GitHub-flavoured Markdown table (for CI job summaries).

    Examples
    --------
    >>> print(to_markdown([{"hs": "811292", "hhi": 0.8562}], [Column("hs", "HS"), Column("hhi", "HHI", "hhi")]))
    | HS | HHI |
    |---|---:|
    | 811292 | 0.856 |
    <BLANKLINE>
    """
    lines: list[str] = []
    if title:
        lines += [f"### {md_cell(title)}", ""]
    if meta:
        ml = _meta_line(meta)
        if ml:
            lines += [f"_{md_cell(ml)}_", ""]
    lines.append("| " + " | ".join(md_cell(c.header) for c in columns) + " |")
    lines.append("|" + "|".join("---" if c.kind == "text" else "---:" for c in columns) + "|")
    for r in rows:
        cells = [md_cell(format_value(r.get(c.key), c.kind)) for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def to_rich_table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    *,
    title: str | None = None,
    caption: str | None = None,
):
    """Build a rich Table (numbers right-aligned, optional colour bands)."""
    from rich.table import Table

    table = Table(title=title, caption=caption, show_lines=False, header_style="bold")
    for c in columns:
        table.add_column(c.header, justify="left" if c.kind == "text" else "right", overflow="fold")
    for r in rows:
        cells = []
        for c in columns:
            val = r.get(c.key)
            text = format_value(val, c.kind)
            style = c.style(val) if c.style else None
            cells.append(f"[{style}]{_escape(text)}[/]" if style else _escape(text))
        table.add_row(*cells)
    return table


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def render(
    result: Mapping[str, Any],
    fmt: str,
    *,
    columns: Sequence[Column],
    title: str | None = None,
    csv_columns: Iterable[str] | None = None,
):
    """Render a ``{"meta", "rows"[, "totals"]}`` result in ``fmt``.

    Returns a str for json/csv/md and a rich renderable for table.
    """
    fmt = getattr(fmt, "value", fmt)
    if fmt not in ("json", "csv", "md", "table"):
        from scrisk.errors import UsageError

        raise UsageError(f"{fmt} output is not available here; use table, json, csv or md")
    rows = result.get("rows", [])
    if fmt == "json":
        return to_json(result)
    if fmt == "csv":
        return to_csv(rows, list(csv_columns) if csv_columns else None)
    if fmt == "md":
        return to_markdown(rows, columns, title=title, meta=result.get("meta"))
    caption = _meta_line(result.get("meta", {})) or None
    return to_rich_table(rows, columns, title=title, caption=caption)
