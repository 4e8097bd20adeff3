"""Read production statistics: USGS Mineral Commodity Summaries world tables, BGS World Mineral Statistics, tidy CSV.

Every reader returns a :class:`ProductionData`: one row per (country,
commodity, type, year) value read, and a report of every row it did not
keep, with a reason (nothing is dropped silently).

Layouts
-------
**USGS MCS** (``mcs2024-galli_world.csv``; MCS2022's ``gallium_mcs2022-galli_world.csv``): columns
``Source, Country, Type, Prod_<unit>_<year>, Prod_<unit>_est_<year>, ...``
(one file per commodity; the commodity is the five-letter code in the file
name; a qualifier may precede the unit, ``Prod_Sponge_t_Est_2022``; MCS2024
fluorspar names its Type column after its only type). Units ``kg``, ``t``,
``kt``, ``Mt``/``mmt`` are converted to kg; carats (``kct``, ``mct``) and
``mcm`` (million m3) are kept in their own unit. ``W`` (withheld), ``NA`` and
blanks are reported, not read as 0; ``72,000`` and ``73000`` both parse.
Files with capacity columns only (``Cap_...``) have no production.

**BGS WMS** (``df_ukgs.csv.gz``, semicolon-separated):
``Country;commodity_code;commodity_desc;Sub-commodity;year;value`` in tonnes
(converted to kg).

**Tidy CSV**: ``country, commodity, stage, year, quantity, unit``: country an
ISO3 code or a name, commodity a basket name (``gallium``), stage ``mine`` or
``refinery``, unit ``kg``, ``t`` (default), ``kt`` or ``Mt``. The shock
engine's production file (``country, hs, year, quantity, unit``;
:func:`scrisk.scenario.production.read_amounts`) is a different layout, per
HS code.

Country names are mapped by :func:`scrisk.production.names.classify_name`.

Examples
--------
>>> import io
>>> text = "country,commodity,stage,year,quantity,unit\\nCHN,gallium,refinery,2023,600,t\\nJapan,gallium,refinery,2023,3,t\\n"
>>> d = read_production_tidy(io.StringIO(text))
>>> d.frame[["country", "commodity", "stage", "year", "quantity"]].values.tolist()
[['CHN', 'gallium', 'refinery', 2023, 600000.0], ['JPN', 'gallium', 'refinery', 2023, 3000.0]]
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from scrisk.errors import FormatDetectionError, InputError, UnreadableFileError
from scrisk.production.names import classify_name

__all__ = [
    "PRODUCTION_COLUMNS",
    "MASS_UNITS",
    "ProductionData",
    "read_usgs_mcs",
    "read_bgs_wms",
    "read_production_tidy",
    "read_production",
    "sniff_production",
]

PRODUCTION_COLUMNS: tuple[str, ...] = (
    "source", "file", "line", "commodity", "type", "stage", "country_name", "country", "kind", "year", "estimated",
    "quantity", "unit",
)
"""Columns of :attr:`ProductionData.frame`.

``source`` (``MCS2024``, ``BGS``, ``tidy``), ``file``, ``line`` (1-based),
``commodity`` (USGS code such as ``galli``, BGS commodity, or the tidy basket
name), ``type`` (USGS Type, BGS sub-commodity, tidy stage), ``stage`` (the
tidy file's stage; else empty until mapped to a basket), ``country_name`` (as
written), ``country`` (ISO3 or <NA>), ``kind`` (country/other/world/unmapped),
``year``, ``estimated`` (the USGS ``est`` column), ``quantity`` (kg for
masses) and ``unit`` (``kg`` or the table's own non-mass unit).
"""

MASS_UNITS: dict[str, float] = {"kg": 1.0, "t": 1e3, "tonnes": 1e3, "kt": 1e6, "mt": 1e9, "mmt": 1e9}
"""Mass units of production tables and their factor to kg (USGS ``Mt``/``mmt`` = million metric tons)."""

_OTHER_UNITS = {"kct": ("carat", 1e3), "mct": ("carat", 1e6), "mcm": ("m3", 1e6)}
_MISSING = {"": "no data", "na": "no data", "--": "no data", "—": "no data", "w": "withheld", "xx": "no data"}
_PROD_COL = re.compile(r"^prod_(?:(?P<qual>[a-z]+)_)??(?P<unit>kg|t|kt|mt|mmt|kct|mct|mcm)_(?P<est>est_)?(?P<year>\d{4})$")


@dataclass
class ProductionData:
    """Production rows read from one or more files, and what was not read.

    Attributes
    ----------
    frame : DataFrame
        :data:`PRODUCTION_COLUMNS`.
    rejected : list of dict
        ``{file, line, country_name, commodity, type, year, value, reason}`` per value not read
        (``withheld``, ``no data``, ``not a number``, ``negative``).
    files : list of dict
        ``{file, layout, rows, rejected, skipped_blank}`` per file.
    """

    frame: pd.DataFrame
    rejected: list[dict[str, Any]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.frame)

    def report(self) -> dict[str, Any]:
        """A JSON-ready account: rows read, rejected by reason, unmapped country names (with their rows)."""
        reasons: dict[str, int] = {}
        for r in self.rejected:
            reasons[r["reason"]] = reasons.get(r["reason"], 0) + 1
        f = self.frame
        unm = f[f["kind"] == "unmapped"]
        return {
            "files": self.files,
            "rows": int(len(f)),
            "rejected": int(len(self.rejected)),
            "reasons": dict(sorted(reasons.items())),
            "unmapped_names": sorted({str(n) for n in unm["country_name"]}),
        }

    @staticmethod
    def concat(parts: Iterable["ProductionData"]) -> "ProductionData":
        parts = list(parts)
        frames = [p.frame for p in parts if len(p.frame)]
        frame = pd.concat(frames, ignore_index=True) if frames else _empty()
        return ProductionData(frame=frame, rejected=[r for p in parts for r in p.rejected],
                              files=[x for p in parts for x in p.files])


def _typed(parts) -> ProductionData:
    """One ProductionData from ``(rows, rejected, info)`` triples (the frame is built and typed once)."""
    if isinstance(parts, tuple):
        parts = [parts]
    rows = [r for p in parts for r in p[0]]
    return ProductionData(frame=_frame(rows), rejected=[r for p in parts for r in p[1]], files=[p[2] for p in parts])


def _empty() -> pd.DataFrame:
    return _frame([])


def _frame(rows: list[tuple]) -> pd.DataFrame:
    f = pd.DataFrame(rows, columns=list(PRODUCTION_COLUMNS))
    for c in ("source", "file", "commodity", "type", "stage", "country_name", "country", "kind", "unit"):
        f[c] = f[c].astype("string")
    f["line"] = f["line"].astype("int64")
    f["year"] = f["year"].astype("int64")
    f["estimated"] = f["estimated"].astype("bool")
    f["quantity"] = f["quantity"].astype("float64")
    return f


def _label(path: Any, what: str) -> str:
    return str(path) if isinstance(path, (str, Path)) else (getattr(path, "name", None) or f"<{what}>")


def _text(path: Any, what: str) -> str:
    label = _label(path, what)
    if not isinstance(path, (str, Path)):
        data = path.read()
        return data.decode("utf-8-sig") if isinstance(data, bytes) else data.lstrip("\ufeff")
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise UnreadableFileError(f"{what} file not found; check the path", path=label) from None
    except OSError as exc:
        raise UnreadableFileError(f"cannot read the {what} file: {exc.strerror}", path=label) from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise UnreadableFileError(f"broken gzip file ({exc})", path=label) from None
    if not raw.strip():
        raise UnreadableFileError(f"{what} file is empty", path=label)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _number(text: str) -> tuple[float | None, str | None]:
    """Parse a production cell: ``(value, None)`` or ``(None, reason)``."""
    t = str(text).replace("\u00a0", " ").strip()
    key = t.lower()
    if key in _MISSING:
        return None, _MISSING[key]
    if key.startswith("<") or key.startswith("less than"):
        return None, "below the reporting unit"
    if key.startswith("included with"):
        return None, "included in another row"
    t = t.replace(",", "").replace(" ", "")
    try:
        v = float(t)
    except ValueError:
        return None, "not a number"
    if v != v or v in (float("inf"), float("-inf")):
        return None, "not a number"
    if v < 0:
        return None, "negative"
    return v, None


def _usgs_commodity(label: str) -> str:
    m = re.search(r"mcs\d{4}-([a-z]+)_world", Path(label).name.lower())
    return m.group(1) if m else Path(label).stem.lower()


def read_usgs_mcs(path: Any) -> ProductionData:
    """Read one USGS Mineral Commodity Summaries world-production CSV (layout in the module docstring).

    Raises
    ------
    UnreadableFileError
        Missing, empty or unreadable file.
    FormatDetectionError
        The header is not ``Source, Country, Type, ...``.
    """
    return _typed(_usgs_rows(path))


def _usgs_rows(path: Any) -> tuple[list[tuple], list[dict[str, Any]], dict[str, Any]]:
    label = _label(path, "USGS MCS")
    text = _text(path, "USGS MCS")
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise UnreadableFileError("USGS MCS file is empty", path=label)
    header = [h.strip() for h in rows[0]]
    if len(header) < 3 or header[0].lower() != "source" or header[1].lower() != "country":
        raise FormatDetectionError(f"not a USGS MCS world table: header starts {header[:3]}; expected Source, Country, "
                                   "Type, Prod_<unit>_<year>...", path=label, line=1)
    prod = []
    for j, h in enumerate(header):
        m = _PROD_COL.match(h.lower())
        if m:
            prod.append((j, m.group("unit"), int(m.group("year")), bool(m.group("est"))))
    commodity = _usgs_commodity(label)
    out: list[tuple] = []
    rejected: list[dict[str, Any]] = []
    blank = 0
    for k, rec in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in rec):
            blank += 1
            continue
        source = rec[0].strip() or "MCS"
        name = rec[1].strip() if len(rec) > 1 else ""
        typ = re.sub(r"\s+", " ", rec[2].replace("\u00a0", " ")).strip() if len(rec) > 2 else ""
        iso3, kind = classify_name(name)
        for j, unit, year, est in prod:
            cell = rec[j] if j < len(rec) else ""
            marked = bool(re.fullmatch(r"\s*e\s*[\d,.]+\s*", cell))  # "e5,000": an estimate marked in the cell
            v, why = _number(cell.strip()[1:] if marked else cell)
            if why is not None:
                rejected.append({"file": label, "line": k, "country_name": name, "commodity": commodity, "type": typ,
                                 "year": year, "value": cell.strip(), "reason": why})
                continue
            if unit in MASS_UNITS:
                qty, u = v * MASS_UNITS[unit], "kg"
            else:
                u, factor = _OTHER_UNITS[unit]
                qty = v * factor
            out.append((source, label, k, commodity, typ, "", name, iso3, kind, year, est or marked, qty, u))
    info = {"file": label, "layout": "usgs-mcs", "commodity": commodity, "rows": len(out), "rejected": len(rejected),
            "skipped_blank": blank}
    if not prod:
        info["note"] = "no production columns (capacity or reserves only)"
    return out, rejected, info


def read_bgs_wms(path: Any) -> ProductionData:
    """Read the BGS World Mineral Statistics extract (``Country;commodity_code;commodity_desc;Sub-commodity;year;value``).

    Values are tonnes (converted to kg); natural gas (code 107, million m3) keeps ``m3`` x 1e6.
    """
    return _typed(_bgs_rows(path))


def _bgs_rows(path: Any) -> tuple[list[tuple], list[dict[str, Any]], dict[str, Any]]:
    label = _label(path, "BGS WMS")
    text = _text(path, "BGS WMS")
    reader = csv.reader(io.StringIO(text), delimiter=";")
    header = [h.strip().lower() for h in next(reader, [])]
    want = ["country", "commodity_code", "commodity_desc", "sub-commodity", "year", "value"]
    if header[:6] != want:
        raise FormatDetectionError(f"not a BGS World Mineral Statistics extract: header {header[:6]}; expected "
                                   + ";".join(want), path=label, line=1)
    out: list[tuple] = []
    rejected: list[dict[str, Any]] = []
    blank = 0
    for k, rec in enumerate(reader, start=2):
        if not any(c.strip() for c in rec):
            blank += 1
            continue
        if len(rec) < 6:
            rejected.append({"file": label, "line": k, "country_name": rec[0] if rec else "", "commodity": "",
                             "type": "", "year": None, "value": "", "reason": "missing field"})
            continue
        name, code, desc, sub, year_txt, cell = (c.strip() for c in rec[:6])
        try:
            year = int(float(year_txt))
        except ValueError:
            rejected.append({"file": label, "line": k, "country_name": name, "commodity": desc, "type": sub,
                             "year": None, "value": year_txt, "reason": "bad year"})
            continue
        v, why = _number(cell)
        if why is not None:
            rejected.append({"file": label, "line": k, "country_name": name, "commodity": desc, "type": sub,
                             "year": year, "value": cell, "reason": why})
            continue
        iso3, kind = classify_name(name)
        qty, unit = (v * 1e6, "m3") if code == "107" else (v * 1e3, "kg")
        out.append(("BGS", label, k, desc.lower(), sub.lower(), "", name, iso3, kind, year, False, qty, unit))
    return out, rejected, {"file": label, "layout": "bgs-wms", "rows": len(out), "rejected": len(rejected),
                           "skipped_blank": blank}


_TIDY_ALIASES = {"iso3": "country", "material": "commodity", "value": "quantity", "amount": "quantity"}


def read_production_tidy(path: Any) -> ProductionData:
    """Read a tidy production CSV: ``country, commodity, stage, year, quantity[, unit]`` (unit default ``t``).

    Raises
    ------
    InputError
        A missing column, a bad stage, year, quantity or unit; the message names the file and line.
    """
    from scrisk.materials import PRODUCTION_STAGES

    label = _label(path, "production")
    text = _text(path, "production")
    reader = csv.reader(io.StringIO(text))
    header = [_TIDY_ALIASES.get(h.strip().lower(), h.strip().lower()) for h in next(reader, [])]
    need = ("country", "commodity", "stage", "year", "quantity")
    missing = [c for c in need if c not in header]
    if missing:
        raise InputError(f"production file has no {', '.join(missing)} column; columns are country, commodity, "
                         f"stage, year, quantity[, unit]; found {', '.join(header)}", path=label, line=1)
    ix = {c: header.index(c) for c in header}
    out: list[tuple] = []
    blank = 0
    for k, rec in enumerate(reader, start=2):
        if not any(c.strip() for c in rec):
            blank += 1
            continue
        if len(rec) < len(header):
            raise InputError(f"line has {len(rec)} fields, the header {len(header)}", path=label, line=k)
        get = {c: rec[i].strip() for c, i in ix.items()}
        stage = get["stage"].lower()
        if stage == "primary":
            stage = "refinery"
        if stage not in PRODUCTION_STAGES:
            raise InputError(f"stage {get['stage']!r} is not one of {', '.join(PRODUCTION_STAGES)} (or primary)",
                             path=label, line=k)
        try:
            year = int(float(get["year"]))
        except ValueError:
            raise InputError(f"year {get['year']!r} is not a number", path=label, line=k) from None
        v, why = _number(get["quantity"])
        if why is not None:
            raise InputError(f"quantity {get['quantity']!r}: {why}; give a number >= 0", path=label, line=k)
        unit = (get.get("unit") or "t").lower()
        if unit not in MASS_UNITS:
            raise InputError(f"unit {unit!r} is not one of kg, t, kt, Mt", path=label, line=k)
        iso3, kind = _tidy_country(get["country"])
        out.append(("tidy", label, k, get["commodity"].lower().replace("-", "_").replace(" ", "_"), stage, stage,
                    get["country"], iso3, kind, year, False, v * MASS_UNITS[unit], "kg"))
    frame = _frame(out)
    dup = frame.duplicated(["commodity", "stage", "country_name", "year"], keep=False)
    if dup.any():
        r = frame[dup].iloc[1]
        raise InputError(f"{r.country_name} {r.commodity} {r.stage} {r.year} is given twice; keep one row",
                         path=label, line=int(r.line))
    return ProductionData(frame=frame, files=[{"file": label, "layout": "tidy", "rows": len(out), "rejected": 0,
                                               "skipped_blank": blank}])


def _tidy_country(text: str) -> tuple[str | None, str]:
    from scrisk.countries import CountryTable

    code = CountryTable.bundled().resolve(text)
    if code and len(text.strip()) == 3:
        return code, "country"
    return classify_name(text)


def sniff_production(path: Any) -> str:
    """Return the layout of a production file: ``usgs-mcs``, ``bgs-wms`` or ``tidy``.

    Raises
    ------
    FormatDetectionError
        None of the three.
    """
    label = _label(path, "production")
    text = _text(path, "production")
    first = text.splitlines()[0].lower() if text else ""
    if first.startswith("source,country,"):
        return "usgs-mcs"
    if first.startswith("country;commodity_code;"):
        return "bgs-wms"
    cols = {_TIDY_ALIASES.get(c.strip(), c.strip()) for c in first.split(",")}
    if {"country", "commodity", "stage"} <= cols:
        return "tidy"
    raise FormatDetectionError(
        f"not a production file: header {first[:80]!r}; give a USGS MCS world table (Source,Country,Type,Prod_...), "
        "the BGS WMS extract (Country;commodity_code;...) or a tidy CSV (country,commodity,stage,year,quantity,unit)",
        path=label, line=1)


def _tidy_rows(path: Any):
    d = read_production_tidy(path)
    return list(d.frame.itertuples(index=False, name=None)), d.rejected, d.files[0]


_READERS = {"usgs-mcs": _usgs_rows, "bgs-wms": _bgs_rows, "tidy": _tidy_rows}


def read_production(paths: Any) -> ProductionData:
    """Read production files of any of the three layouts; a folder is read file by file (``*.csv``, ``*.csv.gz``).

    Examples
    --------
    >>> import io
    >>> d = read_production([io.StringIO("country,commodity,stage,year,quantity\\nCHN,gallium,primary,2023,600\\n")])
    >>> d.frame[["country", "stage", "quantity"]].values.tolist()
    [['CHN', 'refinery', 600000.0]]
    """
    items = [paths] if isinstance(paths, (str, Path)) or hasattr(paths, "read") else list(paths)
    files: list[Any] = []
    for p in items:
        if isinstance(p, (str, Path)) and Path(p).is_dir():
            found = sorted(x for x in Path(p).rglob("*") if x.is_file() and re.search(r"\.csv(\.gz)?$", x.name, re.I))
            if not found:
                raise UnreadableFileError("folder holds no .csv or .csv.gz production files", path=str(p))
            files.extend(found)
        else:
            files.append(p)
    parts = []
    for f in files:
        if hasattr(f, "read"):
            text = _text(f, "production")
            layout = sniff_production(io.StringIO(text))
            buf = io.StringIO(text)
            buf.name = getattr(f, "name", "<production>")  # type: ignore[attr-defined]
            parts.append(_READERS[layout](buf))
        else:
            parts.append(_READERS[sniff_production(f)](f))
    return _typed(parts)
