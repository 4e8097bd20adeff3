r"""Supply-concentration indicators (production, EU sourcing), declared once and compiled to SQL.

The rows a query runs over are one per (group keys, supplier) with the
columns ``producer`` (ISO3, or ``name:...`` for a name that maps to no
code), ``kind`` (``country``, ``unmapped``, ``other`` -- an unattributed
remainder such as USGS "Other countries" --, ``world`` -- a reported world
total, a check only), ``q`` (quantity), ``w`` (the supplier's WGI score
0-10, or NULL) and ``t`` (the EU CRM trade parameter t_c, NULL = 1).

With s_c = q_c / Q, where Q sums every row but the ``world`` ones:

* ``production_hhi`` = sum of s_c^2 over the named suppliers (country and
  unmapped); the ``other`` remainder is in Q but is not one producer, so the
  HHI is a lower bound when ``other_share`` > 0;
* ``top_producer`` / ``top_producer_share`` the largest named supplier (ties
  to the smaller code);
* ``hhi_wgi_t`` = sum of s_c^2 * WGI_c * t_c (0-10 scale; the EU CRM
  HHI_WGI,t; suppliers without a WGI score add nothing, see ``wgi_coverage``).

Examples
--------
>>> [i.name for i in SUPPLY_INDICATORS if i.output][:4]
['production_total', 'n_producers', 'world_total_reported', 'top_producer']
"""

from __future__ import annotations

from typing import Iterable, Sequence

from scrisk.engine.indicators import Indicator

__all__ = ["SUPPLY_INDICATORS", "supply_sql", "supply_columns"]

_NAMED = "kind IN ('country', 'unmapped') AND q > 0"
_I = Indicator
SUPPLY_INDICATORS: tuple[Indicator, ...] = (
    _I("production_total", "DOUBLE", "count", "Q: every supplier row but the reported world total (kg for masses)",
       "fsum(q) FILTER (WHERE kind <> 'world')", "supply"),
    _I("n_producers", "BIGINT", "count", "Named suppliers with a quantity > 0", f"count(*) FILTER (WHERE {_NAMED})",
       "supply", pandas="int64"),
    _I("world_total_reported", "DOUBLE", "count", "The table's own world total, when it has one (a check on Q)",
       "max(q) FILTER (WHERE kind = 'world')", "supply"),
    _I("_ptop", "STRUCT(nq DOUBLE, p VARCHAR)", "code", "largest named supplier (negated quantity, code)",
       f"min(struct_pack(nq := -q, p := producer)) FILTER (WHERE {_NAMED})", "supply"),
    _I("_pss", "DOUBLE", "count", "sum of squared named quantities", f"coalesce(fsum(q * q) FILTER (WHERE {_NAMED}), 0.0)",
       "supply"),
    _I("_other_q", "DOUBLE", "count", "unattributed remainder", "coalesce(fsum(q) FILTER (WHERE kind = 'other'), 0.0)",
       "supply"),
    _I("_unmapped_q", "DOUBLE", "count", "quantity of names without ISO3",
       "coalesce(fsum(q) FILTER (WHERE kind = 'unmapped'), 0.0)", "supply"),
    _I("_wt", "DOUBLE", "count", "sum of q^2 * WGI * t over named suppliers with a WGI score",
       f"coalesce(fsum(q * q * w * coalesce(t, 1.0)) FILTER (WHERE {_NAMED} AND w IS NOT NULL), 0.0)", "supply",
       needs="wgi"),
    _I("_wcov", "DOUBLE", "count", "quantity of named suppliers with a WGI score",
       f"coalesce(fsum(q) FILTER (WHERE {_NAMED} AND w IS NOT NULL), 0.0)", "supply", needs="wgi"),
    _I("top_producer", "VARCHAR", "code", "Largest named supplier (ISO3; ties to the smaller code)", "_ptop.p", "row",
       pandas="string"),
    _I("top_producer_share", "DOUBLE", "share", "Top supplier's share of Q (0-1)",
       "CASE WHEN production_total > 0 THEN -_ptop.nq / production_total END", "row"),
    _I("production_hhi", "DOUBLE", "hhi", "HHI of the named suppliers' shares of Q, sum of s_c^2 (0-1; a lower bound "
       "when other_share > 0)", "CASE WHEN production_total > 0 THEN least(_pss / (production_total * production_total), "
       "1.0) END", "row"),
    _I("other_share", "DOUBLE", "share", "Share of Q in an unattributed remainder ('Other countries')",
       "CASE WHEN production_total > 0 THEN _other_q / production_total END", "row"),
    _I("unmapped_share", "DOUBLE", "share", "Share of Q from names that map to no ISO3 code",
       "CASE WHEN production_total > 0 THEN _unmapped_q / production_total END", "row"),
    _I("hhi_wgi_t", "DOUBLE", "score", "EU CRM HHI_WGI,t = sum of s_c^2 * WGI_c * t_c (0-10; WGI 0-10, higher = worse)",
       "CASE WHEN production_total > 0 THEN _wt / (production_total * production_total) END", "row", needs="wgi"),
    _I("wgi_coverage", "DOUBLE", "share", "Share of Q from named suppliers with a WGI score",
       "CASE WHEN production_total > 0 THEN _wcov / production_total END", "row", needs="wgi"),
)
"""The supply-concentration indicators, in output order."""


def supply_columns(options: Iterable[str] = ()) -> list[str]:
    """The output columns present with ``options`` (``wgi``)."""
    opts = set(options)
    return [i.name for i in SUPPLY_INDICATORS if i.output and (i.needs is None or i.needs in opts)]


def supply_sql(source: str, keys: Sequence[str], *, options: Iterable[str] = ()) -> str:
    """Compile the declarations into one query over ``source`` (columns ``keys..., producer, kind, q, w, t``).

    Returns a query with ``keys`` and :func:`supply_columns` per group.

    Examples
    --------
    >>> import duckdb
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE s AS SELECT * FROM (VALUES ('ga', 'CHN', 'country', 600.0, NULL::DOUBLE, "
    ...     "NULL::DOUBLE), ('ga', 'JPN', 'country', 10.0, NULL, NULL), ('ga', NULL, 'world', 610.0::DOUBLE, NULL, NULL)) "
    ...     "v(m, producer, kind, q, w, t)")
    >>> con.sql(supply_sql("s", ["m"]) + " ORDER BY m").fetchall()[0][:6]
    ('ga', 610.0, 2, 610.0, 'CHN', 0.9836065573770492)
    """
    opts = set(options)
    k = ", ".join(keys)
    agg = ", ".join(f"{i.sql} AS {i.name}" for i in SUPPLY_INDICATORS
                    if i.stage == "supply" and (i.needs is None or i.needs in opts))
    row = ", ".join(f"{i.sql} AS {i.name}" for i in SUPPLY_INDICATORS
                    if i.stage == "row" and (i.needs is None or i.needs in opts))
    cols = ", ".join(supply_columns(opts))
    return (f"WITH agg AS (SELECT {k}, {agg} FROM {source} GROUP BY {k}), "
            f"rowv AS (SELECT *, {row} FROM agg) SELECT {k}, {cols} FROM rowv")
