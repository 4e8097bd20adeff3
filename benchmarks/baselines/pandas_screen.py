"""Baseline: the full screen (every importer x every product) in plain pandas, to CSV.

    python benchmarks/baselines/pandas_screen.py BACI.csv -o screen.csv

What an analyst would write with pandas for ``scrisk analyze FILE -f csv -o
OUT.csv``: ``read_csv`` of the BACI file(s), codes mapped to ISO3 through the
release ``country_codes_V*.csv`` beside the data (490 -> TWN), HS codes
zero-padded, USD and kg; ``groupby`` for the same columns as
``duckdb_screen.py`` (import side for the latest and previous loaded year,
world side for the latest), merged, scored, ranked, ``to_csv``.

Prints one JSON line to stdout: rows written and the output path.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

MIN_IMPORT_USD = 10_000_000.0
K3 = ["year", "importer", "hs"]


def codes_path(first: Path) -> Path:
    """The release country table beside the data (``country_codes_V*.csv``)."""
    found = sorted(first.parent.glob("country_codes_V*.csv"))
    if not found:
        raise SystemExit(f"{first.parent}: no country_codes_V*.csv beside the data; pass --codes")
    return found[-1]


def read_flows(inputs: list[Path], codes: Path | None = None) -> pd.DataFrame:
    """Read BACI CSV(s) into a canonical flow frame."""
    table = pd.read_csv(codes or codes_path(inputs[0]), keep_default_na=False)
    iso = table["country_iso3"].where(~table["country_iso3"].isin(["S19", "N/A"]) & (table["country_code"] != 490),
                                      "TWN")
    iso = dict(zip(table["country_code"], iso))
    raw = pd.concat([pd.read_csv(p, dtype={"k": str}, na_values=["NA"], skipinitialspace=True) for p in inputs],
                    ignore_index=True)
    return pd.DataFrame({
        "year": raw["t"],
        "exporter": raw["i"].map(iso),
        "importer": raw["j"].map(iso),
        "hs": raw["k"].str.zfill(6),
        "value_usd": raw["v"] * 1000,
        "qty_kg": raw["q"] * 1000,
    })


def concentration(pair: pd.DataFrame, keys: list[str], who: str) -> pd.DataFrame:
    """Total, count, top (ties to the smaller code) and share, HHI of ``who`` per ``keys``."""
    g = pair.groupby(keys)["value_usd"]
    total = g.transform("sum")
    share = pair["value_usd"] / total
    agg = pair.assign(sq=share ** 2).groupby(keys).agg(
        total=("value_usd", "sum"), n=(who, "size"), hhi=("sq", "sum")).reset_index()
    # rows are sorted by keys and `who` (groupby output), so idxmax's first maximum is the smallest code
    top = pair.loc[g.idxmax(), [*keys, who, "value_usd"]].rename(columns={who: "top", "value_usd": "top_v"})
    out = agg.merge(top, on=keys)
    out["top_share"] = out["top_v"] / out["total"]
    return out.drop(columns="top_v")


def screen(flows: pd.DataFrame, min_import_usd: float = MIN_IMPORT_USD) -> pd.DataFrame:
    """The ranked screen of the latest year (see the module docstring)."""
    f = flows[flows["value_usd"] > 0]
    latest = int(f["year"].max())
    earlier = f.loc[f["year"] < latest, "year"]
    prev = int(earlier.max()) if len(earlier) else None
    f = f[f["year"] >= (prev if prev is not None else latest)]
    pair = f.groupby(["year", "importer", "exporter", "hs"], as_index=False)["value_usd"].sum()

    imp = concentration(pair, K3, "exporter").rename(columns={
        "total": "import_value_usd", "n": "n_suppliers", "top": "top_supplier"})
    ex = pair[pair["year"] == latest].groupby(["year", "exporter", "hs"], as_index=False)["value_usd"].sum()
    world = concentration(ex, ["year", "hs"], "exporter").rename(columns={
        "total": "world_export_value_usd", "n": "n_exporters", "top": "world_top_exporter",
        "top_share": "world_top_exporter_share", "hhi": "world_export_hhi"})

    cur = imp[imp["year"] == latest].merge(world, on=["year", "hs"])
    cur["effective_suppliers"] = 1.0 / cur["hhi"]
    ts = ex.rename(columns={"exporter": "top_supplier", "value_usd": "top_supplier_export"})
    cur = cur.merge(ts, on=["year", "top_supplier", "hs"], how="left")
    cur["top_supplier_world_share"] = cur["top_supplier_export"] / cur["world_export_value_usd"]
    own = ex.rename(columns={"exporter": "importer", "value_usd": "export_value_usd"})
    cur = cur.merge(own, on=["year", "importer", "hs"], how="left")
    cur["export_value_usd"] = cur["export_value_usd"].fillna(0.0)
    cur["import_export_ratio"] = np.where(cur["export_value_usd"] > 0,
                                          cur["import_value_usd"] / cur["export_value_usd"].where(
                                              cur["export_value_usd"] > 0, 1.0), 9999.0)
    ok = cur["import_value_usd"] >= min_import_usd
    cur["band"] = pd.Series(np.select([ok & (cur["top_share"] >= 0.9), ok & (cur["top_share"] >= 0.75),
                                       ok & (cur["top_share"] >= 0.5)], ["absolute", "high", "monitor"],
                                      default=""), index=cur.index).replace("", pd.NA)
    cur["score"] = (0.35 * cur["hhi"] + 0.25 * cur["top_share"] + 0.25 * cur["world_export_hhi"]
                    + 0.15 * cur["top_supplier_world_share"]) / 1.0

    # change against the previous loaded year
    cur["prev_year"] = pd.array([prev] * len(cur), dtype="Int64")
    if prev is not None:
        before = imp[imp["year"] == prev][["importer", "hs", "hhi", "top_share", "top_supplier"]].rename(
            columns={"hhi": "prev_hhi", "top_share": "prev_top_share", "top_supplier": "prev_top_supplier"})
        cur = cur.merge(before, on=["importer", "hs"], how="left")
        had = cur["prev_hhi"].notna()
        cur["delta_hhi"] = cur["hhi"] - cur["prev_hhi"]
        cur["delta_top_share"] = cur["top_share"] - cur["prev_top_share"]
        cur["top_supplier_changed"] = pd.Series(cur["top_supplier"] != cur["prev_top_supplier"],
                                                dtype="boolean").where(had, pd.NA)
        cur["new_import"] = pd.array(~had.to_numpy(), dtype="boolean")
    else:
        for c in ("prev_hhi", "delta_hhi", "delta_top_share"):
            cur[c] = np.nan
        cur["top_supplier_changed"] = pd.array([pd.NA] * len(cur), dtype="boolean")
        cur["new_import"] = pd.array([pd.NA] * len(cur), dtype="boolean")

    cur["_below"] = cur["import_value_usd"] < min_import_usd
    cur = cur.sort_values(["_below", "score", "import_value_usd", "importer", "hs"],
                          ascending=[True, False, False, True, True], kind="mergesort").reset_index(drop=True)
    cur.insert(0, "rank", np.arange(1, len(cur) + 1))
    return cur[["rank", "year", "importer", "hs", "import_value_usd", "n_suppliers", "top_supplier", "top_share",
                "hhi", "effective_suppliers", "world_export_value_usd", "n_exporters", "world_top_exporter",
                "world_top_exporter_share", "world_export_hhi", "top_supplier_world_share", "export_value_usd",
                "import_export_ratio", "band", "score", "prev_year", "prev_hhi", "delta_hhi", "delta_top_share",
                "top_supplier_changed", "new_import"]]


def run(inputs: list[Path], out: Path, *, codes: Path | None = None) -> int:
    """Compute the screen and write it to ``out`` (CSV); return the number of rows written."""
    result = screen(read_flows(inputs, codes))
    result.to_csv(out, index=False)
    return len(result)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="+", type=Path, help="BACI CSV file(s)")
    ap.add_argument("-o", "--output", type=Path, required=True, help="CSV to write")
    ap.add_argument("--codes", type=Path, default=None, help="release country table (default: beside the data)")
    args = ap.parse_args(argv)
    n = run(args.inputs, args.output, codes=args.codes)
    print(json.dumps({"rows_out": n, "output": str(args.output)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
