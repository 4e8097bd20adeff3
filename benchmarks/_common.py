"""Shared plumbing of the benchmarks: run one measurement in a fresh process, read its peak RSS.

Every measurement runs in its own child interpreter (``python <script> --child
MODE ...``) so its peak resident set size is its own. The child prints one
JSON line: ``{"seconds": ..., "rows_in": ..., "rows_out": ..., "peak_rss_mb":
...}``, timing only the measured call (imports and set-up excluded).

Peak RSS: on Linux the child resets its high-water mark just before the
measured call (``/proc/self/clear_refs``) and reports ``VmHWM`` after it, so
set-up (imports, loading an input table) never counts beyond the RSS it left
behind. Elsewhere the parent falls back to ``ru_maxrss`` of that one child
from ``os.wait4``. (``ru_maxrss`` alone is not enough on Linux: a child
inherits its parent's high-water mark through fork and exec.)
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass
class Run:
    """The result of one measurement in a child process."""

    mode: str
    seconds: float
    rows_in: int
    rows_out: int
    peak_rss_mb: float
    extra: dict


def run_child(script: Path, mode: str, args: list[str]) -> Run:
    """Run ``script --child mode args...`` in a fresh interpreter; return its timing and peak RSS."""
    cmd = [sys.executable, str(script), "--child", mode, *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{mode}: child exited {proc.returncode}")
    data = json.loads(out.strip().splitlines()[-1])
    peak_mb = data.pop("peak_rss_mb", None)
    if peak_mb is None:
        peak_kb = usage.ru_maxrss  # kilobytes on Linux
        if sys.platform == "darwin":  # bytes on macOS
            peak_kb /= 1024
        peak_mb = peak_kb / 1024
    return Run(
        mode=mode,
        seconds=float(data.pop("seconds")),
        rows_in=int(data.pop("rows_in")),
        rows_out=int(data.pop("rows_out")),
        peak_rss_mb=float(peak_mb),
        extra=data,
    )


def _status_mb(field: str) -> float | None:
    """A ``VmRSS``/``VmHWM`` figure of this process from /proc (Linux), in MB; None elsewhere."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def reset_peak_rss() -> float | None:
    """Reset this process's peak RSS to its current RSS (Linux ``clear_refs``); return that RSS in MB.

    After the reset the kernel's high-water mark, and so the ``ru_maxrss`` the
    parent reads, covers only what follows: the measured call, not the set-up
    (e.g. loading the input table). Returns None when the reset is not
    available, in which case the peak covers the whole process.
    """
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return None
    return _status_mb("VmRSS")


def emit(result: dict) -> None:
    """Print a child's JSON result line (the parent reads the last line of stdout).

    Adds the child's peak RSS since the last :func:`reset_peak_rss` when /proc
    tells it; drops an ``rss_before_mb`` of None (no reset on this system).
    """
    if result.get("rss_before_mb", 0) is None:
        del result["rss_before_mb"]
    if "rss_before_mb" in result:
        peak = _status_mb("VmHWM")
        if peak is not None:
            result["peak_rss_mb"] = peak
    print(json.dumps(result), flush=True)


def run_script(script: Path, args: list[str]) -> None:
    """Run a set-up step (generate data, build a cache) in a child, so the parent stays small."""
    subprocess.run([sys.executable, str(script), *args], check=True)


def summarise(runs: list[Run]) -> Run:
    """Median time and the largest peak RSS over repeats of one mode."""
    first = runs[0]
    return Run(
        mode=first.mode,
        seconds=statistics.median(r.seconds for r in runs),
        rows_in=first.rows_in,
        rows_out=first.rows_out,
        peak_rss_mb=max(r.peak_rss_mb for r in runs),
        extra=first.extra,
    )


def machine_notes() -> str:
    """One line about the machine and library versions."""
    import numpy
    import pandas
    import pyarrow

    try:
        mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        mem_gb = float("nan")
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, {mem_gb:.0f} GiB RAM; "
        f"Python {platform.python_version()}, pandas {pandas.__version__}, pyarrow {pyarrow.__version__}, "
        f"numpy {numpy.__version__}"
    )


def table(runs: list[Run], baseline: Run, *, title: str) -> str:
    """A plain-text table: time, rows/s, peak RSS and ratios against the baseline."""
    lines = [title, ""]
    before = all("rss_before_mb" in r.extra for r in runs)
    head = f"{'mode':<40} {'rows in':>11} {'rows out':>11} {'time s':>8} {'rows/s':>12} {'peak RSS MB':>12} "
    if before:
        head += f"{'RSS before MB':>14} {'added MB':>9} "
    head += f"{'time/base':>10} {'RSS/base':>9}"
    if before:
        head += f" {'added/base':>11}"
    lines += [head, "-" * len(head)]
    for r in runs:
        rate = r.rows_in / r.seconds if r.seconds > 0 else float("inf")
        line = f"{r.mode:<40} {r.rows_in:>11,} {r.rows_out:>11,} {r.seconds:>8.2f} {rate:>12,.0f} {r.peak_rss_mb:>12,.0f} "
        if before:
            line += f"{r.extra['rss_before_mb']:>14,.0f} {added(r):>9,.0f} "
        line += f"{r.seconds / baseline.seconds:>9.2f}x {r.peak_rss_mb / baseline.peak_rss_mb:>8.2f}x"
        if before:
            line += f" {added(r) / max(added(baseline), 1e-9):>10.2f}x"
        lines.append(line)
    return "\n".join(lines)


def added(r: Run) -> float:
    """Peak RSS of the measured call above the RSS it started from, in MB."""
    return r.peak_rss_mb - float(r.extra.get("rss_before_mb", 0.0))
