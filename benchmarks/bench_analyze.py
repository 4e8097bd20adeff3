"""Benchmark: scrisk's analysis over every importer and product, beside a plain pandas groupby in the same run.

    python benchmarks/bench_analyze.py --rows 10000000          # generates the file when missing
    python benchmarks/bench_analyze.py --rows 10000000 --repeat 3

The generated BACI-layout file is converted once into the canonical flow table
and cached as Parquet beside it (``canonical.parquet``). Each measurement then
runs in a fresh interpreter that loads the cache (not timed) and times one
call; the table shows the median time over ``--repeat`` runs, flows per second
and the largest peak RSS of the process, with ratios against the baseline.
Modes:

* ``pandas groupby`` -- the baseline: per (year, importer, hs) import value,
  number of suppliers, top supplier and share, HHI; per (year, hs) world
  export HHI, top exporter and share; joined. Plain ``groupby``/``idxmax``.
* ``scrisk metrics`` -- :func:`scrisk.metrics.concentration.import_concentration`
  and :func:`~scrisk.metrics.concentration.world_export_concentration`, joined:
  the same figures.
* ``scrisk analyze`` -- the full :func:`scrisk.analysis.analyze` call behind
  ``scrisk analyze`` (every importer, every product): the latest year's
  indicators, single-source bands, composite score, plain-language reasons,
  change against the previous year, ranking. It does more than the baseline.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import emit, machine_notes, reset_peak_rss, run_child, run_script, summarise, table  # noqa: E402

MODES = {
    "pandas": "pandas groupby (baseline)",
    "metrics": "scrisk metrics (concentration)",
    "analyze": "scrisk analyze (all importers/products)",
}


def canonical_cache(data: Path) -> Path:
    """Return the canonical Parquet cache of a generated file, building it when missing.

    Built with scrisk's reader when it is importable (the path the CLI takes),
    else with pandas and the release country table beside the file.
    """
    cache = data.parent / "canonical.parquet"
    if cache.exists() and cache.stat().st_mtime >= data.stat().st_mtime:
        return cache
    import pandas as pd

    if importlib.util.find_spec("scrisk.countries") is not None:
        from scrisk.io import ReadOptions, read_flows

        frame = read_flows([data], ReadOptions()).frame
    else:
        from scrisk.schema import make_flow_table

        codes = pd.read_csv(data.parent / "country_codes_V202601.csv", keep_default_na=False)
        iso = dict(zip(codes["country_code"], codes["country_iso3"].replace({"S19": "TWN"})))
        raw = pd.read_csv(data, dtype={"k": str}, na_values=["NA"], skipinitialspace=True)
        frame = make_flow_table(pd.DataFrame({
            "year": raw["t"], "exporter": raw["i"].map(iso), "importer": raw["j"].map(iso),
            "hs": raw["k"].str.zfill(6), "value_usd": raw["v"] * 1000.0, "qty_kg": raw["q"] * 1000.0,
        })).frame
    tmp = cache.with_suffix(".parquet.part")
    frame.to_parquet(tmp, index=False)
    tmp.replace(cache)
    return cache


def baseline(df):
    """Plain pandas: the concentration figures per (year, importer, hs), joined with world export figures."""
    f = df[df["value_usd"] > 0]

    def conc(keys, who, prefix):
        g = f.groupby([*keys, who], observed=True)["value_usd"].sum().reset_index()
        g["share"] = g["value_usd"] / g.groupby(keys, observed=True)["value_usd"].transform("sum")
        g["sq"] = g["share"] ** 2
        top = g.loc[g.groupby(keys, observed=True)["value_usd"].idxmax(), [*keys, who, "share"]]
        agg = g.groupby(keys, observed=True).agg(
            value=("value_usd", "sum"), n=(who, "size"), hhi=("sq", "sum")
        ).reset_index()
        out = agg.merge(top, on=keys)
        return out.rename(columns={"value": f"{prefix}value_usd", "n": f"{prefix}n", "hhi": f"{prefix}hhi",
                                   who: f"{prefix}top", "share": f"{prefix}top_share"})

    imp = conc(["year", "importer", "hs"], "exporter", "")
    world = conc(["year", "hs"], "exporter", "world_")
    return imp.merge(world, on=["year", "hs"], how="left")


def child(mode: str, cache: str, rows_in: int) -> None:
    """Run one measurement (in a fresh process) and print its JSON line."""
    import pandas as pd

    from scrisk.schema import FLOW_DTYPES, FlowMeta, FlowTable

    frame = pd.read_parquet(cache).astype(FLOW_DTYPES)
    years = tuple(sorted(int(y) for y in frame["year"].unique()))
    import gc

    gc.collect()
    before = reset_peak_rss()  # the peak the parent reads now covers the measured call only
    t0 = time.perf_counter()
    if mode == "pandas":
        out = baseline(frame)
    elif mode == "metrics":
        from scrisk.metrics.concentration import import_concentration, world_export_concentration

        out = import_concentration(frame).merge(world_export_concentration(frame), on=["year", "hs"], how="left")
    else:
        from scrisk.analysis import analyze

        # the cache holds an already validated canonical frame: wrap it without re-validating
        table_ = FlowTable(frame=frame, meta=FlowMeta(source_format="baci", hs_revision="HS2017", years=years))
        out = analyze(table_).rows
    seconds = time.perf_counter() - t0
    emit({"seconds": seconds, "rows_in": rows_in, "rows_out": len(out), "rss_before_mb": before})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Benchmark scrisk's analysis against a plain pandas groupby.")
    ap.add_argument("--rows", type=int, default=10_000_000, help="rows of the generated file (generated if missing)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--repeat", type=int, default=1, help="runs per mode (median time, largest peak RSS)")
    ap.add_argument("--modes", default=",".join(MODES), help="comma-separated subset of " + ",".join(MODES))
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--cache", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--rows-in", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child == "prepare":
        from generate import ensure_dataset

        canonical_cache(ensure_dataset(args.rows, args.seed))
        return 0
    if args.child:
        child(args.child, args.cache, args.rows_in)
        return 0

    from generate import DATA_NAME, dataset_dir

    t0 = time.perf_counter()
    # generate and convert in a child: the parent stays small (children inherit its RSS high-water mark)
    run_script(Path(__file__), ["--child", "prepare", "--rows", str(args.rows), "--seed", str(args.seed)])
    cache = canonical_cache(dataset_dir(args.rows, args.seed) / DATA_NAME)
    print(f"data: {cache} (ready in {time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    import pyarrow.parquet as pq

    rows_in = pq.ParquetFile(cache).metadata.num_rows
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = set(modes) - set(MODES)
    if unknown:
        ap.error(f"unknown modes {sorted(unknown)}; choose from {', '.join(MODES)}")
    if "analyze" in modes and importlib.util.find_spec("scrisk.analysis") is None:
        print("scrisk.analysis is not available: measuring the concentration metrics only", file=sys.stderr)
        modes.remove("analyze")
    if "pandas" not in modes:
        modes.insert(0, "pandas")
    runs: dict[str, list] = {mode: [] for mode in modes}
    for _ in range(args.repeat):  # interleaved, so a change in machine load hits every mode alike
        for mode in modes:
            r = run_child(Path(__file__), mode, ["--cache", str(cache), "--rows-in", str(rows_in)])
            r.mode = MODES[mode]
            runs[mode].append(r)
            print(f"  {r.mode}: {r.seconds:.2f} s, peak RSS {r.peak_rss_mb:,.0f} MB", file=sys.stderr)
    results = [summarise(runs[mode]) for mode in modes]
    print(table(results, results[0], title=f"Analyze benchmark: {rows_in:,} flows (median of {args.repeat}; "
                "rows/s = input flows per second; peak RSS from the start of the call, "
                "which begins with the loaded table: RSS before; added = peak - before)"))
    print(machine_notes())
    return 0


if __name__ == "__main__":
    sys.exit(main())
