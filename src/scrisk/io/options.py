"""Options that steer every reader (the library side of the CLI reader flags)."""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from pathlib import Path

from scrisk.errors import UsageError

__all__ = ["ReadOptions", "check_years", "check_encoding", "YEAR_RANGE"]


@dataclass(frozen=True)
class ReadOptions:
    """How to read trade files into the canonical flow table.

    Attributes
    ----------
    source : str or None
        Force a reader: ``"baci"``, ``"baci-zip"``, ``"comtrade"``, ``"tidy"``,
        ``"parquet"``. None sniffs the content.
    country_codes : Path or None
        A BACI release ``country_codes_*.csv``. None uses the one beside the
        data file when present, else the bundled table.
    columns : dict or None
        Tidy-file mapping canonical name -> file column, canonical names being
        ``year, exporter, importer, hs, value, qty``.
    value_unit : str or None
        ``"usd"`` or ``"kusd"`` for tidy files (default usd).
    qty_unit : str or None
        ``"kg"`` or ``"t"`` for tidy files (default kg).
    years : tuple of int
        Keep only these years (pushed into the scan). For tidy files without a
        year column, a single year here is the year of every row.
    hs : tuple of str
        Keep only HS codes starting with one of these prefixes (pushed into
        the scan).
    encoding : str or None
        Text encoding; None detects utf-8 / utf-8-sig / cp949 / shift_jis.
    decimal : str or None
        Decimal mark of values and quantities in tidy and customs files:
        ``","``, where ``1.234,5`` and ``1 234,5`` (thousands grouped by
        dots or spaces) are 1234.5 and a value with a dot in any other place
        is rejected as non-numeric; ``"."``, where commas or spaces group
        thousands (``1,234`` is 1234); or None (the default): a decimal
        point, and only the grouped forms that read the same under either
        mark (``1,234.5``, ``12,345,678``, ``1 234``), so ``1,234`` is
        rejected with the fix named. BACI release files always use ``"."``.
    profile : str or None
        Name of a column-mapping profile in ``profiles``.
    profiles : Path or None
        TOML file with ``[profiles.NAME]`` tables (keys as in ``columns`` plus
        ``value_unit``, ``qty_unit``, ``encoding``, ``year``).
    comtrade_side : str
        ``"both"`` (default: importer reports, mirrored exporter reports where
        the importer did not report), ``"imports"`` or ``"exports"``.
    hs_revision : str or None
        HS revision of files that do not say it themselves (tidy files,
        Comtrade extracts without ``classificationCode``), e.g. ``"HS2017"``.
        BACI file names and Comtrade classification codes take precedence.
    exporter, importer : str or None
        For a file that holds one side (one country's exports by partner, or
        imports by origin): the ISO3 code of the side the file has no column
        for. The partner column (``partner``, ``partner_name``, ``country``...)
        is then the other side. Ignored for files with both columns.
    period_column : str or None
        Column holding each row's period (a year, ``YYYYMM``, ``YYYY-MM`` or a
        date), for any text or Parquet layout.
    file_years : dict
        ``{file name or path: year}`` for files without a period column
        (``--year FILE=YEAR``); see :mod:`scrisk.io.periods`.
    max_rejected : float or None
        Largest share (0-1) of the input value that may be rejected as
        *defects*; more is an error (exit 1). ``--strict`` is 0. None: no limit.
    target_revision : str or None
        Convert every flow to this HS revision after reading
        (:func:`scrisk.engine.hs_revision.harmonize`; the CLI's
        ``--hs-revision``). None: the revision holding most of the value when
        the data holds several.
    period : str or None
        Run on this period only (``2024``, ``2024-06``;
        :func:`scrisk.engine.periods.select_period`; the CLI's ``--period``).
    rolling : int or None
        With a month ``period``: the window of this many months ending with it
        (the CLI's ``--rolling``).
    """

    source: str | None = None
    country_codes: Path | None = None
    columns: dict[str, str] | None = None
    value_unit: str | None = None
    qty_unit: str | None = None
    years: tuple[int, ...] = ()
    hs: tuple[str, ...] = ()
    encoding: str | None = None
    decimal: str | None = None
    profile: str | None = None
    profiles: Path | None = None
    comtrade_side: str = "both"
    hs_revision: str | None = None
    target_revision: str | None = None
    period: str | None = None
    rolling: int | None = None
    extra: dict = field(default_factory=dict)
    exporter: str | None = None
    importer: str | None = None
    period_column: str | None = None
    file_years: dict = field(default_factory=dict)
    max_rejected: float | None = None

    def __post_init__(self) -> None:
        check_years(self.years)
        if self.encoding is not None:
            check_encoding(self.encoding)
        if self.decimal not in (None, ".", ","):
            raise UsageError(f"--decimal {self.decimal!r}: the decimal mark is '.' or ','")


#: Years a trade record can carry (HS exists since 1988; SITC-era data goes back further).
YEAR_RANGE = (1900, 2100)


def check_years(years, *, option: str = "--year") -> None:
    """Refuse a year no trade data can have (``--year 0``) as a usage error, before any file is read.

    Examples
    --------
    >>> check_years((2022,))
    >>> check_years((0,))
    Traceback (most recent call last):
    ...
    scrisk.errors.UsageError: --year 0 is not a plausible year; give a four-digit year between 1900 and 2100
    """
    for y in years:
        if isinstance(y, bool) or not isinstance(y, int) or not YEAR_RANGE[0] <= y <= YEAR_RANGE[1]:
            raise UsageError(f"{option} {y} is not a plausible year; give a four-digit year between "
                             f"{YEAR_RANGE[0]} and {YEAR_RANGE[1]}")


def check_encoding(encoding, *, option: str = "--encoding") -> str:
    """Return the codec name of a text encoding; refuse unknown or non-text ones (rot13, base64) as usage errors.

    Examples
    --------
    >>> check_encoding("cp949")
    'cp949'
    >>> check_encoding("rot13")
    Traceback (most recent call last):
    ...
    scrisk.errors.UsageError: --encoding rot13 is not a text encoding of bytes; use utf-8, utf-8-sig, cp949, shift_jis or latin-1
    """
    hint = "use utf-8, utf-8-sig, cp949, shift_jis or latin-1"
    if not isinstance(encoding, str):
        raise UsageError(f"{option} {encoding!r} is not an encoding name; {hint}")
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        raise UsageError(f"{option} {encoding} is not a known encoding; {hint}") from None
    if not getattr(info, "_is_text_encoding", True):
        raise UsageError(f"{option} {encoding} is not a text encoding of bytes; {hint}")
    return info.name
