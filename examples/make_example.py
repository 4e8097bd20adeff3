"""Build examples/example_flows.csv, the dataset ``scrisk analyze`` runs on when no FILE is given.

The committed CSV is the output of this script::

    python examples/make_example.py                       # realdata at ../shared/realdata
    python examples/make_example.py --realdata DIR --out examples/example_flows.csv

Two parts, both described row group by row group in examples/README.md:

1. **Derived from CEPII BACI HS17 release V202601** (years 2022 and 2024, the
   ``baci-critmat-atlas`` extract): for a selection of importers and products,
   the largest suppliers of each (year, importer, product) until they cover
   97 % of its value (at most 10 suppliers; flows under US$10,000 dropped),
   values and quantities rounded to two significant figures. Taiwan (BACI
   ``S19``, "Other Asia, nes") is written as ``TWN``. BACI quantities exist for
   2024 only in the extract, so 2022 rows leave ``qty_kg`` empty.
2. **Hand-entered rounded figures** for codes the extract lacks (sobejang:
   281111, 370790, 392099, 848620), in :data:`HAND_ENTERED` below, each group
   tagged with the source it rests on. Rows tagged ``illustrative`` are
   approximations of the order of magnitude and supplier structure, not
   statistics.

Without the real data the script cannot rebuild part 1 and stops with a
message; the committed CSV stays as it is.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
DEFAULT_REALDATA = REPO.parent / "shared" / "realdata"
DEFAULT_OUT = Path(__file__).resolve().parent / "example_flows.csv"

YEARS = (2022, 2024)
IMPORTERS = ("KOR", "JPN", "USA", "DEU", "CHN", "TWN", "NLD", "FRA", "IND", "VNM", "GBR", "ITA")
PRODUCTS = {
    "811292": "gallium, germanium and other minor metals (bundle)",
    "280469": "silicon (< 99.99 % Si)",
    "283691": "lithium carbonate",
    "282200": "cobalt oxides and hydroxides",
    "250490": "natural graphite (other than powder or flakes)",
    "850511": "permanent magnets of metal",
    "810411": "unwrought magnesium (>= 99.8 % Mg)",
    "811010": "unwrought antimony; powders",
    "810194": "unwrought tungsten",
    "750210": "unwrought nickel, not alloyed",
    "280429": "rare gases other than argon (neon, krypton, xenon, helium)",
    "720293": "ferro-niobium",
}
COVER = 0.97  # keep the largest suppliers until they cover this share of the pair's value
MAX_SUPPLIERS = 10
MIN_VALUE_USD = 10_000.0
BACI_TO_ISO3 = {"S19": "TWN"}  # BACI "Other Asia, nes" (code 490) is Taiwan

CANONICAL = ["year", "exporter", "importer", "hs", "value_usd", "qty_kg"]

# Hand-entered groups: (source tag, year, importer, hs, {exporter: value_usd}).
# Source tags are explained in examples/README.md. Values in USD, already rounded.
HAND_ENTERED: list[tuple[str, int, str, str, dict[str, float]]] = [
    # Hydrogen fluoride. 2022: JPN ~US$7.8m and 7.7 % (KITA), CHN ~78 % (MOTIE, Jan-Jul 2022);
    # TWN/USA/DEU split illustrative. 2024: illustrative partial recovery of Japan after the 2023 rollback.
    ("hf-2022", 2022, "KOR", "281111",
     {"CHN": 78e6, "TWN": 9.0e6, "JPN": 7.8e6, "USA": 4.2e6, "DEU": 1.0e6}),
    ("illustrative-hf-2024", 2024, "KOR", "281111",
     {"CHN": 58e6, "JPN": 23e6, "TWN": 5.0e6, "USA": 3.5e6, "DEU": 0.9e6}),
    # Photoresist (electronic-grade HSK lines). 2022: Japan 77.4 % (KITA); total and split illustrative.
    ("resist-2022", 2022, "KOR", "370790",
     {"JPN": 320e6, "BEL": 45e6, "USA": 30e6, "CHN": 8.0e6, "TWN": 7.0e6, "DEU": 5.0e6}),
    ("illustrative-resist-2024", 2024, "KOR", "370790",
     {"JPN": 350e6, "BEL": 50e6, "USA": 35e6, "CHN": 12e6, "TWN": 8.0e6, "DEU": 5.0e6}),
    # Fluorinated polyimide (HSK line within 392099). 2022: Japan 33.3 % (KITA); total and split illustrative.
    ("polyimide-2022", 2022, "KOR", "392099",
     {"JPN": 10e6, "CHN": 9.0e6, "USA": 6.0e6, "TWN": 3.0e6, "DEU": 2.0e6}),
    ("illustrative-polyimide-2024", 2024, "KOR", "392099",
     {"CHN": 10e6, "JPN": 9.0e6, "USA": 5.0e6, "TWN": 2.5e6, "DEU": 1.5e6}),
    # Semiconductor device manufacturing machines. KOR 2022: NLD+JPN+USA ~71 % (KDI/RISS study);
    # magnitudes and all other groups illustrative.
    ("equipment-kor-2022", 2022, "KOR", "848620",
     {"NLD": 5.5e9, "JPN": 4.5e9, "USA": 3.5e9, "SGP": 2.5e9, "CHN": 1.2e9, "DEU": 0.9e9,
      "GBR": 0.5e9, "ISR": 0.4e9}),
    ("illustrative-equipment", 2024, "KOR", "848620",
     {"NLD": 5.5e9, "JPN": 3.8e9, "USA": 3.0e9, "SGP": 2.2e9, "CHN": 1.2e9, "DEU": 0.7e9,
      "GBR": 0.3e9, "ISR": 0.3e9}),
    ("illustrative-equipment", 2022, "CHN", "848620",
     {"JPN": 8.5e9, "USA": 4.5e9, "NLD": 4.0e9, "SGP": 2.8e9, "KOR": 2.0e9, "DEU": 0.8e9,
      "TWN": 0.6e9, "GBR": 0.3e9}),
    ("illustrative-equipment", 2024, "CHN", "848620",
     {"JPN": 12e9, "NLD": 10e9, "SGP": 4.5e9, "USA": 3.0e9, "KOR": 3.0e9, "DEU": 1.0e9,
      "TWN": 0.5e9, "GBR": 0.3e9}),
    ("illustrative-equipment", 2022, "TWN", "848620",
     {"NLD": 6.0e9, "JPN": 5.0e9, "USA": 5.0e9, "SGP": 2.0e9, "KOR": 0.8e9, "DEU": 0.6e9,
      "CHN": 0.3e9}),
    ("illustrative-equipment", 2024, "TWN", "848620",
     {"NLD": 5.0e9, "JPN": 4.5e9, "USA": 3.5e9, "SGP": 1.8e9, "KOR": 0.6e9, "DEU": 0.5e9,
      "CHN": 0.4e9}),
    ("illustrative-equipment", 2022, "USA", "848620",
     {"JPN": 2.0e9, "NLD": 1.5e9, "KOR": 0.8e9, "SGP": 0.7e9, "DEU": 0.4e9, "TWN": 0.4e9,
      "CHN": 0.3e9, "GBR": 0.3e9}),
    ("illustrative-equipment", 2024, "USA", "848620",
     {"JPN": 2.4e9, "NLD": 1.9e9, "KOR": 0.9e9, "SGP": 0.8e9, "DEU": 0.5e9, "TWN": 0.5e9,
      "CHN": 0.2e9, "GBR": 0.3e9}),
    ("illustrative-equipment", 2022, "JPN", "848620",
     {"NLD": 1.2e9, "USA": 1.0e9, "KOR": 0.3e9, "SGP": 0.2e9, "DEU": 0.2e9, "CHN": 0.1e9}),
    ("illustrative-equipment", 2024, "JPN", "848620",
     {"NLD": 1.6e9, "USA": 1.1e9, "KOR": 0.3e9, "SGP": 0.2e9, "DEU": 0.2e9, "CHN": 0.1e9}),
]


def round_sig(x: float, digits: int = 2) -> float:
    """Round a positive number to ``digits`` significant figures (0 and NaN pass through).

    >>> round_sig(36_312_345.0), round_sig(0.0), round_sig(987.0)
    (36000000.0, 0.0, 990.0)
    """
    if x is None or not math.isfinite(x) or x == 0:
        return x
    return float(round(x, digits - 1 - int(math.floor(math.log10(abs(x))))))


def _baci_year(atlas: Path, year: int) -> pd.DataFrame:
    """One year of the BACI extract as exporter, importer, hs, value_usd, qty_kg."""
    if year == 2024:
        t = pd.read_parquet(atlas / "trade.parquet")
        df = pd.DataFrame({
            "exporter": t["exporter"].astype(str),
            "importer": t["importer"].astype(str),
            "hs": t["hs6"].astype(str).str.zfill(6),
            "value_usd": t["value_kusd"].astype(float) * 1000.0,
            "qty_kg": t["qty_t"].astype(float) * 1000.0,
        })
    else:
        # keep_default_na=False: "NAM" and friends stay strings; no quantities in this file.
        t = pd.read_csv(atlas / f"baci_{year}.csv", dtype={"cmd": str}, keep_default_na=False)
        df = pd.DataFrame({
            "exporter": t["i"].astype(str),
            "importer": t["j"].astype(str),
            "hs": t["cmd"].str.zfill(6),
            "value_usd": t["value"].astype(float),
            "qty_kg": float("nan"),
        })
    df["exporter"] = df["exporter"].replace(BACI_TO_ISO3)
    df["importer"] = df["importer"].replace(BACI_TO_ISO3)
    df.insert(0, "year", year)
    return df


def derived_rows(atlas: Path) -> pd.DataFrame:
    """Part 1: the largest suppliers of each selected (year, importer, product), rounded."""
    parts = []
    for year in YEARS:
        df = _baci_year(atlas, year)
        df = df[df["importer"].isin(IMPORTERS) & df["hs"].isin(PRODUCTS.keys())]
        df = df.sort_values(["importer", "hs", "value_usd", "exporter"], ascending=[True, True, False, True])
        key = ["importer", "hs"]
        total = df.groupby(key)["value_usd"].transform("sum")
        covered_before = (df.groupby(key)["value_usd"].cumsum() - df["value_usd"]) / total
        rank = df.groupby(key).cumcount()
        keep = (covered_before < COVER) & (rank < MAX_SUPPLIERS) & (df["value_usd"] >= MIN_VALUE_USD)
        parts.append(df[keep])
    out = pd.concat(parts, ignore_index=True)
    out["value_usd"] = out["value_usd"].map(round_sig)
    out["qty_kg"] = out["qty_kg"].map(round_sig)
    return out


def hand_rows() -> pd.DataFrame:
    """Part 2: the hand-entered sobejang groups of :data:`HAND_ENTERED`."""
    rows = [
        (year, exporter, importer, hs, round_sig(value), float("nan"))
        for _tag, year, importer, hs, by_exporter in HAND_ENTERED
        for exporter, value in by_exporter.items()
    ]
    return pd.DataFrame(rows, columns=CANONICAL)


def build(realdata: Path) -> pd.DataFrame:
    """Return the example frame (canonical columns, sorted)."""
    atlas = realdata / "baci-critmat-atlas"
    if not atlas.is_dir():
        raise FileNotFoundError(
            f"{atlas} not found: the BACI extract is needed to rebuild the example; "
            "pass --realdata DIR (the committed examples/example_flows.csv is unchanged)"
        )
    df = pd.concat([derived_rows(atlas), hand_rows()], ignore_index=True)[CANONICAL]
    if df.duplicated(["year", "exporter", "importer", "hs"]).any():
        raise ValueError("duplicate (year, exporter, importer, hs) keys in the example")
    if (df["exporter"] == df["importer"]).any():
        raise ValueError("self-trade row in the example")
    return df.sort_values(
        ["year", "importer", "hs", "value_usd", "exporter"], ascending=[True, True, True, False, True]
    ).reset_index(drop=True)


def write(df: pd.DataFrame, out: Path) -> None:
    """Write the tidy CSV: integer USD and kg, empty qty when unknown, HS as 6-digit text."""
    text = df.copy()
    text["value_usd"] = text["value_usd"].map(lambda v: f"{v:.0f}")
    text["qty_kg"] = text["qty_kg"].map(lambda v: "" if pd.isna(v) else f"{v:.0f}")
    text.to_csv(out, index=False, lineterminator="\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--realdata", type=Path, default=DEFAULT_REALDATA, help="folder holding baci-critmat-atlas/")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="CSV to write")
    args = ap.parse_args(argv)
    try:
        df = build(args.realdata)
    except FileNotFoundError as exc:
        print(f"make_example: {exc}", file=sys.stderr)
        return 3
    write(df, args.out)
    n_hand = sum(len(g[4]) for g in HAND_ENTERED)
    print(f"wrote {args.out}: {len(df)} rows ({len(df) - n_hand} from BACI, {n_hand} hand-entered), "
          f"years {sorted(df['year'].unique().tolist())}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
