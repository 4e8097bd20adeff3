"""Which period a row is for: period columns, a year per file, ``--year FILE=YEAR``.

Readers find a row's period in, by priority:

1. the column named by ``--period-column NAME`` (``ReadOptions.period_column``);
2. the file's own period column: Comtrade ``period`` (``2024`` or ``202406``)
   or ``refYear`` + ``refMonth``; a tidy ``year``/``period``/``date`` column
   holding years, ``YYYYMM``, ``YYYY-MM`` or ISO dates (see
   :func:`scrisk.io._stage.parse_period`), optionally with a ``month`` column;
3. for a file without any period column, :func:`file_year`: ``--year
   FILE=YEAR`` for that file, else the one year written in its file name
   (``comtrade_2024.csv.gz``, ``exports-2022.csv``), else a single ``--year
   YEAR`` -- but only when one such file is read: two files without a year
   that one ``--year`` would stamp alike are refused (:func:`check_stamped`),
   because silently giving 2022 rows the year 2024 is how a table shows the
   wrong year's values.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from scrisk.errors import ColumnMappingError, UsageError

__all__ = ["Years", "parse_year_args", "file_year", "year_in_name", "period_column", "check_stamped"]

_NAME_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)")


class Years(list):
    """The ``--year`` values: plain years (the list) plus ``FILE=YEAR`` pairs in :attr:`per_file`."""

    per_file: dict[str, int]

    def __init__(self, years=(), per_file=None):
        super().__init__(years)
        self.per_file = dict(per_file or {})


def parse_year_args(values) -> Years:
    """Parse ``--year`` values: ``2024`` or ``FILE=2024``.

    Examples
    --------
    >>> y = parse_year_args(["2024", "old.csv=2022"])
    >>> list(y), y.per_file
    ([2024], {'old.csv': 2022})
    """
    if values is None:
        return Years()
    years, per_file = [], {}
    for v in values:
        text = str(v).strip()
        name, sep, year = text.rpartition("=")
        target = year if sep else text
        if not re.fullmatch(r"\d{4}", target):
            raise UsageError(f"--year {text!r}: write a year (2024) or FILE=YEAR (exports_kr.csv=2024)")
        if sep:
            if not name:
                raise UsageError(f"--year {text!r}: the file name before '=' is empty")
            per_file[name] = int(target)
        else:
            years.append(int(target))
    return Years(years, per_file)


def year_in_name(label: str) -> int | None:
    """The one year (1950-2099) a file name carries, else None (none, or several different ones).

    Examples
    --------
    >>> year_in_name("data/comtrade_2024.csv.gz"), year_in_name("BACI_HS17_Y2022_V202601.csv")
    (2024, 2022)
    >>> year_in_name("flows.csv") is None
    True
    """
    name = Path(str(label).rsplit("!", 1)[-1]).name
    found = set(_NAME_YEAR.findall(re.sub(r"V\d{6}", "", name)))
    return int(found.pop()) if len(found) == 1 else None


def file_year(label: str, options) -> int:
    """The year of every row of a file without a period column (see the module docstring).

    Raises
    ------
    UsageError
        When nothing gives the year.
    """
    per_file = dict(getattr(options, "file_years", None) or {})
    for key, year in per_file.items():
        if key in (label, Path(label).name) or os.path.realpath(key) == os.path.realpath(label):
            return int(year)
    named = year_in_name(label)
    if named is not None:
        return named
    years = sorted(set(options.years))
    if len(years) == 1:
        return int(years[0])
    raise UsageError(
        f"{label} has no year or period column and its name gives no year; pass --year {Path(label).name}=YEAR "
        "(or one --year YEAR when it is the only such file), or map a column with --period-column NAME"
    )


def year_source(label: str, options) -> str:
    """How :func:`file_year` found the year: ``"--year FILE=YEAR"``, ``"file name"`` or ``"--year"``."""
    per_file = dict(getattr(options, "file_years", None) or {})
    if any(k in (label, Path(label).name) or os.path.realpath(k) == os.path.realpath(label) for k in per_file):
        return "--year FILE=YEAR"
    return "file name" if year_in_name(label) is not None else "--year"


def check_stamped(labels: list[str], year: int) -> None:
    """Refuse several files stamped with the same single ``--year`` (they would silently mix years)."""
    if len(labels) > 1:
        shown = ", ".join(labels[:4]) + (" ..." if len(labels) > 4 else "")
        raise UsageError(
            f"{len(labels)} files have no year column and no year in their names ({shown}); one --year {year} would "
            f"stamp them all {year} and mix their years. Give each its year: "
            + " ".join(f"--year {Path(lab).name}=YEAR" for lab in labels[:3])
        )


def period_column(header, name: str, label: str) -> str:
    """The header name matching ``--period-column NAME`` (case-insensitive)."""
    for h in header:
        if h == name or h.strip().lower() == name.strip().lower():
            return h
    raise ColumnMappingError(
        f"--period-column {name}: no such column; the file has {', '.join(repr(h) for h in list(header)[:20])}",
        path=label,
        line=1,
    )
