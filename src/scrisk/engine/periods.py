"""Periods: run any command on one year, one month or a rolling window of months.

The flow table carries a period per row (``year``, and ``month`` for monthly
flows, null for annual ones). :func:`select_period` turns a table into the
flows of one **analysis period** -- summed over its months, stamped with the
period's last year and no month -- so every indicator declared in
:mod:`scrisk.engine.indicators` runs on it unchanged (there is no second copy
of any metric). The CLI's ``--period 2024-06 --rolling 12`` on analyze,
check, diff and shock; ``scrisk diff FILE --period 2024-06 --compare mom``
(month on month) or ``--compare yoy`` (year on year) compares the period with
the one a month or a year earlier.

Rules:

* ``--period 2024``: the year. Annual rows of 2024 when the data has any,
  else the sum of its monthly rows (and a note of how many months there are).
* ``--period 2024-06``: the monthly rows of June 2024.
* ``--period 2024-06 --rolling 12``: the monthly rows of July 2023 .. June
  2024, summed per (exporter, importer, hs); the months of the window the
  data lacks are listed in meta (``period.months_missing``).

Examples
--------
>>> p = parse_period("2024-06", rolling=12)
>>> p.label, p.first, p.shift(-1).label, p.shift(-12).label
('2023-07..2024-06', '2023-07', '2023-06..2024-05', '2022-07..2023-06')
>>> parse_period("2024").label, parse_period("202406").label
('2024', '2024-06')
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrisk.errors import UsageError

if TYPE_CHECKING:  # pragma: no cover
    from scrisk.schema import FlowTable

__all__ = ["Period", "parse_period", "select_period", "COMPARE"]

COMPARE = {"mom": -1, "yoy": -12}
"""``--compare`` choices of ``scrisk diff``: how many months back the earlier period starts."""

_RE = re.compile(r"^\s*(\d{4})(?:[-/.M]?(\d{1,2}))?\s*$", re.IGNORECASE)


def _label(year: int, month: int | None) -> str:
    return f"{year:04d}" if month is None else f"{year:04d}-{month:02d}"


@dataclass(frozen=True)
class Period:
    """An analysis period: a year, a month, or ``rolling`` months ending with ``year``-``month``."""

    year: int
    month: int | None = None
    rolling: int | None = None

    @property
    def index(self) -> int:
        """Months since year 0 of the last month (``year * 12 + month - 1``)."""
        return self.year * 12 + (self.month or 12) - 1

    @property
    def months(self) -> list[tuple[int, int]]:
        """The (year, month) pairs of the period (all 12 of a year)."""
        n = self.rolling or (1 if self.month is not None else 12)
        return [(i // 12, i % 12 + 1) for i in range(self.index - n + 1, self.index + 1)]

    @property
    def first(self) -> str:
        """Label of the first month (the year for a year)."""
        if self.month is None:
            return _label(self.year, None)
        return _label(*self.months[0])

    @property
    def label(self) -> str:
        """``2024``, ``2024-06`` or ``2023-07..2024-06``."""
        last = _label(self.year, self.month)
        return last if not self.rolling or self.rolling == 1 else f"{self.first}..{last}"

    @property
    def kind(self) -> str:
        """``year``, ``month`` or ``rolling``."""
        return "year" if self.month is None else ("rolling" if self.rolling and self.rolling > 1 else "month")

    def shift(self, months: int) -> "Period":
        """The same period ``months`` earlier (negative) or later; a year shifts by whole years."""
        if self.month is None:
            if months % 12:
                raise UsageError("a year period shifts by whole years: use --compare yoy, or --period YYYY-MM for mom")
            return dataclasses.replace(self, year=self.year + months // 12)
        y, m = divmod(self.index + months, 12)
        return dataclasses.replace(self, year=y, month=m + 1)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (``label``, ``kind``, ``first``, ``last``, ``months``)."""
        return {"label": self.label, "kind": self.kind, "first": self.first, "last": _label(self.year, self.month),
                "months": len(self.months) if self.month is not None else None}


def parse_period(text: str | int | None, *, rolling: int | None = None) -> Period | None:
    """Parse ``2024``, ``2024-06``, ``202406``, ``2024M06`` (and ``rolling`` months); None stays None.

    Examples
    --------
    >>> parse_period("2024-13")
    Traceback (most recent call last):
    ...
    scrisk.errors.UsageError: --period '2024-13' is not a period; write a year (2024) or a month (2024-06)
    """
    if text is None:
        if rolling:
            raise UsageError("--rolling needs --period YYYY-MM (the last month of the window)")
        return None
    m = _RE.match(str(text))
    month = int(m.group(2)) if m and m.group(2) else None
    if not m or (month is not None and not 1 <= month <= 12) or not 1900 <= int(m.group(1)) <= 2100:
        raise UsageError(f"--period {text!r} is not a period; write a year (2024) or a month (2024-06)")
    if rolling is not None:
        if month is None:
            raise UsageError(f"--rolling {rolling} needs a month period (--period {m.group(1)}-12), not a year")
        if not 1 <= int(rolling) <= 120:
            raise UsageError(f"--rolling {rolling} must be between 1 and 120 months")
    return Period(int(m.group(1)), month, int(rolling) if rolling else None)


def _cols(con, src: str) -> list[str]:
    return [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()]


def select_period(table: "FlowTable", period: Period) -> "FlowTable":
    """The flows of ``period``, summed per (exporter, importer, hs), stamped with its last year and no month.

    ``meta.period`` records the period and the months the data has and lacks;
    the read report is kept (it accounts for the rows read, every period).
    Raises a usage error when the data holds none of the period's flows.
    """
    from scrisk.engine.ingest import scratch_dir
    from scrisk.engine.store import connect, flow_source, sql_str
    from scrisk.schema import FlowTable

    con = connect()
    try:
        src = flow_source(con, table)
        cols = _cols(con, src)
        monthly = "month" in cols
        month = "month" if monthly else "NULL::TINYINT"
        have = con.execute(f"SELECT DISTINCT year, {month} AS m FROM {src} ORDER BY 1, 2").fetchall()
        annual_years = sorted({int(y) for y, m in have if m is None})
        months_in = sorted({(int(y), int(m)) for y, m in have if m is not None})
        info = period.to_dict()
        if period.month is None and period.year in annual_years:
            where, months_present = f"year = {period.year} AND {month} IS NULL", None
        else:
            want = period.months
            if period.month is not None and not months_in:
                years = ", ".join(str(y) for y in annual_years) or "none"
                raise UsageError(f"--period {period.label}: the data holds annual flows only (years {years}); "
                                 "give a year, e.g. --period " + (str(annual_years[-1]) if annual_years else "2024"))
            idx = sorted({y * 12 + m - 1 for y, m in months_in} & {y * 12 + m - 1 for y, m in want})
            if not idx:
                got = _span(months_in, annual_years)
                raise UsageError(f"--period {period.label} is not in the data (it holds {got}); pick a period it has")
            lo, hi = want[0][0] * 12 + want[0][1] - 1, want[-1][0] * 12 + want[-1][1] - 1
            where = f"{month} IS NOT NULL AND year * 12 + {month} - 1 BETWEEN {lo} AND {hi}"
            present = {(i // 12, i % 12 + 1) for i in idx}
            months_present = [_label(y, m) for y, m in want if (y, m) in present]
            info["months_missing"] = [_label(y, m) for y, m in want if (y, m) not in present]
        info["months_present"] = months_present
        key = ["exporter", "importer", "hs"]
        extra = []
        if monthly:
            extra.append("NULL::TINYINT AS month")
        if "hs_revision" in cols:
            key.append("hs_revision")
        out = Path(tempfile.mkstemp(prefix="flows-period-", suffix=".parquet", dir=scratch_dir())[1])
        con.execute(f"""COPY (
            SELECT {period.year}::BIGINT AS year, {', '.join(key)}, fsum(value_usd) AS value_usd,
                   CASE WHEN count(CASE WHEN NOT isnan(qty_kg) THEN qty_kg END) = 0 THEN 'NaN'::DOUBLE
                        ELSE fsum(CASE WHEN NOT isnan(qty_kg) THEN qty_kg END) END AS qty_kg
                   {''.join(', ' + e for e in extra)}
            FROM {src} WHERE {where} GROUP BY ALL
            ) TO {sql_str(str(out))} (FORMAT parquet, COMPRESSION zstd)""")
        n = con.execute(f"SELECT count(*) FROM read_parquet({sql_str(str(out))})").fetchone()[0]
    finally:
        con.close()
    notes = list(table.meta.notes)
    if info.get("months_missing"):
        miss = info["months_missing"]
        notes.append(f"period {period.label}: the data lacks {len(miss)} of its {len(period.months)} months "
                     f"({', '.join(miss[:6])}{'...' if len(miss) > 6 else ''}); figures cover the months present")
    elif period.month is None and months_present is not None:
        notes.append(f"period {period.label}: the sum of the {len(months_present)} monthly periods the data has")
    meta = dataclasses.replace(table.meta, years=(period.year,), notes=tuple(notes), period=info)
    res = FlowTable(meta=meta, report=table.report, parquet=(str(out),), num_rows=int(n))
    for attr in ("hs_split",):
        if hasattr(table, attr):
            setattr(res, attr, {k: v for k, v in getattr(table, attr).items() if k[0] == period.year})
    return res


def _span(months: list[tuple[int, int]], years: list[int]) -> str:
    parts = []
    if months:
        parts.append(f"months {_label(*months[0])} to {_label(*months[-1])}")
    if years:
        parts.append("years " + ", ".join(str(y) for y in years))
    return " and ".join(parts) or "no flows"
