"""Scan delimited text into an Arrow table of strings, keeping physical line numbers.

The scan is pyarrow's streaming CSV reader (C++), batch by batch. Every
column is read as text so that nothing is lost before validation and the raw
fields of rejected rows can be written to the quarantine file. A ``keep``
function (the ``--year``/``--hs`` filters) runs on each batch before it is
kept, so rows outside the filters never reach pandas and are not counted.

Line numbers are physical, 1-based, header = line 1. They come from row
positions, corrected for (a) lines with the wrong number of fields, which the
parser hands to a callback with their record number, (b) blank lines, which
are read as empty rows and then dropped, and (c) quoted fields containing
line breaks, whose extra lines are counted per row.

The parser reads a blank line and a line of only delimiters (``,,,,``) alike,
as a row of empty fields. Only a blank line is skipped: when a file has rows
of empty fields, their lines are looked up in the text once more
(:func:`blank_lines`) and the others stay rows, to be rejected as *empty row*.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from scrisk.errors import ScriskError, UnreadableFileError
from scrisk.io.sniff import TextSource, exc_text

__all__ = ["Scan", "InvalidRow", "scan_csv", "blank_lines", "BLOCK_SIZE"]

BLOCK_SIZE = 1 << 24
"""Bytes per parse block (16 MiB); a single line may not be longer."""


@dataclass(frozen=True)
class InvalidRow:
    """A line the parser could not split into the header's number of fields."""

    line: int
    text: str
    expected: int
    actual: int


@dataclass
class Scan:
    """The kept rows of one text file, as strings, with their line numbers.

    Attributes
    ----------
    label : str
    header : tuple of str
    table : pyarrow.Table
        One string column per header name; only kept (filtered, non-blank) rows.
    lines : numpy.ndarray
        int64 physical line number of each row of ``table``.
    invalid : list of InvalidRow
        Lines with the wrong number of fields (never filtered: they cannot be parsed).
    """

    label: str
    header: tuple[str, ...]
    table: pa.Table
    lines: np.ndarray
    invalid: list[InvalidRow] = field(default_factory=list)

    @property
    def num_rows(self) -> int:
        """Rows read: kept rows plus lines with the wrong number of fields."""
        return self.table.num_rows + len(self.invalid)


def _arrow_encoding(encoding: str) -> str:
    # the header line (with any BOM) is skipped by the parser, so utf-8-sig reads as utf8 natively
    return "utf8" if encoding.replace("_", "-").lower() in ("utf-8", "utf-8-sig", "utf8") else encoding


def _blank_mask(batch: pa.RecordBatch) -> np.ndarray:
    mask = None
    for col in batch.columns:
        empty = pc.equal(pc.binary_length(col), 0)
        mask = empty if mask is None else pc.and_(mask, empty)
    if mask is None:
        return np.zeros(batch.num_rows, dtype=bool)
    return mask.to_numpy(zero_copy_only=False)


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def blank_lines(src: TextSource, lines: np.ndarray) -> np.ndarray:
    """Bool mask: which of ``lines`` (1-based physical line numbers) are blank in the text of ``src``.

    A line is blank when it holds nothing but its line ending; lines end
    as the parser ends them, at LF, CRLF or a lone CR. The text is read in
    blocks until the last line asked for.

    Examples
    --------
    >>> import io
    >>> from contextlib import nullcontext
    >>> text = b"a,b\\n1,2\\n\\n,\\r\\n\\r\\n,\\r\\r"
    >>> src = TextSource("t.csv", lambda: nullcontext(io.BytesIO(text)), "utf-8", ",", ("a", "b"))
    >>> blank_lines(src, np.array([3, 4, 5, 6, 7])).tolist()
    [True, False, True, False, True]
    """
    want = np.unique(np.asarray(lines, dtype=np.int64))
    blank: list[int] = []
    k, lineno, carry = 0, 1, ""
    decode = codecs.getincrementaldecoder(src.encoding)(errors="replace").decode
    with src.opener() as stream:
        while k < len(want):
            block = stream.read(1 << 22)
            text = carry + decode(block, final=not block)
            if block and text.endswith("\r"):  # the CR of a CRLF split across blocks: wait for the LF
                text, carry = text[:-1], "\r"
            else:
                carry = ""
            parts = _LINE_BREAK.split(text)
            carry = parts.pop() + carry if block else ""
            end = lineno + len(parts)
            while k < len(want) and want[k] < end:
                if not parts[want[k] - lineno]:
                    blank.append(int(want[k]))
                k += 1
            lineno = end
            if not block:
                break
    return np.isin(np.asarray(lines, dtype=np.int64), np.asarray(blank, dtype=np.int64))


def _newline_counts(batch: pa.RecordBatch) -> np.ndarray | None:
    total = None
    for col in batch.columns:
        n = pc.count_substring(col, "\n")
        if pc.max(n).as_py():
            arr = n.to_numpy(zero_copy_only=False).astype(np.int64)
            total = arr if total is None else total + arr
    return total


def _physical_lines(
    positions: np.ndarray,
    invalid_records: np.ndarray,
    nl_rows: np.ndarray,
    nl_counts: np.ndarray,
    invalid_nl: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Turn parsed-row positions into physical line numbers.

    ``positions`` are 0-based indices among the rows the parser returned
    (blank rows included). Invalid rows carry their 1-based record number
    (header = 1). Embedded line breaks shift every later record.
    """
    inv = np.sort(invalid_records.astype(np.int64))
    # a parsed row p lands after every invalid record whose number minus its rank minus 2 is <= p
    thresholds = inv - np.arange(len(inv)) - 2
    records = positions.astype(np.int64) + 2 + np.searchsorted(thresholds, positions, side="right")
    if len(nl_rows) == 0 and not invalid_nl.any():
        return records, inv
    nl_records = nl_rows.astype(np.int64) + 2 + np.searchsorted(thresholds, nl_rows, side="right")
    ev_rec = np.concatenate([nl_records, inv])
    ev_cnt = np.concatenate([nl_counts.astype(np.int64), invalid_nl.astype(np.int64)])
    order = np.argsort(ev_rec, kind="stable")
    ev_rec, ev_cnt = ev_rec[order], np.cumsum(ev_cnt[order])

    def shift(recs: np.ndarray) -> np.ndarray:
        k = np.searchsorted(ev_rec, recs, side="left")  # events strictly before this record
        out = np.zeros(len(recs), dtype=np.int64)
        has = k > 0
        out[has] = ev_cnt[k[has] - 1]
        return recs + out

    return shift(records), shift(inv)


def _arrow_error(exc: Exception, src: TextSource) -> UnreadableFileError:
    msg = exc_text(exc)
    if "UTF8" in msg or "utf-8" in msg.lower() or isinstance(exc, UnicodeDecodeError):
        return UnreadableFileError(
            f"text is not valid {src.encoding} further into the file ({msg}); pass the right --encoding "
            "(utf-8, utf-8-sig, cp949, shift_jis)",
            path=src.label,
        )
    if "straddling" in msg or "block" in msg.lower():
        return UnreadableFileError(
            f"a line is longer than {BLOCK_SIZE // (1 << 20)} MiB or a quote is never closed ({msg}); "
            "check the file is a line-oriented CSV",
            path=src.label,
        )
    return UnreadableFileError(f"cannot parse as CSV: {msg}; check the delimiter, quoting and encoding", path=src.label)


def scan_csv(src: TextSource, keep: Callable[[pa.RecordBatch], np.ndarray | None] | None = None) -> Scan:
    """Stream ``src`` through pyarrow's CSV parser, keeping rows that pass ``keep``.

    Parameters
    ----------
    src : TextSource
    keep : callable, optional
        ``batch -> bool array`` (True = keep) or None to keep the batch whole.

    Returns
    -------
    Scan

    Raises
    ------
    UnreadableFileError
        When the text cannot be decoded or parsed at all.
    """
    names = list(src.header)
    invalid: list[tuple[int, str, int]] = []

    def on_invalid(row) -> str:
        invalid.append((row.number if row.number is not None else -1, row.text or "", row.actual_columns))
        return "skip"

    read_opts = pacsv.ReadOptions(
        use_threads=False,  # serial parsing: the invalid-row callback then knows record numbers
        block_size=BLOCK_SIZE,
        column_names=names,
        skip_rows=1,
        encoding=_arrow_encoding(src.encoding),
    )
    parse_opts = pacsv.ParseOptions(
        delimiter=src.delimiter,
        ignore_empty_lines=False,
        newlines_in_values=True,
        invalid_row_handler=on_invalid,
    )
    conv_opts = pacsv.ConvertOptions(
        column_types={n: pa.string() for n in names},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
        null_values=[],
        true_values=[],
        false_values=[],
    )
    kept: list[pa.RecordBatch] = []
    kept_pos: list[np.ndarray] = []
    kept_empty: list[np.ndarray] = []  # kept rows whose every field is empty: blank lines or only delimiters
    nl_rows: list[np.ndarray] = []
    nl_counts: list[np.ndarray] = []
    pos = 0
    schema = pa.schema([(n, pa.string()) for n in names])
    try:
        with src.opener() as stream:
            reader = pacsv.open_csv(stream, read_options=read_opts, parse_options=parse_opts, convert_options=conv_opts)
            for batch in reader:
                n = batch.num_rows
                if n == 0:
                    continue
                idx = np.arange(pos, pos + n, dtype=np.int64)
                counts = _newline_counts(batch)
                if counts is not None:
                    nz = counts > 0
                    nl_rows.append(idx[nz])
                    nl_counts.append(counts[nz])
                empty = _blank_mask(batch)
                mask = np.ones(n, dtype=bool)
                if keep is not None:
                    sub = keep(batch)
                    if sub is not None:
                        mask &= sub
                if mask.all():
                    kept.append(batch)
                    kept_pos.append(idx)
                    kept_empty.append(empty)
                elif mask.any():
                    kept.append(batch.filter(pa.array(mask)))
                    kept_pos.append(idx[mask])
                    kept_empty.append(empty[mask])
                pos += n
    except ScriskError:
        raise
    except (pa.ArrowException, OSError, ValueError, EOFError, UnicodeError, LookupError) as exc:
        raise _arrow_error(exc, src) from exc
    table = pa.Table.from_batches(kept, schema=schema) if kept else schema.empty_table()
    positions = np.concatenate(kept_pos) if kept_pos else np.zeros(0, dtype=np.int64)
    inv_rec = np.array([r for r, _, _ in invalid], dtype=np.int64)
    inv_nl = np.array([t.count("\n") for _, t, _ in invalid], dtype=np.int64)
    lines, inv_lines = _physical_lines(
        positions,
        inv_rec,
        np.concatenate(nl_rows) if nl_rows else np.zeros(0, dtype=np.int64),
        np.concatenate(nl_counts) if nl_counts else np.zeros(0, dtype=np.int64),
        inv_nl,
    )
    empty = np.concatenate(kept_empty) if kept_empty else np.zeros(0, dtype=bool)
    if empty.any():
        # blank lines are skipped; lines of only delimiters stay rows (rejected as 'empty row')
        drop = np.zeros(len(empty), dtype=bool)
        try:
            drop[empty] = blank_lines(src, lines[empty])
        except (OSError, ValueError, EOFError, UnicodeError, LookupError) as exc:
            raise _arrow_error(exc, src) from exc
        if drop.any():
            table = table.filter(pa.array(~drop))
            lines = lines[~drop]
    order = np.argsort(inv_rec, kind="stable")
    bad = [
        InvalidRow(line=int(inv_lines[k]), text=invalid[i][1], expected=len(names), actual=int(invalid[i][2]))
        for k, i in enumerate(order)
    ]
    return Scan(label=src.label, header=tuple(names), table=table, lines=lines, invalid=bad)

