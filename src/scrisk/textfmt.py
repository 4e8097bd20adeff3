"""Numbers in human-readable text: the one place dollar amounts and shares are formatted for messages.

Used by the renderers (:mod:`scrisk.report.render`) and by the library wherever it
writes a sentence for people: a row's "why", a breach message, a diff detail.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["format_usd", "format_usd_short", "format_share"]

_SUFFIXES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


def _missing(v: Any) -> bool:
    try:
        return v is None or math.isnan(float(v))
    except (TypeError, ValueError):
        return True


def format_usd(v: Any) -> str:
    """Format US dollars compactly with one decimal, for tables.

    Examples
    --------
    >>> format_usd(392720858.0), format_usd(950.0), format_usd(None)
    ('$392.7M', '$950', '–')
    """
    if _missing(v):
        return "–"
    v = float(v)
    for div, suf in _SUFFIXES:
        if abs(v) >= div:
            return f"${v / div:,.1f}{suf}"
    return f"${v:,.0f}"


def format_usd_short(v: float) -> str:
    """Format US dollars to three significant figures, for sentences.

    Examples
    --------
    >>> format_usd_short(10_000_000), format_usd_short(2_345_678), format_usd_short(35)
    ('US$10M', 'US$2.35M', 'US$35')
    """
    a = abs(v)
    for div, suf in _SUFFIXES[1:]:
        if a >= div:
            return f"US${v / div:.3g}{suf}"
    return f"US${v:.0f}"


def format_share(x: Any) -> str:
    """Format a 0-1 share as a percentage with one decimal.

    Examples
    --------
    >>> format_share(0.9244), format_share(1.0), format_share(None)
    ('92.4%', '100.0%', '–')
    """
    return "–" if _missing(x) else f"{float(x) * 100:.1f}%"
