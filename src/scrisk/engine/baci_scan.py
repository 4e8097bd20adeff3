"""The fast path for BACI yearly CSVs: DuckDB parses the file in parallel and writes the flow store's Parquet.

A BACI yearly CSV of 10 million rows is parsed, mapped to ISO3, zero-padded,
converted to USD and kg and written as canonical Parquet in one parallel
DuckDB pass (:func:`scan_baci`), with no row ever becoming a Python object.

The pass is *optimistic*: it computes, per row, whether every documented
check of the exact reader (:mod:`scrisk.io.baci` and :mod:`scrisk.io._stage`)
would accept it, under conditions that are at least as strict (a value must
look like a plain decimal number, a country code must be one the country
table knows as a country or an area, the year four digits). When every row
passes, the Parquet file *is* the accepted table and no line number is ever
needed. When any row fails, or DuckDB cannot parse the file as a clean CSV
(a line with the wrong number of fields, a stray quote), the result says so
and the caller reads the file with the exact reader, which gives every
rejected row its reason, detail and physical line. Row accounting is the
same either way; only the speed differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from scrisk.engine.store import sql_str

__all__ = ["ScanOutcome", "scan_baci", "country_map_rows", "hs_filter_sql"]

_NUMBER_RE = r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?"
_MISSING = ("", "NA", "N/A", "NAN", "NULL", "NONE", "-")


@dataclass(frozen=True)
class ScanOutcome:
    """What the fast pass found.

    Attributes
    ----------
    clean : bool
        Every row passed; ``path`` holds the accepted rows.
    rows : int
        Rows read (only meaningful when ``clean``).
    reason : str
        Why the exact reader is needed when not ``clean``.
    """

    clean: bool
    rows: int = 0
    reason: str = ""


def country_map_rows(mapper) -> list[tuple[str, str, int]]:
    """``(raw code, ISO3, kind)`` for every numeric code the mapper's tables know, as written in BACI files.

    Each code appears unpadded (``4``) and zero-padded to three digits
    (``004``); the mapping is the mapper's own, so Taiwan's 490 is ``TWN``.
    """
    import pyarrow as pa

    nums: set[int] = set()
    for table in (mapper.primary, mapper.fallback):
        if table is not None:
            nums.update(int(n) for n in table._num)
    raw = sorted({str(n) for n in nums} | {f"{n:03d}" for n in nums if n < 1000})
    codes = mapper.map(pa.array(raw, type=pa.string()))
    iso = codes.iso.to_pylist()
    return [(r, i, int(k)) for r, i, k in zip(raw, iso, codes.kind.tolist()) if i is not None]


def hs_filter_sql(expr: str, prefixes: Sequence[str]) -> str:
    """A SQL condition: ``expr`` starts with one of ``prefixes`` (one set lookup per prefix length).

    Examples
    --------
    >>> hs_filter_sql("hs", ["85", "8542", "811292"])
    "(substr(hs, 1, 2) IN ('85') OR substr(hs, 1, 4) IN ('8542') OR substr(hs, 1, 6) IN ('811292'))"
    """
    by_len: dict[int, list[str]] = {}
    for p in prefixes:
        by_len.setdefault(len(str(p)), []).append(str(p))
    parts = [
        f"substr({expr}, 1, {n}) IN ({', '.join(sql_str(p) for p in sorted(set(ps)))})" for n, ps in sorted(by_len.items())
    ]
    return "(" + " OR ".join(parts) + ")" if parts else "TRUE"


def scan_baci(
    con,
    path: Path,
    *,
    header: Sequence[str],
    roles: dict[str, str | None],
    delimiter: str,
    compression: str,
    mapper,
    out: Path,
    years: Sequence[int] = (),
    hs: Sequence[str] = (),
) -> ScanOutcome:
    """Parse one BACI CSV into canonical Parquet at ``out``, or report that the exact reader is needed.

    Parameters
    ----------
    con : duckdb connection
    path : Path
        The CSV (plain or gzip).
    header : sequence of str
        The header row's names, in order.
    roles : dict
        BACI field (``t i j k v q``) -> header name (``q`` may be None).
    delimiter : str
    compression : str
        ``"none"`` or ``"gzip"``.
    mapper : CountryMapper
        The country tables for this file.
    out : Path
        Parquet file to write.
    years, hs : sequences
        The ``--year``/``--hs`` filters: rows outside them are not read (rows
        whose year cannot be parsed are kept, to be reported).
    """
    import duckdb

    cols = {f"c{k}": name for k, name in enumerate(header)}
    col_of = {role: f"c{list(header).index(name)}" for role, name in roles.items() if name is not None}
    con.execute("CREATE OR REPLACE TEMP TABLE _country_map (raw VARCHAR, iso VARCHAR, kind TINYINT)")
    con.executemany("INSERT INTO _country_map VALUES (?, ?, ?)", country_map_rows(mapper))
    columns = "{" + ", ".join(f"{sql_str(c)}: 'VARCHAR'" for c in cols) + "}"
    source = (
        f"read_csv({sql_str(str(path))}, header = true, columns = {columns}, delim = {sql_str(delimiter)}, "
        f"quote = '\"', escape = '\"', auto_detect = false, strict_mode = true, null_padding = false, "
        f"compression = {sql_str(compression)}, encoding = 'utf-8', max_line_size = 16777216)"
    )
    t, i, j, k, v = (col_of[r] for r in "tijkv")
    q = col_of.get("q")
    missing = ", ".join(sql_str(m) for m in _MISSING)
    qty_sql = (
        f"CASE WHEN upper(trim({q})) IN ({missing}) THEN NULL ELSE TRY_CAST(trim({q}) AS DOUBLE) * 1000.0 END"
        if q
        else "CAST(NULL AS DOUBLE)"
    )
    qty_ok = (
        f"(upper(trim({q})) IN ({missing}) OR (regexp_full_match(trim({q}), {sql_str(_NUMBER_RE)}) "
        f"AND isfinite(TRY_CAST(trim({q}) AS DOUBLE) * 1000.0) AND TRY_CAST(trim({q}) AS DOUBLE) >= 0))"
        if q
        else "TRUE"
    )
    filters = []
    if years:
        ys = ", ".join(str(int(y)) for y in years)
        filters.append(f"(NOT regexp_full_match(trim({t}), '\\d{{4}}') OR CAST(trim({t}) AS INTEGER) IN ({ys}))")
    if hs:
        padded = f"lpad(regexp_replace(trim({k}), '\\.0+$', ''), 6, '0')"
        filters.append(hs_filter_sql(padded, hs))
    where = ("WHERE " + " AND ".join(filters)) if filters else ""
    query = f"""
        SELECT
            TRY_CAST(trim({t}) AS BIGINT) AS year,
            ex.iso AS exporter,
            im.iso AS importer,
            lpad(trim({k}), 6, '0') AS hs,
            TRY_CAST(trim({v}) AS DOUBLE) * 1000.0 AS value_usd,
            {qty_sql} AS qty_kg,
            (regexp_full_match(trim({t}), '\\d{{4}}') AND TRY_CAST(trim({t}) AS INTEGER) BETWEEN 1900 AND 2100
             AND regexp_full_match(trim({k}), '\\d{{5,6}}')
             AND regexp_full_match(trim({v}), {sql_str(_NUMBER_RE)})
             AND isfinite(TRY_CAST(trim({v}) AS DOUBLE) * 1000.0) AND TRY_CAST(trim({v}) AS DOUBLE) >= 0
             AND {qty_ok}
             AND ex.iso IS NOT NULL AND im.iso IS NOT NULL AND ex.kind <> 2 AND im.kind <> 2
             AND ex.iso <> im.iso) AS _ok
        FROM {source} AS r
        LEFT JOIN _country_map ex ON ex.raw = trim(r.{i})
        LEFT JOIN _country_map im ON im.raw = trim(r.{j})
        {where}
    """
    try:
        con.execute(f"COPY ({query}) TO {sql_str(str(out))} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)")
    except duckdb.Error as exc:
        return ScanOutcome(clean=False, reason=f"not a plain CSV for the parallel scan ({str(exc).splitlines()[0][:160]})")
    bad, rows = con.execute(
        f"SELECT count(*) FILTER (WHERE NOT _ok), count(*) FROM read_parquet({sql_str(str(out))})"
    ).fetchone()
    if bad:
        return ScanOutcome(clean=False, rows=int(rows), reason=f"{bad} row(s) need the exact reader's reasons")
    return ScanOutcome(clean=True, rows=int(rows))
