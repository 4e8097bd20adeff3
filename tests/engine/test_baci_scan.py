"""The parallel BACI scan gives exactly what the exact reader gives, or hands the file over to it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scrisk.engine import ingest
from scrisk.engine.baci_scan import hs_filter_sql
from scrisk.io import read_flows
from scrisk.io.options import ReadOptions
from scrisk.io.reader import read_exact

CLEAN = [("2022", "156", "410", "811292", "1500.5", "   12.000"), ("2022", "392", "410", "370790", "20", "         NA"),
         ("2022", "842", "410", "71120", "0.729", "0.308"), ("2022", "490", "156", "854231", "3e2", "")]
TRICKY = {
    "t": ["2022.0", " 2022", "20x2", "1850", "", "2e03", "+202"],
    "i": ["0842", " 842", "842.0", "+842", "999", "0", "S19", "", "4", "410", "97", "097"],
    "j": ["156", "0", "000", "97", "490", "158", "0410"],
    "k": ["1234", "1234567", "12 345", "+12345", "12345.0", "8542", "", "0x1234"],
    "v": ["-1", "1_000", "inf", "nan", "abc", "", "1e999", " 5", "1.", ".5"],
    "q": ["-1", "N/A", "nan", "-", "x", "1e999"],
}


def _write(path: Path, rows) -> Path:
    path.write_text("t,i,j,k,v,q\n" + "".join(",".join(r) + "\n" for r in rows))
    return path


def _same(path: Path, options: ReadOptions = ReadOptions()) -> None:
    fast = read_flows([path], options)
    exact = read_exact([path], options)
    assert (fast.report.rows_read, fast.report.rows_accepted, fast.report.rows_rejected) == (
        exact.report.rows_read, exact.report.rows_accepted, exact.report.rows_rejected)
    assert dict(fast.report.reasons) == dict(exact.report.reasons)
    a = fast.frame.sort_values(["year", "exporter", "importer", "hs"]).reset_index(drop=True)
    b = exact.frame.sort_values(["year", "exporter", "importer", "hs"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    assert fast.meta.hs_revision == exact.meta.hs_revision and fast.meta.years == exact.meta.years


@pytest.fixture(autouse=True)
def _no_cache():
    ingest.set_cache_enabled(False)
    yield
    ingest.set_cache_enabled(True)


def test_clean_file_takes_the_fast_path_and_equals_the_exact_reader(tmp_path):
    p = _write(tmp_path / "BACI_HS17_Y2022_V202601.csv", CLEAN)
    t = read_flows([p])
    assert t.parquet and not t.in_memory  # the parallel scan wrote the store
    assert t.frame.loc[t.frame["exporter"] == "TWN", "hs"].tolist() == ["854231"]
    assert t.frame.loc[t.frame["hs"] == "071120", "value_usd"].iloc[0] == pytest.approx(729.0)
    _same(p)


@settings(max_examples=60)
@given(field=st.sampled_from(sorted(TRICKY)), data=st.data())
def test_any_dirty_field_gives_the_exact_readers_accounting(tmp_path_factory, field, data):
    token = data.draw(st.sampled_from(TRICKY[field]))
    row = dict(zip("tijkvq", CLEAN[0]))
    row[field] = token
    p = _write(tmp_path_factory.mktemp("scan") / "BACI_HS17_Y2022_V202601.csv", CLEAN[1:] + [tuple(row[c] for c in "tijkvq")])
    _same(p)


@pytest.mark.parametrize("pair", [("840", "842"), ("158", "490"), ("056", "58"), ("4", "004")])
def test_two_codes_of_one_country_are_self_trade_as_in_the_exact_reader(tmp_path, pair):
    # BACI numbers some countries twice (USA 840 and 842, TWN 158 and 490): a flow between them is self-trade
    row = ("2022", pair[0], pair[1], "811292", "10", "1")
    p = _write(tmp_path / "BACI_HS17_Y2022_V202601.csv", CLEAN + [row])
    t = read_flows([p])
    assert t.report.rows_rejected == 1 and t.report.rows_accepted == len(CLEAN)
    _same(p)


def test_duplicate_keys_across_files_are_left_to_the_exact_reader(tmp_path):
    a = _write(tmp_path / "a.csv", CLEAN)
    b = _write(tmp_path / "b.csv", CLEAN[:1])
    t = read_flows([a, b])
    assert t.report.reasons["duplicate key"] == 1 and t.in_memory
    _same(a)


def test_year_and_hs_filters_are_pushed_into_the_scan(tmp_path):
    p = _write(tmp_path / "BACI_HS17_Y2022_V202601.csv", CLEAN + [("2024", "156", "410", "811292", "7", "NA")])
    for opts in (ReadOptions(years=(2024,)), ReadOptions(hs=("81", "0711")), ReadOptions(years=(2022,), hs=("8542",))):
        _same(p, opts)
    assert len(read_flows([p], ReadOptions(years=(2024,)))) == 1


def test_hs_filter_is_one_set_lookup_per_prefix_length():
    assert hs_filter_sql("hs", ["8542", "85", "8541"]) == (
        "(substr(hs, 1, 2) IN ('85') OR substr(hs, 1, 4) IN ('8541', '8542'))")


def test_a_long_code_list_matches_every_written_form_as_the_exact_reader(tmp_path):
    # 200 six-digit codes take the ENUM cast in the scan; codes written unpadded, with '.0' or spaces (which the
    # cast misses) must still be kept exactly when the exact reader keeps them
    listed = [f"{n:06d}" for n in range(10110, 10310)] + ["0711"]
    rows = [("2022", "156", "410", "10110", "1", "NA"), ("2022", "156", "410", "010111", "2", "NA"),
            ("2022", "156", "410", "10112.0", "3", "NA"), ("2022", "156", "410", " 10113", "4", "NA"),
            ("2022", "156", "410", "71120", "5", "NA"), ("2022", "156", "410", "811292", "6", "NA"),
            ("2022", "842", "410", "10114", "7", "NA")]
    p = _write(tmp_path / "BACI_HS17_Y2022_V202601.csv", rows)
    _same(p, ReadOptions(hs=tuple(listed)))
    (tmp_path / "clean").mkdir()
    plain = [r for r in rows if r[3] in ("10110", "010111", "71120", "811292", "10114")]
    clean = _write(tmp_path / "clean" / "BACI_HS17_Y2022_V202601.csv", plain)
    t = read_flows([clean], ReadOptions(hs=tuple(listed)))
    assert t.parquet and sorted(t.frame["hs"]) == ["010110", "010111", "010114", "071120"]


class _Recording:
    """A DuckDB connection that records the statements it runs."""

    def __init__(self, con):
        self.con, self.sql = con, []

    def execute(self, sql, *args):
        self.sql.append(sql)
        return self.con.execute(sql, *args)


def _count_only(tmp_path, con):
    from scrisk.engine.baci_scan import scan_baci
    from scrisk.io.formats import sniff
    from scrisk.io.formats.baci import _columns, baci_countries

    p = _write(tmp_path / "BACI_HS17_Y2022_V202601.csv", CLEAN)
    _, src = sniff(p, ReadOptions())
    mapper, _ = baci_countries(p, ReadOptions(), release="V202601")
    return scan_baci(con, p, header=src.header, roles=_columns(src), delimiter=",", compression="none",
                     mapper=mapper, out=None)


def test_the_counting_scan_groups_within_its_own_memory_limit_and_restores_the_engines(tmp_path, monkeypatch):
    from scrisk.engine import baci_scan, store

    monkeypatch.setattr(store, "_settings", store.EngineSettings())
    con = _Recording(store.connect())
    before = con.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    out = _count_only(tmp_path, con)
    assert out.clean and out.rows == len(CLEAN)
    sets = [s for s in con.sql if "memory_limit" in s and "current_setting" not in s]
    assert sets == [f"SET memory_limit = '{baci_scan.COUNT_MEMORY}'", "RESET memory_limit"]
    counting = next(k for k, s in enumerate(con.sql) if "GROUP BY" in s)
    assert con.sql.index(sets[0]) < counting < con.sql.index(sets[1])
    assert con.con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == before
    # a --memory-limit is the user's budget: the scan leaves it alone
    store.configure(memory_limit="300MB")
    con = _Recording(store.connect())
    (tmp_path / "b").mkdir()
    assert _count_only(tmp_path / "b", con).clean
    assert not [s for s in con.sql if "memory_limit" in s]
    assert con.con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == "286.1 MiB"


def test_running_out_of_memory_is_an_error_not_a_hand_over_to_the_exact_reader(tmp_path, monkeypatch):
    import duckdb

    from scrisk.engine import store

    # the exact reader would hold the whole file in Python objects: a limit the scan cannot keep is reported
    monkeypatch.setattr(store, "_settings", store.EngineSettings())
    store.configure(memory_limit="16MB")
    rows = [("2022", ("156", "392", "842")[n % 3], "410", f"{100000 + n:06d}", "1.5", "2") for n in range(300_000)]
    p = _write(tmp_path / "BACI_HS17_Y2022_V202601.csv", rows)
    with pytest.raises(duckdb.OutOfMemoryException):
        read_flows([p], keep_rows=False)
