"""The public library facade: what users import and what the CLI calls."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from scrisk.io.options import ReadOptions
from scrisk.schema import FlowTable

__all__ = ["load_flows", "EXAMPLE_HS_REVISION"]

EXAMPLE_HS_REVISION = "HS2017"


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

    Examples
    --------
    >>> t = load_flows()
    >>> t.meta.hs_revision, t.years, t.report.rows_rejected
    ('HS2017', (2022, 2024), 0)
    """
    from scrisk.engine.store import settings

    options = options or ReadOptions()
    paths = list(paths or [])
    if settings().engine == "spark":
        # --engine spark: datasets are read by Spark, other files here and sent (scrisk.engine.spark.load)
        from scrisk.engine.spark import load

        return load(paths, options, local=_read_local)
    return _read_local(paths, options)


def _read_local(paths: list, options: ReadOptions) -> FlowTable:
    import dataclasses

    from scrisk.io import read_flows
    from scrisk.resources import example_flows_path

    if not paths:
        paths = [example_flows_path()]
        if options.hs_revision is None:
            # the example's codes are HS2017, like the CEPII BACI HS17 release it is rounded from
            options = dataclasses.replace(options, hs_revision=EXAMPLE_HS_REVISION)
    return read_flows(paths, options)
