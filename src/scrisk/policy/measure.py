"""Shared steps of ``check`` and ``diff``: pick a year, bring codes to one HS level, and what they measure.

Every figure ``check`` and ``diff`` report comes from the one measurement
engine, :func:`scrisk.metrics.indicators.indicators` (its declarations are
:data:`scrisk.engine.indicators.INDICATORS`). This module holds no measure
of its own: it picks the year, brings HS codes to the level compared
(:func:`level_source`), and derives from the declarations which indicators
a policy may set a threshold on (:func:`policy_measures`) and which ones
``diff`` compares (:func:`diff_measures`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

import pandas as pd

from scrisk.errors import InputError, UsageError
from scrisk.schema import FlowTable, ReadReport

__all__ = [
    "Measure",
    "policy_measures",
    "measure_keys",
    "diff_measures",
    "registry",
    "pick_year",
    "level_source",
    "measure_pairs",
    "defect_rejections",
    "hs_labels",
    "plain_records",
]


# ---------------------------------------------------------------------------
# what a policy may judge, from the indicator declarations


@dataclass(frozen=True)
class Measure:
    """A threshold a ``scrisk check`` rule may set, derived from a declared indicator.

    Attributes
    ----------
    key : str
        The policy key (``max_hhi``, ``min_suppliers``, ``max_hhi_increase``).
    metric : str
        The value judged: the indicator's column, or ``<indicator>_increase``
        (checked minus baseline) for a baseline key.
    indicator : str
        The declared indicator (:func:`scrisk.engine.indicators.indicator`).
    bound : {'max', 'min'}
        ``max``: the value must not exceed the threshold; ``min``: it must
        reach it.
    baseline : bool
        Judged against a baseline vintage (``--baseline``).
    scale : str
        The indicator's scale (``share``, ``hhi``, ``count``, ``usd``...).
    description : str
        What the indicator is, from its declaration.
    world : bool
        It can be judged on data with only reporters' World totals
        (:attr:`scrisk.engine.indicators.Indicator.world`); the others are
        *not evaluable* there.

    Examples
    --------
    >>> m = {m.key: m for m in policy_measures()}
    >>> m["max_top_share"].metric, m["min_suppliers"].metric, m["max_hhi_increase"].metric
    ('top_share', 'n_suppliers', 'hhi_increase')
    >>> m["min_suppliers"].bound, m["max_hhi_increase"].baseline
    ('min', True)
    """

    key: str
    metric: str
    indicator: str
    bound: str
    baseline: bool
    scale: str
    description: str
    world: bool = False

    @property
    def share_scale(self) -> bool:
        """True when the value lies on 0-1 (shares, HHI, the score): a threshold above 1 is an error."""
        return self.scale in _UNIT_SCALES


_UNIT_SCALES = ("share", "hhi", "score")
_KEY_NAMES = {"n_suppliers": "suppliers"}  # min_suppliers, not min_n_suppliers
_HISTORY_STAGES = ("history", "change", "screen", "persist")
_FIRST = ("max_hhi", "max_top_share", "min_suppliers", "max_world_export_hhi")  # judged (and reported) first


@lru_cache(maxsize=1)
def policy_measures() -> tuple[Measure, ...]:
    """Every threshold a policy may set, derived from the declarations marked ``policy``.

    A ``policy`` indicator computed on one year's flows gives a level key:
    ``min_<name>`` for a count (fewer suppliers is the risk; ``n_suppliers``
    gives ``min_suppliers``), ``max_<name>`` otherwise. A ``policy`` change
    indicator ``delta_<name>`` gives the baseline key ``max_<name>_increase``
    (``<name>`` in the checked data minus in the baseline). Indicators that
    need an option ``check`` does not take (``--friendly``, ``--wgi``), and
    other change indicators (one checked year has no history), give none.
    Order: the keys of the first policy format, then declaration order.
    """
    from scrisk.engine.indicators import INDICATORS, indicator

    level: list[Measure] = []
    base: list[Measure] = []
    for ind in INDICATORS:
        if not (ind.policy and ind.output) or ind.needs is not None:
            continue
        if ind.name.startswith("delta_"):
            of = indicator(ind.name[len("delta_"):])
            base.append(Measure(key=f"max_{of.name}_increase", metric=f"{of.name}_increase", indicator=of.name,
                                bound="max", baseline=True, scale=of.scale,
                                description=f"rise since the baseline of: {of.description}", world=of.world))
            continue
        if ind.stage in _HISTORY_STAGES:  # across loaded years: one checked year has no history
            continue
        bound = "min" if ind.scale == "count" else "max"
        level.append(Measure(key=f"{bound}_{_KEY_NAMES.get(ind.name, ind.name)}", metric=ind.name,
                             indicator=ind.name, bound=bound, baseline=False, scale=ind.scale,
                             description=ind.description, world=ind.world))
    first = {k: i for i, k in enumerate(_FIRST)}
    level.sort(key=lambda m: first.get(m.key, len(first)))  # stable: declaration order after the first keys
    return tuple(level) + tuple(base)


def measure_keys(*, baseline: bool | None = None) -> tuple[str, ...]:
    """The policy threshold keys (all, or only the baseline / only the level ones).

    Examples
    --------
    >>> measure_keys(baseline=True)
    ('max_hhi_increase', 'max_top_share_increase')
    >>> measure_keys(baseline=False)[:4]
    ('max_hhi', 'max_top_share', 'min_suppliers', 'max_world_export_hhi')
    """
    return tuple(m.key for m in policy_measures() if baseline is None or m.baseline == baseline)


def diff_measures() -> tuple[str, ...]:
    """The indicators declared ``diff`` (a change between two vintages that ``scrisk diff`` reports).

    Examples
    --------
    >>> {"import_value_usd", "top_share", "hhi"} <= set(diff_measures())
    True
    """
    from scrisk.engine.indicators import INDICATORS

    return tuple(i.name for i in INDICATORS if i.diff and i.output)


# ---------------------------------------------------------------------------
# inputs


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
    years = table.measured_years
    if not years:
        inputs = ", ".join(table.meta.inputs) or label
        if year is not None and table.report.rows_read == 0:  # the year filter runs in the scan: none read
            raise UsageError(f"no rows of year {year} in {label} ({inputs}); pick a year the data holds "
                             "(`scrisk validate FILE` lists them)")
        raise InputError(f"{label} holds no accepted rows ({inputs}); run `scrisk validate` on it to see why")
    if year is None:
        return years[-1]
    if int(year) not in years:
        raise UsageError(f"year {year} is not in {label} (years: {', '.join(map(str, years))}); pick one of them")
    return int(year)


def level_source(table: FlowTable, year: int, *, hs_digits: int = 6) -> FlowTable:
    """Return the flows to measure for ``year`` with HS codes at most ``hs_digits`` long.

    When the year holds longer codes (national tariff lines), they are cut
    to ``hs_digits`` and the values of the lines cut to one code summed, in
    the engine; otherwise ``table`` itself is returned (no copy; the
    measurement filters the year).

    Examples
    --------
    >>> from scrisk.schema import make_flow_table
    >>> t = make_flow_table(pd.DataFrame({"year": [2024, 2024, 2022], "exporter": ["CHN", "CHN", "JPN"],
    ...     "importer": ["KOR"] * 3, "hs": ["8112921010", "8112921090", "811292"], "value_usd": [1.0, 2.0, 5.0]}))
    >>> level_source(t, 2024).frame[["hs", "value_usd"]].values.tolist()
    [['811292', 3.0]]
    >>> level_source(t, 2022) is t
    True
    """
    from scrisk.engine.spark import is_spark_table
    from scrisk.engine.store import arrow_table, connect, flow_source

    digits = int(hs_digits)
    if is_spark_table(table):
        return _spark_level_source(table, int(year), digits)
    con = connect()
    try:
        src = flow_source(con, table)
        longest = con.execute(f"SELECT max(length(hs)) FROM {src} WHERE year = {int(year)}").fetchall()[0][0]
        if longest is None or int(longest) <= digits:
            return table
        tab = arrow_table(con.sql(
            f"SELECT year, exporter, importer, substr(hs, 1, {digits}) AS hs, sum(value_usd) AS value_usd, "
            f"sum(qty_kg) AS qty_kg FROM {src} WHERE year = {int(year)} GROUP BY ALL "
            "ORDER BY year, exporter, importer, hs"
        ))
    finally:
        con.close()
    import pyarrow as pa

    from scrisk.schema import complete_flows

    frame = tab.to_pandas(types_mapper={pa.string(): pd.StringDtype(), pa.large_string(): pd.StringDtype()}.get)
    return FlowTable(frame=complete_flows(frame), meta=table.meta, report=table.report)


def _spark_level_source(table, year: int, digits: int):
    """:func:`level_source` on the Spark engine: the same cut and sum, run where the flows are."""
    from scrisk.engine.spark import SparkFlowTable, SparkQueries, to_spark_sql

    q = SparkQueries()
    src = q.source(table)
    longest = q.rows(f"SELECT max(length(hs)) FROM {src} WHERE year = {year}", "the HS code lengths")[0][0]
    if longest is None or int(longest) <= digits:
        return table
    df = q.spark.sql(to_spark_sql(
        f"SELECT year, exporter, importer, substr(hs, 1, {digits}) AS hs, sum(value_usd) AS value_usd, "
        f"sum(qty_kg) AS qty_kg FROM {src} WHERE year = {year} GROUP BY year, exporter, importer, substr(hs, 1, {digits})"))
    return SparkFlowTable(df, table.meta, table.report)


def measure_pairs(table: FlowTable, year: int, *, importers: Iterable[str] | None = None,
                  hs: Iterable[str] = (), hs_digits: int = 6) -> pd.DataFrame:
    """Every indicator of each (importer, hs) pair with imports in ``year``, from the measurement engine.

    :func:`scrisk.metrics.indicators.indicators` over :func:`level_source`
    of that year alone (world-side figures use every importer's flows of
    the product); one row per pair, sorted by importer and hs, without the
    ``year`` column.

    Examples
    --------
    >>> from scrisk.schema import make_flow_table
    >>> t = make_flow_table(pd.DataFrame({"year": [2024] * 3, "exporter": ["CHN", "JPN", "CHN"],
    ...     "importer": ["KOR", "KOR", "USA"], "hs": ["811292"] * 3, "value_usd": [9.0, 1.0, 10.0]}))
    >>> r = measure_pairs(t, 2024)
    >>> r["importer"].tolist(), [round(float(x), 2) for x in r["top_share"]], round(float(r["world_export_hhi"][0]), 3)
    (['KOR', 'USA'], [0.9, 1.0], 0.905)
    """
    from scrisk.metrics.indicators import indicators

    src = level_source(table, year, hs_digits=hs_digits)
    ind = indicators(src, years=[int(year)], importers=None if importers is None else list(importers),
                     hs=tuple(hs or ()))
    return ind.drop(columns=["year"]).reset_index(drop=True)


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
