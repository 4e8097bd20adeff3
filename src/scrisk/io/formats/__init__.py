"""The reader registry: one module per trade-file format, each recognising and reading its layout.

=============  ==========================================================
``--source``   module (what it reads)
=============  ==========================================================
``baci``       :mod:`scrisk.io.formats.baci` -- CEPII BACI yearly CSV
               ``t,i,j,k,v,q`` (extra columns allowed; v in thousand USD)
``baci-zip``   :mod:`scrisk.io.formats.baci` -- a BACI release zip
``comtrade``   :mod:`scrisk.io.formats.comtrade` -- UN Comtrade+ API/bulk,
               legacy bulk and trimmed CSV, annual and monthly
``tidy``       :mod:`scrisk.io.formats.tidy` -- any CSV through a column
               mapping (customs extracts, one-sided files, named partners)
``parquet``    :mod:`scrisk.io.formats.parquet` -- Parquet through the
               same mapping (canonical flow Parquet is used in place)
=============  ==========================================================

Each module defines ``FORMAT``, a :class:`Format`: its name, the container
it comes in, ``recognise(header, options)`` for text layouts and
``read(path, text_source, options) -> list[FileResult]``. :data:`FORMATS`
lists them in the order text headers are tried (the most specific layout
first, tidy last). **A new national customs format is one new module here
defining FORMAT, added to FORMATS, plus its test** -- readers share the row
checks of :mod:`scrisk.io._stage` and the scan of :mod:`scrisk.io._scan`.

Nothing trusts a file name for the format: a zip is recognised by its magic
bytes, Parquet by ``PAR1``, gzip is opened and its text sniffed, and a text
layout by its header row (:mod:`scrisk.io.sniff`).
"""

from __future__ import annotations

from pathlib import Path

from scrisk.errors import FormatDetectionError, UsageError
from scrisk.io._format import Format
from scrisk.io.formats import baci, comtrade, parquet, tidy
from scrisk.io.sniff import TextSource, container_of, open_plain_or_gzip, sniff_text_source, unrecognised_header_message

__all__ = ["Format", "FORMATS", "SOURCES", "get_format", "sniff", "detect_source", "classify_header"]


FORMATS: tuple[Format, ...] = (baci.FORMAT, comtrade.FORMAT, tidy.FORMAT, baci.ZIP_FORMAT, parquet.FORMAT)
"""Every format; text formats are tried in this order (specific layouts first, tidy last)."""

SOURCES: tuple[str, ...] = tuple(f.name for f in FORMATS)
"""Values accepted by ``--source`` / ``ReadOptions.source``."""

_BY_CONTAINER = {"zip": baci.ZIP_FORMAT, "parquet": parquet.FORMAT}


def get_format(name: str) -> Format:
    """The format called ``name`` (``--source``).

    Examples
    --------
    >>> get_format("comtrade").container
    'text'
    """
    for f in FORMATS:
        if f.name == name:
            return f
    raise UsageError(f"unknown --source {name!r}; use one of {', '.join(SOURCES)}")


def classify_header(names, options=None) -> str | None:
    """The text format (other than tidy) whose header this is, else None.

    Examples
    --------
    >>> classify_header(["t", "i", "j", "k", "v", "q"])
    'baci'
    >>> classify_header(["reporter", "partner", "cmd", "flow", "value", "netwgt"])
    'comtrade'
    >>> classify_header(["exporter", "importer", "hs", "value_usd"]) is None
    True
    """
    for f in FORMATS:
        if f.container == "text" and f.name != "tidy" and f.recognise(tuple(names), options):
            return f.name
    return None


def sniff(path: str | Path, options=None) -> tuple[Format, TextSource | None]:
    """Return ``(format, text source or None)`` for a file; ``options.source`` forces the format.

    Raises
    ------
    UnreadableFileError
        Missing, empty, binary or undecodable file.
    FormatDetectionError
        A readable file whose header matches no known layout.
    """
    path = Path(path)
    forced = getattr(options, "source", None)
    fmt = get_format(forced) if forced else None
    kind = container_of(path)
    if fmt is None and kind in _BY_CONTAINER:
        fmt = _BY_CONTAINER[kind]
    if fmt is not None and fmt.container != "text":
        return fmt, None
    src = sniff_text_source(str(path), open_plain_or_gzip(path), getattr(options, "encoding", None))
    if fmt is not None:
        return fmt, src
    for f in FORMATS:
        if f.container == "text" and f.recognise(src.header, options):
            return f, src
    raise FormatDetectionError(unrecognised_header_message(src.header), path=str(path), line=1)


def detect_source(path: str | Path, options=None) -> str:
    """Return the ``--source`` name of the reader a file needs, sniffing its content.

    A zip (by its magic bytes) is a BACI release zip, ``PAR1`` is Parquet,
    gzip is opened and its text sniffed; a text file is BACI when its header
    has ``t,i,j,k,v``, Comtrade when it has reporter/partner/commodity/flow
    columns (API, legacy or trimmed names), and tidy when a column mapping
    is given or the obvious tidy headers are there.
    """
    return sniff(path, options)[0].name
