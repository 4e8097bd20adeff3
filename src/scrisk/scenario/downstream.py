"""Downstream exposure: which products of an affected importer depend on the shocked input, and how much trade.

The material baskets carry upstream-to-downstream links (gallium 811292 ->
wafers 381800 -> integrated circuits 8542). For every importer left short of
a shocked input, each product reachable downstream of that input (links
followed transitively; ``tier`` 1 = a direct use) is listed with:

* ``exports_usd``: the importer's exports of the downstream product in the
  data (the raw downstream trade value);
* ``at_stake_usd = exports_usd * input_shortfall_share``: the part of those
  exports at stake if output falls in proportion to the missing input (a
  Leontief-style, no-substitution reading; an upper-bound indicator, not a
  forecast).

Rows for one downstream product reached from several inputs overlap: do not
add them up across inputs.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import pandas as pd

from scrisk.schema import EXPORTER, HS, VALUE

__all__ = ["DOWNSTREAM_COLUMNS", "downstream_exposure", "downstream_codes"]

DOWNSTREAM_COLUMNS: tuple[str, ...] = (
    "importer", "input_hs", "input_shortfall_share", "downstream_hs", "link", "tier", "note", "exports_usd",
    "at_stake_usd",
)


def _tiers(start: str, links) -> list[tuple[Any, int]]:
    """Attach a tier (1 = direct use of ``start``) to links returned breadth-first by downstream_of."""
    reached = {start: 0}
    out = []
    for link in links:
        tier = min((t for code, t in reached.items() if code.startswith(link.upstream) or link.upstream.startswith(code)),
                   default=0) + 1
        out.append((link, tier))
        reached.setdefault(link.downstream, tier)
    return out


def downstream_codes(hs_codes, baskets: Mapping[str, Any] | None = None) -> tuple[str, ...]:
    """HS codes/prefixes reachable downstream of ``hs_codes`` through the basket links.

    Examples
    --------
    >>> downstream_codes(["283691"])
    ('850760', '870380')
    """
    from scrisk.materials import downstream_of

    codes = list(hs_codes)
    if not codes:
        return ()
    return tuple(sorted({link.downstream for link in downstream_of(codes, baskets)}))


def _linked_inputs(inputs: list[str], links) -> list[str]:
    """The inputs some link starts from (equal codes, or one a prefix of the other): set lookups, no loop per pair."""
    import numpy as np

    from scrisk.materials import hs_prefix_match

    ups = sorted({link.upstream for link in links})
    if not inputs or not ups:
        return []
    below = {u[:n] for u in ups for n in range(2, len(u) + 1)}  # an input that is a prefix of an upstream code
    hit = hs_prefix_match(inputs, ups) | np.fromiter((h in below for h in inputs), dtype=bool, count=len(inputs))
    return [h for h, ok in zip(inputs, hit) if ok]


def downstream_exposure(
    flows: pd.DataFrame | None,
    rows: pd.DataFrame,
    *,
    baskets: Mapping[str, Any] | None = None,
    exports: Callable[[tuple[str, ...]], pd.DataFrame] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Downstream products at stake for every (importer, input) with a shortfall.

    Computed once for all inputs: the (input, downstream code, link, tier)
    pairs are built for the inputs the basket links start from (a number
    bounded by the baskets, not by the products shocked), then joined with
    the shortfall rows and the downstream exports in two merges.

    Parameters
    ----------
    flows : DataFrame or None
        Canonical flows of the shocked year (all products read, including
        downstream ones when the file has them). Not modified. Not used when
        ``exports`` is given.
    rows : DataFrame
        Shock rows per (importer, hs) with ``shortfall_share``.
    baskets : dict, optional
        Baskets whose links are followed (default: bundled).
    exports : callable, optional
        ``exports(codes)`` returns the exports per country of the HS codes
        starting with ``codes`` (columns ``importer, downstream_hs,
        exports_usd``), e.g. summed in the flow store by
        :func:`scrisk.scenario.select.downstream_exports`; default: summed
        from ``flows``.

    Returns
    -------
    (DataFrame, list of str)
        Rows with :data:`DOWNSTREAM_COLUMNS`, sorted by at-stake value
        (descending), importer, input, downstream code; and notes (e.g. the
        data holds none of the downstream codes).

    Examples
    --------
    >>> flows = pd.DataFrame({"exporter": ["KOR", "KOR"], "importer": ["USA", "CHN"],
    ...                       "hs": ["850760", "870380"], "value_usd": [100.0, 40.0]})
    >>> rows = pd.DataFrame({"importer": ["KOR"], "hs": ["283691"], "shortfall_share": [0.25]})
    >>> got, notes = downstream_exposure(flows, rows)
    >>> got[["downstream_hs", "tier", "exports_usd", "at_stake_usd"]].values.tolist()
    [['850760', 1, 100.0, 25.0], ['870380', 2, 40.0, 10.0]]
    """
    from scrisk.materials import _default, _merged_links, downstream_of

    empty = pd.DataFrame({c: pd.Series(dtype="object") for c in DOWNSTREAM_COLUMNS})
    short = rows[rows["shortfall_share"] > 0]
    if short.empty:
        return empty, []
    inputs = sorted(pd.unique(short["hs"].astype(str)))
    linked = _linked_inputs(inputs, _merged_links(_default(baskets)))
    links_by_input = {h: _tiers(h, downstream_of(h, baskets)) for h in linked}
    if not any(links_by_input.values()):
        shown = ", ".join(inputs[:20]) + (f" and {len(inputs) - 20:,} more" if len(inputs) > 20 else "")
        return empty, [f"no downstream links in the material baskets for HS {shown}; downstream exposure is empty"]

    wanted = tuple(sorted({link.downstream for links in links_by_input.values() for link, _ in links}))
    if exports is None:
        exp_frame = _exports_from(flows, wanted)
    else:
        exp_frame = exports(wanted)
    exp_frame = exp_frame.astype({"importer": str, "downstream_hs": str})
    present = list(pd.unique(exp_frame["downstream_hs"]))
    # per downstream link code, once (an HS4 heading carried as a product holds the codes under it)
    codes_of = {d: [c for c in present if c.startswith(d) or (len(c) == 4 and d[:4] == c)] for d in wanted}
    pairs = []
    missing: set[str] = set()
    for h, links in links_by_input.items():
        for k, (link, tier) in enumerate(links):
            if not codes_of[link.downstream]:
                missing.add(link.downstream)
            for c in codes_of[link.downstream]:
                pairs.append((h, c, k, f"{link.upstream}->{link.downstream}", tier, link.note))
    notes = []
    if missing:
        notes.append("the data holds no flows of downstream code(s) " + ", ".join(sorted(missing))
                     + "; downstream exposure for them needs a file that includes those codes")
    if not pairs:
        return empty, notes
    # one row per (input, downstream code): the first link reaching it (breadth first), as the walk lists them
    pair = (pd.DataFrame(pairs, columns=["input_hs", "downstream_hs", "_k", "link", "tier", "note"])
            .sort_values(["input_hs", "_k"], kind="mergesort")
            .drop_duplicates(["input_hs", "downstream_hs"], keep="first").drop(columns="_k"))
    sub = short.loc[short["hs"].astype(str).isin(list(links_by_input)), ["importer", "hs", "shortfall_share"]]
    sub = pd.DataFrame({"importer": sub["importer"].astype(str).to_numpy(), "input_hs": sub["hs"].astype(str).to_numpy(),
                        "input_shortfall_share": sub["shortfall_share"].to_numpy(dtype=float)})
    res = sub.merge(pair, on="input_hs", how="inner").merge(exp_frame, on=["importer", "downstream_hs"], how="inner")
    if res.empty:
        return empty, notes
    res["tier"] = res["tier"].astype(int)
    res["at_stake_usd"] = res["exports_usd"] * res["input_shortfall_share"]
    res = res.sort_values(["at_stake_usd", "importer", "input_hs", "downstream_hs"],
                          ascending=[False, True, True, True], kind="mergesort").reset_index(drop=True)
    return res[list(DOWNSTREAM_COLUMNS)], notes


def _exports_from(flows: pd.DataFrame, wanted: tuple[str, ...]) -> pd.DataFrame:
    """Exports per (country, code) of the codes starting with ``wanted``, from a frame of flows."""
    from scrisk.materials import hs_mask

    linked = flows[hs_mask(flows[HS], wanted).to_numpy(dtype=bool)]
    exports = linked.assign(_hs=linked[HS].astype(str)).groupby([EXPORTER, "_hs"], observed=True)[VALUE].sum()
    out = exports.reset_index().rename(columns={EXPORTER: "importer", "_hs": "downstream_hs", VALUE: "exports_usd"})
    out["importer"] = out["importer"].astype(str)
    return out
