"""Why an input row was rejected: the stable reason strings and their kind.

Every row a reader reads is either accepted into the flow table or rejected
with exactly one of the reasons below (the first check it fails, in the order
listed). The strings are a stable contract: they appear in
``ReadReport.reasons``, in ``scrisk validate`` output and in the quarantine
CSV.

Reasons are of two kinds:

* **defects** -- the row is broken or contradicts the canonical schema (a
  negative value, an unknown country code...). ``scrisk validate`` exits 1
  when any defect is found.
* **structural** -- the row is well formed but is not a bilateral flow the
  table can hold: a Comtrade World/area aggregate partner, a breakdown row
  repeating a total, a re-export, the unused side of a mirror pair. These are
  counted like defects but do not make ``scrisk validate`` fail.

Rows outside a ``--year``/``--hs`` filter are never read (the filter runs in
the scan), so they are neither counted nor rejected. Blank lines are skipped
the same way; a line of only delimiters (``,,,,``) is a row, rejected as
:data:`EMPTY_ROW`.

Examples
--------
>>> is_defect(NEGATIVE_VALUE), is_defect(AGGREGATE_PARTNER)
(True, False)
>>> kind_of_reason(DUPLICATE_BREAKDOWN)
'structural'
"""

from __future__ import annotations

from scrisk.schema import MAX_QTY_KG, MAX_VALUE_USD

__all__ = [
    "WRONG_FIELD_COUNT",
    "EMPTY_ROW",
    "MISSING_FIELD",
    "BAD_YEAR",
    "MALFORMED_HS",
    "NON_NUMERIC_VALUE",
    "NEGATIVE_VALUE",
    "VALUE_TOO_LARGE",
    "MAX_VALUE_USD",
    "MAX_QTY_KG",
    "BAD_QUANTITY",
    "UNKNOWN_COUNTRY",
    "SELF_TRADE",
    "OWN_PARTNER",
    "UNKNOWN_FLOW",
    "NON_ANNUAL",
    "DUPLICATE_KEY",
    "AGGREGATE_PARTNER",
    "AGGREGATE_HS",
    "DUPLICATE_BREAKDOWN",
    "REEXPORT",
    "OTHER_FLOW",
    "OTHER_SIDE",
    "SUPERSEDED",
    "BAD_REVISION",
    "WORLD_TOTAL",
    "DEFECTS",
    "STRUCTURAL",
    "ALL_REASONS",
    "is_defect",
    "kind_of_reason",
]

# --- defects -------------------------------------------------------------
WRONG_FIELD_COUNT = "wrong number of fields"
"""The line has more or fewer fields than the header."""
EMPTY_ROW = "empty row"
"""Every field of the row is empty: a line of only delimiters (``,,,,``, as spreadsheets export trailing rows)
or a Parquet row of nulls. A blank line is not a row."""
MISSING_FIELD = "missing field"
"""A required field (year, exporter, importer, HS code, value) is empty."""
BAD_YEAR = "bad year"
"""The year is not an integer between 1900 and 2100."""
MALFORMED_HS = "malformed HS code"
"""The HS code is not 6 digits (5 with a dropped leading zero) or an 8-10 digit tariff line."""
NON_NUMERIC_VALUE = "non-numeric value"
"""The trade value is not a number."""
NEGATIVE_VALUE = "negative value"
"""The trade value is below zero."""
VALUE_TOO_LARGE = "value too large"
"""The value in USD (after the unit: BACI's thousands x 1000) is above :data:`MAX_VALUE_USD` or infinite.

No single flow comes near: world merchandise trade is about US$2.5e13 a year.
The cap keeps every sum finite (no infinity, no NaN from inf - inf), so no
total, share or identity check can silently break on overflow."""
BAD_QUANTITY = "non-numeric or negative quantity"
"""The quantity is present but is not a number >= 0 (or is above :data:`MAX_QTY_KG`; an empty or NA quantity is fine)."""
UNKNOWN_COUNTRY = "unknown country code"
"""The exporter, importer, reporter or partner code is not in the country table."""
SELF_TRADE = "self-trade"
"""Exporter and importer are the same country."""
UNKNOWN_FLOW = "unknown flow code"
"""A Comtrade flow code scrisk does not know."""
NON_ANNUAL = "non-annual period"
"""A Comtrade row with a monthly (or other non-annual) frequency; scrisk reads annual data."""
DUPLICATE_KEY = "duplicate key"
"""A second row for the same (year, exporter, importer, hs), in the same or another file; the first is kept."""

# --- structural ----------------------------------------------------------
AGGREGATE_PARTNER = "aggregate partner"
"""World, the EU or a regional aggregate as partner or reporter: not a bilateral flow.

Unallocated "nes" areas (BACI R20, Comtrade 899 Areas nes...) are *kept* as
flows under their pseudo codes: they are real trade whose partner is unknown,
and dropping them would inflate the remaining suppliers' shares."""
OWN_PARTNER = "own country as partner"
"""A Comtrade row whose partner is the reporter itself (re-imports of own goods): not a bilateral flow."""
AGGREGATE_HS = "aggregate HS code"
"""A chapter/heading total (2 or 4 digits) or TOTAL, not a product line."""
DUPLICATE_BREAKDOWN = "duplicate breakdown row"
"""A Comtrade breakdown row (by 2nd partner, transport mode, customs procedure) repeating a total."""
REEXPORT = "re-export or re-import"
"""Comtrade re-export (RX) or re-import (RM) flows: not used, they would double count."""
OTHER_FLOW = "other flow code"
"""Comtrade special flows (domestic exports, processing, ...) that scrisk does not use."""
OTHER_SIDE = "other reported side"
"""A Comtrade row from the side not selected with ``comtrade_side`` (imports when exports were asked, or vice versa)."""
SUPERSEDED = "superseded by partner report"
"""With ``comtrade_side="both"``: an exporter report of a flow the importer also reported (the import report is used)."""
BAD_REVISION = "unknown HS revision"
"""A per-row HS revision column holds something other than HS1992..HS2022 (or Comtrade's H0..H6)."""
WORLD_TOTAL = "reporter-to-World total"
"""A reporter's total with the World (partner 0, ``W00``, ``World``): kept in the world-totals side table
(``FlowMeta.world_totals``) for world-side figures, never as a bilateral flow."""

DEFECTS: tuple[str, ...] = (
    WRONG_FIELD_COUNT,
    EMPTY_ROW,
    MISSING_FIELD,
    BAD_YEAR,
    MALFORMED_HS,
    NON_NUMERIC_VALUE,
    NEGATIVE_VALUE,
    VALUE_TOO_LARGE,
    BAD_QUANTITY,
    UNKNOWN_COUNTRY,
    SELF_TRADE,
    UNKNOWN_FLOW,
    NON_ANNUAL,
    DUPLICATE_KEY,
    BAD_REVISION,
)
STRUCTURAL: tuple[str, ...] = (
    AGGREGATE_PARTNER,
    OWN_PARTNER,
    AGGREGATE_HS,
    DUPLICATE_BREAKDOWN,
    REEXPORT,
    OTHER_FLOW,
    OTHER_SIDE,
    SUPERSEDED,
    WORLD_TOTAL,
)
ALL_REASONS: tuple[str, ...] = DEFECTS + STRUCTURAL

_STRUCTURAL = frozenset(STRUCTURAL)


def is_defect(reason: str) -> bool:
    """Return True when ``reason`` marks a broken row (not a structural drop)."""
    return reason not in _STRUCTURAL


def kind_of_reason(reason: str) -> str:
    """Return ``"defect"`` or ``"structural"`` for a reason string."""
    return "defect" if is_defect(reason) else "structural"
