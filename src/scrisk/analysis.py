"""The library call behind ``scrisk analyze``: ranked import dependencies with reasons.

:func:`analyze` takes a flow table, picks one year (default: the latest
loaded), computes every indicator of :func:`indicators` for each (importer,
hs), labels materials, ranks, and returns an :class:`AnalysisResult` whose
:meth:`~AnalysisResult.to_dict` is the stable JSON contract::

    {"meta": {scrisk_version, inputs, years, hs_revision, generated_at, parameters, ...},
     "rows": [{rank, importer, hs, material, import_value_usd, n_suppliers, top_supplier,
               top_share, hhi, effective_suppliers, world_export_hhi, world_top_exporter,
               world_top_exporter_share, score, flags, why, ...extra fields}]}

One row per (importer, hs); shares and HHIs on the 0-1 scale (HHIs on
0-10,000 with ``hhi_scale=10000``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from scrisk.errors import UsageError
from scrisk.metrics.composite import ScoreWeights, explain
from scrisk.metrics.governance import WgiScores, as_wgi_scores, missing_wgi_suppliers
from scrisk.metrics.indicators import FLAGS, INDICATOR_COLUMNS, SCREEN_COLUMNS, indicators, row_flags
from scrisk.metrics.persistence import CHANGE_COLUMNS
from scrisk.metrics.screen import Bands, ScreenCriteria
from scrisk.schema import HS, IMPORTER, VALUE, YEAR, FlowTable
from scrisk.textfmt import format_usd_short

__all__ = [
    "analyze",
    "indicators",
    "AnalysisResult",
    "CONTRACT_COLUMNS",
    "SORT_KEYS",
    "FLAGS",
    "INDICATOR_COLUMNS",
    "expand_country_spec",
    "registry",
    "read_filter",
]

CONTRACT_COLUMNS: tuple[str, ...] = (
    "rank",
    "importer",
    "hs",
    "material",
    "import_value_usd",
    "n_suppliers",
    "top_supplier",
    "top_share",
    "hhi",
    "effective_suppliers",
    "world_export_hhi",
    "world_top_exporter",
    "world_top_exporter_share",
    "score",
    "flags",
    "why",
)
"""Fields every analyze row carries, in order (extra fields follow)."""

_EXTRA_COLUMNS: tuple[str, ...] = (
    "year",
    "band",
    "top_supplier_world_share",
    "world_export_value_usd",
    "n_exporters",
    "export_value_usd",
    "import_export_ratio",
)

SORT_KEYS: dict[str, str] = {
    "score": "score",
    "hhi": "hhi",
    "top_share": "top_share",
    "value": "import_value_usd",
    "hhi_wgi": "hhi_wgi",
}
"""``--sort`` choices and the column each sorts on (descending)."""

_HHI_COLUMNS = ("hhi", "world_export_hhi", "hhi_wgi", "prev_hhi", "delta_hhi")


@dataclass
class AnalysisResult:
    """The result of :func:`analyze`.

    Attributes
    ----------
    rows : DataFrame
        One row per (importer, hs), ranked: :data:`CONTRACT_COLUMNS` then
        extra fields (``year``, ``band``, ``top_supplier_world_share``...,
        and when asked ``friendly_share``, ``hhi_wgi``/``wgi_coverage``, the
        change columns, the screen columns).
    meta : dict
        Provenance (:func:`scrisk.provenance.output_meta`) plus
        ``analysis_year``, ``previous_year``, ``rows_total``, ``notes``,
        ``score``, ``bands`` (and ``wgi``, ``screen`` when used).
    """

    rows: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rows)

    def records(self) -> list[dict[str, Any]]:
        """Return the rows as JSON-ready dicts (NaN/<NA> become None)."""
        from scrisk.report.render import jsonable

        return [jsonable(r) for r in self.rows.to_dict(orient="records")]

    def to_dict(self) -> dict[str, Any]:
        """Return ``{"meta": ..., "rows": [...]}``, JSON-ready (the stable contract)."""
        from scrisk.report.render import jsonable

        return {"meta": jsonable(self.meta), "rows": self.records()}


def registry(baskets: Any = None):
    """Return a basket registry from None (bundled), a mapping, or basket file path(s)."""
    from scrisk.materials import load_baskets

    if baskets is None:
        return load_baskets()
    if isinstance(baskets, Mapping):
        return baskets
    return load_baskets(extra=baskets)


def _split(spec: Any) -> list[str]:
    if spec is None:
        return []
    items = [spec] if isinstance(spec, str) else list(spec)
    out: list[str] = []
    for it in items:
        out.extend(p.strip() for p in str(it).split(",") if p.strip())
    return out


def expand_country_spec(spec: str | Iterable[str] | None) -> tuple[str, ...] | None:
    """Expand ISO3 codes and group names (``KOR``, ``EU27``, ``G7,CPTPP``, ``EU27,-DEU``) into sorted ISO3 codes.

    None, an empty spec or ``*`` mean "every country" and return None (see
    :func:`scrisk.countries.expand_countries`).

    Raises
    ------
    UnknownCountryError
        A code or group scrisk does not know (exit code 2).
    """
    parts = _split(spec)
    if not parts:
        return None
    from scrisk.countries import expand_countries

    got = expand_countries(parts)
    return None if got is None else tuple(sorted(set(got)))


def _labels(hs_series: pd.Series, reg, revision: str | None, material: Any) -> pd.Series:
    from scrisk.materials import get_basket, label_materials

    labels = label_materials(hs_series, reg, revision=revision)
    wanted = _split(material)
    if wanted:
        first: dict[str, str] = {}
        for m in wanted:
            b = get_basket(m, baskets=reg)
            for c in b.hs_codes(revision):
                first.setdefault(c, b.name)
        six = hs_series.astype("string").str.slice(0, 6)
        own = six.map(first)
        labels = own.fillna(labels).astype("string")
    return labels.mask(labels == "")


def _sort(frame: pd.DataFrame, sort: str) -> pd.DataFrame:
    """Rank: rows at/above the minimum value first, then ``sort`` desc, value desc, importer, hs (NaN last)."""
    key = SORT_KEYS[sort]
    metric = frame[key].to_numpy(dtype="float64", na_value=np.nan) if key in frame.columns else np.full(len(frame), np.nan)
    value = frame["import_value_usd"].to_numpy(dtype="float64", na_value=np.nan)
    below = (~frame["above_min_value"].to_numpy(dtype=bool)).astype(np.int8)
    neg_metric = np.where(np.isnan(metric), np.inf, -metric)
    neg_value = np.where(np.isnan(value), np.inf, -value)
    order = np.lexsort((
        pd.factorize(frame[HS], sort=True)[0],
        pd.factorize(frame[IMPORTER], sort=True)[0],
        neg_value,
        neg_metric,
        below,
    ))
    return frame.iloc[order].reset_index(drop=True)


def analyze(
    table: FlowTable,
    *,
    importers: str | Iterable[str] | None = None,
    hs: str | Iterable[str] | None = None,
    material: str | Iterable[str] | None = None,
    baskets: Any = None,
    year: int | None = None,
    friendly: str | Iterable[str] | None = None,
    wgi: str | Path | WgiScores | Mapping[str, float] | None = None,
    min_import_usd: float = 10_000_000.0,
    screen: bool = False,
    top: int | None = None,
    sort: str = "score",
    hhi_scale: int = 1,
    weights: ScoreWeights = ScoreWeights(),
    bands: Bands = Bands(),
    criteria: ScreenCriteria = ScreenCriteria(),
    progress: Callable[[str], None] | None = None,
) -> AnalysisResult:
    """Rank the import dependencies in a flow table and explain each one.

    Parameters
    ----------
    table : FlowTable
        The flows (e.g. from :func:`scrisk.api.load_flows`).
    importers : str or iterable of str, optional
        ISO3 codes and/or country groups (``"KOR"``, ``"EU27"``,
        ``"KOR,JPN"``); default every importer.
    hs : str or iterable of str, optional
        HS codes or 2/4-digit prefixes (``"811292"``, ``"8542"``).
    material : str or iterable of str, optional
        Basket names (``"gallium"``); combined with ``hs`` as a union.
    baskets : mapping or path(s), optional
        A basket registry or user basket TOML file(s) added to the bundled ones.
    year : int, optional
        Year to analyse; default the latest loaded year. Change columns
        compare it with the previous loaded year when there is one.
    friendly : str or iterable of str, optional
        Codes and groups whose share of imports is reported
        (``"G7,EU27,CPTPP"`` -> ``friendly_share``).
    wgi : path, WgiScores or mapping, optional
        World Bank WGI file (long layout or tidy iso3,score) or scores;
        adds ``hhi_wgi`` and ``wgi_coverage``.
    min_import_usd : float, default 10,000,000
        Minimum imports for a single-source band; smaller rows rank last.
    screen : bool, default False
        Apply the GeoDep screen (adds the screen columns and the ``geodep``
        flag).
    top : int, optional
        Keep the first ``top`` rows after ranking (None or 0: all).
    sort : {'score', 'hhi', 'top_share', 'value', 'hhi_wgi'}, default 'score'
        Ranking key (descending). Ties: import value desc, importer, hs.
        Rows below ``min_import_usd`` come after the others; NaN never first.
    hhi_scale : {1, 10000}, default 1
        Scale of the HHI fields in the output.
    weights, bands, criteria
        Score weights, band thresholds and screen thresholds.
    progress : callable, optional
        Called with a short step name as the work advances (for progress bars).

    Returns
    -------
    AnalysisResult

    Raises
    ------
    UnknownMaterialError, UnknownCountryError, UsageError
        Bad options (exit code 2).

    Examples
    --------
    >>> from scrisk.schema import make_flow_table
    >>> t = make_flow_table(pd.DataFrame({"year": [2024] * 3, "exporter": ["CHN", "JPN", "CHN"],
    ...     "importer": ["KOR", "KOR", "USA"], "hs": ["811292"] * 3, "value_usd": [9.2e7, 0.8e7, 4e7]}))
    >>> rows = analyze(t).to_dict()["rows"]
    >>> [(r["rank"], r["importer"], r["top_supplier"], r["top_share"]) for r in rows]
    [(1, 'USA', 'CHN', 1.0), (2, 'KOR', 'CHN', 0.92)]
    >>> rows[1]["flags"][:2], rows[1]["why"]
    (['absolute_dependence', 'concentrated_imports'], '92% from CHN, which ships 94% of world exports; 2 suppliers')
    """
    if sort not in SORT_KEYS:
        raise UsageError(f"--sort {sort!r} is not one of {', '.join(SORT_KEYS)}")
    if sort == "hhi_wgi" and wgi is None:
        raise UsageError("--sort hhi_wgi needs --wgi FILE")
    if hhi_scale not in (1, 10000):
        raise UsageError(f"--hhi-scale {hhi_scale} is not 1 or 10000")
    if top is not None and top < 0:
        raise UsageError(f"--top {top} is negative; give a positive number of rows (0 = all)")
    if not min_import_usd >= 0:
        raise UsageError(f"--min-import-usd {min_import_usd} must be >= 0")

    from scrisk.materials import normalize_revision, resolve_hs
    from scrisk.provenance import output_meta

    _step = progress or (lambda s: None)
    _step("options")
    reg = registry(baskets)
    revision = table.meta.hs_revision
    codes = resolve_hs(material, hs, baskets=reg, revision=normalize_revision(revision) if revision else None)
    imp_codes = expand_country_spec(importers)
    friends = expand_country_spec(friendly) if friendly is not None else None
    if friendly is not None and friends is None:
        raise UsageError("--friendly needs country codes or groups, e.g. --friendly G7,EU27")

    loaded = list(table.years)
    notes: list[str] = []
    if year is None:
        y = loaded[-1] if loaded else None
    else:
        y = int(year)
        if y not in loaded:
            have = ", ".join(str(v) for v in loaded) or "none"
            raise UsageError(f"year {y} is not in the data (loaded years: {have}); pick one of them with --year")
    scores = as_wgi_scores(wgi, year=y) if wgi is not None else None

    parameters = {
        "importers": _split(importers) or None,
        "hs": _split(hs) or None,
        "material": _split(material) or None,
        "hs_codes": list(codes) or None,
        "baskets": None if baskets is None or isinstance(baskets, Mapping) else [str(p) for p in _split_paths(baskets)],
        "year": year,
        "friendly": _split(friendly) or None,
        "wgi": str(wgi) if isinstance(wgi, (str, Path)) else (None if wgi is None else "scores"),
        "min_import_usd": float(min_import_usd),
        "screen": bool(screen),
        "top": top,
        "sort": sort,
        "hhi_scale": int(hhi_scale),
    }
    meta = output_meta(table, **parameters)

    frame = table.frame
    window_years = [v for v in loaded if y is not None and v <= y][-max(criteria.window, 2):]
    if y is not None:
        frame = frame.loc[frame[YEAR].isin(window_years).to_numpy(dtype=bool)]
    ind = indicators(
        frame,
        importers=imp_codes,
        hs=codes,
        friendly=friends,
        wgi=scores,
        min_import_usd=min_import_usd,
        bands=bands,
        screen=screen,
        criteria=criteria,
        weights=weights,
        years=window_years,
        progress=progress,
    )
    _step("ranking")
    rows = ind.loc[ind[YEAR] == y].reset_index(drop=True) if y is not None else ind.iloc[0:0]
    prev_year = window_years[-2] if len(window_years) >= 2 else None
    rows = rows.assign(material=_labels(rows[HS], reg, revision, material))
    rows = _sort(rows, sort)
    total = len(rows)
    n_below = int((~rows["above_min_value"].to_numpy(dtype=bool)).sum())
    if top:
        rows = rows.head(int(top))
    rows = rows.assign(rank=np.arange(1, len(rows) + 1, dtype="int64"))
    rows["flags"] = row_flags(rows, criteria=criteria)
    rows["why"] = explain(rows, min_import_usd=min_import_usd if min_import_usd > 0 else None).to_numpy()

    cols = list(CONTRACT_COLUMNS) + list(_EXTRA_COLUMNS)
    if friends is not None:
        cols.append("friendly_share")
    if scores is not None:
        cols += ["hhi_wgi", "wgi_coverage"]
    if prev_year is not None:
        cols += list(CHANGE_COLUMNS)
    if screen:
        cols += list(SCREEN_COLUMNS)
    out = rows[cols].copy()
    if hhi_scale != 1:
        for c in _HHI_COLUMNS:
            if c in out.columns:
                out[c] = out[c] * float(hhi_scale)

    # notes: say what is missing rather than returning a silent empty table
    if y is None:
        notes.append("the flow table is empty")
    elif total == 0:
        what = f" of {', '.join(codes)}" if codes else ""
        who = f" by {', '.join(imp_codes)}" if imp_codes else ""
        notes.append(f"no imports{what}{who} in {y}")
    elif imp_codes:
        absent = sorted(set(imp_codes) - set(ind.loc[ind[YEAR] == y, IMPORTER].astype(str)))
        if absent and len(imp_codes) <= 10:
            notes.append(f"no imports of the selected products in {y} for: {', '.join(absent)}")
    if codes and y is not None:
        here = ind.loc[ind[YEAR] == y, HS].astype(str)
        missing = [c for c in codes if not here.str.startswith(c).any()]
        if missing:
            notes.append(f"HS codes without imports in {y}: {', '.join(missing)}")
    if n_below and total:
        notes.append(f"{n_below} of {total} rows have imports below {format_usd_short(min_import_usd)}: no band, ranked after "
                     "the others")
    if top and total > top:
        notes.append(f"showing the top {top} of {total} rows")

    meta.update(
        analysis_year=y,
        previous_year=prev_year,
        rows_total=total,
        hhi_scale=int(hhi_scale),
        score={"formula": "score = (0.35*hhi + 0.25*top_share + 0.25*world_export_hhi + "
                          "0.15*top_supplier_world_share) / sum of weights (weights below)",
               "weights": weights.as_dict()},
        bands={"absolute": bands.absolute, "high": bands.high, "monitor": bands.monitor,
               "min_import_usd": float(min_import_usd)},
        flags=dict(FLAGS),
    )
    if screen:
        meta["screen"] = {
            "criteria": {"import_hhi_gt": criteria.import_hhi, "world_export_hhi_gt": criteria.world_export_hhi,
                         "import_export_ratio_gt": criteria.import_export_ratio,
                         "zero_export_ratio": criteria.zero_export_ratio},
            "persistence": f"criteria met in >= min({criteria.min_years}, n) of the last n <= {criteria.window} "
                           "loaded years up to the analysis year",
            "window_years": window_years[-criteria.window:],
        }
    if scores is not None:
        info = scores.describe()
        sub = frame
        if codes:
            sub = sub.loc[sub[HS].astype("string").str.startswith(codes).fillna(False).to_numpy(dtype=bool)]
        sub = sub.loc[(sub[YEAR] == y).to_numpy(dtype=bool)]
        if imp_codes is not None:
            sub = sub.loc[sub[IMPORTER].isin(list(imp_codes)).to_numpy(dtype=bool)]
        miss = missing_wgi_suppliers(sub, scores)
        tot = float(sub[VALUE].sum())
        info["suppliers_without_score"] = [
            {"exporter": str(e), "value_usd": float(v)} for e, v in miss.head(20).itertuples(index=False)
        ]
        info["value_share_without_score"] = float(miss[VALUE].sum() / tot) if tot > 0 else 0.0
        if len(miss):
            notes.append(
                f"{len(miss)} supplier(s) without a WGI score ({info['value_share_without_score']:.1%} of import "
                f"value; hhi_wgi is a lower bound where wgi_coverage < 1): "
                + ", ".join(str(e) for e in miss[miss.columns[0]].head(8))
            )
        meta["wgi"] = info
    meta["notes"] = notes
    return AnalysisResult(rows=out, meta=meta)


def read_filter(
    material: str | Iterable[str] | None = None,
    hs: str | Iterable[str] | None = None,
    *,
    baskets: Any = None,
) -> tuple[str, ...]:
    """Return the HS prefixes worth reading for ``material``/``hs`` (to push into the reader's scan).

    The union of the baskets' codes in every HS revision (the file's revision
    is known only after reading) and the ``hs`` prefixes; empty means read
    everything. Unknown materials raise here, before any file is read.

    Examples
    --------
    >>> read_filter("hafnium", "8542")
    ('811231', '811292', '8542')
    >>> read_filter(None, None)
    ()
    """
    from scrisk.materials import get_basket, resolve_hs

    reg = registry(baskets)
    codes: list[str] = []
    for m in _split(material):
        codes.extend(get_basket(m, baskets=reg).all_hs_codes())
    codes.extend(resolve_hs(None, hs, baskets=reg))
    out: list[str] = []
    for c in sorted(set(codes), key=lambda x: (len(x), x)):
        if not any(c.startswith(p) for p in out):
            out.append(c)
    return tuple(sorted(out))


def _split_paths(baskets: Any) -> list[Any]:
    if isinstance(baskets, (str, Path)):
        return [baskets]
    return list(baskets)
