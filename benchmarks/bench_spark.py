"""Benchmark: the same ``scrisk analyze`` on the DuckDB engine and on Spark local, as whole processes, in one run.

    python benchmarks/bench_spark.py                         # 30M rows (3 years x 10M), median of 3
    python benchmarks/bench_spark.py --rows 300000 --repeat 1
    python benchmarks/bench_spark.py --data /path/to/dataset # an existing year-partitioned canonical dataset

The dataset is ``generate.py``'s canonical Parquet layout (``year=YYYY/part-0.parquet``,
every importer x every product of three years, 2022-2024), generated on first use into
``benchmarks/_data/`` (git-ignored). Modes, interleaved ``--repeat`` rounds:

* ``duckdb``  -- ``scrisk analyze DIR --screen -f csv -o OUT --no-cache`` (the default engine);
* ``spark``   -- the same with ``--engine spark --spark-master local[N]`` (N = ``--cores``, default every core):
  the JVM start, Spark's own read and check of the dataset, the indicator query, the rows back through Arrow;
* ``sparkq``  -- inside one process with a started session: only the indicator query (``indicators()`` on the
  Spark table), so the fixed cost of starting Spark is seen apart.

Each CSV is checked equal (numbers to 1e-9) to the DuckDB one: the benchmark has no target but parity.
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
    """``--child``: time the indicator query alone, on a Spark session started before the clock starts."""
    from scrisk.engine import spark as engine
    from scrisk.engine.store import configure
    from scrisk.metrics.indicators import indicators

    configure(engine="spark", spark_master=master)
    engine.session(master)
    table = engine.load_dataset([data])
    t = time.perf_counter()
    n = len(indicators(table, screen=True, min_import_usd=0.0))
    print(json.dumps({"seconds": time.perf_counter() - t, "rows_out": n, "rows_in": len(table)}))


def same_csv(a: Path, b: Path) -> bool:
    import numpy as np
    import pandas as pd

    x, y = pd.read_csv(a, dtype=str, keep_default_na=False), pd.read_csv(b, dtype=str, keep_default_na=False)
    if list(x.columns) != list(y.columns) or len(x) != len(y):
        return False
    for c in x.columns:
        fx, fy = pd.to_numeric(x[c], errors="coerce"), pd.to_numeric(y[c], errors="coerce")
        if fx.notna().all() and len(x) and c not in ("hs",):
            if not (np.abs(fx - fy) <= 1e-9 * np.maximum(1.0, np.abs(fx))).all():
                return False
        elif not (x[c] == y[c]).all():
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=30_000_000)
    ap.add_argument("--data", type=Path, default=None, help="an existing canonical dataset (default: generated)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--child", nargs=2, metavar=("DATA", "MASTER"), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        child_query(*a.child)
        return 0
    data = a.data or dataset(a.rows)
    master = f"local[{a.cores}]"
    env = dict(os.environ, SPARK_LOCAL_IP=os.environ.get("SPARK_LOCAL_IP", "127.0.0.1"))
    work = Path(tempfile.mkdtemp(prefix="bench-spark-"))
    times: dict[str, list[float]] = {"duckdb": [], "spark": [], "sparkq": []}
    parity = True
    for r in range(a.repeat):
        ref, got = work / f"duckdb{r}.csv", work / f"spark{r}.csv"
        times["duckdb"].append(timed(scrisk_cmd(data, ref, []), env))
        times["spark"].append(timed(scrisk_cmd(data, got, ["--engine", "spark", "--spark-master", master]), env))
        parity &= same_csv(ref, got)
        proc = subprocess.run([sys.executable, __file__, "--child", str(data), master], env=env, check=True,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        q = json.loads(proc.stdout.strip().splitlines()[-1])
        times["sparkq"].append(q["seconds"])
        rows_in, rows_out = q["rows_in"], q["rows_out"]
        print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.1f}s" for k, v in times.items()), file=sys.stderr)
    med = {k: statistics.median(v) for k, v in times.items()}
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        f"# scrisk analyze: DuckDB engine vs Spark local ({stamp})",
        "",
        f"Dataset: {data} ({rows_in:,} rows, years {', '.join(map(str, YEARS))}; {rows_out:,} indicator rows); "
        f"{os.cpu_count()} cores, Spark master {master}; median of {a.repeat}; whole processes except `sparkq`.",
        "",
        "| mode | seconds | vs duckdb |",
        "|---|---:|---:|",
    ]
    for k, label in (("duckdb", "duckdb engine (whole process)"), ("spark", "spark engine (whole process)"),
                     ("sparkq", "spark: indicator query only (session started)")):
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
