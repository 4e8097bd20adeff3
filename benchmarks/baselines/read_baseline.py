"""Baselines for reading a BACI CSV: DuckDB's ``read_csv`` (typed or all-VARCHAR) and ``pyarrow.csv.read_csv``.

    python benchmarks/baselines/read_baseline.py duckdb BACI.csv          # type detection
    python benchmarks/baselines/read_baseline.py duckdb-varchar BACI.csv  # all_varchar, v cast to DOUBLE
    python benchmarks/baselines/read_baseline.py pyarrow BACI.csv

Each reads the whole file and computes the row count and the sum of ``v``
(thousand USD), the least a reader must do to touch every row; prints them as
one JSON line. Nothing is checked, mapped or accounted for: these are the
floor ``scrisk validate`` is compared with.
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
    elif engine == "pyarrow":
        import pyarrow.compute as pc
        import pyarrow.csv as pacsv

        t = pacsv.read_csv(path)
        n, v = t.num_rows, pc.sum(t["v"]).as_py()
    else:
        raise SystemExit(f"unknown engine {engine!r}: duckdb, duckdb-varchar or pyarrow")
    return int(n), float(v)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        raise SystemExit(__doc__)
    n, v = read(args[0], args[1])
    print(json.dumps({"engine": args[0], "rows": n, "sum_v": v}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
