"""What a format module of the reader registry declares (see :mod:`scrisk.io.formats`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

__all__ = ["Format"]


@dataclass(frozen=True)
class Format:
    """One trade-file format the readers know.

    Attributes
    ----------
    name : str
        The ``--source`` value.
    container : str
        ``"text"`` (plain or gzip, recognised by its header), ``"zip"`` or ``"parquet"``.
    read : callable
        ``read(path, text_source_or_None, options) -> list[FileResult]``.
    recognise : callable or None
        ``recognise(header, options) -> bool`` for text formats.
    description : str
    """

    name: str
    container: str
    read: Callable
    recognise: Callable | None = None
    description: str = ""
