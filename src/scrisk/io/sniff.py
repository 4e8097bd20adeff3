"""Open a trade file and describe it: container, text encoding, delimiter, header.

Nothing here trusts a file name: a file is a zip when it starts with the zip
magic, Parquet when it starts with ``PAR1``, gzip when it starts with
``1f 8b`` (the text inside is then sniffed). Which *layout* a header is --
BACI, Comtrade, tidy -- is decided by the format modules of the reader
registry (:mod:`scrisk.io.formats`); this module knows no format.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterator

from scrisk.errors import FormatDetectionError, UnreadableFileError, UsageError

__all__ = [
    "ENCODINGS",
    "TextSource",
    "detect_encoding",
    "parse_header",
    "container_of",
    "sniff_text_source",
    "normalise_name",
    "exc_text",
]

ENCODINGS: tuple[str, ...] = ("utf-8", "utf-8-sig", "cp949", "shift_jis")
"""Encodings scrisk detects; any other Python codec name can be forced with ``--encoding``."""

ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
PARQUET_MAGIC = b"PAR1"
GZIP_MAGIC = b"\x1f\x8b"
SAMPLE_BYTES = 1 << 16
GZIP_MAX_RATIO = 200
"""A gzip file may expand at most this many times its size (gzip-bomb guard)."""

def exc_text(exc: BaseException, limit: int = 200) -> str:
    """First line of an exception's message, shortened, for one-line error messages.

    Examples
    --------
    >>> exc_text(ValueError("bad thing\\nmore detail"))
    'bad thing'
    """
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return first if len(first) <= limit else first[: limit - 1] + "…"


def normalise_name(name: str) -> str:
    """Lower-case a header name and squeeze spaces/underscores for matching.

    Examples
    --------
    >>> normalise_name(" Reporter Code ")
    'reporter code'
    """
    return re.sub(r"\s+", " ", name.replace("\ufeff", "").strip().lower())


class _LimitedReader(io.RawIOBase):
    """A read-only stream that refuses to yield more than ``limit`` bytes."""

    def __init__(self, raw: IO[bytes], limit: int, label: str):
        self._raw = raw
        self._limit = limit
        self._label = label
        self._count = 0

    def readable(self) -> bool:  # noqa: D102
        return True

    def readinto(self, b) -> int:  # noqa: D102
        data = self._raw.read(len(b))
        n = len(data)
        b[:n] = data
        self._count += n
        if self._count > self._limit:
            raise UnreadableFileError(
                f"decompresses to more than {self._limit:,} bytes ({GZIP_MAX_RATIO}x its size); "
                "this looks like a compression bomb. Decompress it yourself if it is genuine",
                path=self._label,
            )
        return n

    def close(self) -> None:  # noqa: D102
        try:
            self._raw.close()
        finally:
            super().close()


@dataclass(frozen=True)
class TextSource:
    """A delimited text stream to scan: where it comes from and how it is written.

    Attributes
    ----------
    label : str
        How the stream is named in messages and reports (a path, or
        ``archive.zip!member.csv``).
    opener : callable
        Returns a context manager yielding a fresh binary stream of the
        (decompressed) text.
    encoding : str
        Python codec name of the text.
    delimiter : str
    header : tuple of str
        Column names as written (BOM and surrounding spaces removed,
        duplicates suffixed ``.1``, ``.2``...).
    """

    label: str
    opener: Callable[[], "contextmanager[IO[bytes]]"]
    encoding: str
    delimiter: str
    header: tuple[str, ...]


def _head_bytes(path: Path, n: int = SAMPLE_BYTES) -> bytes:
    """Return the first ``n`` bytes of ``path``; raise UnreadableFileError when that fails."""
    label = str(path)
    if not path.exists():
        raise UnreadableFileError("file not found; check the path (globs are expanded by scrisk too)", path=label)
    if path.is_dir():
        raise UnreadableFileError("is a directory; pass the trade files inside it (or a glob like DIR/*.csv)", path=label)
    try:
        with open(path, "rb") as fh:
            head = fh.read(n)
    except OSError as exc:
        raise UnreadableFileError(f"cannot open: {exc.strerror or exc}; check the file permissions", path=label) from None
    if not head:
        raise UnreadableFileError("file is empty; export the data again or remove it from the inputs", path=label)
    return head


def open_plain_or_gzip(path: Path) -> Callable:
    """Return an opener for ``path`` that transparently gunzips gzip content (with a size cap)."""
    head = _head_bytes(path, 4)
    label = str(path)

    if head.startswith(GZIP_MAGIC):
        limit = max(path.stat().st_size * GZIP_MAX_RATIO, 1 << 20)

        @contextmanager
        def _open_gz() -> Iterator[IO[bytes]]:
            raw = gzip.open(path, "rb")
            stream = io.BufferedReader(_LimitedReader(raw, limit, label), buffer_size=1 << 20)
            try:
                yield stream
            finally:
                stream.close()

        return _open_gz

    @contextmanager
    def _open_plain() -> Iterator[IO[bytes]]:
        fh = open(path, "rb")
        try:
            yield fh
        finally:
            fh.close()

    return _open_plain


def read_sample(opener: Callable, label: str, n: int = SAMPLE_BYTES) -> bytes:
    """Read up to ``n`` bytes through ``opener``; turn decompression errors into UnreadableFileError."""
    try:
        with opener() as fh:
            return fh.read(n)
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise UnreadableFileError(
            f"cannot decompress: {exc_text(exc)}; the file is truncated or not really gzip/zip. Download it again", path=label
        ) from None


# --------------------------------------------------------------- encodings

def _incremental_decode(sample: bytes, encoding: str) -> str:
    dec = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        return dec.decode(sample, final=False)
    except UnicodeDecodeError:
        raise
    except UnicodeError as exc:  # utf-16 without a byte-order mark, and the like
        raise UnicodeDecodeError(encoding, sample[:1], 0, 1, str(exc)) from None


def _script_score(text: str, encoding: str) -> float:
    """Share of non-ASCII characters that are plausible for ``encoding``'s language."""
    chars = [c for c in text if ord(c) > 127]
    if not chars:
        return 0.0
    good = 0
    if encoding == "cp949":
        for c in chars:
            if "\uac00" <= c <= "\ud7a3" or "\u4e00" <= c <= "\u9fff":
                try:
                    c.encode("euc_kr")  # the 2,350 common syllables (KS X 1001), not rare UHC ones
                    good += 1
                except UnicodeEncodeError:
                    pass
    else:
        for c in chars:
            if "\u3040" <= c <= "\u30ff" or "\u4e00" <= c <= "\u9fff" or c in "\u3000\u3001\u3002\uff08\uff09":
                good += 1
            elif "\uff61" <= c <= "\uff9f":  # half-width katakana: what Korean bytes look like in Shift_JIS
                good -= 1
    return good / len(chars)


def detect_encoding(sample: bytes, label: str = "<data>") -> str:
    """Guess the text encoding of a file from its first bytes.

    UTF-8 (with or without BOM) is tried first, being strict; otherwise the
    sample is decoded strictly as cp949 (Korean) and Shift_JIS/cp932
    (Japanese) and the decoding whose non-ASCII characters look most like
    that language's script wins.

    Raises
    ------
    UnreadableFileError
        For binary content or when no candidate decodes plausibly.

    Examples
    --------
    >>> detect_encoding("수출국,수입국".encode("cp949"))
    'cp949'
    >>> detect_encoding("輸出国,輸入国,品目コード".encode("shift_jis"))
    'shift_jis'
    >>> detect_encoding(b"\\xef\\xbb\\xbfa,b\\n")
    'utf-8-sig'
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in sample:
        raise UnreadableFileError(
            "binary content (NUL bytes), not a text trade file; pass a CSV, a BACI zip or a Parquet file", path=label
        )
    try:
        _incremental_decode(sample, "utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    scored = []
    for enc in ("cp949", "shift_jis", "cp932"):
        try:
            text = _incremental_decode(sample, enc)
        except UnicodeDecodeError:
            continue
        scored.append((_script_score(text, enc), enc))
    scored.sort(key=lambda t: -t[0])
    if scored and scored[0][0] >= 0.5:
        return scored[0][1]
    raise UnreadableFileError(
        "cannot tell the text encoding (not UTF-8, cp949 or Shift_JIS); pass --encoding, e.g. --encoding latin-1",
        path=label,
    )


def _check_encoding(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise UsageError(
            f"unknown encoding {encoding!r}; use one of {', '.join(ENCODINGS)} or another Python codec name"
        ) from None


# ------------------------------------------------------------------ header

def _first_line(text: str) -> tuple[str, str]:
    """The first line of ``text`` and its ending (``"\\n"``, ``"\\r\\n"``, ``"\\r"``; ``""`` when none is seen).

    A line break inside double quotes belongs to the line.

    Examples
    --------
    >>> _first_line('a,b\\r\\n1,2'), _first_line('"a","b"\\r1,2'), _first_line('"a\\nb",c\\n')
    (('a,b', '\\r\\n'), ('"a","b"', '\\r'), ('"a\\nb",c', '\\n'))
    """
    quoted = False
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "\r\n":
            if ch == "\n":
                return text[:i], "\n"
            # a CR at the very end of the sample may be the first half of CRLF
            return text[:i], "\r\n" if text[i + 1: i + 2] in ("\n", "") else "\r"
    return text, ""


def parse_header(text: str, label: str = "<data>") -> tuple[tuple[str, ...], str]:
    """Return the header names and the delimiter of a decoded text sample.

    The delimiter is the most frequent of ``, ; TAB |`` on the first line.
    Names are stripped; empty names become ``column_N``; repeated names get
    ``.1``, ``.2``... suffixes.

    Examples
    --------
    >>> parse_header('t,i,j,k,v,q\\n2020,4,24,300431,0.198,1\\n')
    (('t', 'i', 'j', 'k', 'v', 'q'), ',')
    >>> parse_header('a;b;a\\n')
    (('a', 'b', 'a.1'), ';')
    """
    text = text.lstrip("\ufeff")
    first, ending = _first_line(text)
    if ending == "\r":
        raise FormatDetectionError(
            "the lines end with CR only (an old Mac export), which scrisk does not read; convert them to LF, "
            "e.g. tr '\\r' '\\n' < FILE > fixed.csv", path=label, line=1)
    if not first.strip():
        raise FormatDetectionError("the first line (header) is empty; a trade file starts with a header row", path=label, line=1)
    counts = {d: first.count(d) for d in (",", ";", "\t", "|")}
    delim = max(counts, key=lambda d: (counts[d], d == ","))
    if counts[delim] == 0:
        delim = ","
    try:
        row = next(csv.reader(io.StringIO(first, newline=""), delimiter=delim))
    except (csv.Error, StopIteration) as exc:
        raise FormatDetectionError(
            f"cannot parse the header row ({exc or 'no fields'}); line 1 must name the columns, separated by one "
            "delimiter (, ; TAB |) with every quote closed", path=label, line=1) from None
    names: list[str] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(row):
        name = raw.replace("\ufeff", "").strip() or f"column_{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        names.append(name)
    return tuple(names), delim


def sniff_text_source(label: str, opener: Callable, encoding: str | None) -> TextSource:
    """Read the head of a text stream and describe it (encoding, delimiter, header)."""
    sample = read_sample(opener, label)
    if not sample:
        raise UnreadableFileError("file is empty; export the data again or remove it from the inputs", path=label)
    if encoding:
        enc = _check_encoding(encoding)
        if enc == "utf-8" and sample.startswith(codecs.BOM_UTF8):
            enc = "utf-8-sig"
    else:
        enc = detect_encoding(sample, label)
    try:
        text = _incremental_decode(sample, enc)
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(
            f"cannot decode the text as {enc} (byte {exc.start}); pass the right --encoding "
            f"({', '.join(ENCODINGS)})",
            path=label,
        ) from None
    if "\x00" in text:
        raise UnreadableFileError(
            "binary content (NUL bytes), not a text trade file; pass a CSV, a BACI zip or a Parquet file", path=label
        )
    header, delim = parse_header(text, label)
    return TextSource(label=label, opener=opener, encoding=enc, delimiter=delim, header=header)


def container_of(path: Path) -> str:
    """Return ``"zip"``, ``"parquet"``, ``"gzip"`` or ``"text"`` from the file's first bytes."""
    head = _head_bytes(path, 8)
    if head.startswith(ZIP_MAGICS):
        return "zip"
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    return "text"


def unrecognised_header_message(header) -> str:
    """Explain that a header matches no layout, listing the headers found and the fix."""
    shown = ", ".join(repr(h) for h in list(header)[:15]) + (" ..." if len(header) > 15 else "")
    if any(ord(c) > 127 for h in header for c in h):
        return (
            f"headers not recognised ({shown}); customs files with Korean/Japanese headers need a column "
            "mapping: pass --columns exporter=...,importer=...,hs=...,value=... or --profile NAME"
        )
    return (
        f"not a recognised trade file: headers {shown} match no BACI, Comtrade or tidy layout; "
        "pass --columns exporter=COL,importer=COL,hs=COL,value=COL (and --source tidy)"
    )
