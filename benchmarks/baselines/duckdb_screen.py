"""Baseline: the full screen (every importer x every product) in hand-written DuckDB SQL, to CSV.

    python benchmarks/baselines/duckdb_screen.py BACI.csv -o screen.csv
    python benchmarks/baselines/duckdb_screen.py parquet_dir/ -o screen.csv --memory-limit 4GB

What a data engineer fluent in DuckDB would write for ``scrisk analyze FILE -f
csv -o OUT.csv``: ``read_csv`` over the BACI file(s) (or ``read_parquet`` over
a folder of canonical Parquet), BACI numeric codes joined to ISO3 through the
release ``country_codes_V*.csv`` beside the data (490 -> TWN), HS codes
zero-padded to 6, ``v`` x 1000 -> USD, ``q`` x 1000 -> kg; then, for the latest
year, per (year, importer, hs): import value, number of suppliers, top supplier
(ties to the smaller ISO3) and share, HHI, effective suppliers; per (year, hs):
world exports, number of exporters, top exporter and share, world export HHI;
the top supplier's world share; the importer's own exports and the
import/export ratio (9999 without exports); the single-source band (imports >=
US$10 million); the composite score; the change against the previous loaded
year; ranked (below the minimum last, score desc, value desc, importer, hs) and
written with ``COPY``. DuckDB's default threads and memory limit, as scrisk's.

Prints one JSON line to stdout: rows written and the output path.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import duckdb

MIN_IMPORT_USD = 10_000_000.0


def codes_path(first: Path) -> Path:
    """The release country table beside the data (``country_codes_V*.csv``)."""
    here = first if first.is_dir() else first.parent
    found = sorted(here.glob("country_codes_V*.csv"))
    if not found:
        raise SystemExit(f"{here}: no country_codes_V*.csv beside the data; pass --codes")
    return found[-1]


def _lit(p: Path | str) -> str:
    return "'" + str(p).replace("'", "''") + "'"


def flows_sql(inputs: list[Path], codes: Path | None) -> str:
    """SQL of the canonical flow relation (year, exporter, importer, hs, value_usd, qty_kg)."""
    if len(inputs) == 1 and inputs[0].is_dir():
        return (f"SELECT year, exporter, importer, hs, value_usd, qty_kg FROM read_parquet("
                f"{_lit(inputs[0] / '**' / '*.parquet')}, hive_partitioning = true)")
    files = "[" + ", ".join(_lit(p) for p in inputs) + "]"
    codes = codes or codes_path(inputs[0])
    return f"""
        WITH iso AS (
            SELECT country_code AS code,
                   CASE WHEN country_code = 490 OR country_iso3 IN ('S19', 'N/A') THEN 'TWN'
                        ELSE country_iso3 END AS iso3
            FROM read_csv({_lit(codes)}, header = true,
                          columns = {{'country_code': 'INTEGER', 'country_name': 'VARCHAR',
                                      'country_iso2': 'VARCHAR', 'country_iso3': 'VARCHAR'}})
        )
        SELECT r.t AS year, e.iso3 AS exporter, m.iso3 AS importer, lpad(r.k, 6, '0') AS hs,
               r.v * 1000 AS value_usd, TRY_CAST(trim(r.q) AS DOUBLE) * 1000 AS qty_kg
        FROM read_csv({files}, header = true,
                      columns = {{'t': 'BIGINT', 'i': 'INTEGER', 'j': 'INTEGER', 'k': 'VARCHAR',
                                  'v': 'DOUBLE', 'q': 'VARCHAR'}}) r
        JOIN iso e ON e.code = r.i
        JOIN iso m ON m.code = r.j
    """


def screen_sql(flows: str, min_import_usd: float = MIN_IMPORT_USD) -> str:
    """The screen query over a flow relation: one ranked row per (importer, hs) of the latest year.

    BACI has one row per (t, i, j, k), so each flow of a (year, importer, hs) is one supplier; ties for the
    top supplier or exporter go to the smaller ISO3 (``arg_min`` over ``(-value, code)``).
    """
    return f"""
    WITH f AS ({flows}),
    yrs AS (SELECT max(year) AS latest, max(year) FILTER (WHERE year < (SELECT max(year) FROM f)) AS prev FROM f),
    ind AS (  -- per (year, importer, hs) of the two years compared; BACI has one row per (t, i, j, k)
        SELECT year, importer, hs, sum(value_usd) AS import_value_usd, count(*) AS n_suppliers,
               arg_min(exporter, (-value_usd, exporter)) AS top_supplier,
               max(value_usd) / sum(value_usd) AS top_share,
               sum(value_usd * value_usd) / (sum(value_usd) * sum(value_usd)) AS hhi
        FROM f WHERE value_usd > 0 AND year >= (SELECT coalesce(prev, latest) FROM yrs)
        GROUP BY ALL
    ),
    ex AS (  -- exporter totals per (year, hs), latest year
        SELECT year, exporter, hs, sum(value_usd) AS v
        FROM f WHERE value_usd > 0 AND year = (SELECT latest FROM yrs) GROUP BY ALL
    ),
    world AS (
        SELECT year, hs, sum(v) AS world_export_value_usd, count(*) AS n_exporters,
               arg_min(exporter, (-v, exporter)) AS world_top_exporter,
               max(v) / sum(v) AS world_top_exporter_share,
               sum(v * v) / (sum(v) * sum(v)) AS world_export_hhi
        FROM ex GROUP BY ALL
    ),
    cur AS (
        SELECT c.*, 1.0 / c.hhi AS effective_suppliers,
               w.world_export_value_usd, w.n_exporters, w.world_top_exporter, w.world_top_exporter_share,
               w.world_export_hhi, ts.v / w.world_export_value_usd AS top_supplier_world_share,
               coalesce(own.v, 0.0) AS export_value_usd
        FROM ind c
        JOIN world w USING (year, hs)
        LEFT JOIN ex ts ON ts.year = c.year AND ts.hs = c.hs AND ts.exporter = c.top_supplier
        LEFT JOIN ex own ON own.year = c.year AND own.hs = c.hs AND own.exporter = c.importer
        WHERE c.year = (SELECT latest FROM yrs)
    ),
    scored AS (
        SELECT c.*,
               CASE WHEN c.export_value_usd > 0 THEN c.import_value_usd / c.export_value_usd ELSE 9999.0 END
                   AS import_export_ratio,
               CASE WHEN c.import_value_usd >= {min_import_usd} AND c.top_share >= 0.9 THEN 'absolute'
                    WHEN c.import_value_usd >= {min_import_usd} AND c.top_share >= 0.75 THEN 'high'
                    WHEN c.import_value_usd >= {min_import_usd} AND c.top_share >= 0.5 THEN 'monitor' END AS band,
               (0.35 * c.hhi + 0.25 * c.top_share + 0.25 * c.world_export_hhi
                + 0.15 * c.top_supplier_world_share) / 1.0 AS score,
               (SELECT prev FROM yrs) AS prev_year,
               p.hhi AS prev_hhi,
               c.hhi - p.hhi AS delta_hhi,
               c.top_share - p.top_share AS delta_top_share,
               CASE WHEN p.importer IS NOT NULL THEN c.top_supplier <> p.top_supplier END AS top_supplier_changed,
               CASE WHEN (SELECT prev FROM yrs) IS NOT NULL THEN p.importer IS NULL END AS new_import
        FROM cur c
        LEFT JOIN ind p ON p.year = (SELECT prev FROM yrs) AND p.importer = c.importer AND p.hs = c.hs
    )
    SELECT row_number() OVER (ORDER BY import_value_usd < {min_import_usd}, score DESC, import_value_usd DESC,
                                       importer, hs) AS rank,
           year, importer, hs, import_value_usd, n_suppliers, top_supplier, top_share, hhi, effective_suppliers,
           world_export_value_usd, n_exporters, world_top_exporter, world_top_exporter_share, world_export_hhi,
           top_supplier_world_share, export_value_usd, import_export_ratio, band, score,
           prev_year, prev_hhi, delta_hhi, delta_top_share, top_supplier_changed, new_import
    FROM scored
    ORDER BY rank
    """


def run(inputs: list[Path], out: Path, *, codes: Path | None = None, memory_limit: str | None = None,
        con: duckdb.DuckDBPyConnection | None = None) -> int:
    """Compute the screen and write it to ``out`` (CSV); return the number of rows written."""
    con = con or duckdb.connect()
    if memory_limit:
        con.execute(f"SET memory_limit = {_lit(memory_limit)}")
    sql = screen_sql(flows_sql(inputs, codes))
    return int(con.execute(f"COPY ({sql}) TO {_lit(out)} (HEADER, DELIMITER ',')").fetchone()[0])  # rows copied


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="+", type=Path, help="BACI CSV file(s), or one folder of canonical Parquet")
    ap.add_argument("-o", "--output", type=Path, required=True, help="CSV to write")
    ap.add_argument("--codes", type=Path, default=None, help="release country table (default: beside the data)")
    ap.add_argument("--memory-limit", default=None, help="DuckDB memory_limit, e.g. 4GB (default: DuckDB's)")
    args = ap.parse_args(argv)
    n = run(args.inputs, args.output, codes=args.codes, memory_limit=args.memory_limit)
    print(json.dumps({"rows_out": n, "output": str(args.output)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
