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
from typing import TYPE_CHECKING, Any

from scrisk.schema import _is_missing
from scrisk.textfmt import format_usd_short

if TYPE_CHECKING:  # pragma: no cover
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
    >>> import pandas as pd
    >>> f = pd.DataFrame({"hhi": [1.0, 0.2], "top_share": [1.0, 0.3], "world_export_hhi": [1.0, 0.1],
    ...                   "top_supplier_world_share": [1.0, 0.05]})
    >>> [round(float(x), 4) for x in chokepoint_score(f)]
    [1.0, 0.1775]
    """
    import numpy as np
    import pandas as pd

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
    if _is_missing(share):
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


_PCT = [f"{p}%" for p in range(101)]


def _pcts(values: Any) -> np.ndarray:
    """Vectorised :func:`format_pct` (object array of strings)."""
    import numpy as np
    import pandas as pd

    s = np.asarray(pd.Series(values, dtype="float64").to_numpy(na_value=np.nan), dtype="float64")
    p = np.rint(np.nan_to_num(s) * 100).clip(0, 100).astype(np.int64)
    out = np.array(_PCT, dtype=object)[p]
    out[(p >= 100) & (s < 1.0)] = ">99%"
    out[(p <= 0) & (s > 0.0)] = "<1%"
    out[s >= 1.0] = "100%"
    out[s <= 0.0] = "0%"
    out[np.isnan(s)] = "?"
    return out


def _col(frame: pd.DataFrame, name: str, kind: str) -> np.ndarray:
    """Column as a plain numpy array: floats with NaN, booleans with NA as False, objects."""
    import numpy as np

    n = len(frame)
    if name not in frame.columns:
        return {"float": np.full(n, np.nan), "bool": np.zeros(n, dtype=bool)}.get(kind, np.full(n, None, dtype=object))
    s = frame[name]
    if kind == "float":
        return s.to_numpy(dtype="float64", na_value=np.nan)
    if kind == "bool":
        return s.astype("boolean").fillna(False).to_numpy(dtype=bool)
    return s.astype("object").where(s.notna(), None).to_numpy()


def explain(frame: pd.DataFrame, *, min_import_usd: float | None = None) -> pd.Series:
    """Write a one-line, plain-language reason for each row's score.

    Built only from the row's own figures: the top supplier and its share,
    that supplier's share of world exports (of the exports in the data when
    ``world_coverage_limited``), the number of suppliers, then
    when present the change of top share since the previous loaded year, a
    new top supplier, the screen result, and a note when imports are below
    ``min_import_usd``.

    Parameters
    ----------
    frame : DataFrame
        Rows as produced by :func:`scrisk.analysis.indicators`.
    min_import_usd : float, optional
        Mention rows below this import value.

    Returns
    -------
    Series
        ``why`` strings.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"top_supplier": ["CHN"], "top_share": [0.9244], "top_supplier_world_share": [0.291],
    ...                   "n_suppliers": [18], "import_value_usd": [5e7]})
    >>> explain(f).iloc[0]
    '92% from CHN, which ships 29% of world exports; 18 suppliers'
    """
    import numpy as np
    import pandas as pd

    top_pct = _pcts(_col(frame, "top_share", "float"))
    world = _col(frame, "top_supplier_world_share", "float")
    world_pct = _pcts(world)
    top = _col(frame, "top_supplier", "object")
    n = _col(frame, "n_suppliers", "float")
    prev_year = _col(frame, "prev_year", "float")
    prev_pct = _pcts(_col(frame, "prev_top_share", "float"))
    prev_top = _col(frame, "prev_top_supplier", "object")
    new_import = _col(frame, "new_import", "bool")
    changed = _col(frame, "top_supplier_changed", "bool")
    screen = _col(frame, "screen", "bool")
    limited = _col(frame, "world_coverage_limited", "bool")
    value = _col(frame, "import_value_usd", "float")
    below = value < min_import_usd if min_import_usd is not None else np.zeros(len(frame), dtype=bool)
    minimum = format_usd_short(min_import_usd) if min_import_usd is not None else ""
    out: list[str] = []
    for i in range(len(frame)):
        parts = [f"{top_pct[i]} from {top[i]}" + (
            "" if math.isnan(world[i]) else
            f", which ships {world_pct[i]} of the exports in the data (coverage-limited: not world exports)"
            if limited[i] else f", which ships {world_pct[i]} of world exports")]
        if not math.isnan(n[i]):
            parts.append("sole supplier" if n[i] == 1 else f"{int(n[i])} suppliers")
        if not math.isnan(prev_year[i]):
            py = int(prev_year[i])
            if new_import[i]:
                parts.append(f"no imports in {py}")
            elif prev_pct[i] != "?":
                if changed[i]:
                    parts.append(f"top supplier was {prev_top[i]} in {py}")
                elif prev_pct[i] != top_pct[i]:
                    parts.append(f"{prev_pct[i]} in {py}")
        if screen[i]:
            parts.append("meets the GeoDep screen")
        if below[i]:
            parts.append(f"imports {format_usd_short(float(value[i]))}, below the {minimum} minimum")
        out.append("; ".join(parts))
    return pd.Series(out, index=frame.index, dtype="object", name="why")
