"""The composite chokepoint score and the plain-language "why" of each row.

Score
-----
For one importer and one product in one year::

    score = ( w_hhi * HHI_imp + w_top * s_top + w_world * HHI_world + w_alt * a_top )
            / ( w_hhi + w_top + w_world + w_alt )

with, all on the 0-1 scale:

========== ============================================================ ======
term       meaning                                                      weight
========== ============================================================ ======
HHI_imp    HHI of the importer's imports over supplier countries        0.35
s_top      share of the importer's largest supplier                     0.25
HHI_world  HHI of world exports of the product over exporter countries  0.25
a_top      the largest supplier's share of *world* exports (lack of     0.15
           alternatives: how much of world supply cannot be reached by
           switching to another exporter)
========== ============================================================ ======

The score is 1 when a single supplier that is also the world's only exporter
supplies everything, and tends to 0 for imports spread over many suppliers of
a product many countries export.

Why these terms (references in ``/README``):

* **HHI_imp** and **HHI_world** are criteria C1 and C2 of the European
  Commission's bottom-up dependency screen (SWD(2021) 352) and of CEPII
  GeoDep (Lefebvre & Wibaux 2024), both with a 0.4 threshold; they carry the
  most weight (0.35 + 0.25) because they are the established measures.
* **s_top** is what Korean supply-chain monitoring (MOTIE/KITA, the
  50/75/90 % bands) looks at: dependence on one country, the channel an
  export restriction acts through. HHI alone hides it (two suppliers at
  70/30 and four at 60/20/10/10 have similar HHIs).
* **a_top** replaces the 1/n_suppliers term sometimes used for "lack of
  alternatives": 1/n adds little to HHI (HHI >= 1/n, equal when shares are
  equal), whereas the top supplier's weight in world exports says whether
  other exporters could take over -- 100 % from a supplier with 5 % of world
  exports is a sourcing choice; 100 % from one with 95 % is a chokepoint.
  It is also the figure the "why" text quotes.

The governance-weighted HHI (:mod:`scrisk.metrics.governance`) and the share
from friendly countries are reported beside the score but do not enter it, so
scores stay comparable between runs with different ``--wgi``/``--friendly``
choices. Weights are a documented judgement, not an estimate; change them
with :class:`ScoreWeights`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ScoreWeights", "chokepoint_score", "explain", "format_pct"]


@dataclass(frozen=True)
class ScoreWeights:
    """Weights of the composite chokepoint score (normalised by their sum).

    Attributes
    ----------
    import_hhi : float, default 0.35
    top_share : float, default 0.25
    world_export_hhi : float, default 0.25
    alternatives : float, default 0.15
        Weight of the top supplier's share of world exports.

    Examples
    --------
    >>> ScoreWeights().as_dict()
    {'import_hhi': 0.35, 'top_share': 0.25, 'world_export_hhi': 0.25, 'alternatives': 0.15}
    """

    import_hhi: float = 0.35
    top_share: float = 0.25
    world_export_hhi: float = 0.25
    alternatives: float = 0.15

    def __post_init__(self) -> None:
        vals = list(asdict(self).values())
        if any((not isinstance(v, (int, float))) or math.isnan(v) or v < 0 for v in vals) or sum(vals) <= 0:
            raise ValueError("score weights must be non-negative numbers with a positive sum")

    def as_dict(self) -> dict[str, float]:
        """Return the weights as a plain dict (for result meta)."""
        return {k: float(v) for k, v in asdict(self).items()}


_TERMS = {
    "import_hhi": "hhi",
    "top_share": "top_share",
    "world_export_hhi": "world_export_hhi",
    "alternatives": "top_supplier_world_share",
}


def chokepoint_score(frame: pd.DataFrame, *, weights: ScoreWeights = ScoreWeights()) -> pd.Series:
    """Compute the composite chokepoint score (0-1) of each row.

    Parameters
    ----------
    frame : DataFrame
        Columns ``hhi``, ``top_share``, ``world_export_hhi`` and
        ``top_supplier_world_share``, all on 0-1.
    weights : ScoreWeights
        Term weights.

    Returns
    -------
    Series
        ``score`` in [0, 1]; a missing term is left out and the remaining
        weights renormalised; NaN only when every term is missing.

    Examples
    --------
    >>> f = pd.DataFrame({"hhi": [1.0, 0.2], "top_share": [1.0, 0.3], "world_export_hhi": [1.0, 0.1],
    ...                   "top_supplier_world_share": [1.0, 0.05]})
    >>> [round(float(x), 4) for x in chokepoint_score(f)]
    [1.0, 0.1775]
    """
    num = np.zeros(len(frame))
    den = np.zeros(len(frame))
    for attr, col in _TERMS.items():
        w = float(getattr(weights, attr))
        if w == 0:
            continue
        v = frame[col].to_numpy(dtype="float64", na_value=np.nan)
        ok = ~np.isnan(v)
        num += np.where(ok, w * np.clip(v, 0.0, 1.0), 0.0)
        den += np.where(ok, w, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    return pd.Series(score, index=frame.index, name="score")


def format_pct(share: Any) -> str:
    """Format a 0-1 share as a whole percentage that never rounds up to 100 % or down to 0 %.

    Examples
    --------
    >>> format_pct(0.9244), format_pct(0.9996), format_pct(1.0), format_pct(0.001), format_pct(None)
    ('92%', '>99%', '100%', '<1%', '?')
    """
    if share is None or (isinstance(share, float) and math.isnan(share)) or share is pd.NA:
        return "?"
    s = float(share)
    if s >= 1.0:
        return "100%"
    if s <= 0.0:
        return "0%"
    p = round(s * 100)
    if p >= 100:
        return ">99%"
    if p <= 0:
        return "<1%"
    return f"{p}%"


def _usd(v: float) -> str:
    a = abs(v)
    for div, suf in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            return f"US${v / div:.3g}{suf}"
    return f"US${v:.0f}"


def _isna(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, (float, np.floating)) and math.isnan(v))


def _true(v: Any) -> bool:
    return not _isna(v) and bool(v)


def explain(frame: pd.DataFrame, *, min_import_usd: float | None = None) -> pd.Series:
    """Write a one-line, plain-language reason for each row's score.

    Built only from the row's own figures: the top supplier and its share,
    that supplier's share of world exports, the number of suppliers, then
    when present the change of top share since the previous loaded year, a
    new top supplier, the screen result, and a note when imports are below
    ``min_import_usd``.

    Parameters
    ----------
    frame : DataFrame
        Rows as produced by :func:`scrisk.analyze.indicators`.
    min_import_usd : float, optional
        Mention rows below this import value.

    Returns
    -------
    Series
        ``why`` strings.

    Examples
    --------
    >>> f = pd.DataFrame({"top_supplier": ["CHN"], "top_share": [0.9244], "top_supplier_world_share": [0.291],
    ...                   "n_suppliers": [18], "import_value_usd": [5e7]})
    >>> explain(f).iloc[0]
    '92% from CHN, which ships 29% of world exports; 18 suppliers'
    """
    cols = set(frame.columns)
    out: list[str] = []
    for r in frame.itertuples(index=False):
        d = r._asdict()
        n = d.get("n_suppliers")
        top = d.get("top_supplier")
        parts: list[str] = []
        head = f"{format_pct(d.get('top_share'))} from {top}"
        ws = d.get("top_supplier_world_share")
        if not _isna(ws):
            head += f", which ships {format_pct(ws)} of world exports"
        parts.append(head)
        if not _isna(n):
            parts.append("sole supplier" if int(n) == 1 else f"{int(n)} suppliers")
        if "prev_year" in cols and not _isna(d.get("prev_year")):
            py = int(d["prev_year"])
            if _true(d.get("new_import")):
                parts.append(f"no imports in {py}")
            elif not _isna(d.get("prev_top_share")):
                if _true(d.get("top_supplier_changed")):
                    parts.append(f"top supplier was {d.get('prev_top_supplier')} in {py}")
                else:
                    prev = format_pct(d["prev_top_share"])
                    now = format_pct(d.get("top_share"))
                    if prev != now:
                        parts.append(f"{prev} in {py}")
        if "screen" in cols and _true(d.get("screen")):
            parts.append("meets the GeoDep screen")
        if min_import_usd is not None and not _isna(d.get("import_value_usd")) and d["import_value_usd"] < min_import_usd:
            parts.append(f"imports {_usd(float(d['import_value_usd']))}, below the {_usd(min_import_usd)} minimum")
        out.append("; ".join(parts))
    return pd.Series(out, index=frame.index, dtype="object", name="why")
