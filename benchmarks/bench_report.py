"""Time `scrisk report` on BACI 2024 for Korea (issue acceptance: under 5 s, at most 5 MB), whole processes.

    python benchmarks/bench_report.py [--repeat 5]

Needs ../shared/realdata/baci-critmat-atlas beside the clone. The chart bundle is built once per installed
version and cached; one priming run is made first and reported separately.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ATLAS = REPO.parent / "shared" / "realdata" / "baci-critmat-atlas"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    if not (ATLAS / "baci_2024.csv").is_file():
        print(f"{ATLAS} not found", file=sys.stderr)
        return 3
    out = Path(tempfile.mkdtemp()) / "kor.html"
    cmd = [sys.executable, "-m", "scrisk", "report", str(ATLAS / "baci_2024.csv"), "--year", "2024", "--importer", "KOR",
           "--scenario", str(REPO / "examples" / "scenarios" / "china_gallium_germanium_2023.toml"), "-o", str(out)]
    times = []
    for k in range(args.repeat + 1):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        (times.append(time.perf_counter() - t0) if k else print(f"priming run {time.perf_counter() - t0:.2f} s"))
    print(f"scrisk report BACI 2024 KOR: median {statistics.median(times):.2f} s over {len(times)} runs, "
          f"{out.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
