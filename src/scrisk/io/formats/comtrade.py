"""UN Comtrade CSV files: the Comtrade+ API/bulk layout, the legacy bulk layout and trimmed extracts.

Recognised layouts (header names are matched case-insensitively):

* **Comtrade+ API / bulk**: ``refYear, freqCode, reporterCode, partnerCode,
  partner2Code, flowCode, classificationCode, cmdCode, customsCode,
  mosCode, motCode, netWgt, primaryValue, ...``
* **legacy bulk CSV**: ``Year, Trade Flow Code (1-4), Reporter Code,
  Partner Code, 2nd Partner Code, Customs Proc. Code, Mode of Transport
  Code, Commodity Code, Netweight (kg), Trade Value (US$), Classification, ...``
* **trimmed extracts**: ``[year,] reporter, partner, cmd, flow (M/X), value,
  netwgt`` -- the breakdown columns were dropped but the breakdown rows kept.
  Without a year column the year comes from ``--year FILE=YEAR`` or the
  file name (``comtrade_2024.csv.gz``), see :mod:`scrisk.io.periods`.

Gzip files are read transparently. Country codes are Comtrade's M49-based
numeric codes (842 USA, 251 France, 699 India, 757 Switzerland, 579
Norway, 381/380 Italy, 490 "Other Asia, nes" = Taiwan -> ``TWN``), mapped
with scrisk's bundled country table.

What is accepted, and what is dropped (structural reasons, see
:mod:`scrisk.io.reasons`):

* World (partner 0), regional aggregates and unallocated areas ("nes",
  bunkers, free zones...) are not bilateral flows: **aggregate partner**.
* HS chapters/headings (2 or 4 digits) and ``TOTAL``: **aggregate HS code**.
* Breakdown rows. When the breakdown columns exist, only the totals are
  kept (``partner2Code`` 0, ``motCode`` 0, ``mosCode`` 0, ``customsCode``
  C00; empty in the legacy layout) and the rest are **duplicate breakdown
  row**. When they were dropped (trimmed extracts), the row with the largest
  value per (year, reporter, partner, cmd, flow) is kept -- it is the total,
  so sums match the reporter's World row -- and the others are **duplicate
  breakdown row**.
* Flows: ``X`` (exports, legacy 2) are oriented exporter = reporter,
  importer = partner; ``M`` (imports, legacy 1) exporter = partner,
  importer = reporter. Re-exports and re-imports (RX/RM, legacy 3/4) are
  **re-export or re-import**; special flows (DX, FM, processing flows...)
  are **other flow code**; unknown codes are a defect.
* Which reported side is used -- ``comtrade_side`` / ``--comtrade-side``:

  ``exports``
      exporter reports only (X rows); M rows are **other reported side**.
  ``imports``
      importer reports only (M rows); X rows are **other reported side**.
  ``both`` (default)
      importer reports (M rows, usually CIF and better documented), plus
      the exporter's X row for every (year, exporter, importer, hs) that no
      importer reported. X rows whose flow an importer did report are
      **superseded by partner report** (decided across all files read
      together).

Periods: ``period`` (``2024`` or ``202406``) or ``refYear`` with
``refMonth`` (1-12 monthly, 52 annual); monthly rows (``freqCode`` M) keep
their month -- every month is a flow of its own. Other frequencies are
**non-annual period**. A file without a period column takes its year from
``--year FILE=YEAR`` or its file name (:mod:`scrisk.io.periods`). Partner
World (0, ``W00``) rows are the reporter's totals: **reporter-to-World
total**, kept in ``meta.world_totals`` for world-side figures, never as
bilateral flows. Rows of a non-HS classification (SITC, BEC) as **malformed HS code**. The
quantity is ``netWgt`` (kg); ``qty`` is in varying units and is not used.
The HS revision comes from ``classificationCode`` (H5 -> HS2017, H6 ->
HS2022...). A file without it (trimmed extracts) and without ``--hs-revision``
has its revision inferred per reporter-year from the codes that exist in one
revision only (811231, hafnium, is HS2022's): see
:func:`scrisk.engine.hs_revision.infer_revisions`; reporter-years without
such a code keep no revision. ``meta.hs_inference`` records every
reporter-year, its revision and the evidence.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from scrisk.errors import FormatDetectionError, UsageError
from scrisk.io import reasons as R
from scrisk.io._scan import scan_csv
from scrisk.io._stage import (
    Candidate,
    CountryMapper,
    FileResult,
    Verdict,
    judge,
    make_keep,
    normalise_hs,
    parse_number,
    parse_period,
    parse_year,
    sample_text,
    trim,
)
from scrisk.io.periods import file_year, period_column
from scrisk.io._format import Format
from scrisk.io.sniff import TextSource, normalise_name

__all__ = ["FORMAT", "recognise", "read_comtrade_text", "COMTRADE_SIDES", "HS_FROM_CLASSIFICATION", "SIDE_IMPORT",
           "SIDE_EXPORT"]

_COMTRADE_SETS = (
    {"reportercode", "partnercode", "cmdcode", "flowcode"},  # Comtrade+ API / bulk
    {"reporter code", "partner code", "commodity code", "trade flow code"},  # legacy bulk CSV
    {"reporter", "partner", "cmd", "flow"},  # short layout (columns trimmed)
)


def recognise(header, options=None) -> bool:
    """True for a Comtrade header (API/bulk, legacy bulk or trimmed names).

    Examples
    --------
    >>> recognise(["reporter", "partner", "cmd", "flow", "value", "netwgt"]), recognise(["exporter", "importer"])
    (True, False)
    """
    norm = {normalise_name(n) for n in header}
    return any(cols <= norm for cols in _COMTRADE_SETS)


def read_file(path, src: TextSource, options) -> list[FileResult]:
    """Read one Comtrade CSV (plain or gzip) with the bundled country table (M49 codes)."""
    from scrisk.countries import CountryTable

    res = read_comtrade_text(src, options, mapper=CountryMapper(CountryTable.bundled()), input_path=str(path))
    if options.columns and not options.source:
        res.notes.append(f"{path}: read as comtrade from its header; --columns applies to tidy files (add --source tidy)")
    return [res]

COMTRADE_SIDES = ("both", "imports", "exports")
SIDE_IMPORT, SIDE_EXPORT = 1, 2

HS_FROM_CLASSIFICATION = {
    "H0": "HS1992",
    "H1": "HS1996",
    "H2": "HS2002",
    "H3": "HS2007",
    "H4": "HS2012",
    "H5": "HS2017",
    "H6": "HS2022",
}

_ALIASES: dict[str, tuple[str, ...]] = {
    "year": ("refyear", "year"),
    "reporter": ("reportercode", "reporter code", "reporter"),
    "partner": ("partnercode", "partner code", "partner"),
    "cmd": ("cmdcode", "commodity code", "cmd"),
    "flow": ("flowcode", "trade flow code", "flow"),
    "value": ("primaryvalue", "trade value (us$)", "value"),
    "netwgt": ("netwgt", "netweight (kg)"),
    "partner2": ("partner2code", "2nd partner code"),
    "mot": ("motcode", "mode of transport code"),
    "mos": ("moscode",),
    "customs": ("customscode", "customs proc. code"),
    "classification": ("classificationcode", "classification"),
    "freq": ("freqcode",),
    "period": ("period",),
    "month": ("refmonth",),
}
_REQUIRED = ("reporter", "partner", "cmd", "flow", "value")

_IMPORT = ["M", "1", "IMPORT", "IMPORTS"]
_EXPORT = ["X", "2", "EXPORT", "EXPORTS"]
_REFLOWS = ["RX", "RM", "3", "4", "RE-EXPORT", "RE-IMPORT", "RE-EXPORTS", "RE-IMPORTS"]
_OTHER_FLOWS = ["DX", "FM", "MIP", "XIP", "MOP", "XOP", "MIF", "XIF", "MG", "XG", "MTP", "XTP", "MMI", "XMI"]
_TOTALS = {"partner2": ("", "0"), "mot": ("", "0"), "mos": ("", "0"), "customs": ("", "C00")}


def _columns(src: TextSource) -> dict[str, str | None]:
    norm: dict[str, str] = {}
    for h in src.header:
        norm.setdefault(normalise_name(h), h)
    cols = {k: next((norm[a] for a in aliases if a in norm), None) for k, aliases in _ALIASES.items()}
    missing = [k for k in _REQUIRED if cols[k] is None]
    if missing:
        raise FormatDetectionError(
            f"Comtrade file lacks {', '.join(missing)} columns (need reporterCode, partnerCode, cmdCode, flowCode, "
            f"primaryValue or their legacy/short names); found {', '.join(src.header[:20])}",
            path=src.label,
            line=1,
        )
    return cols


def _mask(arr) -> np.ndarray:
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=bool)


def read_comtrade_text(src: TextSource, options, *, mapper: CountryMapper, input_path: str) -> FileResult:
    """Read one Comtrade CSV stream into a :class:`FileResult` (see the module docstring)."""
    side_opt = options.comtrade_side or "both"
    if side_opt not in COMTRADE_SIDES:
        raise UsageError(f"--comtrade-side {side_opt!r} is not one of {', '.join(COMTRADE_SIDES)}")
    cols = _columns(src)
    if options.period_column:
        cols["period"] = period_column(src.header, options.period_column, src.label)
    fixed_year = file_year(src.label, options) if not (cols["year"] or cols["period"]) else None
    time_col = cols["period"] or cols["year"]
    scan = scan_csv(src, make_keep(time_col, cols["cmd"], options.years, options.hs, fixed_year))
    tab = scan.table
    n = tab.num_rows
    months = np.zeros(n, dtype=np.int8)
    if cols["period"]:
        years, months, year_bad = parse_period(tab[cols["period"]])
    elif cols["year"]:
        years, year_bad = parse_year(tab[cols["year"]])
        if cols["month"]:  # Comtrade+ refMonth: 1-12 for monthly rows, 52 for annual ones
            mv, _mm, _mi = parse_number(tab[cols["month"]])
            months = np.where((mv >= 1) & (mv <= 12), np.nan_to_num(mv), 0).astype(np.int8)
    else:
        years, year_bad = np.full(n, fixed_year, dtype=np.int64), np.zeros(n, dtype=bool)

    flow = pc.utf8_upper(trim(tab[cols["flow"]]))
    is_m = _mask(pc.is_in(flow, value_set=pa.array(_IMPORT)))
    is_x = _mask(pc.is_in(flow, value_set=pa.array(_EXPORT)))
    is_re = _mask(pc.is_in(flow, value_set=pa.array(_REFLOWS)))
    is_other = _mask(pc.is_in(flow, value_set=pa.array(_OTHER_FLOWS)))
    reporter, partner = trim(tab[cols["reporter"]]), trim(tab[cols["partner"]])
    m_arr = pa.array(is_m)
    exp_col = pc.if_else(m_arr, partner, reporter)
    imp_col = pc.if_else(m_arr, reporter, partner)
    exporter = mapper.map(exp_col)
    importer = mapper.map(imp_col)
    side = np.where(is_m, SIDE_IMPORT, np.where(is_x, SIDE_EXPORT, 0)).astype(np.int8)

    hs = normalise_hs(tab[cols["cmd"]], aggregates=True, allow_tariff_lines=False)
    value, vmiss, vinv = parse_number(tab[cols["value"]])
    if cols["netwgt"]:
        qty, _qmiss, qinv = parse_number(tab[cols["netwgt"]])
    else:
        qty, qinv = np.full(n, np.nan), np.zeros(n, dtype=bool)

    def texts(col):
        return lambda p: sample_text(trim(tab[col]).take(pa.array(p)).to_pylist())

    extra: list = []
    if cols["freq"]:
        freq = pc.utf8_upper(trim(tab[cols["freq"]]))
        monthly = _mask(pc.equal(freq, "M"))
        non_annual = ~_mask(pc.is_in(freq, value_set=pa.array(["A", "M", ""])))
        extra.append((non_annual, R.NON_ANNUAL, lambda p: [f"freqCode {t!r}: scrisk reads annual (A) and monthly (M) data"
                                                           for t in texts(cols["freq"])(p)]))
        extra.append((monthly & (months == 0), R.BAD_YEAR, "freqCode M (monthly) but no month in the period "
                      "(expected YYYYMM or refMonth 1-12)"))
    if cols["classification"]:
        cls = pc.utf8_upper(trim(tab[cols["classification"]]))
        not_hs = ~_mask(pc.is_in(cls, value_set=pa.array(list(HS_FROM_CLASSIFICATION) + ["HS", ""])))
        extra.append((not_hs, R.MALFORMED_HS, lambda p: [f"classification {t!r} is not HS" for t in texts(cols["classification"])(p)]))
    flow_txt = texts(cols["flow"])
    extra.append((~(is_m | is_x | is_re | is_other), R.UNKNOWN_FLOW, lambda p: [f"flow code {t!r} unknown (expected M or X)" for t in flow_txt(p)]))
    extra.append((is_re, R.REEXPORT, lambda p: [f"flow {t!r} not used (would double count)" for t in flow_txt(p)]))
    extra.append((is_other, R.OTHER_FLOW, lambda p: [f"special flow {t!r} not used" for t in flow_txt(p)]))
    if side_opt == "exports":
        extra.append((is_m, R.OTHER_SIDE, "import report; --comtrade-side exports uses export reports"))
    elif side_opt == "imports":
        extra.append((is_x, R.OTHER_SIDE, "export report; --comtrade-side imports uses import reports"))
    breakdown = [k for k in _TOTALS if cols[k]]
    if breakdown:
        not_total = np.zeros(n, dtype=bool)
        parts = {}
        for k in breakdown:
            t = pc.utf8_upper(trim(tab[cols[k]]))
            nt = ~_mask(pc.is_in(t, value_set=pa.array(list(_TOTALS[k]))))
            parts[k] = nt
            not_total |= nt

        def bd_detail(p):
            out = []
            for i in p:
                names = [cols[k] for k in breakdown if parts[k][i]]
                out.append("breakdown by " + ", ".join(names) + " (the total row is kept)")
            return out

        extra.append((not_total, R.DUPLICATE_BREAKDOWN, bd_detail))

    late = []
    if not breakdown:
        late.append(_max_per_key(years, reporter, partner, hs, flow, value, scan.lines))

    revision, inference = _row_revisions(tab, cols, options.hs_revision), None
    if not cols["classification"] and options.hs_revision is None and n:
        revision, inference = _inferred_revisions(reporter, years, hs.codes, mapper)
    cand = Candidate(
        scan=scan,
        year=years,
        year_bad=year_bad,
        hs=hs,
        value=value,
        value_missing=vmiss,
        value_invalid=vinv,
        qty=qty,
        qty_invalid=qinv,
        exporter=exporter,
        importer=importer,
        required={
            **({"year": tab[time_col]} if time_col else {}),
            "reporter": tab[cols["reporter"]],
            "partner": tab[cols["partner"]],
            "cmd": tab[cols["cmd"]],
            "flow": tab[cols["flow"]],
        },
        raw_year=tab[time_col] if time_col else None,
        raw_hs=tab[cols["cmd"]],
        raw_value=tab[cols["value"]],
        raw_qty=tab[cols["netwgt"]] if cols["netwgt"] else None,
        extra_checks=extra,
        late_checks=late,
        side=side if side_opt == "both" else np.zeros(n, dtype=np.int8),
        revision=revision,
        month=months if months.any() else None,
        world_totals=True,
        roles=(np.where(is_m, "partner", "reporter"), np.where(is_m, "reporter", "partner")),
    )
    res = judge(cand, label=src.label, source_format="comtrade", encoding=src.encoding)
    res.input_path = input_path
    res.hs_revision = _hs_revision(tab, cols) or options.hs_revision
    if inference is not None:
        res.hs_inference = inference
        found = {r["revision"] for r in inference["reporter_years"]}
        res.hs_revision = next(iter(found)) if len(found) == 1 and None not in found else (
            "mixed" if found - {None} else None)
    res.notes.append(_side_note(side_opt))
    return res


def _inferred_revisions(reporter, years, codes, mapper: CountryMapper) -> tuple[pa.Array, dict]:
    """Per-row HS revisions of a file without ``classificationCode``, inferred per reporter-year from the codes
    that exist in one revision only (:func:`scrisk.engine.hs_revision.infer_revisions`), and the record of it."""
    from scrisk.engine.hs_revision import INFERENCE_RULE, infer_revisions

    raw = np.asarray(_np_text(reporter), dtype=object)
    revs, info = infer_revisions(raw, years, _np_text(codes))
    uniq = sorted({str(i["reporter"]) for i in info})
    iso = dict(zip(uniq, mapper.map(pa.array(uniq, type=pa.string())).iso.to_pylist()))
    for i in info:
        i["reporter"] = iso.get(str(i["reporter"])) or str(i["reporter"])
    return pa.array(revs, type=pa.string()), {"rule": INFERENCE_RULE, "reporter_years": info}


def _np_text(arr) -> np.ndarray:
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    return arr.to_numpy(zero_copy_only=False)


def _side_note(side: str) -> str:
    return {
        "both": "Comtrade: importer reports used; exporter reports fill flows no importer reported (--comtrade-side both)",
        "imports": "Comtrade: importer reports only (--comtrade-side imports)",
        "exports": "Comtrade: exporter reports only (--comtrade-side exports)",
    }[side]


def _row_revisions(tab: pa.Table, cols, default: str | None):
    """Per-row HS revision from ``classificationCode`` (H0..H6), else ``default``."""
    if not cols["classification"]:
        return default
    keys = pa.array(list(HS_FROM_CLASSIFICATION))
    vals = pa.array(list(HS_FROM_CLASSIFICATION.values()))
    idx = pc.index_in(pc.utf8_upper(trim(tab[cols["classification"]])), value_set=keys)
    got = pc.take(vals, idx)
    if default is not None:
        got = pc.fill_null(got, default)
    return got.combine_chunks() if isinstance(got, pa.ChunkedArray) else got


def _hs_revision(tab: pa.Table, cols) -> str | None:
    if not cols["classification"] or tab.num_rows == 0:
        return None
    found = {str(v).strip().upper() for v in pc.unique(tab[cols["classification"]]).to_pylist()}
    revs = sorted({HS_FROM_CLASSIFICATION[c] for c in found if c in HS_FROM_CLASSIFICATION})
    if len(revs) == 1:
        return revs[0]
    return "mixed" if revs else None


def _max_per_key(years, reporter, partner, hs, flow, value, lines):
    """Late check for trimmed extracts: keep the largest row per reported key, reject the other rows."""

    def check(v: Verdict) -> None:
        free = np.flatnonzero(v.free())
        if len(free) < 2:
            return
        idx = pa.array(free)
        df = pd.DataFrame(
            {
                "y": years[free],
                "r": reporter.take(idx).to_numpy(zero_copy_only=False),
                "p": partner.take(idx).to_numpy(zero_copy_only=False),
                "k": hs.codes.take(idx).to_numpy(zero_copy_only=False),
                "f": flow.take(idx).to_numpy(zero_copy_only=False),
                "v": value[free],
                "pos": free,
            }
        )
        keys = ["y", "r", "p", "k", "f"]
        df = df.sort_values(["v", "pos"], ascending=[False, True], kind="stable")
        dup = df.duplicated(keys, keep="first").to_numpy()
        if not dup.any():
            return
        kept_line = df.groupby(keys, sort=False)["pos"].transform("first").to_numpy()
        rej = df["pos"].to_numpy()[dup]
        ref = dict(zip(rej.tolist(), lines[kept_line[dup]].tolist()))
        mask = np.zeros(v.n, dtype=bool)
        mask[rej] = True
        v.reject(mask, R.DUPLICATE_BREAKDOWN, lambda p: [f"repeats the key of line {ref[int(i)]} (largest row kept as the total)" for i in p])

    return check


FORMAT = Format("comtrade", "text", read_file, recognise,
                "UN Comtrade CSV: Comtrade+ API/bulk, legacy bulk, trimmed extracts; annual and monthly (freqCode M)")
