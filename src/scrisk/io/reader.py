"""The single entry point: read trade files of any supported format into one flow table.

Each file is recognised on its own by the reader registry
(:mod:`scrisk.io.formats`: one module per format), read by its format
module, and the accepted rows of all files are combined. Checks that need
every file at once run last:

1. with ``comtrade_side="both"``, exporter reports of flows that an importer
   also reported are rejected (**superseded by partner report**); both values
   are kept in ``meta.mirror`` (:mod:`scrisk.io.mirror`);
2. a second row with the same (year, month, exporter, importer, hs) -- in the same
   file or another -- is rejected as **duplicate key**; the first row read
   (files in the order given, globs sorted) is kept.

``rows_read == rows_accepted + rows_rejected`` holds for every file and in
total. Several files without a year column that one ``--year`` would stamp
alike are refused (:mod:`scrisk.io.periods`); reporter-to-World rows go to
``meta.world_totals``; with ``max_rejected`` (``--strict``,
``--max-rejected``) too much value rejected as defects is an error (exit 1).
"""

from __future__ import annotations

import math

import glob
import os
import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from scrisk.errors import ScriskError, UnreadableFileError, UsageError
from scrisk.io import reasons as R
from scrisk.io.options import ReadOptions
from scrisk.io.profiles import resolve_options
from scrisk.io.sniff import exc_text
from scrisk.schema import FLOW_COLUMNS, KEY_COLUMNS, VALUE, FlowMeta, FlowTable, ReadReport, make_flow_table

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

    from scrisk.io._stage import FileResult

__all__ = ["read_flows", "expand_paths", "is_spooled"]

_GLOB_CHARS = set("*?[")
_BACI_METADATA = re.compile(r"^(country_codes|product_codes(_HS\d{2})?)_V\d{6}[a-z]?\.csv$", re.IGNORECASE)


_SPOOLED: set[str] = set()
"""Real paths of the temporary copies of streams made by this process (never cached)."""


def is_spooled(path: str | Path) -> bool:
    """True when ``path`` is this process's copy of a stream (standard input, a pipe): such input is never cached."""
    return os.path.realpath(path) in _SPOOLED


def _spool_stream(path: Path) -> Path:
    """A FIFO, ``<(cmd)`` or other stream copied once to a temporary file; other paths unchanged.

    A pipe can be read only once: sniffing its start and then reopening it
    would miss those bytes (or hang on a FIFO no one writes to again). The
    copy is read like any file and removed when the process ends; it is
    never put in the input cache (:func:`is_spooled`).
    """
    import atexit
    import shutil
    import stat
    import tempfile

    try:
        mode = os.stat(path).st_mode
    except OSError:
        return path
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return path
    folder = tempfile.mkdtemp(prefix="scrisk-stream-")
    atexit.register(shutil.rmtree, folder, True)
    target = Path(folder) / (path.name or "stream")
    _SPOOLED.add(os.path.realpath(target))
    try:
        with open(path, "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    except OSError as exc:
        raise UnreadableFileError(f"cannot read the stream: {exc.strerror or exc}", path=str(path)) from None
    return target


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Expand globs (sorted), keep literal paths, drop repeats of the same file.

    A folder holding Parquet files (a dataset partitioned by year, as
    ``scrisk convert`` and Spark write them) stands for those files. A glob
    skips BACI's release metadata tables (``country_codes_V*.csv``,
    ``product_codes_*_V*.csv``) so ``DIR/*.csv`` reads the data files of an
    unzipped release.

    Raises
    ------
    UsageError
        When no path is given.
    UnreadableFileError
        When a glob matches no file.
    """
    out: list[Path] = []
    seen: set[str] = set()
    for p in paths:
        s = os.path.expanduser(str(p))
        if Path(s).is_dir() and any(Path(s).rglob("*.parquet")):
            # a Parquet dataset (e.g. partitioned by year=YYYY/): its files, in path order
            found = sorted(f for f in Path(s).rglob("*.parquet") if f.is_file())
        elif Path(s).exists() or not (_GLOB_CHARS & set(s)):
            found = [Path(s)]
        else:
            found = [
                Path(m)
                for m in sorted(glob.glob(s, recursive=True))
                if Path(m).is_file() and not _BACI_METADATA.match(Path(m).name)
            ]
            if not found:
                raise UnreadableFileError("no file matches this pattern; check the glob and the folder", path=s)
        for f in found:
            f = _spool_stream(f)
            key = os.path.realpath(f)
            if key not in seen:
                seen.add(key)
                out.append(f)
    if not out:
        raise UsageError("no input file given; pass trade files or globs")
    return out


def _read_one(path: Path, options: ReadOptions) -> list[FileResult]:
    from scrisk.io.formats import sniff

    fmt, src = sniff(path, options)
    return fmt.read(path, src, options)


def read_one_safely(path: Path, options: ReadOptions) -> list[FileResult]:
    """Read one input; any failure that is not already a ScriskError becomes UnreadableFileError."""
    try:
        return _read_one(path, options)
    except ScriskError:
        raise
    except MemoryError:
        raise UnreadableFileError("not enough memory to read this file; filter it with --year/--hs", path=str(path)) from None
    except Exception as exc:  # noqa: BLE001 - the reader contract: only ScriskError leaves read_flows
        raise UnreadableFileError(
            f"cannot read this file ({type(exc).__name__}: {exc_text(exc)}); check it is a BACI, Comtrade, tidy CSV or "
            "Parquet trade file (re-run with --debug for details)",
            path=str(path),
        ) from exc


def check_options(options: ReadOptions) -> ReadOptions:
    """Refuse option values no reader accepts (before any file is opened).

    Raises
    ------
    UsageError
    """
    from scrisk.schema import HS_REVISIONS

    def sources() -> tuple[str, ...]:
        from scrisk.io.formats import SOURCES

        return SOURCES

    def sides() -> tuple[str, ...]:
        from scrisk.io.formats.comtrade import COMTRADE_SIDES

        return COMTRADE_SIDES

    def units(which: str) -> tuple[str, ...]:
        from scrisk.io.formats import tidy

        return tuple(getattr(tidy, which))

    # the allowed values come from the format modules, imported only when a value is given
    checks = [
        ("--source", options.source, sources),
        ("--comtrade-side", None if options.comtrade_side in (None, "", "both") else options.comtrade_side, sides),
        ("--value-unit", options.value_unit, lambda: units("VALUE_UNITS")),
        ("qty_unit", options.qty_unit, lambda: units("QTY_UNITS")),
        ("--hs-revision", options.hs_revision, lambda: HS_REVISIONS),
    ]
    if options.max_rejected is not None and not 0 <= options.max_rejected <= 1:
        raise UsageError(f"--max-rejected {options.max_rejected} must be a share between 0 and 1 (e.g. 0.01)")
    for flag, value, allowed in checks:
        if value is not None and value not in allowed():
            raise UsageError(f"{flag} {value!r} is not one of {', '.join(allowed())}")
    return options


def read_flows(
    paths: Iterable[str | Path] | str | Path, options: ReadOptions | None = None, *, keep_rows: bool = True
) -> FlowTable:
    """Read trade files (BACI CSV/zip, Comtrade CSV, tidy CSV, Parquet) into one validated flow table.

    Parameters
    ----------
    paths : path, glob, or iterable of them
        Several files or years combine into one table; each file's format is
        sniffed from its content independently (``options.source`` forces
        one for all).
    options : ReadOptions, optional
        Format, column mapping, units, ``years``/``hs`` filters (applied in
        the scan: rows outside them are never read nor counted), encoding,
        profile, Comtrade side.
    keep_rows : bool
        False when only the accounting is needed (as in ``scrisk validate``):
        with the input cache off, a BACI file is then checked and counted in
        one pass without writing its rows; the table reads them again if they
        are asked for.

    Returns
    -------
    FlowTable
        Accepted rows in canonical form; ``meta`` (formats -- ``"mixed"``
        when they differ --, HS revision when known, input files, years,
        release) and ``report`` (rows read/accepted/rejected, reasons,
        rejected rows with file, line, reason, detail and raw fields,
        unknown country codes with their value).

    Raises
    ------
    ScriskError
        Only scrisk errors: :class:`~scrisk.errors.UnreadableFileError` /
        :class:`~scrisk.errors.FormatDetectionError` for files that cannot
        be read at all (exit code 3), :class:`~scrisk.errors.UsageError`
        for bad options (exit code 2).
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    options = check_options(resolve_options(options or ReadOptions()))
    files = expand_paths(paths)
    from scrisk.engine.ingest import load_into_store

    table = load_into_store(files, options, exact=lambda fs: read_exact(fs, options), keep_rows=keep_rows)
    return check_rejected(table, options.max_rejected)


def read_exact(files: list[Path], options: ReadOptions) -> FlowTable:
    """Read expanded ``files`` with the exact readers (every rejected row with its reason, detail and line)."""
    results: list[FileResult] = []
    for f in files:
        results.extend(read_one_safely(f, options))
    return combine(results, inputs=[str(f) for f in files])


# ------------------------------------------------------------------ combine

def _key_codes(acc: pd.DataFrame) -> np.ndarray:
    """One int64 per (year, month, exporter, importer, hs), equal exactly when the keys are equal."""
    import numpy as np
    import pandas as pd

    key = np.zeros(len(acc), dtype=np.int64)
    span = 1
    for col in KEY_COLUMNS:
        codes, uniques = pd.factorize(acc[col], sort=False, use_na_sentinel=False)
        k = max(len(uniques), 1)
        span *= k
        if span >= 2**62:  # too many distinct keys for one integer: fall back to pandas' own hashing
            return pd.factorize(pd.MultiIndex.from_frame(acc[list(KEY_COLUMNS)]))[0].astype(np.int64)
        key = key * k + codes.astype(np.int64)
    return key


def _heading_rejections(acc: pd.DataFrame, detailed: set[str]) -> pd.DataFrame:
    """HS4 heading rows of headings the inputs also hold longer codes under (idx, reason, detail).

    A heading beside codes under it is their total: its rows are **aggregate HS code** and the longer codes
    are used, so one table never holds one heading at two levels. ``detailed`` are the headings any input row
    has a longer code under (accepted or not: a heading total beside its subheadings' World rows or other
    side's reports is still a total). A heading with no code under it in any file is a product at the heading
    level (a Comtrade query by heading, a file of 4-digit totals).
    """
    import numpy as np
    import pandas as pd

    hs = acc["hs"].astype(str)
    short = (hs.str.len() == 4).to_numpy()
    hit = np.flatnonzero(short & hs.isin(detailed).to_numpy()) if short.any() else np.zeros(0, dtype=np.int64)
    det = [f"HS {h} is the heading total of codes the inputs also hold under it: those are used"
           for h in hs.iloc[hit]]
    return pd.DataFrame({"idx": hit.astype("int64"), "reason": pd.Series([R.AGGREGATE_HS] * len(hit), dtype=object),
                         "detail": pd.Series(det, dtype=object)})


def _cross_file_rejections(acc: pd.DataFrame, results: list[FileResult]) -> pd.DataFrame:
    """Return rows of ``acc`` (idx = row position, reason, detail) rejected by the all-files checks."""
    import numpy as np
    import pandas as pd

    from scrisk.io.formats.comtrade import SIDE_EXPORT, SIDE_IMPORT

    key = _key_codes(acc)
    fid = acc["_fid"].to_numpy()
    line = acc["_line"].to_numpy()
    out = []
    side = acc["_side"].to_numpy()
    gone = np.zeros(len(acc), dtype=bool)
    is_m, is_x = side == SIDE_IMPORT, side == SIDE_EXPORT
    if is_x.any() and is_m.any():
        m_pos = np.flatnonzero(is_m)
        first_m = pd.Series(m_pos, index=key[m_pos])
        first_m = first_m[~first_m.index.duplicated(keep="first")]
        x_pos = np.flatnonzero(is_x)
        hit = x_pos[np.isin(key[x_pos], first_m.index.to_numpy())]
        if len(hit):
            ref = first_m.loc[key[hit]].to_numpy()
            imp = acc["importer"].to_numpy()
            det = [
                f"{imp[r]} reported this flow as an import ({results[int(fid[r])].label}:{int(line[r])}); that report is used"
                for r in ref
            ]
            out.append(pd.DataFrame({"idx": hit, "reason": R.SUPERSEDED, "detail": det}))
            gone[hit] = True
    rest = np.flatnonzero(~gone)
    ks = pd.Series(key[rest])
    dup = ks.duplicated(keep="first").to_numpy()
    if dup.any():
        firsts = pd.Series(rest[~dup], index=key[rest[~dup]])
        dpos = rest[dup]
        ref = firsts.loc[key[dpos]].to_numpy()
        det = [
            f"same period, exporter, importer and HS as {results[int(fid[r])].label}:{int(line[r])} (the first row is kept)"
            for r in ref
        ]
        out.append(pd.DataFrame({"idx": dpos, "reason": R.DUPLICATE_KEY, "detail": det}))
    if not out:
        return pd.DataFrame({"idx": pd.Series(dtype="int64"), "reason": pd.Series(dtype=object), "detail": pd.Series(dtype=object)})
    return pd.concat(out, ignore_index=True)


def _reject_late(acc: pd.DataFrame, late: pd.DataFrame, results: list[FileResult]) -> pd.DataFrame:
    """Move the rows of ``acc`` that ``late`` (idx, reason, detail) rejects to their files' rejected rows.

    Returns ``acc`` without them.
    """
    import numpy as np
    import pandas as pd

    from scrisk.io import _stage

    lr = acc.iloc[late["idx"].to_numpy()][["_fid", "_pos", "_line", VALUE]].reset_index(drop=True)
    lr["reason"] = late["reason"].to_numpy()
    lr["detail"] = late["detail"].to_numpy()
    for fid, grp in lr.groupby("_fid", sort=True):
        r = results[int(fid)]
        extra = _stage.rejected_frame(
            r.label,
            r.raw,
            grp["_pos"].to_numpy(),
            grp["_line"].to_numpy(),
            grp["reason"].tolist(),
            grp["detail"].tolist(),
            value=grp[VALUE].to_numpy(),
        )
        r.rejected = (pd.concat([r.rejected, extra], ignore_index=True) if len(r.rejected) else extra).sort_values(
            "line", kind="stable"
        ).reset_index(drop=True)
    keep = np.ones(len(acc), dtype=bool)
    keep[late["idx"].to_numpy()] = False
    return acc[keep]


def _one(values: list, mixed: str = "mixed"):
    vals = [v for v in dict.fromkeys(values) if v]
    if not vals:
        return None
    return vals[0] if len(vals) == 1 else mixed


def combine(results: list[FileResult], *, inputs: list[str]) -> FlowTable:
    """Combine per-file results: cross-file checks, the read report, metadata, validation."""
    import numpy as np
    import pandas as pd

    frames = []
    for fid, r in enumerate(results):
        a = r.accepted
        a["_fid"] = np.int32(fid)
        frames.append(a)
        r.accepted = None  # the combined frame below is the only copy kept
    if len(frames) == 1:
        acc = frames[0].reset_index(drop=True)
    elif frames:
        acc = pd.concat(frames, ignore_index=True)
    else:
        acc = pd.DataFrame(columns=list(FLOW_COLUMNS) + ["_fid", "_line", "_pos", "_side"])
    del frames
    stamped = [r.label for r in results if r.year_source == "--year"]
    if len(stamped) > 1:
        from scrisk.io.periods import check_stamped

        check_stamped(stamped, int(acc["year"].iloc[0]) if len(acc) else 0)
    from scrisk.io.mirror import mirror_report

    detailed = set().union(*(r.detail_headings for r in results)) if results else set()
    if len(acc):
        hs = acc["hs"].astype(str)
        detailed |= set(hs[hs.str.len() > 4].str.slice(0, 4))
    heads = _heading_rejections(acc, detailed) if len(acc) else None
    if heads is not None and len(heads):
        acc = _reject_late(acc, heads, results).reset_index(drop=True)
    mirror = mirror_report(acc) if len(acc) else None
    late = _cross_file_rejections(acc, results) if len(acc) else None
    if late is not None and len(late):
        acc = _reject_late(acc, late, results)
    for r in results:
        r.raw = None  # release the raw text
    # exactly rounded sums (math.fsum): the same rows in any order give the same totals to the last bit
    per_file_acc = acc.groupby("_fid").agg(n=(VALUE, "size"), v=(VALUE, math.fsum)) if len(acc) else None

    files, rejected_all = [], []
    reasons: Counter = Counter()
    value_rej: dict[str, float] = {}
    unknown: dict[str, float] = {}
    total_read = 0
    for fid, r in enumerate(results):
        n_acc = int(per_file_acc["n"].get(fid, 0)) if per_file_acc is not None else 0
        v_acc = float(per_file_acc["v"].get(fid, 0.0)) if per_file_acc is not None else 0.0
        rej = r.rejected
        file_reasons = Counter(rej["reason"].tolist()) if len(rej) else Counter()
        if len(rej):
            vals = pd.to_numeric(rej["_value"], errors="coerce").fillna(0.0)
            for reason, v in vals.groupby(rej["reason"]).agg(math.fsum).items():
                value_rej[reason] = value_rej.get(reason, 0.0) + float(v)
            unk = rej[rej["reason"] == R.UNKNOWN_COUNTRY]
            for codes, v in zip(unk["_unknown"], vals[unk.index]):
                # a row with several unknown codes shares its value among them: the codes' values add up to
                # the value rejected, never more
                found = list(dict.fromkeys(c for c in str(codes).split("|") if c))
                for code in found:
                    unknown[code] = unknown.get(code, 0.0) + float(v) / len(found)
            rejected_all.append(rej.drop(columns=["_value", "_unknown"], errors="ignore"))
        reasons += file_reasons
        total_read += r.rows_read
        files.append(
            {
                "file": r.label,
                "input": r.input_path or r.label,
                "source_format": r.source_format,
                "encoding": r.encoding,
                "hs_revision": r.hs_revision,
                "release": r.release,
                "rows_read": r.rows_read,
                "rows_accepted": n_acc,
                "rows_rejected": len(rej),
                "reasons": dict(sorted(file_reasons.items())),
                "value_usd_accepted": v_acc,
            }
        )
        if n_acc + len(rej) != r.rows_read:
            raise AssertionError(f"{r.label}: {n_acc} accepted + {len(rej)} rejected != {r.rows_read} read")
    frame = acc[list(FLOW_COLUMNS)].reset_index(drop=True)
    del acc
    report = ReadReport(
        rows_read=total_read,
        rows_accepted=len(frame),
        rows_rejected=sum(f["rows_rejected"] for f in files),
        reasons=reasons,
        value_usd_accepted=math.fsum(frame[VALUE].to_numpy()) if len(frame) else 0.0,
        value_usd_rejected=dict(sorted(value_rej.items())),
        unknown_codes=dict(sorted(unknown.items(), key=lambda kv: (-kv[1], kv[0]))),
        rejected=pd.concat(rejected_all, ignore_index=True) if rejected_all else _empty_rejected(),
        files=files,
    )
    report.check()
    notes = [n for r in results for n in r.notes]
    short = frame["hs"].astype(str).str.len() == 4 if len(frame) else pd.Series([], dtype=bool)
    headings = tuple(sorted(set(frame.loc[short.to_numpy(), "hs"].astype(str)))) if len(frame) else ()
    world, world_notes = _world_totals([r.world for r in results], detailed)
    if headings:
        from scrisk.provenance import headings_note

        notes.append(headings_note(headings))
    notes.extend(world_notes)
    inference = _inference([r.hs_inference for r in results if r.hs_inference is not None])
    if inference is not None:
        notes.append(inference_note(inference))
    notes.extend(unknown_notes(report))
    meta = FlowMeta(
        source_format=_one([r.source_format for r in results]) or "unknown",
        hs_revision=_one([r.hs_revision for r in results]),
        inputs=tuple(inputs),
        release=_one([r.release for r in results]),
        notes=tuple(dict.fromkeys(notes)),
        world_totals=world,
        mirror=mirror,
        hs_headings=headings,
        hs_inference=inference,
    )
    # duplicate keys were already rejected row by row (DUPLICATE_KEY), across all files
    return make_flow_table(frame, meta=meta, report=report, check_unique=False)


def _world_totals(parts: list, detailed: set[str]) -> tuple[pd.DataFrame | None, list[str]]:
    """The reporter-to-World rows of every file as one side table, and notes on what it holds.

    A row repeating the (period, reporter, flow, HS code) of an earlier one (the same download read twice) is
    kept once; HS4 headings ``detailed`` (the inputs hold longer codes under them) are left out (their
    totals), as in the flow table. The rows stay counted as *reporter-to-World total* in the read report.
    """
    import pandas as pd

    parts = [w for w in parts if w is not None and len(w)]
    if not parts:
        return None, []
    world = pd.concat(parts, ignore_index=True)
    notes = []
    key = ["year", "month", "reporter", "flow", "hs"]
    dup = world.duplicated(key, keep="first").to_numpy()
    if dup.any():
        notes.append(f"{int(dup.sum())} reporter-to-World row(s) repeat an earlier one (period, reporter, flow, HS): "
                     "kept once in meta.world_totals")
        world = world[~dup].reset_index(drop=True)
    hs = world["hs"].astype(str)
    total = (hs.str.len() == 4) & hs.isin(detailed)
    if total.any():
        notes.append(f"{int(total.sum())} reporter-to-World row(s) of HS4 headings the data also holds codes under "
                     "left out of meta.world_totals (heading totals)")
        world = world[~total.to_numpy()].reset_index(drop=True)
    notes.insert(0, f"{len(world)} reporter-to-World total row(s) kept in meta.world_totals for world-side figures "
                    "(not bilateral flows)")
    return world, notes


def _inference(parts: list[dict]) -> dict | None:
    """The files' HS revision inferences as one record: the rule, every reporter-year, counts per revision."""
    if not parts:
        return None
    years = [ry for p in parts for ry in p["reporter_years"]]
    counts = Counter(ry["revision"] or "undetermined" for ry in years)
    return {"rule": parts[0]["rule"], "counts": dict(sorted(counts.items())), "reporter_years": years}


def inference_note(inference: dict) -> str:
    """The note on HS revisions inferred per reporter-year (``meta.hs_inference``)."""
    counts = inference["counts"]
    found = ", ".join(f"{n} {r}" for r, n in counts.items() if r != "undetermined") or "none"
    codes = sorted({c for ry in inference["reporter_years"] for cs in ry["evidence"].values() for c in cs})
    shown = ", ".join(codes[:6]) + (" ..." if len(codes) > 6 else "")
    und = counts.get("undetermined", 0)
    return (f"HS revision inferred per reporter-year (the inputs do not state it): {found} from codes that exist in "
            f"that revision only ({shown or 'none found'})" + (f"; {und} reporter-year(s) undetermined (no such code): "
            "their rows keep no revision and count as the conversion's target (hs_conversion.assumed_share)"
                                                        if und else "") + "; meta.hs_inference lists each")


def unknown_notes(report: ReadReport, limit: int = 10) -> list[str]:
    """One note listing unmapped country codes or names with their share of the input value."""
    if not report.unknown_codes:
        return []
    total = report.value_usd_total
    parts = [f"{code!r} {v / total:.2%}" if total else f"{code!r}" for code, v in list(report.unknown_codes.items())[:limit]]
    more = len(report.unknown_codes) - limit
    return [f"unmapped countries (share of input value): {', '.join(parts)}" + (f" and {more} more" if more > 0 else "")]


def defect_share(report: ReadReport) -> tuple[float, float]:
    """``(defect value USD, share of the input value)`` rejected as defects (see :mod:`scrisk.io.reasons`)."""
    total = report.value_usd_total
    bad = sum(v for k, v in report.value_usd_rejected.items() if R.is_defect(k) and v > 0)
    return bad, (bad / total if total else 0.0)


def check_rejected(table: FlowTable, max_share: float | None) -> FlowTable:
    """Raise :class:`~scrisk.errors.TooManyRejectedError` (exit 1) when more than ``max_share`` of the value is defects.

    With ``max_share`` 0 (``--strict``), any defect row fails, also one whose value did not parse.
    """
    if max_share is None:
        return table
    from scrisk.errors import TooManyRejectedError

    rep = table.report
    bad, share = defect_share(rep)
    defect_rows = sum(n for k, n in rep.reasons.items() if R.is_defect(k))
    if share > max_share or (max_share == 0 and defect_rows):
        top = sorted(((k, n) for k, n in rep.reasons.items() if R.is_defect(k)), key=lambda kv: -kv[1])[:3]
        reasons = ", ".join(f"{k} ({n} rows)" for k, n in top)
        limit = "--strict" if max_share == 0 else f"--max-rejected {max_share:g}"
        raise TooManyRejectedError(
            f"{share:.2%} of the input value (${bad:,.0f}, {defect_rows} rows) was rejected as defects, more than "
            f"{limit} allows: {reasons}. Run `scrisk validate` on the inputs to see the rows"
        )
    return table


def _empty_rejected() -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in (("file", object), ("line", "int64"), ("reason", object), ("detail", object))})
