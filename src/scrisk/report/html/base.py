"""What a report section is, and the one escaping template environment every section renders with.

A section is a module of :mod:`scrisk.report.html.sections` holding a
``SECTION = Section(id, title, render)``; ``render(data)`` returns a
:class:`Rendered` (an HTML fragment and its charts) or None when the section
has nothing to show (the shock section without a scenario). Fragments come
from Jinja2 templates with autoescaping on, so every string from the data or
the configuration (country, product, basket, rule and scenario names) is
escaped: a ``<script>`` in a name shows as text. Charts are Vega-Lite specs
(built with Altair) that the page embeds as JSON data, never as markup.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any, Callable

import jinja2
from markupsafe import Markup

from scrisk.textfmt import format_usd

__all__ = ["Section", "Rendered", "Chart", "template", "fmt_pct", "fmt_num", "fmt_usd", "BAND_COLOURS",
           "BAND_ORDER", "product_label", "named", "with_data"]

BAND_ORDER: tuple[str, ...] = ("absolute", "high", "monitor", "none")
"""Single-source bands from the strongest (top share >= 90 %) to none (below 50 % or below the minimum value)."""

BAND_COLOURS: dict[str, str] = {"absolute": "#c0392b", "high": "#e67e22", "monitor": "#f1c40f", "none": "#95a5a6"}
"""Colour of each band: red, orange, yellow (as in the terminal table), grey."""


@dataclass(frozen=True)
class Chart:
    """One chart: the id of its element, its Vega-Lite spec and a text alternative."""

    id: str
    spec: dict[str, Any]
    description: str


@dataclass
class Rendered:
    """A section's output: an escaped HTML fragment and the charts it places."""

    body: Markup
    charts: list[Chart] = field(default_factory=list)


@dataclass(frozen=True)
class Section:
    """A report section: anchor id, heading, and the function that renders it (None = left out)."""

    id: str
    title: str
    render: Callable[[Any], Rendered | None]


def _missing(v: Any) -> bool:
    try:
        return v is None or math.isnan(float(v))
    except (TypeError, ValueError):
        return True


def fmt_pct(v: Any, digits: int = 1) -> str:
    """A 0-1 share as a percentage.

    Examples
    --------
    >>> fmt_pct(0.9243), fmt_pct(None), fmt_pct(1.0, 0)
    ('92.4%', '–', '100%')
    """
    return "–" if _missing(v) else f"{float(v) * 100:.{digits}f}%"


def fmt_num(v: Any, digits: int = 3) -> str:
    """A number with fixed decimals (HHI, score).

    Examples
    --------
    >>> fmt_num(0.85621), fmt_num(float("nan"))
    ('0.856', '–')
    """
    return "–" if _missing(v) else f"{float(v):.{digits}f}"


def fmt_usd(v: Any) -> str:
    """US dollars, compact (``$100.0M``)."""
    return format_usd(v)


def product_label(row: dict[str, Any], *, with_importer: bool = False) -> str:
    """``"810411 magnesium"`` (``"KOR 810411 magnesium"`` when several importers are shown).

    Examples
    --------
    >>> product_label({"importer": "KOR", "hs": "811292", "material": "gallium"}, with_importer=True)
    'KOR 811292 gallium'
    """
    text = f"{row['hs']} {row.get('material') or ''}".strip()
    return f"{row['importer']} {text}" if with_importer else text


def named(name: str):
    """An Altair data reference by name; the values go in the spec's top-level ``datasets`` (:func:`with_data`).

    Building charts on named data keeps Altair from copying and hashing every record.
    """
    import altair as alt

    return alt.Data(name=name)


def with_data(chart, **datasets: list[dict[str, Any]]) -> dict[str, Any]:
    """The chart's Vega-Lite spec (unvalidated: the tests validate specs) with its named datasets filled in.

    Examples
    --------
    >>> import altair as alt
    >>> spec = with_data(alt.Chart(named("d")).mark_bar().encode(x="v:Q"), d=[{"v": 1}])
    >>> spec["data"], spec["datasets"]
    ({'name': 'd'}, {'d': [{'v': 1}]})
    """
    spec = chart.to_dict(validate=False)
    spec.setdefault("datasets", {}).update({k: list(v) for k, v in datasets.items()})
    return spec


@functools.lru_cache(maxsize=None)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(pct=fmt_pct, num=fmt_num, usd=fmt_usd)
    return env


@functools.lru_cache(maxsize=None)
def _compiled(source: str) -> jinja2.Template:
    return _env().from_string(source)


def template(source: str, **context: Any) -> Markup:
    """Render a Jinja2 template string with autoescaping; return safe markup.

    Examples
    --------
    >>> str(template("<td>{{ name }}</td>", name="<script>alert(1)</script>"))
    '<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>'
    """
    return Markup(_compiled(source).render(**context))
