"""The public library facade: what users import and what the CLI calls."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from scrisk.io.options import ReadOptions
from scrisk.schema import FlowTable

__all__ = ["load_flows"]


def load_flows(paths: Iterable[str | Path] | None = None, options: ReadOptions | None = None) -> FlowTable:
    """Read trade files (or the bundled example when none are given) into a validated flow table.

    Parameters
    ----------
    paths : iterable of str or Path, optional
        Files or glob patterns. None or empty reads the bundled example.
    options : ReadOptions, optional
        Reader options (format, column mapping, year/HS filters...).

    Returns
    -------
    FlowTable
    """
    from scrisk.io import read_flows
    from scrisk.resources import example_flows_path

    paths = list(paths or [])
    if not paths:
        paths = [example_flows_path()]
    return read_flows(paths, options or ReadOptions())
