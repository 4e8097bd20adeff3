"""Dependency screens: single-source bands (Korean practice) and the EU/CEPII GeoDep three-criteria screen.

Two published ways of turning concentration figures into a yes/no finding:

**Single-source bands.** Korean supply-chain monitoring counts an imported
item as dependent on one country when that country supplies at least 50 %
of its imports (the early-warning-system universe), and as "absolute
dependence" at 75 % or 90 % (MOTIE/KITA reports), counting only items with at
least US$10 million of imports. :func:`single_source_band` labels each
(year, importer, hs) row ``"absolute"`` (top share >= 90 %), ``"high"``
(>= 75 %), ``"monitor"`` (>= 50 %) or missing, for rows whose import value
reaches the minimum.

**GeoDep screen** (CEPII GeoDep, Lefebvre & Wibaux 2024, following the
European Commission's SWD(2021) 352 bottom-up method). A product is a
dependency of an importer when

* C1: the HHI of the importer's imports of the product is > 0.4;
* C2: the HHI of world exports of the product is > 0.4;
* C3: the importer's imports / the importer's own exports of the product
  is > 1 (exports of 0 give a ratio of 9999, as in GeoDep);
* C4 (persistence): C1-C3 hold together in at least 2 of the 3 most recent
  years.

scrisk applies C4 to the *loaded* years: the window of year Y is the last
``window`` (3) years present in the data up to Y, and the criteria must
hold in ``min(min_years, n)`` of them, n being the window's length. With
one loaded year the screen is C1-C3 of that year; with two (e.g. 2022 and
2024) both must pass. Years in which the importer has no imports of the
product count as not met. Loaded years need not be consecutive: with 2022
and 2024 the window spans the gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

from scrisk.schema import HS, IMPORTER, YEAR

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

__all__ = [
    "Bands",
    "ScreenCriteria",
    "BAND_LABELS",
    "single_source_band",
    "import_export_ratio",
    "geodep_screen",
    "lagged_years",
]

BAND_LABELS: tuple[str, ...] = ("absolute", "high", "monitor")
"""Band names from the strongest to the weakest."""


@dataclass(frozen=True)
class Bands:
    """Thresholds of the single-source bands (top supplier's share, 0-1).

    Attributes
    ----------
    absolute : float, default 0.9
        "Absolute dependence" (MOTIE 2023: >= 90 % from one country).
    high : float, default 0.75
        MOTIE 2022 count of >= 75 % items.
    monitor : float, default 0.5
        Early-warning-system universe (>= 50 % from one country).

    Examples
    --------
    >>> Bands().thresholds()
    (('absolute', 0.9), ('high', 0.75), ('monitor', 0.5))
    """

    absolute: float = 0.9
    high: float = 0.75
    monitor: float = 0.5

    def __post_init__(self) -> None:
        if not (0 < self.monitor <= self.high <= self.absolute <= 1):
            raise ValueError("bands must satisfy 0 < monitor <= high <= absolute <= 1")

    def thresholds(self) -> tuple[tuple[str, float], ...]:
        """Return ``(label, threshold)`` pairs, strongest first."""
        return (("absolute", self.absolute), ("high", self.high), ("monitor", self.monitor))


@dataclass(frozen=True)
class ScreenCriteria:
    """Thresholds of the GeoDep screen (see the module docstring).

    Attributes
    ----------
    import_hhi : float, default 0.4
        C1: importer's import HHI must exceed this (0-1 scale).
    world_export_hhi : float, default 0.4
        C2: world export HHI must exceed this.
    import_export_ratio : float, default 1.0
        C3: imports / exports must exceed this (MERICS uses 2).
    window : int, default 3
        C4: number of most recent loaded years considered.
    min_years : int, default 2
        C4: years of the window in which C1-C3 must hold (capped by the
        window's length when fewer years are loaded).
    zero_export_ratio : float, default 9999.0
        Ratio used when the importer exports none of the product.
    """

    import_hhi: float = 0.4
    world_export_hhi: float = 0.4
    import_export_ratio: float = 1.0
    window: int = 3
    min_years: int = 2
    zero_export_ratio: float = 9999.0

    def __post_init__(self) -> None:
        if self.window < 1 or self.min_years < 1 or self.min_years > self.window:
            raise ValueError("screen needs window >= 1 and 1 <= min_years <= window")


def single_source_band(
    frame: pd.DataFrame,
    *,
    bands: Bands = Bands(),
    min_import_usd: float = 10_000_000.0,
) -> pd.Series:
    """Label each row with its single-source band.

    Parameters
    ----------
    frame : DataFrame
        Columns ``top_share`` (0-1) and ``import_value_usd``.
    bands : Bands
        Share thresholds.
    min_import_usd : float, default 10,000,000
        Rows with smaller imports get no band (Korean practice counts items
        imported at US$10 million or more).

    Returns
    -------
    Series
        ``string`` dtype: ``"absolute"``, ``"high"``, ``"monitor"`` or
        missing (<NA>), named ``band``.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"top_share": [0.95, 0.8, 0.6, 0.3, 0.99],
    ...                   "import_value_usd": [2e7, 2e7, 2e7, 2e7, 5e6]})
    >>> single_source_band(f).tolist()
    ['absolute', 'high', 'monitor', <NA>, <NA>]
    """
    import numpy as np
    import pandas as pd

    share = frame["top_share"].to_numpy(dtype="float64", na_value=np.nan)
    value = frame["import_value_usd"].to_numpy(dtype="float64", na_value=np.nan)
    ok = value >= min_import_usd
    conds = [ok & (share >= t) for _, t in bands.thresholds()]
    labels = np.select(conds, [lab for lab, _ in bands.thresholds()], default="")
    out = pd.Series(labels, index=frame.index, dtype="string", name="band")
    return out.mask(out == "")


def import_export_ratio(imports, exports, *, zero_export_ratio: float = 9999.0) -> pd.Series:
    """Return imports / exports, with ``zero_export_ratio`` where exports are 0 (GeoDep C3).

    Missing exports count as 0.

    Examples
    --------
    >>> import pandas as pd
    >>> import_export_ratio(pd.Series([10.0, 5.0, 3.0]), pd.Series([5.0, 0.0, None])).tolist()
    [2.0, 9999.0, 9999.0]
    """
    import numpy as np
    import pandas as pd

    imp = pd.Series(imports, dtype="float64")
    exp = pd.Series(exports, dtype="float64", index=imp.index).fillna(0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = imp / exp.where(exp > 0)
    return ratio.where(exp > 0, zero_export_ratio).rename("import_export_ratio")


def lagged_years(years: Iterable[int], lag: int) -> dict[int, int]:
    """Map each loaded year to the loaded year ``lag`` positions earlier.

    Examples
    --------
    >>> lagged_years([2024, 2022, 2019], 1)
    {2022: 2019, 2024: 2022}
    """
    ys = sorted({int(y) for y in years})
    return {ys[i]: ys[i - lag] for i in range(lag, len(ys))}


def geodep_screen(
    frame: pd.DataFrame,
    *,
    criteria: ScreenCriteria = ScreenCriteria(),
    years: Iterable[int] | None = None,
) -> pd.DataFrame:
    """Apply the GeoDep three-criteria screen with its persistence rule.

    Parameters
    ----------
    frame : DataFrame
        One row per (year, importer, hs) with ``hhi``, ``world_export_hhi``
        and ``import_export_ratio``.
    criteria : ScreenCriteria
        Thresholds, window and required years.
    years : iterable of int, optional
        The loaded years (default: the years in ``frame``). Years loaded
        but absent for a pair count as not met.

    Returns
    -------
    DataFrame
        ``frame`` (copy, same row order) plus ``screen_import_hhi``,
        ``screen_world_export_hhi``, ``screen_ratio`` (the three criteria
        this year), ``screen_met`` (all three), ``screen_years_met`` (years
        of the window in which all three held), ``screen_window`` (loaded
        years in the window) and ``screen`` (the persistent finding).

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"year": [2022, 2024, 2024], "importer": ["KOR"] * 3, "hs": ["811292", "811292", "280461"],
    ...     "hhi": [0.5, 0.6, 0.9], "world_export_hhi": [0.5, 0.5, 0.5], "import_export_ratio": [3.0, 3.0, 9999.0]})
    >>> geodep_screen(f)[["year", "hs", "screen_met", "screen_years_met", "screen"]].values.tolist()
    [[2022, '811292', True, 1, True], [2024, '811292', True, 2, True], [2024, '280461', True, 1, False]]
    """
    import numpy as np
    import pandas as pd

    out = frame.copy()
    out["screen_import_hhi"] = out["hhi"] > criteria.import_hhi
    out["screen_world_export_hhi"] = out["world_export_hhi"] > criteria.world_export_hhi
    out["screen_ratio"] = out["import_export_ratio"] > criteria.import_export_ratio
    out["screen_met"] = out["screen_import_hhi"] & out["screen_world_export_hhi"] & out["screen_ratio"]
    loaded = sorted({int(y) for y in (years if years is not None else out[YEAR].unique())})
    from scrisk.metrics._keys import lookup

    met = out.loc[out["screen_met"], [YEAR, IMPORTER, HS]]
    count = out["screen_met"].astype("int64").to_numpy().copy()
    for lag in range(1, criteria.window):
        back = lagged_years(loaded, lag)
        key = pd.DataFrame({YEAR: out[YEAR].map(back).astype("Int64").to_numpy(), IMPORTER: out[IMPORTER].to_numpy(),
                            HS: out[HS].to_numpy()})
        count += (lookup(key, met, [YEAR, IMPORTER, HS]) >= 0).astype("int64")
    pos = {y: i for i, y in enumerate(loaded)}
    window = out[YEAR].map(lambda y: min(criteria.window, pos.get(int(y), 0) + 1)).astype("int64")
    need = np.minimum(criteria.min_years, window.to_numpy())
    out["screen_years_met"] = count
    out["screen_window"] = window.to_numpy()
    out["screen"] = count >= need
    return out
