"""Property tests: whatever the bytes, readers return a FlowTable or raise a ScriskError, and rows add up."""

from __future__ import annotations

import gzip
import io
import tempfile
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from io_helpers import API_HEADER, write_country_codes_v202601

from scrisk.errors import ScriskError
from scrisk.io import ReadOptions, read_flows
from scrisk.schema import FlowTable

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _read(data: bytes, name: str = "in.csv", options: ReadOptions | None = None, with_codes: bool = False):
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / name
        p.write_bytes(data)
        if with_codes:
            write_country_codes_v202601(Path(d) / "country_codes_V202601.csv")
        try:
            out = read_flows([p], options)
        except ScriskError as exc:
            assert exc.exit_code in (2, 3)
            assert str(exc)  # a message, naming what went wrong
            return None
    assert isinstance(out, FlowTable)
    r = out.report
    assert r.rows_read == r.rows_accepted + r.rows_rejected
    assert len(r.rejected) == r.rows_rejected
    assert sum(r.reasons.values()) == r.rows_rejected
    assert len(out.frame) == r.rows_accepted
    return out


@FUZZ
@given(st.binary(max_size=2000))
def test_arbitrary_bytes(data):
    _read(data)


@FUZZ
@given(st.sampled_from([b"PK\x03\x04", b"PAR1", b"\x1f\x8b\x08\x00", b"\xef\xbb\xbf", b"t,i,j,k,v,q\n"]),
       st.binary(max_size=600))
def test_magic_prefix_then_garbage(prefix, data):
    _read(prefix + data)


TOKENS = st.one_of(
    st.sampled_from(["", " ", "NA", "N/A", "nan", "inf", "-1", "0", "1e309", "2022", "2022.0", "99999", "811292",
                     "71120", "8112", "TOTAL", "156", "410", "490", "0", "S19", "CHN", "KOR", "WLD", "M", "X", "RX",
                     "H5", "C00", '"', '""', '"a,b"', '"x\ny"', "\t", "é", "수출", "輸出", "-", "1,5", "1.5.2",
                     "  12.000", "0x1F"]),
    st.text(max_size=6),
    st.integers(-10**12, 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


def _rows(header: list[str], n_extra: int = 2):
    width = st.integers(len(header) - n_extra, len(header) + n_extra)
    return width.flatmap(lambda w: st.lists(TOKENS, min_size=max(w, 0), max_size=max(w, 0)))


def _csv(header, rows, sep=",", eol="\n") -> str:
    return sep.join(header) + eol + eol.join(sep.join(r) for r in rows) + eol


BACI = ["t", "i", "j", "k", "v", "q"]
TIDY = ["year", "exporter", "importer", "hs", "value_usd", "qty_kg"]
SHORT = ["reporter", "partner", "cmd", "flow", "value", "netwgt"]
API = API_HEADER.split(",")


@FUZZ
@given(st.lists(_rows(BACI), max_size=12), st.sampled_from(["\n", "\r\n"]))
def test_malformed_baci_rows(rows, eol):
    _read(_csv(BACI, rows, eol=eol).encode("utf-8"), "BACI_HS17_Y2022_V202601.csv", with_codes=True)


@FUZZ
@given(st.lists(_rows(TIDY), max_size=12), st.sampled_from([",", ";", "\t"]))
def test_malformed_tidy_rows(rows, sep):
    out = _read(_csv(TIDY, rows, sep=sep).encode("utf-8"))
    if out is not None:
        f = out.frame
        assert (f["value_usd"] >= 0).all() and f["hs"].str.fullmatch(r"\d{6,10}").all()


@FUZZ
@given(st.lists(_rows(SHORT), max_size=12), st.sampled_from(["both", "imports", "exports"]))
def test_malformed_comtrade_short_rows(rows, side):
    data = gzip.compress(_csv(SHORT, rows).encode("utf-8"))
    _read(data, "c.csv.gz", ReadOptions(years=(2024,), comtrade_side=side))


@FUZZ
@given(st.lists(_rows(API, n_extra=1), max_size=6))
def test_malformed_comtrade_api_rows(rows):
    _read(_csv(API, rows).encode("utf-8"))


@FUZZ
@given(st.lists(_rows(BACI), max_size=6), st.sampled_from(["cp949", "shift_jis", "utf-8-sig"]))
def test_malformed_rows_in_other_encodings(rows, enc):
    text = _csv(["연도" if enc == "cp949" else "年"] + TIDY[1:], rows)
    try:
        data = text.encode(enc)
    except UnicodeEncodeError:
        data = text.encode(enc, errors="replace")
    _read(data, options=ReadOptions(years=(2022,), columns={"exporter": "exporter", "importer": "importer",
                                                              "hs": "hs", "value": "value_usd"}))


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(["BACI_HS17_Y2022_V202601.csv", "country_codes_V202601.csv", "x.txt",
                                           "../BACI_HS17_Y2021_V202601.csv", "d/BACI_HS92_Y1995_V202601.csv"]),
                          st.binary(max_size=300)), max_size=4))
def test_zip_with_arbitrary_members(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members:
            zf.writestr(name, data)
    _read(buf.getvalue(), "release.zip")
