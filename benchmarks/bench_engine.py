"""Benchmark: scrisk's engine as whole processes against hand-written DuckDB SQL and plain pandas, in one run.

    python benchmarks/bench_engine.py                      # everything, 10M-row base size, median of 3
    python benchmarks/bench_engine.py --rows 200000        # a quick run on small data
    python benchmarks/bench_engine.py --suites screen,validate --repeat 5

Every measurement is one command run as its own process (a fresh interpreter,
the way a user runs it): wall time from start to exit, and the peak resident
set size of that child (``ru_maxrss`` from ``os.wait4``; KiB on Linux). The
harness itself imports nothing heavy, so the high-water mark a child can
inherit from it stays at a few tens of MB (printed in the notes). The OS page
cache cannot be cleared, so each suite first reads its input files once
(warm cache for every mode alike) and the modes run interleaved, ``--repeat``
rounds of each mode in turn; tables give the median time and the largest peak.
A scrisk command that fails (an option not there yet, a crash, a timeout) is
recorded with its error and the run goes on.

Suites (``--suites``; base size N = ``--rows``, default 10,000,000):

* ``screen``   -- one BACI-layout year of N rows: ``scrisk analyze FILE -f csv -o OUT.csv --no-cache`` (every
  importer x every product); the same with a warm cache (``SCRISK_CACHE_DIR`` set to a fresh folder, primed by
  one run, which is also reported); ``baselines/duckdb_screen.py`` (hand-written DuckDB SQL, same columns);
  ``baselines/pandas_screen.py`` (plain pandas).
* ``screen3y`` -- the same four modes on a 3N-row three-year file (2022-2024).
* ``validate`` -- ``scrisk validate FILE --no-cache`` (and with a warm cache) on the N-row year, against DuckDB's
  ``read_csv`` with type detection and with ``all_varchar``, and ``pyarrow.csv.read_csv``
  (``baselines/read_baseline.py``).
* ``diff``     -- ``scrisk diff OLD NEW -f csv -o OUT --no-cache`` on two years of about N rows each (two
  single-year files), against ``scrisk analyze NEW`` on one of them.
* ``parquet``  -- 10N rows, ten generated years as canonical Parquet partitioned by year:
  ``scrisk analyze DIR --screen --memory-limit 4GB -f csv -o OUT --no-cache``, with the DuckDB SQL baseline over
  the same folder under the same memory limit for reference.
* ``startup``  -- ``scrisk analyze --importer KOR`` on the bundled example (no file), ``--startup-repeat`` runs
  (default 5), beside ``python -c pass``.
* ``shock``    -- export-control shocks at scale on the N-row year: ``scrisk shock FILE --exporter CHN -f csv -o
  OUT.csv`` (the cascade, every product: an exporter-wide ban) with ``--no-cache`` and with a warm cache; the same
  restriction given as ``--hs`` with every HS code of the file (5,000 codes) and with the 96 chapters; beside
  ``baselines/pandas_shock.py`` (plain pandas first-order exposure of the same restriction, read to CSV) for the
  exporter-wide ban and for the code list.

Datasets are generated on first use into ``benchmarks/_data/`` (git-ignored) by
``generate.py`` in a child process; the results go to stdout and to
``benchmarks/_results/engine-<UTC timestamp>.md`` (git-ignored), with every
run's raw figures, exit code and error tail in the ``.json`` beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "_results"
BASELINES = HERE / "baselines"
SUITES = ("screen", "screen3y", "validate", "diff", "parquet", "startup", "shock")
PY = sys.executable


def scrisk_cmd() -> list[str]:
    """The ``scrisk`` entry point beside this interpreter (what a user runs), else ``python -m scrisk``."""
    exe = Path(PY).with_name("scrisk")
    return [str(exe)] if exe.exists() else [PY, "-m", "scrisk"]


# ---------------------------------------------------------------------------------------------------------------
# one measured process


@dataclass
class Sample:
    """One run of one command."""

    seconds: float
    peak_mb: float
    rc: int | None
    error: str | None = None
    rows_out: int | None = None
    stdout_tail: str = ""


@dataclass
class Mode:
    """A command measured in a suite."""

    key: str
    label: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    output: Path | None = None  # CSV the command writes (rows counted, then removed)
    ok_codes: tuple[int, ...] = (0,)
    repeat: int | None = None
    samples: list[Sample] = field(default_factory=list)

    @property
    def good(self) -> list[Sample]:
        return [s for s in self.samples if s.error is None]

    def median(self) -> float | None:
        good = self.good
        return statistics.median(s.seconds for s in good) if good else None

    def peak(self) -> float | None:
        good = self.good
        return max(s.peak_mb for s in good) if good else None

    def errors(self) -> list[str]:
        return [s.error for s in self.samples if s.error]


def _tail(path: Path, n: int = 2000) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - n))
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""


_BOX = "│╭╮╰╯─┃━┏┓┗┛ \t"


def last_message(stderr: str) -> str:
    """The last meaningful line of a child's stderr (inside a rich error box when there is one)."""
    lines = [ln.strip(_BOX) for ln in stderr.splitlines()]
    lines = [ln for ln in lines if any(ch.isalnum() for ch in ln)]
    return lines[-1] if lines else "(no message)"


def count_lines(path: Path) -> int:
    """Lines in a file, read in blocks (the harness stays small)."""
    n = 0
    buf = bytearray(1 << 20)
    with open(path, "rb", buffering=0) as fh:
        while True:
            k = fh.readinto(buf)
            if not k:
                break
            n += buf.count(b"\n", 0, k)
    return n


def warm(paths: list[Path]) -> None:
    """Read every input file once so each mode starts from the same (warm) page cache."""
    buf = bytearray(1 << 22)
    for p in paths:
        files = sorted(q for q in p.rglob("*") if q.is_file()) if p.is_dir() else [p]
        for f in files:
            with open(f, "rb", buffering=0) as fh:
                while fh.readinto(buf):
                    pass


def run_once(mode: Mode, work: Path, timeout: float) -> Sample:
    """Run ``mode``'s command once as a child process: wall time, peak RSS, exit code, rows written."""
    if mode.output is not None and mode.output.exists():
        mode.output.unlink()
    out_log, err_log = work / f"{mode.key}.stdout", work / f"{mode.key}.stderr"
    env = {**os.environ, **mode.env}
    with open(out_log, "wb") as so, open(err_log, "wb") as se:
        t0 = time.perf_counter()
        try:
            proc = subprocess.Popen(mode.argv, stdout=so, stderr=se, stdin=subprocess.DEVNULL, env=env, cwd=work,
                                    start_new_session=True)
        except OSError as exc:
            return Sample(seconds=0.0, peak_mb=0.0, rc=None, error=f"cannot start: {exc}")
        deadline = t0 + timeout
        timed_out = False
        try:
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.perf_counter() > deadline:
                    timed_out = True
                    break
                time.sleep(0.002)
        except BaseException:  # interrupted: do not leave the child running
            os.killpg(proc.pid, signal.SIGKILL)
            os.wait4(proc.pid, 0)
            raise
        if timed_out:
            os.killpg(proc.pid, signal.SIGKILL)  # the child's own process group (start_new_session)
            pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
    proc.returncode = rc = os.waitstatus_to_exitcode(status)
    peak_mb = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    stdout_tail = _tail(out_log, 600)
    error = None
    if timed_out:
        error = f"timeout after {timeout:.0f} s"
    elif rc not in mode.ok_codes:
        error = f"exit {rc}: " + last_message(_tail(err_log))
    rows_out = None
    if error is None and mode.output is not None:
        if mode.output.exists():
            rows_out = max(count_lines(mode.output) - 1, 0)  # minus the header
            mode.output.unlink()
        else:
            error = f"exit {rc} but wrote no {mode.output.name}"
    elif error is None and stdout_tail.strip().startswith("{"):
        try:
            rows_out = int(json.loads(stdout_tail.strip().splitlines()[-1]).get("rows", None))
        except (ValueError, TypeError):
            rows_out = None
    return Sample(seconds=seconds, peak_mb=peak_mb, rc=rc, error=error, rows_out=rows_out, stdout_tail=stdout_tail)


def run_modes(modes: list[Mode], *, repeat: int, work: Path, timeout: float, log) -> None:
    """Interleave the modes: round 1 of every mode, round 2..., so load changes hit every mode alike; every other
    round runs them in reverse order, so no mode always follows the same one."""
    rounds = max(m.repeat or repeat for m in modes)
    for r in range(rounds):
        for m in (modes if r % 2 == 0 else modes[::-1]):
            if r >= (m.repeat or repeat):
                continue
            if m.samples and all(s.error for s in m.samples):
                continue  # failed in every round so far (e.g. an option not there yet): not worth more rounds
            s = run_once(m, work, timeout)
            m.samples.append(s)
            what = f"{s.seconds:8.2f} s  peak {s.peak_mb:8,.0f} MB" + (f"  rows {s.rows_out:,}" if s.rows_out is not None else "")
            log(f"  [{r + 1}/{m.repeat or repeat}] {m.label:<46} {what}" + (f"  FAILED {s.error}" if s.error else ""))


# ---------------------------------------------------------------------------------------------------------------
# suites


@dataclass
class Suite:
    name: str
    title: str
    inputs: list[Path]
    modes: list[Mode]
    refs: list[tuple[str, str]]  # (column heading, mode key) ratios are taken against
    checks: list[tuple[str, str, str, float]] = field(default_factory=list)  # (text, mode, "time:<ref>"|"rss", limit)
    notes: list[str] = field(default_factory=list)
    prime: Mode | None = None  # run once before the rounds (cache-building run), reported too
    primes: list[Mode] = field(default_factory=list)  # further cache-building runs (once each, not reported)


def _screen_modes(tag: str, files: list[Path], work: Path, sc: list[str]) -> tuple[list[Mode], Mode]:
    out = work / f"{tag}-out.csv"
    fresh = {"SCRISK_CACHE_DIR": str(work / f"{tag}-nocache")}
    warm_cache = {"SCRISK_CACHE_DIR": str(work / f"{tag}-cache")}
    fs = [str(f) for f in files]
    prime = Mode(f"{tag}-prime", "scrisk analyze (cache-building run, once)",
                 [*sc, "analyze", *fs, "-f", "csv", "-o", str(out)], env=warm_cache, output=out, ok_codes=(0, 1))
    modes = [
        Mode(f"{tag}-first", "scrisk analyze --no-cache",
             [*sc, "analyze", *fs, "-f", "csv", "-o", str(out), "--no-cache"], env=fresh, output=out, ok_codes=(0, 1)),
        Mode(f"{tag}-cached", "scrisk analyze (cache warm: inputs, indicator and ranked rows)",
             [*sc, "analyze", *fs, "-f", "csv", "-o", str(out)], env=warm_cache, output=out, ok_codes=(0, 1)),
        Mode(f"{tag}-duckdb", "DuckDB SQL (baselines/duckdb_screen.py)",
             [PY, str(BASELINES / "duckdb_screen.py"), *fs, "-o", str(out)], output=out),
        Mode(f"{tag}-pandas", "pandas (baselines/pandas_screen.py)",
             [PY, str(BASELINES / "pandas_screen.py"), *fs, "-o", str(out)], output=out),
    ]
    return modes, prime


def build_suites(names: list[str], data: dict, work: Path, args) -> list[Suite]:
    sc = scrisk_cmd()
    suites: list[Suite] = []
    for name in names:
        if name in ("screen", "screen3y"):
            files = [Path(p) for p in data[name]]
            modes, prime = _screen_modes(name, files, work, sc)
            rows = data["rows"][name]
            years = "one year" if name == "screen" else "three years"
            gb = 2.0 if name == "screen" else 2.5
            checks = [
                ("time <= 1.5x DuckDB SQL (aim 1.2x)", f"{name}-first", f"time:{name}-duckdb", 1.5),
                (f"peak RSS <= {gb} GB", f"{name}-first", "rss", gb * 1024),
                ("re-run from the cache <= 40 % of the first (--no-cache) run", f"{name}-cached",
                 f"time:{name}-first", 0.40),
                ("re-run from the cache <= 40 % of the cache-building run", f"{name}-cached",
                 f"time:{name}-prime", 0.40),
            ]
            if name == "screen":
                checks.insert(1, ("at least 3x faster than pandas", f"{name}-first", f"time:{name}-pandas", 1 / 3))
            suites.append(Suite(
                name, f"Full screen to CSV: {rows:,} rows, {years} (`{files[0].name}`)", files, modes,
                refs=[("vs DuckDB", f"{name}-duckdb"), ("vs pandas", f"{name}-pandas")], checks=checks,
                prime=prime,
                notes=["Every importer x every product of the latest year, written to CSV; baselines compute the "
                       "same figures (`tests/test_benchmarks_baselines.py` checks they agree)."]))
        elif name == "validate":
            f = Path(data["screen"][0])
            fresh = {"SCRISK_CACHE_DIR": str(work / "validate-nocache")}
            cache = {"SCRISK_CACHE_DIR": str(work / "validate-cache")}
            rb = str(BASELINES / "read_baseline.py")
            modes = [
                Mode("validate-first", "scrisk validate --no-cache", [*sc, "validate", str(f), "--no-cache"],
                     env=fresh, ok_codes=(0, 1)),
                Mode("validate-cached", "scrisk validate (cache warm)", [*sc, "validate", str(f)], env=cache,
                     ok_codes=(0, 1)),
                Mode("read-duckdb", "DuckDB read_csv (type detection)", [PY, rb, "duckdb", str(f)]),
                Mode("read-duckdb-varchar", "DuckDB read_csv (all_varchar)", [PY, rb, "duckdb-varchar", str(f)]),
                Mode("read-pyarrow", "pyarrow.csv.read_csv", [PY, rb, "pyarrow", str(f)]),
                Mode("read-duckdb-table", "DuckDB read_csv into a table (every column)",
                     [PY, rb, "duckdb-table", str(f)]),
                Mode("read-duckdb-checks", "DuckDB SQL validation (checks + repeated keys)",
                     [PY, rb, "duckdb-checks", str(f)]),
            ]
            prime = Mode("validate-prime", "scrisk validate (cache-building run, once)",
                         [*sc, "validate", str(f)], env=cache, ok_codes=(0, 1))
            suites.append(Suite(
                "validate", f"validate: {data['rows']['screen']:,} rows (`{f.name}`)", [f], modes,
                refs=[("vs DuckDB read", "read-duckdb"), ("vs pyarrow", "read-pyarrow"),
                      ("vs DuckDB validation SQL", "read-duckdb-checks")], prime=prime,
                checks=[("time <= 1.5x DuckDB's read", "validate-first", "time:read-duckdb", 1.5),
                        ("peak RSS <= 1.5 GB", "validate-first", "rss", 1.5 * 1024)],
                notes=["The read baselines count the rows and sum `v`; scrisk also maps, checks and accounts for every "
                       "row. The DuckDB validation SQL does the checks an analyst would hand-write (malformed fields, "
                       "unknown country, self-trade, repeated keys; `tests/test_benchmarks_baselines.py` checks it "
                       "finds what scrisk finds): the practical limit for the same work. "
                       "The accounting printed by scrisk is in the .json (stdout_tail)."]))
        elif name == "diff":
            old, new = (Path(p) for p in data["diff"])
            out = work / "diff-out.csv"
            fresh = {"SCRISK_CACHE_DIR": str(work / "diff-nocache")}
            modes = [
                Mode("diff", "scrisk diff OLD NEW --no-cache",
                     [*sc, "diff", str(old), str(new), "-f", "csv", "-o", str(out), "--no-cache"], env=fresh,
                     output=out, ok_codes=(0, 1)),
                Mode("diff-analyze", "scrisk analyze NEW --no-cache",
                     [*sc, "analyze", str(new), "-f", "csv", "-o", str(out), "--no-cache"], env=fresh, output=out,
                     ok_codes=(0, 1)),
            ]
            r = data["rows"]["diff"]
            suites.append(Suite(
                "diff", f"diff of two years: `{old.name}` ({r[0]:,} rows) -> `{new.name}` ({r[1]:,} rows)",
                [old, new], modes, refs=[("vs analyze", "diff-analyze")],
                checks=[("time <= 2x analyze of one year", "diff", "time:diff-analyze", 2.0),
                        ("peak RSS <= 3 GB", "diff", "rss", 3 * 1024)]))
        elif name == "parquet":
            d = Path(data["parquet"][0])
            out = work / "parquet-out.csv"
            fresh = {"SCRISK_CACHE_DIR": str(work / "parquet-nocache")}
            rep = args.parquet_repeat or args.repeat
            modes = [
                Mode("parquet-screen", f"scrisk analyze DIR --screen --memory-limit {args.memory_limit}",
                     [*sc, "analyze", str(d), "--screen", "--memory-limit", args.memory_limit, "-f", "csv", "-o",
                      str(out), "--no-cache"], env=fresh, output=out, ok_codes=(0, 1), repeat=rep),
                Mode("parquet-duckdb", f"DuckDB SQL, memory_limit {args.memory_limit}",
                     [PY, str(BASELINES / "duckdb_screen.py"), str(d), "-o", str(out), "--memory-limit",
                      args.memory_limit], output=out, repeat=rep),
            ]
            suites.append(Suite(
                "parquet", f"{data['rows']['parquet']:,} rows, ten years, partitioned Parquet (`{d.name}/year=*/`)",
                [d], modes, refs=[("vs DuckDB", "parquet-duckdb")],
                checks=[("completes; peak RSS <= 5 GB", "parquet-screen", "rss", 5 * 1024)],
                notes=["scrisk adds the GeoDep screen (persistence over the years); the DuckDB baseline computes the "
                       "latest-year screen only, for scale."]))
        elif name == "startup":
            rep = args.startup_repeat
            modes = [
                Mode("startup", "scrisk analyze --importer KOR (bundled example)",
                     [*sc, "analyze", "--importer", "KOR"], env={"SCRISK_CACHE_DIR": str(work / "startup-cache")},
                     ok_codes=(0, 1), repeat=rep),
                Mode("python", "python -c pass (interpreter start-up)", [PY, "-c", "pass"], repeat=rep),
            ]
            suites.append(Suite(
                "startup", "Start-up: `scrisk analyze --importer KOR` on the bundled example", [], modes,
                refs=[("vs python -c pass", "python")],
                checks=[("under 1 s wall including start-up", "startup", "abs", 1.0)]))
        elif name == "shock":
            suites.append(_shock_suite(Path(data["screen"][0]), data, work, sc))
    return suites


CHAPTERS = [f"{c:02d}" for c in range(1, 98) if c != 77]
"""The 96 chapters of the Harmonized System (chapter 77 is reserved)."""


def _shock_suite(f: Path, data: dict, work: Path, sc: list[str]) -> Suite:
    out = work / "shock-out.csv"
    fresh = {"SCRISK_CACHE_DIR": str(work / "shock-nocache")}
    cache = {"SCRISK_CACHE_DIR": str(work / "shock-cache")}
    codes = data["shock_codes"]
    base = [*sc, "shock", str(f), "--exporter", "CHN", "-f", "csv", "-o", str(out)]
    with_codes = [*base, "--hs", ",".join(codes)]
    with_chapters = [*base, "--hs", ",".join(CHAPTERS)]
    pb = [PY, str(BASELINES / "pandas_shock.py"), str(f), "--exporter", "CHN", "-o", str(out)]
    codes_file = work / "shock-codes.txt"
    codes_file.write_text(",".join(codes) + "\n")
    modes = [
        Mode("shock-pandas", "pandas first-order, every product (baseline)", pb, output=out),
        Mode("shock-pandas-codes", f"pandas first-order, {len(codes):,} codes (baseline)",
             [*pb, "--hs-file", str(codes_file)], output=out),
        # the runs compared with each other sit side by side, after a cached scrisk run: as every other round
        # reverses the order, each of the first-run pair follows its partner once and a cached run once in two
        # rounds, so what the run before leaves behind hits both alike
        Mode("shock-chapters-cached", "scrisk shock --hs <96 chapters> (cache warm)", with_chapters, env=cache,
             output=out),
        Mode("shock-first", "scrisk shock --exporter CHN --no-cache", [*base, "--no-cache"], env=fresh, output=out),
        Mode("shock-codes-first", f"scrisk shock --hs <{len(codes):,} codes> --no-cache", [*with_codes, "--no-cache"],
             env=fresh, output=out),
        Mode("shock-cached", "scrisk shock --exporter CHN (cache warm)", base, env=cache, output=out),
        Mode("shock-codes-cached", f"scrisk shock --hs <{len(codes):,} codes> (cache warm)", with_codes, env=cache,
             output=out),
    ]
    primes = [Mode(f"shock-prime-{k}", "cache-building run", argv, env=cache, output=out)
              for k, argv in (("wide", base), ("codes", with_codes), ("chapters", with_chapters))]
    return Suite(
        "shock", f"Shocks at scale: CHN restricts every product, {data['rows']['screen']:,} rows (`{f.name}`)", [f],
        modes, refs=[("vs pandas", "shock-pandas")], primes=primes,
        checks=[("exporter-wide cascade <= 3x pandas first-order (aim 2x)", "shock-first", "time:shock-pandas", 3.0),
                ("exporter-wide cascade <= 3x pandas first-order (aim 2x)", "shock-cached", "time:shock-pandas", 3.0),
                ("peak RSS <= 1.5 GB", "shock-first", "rss", 1.5 * 1024),
                ("peak RSS <= 1.5 GB", "shock-cached", "rss", 1.5 * 1024),
                ("5,000-code list no slower than the exporter-wide run", "shock-codes-first", "time:shock-first", 1.0),
                ("5,000-code list no slower than the exporter-wide run", "shock-codes-cached", "time:shock-cached",
                 1.0)],
        notes=["The cascade (default mode: substitution from spare capacity, re-export pass-through) of every product "
               "CHN exports, every (importer, product) row written to CSV; the pandas baselines compute the "
               "first-order exposure of the same restriction (no cascade) and write the same rows. The code list is "
               "every HS code of the file, given to `--hs`."])


# ---------------------------------------------------------------------------------------------------------------
# report


def _fmt_s(x: float | None) -> str:
    return "-" if x is None else (f"{x:.3f}" if x < 10 else f"{x:.2f}")


def _ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None or b <= 0 else f"{a / b:.2f}x"


def command_text(m: Mode, work: Path) -> str:
    """A mode's command as a shell line, the work folder written ``$WORK``."""
    import shlex

    env = " ".join(f"{k}={v}" for k, v in m.env.items())
    line = " ".join(shlex.quote(a if len(a) <= 200 else f"{a[:20]}...<{a.count(',') + 1:,} codes>") for a in m.argv)
    text = (env + " " + line).strip() if env else line
    return text.replace(str(work), "$WORK").replace(str(REPO) + "/", "").replace(PY, "python")


def suite_markdown(s: Suite, work: Path | None = None) -> str:
    by = {m.key: m for m in ([s.prime] if s.prime is not None else []) + s.modes}
    lines = [f"### {s.title}", ""]
    head = ["mode", "runs", "time (s, median)", "min-max (s)", "peak RSS (MB)", "rows out"]
    head += [f"time {h}" for h, _ in s.refs] + [f"RSS {h}" for h, _ in s.refs[:1]]
    lines += ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|"]
    shown = ([s.prime] if s.prime is not None and s.prime.samples else []) + s.modes
    for m in shown:
        good = m.good
        rng = f"{min(x.seconds for x in good):.2f}-{max(x.seconds for x in good):.2f}" if good else "-"
        rows = next((x.rows_out for x in good if x.rows_out is not None), None)
        cells = [m.label, f"{len(good)}/{len(m.samples)}", _fmt_s(m.median()), rng,
                 "-" if m.peak() is None else f"{m.peak():,.0f}", "-" if rows is None else f"{rows:,}"]
        cells += [_ratio(m.median(), by[k].median() if k in by else None) for _, k in s.refs]
        cells += [_ratio(m.peak(), by[k].peak() if k in by else None) for _, k in s.refs[:1]]
        lines.append("| " + " | ".join(cells) + " |")
    errs = [(m.label, e) for m in shown for e in dict.fromkeys(m.errors())]
    verdicts: list[str] = []
    if s.checks:
        for text, key, kind, limit in s.checks:
            m = by.get(key)
            if m is None:
                continue
            if kind == "rss":
                val, shown_v = m.peak(), (None if m.peak() is None else f"{m.peak():,.0f} MB")
            elif kind == "abs":
                val, shown_v = m.median(), (None if m.median() is None else f"{m.median():.3f} s")
            else:
                ref = by.get(kind.split(":", 1)[1])
                val = None if ref is None or m.median() is None or not ref.median() else m.median() / ref.median()
                shown_v = None if val is None else f"{val:.2f}x"
                if val is not None and ref is not None and limit == 1.0:
                    shown_v += _paired_text(m, ref)
            verdict = "not measured" if val is None else ("met" if val <= limit else "NOT met")
            if verdict == "NOT met" and kind.startswith("time:") and limit == 1.0 and _within_noise(m, by[kind[5:]]):
                verdict = "NOT met by medians, inside this run's run-to-run noise (the per-round ratios straddle 1.0)"
            verdicts.append(f"- {m.label}: {text}: {shown_v or '-'} -- {verdict}")
    if verdicts:
        lines += ["", "Acceptance:", ""] + verdicts
    if errs:
        lines += ["", "Errors:", ""] + [f"- {label}: `{e}`" for label, e in errs]
    if s.notes:
        lines += [""] + s.notes
    if work is not None:
        lines += ["", "Commands (`$WORK` is the temporary work folder):", ""]
        lines += [f"- {m.label}: `{command_text(m, work)}`" for m in shown or s.modes]
    return "\n".join(lines)


def _paired(m: Mode, ref: Mode) -> list[float]:
    """Per-round time ratios of ``m`` to ``ref`` (the two ran in the same round, one right after the other)."""
    return sorted(a.seconds / b.seconds for a, b in zip(m.samples, ref.samples)
                  if not a.error and not b.error and b.seconds > 0)


def _quartiles(xs: list[float]) -> tuple[float, float]:
    q1, _, q3 = statistics.quantiles(xs, n=4, method="inclusive")
    return q1, q3


def _paired_text(m: Mode, ref: Mode) -> str:
    r = _paired(m, ref)
    if len(r) < 3:
        return ""
    q1, q3 = _quartiles(r)
    return f" (per-round ratios: median {statistics.median(r):.2f}x, quartiles {q1:.2f}-{q3:.2f}x, {len(r)} rounds)"


def _within_noise(m: Mode, ref: Mode) -> bool:
    """A "no slower than" check whose gap is not told apart from noise: at least five rounds, and the per-round
    ratios' quartiles lie on both sides of 1.0 (in at least a quarter of the rounds ``m`` was the faster)."""
    r = _paired(m, ref)
    if len(r) < 5:
        return False
    q1, q3 = _quartiles(r)
    return q1 <= 1.0 <= q3


def versions() -> str:
    """Library versions, read in a child (the harness imports nothing heavy)."""
    code = ("import duckdb, pandas, pyarrow, numpy, platform; "
            "print(f'Python {platform.python_version()}, duckdb {duckdb.__version__}, pandas {pandas.__version__}, "
            "pyarrow {pyarrow.__version__}, numpy {numpy.__version__}')")
    try:
        return subprocess.run([PY, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    except (subprocess.CalledProcessError, OSError):
        return "versions unavailable"


def git_state() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True, check=True).stdout.strip()
        return head + (" (uncommitted changes)" if dirty else "")
    except (subprocess.CalledProcessError, OSError):
        return "unknown"


def machine() -> str:
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        mem = float("nan")
    try:
        load = "load average %.1f %.1f %.1f" % os.getloadavg()
    except OSError:
        load = ""
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, {mem:.0f} GiB RAM; {load}"


# ---------------------------------------------------------------------------------------------------------------
# datasets (generated in a child: the harness stays small)


def prepare(names: list[str], rows: int, seed: int) -> dict:
    """Generate (or reuse) the datasets the suites need; return their paths, sizes and generation times."""
    sys.path.insert(0, str(HERE))
    import generate as g

    need = set(names)
    out: dict = {"rows": {}, "generated": {}}

    def timed(key, fn, where: Path):
        stamp = where / "generated.json"
        before = stamp.stat().st_mtime_ns if stamp.exists() else None
        t0 = time.perf_counter()
        res = fn()
        out["generated"][key] = {"seconds": round(time.perf_counter() - t0, 1), "path": str(where),
                                 "reused": before is not None and stamp.stat().st_mtime_ns == before}
        return res

    if need & {"screen", "validate", "shock"}:
        d = g.dataset_dir(rows, seed, (2024,))
        out["screen"] = [str(timed("screen", lambda: g.generate_file(d, rows, seed=seed, years=(2024,)), d))]
        out["rows"]["screen"] = rows
    if "shock" in need:  # every HS code of the year's file (the "--hs with all codes" run)
        import duckdb

        got = duckdb.sql(f"SELECT DISTINCT lpad(CAST(k AS VARCHAR), 6, '0') AS k FROM read_csv('{out['screen'][0]}', "
                         "types = {'k': 'VARCHAR'}) ORDER BY 1").fetchall()
        out["shock_codes"] = [r[0] for r in got]
    if "screen3y" in need:
        y3 = (2022, 2023, 2024)
        d = g.dataset_dir(3 * rows, seed, y3)
        out["screen3y"] = [str(timed("screen3y", lambda: g.generate_file(d, 3 * rows, seed=seed, years=y3), d))]
        out["rows"]["screen3y"] = 3 * rows
    if "diff" in need:
        y2 = (2023, 2024)
        d = g.dataset_dir(2 * rows, seed, y2, "split")
        paths = timed("diff", lambda: g.generate_split(d, 2 * rows, seed=seed, years=y2), d)
        out["diff"] = [str(p) for p in paths]
        out["rows"]["diff"] = [count_lines(p) - 1 for p in paths]
    if "parquet" in need:
        y10 = tuple(range(2015, 2025))
        d = g.dataset_dir(10 * rows, seed, y10, "parquet")
        out["parquet"] = [str(timed("parquet", lambda: g.generate_partitioned(d, 10 * rows, seed=seed, years=y10), d))]
        out["rows"]["parquet"] = 10 * rows
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Benchmark scrisk's engine (whole processes) against DuckDB SQL and "
                                             "pandas baselines.")
    ap.add_argument("--rows", type=int, default=10_000_000,
                    help="base size N: the single year has N rows, the three-year file 3N, each diff year about N, "
                         "the partitioned Parquet 10N (default 10,000,000)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--repeat", type=int, default=3, help="runs per mode (median time, largest peak RSS)")
    ap.add_argument("--parquet-repeat", type=int, default=None, help="runs per mode of the parquet suite "
                                                                       "(default --repeat)")
    ap.add_argument("--startup-repeat", type=int, default=5, help="runs of the start-up suite (default 5)")
    ap.add_argument("--suites", default=",".join(SUITES), help="comma-separated subset of " + ",".join(SUITES))
    ap.add_argument("--memory-limit", default="4GB", help="--memory-limit of the parquet suite (default 4GB)")
    ap.add_argument("--modes", default=None,
                    help="run only the modes whose key contains one of these comma-separated words, e.g. "
                         "duckdb,pandas,read (baselines only) or first,cached; see --dry-run for the keys")
    ap.add_argument("--timeout", type=float, default=1800.0,
                    help="seconds before one run is killed and recorded as failed (default 1800)")
    ap.add_argument("--work-dir", type=Path, default=None,
                    help="where outputs and caches go while measuring (default: a temporary folder, removed)")
    ap.add_argument("--out", type=Path, default=None, help="markdown report (default benchmarks/_results/"
                                                          "engine-<UTC timestamp>.md)")
    ap.add_argument("--dry-run", action="store_true", help="prepare the datasets and print the commands only")
    ap.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    names = [s.strip() for s in args.suites.split(",") if s.strip()]
    unknown = sorted(set(names) - set(SUITES))
    if unknown:
        ap.error(f"unknown suites {unknown}; choose from {', '.join(SUITES)}")

    if args.prepare:
        print(json.dumps(prepare(names, args.rows, args.seed)))
        return 0

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    data_names = [n for n in names if n != "startup"]
    data: dict = {"rows": {}, "generated": {}}
    if data_names:
        log(f"datasets (base size {args.rows:,} rows)...")
        res = subprocess.run([PY, str(Path(__file__)), "--prepare", "--rows", str(args.rows), "--seed",
                              str(args.seed), "--suites", ",".join(data_names)], stdout=subprocess.PIPE, text=True,
                             check=True)
        data = json.loads(res.stdout.strip().splitlines()[-1])
        for k, v in data["generated"].items():
            log(f"  {k}: {v['path']} ({'reused' if v['reused'] else 'generated'} in {v['seconds']:.1f} s)")

    own_work = args.work_dir is None
    work = Path(tempfile.mkdtemp(prefix="scrisk-bench-")) if own_work else args.work_dir
    work.mkdir(parents=True, exist_ok=True)
    suites = build_suites(names, data, work, args)

    def _stop(signum, frame):  # a terminated run still removes its work folder (the finally below)
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, _stop)
    if args.modes:
        words = [w.strip() for w in args.modes.split(",") if w.strip()]
        for s in suites:
            s.modes = [m for m in s.modes if any(w in m.key for w in words)]
            if not any(m.key.endswith("-cached") for m in s.modes):
                s.prime, s.primes = None, []
            s.primes = [p for p in s.primes if any(m.argv == p.argv for m in s.modes)]  # those a kept mode needs
        suites = [s for s in suites if s.modes]
    if args.dry_run:
        for s in suites:
            print(f"# {s.name}: {s.title}")
            for m in ([s.prime] if s.prime is not None else []) + s.modes:
                print(f"{m.key}: {command_text(m, work)}")
        if own_work:
            shutil.rmtree(work, ignore_errors=True)
        return 0
    try:
        for s in suites:
            log(f"{s.name}: {s.title}")
            if s.inputs:
                warm(s.inputs)
            for pm in ([s.prime] if s.prime is not None else []) + s.primes:
                pm.samples.append(p := run_once(pm, work, args.timeout))
                log(f"  [prime] {pm.label:<46} {p.seconds:8.2f} s  peak {p.peak_mb:8,.0f} MB"
                    + (f"  FAILED {p.error}" if p.error else ""))
            run_modes(s.modes, repeat=args.repeat, work=work, timeout=args.timeout, log=log)
    finally:
        if own_work:
            shutil.rmtree(work, ignore_errors=True)
    total = time.perf_counter() - t0

    own_peak = __import__("resource").getrusage(__import__("resource").RUSAGE_SELF).ru_maxrss / 1024
    head = [
        f"# scrisk engine benchmark, {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"Command: `python benchmarks/bench_engine.py {' '.join(argv if argv is not None else sys.argv[1:])}`",
        f"Machine: {machine()}; {versions()}; scrisk at git {git_state()}.",
        f"Whole processes; time = wall time of the process, median of the runs; peak RSS = largest `ru_maxrss` of "
        f"the child over the runs (the harness's own peak, a floor a child can inherit, was {own_peak:,.0f} MB). "
        f"Modes interleaved, inputs read once before each suite (warm page cache). Whole run {total / 60:.1f} min.",
    ]
    if data.get("generated"):
        def _how(v: dict) -> str:
            return "reused" if v["reused"] else f"generated in {v['seconds']:.0f} s"

        head += ["", "Datasets: " + "; ".join(f"{k} `{Path(v['path']).name}` ({_how(v)})"
                                              for k, v in data["generated"].items())]
    body = "\n\n".join(suite_markdown(s, work) for s in suites)
    report = "\n".join(head) + "\n\n" + body + "\n"
    print(report)
    out = args.out or RESULTS / f"engine-{started:%Y%m%dT%H%M%SZ}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report)
    raw = {"started": started.isoformat(), "argv": argv if argv is not None else sys.argv[1:], "data": data,
           "suites": [{"name": s.name, "title": s.title, "modes": [
               {"key": m.key, "label": m.label, "argv": m.argv, "env": m.env,
                "samples": [vars(x) for x in m.samples]}
               for m in ([s.prime] if s.prime is not None else []) + s.modes]} for s in suites]}
    out.with_suffix(".json").write_text(json.dumps(raw, indent=1) + "\n")
    log(f"report: {out} (raw runs: {out.with_suffix('.json').name}); {total / 60:.1f} min")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt as exc:
        print(f"interrupted ({exc or 'Ctrl-C'}): no report written", file=sys.stderr)
        sys.exit(130)
