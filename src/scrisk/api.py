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
    from scrisk.engine.periods import parse_period, select_period

    period = parse_period(options.period, rolling=options.rolling)  # a bad --period fails before anything is read
    table = _one_revision(paths, options, read_flows(paths, options))
    return select_period(table, period) if period is not None else table


def _one_revision(paths, options: ReadOptions, table: FlowTable) -> FlowTable:
    """Convert a table holding several HS revisions (or not the one asked for) to one revision.

    When a product filter was pushed into the scan, the files are read again with the codes that convert into
    it (:func:`scrisk.engine.hs_revision.related_codes`), so that every source row and every weight of a split
    is there; the converted rows are then filtered to the products asked for.
    """
    import dataclasses

    from scrisk.engine.hs_revision import REVISIONS, check_revision, harmonize, related_codes
    from scrisk.io import read_flows

    target = check_revision(options.target_revision)
    rev = table.meta.hs_revision
    if rev in REVISIONS and target in (None, rev):
        return table
    keep = tuple(options.hs)
    if keep:
        wider = tuple(sorted(set(keep) | set(related_codes(keep))))
        if set(wider) != set(keep):
            table = read_flows(paths, dataclasses.replace(options, hs=wider))
    out = harmonize(table, target, keep=keep)
    if out.meta.hs_revision not in REVISIONS and out.meta.hs_revision is not None:
        # no row says which revision it is in: say so rather than carry a label no basket resolves
        out.meta = dataclasses.replace(out.meta, hs_revision=None, notes=out.meta.notes + (
            f"the inputs hold several HS revisions ({out.meta.hs_revision}) that could not be told apart per row; "
            "codes are used as they are",))
    return out

