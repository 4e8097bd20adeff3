"""Shared row checks: parse text columns, give each row its first failing reason, split the file.

Readers turn their layout into a :class:`Candidate` (year, exporter,
importer, HS code, value, quantity as parsed arrays) and call
:func:`judge`, which applies the common checks in the documented order and
returns a :class:`FileResult` with the accepted canonical rows and the
rejected rows (file, line, reason, detail, raw fields). All checks are
vectorised over Arrow/numpy arrays; Python only formats the detail text of
rejected rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from scrisk.io import reasons as R
from scrisk.io._scan import Scan
from scrisk.schema import EXPORTER, HS, IMPORTER, MONTH, QTY, REVISION, VALUE, YEAR

__all__ = [
    "Verdict",
    "Candidate",
    "FileResult",
    "trim",
    "blank",
    "parse_number",
    "parse_year",
    "parse_period",
    "parse_month",
    "parse_revision",
    "hs_text",
    "normalise_hs",
    "CountryMapper",
    "judge",
    "sample_text",
]

_MISSING_NUMBER = ["", "NA", "N/A", "NAN", "NULL", "NONE", "-"]
_FLOAT_RE = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_YEAR_RE = r"^\d{4}(\.0*)?$"
YEAR_MIN, YEAR_MAX = 1900, 2100

REASON_CODES: dict[str, int] = {r: i + 1 for i, r in enumerate(R.ALL_REASONS)}
CODE_REASONS: dict[int, str] = {i: r for r, i in REASON_CODES.items()}


def sample_text(values: Sequence[Any], limit: int = 60) -> list[str]:
    """Shorten raw values for detail messages."""
    out = []
    for v in values:
        s = "" if v is None else str(v)
        out.append(s if len(s) <= limit else s[: limit - 1] + "…")
    return out


class Verdict:
    """The reason code of every row (0 = accepted) and the details of rejected rows.

    ``reject`` only touches rows that are still accepted, so calling it in
    the documented order gives each row its *first* failing reason.
    """

    def __init__(self, n: int):
        self.n = n
        self.code = np.zeros(n, dtype=np.int8)
        self._details: list[tuple[np.ndarray, list[str]]] = []

    def free(self) -> np.ndarray:
        """Bool mask of rows not rejected so far."""
        return self.code == 0

    def reject(self, mask: np.ndarray, reason: str, detail: str | Callable[[np.ndarray], list[str]]) -> int:
        """Reject still-accepted rows in ``mask`` with ``reason``; return how many."""
        m = np.asarray(mask, dtype=bool) & (self.code == 0)
        pos = np.flatnonzero(m)
        if len(pos) == 0:
            return 0
        self.code[pos] = REASON_CODES[reason]
        texts = [detail] * len(pos) if isinstance(detail, str) else list(detail(pos))
        self._details.append((pos, texts))
        return len(pos)

    def details(self) -> dict[int, str]:
        """Return ``{row position: detail}`` for rejected rows."""
        out: dict[int, str] = {}
        for pos, texts in self._details:
            out.update(zip(pos.tolist(), texts))
        return out


# ------------------------------------------------------------------ parsing

def trim(arr: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray:
    """Strip surrounding whitespace of a string column."""
    return pc.utf8_trim_whitespace(arr)


def _np(arr) -> np.ndarray:
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    return arr.to_numpy(zero_copy_only=False)


def blank(arr) -> np.ndarray:
    """Bool mask: the trimmed text is empty."""
    return _np(pc.equal(pc.utf8_length(trim(arr)), 0))


#: A number written with a decimal comma: thousands grouped by dots or (no-break) spaces, or not grouped at all.
_COMMA_NUMBER = r"^[-+]?(\d{1,3}([. \x{00A0}\x{202F}]\d{3})+|\d+)(,\d+)?([eE][-+]?\d+)?$"
#: A number written with a decimal point and thousands grouped by commas or (no-break) spaces (``--decimal .``).
_POINT_GROUPED = r"^[-+]?\d{1,3}((,\d{3})+|([ \x{00A0}\x{202F}]\d{3})+)(\.\d*)?$"
#: The grouped forms that read the same whatever the file's decimal mark (no ``--decimal``): grouped by spaces, by
#: two or more commas (``12,345,678``: a decimal comma comes once), or by commas before a decimal point
#: (``1,234.5``). ``1,234`` is not among them: it is 1.234 in a file written with the decimal comma.
_POINT_GROUPED_SURE = (r"^[-+]?\d{1,3}(([ \x{00A0}\x{202F}]\d{3})+(\.\d*)?|(,\d{3}){2,}(\.\d*)?|,\d{3}\.\d*)$")


_MARK_HINT = ("; give --decimal , if the file writes 1.234,5, or --decimal . if commas group thousands "
              "(1,234 for 1234)")
"""The fix named beside a value with a comma that is not a number under the decimal mark given (or none)."""


def parse_number(arr, *, decimal: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse a text column as float.

    Returns ``(values, missing, invalid)``: values are NaN where missing
    (empty, NA, N/A, NaN, null, none, -) or invalid (anything else that is
    not a finite decimal number). With ``decimal=","`` the column uses the
    decimal comma: ``1.234,5`` and ``1 234,5`` are 1234.5, and a dot
    anywhere but between groups of three digits makes the value invalid
    (``1.5`` cannot be told from a mistyped ``1,5``). With ``decimal="."``
    commas or spaces group thousands (``1,234`` is 1234). With no
    ``decimal`` the grouped forms that read the same under either mark are
    numbers (``1,234.5``, ``12,345,678``, ``1 234``), and ``1,234``, 1234
    or 1.234 depending on the file, is invalid.

    Examples
    --------
    >>> v, missing, invalid = parse_number(pa.array(["  1.5", "NA", "abc", "-2", "1e999"]))
    >>> [float(x) for x in v[[0, 3]]], missing.tolist(), invalid.tolist()
    ([1.5, -2.0], [False, True, False, False, False], [False, False, True, False, True])
    >>> v, missing, invalid = parse_number(pa.array(["1.234,5", "1 234 567", "0,25", "1.5", "-"]), decimal=",")
    >>> [float(x) for x in v[:3]], missing.tolist(), invalid.tolist()
    ([1234.5, 1234567.0, 0.25], [False, False, False, False, True], [False, False, False, True, False])
    >>> v, missing, invalid = parse_number(pa.array(["1,234.5", "12,345,678", "1,234", "1,5", "12,34.5"]))
    >>> [float(x) for x in v[:2]], invalid.tolist()
    ([1234.5, 12345678.0], [False, False, True, True, True])
    >>> float(parse_number(pa.array(["1,234"]), decimal=".")[0][0])
    1234.0
    """
    t = trim(arr)
    if decimal == ",":
        comma = pc.fill_null(pc.match_substring_regex(t, _COMMA_NUMBER), False)
        plain = pc.replace_substring(pc.replace_substring_regex(t, r"[. \x{00A0}\x{202F}]", ""), ",", ".")
        # any other text keeps its dots poisoned (NUL never parses) so that no decimal point slips through
        t = pc.if_else(comma, plain, pc.replace_substring(t, ".", "\x00"))
    missing = _np(pc.is_in(pc.utf8_upper(t), value_set=pa.array(_MISSING_NUMBER)))
    usable = pc.if_else(pa.array(~missing), t, pa.scalar(None, pa.string()))
    try:
        vals = _np(pc.cast(usable, pa.float64())).astype(np.float64)
        ok = ~missing
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        # some value is not a plain number: only now look for thousands grouped under the decimal point
        if decimal != ",":
            grouped = pc.fill_null(pc.match_substring_regex(
                usable, _POINT_GROUPED if decimal == "." else _POINT_GROUPED_SURE), False)
            usable = pc.if_else(grouped, pc.replace_substring_regex(usable, r"[, \x{00A0}\x{202F}]", ""), usable)
        okm = pc.fill_null(pc.match_substring_regex(usable, _FLOAT_RE), False)
        vals = _np(pc.cast(pc.if_else(okm, usable, pa.scalar(None, pa.string())), pa.float64())).astype(np.float64)
        ok = _np(okm).astype(bool)
    vals = np.where(np.isnan(vals), np.nan, vals)
    invalid = ~missing & (~ok | ~np.isfinite(vals))
    vals[invalid] = np.nan
    return vals, missing, invalid


def parse_year(arr) -> tuple[np.ndarray, np.ndarray]:
    """Parse a text column of years. Returns ``(years int64 with 0 where bad, bad mask)``.

    ``2022`` and ``2022.0`` are years; anything else, or a year outside
    1900-2100, is bad.

    Examples
    --------
    >>> years, bad = parse_year(pa.array(["2022", " 2024.0", "20x2", "1850"]))
    >>> years.tolist(), bad.tolist()
    ([2022, 2024, 0, 0], [False, False, True, True])
    """
    t = trim(arr)
    ok = _np(pc.match_substring_regex(t, _YEAR_RE)).astype(bool)
    head = pc.utf8_slice_codeunits(t, 0, 4)
    years = _np(pc.cast(pc.if_else(pa.array(ok), head, pa.scalar("0")), pa.int64())).astype(np.int64)
    bad = ~ok | (years < YEAR_MIN) | (years > YEAR_MAX)
    years[bad] = 0
    return years, bad


_PERIOD_FORMS = (
    # (regex on the trimmed text, year slice, month slice or None)
    (r"^\d{4}(\.0*)?$", (0, 4), None),  # 2024, 2024.0
    (r"^\d{6}(\.0*)?$", (0, 4), (4, 6)),  # 202406 (Comtrade monthly period, YYYYMM)
    (r"^\d{4}[-/]\d{2}$", (0, 4), (5, 7)),  # 2024-06, 2024/06
    (r"^\d{4}M\d{2}$", (0, 4), (5, 7)),  # 2024M06 (Eurostat)
    (r"^\d{4}-\d{2}-\d{2}([T ].*)?$", (0, 4), (5, 7)),  # ISO date: the month it falls in
)


def parse_period(arr) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse a text column of periods: years, year-months (YYYYMM), ISO months and dates.

    Returns ``(years int64, months int8, bad mask)``: ``months`` is 0 for an
    annual period; bad rows have year 0. A year outside 1900-2100 or a month
    outside 1-12 is bad. Dates count for the month they fall in.

    Examples
    --------
    >>> y, m, bad = parse_period(pa.array(["2024", "202406", "2024-07", "2024-08-15", "2024M09", "202413", "x"]))
    >>> y.tolist(), m.tolist(), bad.tolist()
    ([2024, 2024, 2024, 2024, 2024, 0, 0], [0, 6, 7, 8, 9, 0, 0], [False, False, False, False, False, True, True])
    """
    t = trim(arr)
    if isinstance(t, pa.ChunkedArray):
        t = t.combine_chunks() if t.num_chunks else pa.array([], pa.string())
    n = len(t)
    years = np.zeros(n, dtype=np.int64)
    months = np.zeros(n, dtype=np.int64)
    matched = np.zeros(n, dtype=bool)
    for regex, (y0, y1), mon in _PERIOD_FORMS:
        hit = _np(pc.match_substring_regex(t, regex)).astype(bool) & ~matched
        if not hit.any():
            continue
        sub = t.filter(pa.array(hit))
        years[hit] = _np(pc.cast(pc.utf8_slice_codeunits(sub, y0, y1), pa.int64())).astype(np.int64)
        if mon is not None:
            months[hit] = _np(pc.cast(pc.utf8_slice_codeunits(sub, *mon), pa.int64())).astype(np.int64)
        matched |= hit
    bad = ~matched | (years < YEAR_MIN) | (years > YEAR_MAX) | (months < 0) | (months > 12)
    bad |= matched & (months == 0) & ~_np(pc.match_substring_regex(t, _PERIOD_FORMS[0][0])).astype(bool)
    years[bad] = 0
    months[bad] = 0
    return years, months.astype(np.int8), bad


def parse_month(arr) -> tuple[np.ndarray, np.ndarray]:
    """Parse a month column (1-12; empty = annual). Returns ``(months int8, 0 = annual, bad mask)``.

    Examples
    --------
    >>> m, bad = parse_month(pa.array(["6", " 12", "", "13", "06.0"]))
    >>> m.tolist(), bad.tolist()
    ([6, 12, 0, 0, 6], [False, False, False, True, False])
    """
    t = pc.replace_substring_regex(trim(arr), r"\.0+$", "")
    ok = _np(pc.match_substring_regex(t, r"^\d{1,2}$")).astype(bool)
    empty = blank(arr)
    m = _np(pc.cast(pc.if_else(pa.array(ok), t, pa.scalar("0")), pa.int64())).astype(np.int64)
    bad = (~ok & ~empty) | (ok & ((m < 1) | (m > 12)))
    m[bad | empty] = 0
    return m.astype(np.int8), bad


_REVISION_OF = {
    **{r: r for r in ("HS1992", "HS1996", "HS2002", "HS2007", "HS2012", "HS2017", "HS2022")},
    **{f"H{i}": r for i, r in enumerate(("HS1992", "HS1996", "HS2002", "HS2007", "HS2012", "HS2017", "HS2022"))},
    **{f"HS{r[-2:]}": r for r in ("HS1992", "HS1996", "HS2002", "HS2007", "HS2012", "HS2017", "HS2022")},
}
"""Spellings of an HS revision a file may use: ``HS2017``, ``HS17``, Comtrade's ``H5``."""


def parse_revision(arr, default: str | None = None) -> tuple[pa.Array, np.ndarray]:
    """Parse a per-row HS revision column. Returns ``(revisions, bad mask)``; empty cells take ``default``.

    Examples
    --------
    >>> revs, bad = parse_revision(pa.array(["H5", "HS2022", "hs17", "", "SITC"]), "HS2012")
    >>> revs.to_pylist(), bad.tolist()
    (['HS2017', 'HS2022', 'HS2017', 'HS2012', None], [False, False, False, False, True])
    """
    t = pc.utf8_upper(trim(arr))
    if isinstance(t, pa.ChunkedArray):
        t = t.combine_chunks() if t.num_chunks else pa.array([], pa.string())
    keys = pa.array(list(_REVISION_OF))
    got = pc.take(pa.array(list(_REVISION_OF.values())), pc.index_in(t, value_set=keys))
    empty = _np(pc.equal(pc.utf8_length(t), 0)).astype(bool)
    bad = _np(got.is_null()).astype(bool) & ~empty
    if default is not None:
        got = pc.if_else(pa.array(empty), pa.scalar(default), got)
    return got, bad


@dataclass
class HSParse:
    """Normalised HS codes and their classification."""

    codes: pa.Array
    malformed: np.ndarray
    aggregate: np.ndarray
    detail_headings: frozenset[str] = frozenset()
    """With ``aggregates``: the HS4 headings of the codes longer than four digits (whatever else their row says)."""


#: The HS nomenclature's and tariff schedules' notation: a heading, a dot (or a space), the subheading's two digits,
#: then optionally national digits in pairs or as one group of four (8112.92, 8112.92.10.00, 8112.92.1000, 8112 92 00).
_HS_NOTATION = r"^\d{4}\.\d{2}(\.\d{2}){0,2}$|^\d{4}\.\d{2}\.\d{4}$|^\d{4} \d{2}( \d{2}){0,2}$"


def _has_guard(t) -> bool:
    """True when some code starts with a spreadsheet's text guard (``'`` or ``=``)."""
    return bool(pc.any(pc.fill_null(pc.match_substring_regex(t, r"^['=]"), False)).as_py())


def hs_text(arr) -> pa.Array:
    """HS codes as plain digits: trimmed, the dotted or spaced notation joined, a float suffix (``.0``) removed.

    A code with a dot after four digits and two digits after it is the nomenclature's notation (``2606.00`` is
    HS 260600), not a float; ``811292.0`` is a float-formatted code. Anything else is returned trimmed, for
    :func:`normalise_hs` to judge (``2811.1`` stays malformed: which subheading it was cannot be told).

    Examples
    --------
    >>> hs_text(pa.array([" 8112.92 ", "8112 92 00", "3707.90.0010", "811292.0", "2811.1", None])).to_pylist()
    ['811292', '81129200', '3707900010', '811292', '2811.1', None]

    A spreadsheet's guard that keeps a code's leading zero, the text
    apostrophe (``'010121``) or the formula ``="010121"``, is removed:

    >>> hs_text(pa.array(["'010121", '="010121"', '="0101.21"', "'abc", '="010121', "'010121'"])).to_pylist()
    ['010121', '010121', '010121', "'abc", '="010121', "'010121'"]
    """
    t = trim(arr)
    t = pc.replace_substring_regex(t, r'^(?:\'([0-9][0-9. ]*)|="([0-9][0-9. ]*)")$', r"\1\2") if _has_guard(t) else t
    dotted = pc.fill_null(pc.match_substring_regex(t, _HS_NOTATION), False)
    t = pc.if_else(dotted, pc.replace_substring_regex(t, r"[. ]", ""), t)
    return pc.replace_substring_regex(t, r"\.0+$", "")


def normalise_hs(arr, *, aggregates: bool, allow_tariff_lines: bool, notation: bool = True) -> HSParse:
    """Normalise a text column of HS codes.

    * surrounding spaces are removed; with ``notation`` (the default; BACI,
      a fixed layout of plain digits, turns it off), the dotted or spaced
      notation of the nomenclature and of tariff schedules (``8112.92``,
      ``8112.92.00``, ``8112.92.1000``, ``8112 92 00``) loses its separators
      and a spreadsheet's text guard (``'010121``, ``="010121"``) goes
      (:func:`hs_text`); then a trailing ``.0`` (a float-formatted code) is
      removed;
    * 5 digits are a 6-digit code whose leading zero was dropped: padded;
    * 6 digits are kept; 8-10 digits are national tariff lines, kept as-is
      when ``allow_tariff_lines``;
    * with ``aggregates`` (layouts that publish several product levels:
      Comtrade, tidy files), 2 digits and ``TOTAL`` are product aggregates,
      and 4 digits are **HS4 headings**, kept as codes: a product at the
      heading level unless the data also holds codes under it, which the
      reader decides over all files at once (:mod:`scrisk.io.reader`);
    * anything else is malformed.

    Examples
    --------
    >>> h = normalise_hs(pa.array(["71120", "811292.0", "8542", "3707900010", "81A292", "28"]),
    ...                  aggregates=True, allow_tariff_lines=True)
    >>> h.codes.to_pylist(), h.aggregate.tolist(), h.malformed.tolist()
    (['071120', '811292', '8542', '3707900010', None, None], [False, False, False, False, False, True], [False, False, False, False, True, False])
    >>> normalise_hs(pa.array(["8112.92", "2606.00", "3707.90.0010", "2811.1"]), aggregates=True,
    ...              allow_tariff_lines=True).codes.to_pylist()
    ['811292', '260600', '3707900010', None]
    """
    t = hs_text(arr) if notation else pc.replace_substring_regex(trim(arr), r"\.0+$", "")
    digits = _np(pc.match_substring_regex(t, r"^\d+$")).astype(bool)
    length = _np(pc.utf8_length(t)).astype(np.int64)
    ok = digits & ((length == 5) | (length == 6))
    if allow_tariff_lines:
        ok |= digits & (length >= 8) & (length <= 10)
    agg = np.zeros(len(length), dtype=bool)
    heading = np.zeros(len(length), dtype=bool)
    if aggregates:
        agg = (digits & (length == 2)) | _np(pc.equal(pc.utf8_upper(t), "TOTAL")).astype(bool)
        heading = digits & (length == 4)
    padded = pc.if_else(pa.array(heading), t, pc.utf8_lpad(t, 6, "0"))
    codes = pc.if_else(pa.array(ok | heading), padded, pa.scalar(None, pa.string()))
    if isinstance(codes, pa.ChunkedArray):
        codes = codes.combine_chunks()
    detail: frozenset[str] = frozenset()
    if aggregates:
        detail = frozenset(pc.unique(pc.utf8_slice_codeunits(codes.filter(pa.array(ok)), 0, 4)).to_pylist())
    return HSParse(codes=codes, malformed=~ok & ~agg & ~heading, aggregate=agg, detail_headings=detail)


def hs_prefix_mask(codes: pa.Array | pa.ChunkedArray, prefixes: Sequence[str]) -> np.ndarray:
    """Bool mask of codes starting with any of ``prefixes`` (null codes never match)."""
    mask = None
    for p in prefixes:
        m = pc.fill_null(pc.starts_with(codes, str(p)), False)
        mask = m if mask is None else pc.or_(mask, m)
    return _np(mask).astype(bool)


def batch_hs_codes(col) -> pa.Array:
    """HS codes of a raw batch column, trimmed, float-suffix removed, 5 digits padded (for filters).

    Four digits (an HS4 heading, see :func:`normalise_hs`) are not padded.
    """
    t = hs_text(col)
    return pc.if_else(pc.equal(pc.utf8_length(t), 4), t, pc.utf8_lpad(t, 6, "0"))


def hs_filter_mask(codes: pa.Array | pa.ChunkedArray, prefixes: Sequence[str]) -> np.ndarray:
    """Bool mask of the codes a product filter keeps: those starting with a prefix, and the HS4 headings
    holding a longer prefix (a file at the heading level keeps ``7403`` for ``--hs 740311``).

    Examples
    --------
    >>> hs_filter_mask(pa.array(["740311", "7403", "7402", "740400"]), ["740311"]).tolist()
    [True, True, False, False]
    """
    mask = hs_prefix_mask(codes, prefixes)
    heads = sorted({str(p)[:4] for p in prefixes if len(str(p)) > 4})
    if heads:
        mask |= _np(pc.fill_null(pc.is_in(codes, value_set=pa.array(heads)), False)).astype(bool)
    return mask


def year_keep(col, years: Sequence[int]) -> np.ndarray:
    """Filter mask for a raw year or period column: its year in ``years``, or unparseable (kept to be reported)."""
    y, _m, bad = parse_period(col)
    return bad | np.isin(y, np.asarray(list(years), dtype=np.int64))


# ---------------------------------------------------------------- countries

KIND_NAMES = ("country", "area", "aggregate")
TAIWAN_NUMERIC = 490
"""BACI's and Comtrade's code for "Other Asia, nes", which is Taiwan: always ``TWN``."""


@dataclass
class Codes:
    """Country codes of one column: as written (trimmed), as ISO3 (null when unknown), and kind.

    ``kind`` indexes :data:`KIND_NAMES` (0 country -- also for unknown codes --,
    1 area, 2 aggregate).
    """

    raw: pa.Array
    iso: pa.Array
    kind: np.ndarray

    @property
    def unknown(self) -> np.ndarray:
        """Bool mask of codes not in the country table."""
        return _np(self.iso.is_null()).astype(bool)

    @property
    def world(self) -> np.ndarray:
        """Bool mask of the World total (Comtrade 0, ``W00``, ``WLD``, the name ``World``)."""
        return _np(pc.fill_null(pc.equal(self.iso, "WLD"), False)).astype(bool)

    def raw_at(self, p: int) -> str:
        """The code as written in row ``p``."""
        return str(self.raw[int(p)].as_py())

    def iso_at(self, p: int) -> str | None:
        """The ISO3 code of row ``p``."""
        return self.iso[int(p)].as_py()


class CountryMapper:
    """Map raw country codes (numeric or alphabetic) to ISO3 and kinds, looking up unique values only.

    Parameters
    ----------
    primary : CountryTable
        Tried first (a BACI release table, or the bundled table).
    fallback : CountryTable, optional
        Tried for codes (and kinds) the primary table does not know.
    names : bool
        Also map country *names* (``South Korea``, ``대한민국``, ``米国``) that
        are not codes, through :mod:`scrisk.io.names`.
    """

    def __init__(self, primary, fallback=None, *, names: bool = False):
        self.primary = primary
        self.fallback = fallback if fallback is not primary else None
        self.names = names

    def _kinds(self, iso3: pd.Series) -> np.ndarray:
        """Kinds from the table that knows the code (primary first), 'country' when none does."""
        kinds = pd.Series(self.primary.kind_of(iso3.reset_index(drop=True)), dtype="object").reset_index(drop=True)
        if self.fallback is not None and kinds.isna().any():
            miss = kinds.isna().to_numpy()
            kinds[miss] = pd.Series(self.fallback.kind_of(iso3[miss].reset_index(drop=True)), dtype="object").to_numpy()
        return kinds.fillna("country").astype(str).to_numpy()

    def _lookup(self, uniq: pd.Series, numeric: bool) -> np.ndarray:
        def one(table, s: pd.Series) -> pd.Series:
            fn = table.numeric_to_iso3 if numeric else table.alpha_to_iso3
            return pd.Series(fn(s.reset_index(drop=True)), dtype="string").reset_index(drop=True)

        out = one(self.primary, uniq)
        if self.fallback is not None and out.isna().any():
            miss = out.isna().to_numpy()
            out[miss] = one(self.fallback, uniq[miss]).to_numpy()
        return out.to_numpy(dtype=object, na_value=None)

    def map(self, arr) -> Codes:
        """Map a text column of country codes.

        All-digit codes (up to 4 digits) go through ``numeric_to_iso3``
        (490 is always ``TWN``, whatever the table says); others through
        ``alpha_to_iso3`` (upper-cased, so BACI's ``S19`` becomes ``TWN``
        through the table's aliases). Only distinct codes are looked up; a
        result that does not look like an ISO3 code counts as unknown.
        """
        t = trim(arr)
        if isinstance(t, pa.ChunkedArray):
            t = t.combine_chunks() if t.num_chunks else pa.array([], pa.string())
        enc = pc.dictionary_encode(t)
        uniq = pd.Series(enc.dictionary.to_pylist(), dtype="string")
        iso = np.full(len(uniq), None, dtype=object)
        is_num = uniq.str.fullmatch(r"\d{1,4}").fillna(False).to_numpy(dtype=bool)
        if is_num.any():
            nums = uniq[is_num].astype("int64").reset_index(drop=True)
            found = self._lookup(nums, numeric=True)
            found[nums.to_numpy() == TAIWAN_NUMERIC] = "TWN"  # BACI/Comtrade 490 "Other Asia, nes" is Taiwan
            iso[is_num] = found
        alpha = ~is_num & uniq.str.len().gt(0).fillna(False).to_numpy(dtype=bool)
        if alpha.any():
            iso[alpha] = self._lookup(uniq[alpha].str.upper().reset_index(drop=True), numeric=False)
            w00 = alpha & (uniq.str.upper() == "W00").fillna(False).to_numpy(dtype=bool)
            iso[w00] = "WLD"  # Comtrade+ partner ISO code of the World
            if self.names:
                from scrisk.io.names import names_to_iso3

                todo = alpha & np.array([x is None for x in iso], dtype=bool)
                if todo.any():
                    got = names_to_iso3(uniq[todo].reset_index(drop=True)).to_numpy(dtype=object, na_value=None)
                    iso[todo] = got
        valid = np.array([isinstance(x, str) and re.fullmatch(r"[A-Z][A-Z0-9]{2}", x) is not None for x in iso], dtype=bool)
        iso[~valid] = None
        kind = np.zeros(len(uniq), dtype=np.int8)
        if valid.any():
            k = self._kinds(pd.Series(iso[valid], dtype="string"))
            kind[valid] = np.select([k == "area", k == "aggregate"], [1, 2], 0)
        if is_num.any():
            from scrisk.countries import COMTRADE_WORLD

            numbers = pd.to_numeric(uniq, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            world = is_num & (numbers == COMTRADE_WORLD)
            kind[world] = 2  # World is an aggregate even when the table has no ISO3 code for it
        idx = enc.indices
        iso_arr = pa.array(iso.tolist(), type=pa.string()).take(idx)
        kinds = kind[_np(idx).astype(np.int64)] if len(t) else np.zeros(0, dtype=np.int8)
        return Codes(raw=t, iso=iso_arr, kind=kinds)


# ------------------------------------------------------------------ judging

@dataclass
class Candidate:
    """One file's parsed columns before checking (all arrays of the same length).

    ``required`` maps a field name to its raw column for the missing-field
    check. ``extra_checks`` are format-specific ``(mask, reason, detail)``
    applied after the missing-field check and before the common ones (in
    list order); ``late_checks`` run last, on rows still accepted.
    ``roles`` name the exporter/importer fields per row in messages (e.g.
    Comtrade's reporter/partner). ``month`` is int8 per row, 0 for an annual
    flow (None: every row annual); ``revision`` is the HS revision of every
    row: one string, None, or a per-row array of strings/None. With
    ``world_totals``, a row between a country and the World (a reporter's
    total) that passes every check is rejected as *reporter-to-World total*
    and kept in :attr:`FileResult.world` instead of being an aggregate
    partner.
    """

    scan: Scan
    year: np.ndarray
    year_bad: np.ndarray
    hs: HSParse
    value: np.ndarray
    value_missing: np.ndarray
    value_invalid: np.ndarray
    qty: np.ndarray
    qty_invalid: np.ndarray
    exporter: Codes
    importer: Codes
    required: dict[str, Any]
    raw_year: Any = None
    raw_hs: Any = None
    raw_value: Any = None
    raw_qty: Any = None
    extra_checks: list[tuple[np.ndarray, str, Any]] = field(default_factory=list)
    late_checks: list[Callable[["Verdict"], None]] = field(default_factory=list)
    side: np.ndarray | None = None
    roles: tuple[np.ndarray, np.ndarray] | None = None
    month: np.ndarray | None = None
    revision: Any = None
    world_totals: bool = False

    def role(self, which: int, p: int) -> str:
        """Name of the exporter (0) or importer (1) field of row ``p`` in messages."""
        if self.roles is None:
            return ("exporter", "importer")[which]
        return str(self.roles[which][p])


@dataclass
class FileResult:
    """What one input (file or zip member) gave.

    ``accepted`` holds the canonical columns plus private ``_line`` (line
    number), ``_pos`` (row in ``raw``) and ``_side`` (Comtrade side);
    ``rejected`` holds file, line, reason, detail, the raw fields and
    private ``_value`` (USD) and ``_unknown`` (unknown codes, ``|``-joined).
    ``detail_headings`` are the HS4 headings of the file's codes longer than
    four digits, whatever their row's fate (a heading under which any file
    has a code is a total, not a product).
    """

    label: str
    source_format: str
    encoding: str | None
    accepted: pd.DataFrame
    rejected: pd.DataFrame
    rows_read: int
    hs_revision: str | None = None
    release: str | None = None
    notes: list[str] = field(default_factory=list)
    raw: pa.Table | None = None
    input_path: str | None = None
    world: pd.DataFrame | None = None
    year_source: str = "column"
    detail_headings: frozenset[str] = frozenset()
    hs_inference: dict | None = None


def _take_text(arr, pos: np.ndarray) -> list[str]:
    if arr is None:
        return [""] * len(pos)
    return sample_text(arr.take(pa.array(pos)).to_pylist())


def judge(c: Candidate, *, label: str, source_format: str, encoding: str | None) -> FileResult:
    """Apply the checks in the documented order, then split the rows into accepted and rejected frames.

    Order: empty row; missing field; format-specific checks; aggregate partner;
    aggregate HS code; bad year; malformed HS code; non-numeric value;
    negative value; non-numeric or negative quantity; unknown country code;
    self-trade; late format-specific checks. (Lines with the wrong number
    of fields never get this far.)
    """
    n = c.scan.table.num_rows
    v = Verdict(n)

    empties = {name: blank(col) for name, col in c.required.items()}
    empties["value"] = empties.get("value", np.zeros(n, dtype=bool)) | c.value_missing
    any_empty = np.logical_or.reduce(list(empties.values())) if empties else np.zeros(n, dtype=bool)
    if any_empty.any():
        every = any_empty.copy()
        for col in c.scan.table.columns:
            every &= blank(col)
        v.reject(every, R.EMPTY_ROW, "every field is null or empty" if source_format == "parquet"
                 else "the line holds only delimiters: every field is empty")
        def missing_detail(pos):
            names = list(empties)
            mat = np.stack([empties[k][pos] for k in names], axis=1)
            return ["empty " + ", ".join(nm for nm, e in zip(names, row) if e) for row in mat]

        v.reject(any_empty, R.MISSING_FIELD, missing_detail)

    for mask, reason, detail in c.extra_checks:
        v.reject(mask, reason, detail)

    ex, im = c.exporter, c.importer
    exp_na, imp_na = ex.unknown, im.unknown
    # 'area' partners ("nes" areas BACI and Comtrade allocate flows to) stay as flows under their
    # pseudo codes; only aggregates (World, EU, regions) are not bilateral flows.
    agg = (ex.kind == 2) | (im.kind == 2)
    world_row = np.zeros(n, dtype=bool)
    if c.world_totals:
        world_row = (ex.world & (im.kind != 2)) | (im.world & (ex.kind != 2))
        agg &= ~world_row
    if agg.any():
        def agg_detail(pos):
            out = []
            for p in pos:
                which, codes = (0, ex) if ex.kind[p] == 2 else (1, im)
                iso = codes.iso_at(p)
                shown = codes.raw_at(p) + (f" ({iso})" if iso and iso != codes.raw_at(p) else "")
                out.append(f"{c.role(which, p)} {shown} is an {KIND_NAMES[codes.kind[p]]}, not a country")
            return out

        v.reject(agg, R.AGGREGATE_PARTNER, agg_detail)
    if c.hs.aggregate.any():
        v.reject(c.hs.aggregate, R.AGGREGATE_HS, lambda p: [f"HS {t!r} is a chapter or grand total, not a product" for t in _take_text(c.raw_hs, p)])
    also = " or a month (YYYYMM, YYYY-MM, YYYY-MM-DD)" if c.month is not None else ""
    v.reject(c.year_bad, R.BAD_YEAR, lambda p: [f"year {t!r} is not a year in {YEAR_MIN}-{YEAR_MAX}{also}" for t in _take_text(c.raw_year, p)])
    v.reject(
        c.hs.malformed,
        R.MALFORMED_HS,
        lambda p: [f"HS code {t!r} is not 6 digits (or 8-10 for a tariff line)" for t in _take_text(c.raw_hs, p)],
    )
    v.reject(c.value_invalid, R.NON_NUMERIC_VALUE,
             lambda p: [f"value {t!r} is not a number" + (_MARK_HINT if "," in str(t) else "") for t in _take_text(c.raw_value, p)])
    v.reject(c.value < 0, R.NEGATIVE_VALUE, lambda p: [f"value {t} is negative" for t in _take_text(c.raw_value, p)])
    too_large = c.value > R.MAX_VALUE_USD
    if too_large.any():
        v.reject(too_large, R.VALUE_TOO_LARGE,
                 lambda p: [f"value {t} is above US${R.MAX_VALUE_USD:.0e} once in USD; no flow is that large"
                            for t in _take_text(c.raw_value, p)])
        c.value[too_large] = np.nan  # counted as a rejected row of unknown value: no sum of values overflows
    qty_bad = c.qty_invalid | (c.qty < 0) | (c.qty > R.MAX_QTY_KG)
    v.reject(qty_bad, R.BAD_QUANTITY, lambda p: [f"quantity {t!r} is not a number >= 0 (at most {R.MAX_QTY_KG:.0e} kg)"
                                                 + (_MARK_HINT if "," in str(t) else "") for t in _take_text(c.raw_qty, p)])

    def unknown_detail(pos):
        out = []
        for p in pos:
            parts = []
            if exp_na[p]:
                parts.append(f"{c.role(0, p)} {ex.raw_at(p)!r}")
            if imp_na[p]:
                parts.append(f"{c.role(1, p)} {im.raw_at(p)!r}")
            out.append(" and ".join(parts) + " not in the country table")
        return out

    v.reject(exp_na | imp_na, R.UNKNOWN_COUNTRY, unknown_detail)
    same = _np(pc.fill_null(pc.equal(ex.iso, im.iso), False)).astype(bool)
    # Comtrade publishes reporter == partner rows (re-imports of own goods): structural there,
    # a defect in any other layout.
    self_reason = R.OWN_PARTNER if source_format == "comtrade" else R.SELF_TRADE
    v.reject(same, self_reason, lambda p: [f"exporter and importer are both {ex.iso_at(i)}" for i in p])
    for check in c.late_checks:
        check(v)
    if world_row.any():
        v.reject(world_row, R.WORLD_TOTAL, lambda p: [
            f"{c.role(1 if ex.world[i] else 0, i)} is the World: a reporter's total, kept in the world totals "
            "(not a bilateral flow)" for i in p])
    res = _split(c, v, label=label, source_format=source_format, encoding=encoding)
    if world_row.any():
        res.world = _world_frame(c, v, label)
    return res


def _world_frame(c: Candidate, v: Verdict, label: str) -> pd.DataFrame:
    """The reporter-to-World rows of a file: year, month, reporter, flow, hs, value, quantity, revision, file, line."""
    pos = np.flatnonzero(v.code == REASON_CODES[R.WORLD_TOTAL])
    take = pa.array(pos)
    imports = c.exporter.world[pos]  # the World exports to the reporter: the reporter's imports
    reporter = pc.if_else(pa.array(imports), c.importer.iso.take(take), c.exporter.iso.take(take))
    return pd.DataFrame({
        YEAR: c.year[pos],
        MONTH: _months(c.month, pos),
        "reporter": _to_pandas_string(reporter),
        "flow": pd.Series(np.where(imports, "import", "export"), dtype="string"),
        HS: _to_pandas_string(c.hs.codes.take(take)),
        VALUE: c.value[pos],
        QTY: c.qty[pos],
        REVISION: _revisions(c.revision, pos, n_rows=v.n),
        "file": label,
        "line": c.scan.lines[pos],
    })


def _to_pandas_string(arr: pa.Array) -> pd.Series:
    return arr.to_pandas(types_mapper={pa.string(): pd.StringDtype()}.get).astype("string")


def _months(month: np.ndarray | None, idx: np.ndarray) -> pd.Series:
    """Nullable Int8 months of the accepted rows (0 = annual = null)."""
    if month is None:
        return pd.Series(pd.array([pd.NA] * len(idx), dtype="Int8"))
    m = np.asarray(month)[idx].astype(np.int8)
    return pd.Series(pd.arrays.IntegerArray(m, m == 0))


def _revisions(revision: Any, idx: np.ndarray, *, n_rows: int) -> pd.Series:
    """HS revision of the accepted rows as a pandas string column."""
    if revision is None or isinstance(revision, str):
        return pd.Series([revision] * len(idx), dtype="string")
    arr = revision if isinstance(revision, (pa.Array, pa.ChunkedArray)) else pa.array(list(revision), type=pa.string())
    return _to_pandas_string(arr.take(pa.array(idx)))


def _split(c: Candidate, v: Verdict, *, label: str, source_format: str, encoding: str | None) -> FileResult:
    scan = c.scan
    ok = v.free()
    acc_idx = np.flatnonzero(ok)
    take = pa.array(acc_idx)
    accepted = pd.DataFrame(
        {
            YEAR: c.year[acc_idx],
            EXPORTER: _to_pandas_string(c.exporter.iso.take(take)),
            IMPORTER: _to_pandas_string(c.importer.iso.take(take)),
            HS: _to_pandas_string(c.hs.codes.take(take)),
            VALUE: c.value[acc_idx],
            QTY: c.qty[acc_idx],
            MONTH: _months(c.month, acc_idx),
            REVISION: _revisions(c.revision, acc_idx, n_rows=len(ok)),
            "_line": scan.lines[acc_idx],
            "_pos": acc_idx,
            "_side": c.side[acc_idx] if c.side is not None else np.zeros(len(acc_idx), dtype=np.int8),
        }
    )
    rej_idx = np.flatnonzero(~ok)
    details = v.details()
    reasons = [CODE_REASONS[int(k)] for k in v.code[rej_idx]]
    unknown = []
    exp_na, imp_na = c.exporter.unknown, c.importer.unknown
    for p, reason in zip(rej_idx.tolist(), reasons):
        if reason != R.UNKNOWN_COUNTRY:
            unknown.append("")
            continue
        codes = ([c.exporter.raw_at(p)] if exp_na[p] else []) + ([c.importer.raw_at(p)] if imp_na[p] else [])
        unknown.append("|".join(codes))
    rejected = rejected_frame(
        label,
        scan.table,
        rej_idx,
        scan.lines[rej_idx],
        reasons,
        [details.get(int(p), "") for p in rej_idx],
        value=c.value[rej_idx],
        unknown=unknown,
    )
    if scan.invalid:
        bad = pd.DataFrame(
            {
                "file": label,
                "line": [r.line for r in scan.invalid],
                "reason": R.WRONG_FIELD_COUNT,
                "detail": [f"expected {r.expected} fields, found {r.actual}" for r in scan.invalid],
                "raw_line": sample_text([r.text for r in scan.invalid], limit=2000),
                "_value": np.nan,
                "_unknown": "",
            }
        )
        rejected = pd.concat([rejected, bad], ignore_index=True) if len(rejected) else bad
        rejected = rejected.sort_values("line", kind="stable").reset_index(drop=True)
    return FileResult(
        label=label,
        source_format=source_format,
        encoding=encoding,
        accepted=accepted,
        rejected=rejected,
        rows_read=scan.num_rows,
        raw=scan.table,
        detail_headings=c.hs.detail_headings,
    )


def rejected_frame(
    label: str,
    raw: pa.Table,
    positions: np.ndarray,
    lines: np.ndarray,
    reasons: Sequence[str],
    details: Sequence[str],
    *,
    value: np.ndarray,
    unknown: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Build the rejected-rows frame: file, line, reason, detail, raw fields, plus private ``_value``/``_unknown``."""
    base = pd.DataFrame(
        {
            "file": pd.Series([label] * len(positions), dtype="object"),
            "line": np.asarray(lines, dtype=np.int64),
            "reason": pd.Series(list(reasons), dtype="object"),
            "detail": pd.Series(list(details), dtype="object"),
        }
    )
    if len(positions):
        rawdf = raw.take(pa.array(np.asarray(positions, dtype=np.int64))).to_pandas()
        rawdf = rawdf.astype(object)
        rawdf.columns = [_raw_name(c) for c in rawdf.columns]
        base = pd.concat([base, rawdf.reset_index(drop=True)], axis=1)
    base["_value"] = np.asarray(value, dtype=np.float64)
    base["_unknown"] = list(unknown) if unknown is not None else [""] * len(positions)
    return base


_RESERVED = {"file", "line", "reason", "kind", "detail", "raw_line", "_value", "_unknown"}


def _raw_name(name: str) -> str:
    return f"raw_{name}" if name in _RESERVED or re.match(r"^raw_", name) else name


def make_keep(year_col: str | None, hs_col: str | None, years: Sequence[int], hs: Sequence[str],
              fixed_year: int | None = None):
    """Build the per-batch scan filter for ``--year`` and ``--hs`` (None when there is nothing to filter).

    Rows whose year cannot be parsed are kept (to be reported as bad year);
    HS prefixes match the normalised code (5 digits padded to 6). A file
    whose every row has ``fixed_year`` (no period column) outside ``years``
    keeps no row.
    """
    skip_all = fixed_year is not None and bool(years) and int(fixed_year) not in {int(y) for y in years}
    years = [int(y) for y in years] if year_col else []
    hs = [str(h) for h in hs] if hs_col else []
    if not years and not hs and not skip_all:
        return None

    def keep(batch: pa.RecordBatch) -> np.ndarray:
        if skip_all:
            return np.zeros(batch.num_rows, dtype=bool)
        mask = np.ones(batch.num_rows, dtype=bool)
        if years:
            mask &= year_keep(batch.column(year_col), years)
        if hs:
            mask &= hs_filter_mask(batch_hs_codes(batch.column(hs_col)), hs)
        return mask

    return keep
