"""Helpers shared by the policy and check/diff CLI tests: an in-process CLI runner and independent pandas measures.

The measures here are computed with plain pandas, without scrisk's metric code, so tests can compare scrisk's
results with an independent computation.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
from cli_helpers import run  # noqa: E402,F401  (re-exported: one in-process CLI runner for every CLI test)

ATLAS_READ = ["--columns", "exporter=i,importer=j,hs=cmd,value=value", "--value-unit", "usd"]
"""Reader options for the atlas extracts baci_2022.csv / baci_2024.csv (tidy i,j,cmd,value in USD, no year)."""


def atlas_flows(atlas: Path, year: int) -> pd.DataFrame:
    """Read baci_<year>.csv with pandas: columns exporter, importer, hs, value (Taiwan S19 -> TWN)."""
    df = pd.read_csv(atlas / f"baci_{year}.csv", dtype={"i": str, "j": str, "cmd": str}, keep_default_na=False)
    df = df.rename(columns={"i": "exporter", "j": "importer", "cmd": "hs"})
    for c in ("exporter", "importer"):
        df[c] = df[c].replace("S19", "TWN")
    return df[df["value"] > 0]


def pair_table(df: pd.DataFrame) -> pd.DataFrame:
    """Per (importer, hs): value, n_suppliers, top_supplier, top_share, hhi -- plain pandas."""
    g = df.groupby(["importer", "hs", "exporter"])["value"].sum().reset_index()
    g["total"] = g.groupby(["importer", "hs"])["value"].transform("sum")
    g["share"] = g["value"] / g["total"]
    g = g.sort_values(["importer", "hs", "value", "exporter"], ascending=[True, True, False, True])
    out = g.groupby(["importer", "hs"]).agg(
        value=("value", "sum"),
        n_suppliers=("exporter", "size"),
        top_supplier=("exporter", "first"),
        top_share=("share", "first"),
        hhi=("share", lambda s: float((s * s).sum())),
    )
    return out


def world_hhi(df: pd.DataFrame) -> pd.Series:
    """HHI of world exports per hs -- plain pandas."""
    e = df.groupby(["hs", "exporter"])["value"].sum()
    s = e / e.groupby(level=0).transform("sum")
    return (s * s).groupby(level=0).sum()


def suppliers(df: pd.DataFrame, importer: str, hs: str) -> set[str]:
    """Exporters with positive exports to ``importer`` of ``hs``."""
    m = (df["importer"] == importer) & (df["hs"] == hs) & (df["value"] > 0)
    return set(df.loc[m, "exporter"])


def line_of(text: str, needle: str) -> int:
    """1-based number of the first line containing ``needle``."""
    for i, ln in enumerate(text.splitlines(), start=1):
        if needle in ln:
            return i
    raise AssertionError(f"{needle!r} not in text")
