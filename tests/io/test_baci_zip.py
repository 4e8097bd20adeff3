"""BACI release zip: yearly members read in place, --year picks, unsafe archives refused."""

from __future__ import annotations

import io
import zipfile

import pytest
from io_helpers import COUNTRIES, baci_line

from scrisk.errors import FormatDetectionError, UnreadableFileError, UsageError
from scrisk.io import ReadOptions, detect_source, read_flows
from scrisk.io.formats.baci import ZIP_MAX_RATIO


def _country_csv() -> str:
    lines = ["country_code,country_name,country_iso2,country_iso3"]
    lines += [f'{c},"{n}",{i2},{i3}' for c, n, i2, i3 in COUNTRIES]
    return "\n".join(lines) + "\n"


def _year_csv(year: int, scale: float) -> str:
    rows = [(year, 156, 410, 811292, 100.0 * scale, 1.0), (year, 490, 392, 854231, 7.0 * scale, None),
            (year, 842, 251, 10121, 1.5 * scale, 0.5)]
    return "t,i,j,k,v,q\n" + "\n".join(baci_line(*r) for r in rows) + "\n"


@pytest.fixture
def release_zip(tmp_path):
    p = tmp_path / "BACI_HS17_V202601.zip"
    with zipfile.ZipFile(p, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("BACI_HS17_Y2021_V202601.csv", _year_csv(2021, 1.0))
        zf.writestr("BACI_HS17_Y2022_V202601.csv", _year_csv(2022, 2.0))
        zf.writestr("country_codes_V202601.csv", _country_csv())
        zf.writestr("product_codes_HS17_V202601.csv", "code,description\n010121,Horses\n")
        zf.writestr("Readme.txt", "BACI release\n")
    return p


def test_zip_reads_all_years_without_year(release_zip):
    assert detect_source(release_zip) == "baci-zip"
    t = read_flows([release_zip])
    assert t.years == (2021, 2022)
    assert t.report.rows_read == 6 and t.report.rows_rejected == 0
    assert t.meta.hs_revision == "HS2017" and t.meta.release == "V202601"
    assert t.meta.source_format == "baci"
    assert t.meta.inputs == (str(release_zip),)
    assert any("inside the zip" in n for n in t.meta.notes)
    assert "TWN" in set(t.frame["exporter"])
    assert [f["file"].split("!")[-1] for f in t.report.files] == [
        "BACI_HS17_Y2021_V202601.csv",
        "BACI_HS17_Y2022_V202601.csv",
    ]


def test_year_picks_one_member(release_zip):
    t = read_flows([release_zip], ReadOptions(years=(2022,)))
    assert t.years == (2022,)
    assert t.report.rows_read == 3
    assert t.frame["value_usd"].sum() == pytest.approx((200.0 + 14.0 + 3.0) * 1000)


def test_missing_year_is_a_usage_error(release_zip):
    with pytest.raises(UsageError, match="2019"):
        read_flows([release_zip], ReadOptions(years=(2019,)))


@pytest.mark.parametrize("name", ["../BACI_HS17_Y2022_V202601.csv", "/etc/BACI_HS17_Y2022_V202601.csv",
                                  "a/../../BACI_HS17_Y2022_V202601.csv"])
def test_path_traversal_member_names_are_refused(tmp_path, name):
    p = tmp_path / "evil.zip"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("BACI_HS17_Y2021_V202601.csv", _year_csv(2021, 1.0))
        zf.writestr(name, _year_csv(2022, 1.0))
    with pytest.raises(UnreadableFileError, match="refusing"):
        read_flows([p])


def test_compression_bomb_is_refused(tmp_path):
    p = tmp_path / "bomb.zip"
    body = "t,i,j,k,v,q\n" + "2022,156,410,811292,1.0,1.0\n" * (ZIP_MAX_RATIO * 40_000 // 28)
    with zipfile.ZipFile(p, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("BACI_HS17_Y2022_V202601.csv", body)
    info = zipfile.ZipFile(p).infolist()[0]
    assert info.file_size / info.compress_size > ZIP_MAX_RATIO
    with pytest.raises(UnreadableFileError, match="zip bomb"):
        read_flows([p])


def test_zip_without_baci_members_is_not_a_trade_file(tmp_path):
    p = tmp_path / "other.zip"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("notes.txt", "hello")
    with pytest.raises(FormatDetectionError, match="no BACI yearly CSV"):
        read_flows([p])


def test_truncated_zip_is_unreadable(tmp_path, release_zip):
    data = release_zip.read_bytes()
    p = tmp_path / "cut.zip"
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(UnreadableFileError):
        read_flows([p])


def test_zip_is_never_extracted(release_zip, tmp_path):
    before = sorted(x.name for x in tmp_path.iterdir())
    read_flows([release_zip])
    assert sorted(x.name for x in tmp_path.iterdir()) == before
    # the archive is still a valid zip (opened read-only)
    assert zipfile.ZipFile(io.BytesIO(release_zip.read_bytes())).testzip() is None
