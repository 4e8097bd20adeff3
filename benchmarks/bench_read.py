"""Benchmark: scrisk's reader on a BACI-layout file, beside a plain ``pandas.read_csv`` in the same run.

    python benchmarks/bench_read.py --rows 10000000            # generates the file when missing
    python benchmarks/bench_read.py --rows 10000000 --repeat 3

Each measurement runs in a fresh interpreter; the table shows the median time
over ``--repeat`` runs, rows per second (rows in the file / seconds) and the
largest peak resident set size, and their ratios against the baseline, a
plain ``pandas.read_csv(path)``. Modes:

* ``pandas.read_csv`` -- the baseline: default C parser, no dtypes, no
  mapping (HS codes come back as integers, countries as BACI numbers, values
  in thousand USD);
* ``pyarrow.csv.read_csv`` -- the raw multithreaded Arrow parser, for
  reference;
* ``scrisk read_flows`` -- the full read: country codes to ISO3 through the
  release table beside the file, HS zero-padded, USD and kg, every row
  checked and accounted for, the canonical table validated;
* ``... --year`` / ``... --hs`` -- filtered reads: one year, one HS chapter,
  pushed into scrisk's scan; the pandas comparison reads everything and then
  filters, which is what a plain pandas script does.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import emit, machine_notes, reset_peak_rss, run_child, run_script, summarise, table  # noqa: E402

MODES = {
    "pandas": "pandas.read_csv (baseline)",
    "pyarrow": "pyarrow.csv.read_csv",
    "scrisk": "scrisk read_flows",
    "pandas-year": "pandas.read_csv + filter year",
    "scrisk-year": "scrisk read_flows --year",
    "pandas-hs": "pandas.read_csv + filter HS chapter",
    "scrisk-hs": "scrisk read_flows --hs chapter",
}


def child(mode: str, path: str, year: int, chapter: str, rows_in: int) -> None:
    """Run one measurement (in a fresh process) and print its JSON line."""
    import pandas as pd
    import pyarrow.csv as pacsv

    extra: dict = {}
    if mode.startswith("scrisk"):
        from scrisk.io import ReadOptions, read_flows

        opts = {"scrisk": ReadOptions(), "scrisk-year": ReadOptions(years=(year,)),
                "scrisk-hs": ReadOptions(hs=(chapter,))}[mode]
        extra["rss_before_mb"] = reset_peak_rss()
        t0 = time.perf_counter()
        flows = read_flows([path], opts)
        seconds = time.perf_counter() - t0
        rows_out = len(flows)
        extra.update(rows_rejected=flows.report.rows_rejected, rows_read=flows.report.rows_read)
    elif mode == "pyarrow":
        extra["rss_before_mb"] = reset_peak_rss()
        t0 = time.perf_counter()
        tbl = pacsv.read_csv(path)
        seconds = time.perf_counter() - t0
        rows_out = tbl.num_rows
    else:
        extra["rss_before_mb"] = reset_peak_rss()
        t0 = time.perf_counter()
        df = pd.read_csv(path)
        if mode == "pandas-year":
            df = df[df["t"] == year]
        elif mode == "pandas-hs":
            df = df[df["k"] // 10000 == int(chapter)]
        seconds = time.perf_counter() - t0
        rows_out = len(df)
    emit({"seconds": seconds, "rows_in": rows_in, "rows_out": rows_out, **extra})


def count_rows(path: Path) -> int:
    """Data rows in a CSV (lines minus the header), counted in 16 MiB blocks."""
    n = 0
    with open(path, "rb") as fh:
        while block := fh.read(1 << 24):
            n += block.count(b"\n")
    return n - 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Benchmark scrisk's reader against pandas.read_csv.")
    ap.add_argument("--rows", type=int, default=10_000_000, help="rows of the generated file (generated if missing)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--path", type=Path, default=None, help="an existing BACI-layout file instead of a generated one")
    ap.add_argument("--repeat", type=int, default=1, help="runs per mode (median time, largest peak RSS)")
    ap.add_argument("--year", type=int, default=2024, help="year of the filtered read")
    ap.add_argument("--hs", default="85", help="HS chapter (2 digits) of the filtered read")
    ap.add_argument("--modes", default=",".join(MODES), help="comma-separated subset of " + ",".join(MODES))
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--rows-in", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        child(args.child, str(args.path), args.year, args.hs, args.rows_in)
        return 0

    if args.path is None:
        from generate import DATA_NAME, dataset_dir

        t0 = time.perf_counter()
        out_dir = dataset_dir(args.rows, args.seed)
        run_script(HERE / "generate.py", ["--rows", str(args.rows), "--seed", str(args.seed), "--out-dir", str(out_dir)])
        args.path = out_dir / DATA_NAME
        print(f"data: {args.path} (ready in {time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    rows_in = count_rows(args.path)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = set(modes) - set(MODES)
    if unknown:
        ap.error(f"unknown modes {sorted(unknown)}; choose from {', '.join(MODES)}")
    if "pandas" not in modes:
        modes.insert(0, "pandas")
    common = ["--path", str(args.path), "--year", str(args.year), "--hs", args.hs, "--rows-in", str(rows_in)]
    runs: dict[str, list] = {mode: [] for mode in modes}
    for _ in range(args.repeat):  # interleaved, so a change in machine load hits every mode alike
        for mode in modes:
            r = run_child(Path(__file__), mode, common)
            r.mode = MODES[mode]
            runs[mode].append(r)
            print(f"  {r.mode}: {r.seconds:.2f} s, peak RSS {r.peak_rss_mb:,.0f} MB", file=sys.stderr)
    results = [summarise(runs[mode]) for mode in modes]
    size_mb = args.path.stat().st_size / 1e6
    print(table(results, results[0], title=f"Read benchmark: {args.path.name}, {rows_in:,} rows, {size_mb:,.0f} MB"
                f" (median of {args.repeat}; peak RSS of the process, interpreter and imports = RSS before;"
                " added = peak - before)"))
    for r in results:
        if "rows_rejected" in r.extra:
            print(f"{r.mode}: rows rejected {r.extra['rows_rejected']:,}")
    print(machine_notes())
    return 0


if __name__ == "__main__":
    sys.exit(main())
