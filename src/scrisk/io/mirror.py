"""Mirror flows: when both partners report the same flow, keep both values and report the gap.

A Comtrade flow from A to B can be reported twice: by B as an import (rows
with flow ``M``, valued CIF) and by A as an export (flow ``X``, valued FOB).
The reader keeps **one** value per flow by this rule (``--comtrade-side
both``, the default):

* the **importer's report** is used when there is one (CIF, usually better
  documented: customs check imports more closely than exports);
* the **exporter's report** is used when the importer did not report the
  flow;
* the exporter's report of a flow the importer also reported is rejected as
  *superseded by partner report* -- and its value is kept here.

:func:`mirror_report` pairs the two values of every flow both sides
reported. ``gap_usd = importer_value_usd - exporter_value_usd`` (positive:
the importer reports more, as CIF over FOB normally does) and ``ratio =
importer_value_usd / exporter_value_usd``; they are given per flow, per pair
(exporter, importer, period; summed over products) and per product (HS code,
period; summed over pairs). ``scrisk validate --mirror`` prints them and
every read's ``meta.mirror`` carries the summary.

Examples
--------
>>> import pandas as pd
>>> acc = pd.DataFrame({"year": [2024] * 3, "month": pd.array([None] * 3, dtype="Int8"),
...     "exporter": ["CHN", "CHN", "CHN"], "importer": ["USA", "USA", "KOR"], "hs": ["811292"] * 3,
...     "value_usd": [53.3e6, 9.6e6, 1.0], "_side": [1, 2, 2]})
>>> m = mirror_report(acc)
>>> m.counts, float(m.flows["gap_usd"].iloc[0])
({'both': 1, 'importer_only': 0, 'exporter_only': 1}, 43700000.0)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["MirrorReport", "mirror_report", "MIRROR_RULE"]

MIRROR_RULE = ("importer-reported value (CIF) used where the importer reported the flow; exporter-reported value "
               "(FOB) where it did not; gap_usd = importer value - exporter value")

SIDE_IMPORT, SIDE_EXPORT = 1, 2
_PERIOD = ["year", "month"]


@dataclass
class MirrorReport:
    """Both reported values of the flows both partners reported, and the gaps.

    Attributes
    ----------
    flows : DataFrame
        ``year, month, exporter, importer, hs, importer_value_usd,
        exporter_value_usd, gap_usd, ratio`` for every flow both sides
        reported.
    by_pair, by_product : DataFrame
        The same sums per (period, exporter, importer) and per (period, hs).
    counts : dict
        Flows reported by both sides, by the importer only, by the exporter only.
    """

    flows: pd.DataFrame
    by_pair: pd.DataFrame
    by_product: pd.DataFrame
    counts: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary (the ``mirror`` field of meta)."""
        imp = float(self.flows["importer_value_usd"].sum())
        exp = float(self.flows["exporter_value_usd"].sum())
        return {
            "rule": MIRROR_RULE,
            "flows": dict(self.counts),
            "importer_value_usd": imp,
            "exporter_value_usd": exp,
            "gap_usd": imp - exp,
            "ratio": imp / exp if exp else None,
        }


def _gaps(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["gap_usd"] = out["importer_value_usd"] - out["exporter_value_usd"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["ratio"] = np.where(out["exporter_value_usd"] > 0,
                                out["importer_value_usd"] / out["exporter_value_usd"].where(out["exporter_value_usd"] > 0),
                                np.nan)
    return out


def mirror_report(acc: pd.DataFrame) -> MirrorReport | None:
    """Pair importer and exporter reports of the same (period, exporter, importer, hs); None when no row has a side.

    ``acc`` holds canonical columns plus ``_side`` (1 importer report, 2
    exporter report, 0 other layouts), in read order; the first report of
    each side per flow counts (later ones are duplicate keys).
    """
    if "_side" not in acc.columns or not len(acc):
        return None
    side = acc["_side"].to_numpy()
    if not ((side == SIDE_IMPORT).any() or (side == SIDE_EXPORT).any()):
        return None
    key = _PERIOD + ["exporter", "importer", "hs"]
    cols = key + ["value_usd"]
    m = acc.loc[side == SIDE_IMPORT, cols].drop_duplicates(key, keep="first")
    x = acc.loc[side == SIDE_EXPORT, cols].drop_duplicates(key, keep="first")
    both = m.merge(x, on=key, how="outer", suffixes=("_m", "_x"), indicator=True)
    counts = {
        "both": int((both["_merge"] == "both").sum()),
        "importer_only": int((both["_merge"] == "left_only").sum()),
        "exporter_only": int((both["_merge"] == "right_only").sum()),
    }
    flows = both[both["_merge"] == "both"].drop(columns="_merge").rename(
        columns={"value_usd_m": "importer_value_usd", "value_usd_x": "exporter_value_usd"})
    flows = flows.sort_values(key, kind="stable").reset_index(drop=True)
    vals = ["importer_value_usd", "exporter_value_usd"]

    def per(group: list[str]) -> pd.DataFrame:
        if not len(flows):
            return pd.DataFrame(columns=group + vals + ["flows", "gap_usd", "ratio"])
        g = flows.groupby(group, dropna=False, sort=True)
        out = g[vals].sum().join(g.size().rename("flows")).reset_index()
        return _gaps(out)

    return MirrorReport(
        flows=_gaps(flows),
        by_pair=per(_PERIOD + ["exporter", "importer"]),
        by_product=per(_PERIOD + ["hs"]),
        counts=counts,
    )
