"""Loading into the flow store: canonical Parquet read in place, folders of Parquet, the cache, the exact reader."""

from __future__ import annotations

import os

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scrisk.engine import ingest
from scrisk.io import read_flows
from scrisk.io.options import ReadOptions
from scrisk.io.reader import read_exact

ROWS = pd.DataFrame({
    "year": [2022, 2022, 2024, 2024],
    "exporter": ["CHN", "JPN", "CHN", "TWN"],
    "importer": ["KOR", "KOR", "USA", "KOR"],
    "hs": ["811292", "370790", "811292", "854231"],
    "value_usd": [9.0e7, 1.0e7, 5.0e6, 3.0e8],
    "qty_kg": [1000.0, float("nan"), 20.0, 5.0],
})


def _dataset(root, rows: pd.DataFrame):
    for y, part in rows.groupby("year"):
        d = root / f"year={y}"
        d.mkdir(parents=True)
        pq.write_table(pa.Table.from_pandas(part.reset_index(drop=True), preserve_index=False), d / "part-0.parquet")
    return root


def _key(t):
    return t.frame.sort_values(["year", "exporter", "importer", "hs"]).reset_index(drop=True)


PERIOD_ROWS = ROWS.assign(month=pd.array([None, None, 6, 7], dtype="Int8"),
                          hs_revision=pd.array(["HS2017", "HS2017", "HS2022", None], dtype="string"))


def test_a_folder_of_canonical_parquet_is_read_in_place(tmp_path):
    root = _dataset(tmp_path / "flows", PERIOD_ROWS)
    t = read_flows([root])
    assert not t.in_memory and all(p.startswith(str(root)) for p in t.parquet)  # no copy
    assert t.years == (2022, 2024) and t.report.rows_read == 4 and t.meta.source_format == "parquet"
    exact = read_exact(sorted(root.rglob("*.parquet")), ReadOptions())
    pd.testing.assert_frame_equal(_key(t), _key(exact))
    again = read_flows([root])  # from the cache's record that the files passed
    pd.testing.assert_frame_equal(_key(again), _key(t))
    assert t.frame["month"].tolist()[2:] == [6, 7] and t.meta.periods == ("2022", "2024-06", "2024-07")
    assert t.frame["hs_revision"].tolist()[:3] == ["HS2017", "HS2017", "HS2022"]


def test_canonical_parquet_written_before_month_and_revision_still_reads(tmp_path):
    root = _dataset(tmp_path / "old", ROWS)
    t = read_flows([root], ReadOptions(hs_revision="HS2017"))
    assert not any(p.startswith(str(root)) for p in t.parquet)  # copied with the two columns added
    f = _key(t)
    assert f["month"].isna().all() and (f["hs_revision"] == "HS2017").all() and t.meta.hs_revision == "HS2017"
    assert f["value_usd"].tolist() == _key(read_exact(sorted(root.rglob("*.parquet")), ReadOptions()))["value_usd"].tolist()
    assert t.report.rows_read == 4 and t.meta.periods == ("2022", "2024")


def test_a_filter_or_a_bad_row_leaves_the_inputs_untouched(tmp_path):
    root = _dataset(tmp_path / "flows", ROWS)
    t = read_flows([root], ReadOptions(years=(2024,)))
    assert t.years == (2024,) and len(t) == 2 and not any(p.startswith(str(root)) for p in t.parquet)
    bad = ROWS.copy()
    bad.loc[1, "exporter"] = "XXX"
    broken = _dataset(tmp_path / "broken", bad)
    ingest.set_cache_enabled(False)
    try:
        t = read_flows([broken])
    finally:
        ingest.set_cache_enabled(True)
    assert t.report.rows_rejected == 1 and t.report.reasons["unknown country code"] == 1
    assert t.report.unknown_codes == {"XXX": 1.0e7}


def test_the_engine_connection_opens_only_for_an_input_the_fast_path_takes(tmp_path, monkeypatch):
    opened = []
    real = ingest.connect
    monkeypatch.setattr(ingest, "connect", lambda: opened.append(1) or real())
    monkeypatch.setattr(ingest, "_cache_enabled", False)
    tidy = tmp_path / "flows.csv"
    ROWS.to_csv(tidy, index=False)
    assert len(read_flows([tidy])) == 4 and opened == []  # a tidy CSV goes to the exact reader: no engine
    pq.write_table(pa.Table.from_pandas(ROWS, preserve_index=False), tmp_path / "flows.parquet")
    assert len(read_flows([tmp_path / "flows.parquet"])) == 4 and opened == [1]  # canonical Parquet: one connection


# -- the exact reader's results in the cache -----------------------------------------------------------------------

TIDY_WITH_DEFECTS = (
    "year,exporter,importer,hs,value_usd\n"
    "2024,CHN,KOR,811292,90000000\n"  # 2: accepted
    "2024,JPN,KOR,811292,10000000\n"  # 3: accepted
    "2024,XXX,KOR,811292,5000000\n"  # 4: unknown country code
    "2024,CHN,KOR,8112,1000\n"  # 5: the heading total of 811292: aggregate HS code (a cross-row rejection)
    "2024,CHN,KOR,811292,7\n"  # 6: duplicate key
    "2024,CHN,CHN,811292,3\n"  # 7: self-trade
    "2024,USA,KOR,81129X,2\n"  # 8: malformed HS code
    "2024,USA,KOR,370790,-1\n"  # 9: negative value
    "2024,USA,KOR\n"  # 10: wrong field count
    "2022,CHN,KOR,811292,80000000\n"  # 11: accepted
)


def _comtrade_both_sides(path):
    from io_helpers import API_HEADER, api_row

    rows = [
        api_row(410, "M", 156, "811292", 900.0, 10),  # KOR imports from CHN
        api_row(410, "M", 156, "811292", 600.0, 6, mot=1000),  # breakdown by transport mode
        api_row(410, "M", 0, "811292", 1000.0, 11),  # KOR's total with the World: meta.world_totals
        api_row(156, "X", 410, "811292", 880.0, 9),  # CHN's mirror report: superseded, kept in meta.mirror
        api_row(156, "X", 392, "811292", 500.0, 5),  # CHN exports to JPN, no JPN import report
        api_row(842, "M", 490, "8542", 75.0, 1),  # a heading with no code under it: a product
        api_row(392, "RX", 410, "811292", 20.0, ""),  # re-export
    ]
    path.write_text(API_HEADER + "\n" + "\n".join(rows) + "\n")
    return path


@pytest.fixture
def exact_reads(monkeypatch):
    """Count the exact reader's runs (a read from the cache runs none)."""
    from scrisk.io import reader

    calls = []
    real = reader.read_exact
    monkeypatch.setattr(reader, "read_exact", lambda files, options: calls.append(list(files)) or real(files, options))
    return calls


def _assert_same_read(fresh, cached):
    """Two reads give the same flow table: rows, every rejected row, the read report and the metadata."""
    pd.testing.assert_frame_equal(cached.frame, fresh.frame)
    a, b = fresh.report, cached.report
    assert (b.rows_read, b.rows_accepted, b.rows_rejected) == (a.rows_read, a.rows_accepted, a.rows_rejected)
    assert list(b.reasons.items()) == list(a.reasons.items())
    assert b.value_usd_accepted == a.value_usd_accepted and b.value_usd_rejected == a.value_usd_rejected
    assert list(b.unknown_codes.items()) == list(a.unknown_codes.items()) and b.files == a.files
    pd.testing.assert_frame_equal(b.rejected, a.rejected)
    assert cached.meta == fresh.meta and cached.meta.to_dict() == fresh.meta.to_dict()
    assert cached.meta.hs_inference == fresh.meta.hs_inference
    assert cached.years == fresh.years and cached.measured_years == fresh.measured_years
    for side in ("world_totals", "mirror"):
        assert (getattr(cached.meta, side) is None) == (getattr(fresh.meta, side) is None)
    if fresh.meta.world_totals is not None:
        pd.testing.assert_frame_equal(cached.meta.world_totals, fresh.meta.world_totals)
    if fresh.meta.mirror is not None:
        for part in ("flows", "by_pair", "by_product"):
            pd.testing.assert_frame_equal(getattr(cached.meta.mirror, part), getattr(fresh.meta.mirror, part))
        assert cached.meta.mirror.counts == fresh.meta.mirror.counts


def test_a_tidy_file_with_rejected_rows_reads_the_same_from_the_cache(tmp_path, exact_reads):
    src = tmp_path / "flows.csv"
    src.write_text(TIDY_WITH_DEFECTS)
    fresh = read_flows([src])
    assert fresh.in_memory and len(exact_reads) == 1
    rej = fresh.report.rejected
    assert rej["line"].tolist() == [4, 5, 6, 7, 8, 9, 10] and fresh.report.rows_read == 10 == len(fresh) + len(rej)
    assert any("unmapped countries" in n for n in fresh.meta.notes)
    cached = read_flows([src])
    assert len(exact_reads) == 1  # the second read did not parse the file
    assert not cached.in_memory and all(os.path.realpath(p).startswith(os.path.realpath(os.environ["SCRISK_CACHE_DIR"]))
                                        for p in cached.parquet)
    _assert_same_read(fresh, cached)
    assert cached.report.rejected.loc[0, "detail"] == rej.loc[0, "detail"] and "raw_line" in cached.report.rejected


def test_a_comtrade_file_reads_the_same_from_the_cache(tmp_path, exact_reads):
    src = _comtrade_both_sides(tmp_path / "comtrade.csv")
    fresh = read_flows([src])
    assert fresh.meta.world_totals is not None and fresh.meta.mirror is not None and fresh.meta.hs_headings == ("8542",)
    assert fresh.report.rejected["reason"].tolist().count("superseded by partner report") == 1
    cached = read_flows([src])
    assert len(exact_reads) == 1 and not cached.in_memory
    _assert_same_read(fresh, cached)


def test_files_read_together_are_one_entry_and_any_change_reads_again(tmp_path, exact_reads):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text(TIDY_WITH_DEFECTS)
    b.write_text("year,exporter,importer,hs,value_usd\n2024,CHN,KOR,811292,1\n")  # repeats a's key: duplicate
    fresh = read_flows([a, b])
    _assert_same_read(fresh, read_flows([a, b]))
    assert len(exact_reads) == 1
    read_flows([b, a])  # another order keeps another row: another read
    read_flows([a])
    read_flows([a, b], ReadOptions(years=(2024,)))
    assert len(exact_reads) == 4
    b.write_text("year,exporter,importer,hs,value_usd\n2024,CHN,USA,811292,1\n")
    assert read_flows([a, b]).report.reasons.get("duplicate key", 0) == 1  # a's own repeat only
    assert len(exact_reads) == 5


def test_no_cache_and_streams_always_read_again(tmp_path, exact_reads, monkeypatch):
    from scrisk.io import reader

    src = tmp_path / "flows.csv"
    src.write_text(TIDY_WITH_DEFECTS)
    ingest.set_cache_enabled(False)
    try:
        read_flows([src])
        read_flows([src])
    finally:
        ingest.set_cache_enabled(True)
    assert len(exact_reads) == 2
    monkeypatch.setattr(reader, "_SPOOLED", {os.path.realpath(src)})  # as if it were the copy of a pipe
    read_flows([src])
    read_flows([src])
    assert len(exact_reads) == 4


def _baci_year(folder, year: int, rows, name: str | None = None):
    from io_helpers import baci_line, write_country_codes_v202601

    folder.mkdir(parents=True, exist_ok=True)
    write_country_codes_v202601(folder / "country_codes_V202601.csv")
    p = folder / (name or f"BACI_HS17_Y{year}_V202601.csv")
    p.write_text("t,i,j,k,v,q\n" + "\n".join(baci_line(year, *r) for r in rows) + "\n", encoding="utf-8")
    return p


BACI_ROWS = [(156, 410, 811292, 9000.5, 12.0), (392, 410, 370790, 1500.0, None), (842, 156, 10121, 3.25, 1.0)]


@pytest.fixture
def no_cache():
    ingest.set_cache_enabled(False)
    try:
        yield
    finally:
        ingest.set_cache_enabled(True)


def test_counting_only_gives_the_accounting_of_a_full_read_and_writes_no_rows(tmp_path, no_cache, monkeypatch):
    monkeypatch.setenv("SCRISK_TEMP_DIR", str(tmp_path / "scratch"))
    (tmp_path / "scratch").mkdir()
    monkeypatch.setattr(ingest, "_scratch", None)
    p = _baci_year(tmp_path / "in", 2022, BACI_ROWS)
    counted = read_flows([p], keep_rows=False)
    assert counted.counted_only and not list((tmp_path / "scratch").rglob("*.parquet"))
    full = read_flows([p])
    assert not full.counted_only
    for attr in ("rows_read", "rows_accepted", "rows_rejected", "value_usd_accepted", "files"):
        assert getattr(counted.report, attr) == getattr(full.report, attr), attr
    assert counted.report.value_usd_accepted == pytest.approx(10503.75 * 1000)
    assert (counted.meta.years, counted.meta.notes, len(counted)) == (full.meta.years, full.meta.notes, 3)
    # the rows, once asked for, are read again: the same flows
    assert _key(counted).equals(_key(full)) and not counted.counted_only and counted.parquet


def test_counting_only_still_finds_a_key_repeated_within_a_file_or_across_files(tmp_path, no_cache):
    dup = _baci_year(tmp_path / "a", 2022, BACI_ROWS + [(156, 410, 811292, 1.0, 1.0)])
    t = read_flows([dup], keep_rows=False)
    assert t.report.reasons == {"duplicate key": 1} and t.report.rows_read == 4 and t.report.rows_accepted == 3
    # two files of the same year, each clean on its own, sharing one key
    other = _baci_year(tmp_path / "b", 2022, [(156, 410, 811292, 2.0, 1.0)], name="BACI_HS17_Y2022_V202601_b.csv")
    t = read_flows([_baci_year(tmp_path / "c", 2022, BACI_ROWS), other], keep_rows=False)
    assert t.report.reasons == {"duplicate key": 1} and t.report.rows_read == 4
    # different years cannot share a key: both are counted in one pass each, and nothing repeats
    t = read_flows([_baci_year(tmp_path / "d", 2022, BACI_ROWS), _baci_year(tmp_path / "e", 2024, BACI_ROWS)],
                   keep_rows=False)
    assert t.counted_only and t.report.rows_rejected == 0 and t.meta.years == (2022, 2024) and len(t) == 6
