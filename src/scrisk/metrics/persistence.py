"""Change and persistence of import dependencies across the loaded years.

When several years are loaded, each (year, importer, hs) row is compared with
the same importer and product in the *previous loaded year* (the latest
loaded year before it, which need not be the calendar year before: with
2022 and 2024 loaded, 2024 is compared with 2022).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from scrisk.metrics._keys import lookup, take
from scrisk.metrics.screen import lagged_years
from scrisk.schema import HS, IMPORTER, YEAR

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["year_over_year", "CHANGE_COLUMNS"]

CHANGE_COLUMNS: tuple[str, ...] = (
    "prev_year",
    "prev_import_value_usd",
    "prev_top_supplier",
    "prev_top_share",
    "prev_hhi",
    "delta_hhi",
    "delta_top_share",
    "top_supplier_changed",
    "new_import",
    "years_single_source",
    "years_observed",
)
"""Columns added by :func:`year_over_year`, in order."""


def year_over_year(
    frame: pd.DataFrame,
    *,
    years: Iterable[int] | None = None,
    single_source_share: float = 0.9,
) -> pd.DataFrame:
    """Add change-versus-previous-year and persistence columns.

    Parameters
    ----------
    frame : DataFrame
        One row per (year, importer, hs) with ``import_value_usd``,
        ``top_supplier``, ``top_share`` and ``hhi`` (as from
        :func:`scrisk.metrics.concentration.import_concentration`).
    years : iterable of int, optional
        The loaded years (default: the years in ``frame``).
    single_source_share : float, default 0.9
        Top share from which a year counts as single-source.

    Returns
    -------
    DataFrame
        ``frame`` (copy, same row order) plus :data:`CHANGE_COLUMNS`:

        * ``prev_year`` -- previous loaded year (<NA> for the first one);
        * ``prev_import_value_usd``, ``prev_top_supplier``,
          ``prev_top_share``, ``prev_hhi`` -- the pair in that year (<NA>
          when it had no imports then);
        * ``delta_hhi``, ``delta_top_share`` -- this year minus the
          previous one (<NA> when either is missing);
        * ``top_supplier_changed`` -- boolean, <NA> without a previous row;
        * ``new_import`` -- True when a previous year is loaded but the pair
          had no imports in it;
        * ``years_single_source`` -- loaded years up to this one in which
          the top supplier held at least ``single_source_share``;
        * ``years_observed`` -- loaded years up to this one with imports.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"year": [2022, 2024], "importer": ["KOR", "KOR"], "hs": ["811292"] * 2,
    ...     "import_value_usd": [10.0, 12.0], "top_supplier": ["CHN", "JPN"], "top_share": [0.95, 0.6],
    ...     "hhi": [0.9, 0.5]})
    >>> r = year_over_year(f).iloc[1]
    >>> int(r.prev_year), round(float(r.delta_hhi), 2), bool(r.top_supplier_changed), int(r.years_single_source)
    (2022, -0.4, True, 1)
    """
    import pandas as pd

    out = frame.copy()
    loaded = sorted({int(y) for y in (years if years is not None else out[YEAR].unique())})
    back = lagged_years(loaded, 1)
    prev_year = out[YEAR].map(back).astype("Int64")
    look = pd.DataFrame({YEAR: prev_year.to_numpy(), IMPORTER: out[IMPORTER].to_numpy(), HS: out[HS].to_numpy()})
    pos = lookup(look, out, [YEAR, IMPORTER, HS])
    has_prev_year = prev_year.notna().to_numpy()
    has_prev_row = pos >= 0
    out["prev_year"] = prev_year.array
    out["prev_import_value_usd"] = take(out["import_value_usd"], pos)
    out["prev_top_supplier"] = pd.array(take(out["top_supplier"].astype("string"), pos, fill=pd.NA), dtype="string")
    out["prev_top_share"] = take(out["top_share"], pos)
    out["prev_hhi"] = take(out["hhi"], pos)
    out["delta_hhi"] = out["hhi"].to_numpy(dtype="float64") - out["prev_hhi"].to_numpy()
    out["delta_top_share"] = out["top_share"].to_numpy(dtype="float64") - out["prev_top_share"].to_numpy()
    cur_top = out["top_supplier"].astype("string").fillna("").to_numpy(dtype=object)
    prev_top = out["prev_top_supplier"].fillna("").to_numpy(dtype=object)
    changed = pd.array(cur_top != prev_top, dtype="boolean")
    changed[~has_prev_row] = pd.NA
    out["top_supplier_changed"] = changed
    new = pd.array(has_prev_year & ~has_prev_row, dtype="boolean")
    new[~has_prev_year] = pd.NA
    out["new_import"] = new
    ordered = out[[IMPORTER, HS, YEAR]].assign(_ss=(out["top_share"] >= single_source_share).astype("int64"))
    ordered = ordered.sort_values([IMPORTER, HS, YEAR], kind="mergesort")
    g = ordered.groupby([IMPORTER, HS], observed=True, sort=False)
    out["years_single_source"] = g["_ss"].cumsum().reindex(out.index).astype("int64")
    out["years_observed"] = (g.cumcount() + 1).reindex(out.index).astype("int64")
    return out
