"""Readers: trade files of any supported format into the canonical flow table.

* :func:`read_flows` -- the single entry point (BACI release CSV and zip,
  UN Comtrade CSV, tidy CSV and Parquet through a column mapping; several
  files and globs combine into one table).
* :func:`detect_source` -- which reader a file needs, sniffed from content.
* :func:`validate_files` -- read, count, quarantine (``scrisk validate``).
* :mod:`scrisk.io.reasons` -- the stable rejection reasons.
"""

from scrisk.io.options import ReadOptions
from scrisk.io.reader import read_flows
from scrisk.io.formats import SOURCES, detect_source
from scrisk.io.validate import ValidationResult, validate_files, write_quarantine

__all__ = [
    "ReadOptions",
    "read_flows",
    "detect_source",
    "validate_files",
    "write_quarantine",
    "ValidationResult",
    "SOURCES",
]
