"""Benchmark: the same ``scrisk analyze`` on the DuckDB engine and on Spark local, as whole processes, in one run.

    python benchmarks/bench_spark.py                         # 30M rows (3 years x 10M), median of 3
    python benchmarks/bench_spark.py --rows 300000 --repeat 1
    python benchmarks/bench_spark.py --data /path/to/dataset # an existing year-partitioned canonical dataset
    python benchmarks/bench_spark.py --repeat 1 --cores 2 --driver-memory 8g --no-query-only   # 30M, one round

The dataset is ``generate.py``'s canonical Parquet layout (``year=YYYY/part-0.parquet``,
every importer x every product of three years, 2022-2024), generated on first use into
``benchmarks/_data/`` (git-ignored). Modes, interleaved ``--repeat`` rounds:

* ``duckdb``  -- ``scrisk analyze DIR --screen -f csv -o OUT --no-cache`` (the default engine);
* ``spark``   -- the same with ``--engine spark --spark-master local[N]`` (N = ``--cores``, default every core):
  the JVM start, Spark's own read and check of the dataset, the indicator query, the rows back through Arrow;
* ``sparkq``  -- inside one process with a started session and the dataset read: only the indicator query that
  ``analyze --screen`` runs (latest year), so the fixed cost of starting Spark is seen apart
  (``--no-query-only`` leaves it out: on the 30M-row dataset it is a second full Spark run per round).

``--driver-memory`` sets ``SPARK_DRIVER_MEMORY`` for the Spark runs (default: scrisk's, a quarter of the RAM up
to 8 GB); in local mode the driver JVM is the whole of Spark, so that is the memory Spark has.
Each CSV is checked equal (numbers to 1e-9, blanks where the other has blanks) to the DuckDB one: the benchmark
has no target but parity (exit code 1 when it does not hold).
Results go to stdout and ``benchmarks/_results/spark-<UTC timestamp>.md`` (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
YEARS = (2022, 2023, 2024)


def dataset(rows: int, seed: int = 42) -> Path:
    """The generated dataset of ``rows`` rows over :data:`YEARS` (made once, in a child process)."""
    out = HERE / "_data" / f"rows{rows}_seed{seed}_spark_parquet"
    subprocess.run([sys.executable, str(HERE / "generate.py"), "--rows", str(rows), "--seed", str(seed),
                    "--years", ",".join(map(str, YEARS)), "--layout", "parquet", "--out-dir", str(out)],
                   check=True, stdout=subprocess.DEVNULL)
    return out


def scrisk_cmd(data: Path, out: Path, extra: list[str]) -> list[str]:
    return [sys.executable, "-m", "scrisk", "analyze", str(data), "--screen", "--min-import-usd", "0", "-f", "csv",
            "-o", str(out), "--no-cache", *extra]


def timed(cmd: list[str], env: dict) -> float:
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.strip()[-400:]}")
    return time.perf_counter() - t


def child_query(data: str, master: str) -> None:
    """``--child``: time the indicator query alone (the one ``analyze --screen`` runs for the latest year), on a
    Spark session and a dataset read before the clock starts."""
    from scrisk.engine import spark as engine
    from scrisk.engine.indicators import Params
    from scrisk.engine.store import configure

    configure(engine="spark", spark_master=master)
    engine.session(master)
    table = engine.load_dataset([data])
    latest = max(table.years)
    t = time.perf_counter()
    tab = engine.indicator_rows(table, screen=True, years=table.years, output_years=[latest],
                                params=Params(min_import_usd=0.0), where=f"year = {latest}")
    print(json.dumps({"seconds": time.perf_counter() - t, "rows_out": tab.num_rows, "rows_in": len(table)}))


def same_csv(a: Path, b: Path) -> bool:
    """The same CSV cells: numbers (blank where missing) to 1e-9, relative above 1; everything else exactly."""
    import numpy as np
    import pandas as pd

    x, y = pd.read_csv(a, dtype=str, keep_default_na=False), pd.read_csv(b, dtype=str, keep_default_na=False)
    if list(x.columns) != list(y.columns) or len(x) != len(y):
        return False
    for c in x.columns:
        blank_x, blank_y = x[c] == "", y[c] == ""
        fx, fy = pd.to_numeric(x[c], errors="coerce"), pd.to_numeric(y[c], errors="coerce")
        numeric = c != "hs" and len(x) and fx[~blank_x].notna().all() and fy[~blank_y].notna().all()
        if numeric:
            if not (blank_x == blank_y).all():
                return False
            vx, vy = fx[~blank_x].to_numpy(float), fy[~blank_y].to_numpy(float)
            if not (np.abs(vx - vy) <= 1e-9 * np.maximum(1.0, np.abs(vx))).all():
                return False
        elif not (x[c] == y[c]).all():
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=30_000_000)
    ap.add_argument("--data", type=Path, default=None, help="an existing canonical dataset (default: generated)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cores", type=int, default=os.cpu_count() or 1, help="Spark master local[N] (default: all)")
    ap.add_argument("--driver-memory", default=None,
                    help="Spark driver memory, e.g. 8g (SPARK_DRIVER_MEMORY; default: scrisk's, a quarter of the RAM "
                         "up to 8 GB); in local mode the driver is the whole of Spark")
    ap.add_argument("--no-query-only", action="store_true", help="skip the sparkq mode (query on a started session)")
    ap.add_argument("--child", nargs=2, metavar=("DATA", "MASTER"), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        child_query(*a.child)
        return 0
    data = a.data or dataset(a.rows)
    master = f"local[{a.cores}]"
    env = dict(os.environ, SPARK_LOCAL_IP=os.environ.get("SPARK_LOCAL_IP", "127.0.0.1"))
    if a.driver_memory:
        env["SPARK_DRIVER_MEMORY"] = a.driver_memory
    work = Path(tempfile.mkdtemp(prefix="bench-spark-"))
    times: dict[str, list[float]] = {"duckdb": [], "spark": []} | ({} if a.no_query_only else {"sparkq": []})
    parity = True
    rows_in = rows_out = None
    for r in range(a.repeat):
        ref, got = work / f"duckdb{r}.csv", work / f"spark{r}.csv"
        times["duckdb"].append(timed(scrisk_cmd(data, ref, []), env))
        times["spark"].append(timed(scrisk_cmd(data, got, ["--engine", "spark", "--spark-master", master]), env))
        parity &= same_csv(ref, got)
        if not a.no_query_only:
            proc = subprocess.run([sys.executable, __file__, "--child", str(data), master], env=env, check=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            q = json.loads(proc.stdout.strip().splitlines()[-1])
            times["sparkq"].append(q["seconds"])
            rows_in, rows_out = q["rows_in"], q["rows_out"]
        print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.1f}s" for k, v in times.items()), file=sys.stderr)
    if rows_in is None:
        import pyarrow.parquet as pq

        rows_in = sum(pq.ParquetFile(f).metadata.num_rows for f in Path(data).rglob("*.parquet"))
        rows_out = sum(1 for _ in open(work / "duckdb0.csv", encoding="utf-8")) - 1
    med = {k: statistics.median(v) for k, v in times.items()}
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        f"# scrisk analyze: DuckDB engine vs Spark local ({stamp})",
        "",
        f"Dataset: {data} ({rows_in:,} rows, years {', '.join(map(str, YEARS))}; {rows_out:,} rows out); "
        f"{os.cpu_count()} cores, Spark master {master}, driver memory {a.driver_memory or 'scrisk default'}; "
        f"median of {a.repeat}; whole processes except `sparkq`.",
        "",
        "| mode | seconds | vs duckdb |",
        "|---|---:|---:|",
    ]
    for k, label in (("duckdb", "duckdb engine (whole process)"), ("spark", "spark engine (whole process)"),
                     ("sparkq", "spark: indicator query only (session started)")):
        if k in med:
            lines.append(f"| {label} | {med[k]:.1f} | {med[k] / med['duckdb']:.2f}x |")
    lines += ["", f"Parity (every CSV cell equal to the DuckDB engine's, numbers to 1e-9): {'yes' if parity else 'NO'}"]
    text = "\n".join(lines)
    print(text)
    res = HERE / "_results"
    res.mkdir(exist_ok=True)
    (res / f"spark-{stamp}.md").write_text(text + "\n")
    return 0 if parity else 1


if __name__ == "__main__":
    sys.exit(main())
