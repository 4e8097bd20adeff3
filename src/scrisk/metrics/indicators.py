"""All dependency indicators of every (year, importer, hs), in one frame.

:func:`indicators` is the shared engine behind ``scrisk analyze`` (which picks
one year, labels, ranks and explains), ``scrisk check`` (thresholds per rule)
and ``scrisk diff`` (two vintages). Its column names and meanings are a
stable contract listed in :data:`INDICATOR_COLUMNS` and the docstring.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterable

from scrisk.metrics.composite import ScoreWeights
from scrisk.metrics.governance import WgiScores, as_wgi_scores
from scrisk.metrics.screen import Bands, ScreenCriteria

__all__ = ["indicators", "arrow_to_indicator_frame", "INDICATOR_COLUMNS", "SCREEN_COLUMNS", "FLAGS"]

from scrisk.engine import indicators as _decl

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

INDICATOR_COLUMNS: tuple[str, ...] = ("year", "importer", "hs") + tuple(
    i.name for i in _decl.output_indicators() if i.needs is None
)
"""Columns :func:`indicators` always returns, in order (optional ones follow); from the declarations."""

SCREEN_COLUMNS: tuple[str, ...] = tuple(i.name for i in _decl.output_indicators(options=["screen"]) if i.needs == "screen")
"""Columns added with ``screen=True`` (see :func:`scrisk.metrics.screen.geodep_screen`); from the declarations."""

FLAGS: dict[str, str] = {f.name: f.description for f in _decl.FLAGS}
"""Every flag an analyze row can carry, with its meaning (from :data:`scrisk.engine.indicators.FLAGS`)."""


def _note(progress: Callable[[str], None] | None, step: str) -> None:
    if progress is not None:
        progress(step)


def indicators(
    flows: pd.DataFrame,
    *,
    importers: Iterable[str] | None = None,
    hs: Iterable[str] | None = None,
    friendly: Iterable[str] | None = None,
    wgi: WgiScores | None = None,
    min_import_usd: float = 10_000_000.0,
    bands: Bands = Bands(),
    screen: bool = False,
    criteria: ScreenCriteria = ScreenCriteria(),
    weights: ScoreWeights = ScoreWeights(),
    years: Iterable[int] | None = None,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Compute every dependency indicator per (year, importer, hs).

    World-side figures (world export HHI, top exporter, the top supplier's
    world share, the importer's own exports) use *all* flows of the product
    in ``flows``, before the ``importers`` filter. A table with only
    reporters' World totals (:attr:`~scrisk.schema.FlowTable.world_only`)
    gives one row per importer reporting imports from the World, with the
    world-side figures from the reporters' exports to the World and the
    bilateral ones empty (:attr:`scrisk.engine.indicators.Indicator.world`).

    Parameters
    ----------
    flows : DataFrame
        Canonical flow frame (not modified).
    importers : iterable of str, optional
        ISO3 importers to keep (default: all).
    hs : iterable of str, optional
        HS codes or prefixes to keep (default: all), matched with
        ``startswith``.
    friendly : iterable of str, optional
        ISO3 codes of a "friendly" group; adds ``friendly_share``.
    wgi : WgiScores or mapping, optional
        Governance scores (0-10, higher = worse); adds ``hhi_wgi`` and
        ``wgi_coverage``.
    min_import_usd : float, default 10,000,000
        Minimum import value for a band (and for ranking first in analyze).
    bands : Bands
        Single-source band thresholds.
    screen : bool, default False
        Add the GeoDep screen columns :data:`SCREEN_COLUMNS`.
    criteria : ScreenCriteria
        Screen thresholds (also used by the ``concentrated_*`` flags).
    weights : ScoreWeights
        Composite score weights.
    years : iterable of int, optional
        The loaded years for change and persistence (default: the years
        in ``flows``).
    progress : callable, optional
        Called with a short step name as the computation advances.

    Returns
    -------
    DataFrame
        One row per (year, importer, hs) with positive imports, sorted by
        those keys, with :data:`INDICATOR_COLUMNS`:

        * ``import_value_usd, n_suppliers, top_supplier, top_share, hhi,
          effective_suppliers`` -- the importer's imports
          (:func:`~scrisk.metrics.concentration.import_concentration`);
        * ``world_export_value_usd, n_exporters, world_top_exporter,
          world_top_exporter_share, world_export_hhi`` -- all exports of the
          product that year;
        * ``top_supplier_world_share`` -- the top supplier's share of those
          world exports;
        * ``export_value_usd`` -- the importer's own exports of the product;
          ``import_export_ratio`` -- imports / exports, 9999 when it exports
          none;
        * ``band`` -- ``absolute``/``high``/``monitor``/<NA>;
          ``above_min_value`` -- imports >= ``min_import_usd``;
        * the change columns of
          :func:`~scrisk.metrics.persistence.year_over_year`;
        * ``score`` -- :func:`~scrisk.metrics.composite.chokepoint_score`;

        then, when asked, ``friendly_share``; ``hhi_wgi, wgi_coverage``;
        :data:`SCREEN_COLUMNS`. Shares and HHIs are on 0-1.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"year": [2024] * 4, "exporter": ["CHN", "JPN", "CHN", "KOR"],
    ...     "importer": ["KOR", "KOR", "USA", "USA"], "hs": ["811292"] * 4,
    ...     "value_usd": [9e7, 1e7, 5e7, 5e7]})
    >>> r = indicators(f, importers=["KOR"]).iloc[0]
    >>> r.top_supplier, float(r.top_share), float(r.top_supplier_world_share), r.band, float(r.import_export_ratio)
    ('CHN', 0.9, 0.7, 'absolute', 2.0)
    """
    import pandas as pd

    from scrisk.engine.indicators import Params, indicator_sql, prepare
    from scrisk.engine.store import connect, flow_source

    table = flows
    if isinstance(flows, pd.DataFrame):
        from scrisk.schema import FlowTable

        table = FlowTable(frame=flows)
    loaded = sorted({int(y) for y in (years if years is not None else table.measured_years)})
    params = Params.of(min_import_usd=min_import_usd, bands=bands, criteria=criteria, weights=weights)
    scores = as_wgi_scores(wgi).scores if wgi is not None else None
    from scrisk.engine.spark import is_spark_table

    if is_spark_table(table):
        from scrisk.engine.spark import indicator_rows

        _note(progress, "indicators (Spark)")
        tab = indicator_rows(table, friendly=friendly, wgi=scores, screen=screen, years=loaded,
                             importers=None if importers is None else list(importers), hs=tuple(hs or ()),
                             params=params)
        return arrow_to_indicator_frame(tab, friendly=friendly is not None, wgi=wgi is not None, screen=screen)
    con = connect()
    try:
        from scrisk.engine.hs_revision import split_shares

        from scrisk.engine.indicators import register_world

        opts = prepare(con, friendly=friendly, wgi=scores, hs_split=split_shares(table))
        if screen:
            opts.append("screen")
        _note(progress, "indicators")
        sql = indicator_sql(
            flow_source(con, table),
            years=loaded,
            importers=None if importers is None else list(importers),
            hs=tuple(hs or ()),
            options=opts,
            params=params,
            world=register_world(con, table),
        )
        tab = con.sql(sql + " ORDER BY year, importer, hs").arrow()
    finally:
        con.close()
    return arrow_to_indicator_frame(tab, friendly=friendly is not None, wgi=wgi is not None, screen=screen)


def arrow_to_indicator_frame(tab, *, friendly: bool, wgi: bool, screen: bool) -> pd.DataFrame:
    """Turn the engine's indicator rows into the pandas frame of :func:`indicators` (column order and dtypes)."""
    import pandas as pd

    import pyarrow as pa

    from scrisk.engine.indicators import pandas_dtype

    if isinstance(tab, pa.RecordBatchReader):
        tab = tab.read_all()
    out = tab.to_pandas(types_mapper={pa.string(): pd.StringDtype(), pa.large_string(): pd.StringDtype()}.get)
    cols = list(INDICATOR_COLUMNS)
    if friendly:
        cols.append("friendly_share")
    if wgi:
        cols += ["hhi_wgi", "wgi_coverage"]
    if screen:
        cols += list(SCREEN_COLUMNS)
    out = out[cols]
    for c in cols:
        want = pandas_dtype(c, out[c])
        if str(out[c].dtype) != want:
            out[c] = out[c].astype(want)
    return out.reset_index(drop=True)
