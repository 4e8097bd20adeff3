"""Supplier-concentration measures over the canonical flow frame.

Pure functions: they take a flow DataFrame (columns of :mod:`scrisk.schema`)
first, options keyword-only, do no I/O and never mutate their input. Shares
and HHI are on the 0-1 scale; multiply HHI by 10,000 for the antitrust
convention.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrisk.schema import EXPORTER, HS, IMPORTER, VALUE, YEAR

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

__all__ = [
    "hhi",
    "supplier_shares",
    "import_concentration",
    "world_export_concentration",
    "exporter_totals",
    "group_share",
]


def hhi(values) -> float:
    """Compute the Herfindahl-Hirschman index of non-negative values (0-1 scale).

    Values are normalised to shares first. Zero values do not count.

    Parameters
    ----------
    values : array-like of float
        Supplier values (or shares), all >= 0.

    Returns
    -------
    float
        Sum of squared shares in (0, 1]; NaN when the total is 0.

    Examples
    --------
    >>> hhi([50, 50])
    0.5
    >>> hhi([10])
    1.0
    >>> round(hhi([0.6, 0.3, 0.1]), 2)
    0.46
    """
    import numpy as np

    v = np.asarray(values, dtype="float64")
    total = v.sum()
    if not total > 0:
        return float("nan")
    s = v / total
    return float((s * s).sum())


def supplier_shares(flows: pd.DataFrame, *, importer: str, hs: str, year: int | None = None) -> pd.Series:
    """Return each exporter's share of one importer's imports of one product.

    Parameters
    ----------
    flows : DataFrame
        Canonical flow frame.
    importer : str
        ISO3 importer.
    hs : str
        HS code (exact match).
    year : int, optional
        Restrict to one year; by default all years are pooled.

    Returns
    -------
    Series
        Shares indexed by exporter, sorted descending (ties by code), summing to 1.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"year": [2024, 2024], "exporter": ["CHN", "JPN"],
    ...     "importer": ["KOR", "KOR"], "hs": ["811292", "811292"], "value_usd": [3.0, 1.0]})
    >>> supplier_shares(f, importer="KOR", hs="811292").to_dict()
    {'CHN': 0.75, 'JPN': 0.25}
    """
    m = (flows[IMPORTER] == importer) & (flows[HS] == hs)
    if year is not None:
        m &= flows[YEAR] == year
    v = flows.loc[m].groupby(EXPORTER, observed=True)[VALUE].sum()
    v = v[v > 0]
    s = v / v.sum()
    order = sorted(s.index, key=lambda c: (-s[c], c))
    return s.reindex(order).rename("share")


_RADIX_LIMIT = 2**62


def _combine(codes: list[np.ndarray], sizes: list[int]) -> np.ndarray:
    """Combine per-column codes into one int64 per row that sorts like the tuple of codes."""
    import numpy as np

    out = np.zeros(len(codes[0]) if codes else 0, dtype=np.int64)
    size = 1
    for c, n in zip(codes, sizes):
        n = max(int(n), 1)
        if size * n >= _RADIX_LIMIT:  # compact first: ranks keep the order
            out = np.unique(out, return_inverse=True)[1].astype(np.int64)
            size = int(out.max()) + 1 if len(out) else 1
        out = out * n + c
        size *= n
    return out


def _concentration(flows: pd.DataFrame, keys: list[str], supplier: str, prefix: str) -> pd.DataFrame:
    """Shared engine: per group of ``keys``, concentration over ``supplier``.

    Vectorised on integer codes (``pd.factorize(sort=True)``, so code order
    is the sort order of the values): suppliers repeated within a group
    (years or lines pooled) are summed first; the top supplier is the
    largest value, ties broken by the smaller code.
    """
    import numpy as np
    import pandas as pd

    cols = [*keys, supplier]
    f = flows.loc[flows[VALUE] > 0, [*cols, VALUE]]
    facs = [pd.factorize(f[c], sort=True) for c in cols]
    codes = [np.asarray(c, dtype=np.int64) for c, _ in facs]
    uniques = [u for _, u in facs]
    value = f[VALUE].to_numpy(dtype="float64")
    if codes and len(value):
        ok = np.logical_and.reduce([c >= 0 for c in codes])  # missing keys are left out, as groupby does
        if not ok.all():
            codes, value = [c[ok] for c in codes], value[ok]
    names = [f"{prefix}value_usd", f"{prefix}n_suppliers", f"{prefix}top", f"{prefix}top_share", f"{prefix}hhi"]
    if not len(value):
        empty = {k: f[k].iloc[:0].reset_index(drop=True) for k in keys}
        empty.update({names[0]: pd.Series(dtype="float64"), names[1]: pd.Series(dtype="int64"),
                      names[2]: f[supplier].iloc[:0].reset_index(drop=True),
                      names[3]: pd.Series(dtype="float64"), names[4]: pd.Series(dtype="float64")})
        return pd.DataFrame(empty)
    # one entry per (keys, supplier), in key order then supplier order
    pair = _combine(codes, [len(u) for u in uniques])
    order = np.argsort(pair, kind="stable")
    sorted_pair = pair[order]
    pstart = np.flatnonzero(np.r_[True, sorted_pair[1:] != sorted_pair[:-1]])
    pval = np.add.reduceat(value[order], pstart)
    first = order[pstart]  # one row of each pair (all its rows share the codes)
    kcodes = [c[first] for c in codes[:-1]]
    gkey = _combine(kcodes, [len(u) for u in uniques[:-1]])
    start = np.flatnonzero(np.r_[True, gkey[1:] != gkey[:-1]])
    counts = np.diff(np.r_[start, len(gkey)])
    gid = np.repeat(np.arange(len(start)), counts)
    total = np.add.reduceat(pval, start)
    share = pval / total[gid]
    hhi = np.minimum(np.add.reduceat(share * share, start), 1.0)
    # top supplier: the first pair holding the group's largest value (pairs run in supplier-code order)
    at_max = np.flatnonzero(pval == np.maximum.reduceat(pval, start)[gid])
    top = at_max[np.r_[True, gid[at_max][1:] != gid[at_max][:-1]]]
    scode = codes[-1][first]
    out = {k: pd.Series(u.take(kc[start]), copy=False) for k, u, kc in zip(keys, uniques[:-1], kcodes)}
    out.update({
        names[0]: total,
        names[1]: counts.astype("int64"),
        names[2]: pd.Series(uniques[-1].take(scode[top]), copy=False),
        names[3]: share[top],
        names[4]: hhi,
    })
    return pd.DataFrame(out)


def import_concentration(flows: pd.DataFrame, *, by_year: bool = True) -> pd.DataFrame:
    """Measure supplier concentration per (year, importer, hs).

    Parameters
    ----------
    flows : DataFrame
        Canonical flow frame.
    by_year : bool, default True
        When False, years are pooled and the ``year`` column is omitted.

    Returns
    -------
    DataFrame
        Columns ``year, importer, hs, import_value_usd, n_suppliers,
        top_supplier, top_share, hhi, effective_suppliers``; one row per
        group with positive imports, sorted by the keys.

    Notes
    -----
    Zero-value flows do not count as suppliers. HHI is the sum of squared
    value shares (0-1); ``effective_suppliers`` is 1/HHI.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"year": [2024] * 3, "exporter": ["CHN", "JPN", "USA"],
    ...     "importer": ["KOR"] * 3, "hs": ["811292"] * 3, "value_usd": [90.0, 8.0, 2.0]})
    >>> r = import_concentration(f).iloc[0]
    >>> r.top_supplier, round(float(r.top_share), 2), round(float(r.hhi), 4), int(r.n_suppliers)
    ('CHN', 0.9, 0.8168, 3)
    """
    keys = [YEAR, IMPORTER, HS] if by_year else [IMPORTER, HS]
    out = _concentration(flows, keys, EXPORTER, "")
    out = out.rename(
        columns={"value_usd": "import_value_usd", "top": "top_supplier"}
    )
    out["effective_suppliers"] = 1.0 / out["hhi"]
    return out


def world_export_concentration(flows: pd.DataFrame, *, by_year: bool = True) -> pd.DataFrame:
    """Measure exporter concentration of world trade per (year, hs).

    Returns
    -------
    DataFrame
        Columns ``year, hs, world_export_value_usd, n_exporters,
        world_top_exporter, world_top_exporter_share, world_export_hhi``.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"year": [2024] * 3, "exporter": ["CHN", "CHN", "JPN"],
    ...     "importer": ["KOR", "USA", "KOR"], "hs": ["811292"] * 3, "value_usd": [6.0, 2.0, 2.0]})
    >>> r = world_export_concentration(f).iloc[0]
    >>> r.world_top_exporter, float(r.world_top_exporter_share), round(float(r.world_export_hhi), 2)
    ('CHN', 0.8, 0.68)
    """
    keys = [YEAR, HS] if by_year else [HS]
    out = _concentration(flows, keys, EXPORTER, "w_")
    return out.rename(
        columns={
            "w_value_usd": "world_export_value_usd",
            "w_n_suppliers": "n_exporters",
            "w_top": "world_top_exporter",
            "w_top_share": "world_top_exporter_share",
            "w_hhi": "world_export_hhi",
        }
    )


def exporter_totals(flows: pd.DataFrame, *, by_year: bool = True) -> pd.DataFrame:
    """Sum each exporter's exports of each product to all destinations.

    Parameters
    ----------
    flows : DataFrame
        Canonical flow frame.
    by_year : bool, default True
        When False, years are pooled and the ``year`` column is omitted.

    Returns
    -------
    DataFrame
        Columns ``year, exporter, hs, export_value_usd, world_export_share``
        where the share is of all exports of that (year, hs) in ``flows``;
        one row per exporter with positive exports, sorted by the keys.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"year": [2024] * 3, "exporter": ["CHN", "CHN", "JPN"],
    ...     "importer": ["KOR", "USA", "KOR"], "hs": ["811292"] * 3, "value_usd": [6.0, 2.0, 2.0]})
    >>> r = exporter_totals(f)
    >>> r["exporter"].tolist(), [float(x) for x in r["world_export_share"]]
    (['CHN', 'JPN'], [0.8, 0.2])
    """
    keys = [YEAR, EXPORTER, HS] if by_year else [EXPORTER, HS]
    f = flows.loc[flows[VALUE] > 0, [*keys, VALUE]]
    out = f.groupby(keys, observed=True, sort=True)[VALUE].sum().rename("export_value_usd").reset_index()
    world_keys = [k for k in keys if k != EXPORTER]
    world = out.groupby(world_keys, observed=True, sort=False)["export_value_usd"].transform("sum")
    out["world_export_share"] = out["export_value_usd"] / world
    return out


def group_share(flows: pd.DataFrame, *, exporters, by_year: bool = True) -> pd.DataFrame:
    """Measure the share of each importer's imports that comes from a group of exporters.

    Parameters
    ----------
    flows : DataFrame
        Canonical flow frame.
    exporters : iterable of str
        ISO3 codes of the group (e.g. the members of G7 and EU27).
    by_year : bool, default True
        When False, years are pooled and the ``year`` column is omitted.

    Returns
    -------
    DataFrame
        Columns ``year, importer, hs, group_share`` (0-1), one row per group
        of :func:`import_concentration` (0.0 when no supplier is in the group).

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"year": [2024] * 3, "exporter": ["CHN", "JPN", "USA"],
    ...     "importer": ["KOR"] * 3, "hs": ["811292"] * 3, "value_usd": [90.0, 8.0, 2.0]})
    >>> float(group_share(f, exporters=["JPN", "USA"]).loc[0, "group_share"])
    0.1
    """
    keys = [YEAR, IMPORTER, HS] if by_year else [IMPORTER, HS]
    f = flows.loc[flows[VALUE] > 0, [*keys, EXPORTER, VALUE]]
    members = f[EXPORTER].isin(list(exporters))
    total = f.groupby(keys, observed=True, sort=True)[VALUE].sum()
    part = f.loc[members].groupby(keys, observed=True, sort=True)[VALUE].sum()
    share = (part.reindex(total.index).fillna(0.0) / total).rename("group_share")
    return share.reset_index()
