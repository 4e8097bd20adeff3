"""Fast row lookups on composite keys (what ``merge(how="left")`` does, without its cost on millions of rows)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrisk.metrics.concentration import _combine

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

__all__ = ["lookup", "take"]


def lookup(left: pd.DataFrame, right: pd.DataFrame, left_on: list[str], right_on: list[str] | None = None) -> np.ndarray:
    """Return, for each row of ``left``, the position of the row of ``right`` with the same key (-1 if none).

    ``right`` must hold each key once. Missing key values never match.

    Examples
    --------
    >>> import pandas as pd
    >>> l = pd.DataFrame({"y": [2024, 2022, 2024], "c": ["KOR", "KOR", "JPN"]})
    >>> r = pd.DataFrame({"y": [2024, 2024], "c": ["JPN", "KOR"]})
    >>> lookup(l, r, ["y", "c"]).tolist()
    [1, -1, 0]
    """
    import numpy as np
    import pandas as pd

    right_on = right_on or left_on
    n_left = len(left)
    codes: list[np.ndarray] = []
    sizes: list[int] = []
    missing = np.zeros(n_left + len(right), dtype=bool)
    for lc, rc in zip(left_on, right_on):
        both = pd.concat([left[lc].reset_index(drop=True), right[rc].reset_index(drop=True)], ignore_index=True)
        if both.dtype == "category" or isinstance(both.dtype, pd.CategoricalDtype):
            both = both.astype("object")
        c, u = pd.factorize(both)
        missing |= c < 0
        codes.append(np.where(c < 0, 0, c).astype(np.int64))
        sizes.append(len(u) + 1)
    key = _combine(codes, sizes)
    lk, rk = key[:n_left], key[n_left:]
    pos = pd.Index(rk).get_indexer(lk)
    pos[missing[:n_left]] = -1
    return pos


def take(series: pd.Series, pos: np.ndarray, *, fill=float("nan")) -> np.ndarray:
    """Values of ``series`` at positions ``pos`` (``fill`` where pos is -1), as a numpy array.

    Examples
    --------
    >>> import pandas as pd
    >>> import numpy as np
    >>> take(pd.Series([1.5, 2.5]), np.array([1, -1])).tolist()
    [2.5, nan]
    """
    import numpy as np

    hit = pos >= 0
    if series.dtype.kind == "f":
        vals = series.to_numpy(dtype="float64", na_value=np.nan)
        out = np.full(len(pos), fill, dtype="float64")
    else:
        vals = series.to_numpy(dtype=object)
        out = np.full(len(pos), fill, dtype=object)
    out[hit] = vals[pos[hit]]
    return out
