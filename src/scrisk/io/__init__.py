"""Readers: trade files of any supported format into the canonical flow table.

* :func:`read_flows` -- the single entry point (BACI release CSV and zip,
  UN Comtrade CSV, tidy CSV and Parquet through a column mapping; several
  files and globs combine into one table).
* :func:`detect_source` -- which reader a file needs, sniffed from content.
* :func:`validate_files` -- read, count, quarantine (``scrisk validate``).
* :mod:`scrisk.io.reasons` -- the stable rejection reasons.

The names are imported on first use (the readers and their numerical
libraries load only when a file is read).
"""

from __future__ import annotations

from scrisk import lazy_attributes

__all__ = [
    "ReadOptions",
    "read_flows",
    "detect_source",
    "validate_files",
    "write_quarantine",
    "ValidationResult",
    "SOURCES",
]

_EXPORTS = {
    "ReadOptions": "scrisk.io.options",
    "read_flows": "scrisk.io.reader",
    "detect_source": "scrisk.io.formats",
    "SOURCES": "scrisk.io.formats",
    "validate_files": "scrisk.io.validate",
    "write_quarantine": "scrisk.io.validate",
    "ValidationResult": "scrisk.io.validate",
}

__getattr__, __dir__ = lazy_attributes("scrisk.io", _EXPORTS, globals())
