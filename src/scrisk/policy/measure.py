"""Shared steps of ``check`` and ``diff``: pick a year, bring codes to one HS level, measure each pair.

Pure functions over the canonical flow frame (no I/O); the measures
themselves come from :mod:`scrisk.metrics.concentration`.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable

import pandas as pd

from scrisk.errors import InputError, UsageError
from scrisk.metrics.concentration import import_concentration, world_export_concentration
from scrisk.schema import EXPORTER, HS, IMPORTER, VALUE, YEAR, FlowTable, ReadReport

__all__ = ["registry", "pick_year", "year_flows", "pair_measures", "defect_rejections", "hs_labels", "plain_records"]

PAIR = [IMPORTER, HS]


def registry(baskets=None):
    """Return a basket registry from None (the bundled baskets), a mapping, or extra basket file path(s)."""
    from collections.abc import Mapping

    from scrisk.materials import load_baskets

    if isinstance(baskets, Mapping):
        return baskets
    return load_baskets(extra=baskets or None)


def pick_year(table: FlowTable, year: int | None, *, label: str = "the data") -> int:
    """Return ``year`` when the table has it, else the latest year of the table.

    Raises
    ------
    InputError
        The table has no rows (exit 3).
    UsageError
        ``year`` is not in the table (exit 2).

    Examples
    --------
    >>> from scrisk.schema import make_flow_table
    >>> t = make_flow_table(pd.DataFrame({"year": [2022, 2024], "exporter": ["CHN", "CHN"],
    ...     "importer": ["KOR", "KOR"], "hs": ["811292", "811292"], "value_usd": [1.0, 2.0]}))
    >>> pick_year(t, None), pick_year(t, 2022)
    (2024, 2022)
    """
    years = table.years
    if not years:
        inputs = ", ".join(table.meta.inputs) or label
        raise InputError(f"{label} holds no accepted rows ({inputs}); run `scrisk validate` on it to see why")
    if year is None:
        return years[-1]
    if int(year) not in years:
        raise UsageError(f"year {year} is not in {label} (years: {', '.join(map(str, years))}); pick one of them")
    return int(year)


def year_flows(flows: pd.DataFrame, year: int, *, hs_digits: int = 6) -> pd.DataFrame:
    """Return the flows of one year with HS codes cut to ``hs_digits`` (values of cut lines summed).

    Examples
    --------
    >>> f = pd.DataFrame({"year": [2024, 2024, 2022], "exporter": ["CHN", "CHN", "JPN"],
    ...     "importer": ["KOR"] * 3, "hs": ["8112921010", "8112921090", "811292"], "value_usd": [1.0, 2.0, 5.0]})
    >>> year_flows(f, 2024)[["hs", "value_usd"]].values.tolist()
    [['811292', 3.0]]
    """
    f = flows.loc[flows[YEAR] == year, [YEAR, EXPORTER, IMPORTER, HS, VALUE]]
    hs = f[HS].astype("string")
    if len(f) and int(hs.str.len().max()) > hs_digits:
        f = f.assign(**{HS: hs.str.slice(0, hs_digits)})
        f = f.groupby([YEAR, EXPORTER, IMPORTER, HS], observed=True, sort=True)[VALUE].sum().reset_index()
    return f.reset_index(drop=True)


def pair_measures(flows: pd.DataFrame) -> pd.DataFrame:
    """Measure each (importer, hs) pair of a one-year frame, with the product's world export concentration.

    Returns
    -------
    DataFrame
        Columns of :func:`~scrisk.metrics.concentration.import_concentration`
        without ``year``, plus ``world_export_hhi``, ``world_top_exporter``
        and ``world_top_exporter_share`` (computed from every flow in the
        frame), sorted by importer and hs.

    Examples
    --------
    >>> f = pd.DataFrame({"year": [2024] * 3, "exporter": ["CHN", "JPN", "CHN"],
    ...     "importer": ["KOR", "KOR", "USA"], "hs": ["811292"] * 3, "value_usd": [9.0, 1.0, 10.0]})
    >>> r = pair_measures(f)
    >>> r["importer"].tolist(), [round(float(x), 2) for x in r["top_share"]], round(float(r["world_export_hhi"][0]), 3)
    (['KOR', 'USA'], [0.9, 1.0], 0.905)
    """
    ic = import_concentration(flows, by_year=False)
    wc = world_export_concentration(flows, by_year=False)
    wc = wc[[HS, "world_export_hhi", "world_top_exporter", "world_top_exporter_share"]]
    out = ic.merge(wc, on=HS, how="left")
    return out.sort_values(PAIR, kind="mergesort").reset_index(drop=True)


def defect_rejections(report: ReadReport) -> tuple[int, dict[str, int]]:
    """Return the number of rows rejected as defects and the count per reason (structural drops left out).

    Examples
    --------
    >>> from collections import Counter
    >>> r = ReadReport(rows_read=10, rows_accepted=7, rows_rejected=3,
    ...                reasons=Counter({"negative value": 1, "aggregate partner": 2}))
    >>> defect_rejections(r)
    (1, {'negative value': 1})
    """
    from scrisk.io.reasons import is_defect

    per = {k: int(v) for k, v in sorted(Counter(report.reasons).items()) if v and is_defect(k)}
    return sum(per.values()), per


def hs_labels(codes: Iterable[str], *, baskets=None, revision: str | None = None) -> dict[str, str]:
    """Return ``{hs: material}`` for the codes held by a basket (first basket name alphabetically)."""
    from scrisk.materials import label_materials

    codes = sorted(set(codes))
    if not codes:
        return {}
    labels = label_materials(pd.Series(codes, dtype="string"), baskets, revision=revision)
    return {c: str(m) for c, m in zip(codes, labels) if m}


def plain_records(frame: pd.DataFrame) -> list[dict]:
    """Return the rows as dicts of plain Python values (None for NaN/NA), ready for JSON.

    Examples
    --------
    >>> plain_records(pd.DataFrame({"hs": ["811292"], "hhi": [float("nan")], "n": [3]}))
    [{'hs': '811292', 'hhi': None, 'n': 3}]
    """
    return frame.astype(object).where(frame.notna(), None).to_dict("records")
