"""Write examples/ci/monthly_customs.csv: an illustrative monthly customs file for the monthly CI workflow.

The rows are derived from the bundled example (examples/example_flows.csv, rounded from CEPII BACI HS17 2024) --
the 2024 flows of the products Korea's watch list follows -- spread over 18 months (2024-01 .. 2025-06) with a
fixed seasonal pattern, so that the file has the shape of a monthly customs release (a YYYYMM period column).
The figures are not real monthly statistics. One change is written in on purpose: from 2025-05 Korea buys
its 811292 (gallium, germanium...) almost only from China, which the month-on-month diff and the policy catch.

    python examples/ci/make_monthly_example.py      # rewrites examples/ci/monthly_customs.csv (deterministic)
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
WATCHED = ["281111", "370790", "392099", "811292", "283691", "250490", "850511"]
MONTHS = [(2024, m) for m in range(1, 13)] + [(2025, m) for m in range(1, 7)]


def main() -> None:
    f = pd.read_csv(HERE.parent / "example_flows.csv", dtype={"hs": str})
    f = f[(f["year"] == 2024) & f["hs"].isin(WATCHED)]
    rows = []
    for k, (y, m) in enumerate(MONTHS):
        season = 1.0 + 0.2 * math.sin(2 * math.pi * (m - 1) / 12)
        growth = 1.0 + 0.01 * k
        for r in f.itertuples(index=False):
            v = r.value_usd / 12 * season * growth
            if (y, m) >= (2025, 5) and r.importer == "KOR" and r.hs == "811292":
                v = v * 3.0 if r.exporter == "CHN" else v * 0.1
            rows.append((f"{y}{m:02d}", r.exporter, r.importer, r.hs, int(round(v, -2))))
    out = pd.DataFrame(rows, columns=["period", "exporter", "importer", "hs", "value_usd"])
    out = out[out["value_usd"] > 0]
    out.to_csv(HERE / "monthly_customs.csv", index=False)
    print(f"monthly_customs.csv: {len(out)} rows, {out['period'].min()} .. {out['period'].max()}")


if __name__ == "__main__":
    main()
