"""Baseline: a first-order export-restriction shock in plain pandas, to CSV.

    python benchmarks/baselines/pandas_shock.py BACI.csv --exporter CHN -o shock.csv
    python benchmarks/baselines/pandas_shock.py BACI.csv --exporter CHN --hs 01,02,...,97 -o shock.csv
    python benchmarks/baselines/pandas_shock.py BACI.csv --exporter CHN --hs-file codes.txt -o shock.csv

What an analyst would write with pandas for ``scrisk shock FILE --exporter CHN
[--hs CODES] --mode none -f csv -o OUT.csv``: ``read_csv`` of the BACI file
(codes mapped to ISO3 through the release ``country_codes_V*.csv`` beside the
data, HS codes zero-padded, USD), the restricted flows marked (exporter is
the restricting country and, with ``--hs``, the HS code starts with one of
the codes or prefixes), then one ``groupby`` per (importer, hs) of the
products in scope: imports, blocked value, share; ranked by the value lost;
``to_csv``.

Prints one JSON line to stdout: rows written and the output path.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from pandas_screen import read_flows  # noqa: E402  (the same read an analyst would write)


def first_order(flows: pd.DataFrame, exporter: str, codes: list[str] | None) -> pd.DataFrame:
    """Per (importer, hs) of the products in scope: imports, blocked value, shortfall share."""
    year = flows["year"].max()
    f = flows[flows["year"] == year]
    if codes:
        lengths = sorted({len(c) for c in codes})
        wanted = set(codes)
        in_scope = pd.Series(False, index=f.index)
        for n in lengths:
            in_scope |= f["hs"].str[:n].isin(wanted)
        f = f[in_scope]
    blocked = f["value_usd"].where(f["exporter"] == exporter, 0.0)
    g = f.assign(blocked=blocked).groupby(["importer", "hs"]).agg(
        baseline_usd=("value_usd", "sum"), shortfall_usd=("blocked", "sum")).reset_index()
    g["shortfall_share"] = g["shortfall_usd"] / g["baseline_usd"]
    return g.sort_values(["shortfall_usd", "shortfall_share", "importer", "hs"],
                         ascending=[False, False, True, True], kind="mergesort")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="+", type=Path)
    ap.add_argument("--exporter", required=True, help="the restricting country (ISO3)")
    ap.add_argument("--hs", default=None, help="comma-separated HS codes or prefixes (default: every product)")
    ap.add_argument("--hs-file", type=Path, default=None, help="a file of HS codes, comma- or line-separated")
    ap.add_argument("-o", "--output", type=Path, required=True)
    args = ap.parse_args(argv)
    text = args.hs or (args.hs_file.read_text() if args.hs_file else "")
    codes = [c.strip() for c in text.replace("\n", ",").split(",") if c.strip()] or None
    out = first_order(read_flows(args.inputs), args.exporter, codes)
    out.to_csv(args.output, index=False)
    print(json.dumps({"rows": int(len(out)), "output": str(args.output)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
