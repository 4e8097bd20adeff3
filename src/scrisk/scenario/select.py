"""Select a shock's flows from the flow store: one DuckDB query, integer codes, no Python object per flow.

A shock needs the flows of one year of the products it touches (for an
exporter-wide measure, every product). :func:`select_flows` filters them in
DuckDB from wherever the table lives (the flow store's Parquet files or an
in-memory frame), fetches them as Arrow and codes the exporter, importer and
HS columns as integers (positions in the sorted distinct values, cast in
DuckDB), so the memory held is
bounded by the selected flows, never by the whole table or by pandas
strings. :func:`downstream_exports` sums the exports of the downstream codes
per (country, HS code) in the same way, without reading the rest.

HS prefixes (2, 4, 6 or more digits) are matched as one set lookup per
prefix length (:func:`scrisk.engine.baci_scan.hs_filter_sql`).

Examples
--------
>>> import pandas as pd
>>> from scrisk.schema import make_flow_table
>>> t = make_flow_table(pd.DataFrame({"year": 2024, "exporter": ["CHN", "JPN", "KOR"],
...     "importer": ["KOR", "KOR", "VNM"], "hs": ["811292", "811292", "854231"], "value_usd": [80.0, 20.0, 50.0]}))
>>> s = select_flows(t, 2024, ("8112",))
>>> s.codes.countries.tolist(), s.codes.products.tolist(), s.codes.exporter.tolist(), len(s)
(['CHN', 'JPN', 'KOR'], ['811292'], [0, 1], 2)
>>> downstream_exports(t, 2024, ("8542",)).values.tolist()
[['KOR', '854231', 50.0]]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np
import pandas as pd

from scrisk.scenario.engine import FlowCodes
from scrisk.schema import EXPORTER, HS, IMPORTER, QTY, VALUE, YEAR

if TYPE_CHECKING:  # pragma: no cover
    from scrisk.schema import FlowTable

__all__ = ["Selection", "select_flows", "downstream_exports"]


@dataclass
class Selection:
    """The flows of one year selected for a shock.

    Attributes
    ----------
    codes : FlowCodes
        Exporter, importer and product codes and values, one entry per flow.
    qty : ndarray of float or None
        Quantities (kg, NaN when not reported), when asked for.
    year : int
    """

    codes: FlowCodes
    qty: np.ndarray | None
    year: int

    def __len__(self) -> int:
        return len(self.codes)

    def frame(self) -> pd.DataFrame:
        """The selected flows as a canonical pandas frame (for the modes and inputs that work on frames)."""
        c = self.codes
        qty = self.qty if self.qty is not None else np.full(len(c), np.nan)
        return pd.DataFrame({
            YEAR: np.full(len(c), self.year, dtype=np.int64),
            EXPORTER: pd.Categorical.from_codes(c.exporter, c.countries).astype(str).astype("string"),
            IMPORTER: pd.Categorical.from_codes(c.importer, c.countries).astype(str).astype("string"),
            HS: pd.Categorical.from_codes(c.product, c.products).astype(str).astype("string"),
            VALUE: np.asarray(c.value, dtype=float),
            QTY: qty,
        })


def _where(year: int, hs: Sequence[str] | None) -> str:
    from scrisk.engine.baci_scan import hs_filter_sql

    parts = [f"{YEAR} = {int(year)}"]
    if hs:
        parts.append(hs_filter_sql(HS, hs))
    return " AND ".join(parts)


def _radix_order(*keys: np.ndarray) -> np.ndarray:
    """The stable order sorting by ``keys[0]``, then ``keys[1]``...: one stable (radix) pass per key, last first."""
    order = np.argsort(keys[-1], kind="stable")
    for k in reversed(keys[:-1]):
        order = order[np.argsort(k[order], kind="stable")]
    return order


def _small_ints(a: np.ndarray, n: int) -> np.ndarray:
    """``a`` in the smallest unsigned type holding ``n`` codes (numpy sorts those by radix)."""
    return a.astype(np.uint8 if n <= 1 << 8 else np.uint16 if n <= 1 << 16 else np.int32, copy=False)


def select_flows(table: "FlowTable", year: int, hs: Sequence[str] | None = None, *, qty: bool = False) -> Selection:
    """The flows of ``year`` whose HS code starts with one of ``hs`` (every product when empty or None).

    The year's distinct products are read first and matched against ``hs``
    (one set lookup per prefix length and distinct code); DuckDB then keeps
    and codes every flow as positions in the sorted products and countries
    (``ENUM`` casts inside the scan), so only integers and values reach
    Python, and a list of 5,000 codes costs what every product does.

    Parameters
    ----------
    table : FlowTable
        Parquet-backed (scanned where it is) or in memory (registered, not copied).
    year : int
    hs : sequence of str, optional
        HS codes or prefixes.
    qty : bool
        Also fetch the quantities (quota in kg, ``fsc`` mode).

    Returns
    -------
    Selection
        Codes sorted as :class:`~scrisk.scenario.engine.FlowCodes` requires;
        flows sorted by product, exporter and importer.
    """
    from scrisk.engine.store import arrow_table, connect, flow_source

    from scrisk.materials import hs_prefix_match

    con = connect()
    try:
        src = flow_source(con, table)
        # the products of the year, matched against the prefixes here (a set lookup per distinct code); the flows
        # are then kept by an ENUM cast of their code to those products (NULL for any other), never by testing
        # every row against the list
        products = np.asarray([r[0] for r in con.execute(
            f"SELECT DISTINCT {HS} FROM {src} WHERE {_where(year, None)} ORDER BY 1").fetchall()],
            dtype=object).astype(str)
        if hs:
            products = products[hs_prefix_match(products, hs)]
        tab = None
        if len(products):
            con.execute("CREATE TYPE _product AS ENUM (SELECT unnest($1::VARCHAR[]))", [products.tolist()])
            rest = ", ".join([EXPORTER, IMPORTER, VALUE] + ([QTY] if qty else []))
            con.execute(f"CREATE TEMP VIEW _sel AS SELECT * FROM (SELECT {rest}, "
                        f"enum_code(TRY_CAST({HS} AS _product)) AS p FROM {src} WHERE {_where(year, None)}) "
                        "WHERE p IS NOT NULL")
            countries = np.asarray([r[0] for r in con.execute(
                f"SELECT DISTINCT {EXPORTER} FROM _sel UNION SELECT DISTINCT {IMPORTER} FROM _sel ORDER BY 1"
            ).fetchall()], dtype=object).astype(str)
            con.execute("CREATE TYPE _country AS ENUM (SELECT unnest($1::VARCHAR[]))", [countries.tolist()])
            cols = [f"enum_code(CAST({EXPORTER} AS _country)) AS e", f"enum_code(CAST({IMPORTER} AS _country)) AS m",
                    "p", VALUE] + ([QTY] if qty else [])
            tab = arrow_table(con.sql(f"SELECT {', '.join(cols)} FROM _sel"))
        else:
            countries = np.zeros(0, dtype=str)
    finally:
        con.close()
    C, P = len(countries), len(products)
    if tab is None:
        z = np.zeros(0, dtype=np.int32)
        return Selection(FlowCodes(countries, products, z, z, z, np.zeros(0)), np.zeros(0) if qty else None,
                         int(year))
    ex = _small_ints(tab.column("e").to_numpy(), C)
    im = _small_ints(tab.column("m").to_numpy(), C)
    pr = _small_ints(tab.column("p").to_numpy(), P)
    value = tab.column(VALUE).to_numpy().astype(float, copy=False)
    q = tab.column(QTY).to_numpy().astype(float, copy=False) if qty else None
    del tab
    # the engine's canonical order (product, exporter, importer): the same flows give the same arrays whatever
    # order the store returns them in, and the engine finds them sorted
    order = _radix_order(pr, ex, im)
    ex, im, pr, value = ex[order], im[order], pr[order], value[order]
    if q is not None:
        q = q[order]
    return Selection(FlowCodes(countries, products, ex, im, pr, value), q, int(year))


def downstream_exports(table: "FlowTable", year: int, hs: Sequence[str]) -> pd.DataFrame:
    """Exports of ``year`` per (country, HS code) of the codes starting with ``hs``, summed in DuckDB.

    Returns columns ``importer`` (the country, named as the shock rows name
    it), ``downstream_hs``, ``exports_usd``, sorted by country and code.
    """
    from scrisk.engine.store import arrow_table, connect, flow_source

    if not hs:
        return pd.DataFrame({"importer": pd.Series(dtype="string"), "downstream_hs": pd.Series(dtype="string"),
                             "exports_usd": pd.Series(dtype=float)})
    con = connect()
    try:
        tab = arrow_table(con.sql(
            f"SELECT {EXPORTER} AS importer, {HS} AS downstream_hs, sum({VALUE}) AS exports_usd "
            f"FROM {flow_source(con, table)} WHERE {_where(year, hs)} GROUP BY ALL ORDER BY 1, 2"))
    finally:
        con.close()
    out = tab.to_pandas()
    return out.astype({"importer": "string", "downstream_hs": "string", "exports_usd": float})
