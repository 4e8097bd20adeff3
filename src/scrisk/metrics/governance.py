"""Governance-weighted import concentration: the HHI_WGI term of the EU CRM method, over one importer's suppliers.

The EU Critical Raw Materials supply-risk formula (European Commission 2017,
*Methodology for establishing the EU list of critical raw materials*; Blengini
et al. 2017, JRC EUR 28654) weights each supplier's squared share by how
poorly the supplier country is governed::

    HHI_WGI,t = sum_c  s_c^2 * WGI_c * t_c        (0-10 scale)

This module computes that weighting over *one importer's import shares*
(``s_c`` = supplier c's share of the importer's imports), without the trade
parameter ``t_c``. It is **not** the EU CRM supply risk: that mixes the
global-supply and EU-sourcing terms by import reliance and applies the
end-of-life recycling rate and the substitution index
(:mod:`scrisk.production.crm`, ``scrisk supply-risk``). ``WGI_c`` is the
World Bank Worldwide Governance Indicators rescaled to 0-10 with higher
meaning *worse* governance::

    WGI_c = (2.5 - mean of the six WGI estimates of c) * 2

(the rescaling used by the CritMAT re-implementation of the EU method; the
estimates run from about -2.5 to +2.5, so 0 is the best and 10 the worst
possible governance; values are clipped to 0-10). scrisk divides by 10 to
stay on the 0-1 scale of its other HHIs::

    hhi_wgi = sum_c  s_c^2 * WGI_c / 10           (0-1)

so ``hhi_wgi`` equals ``hhi`` when every supplier scores 10, and is half of
it when every supplier scores 5.

**Missing scores are not dropped silently.** Shares are always taken over the
importer's *full* imports; suppliers without a WGI score contribute nothing
to the sum, so ``hhi_wgi`` is a lower bound whenever ``wgi_coverage`` (the
share of import value from suppliers that have a score) is below 1, and
missing when the coverage is 0. :func:`missing_wgi_suppliers` lists the
suppliers without a score and the value involved.

Reading WGI files (:func:`read_wgi`) is the one I/O function of this module;
everything else is pure.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from scrisk.errors import FormatDetectionError, InputError, UnreadableFileError
from scrisk.schema import EXPORTER, HS, IMPORTER, VALUE, YEAR

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

__all__ = [
    "WGI_INDICATORS",
    "WGI_CODE_FIXES",
    "WgiScores",
    "rescale_wgi",
    "wgi_scores",
    "read_wgi",
    "as_wgi_scores",
    "governance_hhi",
    "missing_wgi_suppliers",
]

WGI_INDICATORS: tuple[str, ...] = (
    "VoiceandAccountability",
    "PoliticalStability",
    "GovernmentEffectiveness",
    "RegulatoryQuality",
    "RuleofLaw",
    "ControlofCorruption",
)
"""The six WGI dimensions (names as in the long CSV; short codes va, pv, ge, rq, rl, cc also accepted)."""

WGI_CODE_FIXES: dict[str, str] = {
    "ZAR": "COD",  # Congo, Dem. Rep.
    "ROM": "ROU",  # Romania
    "TMP": "TLS",  # Timor-Leste
    "ADO": "AND",  # Andorra
    "WBG": "PSE",  # West Bank and Gaza
    "KSV": "XKX",  # Kosovo (no ISO 3166 code; XKX as used by the World Bank)
}
"""WGI country codes that are not ISO 3166-1 alpha-3, mapped to ISO3."""

_MISSING = {"", "na", "n/a", "..", "#n/a", "nan", "null"}
_SHORT = {"va": 0, "pv": 1, "ge": 2, "rq": 3, "rl": 4, "cc": 5}


@dataclass(frozen=True)
class WgiScores:
    """Governance scores per country on the 0-10 scale (higher = worse).

    Attributes
    ----------
    scores : dict
        ISO3 -> score in [0, 10].
    years : dict
        ISO3 -> WGI year the score comes from (empty for tidy files).
    source : str or None
        The file read, when any.
    layout : str
        ``"wgi-long"``, ``"tidy-score"``, ``"tidy-estimate"`` or ``"mapping"``.

    Examples
    --------
    >>> w = WgiScores({"CHN": 5.6, "JPN": 2.1})
    >>> w.series().to_dict()
    {'CHN': 5.6, 'JPN': 2.1}
    """

    scores: Mapping[str, float]
    years: Mapping[str, int] = field(default_factory=dict)
    source: str | None = None
    layout: str = "mapping"

    def series(self) -> pd.Series:
        """Return the scores as a float Series indexed by ISO3, named ``wgi``."""
        import pandas as pd

        return pd.Series(dict(self.scores), dtype="float64", name="wgi")

    def describe(self) -> dict[str, Any]:
        """Return a JSON-ready summary for result meta."""
        ys = sorted(set(self.years.values()))
        return {
            "source": self.source,
            "layout": self.layout,
            "countries": len(self.scores),
            "years": [int(ys[0]), int(ys[-1])] if ys else [],
            "formula": "hhi_wgi = sum_c s_c^2 * WGI_c / 10; WGI_c = (2.5 - mean of the 6 WGI estimates) * 2, 0-10, higher = worse",
        }


def rescale_wgi(estimate) -> np.ndarray:
    """Rescale WGI estimates (about -2.5..2.5, higher = better) to 0-10, higher = worse.

    Examples
    --------
    >>> [float(x) for x in rescale_wgi([2.5, 0.0, -2.5, -3.0])]
    [0.0, 5.0, 10.0, 10.0]
    """
    import numpy as np

    est = np.asarray(estimate, dtype="float64")
    return np.clip((2.5 - est) * 2.0, 0.0, 10.0)


def _norm(name: str) -> str:
    return "".join(ch for ch in str(name).lower() if ch.isalnum())


def _find(cols: list[str], *names: str) -> str | None:
    by = {_norm(c): c for c in cols}
    for n in names:
        if n in by:
            return by[n]
    return None


def _numbers(raw: pd.Series, *, what: str, path: str | None, lo: float, hi: float) -> pd.Series:
    """Parse a text column to floats; missing tokens -> NaN; garbage or out of range -> InputError."""
    import numpy as np
    import pandas as pd

    text = raw.astype("string").str.strip()
    missing = text.isna() | text.str.lower().isin(_MISSING)
    num = pd.to_numeric(text.where(~missing), errors="coerce")
    bad = ~missing & (num.isna() | (num < lo) | (num > hi))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"{what} {text.iloc[i]!r} is not a number between {lo:g} and {hi:g}; fix or blank the value",
            path=path, line=i + 2,
        )
    return num.astype("float64")


def _iso3(raw: pd.Series, *, path: str | None) -> pd.Series:
    import numpy as np

    codes = raw.astype("string").str.strip().str.upper()
    bad = ~codes.fillna("").str.fullmatch(r"[A-Z][A-Z0-9]{2}")
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"country code {raw.iloc[i]!r} is not a 3-letter ISO code; WGI files key countries by ISO3 (e.g. CHN)",
            path=path, line=i + 2,
        )
    return codes.replace(WGI_CODE_FIXES)


def wgi_scores(frame: pd.DataFrame, *, year: int | None = None, source: str | None = None) -> WgiScores:
    """Turn a WGI table (as read from CSV, all columns text) into 0-10 scores.

    Two layouts are recognised (column names case- and punctuation-insensitive):

    * **WGI long**: one row per (country, year, indicator) with columns
      ``Code``, ``Year``, ``Indicator`` and ``Estimate`` -- the World Bank
      data in long form (``2020_Worldwide_Governance_Indicators_1996-2019.csv``;
      indicator names or the short codes va, pv, ge, rq, rl, cc). For each
      country scrisk takes the latest year (up to ``year`` when given) with
      at least one estimate, averages that year's available estimates and
      rescales with :func:`rescale_wgi`.
    * **tidy**: ``iso3`` (or ``code``) and either ``score`` (already 0-10,
      higher = worse, used as is) or ``estimate`` (mean WGI estimate,
      rescaled).

    Non-ISO WGI codes are mapped with :data:`WGI_CODE_FIXES` (ZAR -> COD,
    ROM -> ROU...).

    Raises
    ------
    FormatDetectionError
        Neither layout matches.
    InputError
        A value is not a number in range (message gives the line).

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"Code": ["CHN", "CHN", "ZAR"], "Year": ["2019", "2019", "2019"],
    ...     "Indicator": ["RuleofLaw", "ControlofCorruption", "RuleofLaw"], "Estimate": ["-0.3", "-0.1", "-1.5"]})
    >>> s = wgi_scores(raw)
    >>> s.scores, s.layout
    ({'CHN': 5.4, 'COD': 8.0}, 'wgi-long')
    >>> wgi_scores(pd.DataFrame({"iso3": ["jpn"], "score": ["2.25"]})).scores
    {'JPN': 2.25}
    """
    import numpy as np
    import pandas as pd

    cols = [str(c) for c in frame.columns]
    code_c = _find(cols, "code", "iso3", "countrycode", "iso", "iso3code")
    ind_c = _find(cols, "indicator", "seriescode", "series")
    year_c = _find(cols, "year", "time")
    est_c = _find(cols, "estimate", "est", "wgi", "mean", "wgimean")
    score_c = _find(cols, "score", "wgiscaled", "scaled", "wgiscore")
    if code_c and ind_c and year_c and est_c:
        codes = _iso3(frame[code_c], path=source)
        yrs = _numbers(frame[year_c], what="year", path=source, lo=1900, hi=2100)
        est = _numbers(frame[est_c], what="estimate", path=source, lo=-5, hi=5)
        ind = frame[ind_c].astype("string").str.strip()
        known = ind.isin(WGI_INDICATORS) | ind.str.lower().isin(_SHORT)
        t = pd.DataFrame({"code": codes, "year": yrs, "est": est})
        t = t.loc[known.fillna(False).to_numpy() & t["est"].notna().to_numpy() & t["year"].notna().to_numpy()]
        if year is not None:
            t = t.loc[t["year"] <= year]
        if t.empty:
            raise InputError(
                "WGI file has no estimates" + (f" for {year} or earlier" if year is not None else "")
                + "; check the file or the year", path=source)
        t["year"] = t["year"].astype("int64")
        latest = t.groupby("code")["year"].transform("max")
        t = t.loc[t["year"] == latest]
        mean = t.groupby("code")["est"].mean()
        yr = t.groupby("code")["year"].first()
        score = pd.Series(rescale_wgi(mean.to_numpy()), index=mean.index)
        return WgiScores(
            scores={str(k): round(float(v), 12) for k, v in score.sort_index().items()},
            years={str(k): int(v) for k, v in yr.sort_index().items()},
            source=source,
            layout="wgi-long",
        )
    if code_c and (score_c or est_c):
        codes = _iso3(frame[code_c], path=source)
        if score_c:
            vals = _numbers(frame[score_c], what="score", path=source, lo=0, hi=10)
            layout = "tidy-score"
        else:
            vals = pd.Series(rescale_wgi(_numbers(frame[est_c], what="estimate", path=source, lo=-5, hi=5)),
                             index=frame.index)
            layout = "tidy-estimate"
        t = pd.DataFrame({"code": codes, "v": vals}).dropna()
        dup = t["code"].duplicated()
        if dup.any():
            i = int(np.flatnonzero(dup.to_numpy())[0])
            raise InputError(f"country {t['code'].iloc[i]} appears twice; keep one score per country", path=source,
                             line=int(t.index[i]) + 2)
        return WgiScores(scores={str(k): float(v) for k, v in sorted(zip(t["code"], t["v"]))}, source=source,
                         layout=layout)
    raise FormatDetectionError(
        f"not a WGI file: columns {cols[:8]}; expected the World Bank long layout (Code, Year, Indicator, Estimate) "
        "or a tidy CSV with iso3 and score (0-10, higher = worse) or estimate (-2.5..2.5)",
        path=source,
    )


def read_wgi(path: str | Path, *, year: int | None = None) -> WgiScores:
    """Read a WGI file (CSV, UTF-8 or Latin-1) into 0-10 governance scores.

    See :func:`wgi_scores` for the layouts. ``year`` caps the WGI year used
    (the latest available one up to it).

    Raises
    ------
    UnreadableFileError
        Missing, empty or unreadable file.
    FormatDetectionError, InputError
        As :func:`wgi_scores`.
    """
    import pandas as pd

    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise UnreadableFileError("WGI file not found; check the path given to --wgi", path=str(p)) from None
    except OSError as exc:
        raise UnreadableFileError(f"cannot read WGI file: {exc.strerror}", path=str(p)) from None
    if not raw.strip():
        raise UnreadableFileError("WGI file is empty", path=str(p))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")  # the World Bank CSVs are Latin-1
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise FormatDetectionError(f"WGI file is not a readable CSV ({str(exc).splitlines()[0]})", path=str(p)) from None
    return wgi_scores(frame, year=year, source=str(p))


def as_wgi_scores(obj: Any, *, year: int | None = None) -> WgiScores:
    """Accept a WgiScores, a path, or a mapping/Series ISO3 -> 0-10 score.

    Examples
    --------
    >>> as_wgi_scores({"chn": 5.6}).scores
    {'CHN': 5.6}
    """
    import pandas as pd

    if isinstance(obj, WgiScores):
        return obj
    if isinstance(obj, (str, Path)):
        return read_wgi(obj, year=year)
    if isinstance(obj, pd.Series):
        obj = obj.to_dict()
    if isinstance(obj, Mapping):
        scores = {str(k).strip().upper(): float(v) for k, v in obj.items() if v is not None and not pd.isna(v)}
        bad = [k for k, v in scores.items() if not 0 <= v <= 10]
        if bad:
            raise InputError(f"WGI score of {bad[0]} is {scores[bad[0]]}, outside 0-10 (higher = worse)")
        return WgiScores(scores=dict(sorted(scores.items())), layout="mapping")
    raise TypeError(f"cannot use {type(obj).__name__} as WGI scores")


def _supplier_values(flows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    f = flows.loc[flows[VALUE] > 0, [*keys, EXPORTER, VALUE]]
    return f.groupby([*keys, EXPORTER], observed=True, sort=False)[VALUE].sum().reset_index()


def governance_hhi(flows: pd.DataFrame, scores: WgiScores | Mapping[str, float] | pd.Series, *,
                   by_year: bool = True) -> pd.DataFrame:
    """Compute the governance-weighted import HHI per (year, importer, hs).

    Parameters
    ----------
    flows : DataFrame
        Canonical flow frame.
    scores : WgiScores, mapping or Series
        ISO3 -> WGI on 0-10, higher = worse.
    by_year : bool, default True
        When False, years are pooled and the ``year`` column is omitted.

    Returns
    -------
    DataFrame
        Columns ``year, importer, hs, hhi_wgi, wgi_coverage``: ``hhi_wgi``
        = sum over suppliers with a score of s_c^2 * WGI_c / 10 (shares of
        the full imports); ``wgi_coverage`` = share of import value from
        suppliers with a score; ``hhi_wgi`` is NaN when the coverage is 0.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"year": [2024] * 3, "exporter": ["CHN", "JPN", "XXX"],
    ...     "importer": ["KOR"] * 3, "hs": ["811292"] * 3, "value_usd": [80.0, 10.0, 10.0]})
    >>> r = governance_hhi(f, {"CHN": 5.0, "JPN": 2.0}).iloc[0]
    >>> round(float(r.hhi_wgi), 4), float(r.wgi_coverage)
    (0.322, 0.9)
    """
    import pandas as pd

    s = as_wgi_scores(scores).series()
    keys = [YEAR, IMPORTER, HS] if by_year else [IMPORTER, HS]
    f = _supplier_values(flows, keys)
    total = f.groupby(keys, observed=True, sort=False)[VALUE].transform("sum")
    share = f[VALUE] / total
    w = f[EXPORTER].astype("string").map(s).astype("float64")
    f = f.assign(_cov=share.where(w.notna(), 0.0), _hw=(share * share * w / 10.0).fillna(0.0))
    g = f.groupby(keys, observed=True, sort=True)
    out = pd.DataFrame({"hhi_wgi": g["_hw"].sum(), "wgi_coverage": g["_cov"].sum().clip(upper=1.0)}).reset_index()
    out["hhi_wgi"] = out["hhi_wgi"].where(out["wgi_coverage"] > 0)
    return out[[*keys, "hhi_wgi", "wgi_coverage"]]


def missing_wgi_suppliers(flows: pd.DataFrame, scores: WgiScores | Mapping[str, float] | pd.Series) -> pd.DataFrame:
    """List the exporters in ``flows`` without a WGI score, largest value first.

    Returns
    -------
    DataFrame
        Columns ``exporter, value_usd`` (sum over the rows given).

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"year": [2024] * 2, "exporter": ["CHN", "XXX"], "importer": ["KOR"] * 2,
    ...     "hs": ["811292"] * 2, "value_usd": [80.0, 10.0]})
    >>> missing_wgi_suppliers(f, {"CHN": 5.0}).values.tolist()
    [['XXX', 10.0]]
    """
    s = as_wgi_scores(scores).series()
    f = flows.loc[flows[VALUE] > 0, [EXPORTER, VALUE]]
    f = f.loc[~f[EXPORTER].astype("string").isin(list(s.index))]
    out = f.groupby(EXPORTER, observed=True)[VALUE].sum().reset_index()
    out[EXPORTER] = out[EXPORTER].astype("string")
    return out.sort_values([VALUE, EXPORTER], ascending=[False, True], kind="mergesort").reset_index(drop=True)
