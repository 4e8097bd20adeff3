"""Load input files into the flow store: the parallel fast path, the input cache, the exact reader.

:func:`load_into_store` is what :func:`scrisk.io.read_flows` runs. It first
looks for the inputs' **exact read** in the input cache (below); then, for
each input, it tries in order:

1. the **input cache** (:mod:`scrisk.engine.cache`): a Parquet file of the
   accepted rows keyed by the file's content and the reader options, so a
   second run on the same files starts from Parquet;
2. the **parallel fast path** (:mod:`scrisk.engine.baci_scan`) for plain
   BACI yearly CSVs, which DuckDB parses on every core straight into Parquet;
   it applies when every row of the file is accepted and no key repeats;
3. otherwise the **exact reader** (:mod:`scrisk.io.reader`), which gives
   every rejected row its reason, detail and physical line.

When any input needs the exact reader, every input is read by it, so the
duplicate-key rule ("the first row read is kept") and the lines it cites
stay exactly as documented. Row accounting is identical on every path.

The exact reader's result is cached too, as one entry for the whole set of
files read together (keyed by each file's content and name, in order, the
reader options and :data:`EXACT_READ_VERSION`): the accepted rows, the
rejected rows (file, line, reason, detail, raw fields), the World totals and
mirror pairs when the inputs have them, and the whole read report and
metadata. A second run on the same files builds the same flow table from
those Parquet files without parsing the text again (nor importing pandas,
unless the inputs hold World totals or mirror pairs, which are pandas frames
of the metadata). Standard input and pipes are never cached.
"""

from __future__ import annotations

import atexit
import dataclasses
import math
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrisk.engine.store import connect, sql_list, sql_str
from scrisk.schema import HS_REVISIONS, MAX_QTY_KG, MAX_VALUE_USD, FlowMeta, FlowTable, ReadReport

__all__ = ["load_into_store", "FastFile", "cache_enabled", "set_cache_enabled", "scratch_dir", "input_cache"]

FAST_PATH_VERSION = 2
"""Bump when the fast path's output for the same input changes: cached entries are not reused."""

EXACT_READ_VERSION = 1
"""Bump when the exact reader's output for the same inputs changes: its cached reads are not reused."""

_cache_enabled = os.environ.get("SCRISK_NO_CACHE", "") in ("", "0")
_scratch: Path | None = None


def set_cache_enabled(enabled: bool) -> None:
    """Turn the input cache on or off for this process (the CLI's ``--no-cache``)."""
    global _cache_enabled
    _cache_enabled = bool(enabled)


def cache_enabled() -> bool:
    """Whether inputs are read from and written to the input cache."""
    return _cache_enabled


def scratch_dir() -> Path:
    """A private directory for this process's Parquet files, removed at exit."""
    global _scratch
    if _scratch is None or not _scratch.exists():
        base = os.environ.get("SCRISK_TEMP_DIR") or None
        _scratch = Path(tempfile.mkdtemp(prefix="scrisk-", dir=base))
        atexit.register(shutil.rmtree, _scratch, True)
    return _scratch


@dataclass
class FastFile:
    """One input read by the fast path (or found in the cache)."""

    label: str
    parquet: Path | None  # None: the rows were counted, not kept (see ``load_into_store(keep_rows=False)``)
    rows: int
    value_usd: float
    years: tuple[int, ...]
    hs_revision: str | None
    release: str | None
    encoding: str
    notes: list[str] = field(default_factory=list)
    duplicate_free: bool = False
    source_format: str = "baci"
    periods: tuple[str, ...] = ()

    def info(self) -> dict[str, Any]:
        """JSON-ready description stored beside the cached Parquet."""
        d = dataclasses.asdict(self)
        d["parquet"] = self.parquet.name
        d["years"] = list(self.years)
        d["periods"] = list(self.periods)
        return d

    @classmethod
    def from_info(cls, info: dict[str, Any], parquet: Path, label: str) -> "FastFile":
        """Rebuild from :meth:`info` (the label is the current path, not the cached one)."""
        d = dict(info)
        d.update(parquet=parquet, label=label, years=tuple(int(y) for y in d.get("years", ())),
                 periods=tuple(str(p) for p in d.get("periods", ())))
        return cls(**{k: d[k] for k in (f.name for f in dataclasses.fields(cls)) if k in d})


def input_cache():
    """The cache this process reads and writes (:class:`~scrisk.engine.cache.InputCache`), or None when it is off."""
    return _cache()


def _cache():
    if not _cache_enabled:
        return None
    from scrisk.engine.cache import InputCache

    cache = InputCache()
    return None if cache.disabled_reason else cache


def _fast_candidate(path: Path, options):
    """``(TextSource, roles)`` when ``path`` is a plain UTF-8 BACI CSV the fast path can scan, else None."""
    from scrisk.io.formats import sniff
    from scrisk.io.formats.baci import _columns
    from scrisk.io.sniff import container_of

    if options.source not in (None, "baci") or container_of(path) != "text" or not path.is_file():
        return None
    fmt, src = sniff(path, options)
    if fmt.name != "baci" or src is None or src.encoding.replace("_", "-").lower() not in ("utf-8", "utf-8-sig"):
        return None
    if len(set(src.header)) != len(src.header):
        return None
    return src, _columns(src)


def _scan_one(con, path: Path, options, cache, *, keep_rows: bool = True) -> FastFile | None:
    """Read one input through the cache or the fast path; None when the exact reader is needed.

    ``keep_rows=False`` with the cache off: a BACI file is checked and counted in one pass and its rows are not
    written anywhere (``FastFile.parquet`` is None).
    """
    from scrisk.engine.baci_scan import scan_baci
    from scrisk.io.formats.baci import baci_countries
    from scrisk.io.formats.baci import baci_name_info

    from scrisk.io.reader import is_spooled

    if is_spooled(path):
        cache = None  # standard input and pipes are never cached
    key = None
    if cache is not None:
        from scrisk.engine.cache import read_fingerprint

        # the file name carries BACI's HS revision and release: it is part of the key
        key = cache.key(path, f"fast{FAST_PATH_VERSION}:{path.name}:{read_fingerprint(path, options)}")
        entry = cache.get(key)
        if entry is not None:
            return FastFile.from_info(entry.info, Path(entry.path_accepted), str(path))
    cand = _fast_candidate(path, options)
    if cand is None:
        return _parquet_one(con, path, options, cache)
    src, roles = cand
    info = baci_name_info(path.name)
    mapper, note = baci_countries(path, options, release=info.release)
    out = None
    if keep_rows or cache is not None:
        work = Path(cache.tmp_dir()) if cache is not None else scratch_dir()
        out = Path(tempfile.mkstemp(prefix="flows-", suffix=".parquet", dir=work)[1])
    outcome = scan_baci(
        con,
        path,
        header=src.header,
        roles=roles,
        delimiter=src.delimiter,
        compression="none",
        mapper=mapper,
        out=out,
        years=options.years,
        hs=options.hs,
        hs_revision=info.hs_revision or options.hs_revision,
    )
    if not outcome.clean:
        if out is not None:
            out.unlink(missing_ok=True)
        return None
    value, years, dups = outcome.value_usd, outcome.years, outcome.repeated_keys
    ff = FastFile(
        label=str(path),
        parquet=out,
        rows=outcome.rows,
        value_usd=float(value),
        years=tuple(int(y) for y in years or ()),
        hs_revision=info.hs_revision or options.hs_revision,
        release=info.release,
        encoding=src.encoding,
        notes=[f"BACI country codes from {note}"]
        + ([f"{path}: read as baci from its header; --columns applies to tidy files (add --source tidy)"]
           if options.columns and not options.source else [])
        + ([f"{path}: BACI layout with extra column(s) {', '.join(extras)} (ignored); v read as thousand USD"]
           if (extras := [h for h in src.header if h.strip().lower() not in set("tijkvq")]) else []),
        duplicate_free=not dups,
    )
    if cache is not None:
        entry = cache.put(key, out, ff.info())
        if entry is not None:  # None: the cache could not keep it; the file stays where it was written
            ff.parquet = Path(entry.path_accepted)
    return ff


_CANONICAL_PARQUET = {"year": ("BIGINT", "INTEGER", "SMALLINT"), "exporter": ("VARCHAR",), "importer": ("VARCHAR",),
                      "hs": ("VARCHAR",), "value_usd": ("DOUBLE",), "qty_kg": ("DOUBLE",)}
_PERIOD_PARQUET = {"month": ("TINYINT", "SMALLINT", "INTEGER", "BIGINT"), "hs_revision": ("VARCHAR",)}
"""Columns canonical Parquet gained with monthly periods and per-row HS revisions (older files lack both)."""


def _parquet_one(con, path: Path, options, cache) -> FastFile | None:
    """Use a Parquet file of canonical flows in place when every row passes the checks; None otherwise."""
    from scrisk.countries import CountryTable
    from scrisk.engine.baci_scan import hs_filter_sql, repeated_keys
    from scrisk.io.sniff import container_of

    if options.source not in (None, "parquet") or options.columns or container_of(path) != "parquet":
        return None
    src = f"read_parquet({sql_str(str(path))}, hive_partitioning = false)"
    try:
        schema = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()}
    except Exception:  # noqa: BLE001 - an unreadable file is the exact reader's to report
        return None
    has_period = set(_PERIOD_PARQUET) <= set(schema)
    wanted = {**_CANONICAL_PARQUET, **(_PERIOD_PARQUET if has_period else {})}
    if set(schema) != set(wanted) or any(schema[c] not in t for c, t in wanted.items()):
        return None
    key = None
    if cache is not None:
        from scrisk.engine.cache import read_fingerprint

        key = cache.key(path, f"parquet{FAST_PATH_VERSION}:{read_fingerprint(path, options)}")
        entry = cache.get(key)
        if entry is not None:
            info = dict(entry.info)
            target = Path(info.pop("source")) if info.get("in_place") else Path(entry.path_accepted)
            return FastFile.from_info(info, target, str(path))
    table = CountryTable.bundled()
    codes = sorted(table.iso3_codes("country") | table.iso3_codes("area"))
    con.execute("CREATE OR REPLACE TEMP TABLE _iso (code VARCHAR)")
    con.executemany("INSERT INTO _iso VALUES (?)", [(c,) for c in codes])
    filters = []
    if options.years:
        filters.append(f"year IN ({', '.join(str(int(y)) for y in options.years)})")
    if options.hs:
        filters.append(hs_filter_sql("hs", options.hs))
    where = ("WHERE " + " AND ".join(filters)) if filters else ""
    revs = ", ".join(sql_str(r) for r in HS_REVISIONS)
    period_ok = f"(month IS NULL OR month BETWEEN 1 AND 12) AND (hs_revision IS NULL OR hs_revision IN ({revs})) AND" \
        if has_period else ""
    bad, rows, value, years = con.execute(f"""
        SELECT count(*) FILTER (WHERE NOT coalesce({period_ok}
                   year BETWEEN 1900 AND 2100 AND regexp_full_match(hs, '[0-9]{{6}}|[0-9]{{8,10}}')
                   AND value_usd >= 0 AND value_usd <= {MAX_VALUE_USD!r} AND (qty_kg IS NULL OR isnan(qty_kg)
                   OR (qty_kg >= 0 AND qty_kg <= {MAX_QTY_KG!r})) AND exporter <> importer
                   AND exporter IN (SELECT code FROM _iso) AND importer IN (SELECT code FROM _iso), false)),
               count(*), coalesce(fsum(value_usd), 0), list(DISTINCT year ORDER BY year)
        FROM {src} {where}""").fetchone()
    if bad:
        return None
    # older canonical Parquet (no month/hs_revision) is copied with the two columns null, so every file of the
    # store has one schema; --hs-revision fills an unknown revision
    target, in_place = path, not filters and has_period and not options.hs_revision
    if not in_place:
        work = Path(cache.tmp_dir()) if cache is not None else scratch_dir()
        target = Path(tempfile.mkstemp(prefix="flows-", suffix=".parquet", dir=work)[1])
        fill = sql_str(options.hs_revision) if options.hs_revision else "NULL"
        month = "CAST(month AS TINYINT)" if has_period else "CAST(NULL AS TINYINT)"
        rev = f"coalesce(hs_revision, {fill})" if has_period else f"CAST({fill} AS VARCHAR)"
        con.execute(f"COPY (SELECT year, exporter, importer, hs, value_usd, qty_kg, {month} AS month, "
                    f"{rev} AS hs_revision FROM {src} {where}) "
                    f"TO {sql_str(str(target))} (FORMAT parquet, COMPRESSION zstd)")
    dups = repeated_keys(con, f"read_parquet({sql_str(str(target))}, hive_partitioning = false)")
    from scrisk.engine.convert import file_dataset_meta

    periods, revisions = _periods_revisions(con, target)
    recorded = file_dataset_meta(path) or {}  # a dataset scrisk convert wrote records its HS revision and release
    ff = FastFile(label=str(path), parquet=target, rows=int(rows), value_usd=float(value),
                  years=tuple(int(y) for y in years or ()),
                  hs_revision=_one_revision(revisions) or recorded.get("hs_revision"), release=recorded.get("release"),
                  encoding="", notes=[], duplicate_free=not dups, source_format="parquet", periods=periods)
    if cache is not None and key is not None:
        if in_place:
            # the rows stay where they are: the entry only records that they passed
            import pyarrow as pa

            cache.put(key, pa.table({"in_place": [True]}), {**ff.info(), "in_place": True, "source": str(path)})
        else:
            entry = cache.put(key, target, ff.info())
            if entry is not None:
                ff.parquet = Path(entry.path_accepted)
    return ff


def _periods_revisions(con, parquet: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Distinct period labels and HS revisions of a canonical Parquet file."""
    periods, revs = con.execute(
        "SELECT list(DISTINCT CASE WHEN month IS NULL THEN CAST(year AS VARCHAR) "
        "ELSE printf('%04d-%02d', year, month) END), list(DISTINCT hs_revision) FILTER (WHERE hs_revision IS NOT NULL) "
        f"FROM read_parquet({sql_str(str(parquet))}, hive_partitioning = false)"
    ).fetchone()
    return tuple(sorted(periods or ())), tuple(sorted(revs or ()))


def _one_revision(revisions) -> str | None:
    revs = list(revisions)
    return None if not revs else revs[0] if len(revs) == 1 else "mixed"


def _disjoint_and_unique(files: list[FastFile]) -> bool:
    """True when no key repeats within a file and no two files share a year (no key can repeat at all)."""
    if all(f.duplicate_free for f in files):
        years = [set(f.years) for f in files]
        return all(not (a & b) for k, a in enumerate(years) for b in years[k + 1:])
    return False


def _keys_unique(con, files: list[FastFile]) -> bool:
    """True when no (year, exporter, importer, hs) repeats within or across the files."""
    if _disjoint_and_unique(files):
        return True
    paths = sql_list(str(f.parquet) for f in files)
    n = con.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM read_parquet({paths}, hive_partitioning = false) "
        "GROUP BY year, month, exporter, importer, hs "
        "HAVING count(*) > 1)"
    ).fetchone()[0]
    return n == 0


def _fast_table(files: list[FastFile], inputs: list[str]) -> FlowTable:
    from scrisk.io.reader import _empty_rejected, _one

    per_file = [
        {
            "file": f.label,
            "input": f.label,
            "source_format": f.source_format,
            "encoding": f.encoding or None,
            "hs_revision": f.hs_revision,
            "release": f.release,
            "rows_read": f.rows,
            "rows_accepted": f.rows,
            "rows_rejected": 0,
            "reasons": {},
            "value_usd_accepted": f.value_usd,
        }
        for f in files
    ]
    total = sum(f.rows for f in files)
    report = ReadReport(
        rows_read=total,
        rows_accepted=total,
        rows_rejected=0,
        value_usd_accepted=math.fsum(f.value_usd for f in files),
        rejected=_empty_rejected(),
        files=per_file,
    )
    report.check()
    meta = FlowMeta(
        source_format=_one([f.source_format for f in files]) or "unknown",
        hs_revision=_one([f.hs_revision for f in files]),
        inputs=tuple(inputs),
        years=tuple(sorted({y for f in files for y in f.years})),
        periods=tuple(sorted({p for f in files for p in (f.periods or tuple(str(y) for y in f.years))})),
        release=_one([f.release for f in files]),
        notes=tuple(dict.fromkeys(n for f in files for n in f.notes)),
    )
    if any(f.parquet is None for f in files):
        return FlowTable(meta=meta, report=report, counted_only=True, num_rows=total)
    return FlowTable(meta=meta, report=report, parquet=tuple(str(f.parquet) for f in files), num_rows=total)


class _OnFirstUse:
    """A DuckDB connection opened when first used (opening one costs tens of milliseconds)."""

    def __init__(self, open_connection):
        self._open = open_connection
        self._con = None

    def __getattr__(self, name: str):
        if self._con is None:
            self._con = self._open()
        return getattr(self._con, name)

    def close(self) -> None:
        if self._con is not None:
            self._con.close()


def load_into_store(files: list[Path], options, *, exact, keep_rows: bool = True) -> FlowTable:
    """Read ``files`` (already expanded) into a flow table, fast where possible.

    Parameters
    ----------
    files : list of Path
    options : ReadOptions
        Resolved and checked reader options.
    exact : callable
        ``exact(files) -> FlowTable``: the exact reader, used when any input
        needs it.
    keep_rows : bool
        False when only the accounting is wanted (``scrisk validate``): with
        the cache off, BACI files are then checked and counted without
        writing their rows anywhere; the table's rows are read again if a
        caller asks for them.
    """
    cache = _cache()
    exact_key = _exact_key(cache, files, options)
    if exact_key is not None:
        cached = _cached_exact(cache, exact_key)
        if cached is not None:
            return cached
    con = _OnFirstUse(connect)  # an input the fast path cannot take (a tidy or Comtrade CSV) needs no engine
    try:
        fast: list[FastFile] = []
        for f in files:
            got = _scan_one(con, f, options, cache, keep_rows=keep_rows)
            if got is None:
                return _read_exact(files, exact, cache, exact_key)
            fast.append(got)
        if any(f.parquet is None for f in fast) and not _disjoint_and_unique(fast):
            # keys may repeat across the files: that check needs the rows
            return load_into_store(files, options, exact=exact)
        if not _keys_unique(con, fast):
            return _read_exact(files, exact, cache, exact_key)
    finally:
        con.close()
    table = _fast_table(fast, [str(f) for f in files])
    if any(f.parquet is None for f in fast):
        table.reload = lambda: load_into_store(files, options, exact=exact)
    return table


# ---------------------------------------------------------------------------------------------------------------
# the exact reader's results in the input cache

_MIRROR_PARTS = ("flows", "by_pair", "by_product")


def _exact_key(cache, files: list[Path], options) -> str | None:
    """The cache key of ``files`` read together by the exact reader; None when the cache is off or an input is a stream."""
    if cache is None:
        return None
    from scrisk.engine.cache import options_fingerprint, read_fingerprint
    from scrisk.io.reader import is_spooled

    if any(is_spooled(f) for f in files):
        return None
    # the names are in the key: they are written in the rejected rows, the notes and the report
    fingerprint = options_fingerprint({"reader": f"exact{EXACT_READ_VERSION}", "inputs": [str(f) for f in files],
                                       "reads": [read_fingerprint(f, options) for f in files]})
    return cache.files_key(files, fingerprint)


def _read_exact(files: list[Path], exact, cache, key: str | None) -> FlowTable:
    """Read ``files`` with the exact reader and keep the result in the cache under ``key``."""
    table = exact(files)
    if key is not None:
        _put_exact(cache, key, table)
    return table


def _frame_table(frame) -> tuple[Any, dict[str, str]]:
    """A pandas frame as an Arrow table, and its column dtypes (restored on reading, see :func:`_table_frame`)."""
    import pyarrow as pa

    return pa.Table.from_pandas(frame, preserve_index=False), {str(c): str(t) for c, t in frame.dtypes.items()}


def _table_frame(path: Path, dtypes: dict[str, str]):
    """Read a frame written by :func:`_frame_table` back with the dtypes it had (text columns stay ``object``)."""
    import pyarrow.parquet as pq

    frame = pq.read_table(path).to_pandas()
    for col, dtype in dtypes.items():
        if str(frame[col].dtype) != dtype:
            frame[col] = frame[col].astype(dtype)
    return frame


def _put_exact(cache, key: str, table: FlowTable) -> None:
    """Keep an exact read in the cache: accepted rows, rejected rows, side tables, report and metadata.

    A read whose tables Arrow cannot hold (raw fields of mixed types) is not kept: the next run reads it again.
    """
    import pyarrow as pa

    try:
        from scrisk.engine.store import frame_to_arrow

        accepted = frame_to_arrow(table.frame).replace_schema_metadata(None)
        rep, meta = table.report, table.meta
        dtypes: dict[str, dict[str, str]] = {}
        rejected = None
        if len(rep.rejected):
            rejected, dtypes["rejected"] = _frame_table(rep.rejected)
        extra = {}
        if meta.world_totals is not None:
            extra["world_totals"], dtypes["world_totals"] = _frame_table(meta.world_totals)
        if meta.mirror is not None:
            for part in _MIRROR_PARTS:
                extra[f"mirror_{part}"], dtypes[f"mirror_{part}"] = _frame_table(getattr(meta.mirror, part))
        info = {
            "kind": "exact",
            "input": ", ".join(meta.inputs),
            "rows": len(table),
            "report": {
                "rows_read": int(rep.rows_read), "rows_accepted": int(rep.rows_accepted),
                "rows_rejected": int(rep.rows_rejected), "reasons": {str(k): int(v) for k, v in rep.reasons.items()},
                "value_usd_accepted": float(rep.value_usd_accepted),
                "value_usd_rejected": {str(k): float(v) for k, v in rep.value_usd_rejected.items()},
                "unknown_codes": {str(k): float(v) for k, v in rep.unknown_codes.items()},
                "files": rep.files,
            },
            "meta": {
                "source_format": meta.source_format, "hs_revision": meta.hs_revision, "inputs": list(meta.inputs),
                "years": [int(y) for y in meta.years], "release": meta.release, "notes": list(meta.notes),
                "periods": list(meta.periods), "hs_headings": list(meta.hs_headings),
                "hs_inference": meta.hs_inference, "hs_conversion": meta.hs_conversion, "period": meta.period,
                "mirror_counts": dict(meta.mirror.counts) if meta.mirror is not None else None,
            },
            "dtypes": dtypes,
        }
        cache.put(key, accepted, info, rejected=rejected, extra=extra)
    except (TypeError, ValueError, pa.ArrowException):
        return


def _cached_exact(cache, key: str) -> FlowTable | None:
    """The flow table of an exact read kept in the cache under ``key``; None when there is none (or it is damaged)."""
    from collections import Counter

    from scrisk.schema import LazyRejected

    entry = cache.get(key)
    if entry is None or entry.info.get("kind") != "exact":
        return None
    info = entry.info
    try:
        r, m, dtypes = info["report"], info["meta"], info["dtypes"]
        side = entry.extra
        world = _table_frame(side["world_totals"], dtypes["world_totals"]) if "world_totals" in side else None
        mirror = None
        if m["mirror_counts"] is not None:
            from scrisk.io.mirror import MirrorReport

            parts = {p: _table_frame(side[f"mirror_{p}"], dtypes[f"mirror_{p}"]) for p in _MIRROR_PARTS}
            mirror = MirrorReport(counts=dict(m["mirror_counts"]), **parts)
        path_rejected = entry.path_rejected

        def rejected():
            if path_rejected is None:
                from scrisk.io.reader import _empty_rejected

                return _empty_rejected()
            return _table_frame(path_rejected, dtypes["rejected"])

        report = ReadReport(
            rows_read=r["rows_read"], rows_accepted=r["rows_accepted"], rows_rejected=r["rows_rejected"],
            reasons=Counter(r["reasons"]), value_usd_accepted=r["value_usd_accepted"],
            value_usd_rejected=dict(r["value_usd_rejected"]), unknown_codes=dict(r["unknown_codes"]),
            rejected=LazyRejected(rejected), files=list(r["files"]),
        )
        meta = FlowMeta(
            source_format=m["source_format"], hs_revision=m["hs_revision"], inputs=tuple(m["inputs"]),
            years=tuple(m["years"]), release=m["release"], notes=tuple(m["notes"]), periods=tuple(m["periods"]),
            world_totals=world, mirror=mirror, hs_conversion=m["hs_conversion"], period=m["period"],
            hs_headings=tuple(m["hs_headings"]), hs_inference=m["hs_inference"],
        )
    except (KeyError, TypeError, ValueError, OSError):
        return None  # an entry of another shape, or its files gone: read the inputs again
    return FlowTable(meta=meta, report=report, parquet=(str(entry.path_accepted),), num_rows=int(info["rows"]))
