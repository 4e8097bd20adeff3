"""CEPII BACI release files: the yearly CSV (``t,i,j,k,v,q``) and the release zip.

Layout of a BACI yearly CSV (e.g. ``BACI_HS17_Y2022_V202601.csv``):

==== =====================================================================
t    year
i    exporter, BACI numeric country code (Comtrade/M49 style: 842 USA,
     251 France, 699 India, 757 Switzerland, 490 Taiwan)
j    importer, same codes
k    HS 6-digit product, written as an integer (``71120`` is ``071120``)
v    value in **thousand** US dollars
q    quantity in metric tons, right-aligned with spaces, ``NA`` when missing
==== =====================================================================

What the reader does:

* ``i``/``j`` become ISO3 through the release's ``country_codes_*.csv``: the
  one given with ``--country-codes``, else the one inside the zip, else one
  beside the data file (same directory; the one of the same release when
  several), else scrisk's bundled table. Codes missing from a release table
  are looked up in the bundled table. Taiwan (490, ISO3 ``N/A`` in V202201
  tables and ``S19`` in V202601) is always ``TWN``. Country tables are read
  with ``keep_default_na=False`` so Namibia's ISO2 ``NA`` stays a code.
* ``k`` is read as text and left-padded to 6 digits;
* ``v`` x 1000 -> ``value_usd``; ``q`` x 1000 -> ``qty_kg`` (``NA`` -> NaN).
* HS revision and release come from the file (or zip) name: ``HS17`` ->
  ``HS2017``, ``V202601`` -> release.

The release zip is read in place: members are streamed (never extracted),
names that are absolute or contain ``..`` make the whole archive refused,
and members that would expand beyond :data:`ZIP_MAX_MEMBER_BYTES` or more
than :data:`ZIP_MAX_RATIO` times their compressed size are refused as
compression bombs. ``--year`` selects yearly members by name; without it
every year is read.
"""

from __future__ import annotations

import io
import re
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

from scrisk.errors import FormatDetectionError, UnreadableFileError, UsageError
from scrisk.io._scan import scan_csv
from scrisk.io._stage import (
    Candidate,
    CountryMapper,
    FileResult,
    judge,
    make_keep,
    normalise_hs,
    parse_number,
    parse_year,
)
from scrisk.io._format import Format
from scrisk.io.sniff import TextSource, exc_text, normalise_name, sniff_text_source

__all__ = ["FORMAT", "ZIP_FORMAT", "recognise", "read_baci_text", "read_baci_zip", "baci_countries", "baci_name_info",
           "ZIP_MAX_RATIO", "ZIP_MAX_MEMBER_BYTES"]

_BACI_COLS = {"t", "i", "j", "k", "v"}


def recognise(header, options=None) -> bool:
    """True for a BACI header: ``t, i, j, k, v`` (``q`` and extra columns such as ``src, note`` allowed).

    Extra columns do not make it another layout: ``v`` stays thousand USD.

    Examples
    --------
    >>> recognise(["t", "i", "j", "k", "v", "q"]), recognise(["t", "i", "j", "k", "v", "q", "src", "note"])
    (True, True)
    >>> recognise(["exporter", "importer", "hs", "value"])
    False
    """
    return _BACI_COLS <= {normalise_name(n) for n in header}


_BACI_NAME = re.compile(r"BACI_HS(\d{2})(?:_Y(\d{4}))?_V(\d{6}[a-z]?)", re.IGNORECASE)
_HS_FROM_BACI = {
    "92": "HS1992",
    "96": "HS1996",
    "02": "HS2002",
    "07": "HS2007",
    "12": "HS2012",
    "17": "HS2017",
    "22": "HS2022",
}


@dataclass(frozen=True)
class BaciNameInfo:
    """What a BACI file or archive name tells: HS revision, year, release."""

    hs_revision: str | None
    year: int | None
    release: str | None


def baci_name_info(name: str) -> BaciNameInfo:
    """Read HS revision, year and release from a BACI file name.

    Examples
    --------
    >>> baci_name_info("BACI_HS17_Y2022_V202601.csv")
    BaciNameInfo(hs_revision='HS2017', year=2022, release='V202601')
    >>> baci_name_info("trade.csv").hs_revision is None
    True
    """
    m = _BACI_NAME.search(Path(name).name)
    if not m:
        return BaciNameInfo(None, None, None)
    return BaciNameInfo(
        _HS_FROM_BACI.get(m.group(1)),
        int(m.group(2)) if m.group(2) else None,
        f"V{m.group(3)}",
    )



ZIP_MAX_RATIO = 200
"""A zip member may not declare more than this many bytes per compressed byte."""
ZIP_MAX_MEMBER_BYTES = 64 << 30
"""A zip member may not declare more than 64 GiB uncompressed."""
ZIP_MAX_MEMBERS = 10_000

_DATA_MEMBER = re.compile(r"^BACI_HS\d{2}_Y\d{4}_V\d{6}[a-z]?\.csv$", re.IGNORECASE)
_COUNTRY_MEMBER = re.compile(r"^country_codes_V\d{6}[a-z]?\.csv$", re.IGNORECASE)


def _country_table_from_path(path, label: str | None = None) -> object:
    from scrisk.countries import CountryTable
    from scrisk.errors import ScriskError

    try:
        return CountryTable.from_baci_file(path)
    except ScriskError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure here is an unreadable country table
        raise UnreadableFileError(
            f"cannot read the BACI country table ({type(exc).__name__}: {exc_text(exc, 120)}); "
            "pass a release country_codes CSV with --country-codes",
            path=label or str(path),
        ) from exc


def baci_countries(data_path: Path | None, options, *, inside_zip: bytes | None = None, release: str | None = None):
    """Return ``(CountryMapper, description)`` for a BACI file, following the documented order."""
    from scrisk.countries import CountryTable

    bundled = CountryTable.bundled()
    if options.country_codes:
        p = Path(options.country_codes)
        if not p.is_file():
            raise UnreadableFileError("country codes file not found; check --country-codes", path=str(p))
        return CountryMapper(_country_table_from_path(p), bundled), str(p)
    if inside_zip is not None:
        table = _country_table_from_path(io.BytesIO(inside_zip), f"{data_path}!country_codes")
        return CountryMapper(table, bundled), "country codes inside the zip"
    if data_path is not None:
        beside = sorted(Path(data_path).parent.glob("country_codes_*.csv"))
        if beside:
            same = [b for b in beside if release and release.lower() in b.name.lower()]
            chosen = (same or beside)[-1]
            return CountryMapper(_country_table_from_path(chosen), bundled), str(chosen)
    return CountryMapper(bundled), "bundled country table"


def _columns(src: TextSource) -> dict[str, str | None]:
    norm = {normalise_name(h): h for h in src.header}
    missing = [c for c in "tijkv" if c not in norm]
    if missing:
        raise FormatDetectionError(
            f"BACI file lacks column(s) {', '.join(missing)} (expected t,i,j,k,v,q); found {', '.join(src.header)}. "
            "Pass --source tidy with --columns for other layouts",
            path=src.label,
            line=1,
        )
    return {c: norm.get(c) for c in "tijkvq"}


def read_baci_text(src: TextSource, options, *, mapper: CountryMapper, countries_note: str, input_path: str) -> FileResult:
    """Read one BACI yearly CSV stream (plain, gzip or zip member) into a :class:`FileResult`."""
    cols = _columns(src)
    scan = scan_csv(src, make_keep(cols["t"], cols["k"], options.years, options.hs))
    tab = scan.table
    years, year_bad = parse_year(tab[cols["t"]])
    hs = normalise_hs(tab[cols["k"]], aggregates=False, allow_tariff_lines=False, notation=False)  # as the fast scan
    value, vmiss, vinv = parse_number(tab[cols["v"]])
    if cols["q"]:
        qty, _qmiss, qinv = parse_number(tab[cols["q"]])
    else:
        qty, qinv = np.full(tab.num_rows, np.nan), np.zeros(tab.num_rows, dtype=bool)
    exporter = mapper.map(tab[cols["i"]])
    importer = mapper.map(tab[cols["j"]])
    with np.errstate(over="ignore"):  # thousands above 1.8e305 overflow to inf: rejected as too large
        value, qty = value * 1000.0, qty * 1000.0
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
        required={"t": tab[cols["t"]], "i": tab[cols["i"]], "j": tab[cols["j"]], "k": tab[cols["k"]]},
        raw_year=tab[cols["t"]],
        raw_hs=tab[cols["k"]],
        raw_value=tab[cols["v"]],
        raw_qty=tab[cols["q"]] if cols["q"] else None,
        revision=baci_name_info(src.label.rsplit("!", 1)[-1]).hs_revision or options.hs_revision,
    )
    res = judge(cand, label=src.label, source_format="baci", encoding=src.encoding)
    info = baci_name_info(src.label.rsplit("!", 1)[-1])
    res.hs_revision = info.hs_revision or options.hs_revision
    res.release = info.release
    res.input_path = input_path
    res.notes.append(f"BACI country codes from {countries_note}")
    extras = [h for h in src.header if normalise_name(h) not in set("tijkvq")]
    if extras:
        res.notes.append(f"{src.label}: BACI layout with extra column(s) {', '.join(extras)} (ignored); v read as "
                         "thousand USD")
    return res


def _unsafe_name(name: str) -> bool:
    if name.startswith(("/", "\\")) or "\\" in name or re.match(r"^[A-Za-z]:", name) or "\x00" in name:
        return True
    return ".." in PurePosixPath(name).parts


def read_baci_zip(path: Path, options) -> list[FileResult]:
    """Read the yearly CSVs of a BACI release zip (``--year`` picks members) without extracting them."""
    label = str(path)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise UnreadableFileError(f"not a readable zip archive ({exc_text(exc)}); download the release again", path=label) from None
    with zf:
        infos = zf.infolist()
        if len(infos) > ZIP_MAX_MEMBERS:
            raise UnreadableFileError(f"zip has {len(infos):,} members; refusing (more than {ZIP_MAX_MEMBERS:,})", path=label)
        for info in infos:
            if _unsafe_name(info.filename):
                raise UnreadableFileError(
                    f"zip member name {info.filename!r} is absolute or contains '..'; refusing the archive "
                    "(use the release zip as published)",
                    path=label,
                )
        files = [i for i in infos if not i.is_dir()]
        data = [i for i in files if _DATA_MEMBER.match(PurePosixPath(i.filename).name)]
        if not data:
            names = ", ".join(i.filename for i in files[:8]) or "none"
            raise FormatDetectionError(
                f"zip holds no BACI yearly CSV (BACI_HSxx_Yyyyy_Vyyyymm.csv); members: {names}. "
                "Unzip it and pass the CSV files instead",
                path=label,
            )
        by_year = {}
        for i in data:
            y = baci_name_info(PurePosixPath(i.filename).name).year
            by_year.setdefault(y, []).append(i)
        if options.years:
            chosen = [i for y in sorted(by_year) if y in set(options.years) for i in by_year[y]]
            if not chosen:
                raise UsageError(
                    f"{label}: no BACI year {', '.join(map(str, options.years))} in the zip; it has "
                    f"{', '.join(str(y) for y in sorted(by_year))}"
                )
        else:
            chosen = [i for y in sorted(by_year) for i in by_year[y]]
        country = [i for i in files if _COUNTRY_MEMBER.match(PurePosixPath(i.filename).name)]
        for info in chosen + country[-1:]:
            _check_member_size(info, label)
        release = baci_name_info(PurePosixPath(chosen[0].filename).name).release
        inside = zf.read(country[-1]) if country and not options.country_codes else None
        mapper, note = baci_countries(path, options, inside_zip=inside, release=release)
        results = []
        for info in chosen:
            member_label = f"{label}!{info.filename}"
            if info.flag_bits & 0x1:
                raise UnreadableFileError("zip member is encrypted; scrisk cannot read it", path=member_label)
            opener = _member_opener(zf, info)
            src = sniff_text_source(member_label, opener, options.encoding)
            if not recognise(src.header):
                raise FormatDetectionError(
                    f"member header {', '.join(src.header[:8])} is not BACI's t,i,j,k,v,q", path=member_label, line=1
                )
            results.append(read_baci_text(src, options, mapper=mapper, countries_note=note, input_path=label))
        return results


def _check_member_size(info: zipfile.ZipInfo, label: str) -> None:
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > ZIP_MAX_MEMBER_BYTES or (info.file_size > (1 << 20) and ratio > ZIP_MAX_RATIO):
        raise UnreadableFileError(
            f"zip member {info.filename!r} expands to {info.file_size:,} bytes ({ratio:,.0f}x); refusing a "
            "possible zip bomb. Extract it yourself if it is genuine",
            path=label,
        )


def read_file(path: Path, src: TextSource, options) -> list[FileResult]:
    """Read one BACI yearly CSV (plain or gzip) with the country table its release documents."""
    mapper, note = baci_countries(path, options, release=baci_name_info(path.name).release)
    res = read_baci_text(src, options, mapper=mapper, countries_note=note, input_path=str(path))
    return [res]


def _zip(path: Path, src, options) -> list[FileResult]:
    return read_baci_zip(path, options)


FORMAT = Format("baci", "text", read_file, recognise, "CEPII BACI yearly CSV t,i,j,k,v,q (v thousand USD, q tons)")
ZIP_FORMAT = Format("baci-zip", "zip", _zip, None, "CEPII BACI release zip (members streamed, never extracted)")


def _member_opener(zf: zipfile.ZipFile, info: zipfile.ZipInfo):
    @contextmanager
    def _open():
        fh = zf.open(info)
        try:
            yield fh
        finally:
            fh.close()

    return _open
