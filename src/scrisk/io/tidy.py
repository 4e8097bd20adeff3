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

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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
from scrisk.io.profiles import COLUMN_KEYS
from scrisk.io.sniff import TextSource, exc_text, normalise_name, unrecognised_header_message

__all__ = ["TidySpec", "resolve_tidy", "has_tidy_mapping", "read_tidy_text", "read_parquet", "VALUE_UNITS", "QTY_UNITS"]

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
    "value": ("value_usd", "value", "v", "trade_value", "trade_value_usd", "primaryvalue", "value_kusd"),
    "qty": ("qty_kg", "netwgt", "net_weight_kg", "qty", "q", "quantity", "qty_t"),
    "year": ("year", "t", "refyear", "period", "refperiod", "date"),
    "month": ("month", "refmonth"),
    "revision": ("hs_revision", "hs revision", "classificationcode"),
}
_REQUIRED = ("exporter", "importer", "hs", "value")


@dataclass
class TidySpec:
    """A resolved mapping: canonical field -> file column, units, fixed year."""

    columns: dict[str, str]
    value_factor: float
    qty_factor: float
    fixed_year: int | None
    notes: list[str] = field(default_factory=list)


def _find(header: tuple[str, ...], name: str) -> str | None:
    if name in header:
        return name
    norm = normalise_name(name)
    for h in header:
        if normalise_name(h) == norm:
            return h
    return None


def _auto(header: tuple[str, ...]) -> dict[str, str]:
    norm: dict[str, str] = {}
    for h in header:
        norm.setdefault(normalise_name(h), h)
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
    return all(k in found for k in _REQUIRED)


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
    missing = [k for k in _REQUIRED if k not in cols]
    if missing:
        if not explicit:
            raise FormatDetectionError(unrecognised_header_message(header), path=label, line=1)
        raise ColumnMappingError(
            f"no column for {', '.join(missing)}; map it with --columns {missing[0]}=COLUMN (the file has {shown})",
            path=label,
            line=1,
        )
    value_unit = options.value_unit
    if value_unit is None:
        value_unit = "kusd" if normalise_name(cols["value"]) == "value_kusd" else "usd"
        if normalise_name(cols["value"]) in ("v", "value"):
            notes.append(f"{label}: value column {cols['value']!r} taken as USD (pass --value-unit kusd if in thousands)")
    if value_unit not in VALUE_UNITS:
        raise UsageError(f"--value-unit {value_unit!r}; use usd or kusd")
    qty_unit = options.qty_unit
    if qty_unit is None:
        qty_unit = "t" if "qty" in cols and normalise_name(cols["qty"]) == "qty_t" else "kg"
    if qty_unit not in QTY_UNITS:
        raise UsageError(f"quantity unit {qty_unit!r}; use kg or t")
    fixed = None
    if "year" not in cols:
        if len(set(options.years)) != 1:
            raise UsageError(
                f"{label} has no year column; pass --year YEAR (one year) or map one with --columns year=COLUMN"
            )
        fixed = int(options.years[0])
    return TidySpec(
        columns=cols,
        value_factor=VALUE_UNITS[value_unit],
        qty_factor=QTY_UNITS[qty_unit],
        fixed_year=fixed,
        notes=notes,
    )


def _judge_tidy(scan: Scan, spec: TidySpec, mapper: CountryMapper, *, label: str, fmt: str, encoding, options) -> FileResult:
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
    value, vmiss, vinv = parse_number(tab[c["value"]])
    if "qty" in c:
        qty, _qm, qinv = parse_number(tab[c["qty"]])
    else:
        qty, qinv = np.full(n, np.nan), np.zeros(n, dtype=bool)
    exporter = mapper.map(tab[c["exporter"]])
    importer = mapper.map(tab[c["importer"]])
    required = {c[k]: tab[c[k]] for k in ("year", "exporter", "importer", "hs") if k in c}
    cand = Candidate(
        scan=scan,
        year=years,
        year_bad=year_bad,
        hs=hs,
        value=value * spec.value_factor,
        value_missing=vmiss,
        value_invalid=vinv,
        qty=qty * spec.qty_factor,
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
    )
    res = judge(cand, label=label, source_format=fmt, encoding=encoding)
    res.hs_revision = options.hs_revision
    res.notes.extend(spec.notes)
    return res


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
        return CountryMapper(CountryTable.from_baci_file(p), bundled)
    return CountryMapper(bundled)


def read_tidy_text(src: TextSource, options, *, input_path: str) -> FileResult:
    """Read a tidy CSV stream through its column mapping."""
    spec = resolve_tidy(src.header, options, src.label)
    keep = make_keep(spec.columns.get("year"), spec.columns["hs"], options.years, options.hs)
    scan = scan_csv(src, keep)
    res = _judge_tidy(scan, spec, tidy_mapper(options), label=src.label, fmt="tidy", encoding=src.encoding, options=options)
    res.input_path = input_path
    return res


def _as_strings(batch: pa.RecordBatch) -> pa.RecordBatch:
    cols = []
    for col in batch.columns:
        t = col.type
        if pa.types.is_dictionary(t):
            col = col.dictionary_decode()
            t = col.type
        if pa.types.is_string(t):
            out = col
        elif pa.types.is_large_string(t) or pa.types.is_string_view(t):
            out = col.cast(pa.string())
        else:
            try:
                out = pc.cast(col, pa.string())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                out = pa.array([None if v is None else str(v) for v in col.to_pylist()], type=pa.string())
        cols.append(pc.fill_null(out, ""))
    return pa.RecordBatch.from_arrays(cols, names=batch.schema.names)


def read_parquet(path: Path, options) -> FileResult:
    """Read a Parquet file through the tidy column mapping (filters applied batch by batch)."""
    import pyarrow.parquet as pq

    label = str(path)
    try:
        pf = pq.ParquetFile(path)
        names = tuple(pf.schema_arrow.names)
    except (pa.ArrowException, OSError, ValueError, IndexError, TypeError) as exc:
        raise UnreadableFileError(f"not a readable Parquet file ({exc_text(exc)}); write it again", path=label) from None
    header = tuple(names)
    spec = resolve_tidy(header, options, label)
    keep = make_keep(spec.columns.get("year"), spec.columns["hs"], options.years, options.hs)
    schema = pa.schema([(n, pa.string()) for n in header])
    kept, kept_pos, pos = [], [], 0
    try:
        for batch in pf.iter_batches(batch_size=1 << 16):
            sb = _as_strings(batch)
            idx = np.arange(pos, pos + sb.num_rows, dtype=np.int64)
            mask = keep(sb) if keep is not None else None
            if mask is not None:
                sb = sb.filter(pa.array(mask))
                idx = idx[mask]
            kept.append(sb)
            kept_pos.append(idx)
            pos += batch.num_rows
    except (pa.ArrowException, OSError, ValueError, IndexError, TypeError) as exc:
        raise UnreadableFileError(f"cannot read Parquet data ({exc_text(exc)}); write it again", path=label) from None
    table = pa.Table.from_batches(kept, schema=schema) if kept else schema.empty_table()
    lines = (np.concatenate(kept_pos) + 1) if kept_pos else np.zeros(0, dtype=np.int64)
    scan = Scan(label=label, header=header, table=table, lines=lines, invalid=[])
    res = _judge_tidy(scan, spec, tidy_mapper(options), label=label, fmt="parquet", encoding=None, options=options)
    res.input_path = label
    return res
