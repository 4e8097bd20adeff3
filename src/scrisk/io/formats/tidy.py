"""Tidy CSV and Parquet files with any headers, through a column mapping.

The mapping names, for each canonical field, the file column holding it::

    --columns exporter=i,importer=j,hs=cmd,value=value[,year=t,qty=q]

or comes from a named profile (:mod:`scrisk.io.profiles`). Without a
mapping, obvious headers are recognised (case-insensitive):

=========  ==============================================================
field      headers recognised
=========  ==============================================================
exporter   exporter, exporter_iso3, exporter_iso, exporter_code, origin, i
importer   importer, importer_iso3, importer_iso, importer_code,
           destination, dest, j
hs         hs, hs6, hs_code, hscode, hs8, hs10, cmd, cmdcode, k, product
value      value_usd, value, v, trade_value, trade_value_usd,
           primaryvalue, value_kusd (implies ``--value-unit kusd``)
qty        qty_kg, netwgt, net_weight_kg, qty, q, quantity, qty_t
           (implies ``qty_unit t``)
year       year, t, refyear
=========  ==============================================================

Headers match in any case and spacing, and as spelt with a unit in
brackets (``HS Code``, ``Value (USD)``, ``Trade Value (US$)``, ``Value
(kUSD)``, ``Net weight (kg)``); ``Value (1000 USD)`` is not guessed.

``reporter``/``partner`` columns are deliberately not guessed: without a
flow column their orientation is unknown. Map them explicitly (exporter =
reporter for an export file).

* Values are USD unless ``--value-unit kusd`` (x 1000); quantities kg
  unless ``qty_unit = "t"`` (x 1000).
* Without a year column, ``--year YEAR`` (one year) or a profile's
  ``year = 2024`` is the year of every row.
* Country codes may be ISO3 (any case), BACI pseudo-codes (``S19`` ->
  ``TWN``) or numeric codes (looked up like BACI/Comtrade codes).
* HS codes: a 5-digit code is a 6-digit code that lost its leading zero
  (numeric column) and is padded; 6 digits are HS6; 8-10 digits are
  national tariff lines kept as-is; 2/4 digits are aggregates; anything
  else (including 7 digits, ambiguous) is malformed.
* Encodings utf-8, utf-8-sig, cp949 and Shift_JIS are detected; customs
  files with Korean or Japanese headers need a mapping or profile.
* Parquet "line" numbers are 1-based record numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from scrisk.errors import ColumnMappingError, FormatDetectionError, UnreadableFileError, UsageError
from scrisk.io._scan import Scan, scan_csv
from scrisk.io._stage import (
    Candidate,
    CountryMapper,
    FileResult,
    judge,
    make_keep,
    normalise_hs,
    parse_month,
    parse_number,
    parse_period,
    parse_revision,
    sample_text,
)
from scrisk.io import reasons as R
from scrisk.io.periods import file_year, period_column, year_source
from scrisk.io.profiles import COLUMN_KEYS
from scrisk.io._format import Format
from scrisk.io.sniff import TextSource, normalise_name, unrecognised_header_message

__all__ = ["FORMAT", "TidySpec", "resolve_tidy", "has_tidy_mapping", "judge_tidy", "tidy_mapper", "read_tidy_text",
           "VALUE_UNITS", "QTY_UNITS"]

VALUE_UNITS = {"usd": 1.0, "kusd": 1000.0}
QTY_UNITS = {"kg": 1.0, "t": 1000.0}

_AUTO: dict[str, tuple[str, ...]] = {
    "exporter": ("exporter", "exporter_iso3", "exporter_iso", "exporter_code", "exp_iso3", "origin", "origin_iso3", "i"),
    "importer": (
        "importer",
        "importer_iso3",
        "importer_iso",
        "importer_code",
        "imp_iso3",
        "destination",
        "destination_iso3",
        "dest",
        "j",
    ),
    "hs": ("hs", "hs6", "hs_code", "hscode", "hs8", "hs10", "cmd", "cmdcode", "k", "product", "commodity_code"),
    "value": ("value_usd", "value", "v", "val", "trade_value", "trade_value_usd", "primaryvalue", "value_kusd"),
    "qty": ("qty_kg", "netwgt", "net_weight_kg", "qty", "q", "quantity", "qty_t"),
    "year": ("year", "t", "refyear", "period", "refperiod", "period_dt", "date"),
    "month": ("month", "refmonth"),
    "revision": ("hs_revision", "hs revision", "classificationcode"),
}
_REQUIRED = ("exporter", "importer", "hs", "value")
_PARTNER = ("partner", "partner_iso3", "partner_code", "partner_name", "partner country", "partner_country",
            "country", "country_name", "country_iso3", "상대국", "국가", "국가명", "相手国", "国名")
"""Headers of the other side in a one-sided file (``--exporter`` / ``--importer`` gives the side it holds)."""


@dataclass
class TidySpec:
    """A resolved mapping: canonical field -> file column, units, fixed year."""

    columns: dict[str, str]
    value_factor: float
    qty_factor: float
    fixed_year: int | None
    notes: list[str] = field(default_factory=list)
    constants: dict[str, str] = field(default_factory=dict)


def _find(header: tuple[str, ...], name: str) -> str | None:
    if name in header:
        return name
    norm = normalise_name(name)
    for h in header:
        if normalise_name(h) == norm:
            return h
    return None


def header_key(name: str) -> str:
    """A header as the recognised names spell it: lower case, a unit in brackets joined, other marks as ``_``.

    Examples
    --------
    >>> [header_key(h) for h in ["HS Code", "Value (USD)", "Trade Value (US$)", "Value (kUSD)", "Net weight (kg)"]]
    ['hs_code', 'value_usd', 'trade_value_usd', 'value_kusd', 'net_weight_kg']
    >>> header_key("Value (1000 USD)")  # no recognised name: the unit must be given
    'value_1000_usd'
    """
    key = normalise_name(name).replace("us$", "usd").replace("$", "usd")
    return re.sub(r"[^0-9a-z\u0080-\uffff]+", "_", key).strip("_")


def _auto(header: tuple[str, ...]) -> dict[str, str]:
    norm: dict[str, str] = {}
    for h in header:
        norm.setdefault(normalise_name(h), h)
    for h in header:  # then as the recognised names spell them: "HS Code" is hs_code, "Value (USD)" value_usd
        norm.setdefault(header_key(h), h)
    out = {}
    for key, aliases in _AUTO.items():
        for a in aliases:
            if a in norm and norm[a] not in out.values():
                out[key] = norm[a]
                break
    return out


def has_tidy_mapping(header, options) -> bool:
    """True when ``options`` carry a mapping/profile or the header has the obvious tidy columns."""
    if options is not None and (getattr(options, "columns", None) or getattr(options, "profile", None)):
        return True
    found = _auto(tuple(header))
    if not ("hs" in found and "value" in found):
        return False
    # both sides, or one side / a partner column (a one-sided file: --exporter/--importer completes it)
    return "exporter" in found or "importer" in found or _partner_column(tuple(header), found) is not None


def resolve_tidy(header: tuple[str, ...], options, label: str) -> TidySpec:
    """Resolve the column mapping and units of a tidy file (see the module docstring)."""
    explicit = dict(options.columns or {})
    unknown = sorted(set(explicit) - set(COLUMN_KEYS))
    if unknown:
        raise UsageError(
            f"--columns names {unknown} are not canonical fields; use {', '.join(COLUMN_KEYS)} "
            "(e.g. --columns exporter=i,importer=j,hs=cmd,value=value)"
        )
    shown = ", ".join(repr(h) for h in header[:20])
    cols: dict[str, str] = {}
    for key, name in explicit.items():
        found = _find(header, name)
        if found is None:
            raise ColumnMappingError(
                f"--columns {key}={name}: no column {name!r}; the file has {shown}", path=label, line=1
            )
        cols[key] = found
    auto = _auto(header)
    notes = []
    for key in _AUTO:
        if key not in cols and key in auto and auto[key] not in cols.values():
            cols[key] = auto[key]
    constants = _one_side(header, cols, options, label, notes)
    missing = [k for k in _REQUIRED if k not in cols and k not in constants]
    if missing:
        if not explicit and not constants:
            raise FormatDetectionError(unrecognised_header_message(header), path=label, line=1)
        raise ColumnMappingError(
            f"no column for {', '.join(missing)}; map it with --columns {missing[0]}=COLUMN (the file has {shown})",
            path=label,
            line=1,
        )
    value_unit = options.value_unit
    if value_unit is None:
        value_unit = "kusd" if header_key(cols["value"]) == "value_kusd" else "usd"
        if normalise_name(cols["value"]) in ("v", "value"):
            notes.append(f"{label}: value column {cols['value']!r} taken as USD (pass --value-unit kusd if in thousands)")
    if value_unit not in VALUE_UNITS:
        raise UsageError(f"--value-unit {value_unit!r}; use usd or kusd")
    qty_unit = options.qty_unit
    if qty_unit is None:
        qty_unit = "t" if "qty" in cols and header_key(cols["qty"]) == "qty_t" else "kg"
    if qty_unit not in QTY_UNITS:
        raise UsageError(f"quantity unit {qty_unit!r}; use kg or t")
    fixed = None
    if options.period_column:
        cols["year"] = period_column(header, options.period_column, label)
    if "year" not in cols:
        fixed = file_year(label, options)
        notes.append(f"{label}: no period column; every row is {fixed} (from {year_source(label, options)})")
    return TidySpec(
        columns=cols,
        value_factor=VALUE_UNITS[value_unit],
        qty_factor=QTY_UNITS[qty_unit],
        fixed_year=fixed,
        notes=notes,
        constants=constants,
    )


def _one_side(header, cols: dict[str, str], options, label: str, notes: list[str]) -> dict[str, str]:
    """For a one-sided file, ``{side: ISO3}`` from ``--exporter``/``--importer``; the partner column fills the other side."""
    given = {k: getattr(options, k, None) for k in ("exporter", "importer")}
    given = {k: str(v).strip().upper() for k, v in given.items() if v}
    missing = [k for k in ("exporter", "importer") if k not in cols]
    if not missing:
        return {}
    if len(missing) == 2:
        side = next((k for k in ("exporter", "importer") if k in given), None)
        partner = _partner_column(header, cols)
        if partner is None:
            return {}
        if side is None:
            raise UsageError(
                f"{label} holds one side of trade: a partner column {partner!r} but no exporter or importer column; "
                "pass --exporter ISO3 if it is one country's exports by partner (e.g. --exporter CHN), or --importer "
                "ISO3 if it is one country's imports by origin"
            )
        other = "importer" if side == "exporter" else "exporter"
        cols[other] = partner
        missing = [side]
    side = missing[0]
    if side not in given:
        flag = f"--{side}"
        raise UsageError(
            f"{label} has no {side} column: if it holds one country's "
            f"{'exports' if side == 'exporter' else 'imports'}, pass {flag} ISO3 (e.g. {flag} "
            f"{'CHN' if side == 'exporter' else 'KOR'}); otherwise map it with --columns {side}=COLUMN"
        )
    code = given[side]
    from scrisk.countries import CountryTable

    if CountryTable.bundled().resolve(code) is None:
        raise UsageError(f"--{side} {code!r} is not a country code; give one ISO3 code such as CHN or KOR")
    notes.append(f"{label}: one-sided file, every row's {side} is {code} (--{side} {code})")
    return {side: CountryTable.bundled().resolve(code)}


def _partner_column(header, cols: dict[str, str]) -> str | None:
    norm = {normalise_name(h): h for h in header}
    for a in _PARTNER:
        if a in norm and norm[a] not in cols.values():
            return norm[a]
    return None


def judge_tidy(scan: Scan, spec: TidySpec, mapper: CountryMapper, *, label: str, fmt: str, encoding, options) -> FileResult:
    tab = scan.table
    n = tab.num_rows
    c = spec.columns
    month = None
    if spec.fixed_year is None:
        years, month, year_bad = parse_period(tab[c["year"]])
    else:
        years, year_bad = np.full(n, spec.fixed_year, dtype=np.int64), np.zeros(n, dtype=bool)
    extra = []
    if "month" in c:
        mcol, mbad = parse_month(tab[c["month"]])
        month = np.where(month > 0, month, mcol) if month is not None else mcol
        extra.append((mbad, R.BAD_YEAR, lambda p: [f"month {t!r} is not 1-12" for t in _take(tab[c["month"]], p)]))
    revision = options.hs_revision
    if "revision" in c:
        revision, rbad = parse_revision(tab[c["revision"]], options.hs_revision)
        extra.append((rbad, R.BAD_REVISION, lambda p: [f"HS revision {t!r} is not one of HS1992..HS2022 (or H0..H6)"
                                                        for t in _take(tab[c["revision"]], p)]))
    hs = normalise_hs(tab[c["hs"]], aggregates=True, allow_tariff_lines=True)
    value, vmiss, vinv = parse_number(tab[c["value"]], decimal=options.decimal)
    if "qty" in c:
        qty, _qm, qinv = parse_number(tab[c["qty"]], decimal=options.decimal)
    else:
        qty, qinv = np.full(n, np.nan), np.zeros(n, dtype=bool)
    side = {k: (tab[c[k]] if k in c else pa.array([spec.constants[k]] * n, type=pa.string()))
            for k in ("exporter", "importer")}
    exporter = mapper.map(side["exporter"])
    importer = mapper.map(side["importer"])
    required = {c[k]: tab[c[k]] for k in ("year", "exporter", "importer", "hs") if k in c}
    with np.errstate(over="ignore"):  # a value that overflows in USD is rejected as too large
        value, qty = value * spec.value_factor, qty * spec.qty_factor
    cand = Candidate(
        scan=scan,
        year=years,
        year_bad=year_bad,
        hs=hs,
        value=value,
        value_missing=vmiss,
        value_invalid=vinv,
        qty=qty,
        qty_invalid=qinv,
        exporter=exporter,
        importer=importer,
        required=required,
        raw_year=tab[c["year"]] if "year" in c else None,
        raw_hs=tab[c["hs"]],
        raw_value=tab[c["value"]],
        raw_qty=tab[c["qty"]] if "qty" in c else None,
        revision=revision,
        month=month if month is not None and month.any() else None,
        extra_checks=extra,
        world_totals=True,
    )
    res = judge(cand, label=label, source_format=fmt, encoding=encoding)
    res.hs_revision = _file_revision(revision)
    res.notes.extend(spec.notes)
    if spec.fixed_year is not None:
        res.year_source = year_source(label, options)
    return res


def _file_revision(revision) -> str | None:
    if revision is None or isinstance(revision, str):
        return revision
    found = sorted({r for r in revision.to_pylist() if r})
    return None if not found else found[0] if len(found) == 1 else "mixed"


def _take(col, p):
    return sample_text(col.take(pa.array(p)).to_pylist())


def tidy_mapper(options) -> CountryMapper:
    """Country mapper for tidy files: ``--country-codes`` table first when given, then the bundled table."""
    from scrisk.countries import CountryTable

    bundled = CountryTable.bundled()
    if options.country_codes:
        p = Path(options.country_codes)
        if not p.is_file():
            raise UnreadableFileError("country codes file not found; check --country-codes", path=str(p))
        return CountryMapper(CountryTable.from_baci_file(p), bundled, names=True)
    return CountryMapper(bundled, names=True)


def read_tidy_text(src: TextSource, options, *, input_path: str) -> FileResult:
    """Read a tidy CSV stream through its column mapping."""
    spec = resolve_tidy(src.header, options, src.label)
    keep = make_keep(spec.columns.get("year"), spec.columns["hs"], options.years, options.hs, spec.fixed_year)
    scan = scan_csv(src, keep)
    res = judge_tidy(scan, spec, tidy_mapper(options), label=src.label, fmt="tidy", encoding=src.encoding, options=options)
    res.input_path = input_path
    return res


def read_file(path, src: TextSource, options) -> list[FileResult]:
    """Read one tidy CSV (plain or gzip) through its column mapping."""
    return [read_tidy_text(src, options, input_path=str(path))]


FORMAT = Format("tidy", "text", read_file, has_tidy_mapping,
                "any CSV through a column mapping (--columns/--profile or obvious headers); one-sided files with "
                "--exporter/--importer; partner names in English, Korean, Japanese")
