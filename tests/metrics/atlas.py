"""Build canonical flow tables from the real-data BACI extract (baci-critmat-atlas) with plain pandas.

The files have columns ``i,j,cmd,value`` (ISO3 exporter/importer, HS6, USD)
and no year column; Taiwan is ``S19``. Tests build the FlowTable here (not
through scrisk's readers) so that metric tests do not depend on the readers.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from scrisk.schema import FlowMeta, FlowTable, make_flow_table


def raw_atlas(atlas: Path, year: int) -> pd.DataFrame:
    """Return ``baci_<year>.csv`` as read by pandas (HS as text), untouched."""
    return pd.read_csv(atlas / f"baci_{year}.csv", dtype={"i": str, "j": str, "cmd": str, "value": float},
                       keep_default_na=False)


def atlas_table(atlas: Path, years=(2022, 2024)) -> FlowTable:
    """Return the canonical flow table of the given atlas years (S19 -> TWN)."""
    frames = []
    for y in years:
        d = raw_atlas(atlas, y)
        frames.append(pd.DataFrame({
            "year": y,
            "exporter": d["i"].replace({"S19": "TWN"}),
            "importer": d["j"].replace({"S19": "TWN"}),
            "hs": d["cmd"].str.zfill(6),
            "value_usd": d["value"],
        }))
    meta = FlowMeta(source_format="tidy", hs_revision="HS2017",
                    inputs=tuple(str(atlas / f"baci_{y}.csv") for y in years))
    return make_flow_table(pd.concat(frames, ignore_index=True), meta=meta)
