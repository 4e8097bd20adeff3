"""Build the HS correlation tables shipped in the wheel (src/scrisk/data/hs_correlation/) from the UNSD workbooks.

The UN Statistics Division publishes, for each pair of HS revisions, an Excel
workbook with a *correlation* sheet: every pair (newer code, older code) that
shares goods, with the relationship 1:1, n:1, 1:n or n:n. This script reads the
correlation sheet of each workbook and writes one gzipped CSV per pair of
revisions, columns ``<newer>,<older>`` (six-digit codes as text), sorted and
de-duplicated. The relationship is not stored: the engine recomputes it in the
direction it converts (:mod:`scrisk.engine.hs_revision`).

Usage::

    python tools/build_hs_correlation.py DIR_WITH_UNSD_XLSX [OUT_DIR]

``DIR_WITH_UNSD_XLSX`` holds ``HS2022toHS{1992,...,2017}ConversionAndCorrelationTables.xlsx`` and
``HS2017toHS{1992,...,2012}ConversionAndCorrelationTables.xlsx`` as published by UNSD
(https://unstats.un.org/unsd/classifications/Econ; a copy is in the R package
"concordance", insongkim/concordance, folder data-raw/). OUT_DIR defaults to
src/scrisk/data/hs_correlation. The output is deterministic (gzip without a time stamp).
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import sys
from pathlib import Path

import openpyxl

PAIRS = [("HS2022", o) for o in ("HS1992", "HS1996", "HS2002", "HS2007", "HS2012", "HS2017")] + [
    ("HS2017", o) for o in ("HS1992", "HS1996", "HS2002", "HS2007", "HS2012")
]
_CODE = re.compile(r"^\d{6}$")


def _code(value) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if re.fullmatch(r"\d{5}", text):  # a code stored as a number lost its leading zero
        text = "0" + text
    return text if _CODE.match(text) else None


def read_pairs(path: Path) -> list[tuple[str, str]]:
    """The (newer, older) code pairs of the workbook's correlation sheet."""
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    sheets = [ws for ws in wb.worksheets if "correlation" in ws.title.lower()]
    if len(sheets) != 1:
        raise SystemExit(f"{path}: expected one correlation sheet, found {[ws.title for ws in wb.worksheets]}")
    pairs = set()
    for row in sheets[0].iter_rows(min_row=3, values_only=True):
        # some sheets have a middle column holding "ex" (part of the code only): the codes are the first two code cells
        codes = [c for c in (_code(v) for v in row) if c]
        if len(codes) >= 2:
            pairs.add((codes[0], codes[1]))
    if not pairs:
        raise SystemExit(f"{path}: no code pairs read")
    return sorted(pairs)


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    src = Path(argv[0])
    out = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[1] / "src/scrisk/data/hs_correlation"
    out.mkdir(parents=True, exist_ok=True)
    for new, old in PAIRS:
        book = src / f"{new}to{old}ConversionAndCorrelationTables.xlsx"
        pairs = read_pairs(book)
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow([new, old])
        w.writerows(pairs)
        target = out / f"{new}-{old}.csv.gz"
        with open(target, "wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", filename="", mtime=0) as gz:
            gz.write(buf.getvalue().encode())
        print(f"{target.name}: {len(pairs)} pairs from {book.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
