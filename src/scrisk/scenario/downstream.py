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

from typing import Any, Mapping

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


def downstream_exposure(
    flows: pd.DataFrame,
    rows: pd.DataFrame,
    *,
    baskets: Mapping[str, Any] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Downstream products at stake for every (importer, input) with a shortfall.

    Parameters
    ----------
    flows : DataFrame
        Canonical flows of the shocked year (all products read, including
        downstream ones when the file has them). Not modified.
    rows : DataFrame
        Shock rows per (importer, hs) with ``shortfall_share``.
    baskets : dict, optional
        Baskets whose links are followed (default: bundled).

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
    from scrisk.materials import downstream_of

    empty = pd.DataFrame({c: pd.Series(dtype="object") for c in DOWNSTREAM_COLUMNS})
    short = rows[rows["shortfall_share"] > 0]
    if short.empty:
        return empty, []
    inputs = sorted(short["hs"].astype(str).unique())
    links_by_input = {h: _tiers(h, downstream_of(h, baskets)) for h in inputs}
    if not any(links_by_input.values()):
        return empty, [f"no downstream links in the material baskets for HS {', '.join(inputs)}; "
                       "downstream exposure is empty"]
    from scrisk.materials import hs_mask

    wanted = sorted({link.downstream for links in links_by_input.values() for link, _ in links})
    linked = flows[hs_mask(flows[HS], wanted).to_numpy(dtype=bool)]
    exports = (linked.assign(_hs=linked[HS].astype(str)).groupby([EXPORTER, "_hs"], observed=True)[VALUE].sum())
    exp_frame = exports.reset_index().rename(columns={EXPORTER: "importer", "_hs": "downstream_hs",
                                                      VALUE: "exports_usd"})
    exp_frame["importer"] = exp_frame["importer"].astype(str)
    present = exp_frame["downstream_hs"].unique()
    out: list[pd.DataFrame] = []
    missing: set[str] = set()
    for h in inputs:
        sub = short[short["hs"].astype(str) == h][["importer", "shortfall_share"]].copy()
        sub["importer"] = sub["importer"].astype(str)
        for link, tier in links_by_input[h]:
            codes = [c for c in present if c.startswith(link.downstream)]
            if not codes:
                missing.add(link.downstream)
                continue
            got = exp_frame[exp_frame["downstream_hs"].isin(codes)].merge(sub, on="importer", how="inner")
            if got.empty:
                continue
            got = got.rename(columns={"shortfall_share": "input_shortfall_share"})
            got["input_hs"] = h
            got["link"] = f"{link.upstream}->{link.downstream}"
            got["tier"] = tier
            got["note"] = link.note
            got["at_stake_usd"] = got["exports_usd"] * got["input_shortfall_share"]
            out.append(got)
    notes = []
    if missing:
        notes.append("the data holds no flows of downstream code(s) " + ", ".join(sorted(missing))
                     + "; downstream exposure for them needs a file that includes those codes")
    if not out:
        return empty, notes
    res = pd.concat(out, ignore_index=True)
    res = res.drop_duplicates(["importer", "input_hs", "downstream_hs"], keep="first")
    res = res.sort_values(["at_stake_usd", "importer", "input_hs", "downstream_hs"],
                          ascending=[False, True, True, True], kind="mergesort").reset_index(drop=True)
    return res[list(DOWNSTREAM_COLUMNS)], notes
