"""Benchmark: the shock engine (first-order and cascade) beside a plain pandas first-order computation.

    python benchmarks/bench_shock.py                       # real 2024 network (if present) + 5,000 generated products
    python benchmarks/bench_shock.py --rows 10000000 --repeat 3
    python benchmarks/bench_shock.py --networks synthetic

Networks:

* ``real`` -- the BACI HS17 2024 extract of ../shared/realdata (30 critical-material
  HS codes, ~21,700 flows, 182 exporters); skipped when absent.
* ``synthetic`` -- a network generated in-process with numpy by
  ``generate.generate_arrays`` (one year, ~200 countries, 5,000 HS6 products,
  Zipf/lognormal heavy tails, ``--rows`` flows).

The shock: China cuts all its exports of every product to everyone (cut 1),
the largest shock the network allows, so every product runs through the
cascade. Modes (each in a fresh interpreter; the network is built before the
clock starts and the peak RSS is reset, so both cover the measured call):

* ``pandas first-order`` -- the baseline: plain pandas ``groupby`` of the
  blocked flows and of all imports per (importer, hs), share = blocked / imports;
* ``scrisk none`` -- :func:`scrisk.scenario.engine.propagate` in ``none`` mode
  (the same figures, plus conservation checks);
* ``scrisk cascade`` -- the cascade with the defaults (headroom 0.10, no
  stock, tolerance 1e-12, at most 100 rounds).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import emit, machine_notes, reset_peak_rss, run_child, summarise, table  # noqa: E402

REAL = HERE.parent.parent / "shared" / "realdata" / "baci-critmat-atlas" / "baci_2024.csv"
MODES = {"pandas": "pandas first-order (baseline)", "none": "scrisk none (first-order)", "cascade": "scrisk cascade"}
RESTRICTED = "CHN"


def network(kind: str, rows: int, seed: int):
    """Return the flows of one year as a DataFrame (exporter, importer, hs, value_usd)."""
    import numpy as np
    import pandas as pd

    if kind == "real":
        d = pd.read_csv(REAL, dtype={"cmd": str, "i": str, "j": str}, keep_default_na=False)
        d = d.replace({"i": {"S19": "TWN"}, "j": {"S19": "TWN"}})
        return pd.DataFrame({"exporter": d["i"].astype("string"), "importer": d["j"].astype("string"),
                             "hs": d["cmd"].astype("string"), "value_usd": d["value"].astype(float)})
    from generate import generate_arrays

    cols, countries = generate_arrays(rows, seed=seed, years=(2024,), n_countries=200, n_products=5000)
    iso = dict(zip(countries["country_code"], countries["country_iso3"].replace({"S19": "TWN"})))
    codes = np.array([iso[c] for c in countries["country_code"]], dtype=object)
    pos = {c: k for k, c in enumerate(countries["country_code"])}
    idx_i = np.vectorize(pos.get)(cols["i"])
    idx_j = np.vectorize(pos.get)(cols["j"])
    return pd.DataFrame({
        "exporter": pd.array(codes[idx_i], dtype="string"),
        "importer": pd.array(codes[idx_j], dtype="string"),
        "hs": pd.array(np.char.zfill(cols["k"].astype(str), 6), dtype="string"),
        "value_usd": cols["v_milli"].astype(float),
    })


def baseline(flows, cut):
    """Plain pandas first-order exposure per (importer, hs)."""
    f = flows.assign(blocked=flows["value_usd"] * cut)
    g = f.groupby(["importer", "hs"], observed=True).agg(baseline_usd=("value_usd", "sum"),
                                                         shortfall_usd=("blocked", "sum")).reset_index()
    g["shortfall_share"] = g["shortfall_usd"] / g["baseline_usd"]
    return g.sort_values(["shortfall_share", "shortfall_usd"], ascending=False)


def child(mode: str, kind: str, rows: int, seed: int) -> None:
    """Run one measurement (in a fresh process) and print its JSON line."""
    import gc

    import numpy as np

    flows = network(kind, rows, seed)
    cut = np.where(flows["exporter"].to_numpy() == RESTRICTED, 1.0, 0.0)
    gc.collect()
    before = reset_peak_rss()
    t0 = time.perf_counter()
    extra: dict = {}
    if mode == "pandas":
        out = baseline(flows, cut)
    else:
        from scrisk.scenario.engine import propagate

        res = propagate(flows, cut, mode=mode)
        out = res.rows
        extra = {"rounds": max(res.iterations.values(), default=0), "products": len(res.iterations),
                 "conservation_error": res.conservation_error, "unresolved_usd": res.unresolved_usd,
                 "blocked_usd": float(sum(res.blocked_usd.values())), "shortfall_usd": float(out["shortfall_usd"].sum())}
    seconds = time.perf_counter() - t0
    result = {"seconds": seconds, "rows_in": len(flows), "rows_out": len(out), **extra}
    if before is not None:
        result["rss_before_mb"] = before
    emit(result)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Benchmark the shock engine against plain pandas first-order exposure.")
    ap.add_argument("--rows", type=int, default=5_000_000, help="flows of the generated network (default 5,000,000)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--repeat", type=int, default=1, help="runs per mode (median time, largest peak RSS)")
    ap.add_argument("--networks", default="real,synthetic", help="comma-separated: real, synthetic")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--kind", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        child(args.child, args.kind, args.rows, args.seed)
        return 0

    kinds = [k.strip() for k in args.networks.split(",") if k.strip()]
    if "real" in kinds and not REAL.is_file():
        print(f"{REAL} is absent: real network skipped", file=sys.stderr)
        kinds.remove("real")
    for kind in kinds:
        runs: dict[str, list] = {m: [] for m in MODES}
        for _ in range(args.repeat):
            for mode in MODES:
                r = run_child(Path(__file__), mode, ["--kind", kind, "--rows", str(args.rows), "--seed", str(args.seed)])
                r.mode = MODES[mode]
                runs[mode].append(r)
                print(f"  {kind} {r.mode}: {r.seconds:.2f} s, peak RSS {r.peak_rss_mb:,.0f} MB", file=sys.stderr)
        results = [summarise(runs[m]) for m in MODES]
        what = ("real BACI 2024, 30 HS codes" if kind == "real"
                else f"generated, 5,000 HS codes, ~200 countries, seed {args.seed}")
        print(table(results, results[0], title=f"Shock benchmark ({what}): {results[0].rows_in:,} flows, "
                    f"{RESTRICTED} cuts every product to everyone (median of {args.repeat}; peak RSS from the start "
                    "of the call: added = peak - RSS before)"))
        c = results[-1].extra
        print(f"cascade: {c['products']:,} products, up to {c['rounds']} rounds, blocked ${c['blocked_usd']:,.0f}, "
              f"shortfall ${c['shortfall_usd']:,.0f}, unresolved at the cap ${c['unresolved_usd']:,.0f}, "
              f"conservation error {c['conservation_error']:.1e}")
        print()
    print(machine_notes())
    return 0


if __name__ == "__main__":
    sys.exit(main())
