"""Loading into the flow store: canonical Parquet read in place, folders of Parquet, the cache, the exact reader."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

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
