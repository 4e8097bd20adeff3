"""Baselines for reading a BACI CSV: DuckDB's ``read_csv`` (typed or all-VARCHAR) and ``pyarrow.csv.read_csv``.

    python benchmarks/baselines/read_baseline.py duckdb BACI.csv          # type detection
    python benchmarks/baselines/read_baseline.py duckdb-varchar BACI.csv  # all_varchar, v cast to DOUBLE
    python benchmarks/baselines/read_baseline.py pyarrow BACI.csv
    python benchmarks/baselines/read_baseline.py duckdb-table BACI.csv    # every column into a DuckDB table
    python benchmarks/baselines/read_baseline.py duckdb-checks BACI.csv   # hand-written validation SQL

Each reads the whole file and computes the row count and the sum of ``v``
(thousand USD), the least a reader must do to touch every row; prints them as
one JSON line. ``duckdb`` and ``pyarrow`` check, map and account for nothing:
they are the floor ``scrisk validate`` is compared with. ``duckdb-table``
materialises every column. ``duckdb-checks`` is the validation an analyst
would write in DuckDB SQL: rows whose year, code, value or quantity is
malformed, whose country code is not in the release's country table (next to
the file) or that are self-trade, and (year, exporter, importer, product) keys
that repeat; it prints those counts too.
"""

from __future__ import annotations

import json
import sys


def read(engine: str, path: str) -> tuple[int, float]:
    """Return (rows, sum of v) read with ``engine``."""
    lit = "'" + path.replace("'", "''") + "'"
    if engine == "duckdb":
        import duckdb

        n, v = duckdb.connect().execute(f"SELECT count(*), sum(v) FROM read_csv({lit})").fetchone()
    elif engine == "duckdb-varchar":
        import duckdb

        n, v = duckdb.connect().execute(
            f"SELECT count(*), sum(CAST(v AS DOUBLE)) FROM read_csv({lit}, all_varchar = true)").fetchone()
    elif engine == "duckdb-table":
        import duckdb

        con = duckdb.connect()
        con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv({lit})")
        n, v = con.execute("SELECT count(*), sum(v) FROM t").fetchone()
    elif engine == "duckdb-checks":
        n, v, _, _ = checks(path)
    elif engine == "pyarrow":
        import pyarrow.compute as pc
        import pyarrow.csv as pacsv

        t = pacsv.read_csv(path)
        n, v = t.num_rows, pc.sum(t["v"]).as_py()
    else:
        raise SystemExit(f"unknown engine {engine!r}: duckdb, duckdb-varchar or pyarrow")
    return int(n), float(v)


def checks(path: str) -> tuple[int, float, int, int]:
    """(rows, sum of v, rows failing a check, keys seen more than once) by hand-written DuckDB SQL."""
    import glob
    import os

    import duckdb

    lit = "'" + path.replace("'", "''") + "'"
    codes = sorted(glob.glob(os.path.join(os.path.dirname(os.path.abspath(path)), "country_codes_*.csv")))[-1]
    con = duckdb.connect()
    con.execute(f"CREATE TABLE cc AS SELECT country_code::INTEGER AS code, country_iso3 AS iso FROM read_csv('{codes}')")
    n, v, bad, repeated = con.execute(f"""
        WITH f AS (
            SELECT t, i, j, k, v, q, ci.iso AS ei, cj.iso AS ii
            FROM read_csv({lit}, all_varchar = true, nullstr = ['NA', '']) AS r
            LEFT JOIN cc AS ci ON ci.code = TRY_CAST(r.i AS INTEGER)
            LEFT JOIN cc AS cj ON cj.code = TRY_CAST(r.j AS INTEGER)
        ), g AS (
            SELECT count(*) AS n, fsum(TRY_CAST(v AS DOUBLE)) AS v,
                   count(*) FILTER (WHERE NOT coalesce(
                       TRY_CAST(t AS INTEGER) BETWEEN 1900 AND 2100 AND regexp_full_match(k, '[0-9]{{5,6}}')
                       AND TRY_CAST(v AS DOUBLE) >= 0 AND (q IS NULL OR trim(q) IN ('NA', '') OR TRY_CAST(trim(q) AS DOUBLE) >= 0)
                       AND ei IS NOT NULL AND ii IS NOT NULL AND ei <> ii, FALSE)) AS bad
            FROM f GROUP BY t, ei, ii, lpad(k, 6, '0')
        )
        SELECT sum(n), fsum(v), sum(bad), count(*) FILTER (WHERE n > 1) FROM g
    """).fetchone()
    return int(n), float(v), int(bad), int(repeated)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        raise SystemExit(__doc__)
    if args[0] == "duckdb-checks":
        n, v, bad, repeated = checks(args[1])
        print(json.dumps({"engine": args[0], "rows": n, "sum_v": v, "rows_failing": bad, "repeated_keys": repeated}))
        return 0
    n, v = read(args[0], args[1])
    print(json.dumps({"engine": args[0], "rows": n, "sum_v": v}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
