"""scrisk.serialize: the streaming writers give the same text as the Python serialisers, atomically."""

from __future__ import annotations

import io
import json
import math
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scrisk.errors import EXIT_USAGE, UsageError
from scrisk.serialize import (
    META_KEY,
    ParquetRows,
    format_for_path,
    input_paths,
    jsonable,
    rows_to_table,
    to_csv,
    to_json,
    write_rows,
)


def _bytes(data, meta, fmt, **kw) -> bytes:
    buf = io.BytesIO()
    write_rows(data, meta, buf, fmt, **kw)
    return buf.getvalue()


@pytest.fixture(scope="module")
def example_result():
    from scrisk.analysis import analyze
    from scrisk.api import load_flows

    return analyze(load_flows(None))


def _edge_table() -> pa.Table:
    """Every kind of cell the writers must get right, hand-made."""
    return pa.table({
        "hs": ["811292", "280530", "a,b", 'q"x', "line\nbreak", "", None, "é 한"],
        "value": [1e16, 1e-5, 0.1, float("nan"), float("inf"), -0.0, None, 123456789012345680.0],
        "f32": pa.array([0.1, 1.5, None, 2.0, 3.25, float("nan"), 0.0, 1e-7], pa.float32()),
        "n": pa.array([1, None, -3, 0, 2**40, 7, 8, 9], pa.int64()),
        "ok": [True, False, None, True, False, True, None, False],
        "flags": [["single_source", "x"], [], None, ["a;b"], ["only"], [None, "y"], ["z"], []],
        "shares": [[0.5, float("nan")], [1e-9], None, [], [1.0], [None], [2.0, 3.0], [0.25]],
        "gone": pa.nulls(8),
    })


def test_csv_of_the_bundled_analysis_is_the_text_to_csv_writes(example_result):
    data = example_result.to_dict()
    expected = to_csv(data["rows"])
    assert _bytes(example_result.to_arrow(), data["meta"], "csv").decode("utf-8") == expected
    # batch by batch from a reader, small batches: the same text
    reader = pa.RecordBatchReader.from_batches(
        example_result.to_arrow().schema, example_result.to_arrow().to_batches(max_chunksize=7))
    assert _bytes(reader, data["meta"], "csv").decode("utf-8") == expected
    assert expected.count("\n") == len(data["rows"]) + 1 > 100


def test_csv_cells_match_to_csv_on_edge_values():
    t = _edge_table()
    got = _bytes(t, {}, "csv").decode("utf-8")
    assert got == to_csv(t.to_pylist())
    lines = got.split("\n")
    assert lines[0] == "hs,value,f32,n,ok,flags,shares,gone"
    assert lines[1] == "811292,1e+16,0.10000000149011612,1,True,single_source;x,0.5;None,"


def test_csv_columns_pick_order_and_fill_missing(example_result):
    cols = ["hs", "importer", "not_a_field", "flags"]
    data = example_result.to_dict()
    got = _bytes(example_result.to_arrow(), data["meta"], "csv", columns=cols).decode()
    assert got == to_csv(data["rows"], cols)
    assert got.splitlines()[0] == "hs,importer,not_a_field,flags"


def test_json_equals_the_contract_of_to_dict(example_result):
    data = example_result.to_dict()
    got = json.loads(_bytes(example_result.to_arrow(), data["meta"], "json"))
    assert got == json.loads(json.dumps(data))
    assert list(got) == ["meta", "rows"]
    # floats round-trip exactly (compare bit patterns, not just ==)
    for a, b in zip(got["rows"], data["rows"]):
        for k, v in b.items():
            if isinstance(v, float):
                assert a[k].hex() == v.hex(), k


def test_json_of_edge_values_nan_null_nested_lists_and_extra_entries():
    t = _edge_table().append_column("st", pa.array([{"a": float("nan"), "b": 1}] * 8))
    meta = {"inputs": ["x.csv"], "share": float("nan"), "years": (2022, 2024)}
    extra = {"summary": {"pairs": 3}, "totals": {"blocked_usd": 1.5}}
    got = json.loads(_bytes(t, meta, "json", extra=extra))
    expected = json.loads(to_json({"meta": meta, **extra, "rows": t.to_pylist()}))
    assert got == expected
    assert list(got) == ["meta", "summary", "totals", "rows"]
    assert got["rows"][0]["shares"] == [0.5, None] and got["rows"][3]["value"] is None
    assert got["rows"][0]["st"] == {"a": None, "b": 1}


def test_json_and_csv_of_no_rows():
    t = pa.table({"hs": pa.array([], pa.string()), "hhi": pa.array([], pa.float64())})
    assert json.loads(_bytes(t, {"inputs": []}, "json")) == {"meta": {"inputs": []}, "rows": []}
    assert _bytes(t, {}, "csv") == b"hs,hhi\n"
    assert _bytes(t, {}, "jsonl") == b""


def test_jsonl_one_row_per_line(example_result):
    data = example_result.to_dict()
    lines = _bytes(example_result.to_arrow(), data["meta"], "jsonl").decode().splitlines()
    assert [json.loads(line) for line in lines] == json.loads(json.dumps(data["rows"]))


def test_parquet_round_trip_keeps_types_and_meta(tmp_path, example_result):
    tab = example_result.to_arrow()
    meta = example_result.to_dict()["meta"]
    path = tmp_path / "screen.parquet"
    assert write_rows(tab, meta, path, "parquet") == tab.num_rows
    back = pq.read_table(path)
    assert back.equals(tab)
    assert json.loads(back.schema.metadata[META_KEY]) == jsonable(meta)
    # streamed to a binary sink: the same file
    streamed = pq.read_table(io.BytesIO(_bytes(tab, meta, "parquet")))
    assert streamed.equals(tab)


def test_parquet_gathers_small_batches_into_row_groups(tmp_path):
    tab = pa.table({"x": list(range(1000))})
    reader = pa.RecordBatchReader.from_batches(tab.schema, tab.to_batches(max_chunksize=10))
    write_rows(reader, {}, tmp_path / "x.parquet", "parquet")
    f = pq.ParquetFile(tmp_path / "x.parquet")
    assert f.metadata.num_row_groups == 1 and f.read().column("x").to_pylist() == list(range(1000))


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl", "parquet"])
def test_write_is_atomic_no_partial_file_on_error(tmp_path, fmt):
    path = tmp_path / f"out.{fmt}"
    path.write_text("previous complete output")
    schema = pa.schema([("x", pa.float64())])

    def batches():
        yield pa.record_batch([pa.array([1.0, 2.0])], schema=schema)
        raise RuntimeError("source failed half way")

    with pytest.raises(Exception, match="half way"):
        write_rows(pa.RecordBatchReader.from_batches(schema, batches()), {}, path, fmt)
    assert path.read_text() == "previous complete output"
    assert os.listdir(tmp_path) == [f"out.{fmt}"]


def test_write_into_a_missing_folder_is_an_input_error(tmp_path):
    from scrisk.errors import UnreadableFileError

    with pytest.raises(UnreadableFileError, match="cannot write output"):
        write_rows(pa.table({"x": [1]}), {}, tmp_path / "no" / "out.csv", "csv")


def test_refuses_to_overwrite_an_input(tmp_path):
    src = tmp_path / "flows.csv"
    src.write_text("exporter,importer,hs,value\n")
    link = tmp_path / "alias.csv"
    link.symlink_to(src)
    t = pa.table({"x": [1]})
    for dest, meta in ((src, {"inputs": [str(src)]}), (link, {"inputs": [str(src)]}),
                       (src, {"old": {"inputs": [str(link)]}, "new": {"inputs": ["other.csv"]}})):
        with pytest.raises(UsageError, match="overwrite an input") as ei:
            write_rows(t, meta, dest, "csv")
        assert ei.value.exit_code == EXIT_USAGE
    assert src.read_text() == "exporter,importer,hs,value\n"
    assert write_rows(t, {"inputs": [str(src)]}, tmp_path / "out.csv", "csv") == 1


def test_unknown_format_is_a_usage_error():
    with pytest.raises(UsageError, match="formats: csv, json, jsonl, parquet"):
        write_rows(pa.table({"x": [1]}), {}, io.BytesIO(), "xml")


def test_row_dicts_become_a_table_of_their_union():
    rows = [{"hs": "811292", "hhi": 0.5}, {"hs": "280530", "flags": ["a", "b"], "mixed": 1},
            {"hs": "x", "mixed": "text"}]
    t = rows_to_table(rows)
    assert t.column_names == ["hs", "hhi", "flags", "mixed"]
    assert t.column("mixed").to_pylist() == [None, "1", "text"]
    assert _bytes(t, {}, "csv").decode() == to_csv(rows)


def test_format_for_path_and_input_paths():
    assert [format_for_path(p) for p in ("a.csv", "b.JSON", "c.jsonl", "d.parquet", "e.md", "f.xlsx", "g")] == \
        ["csv", "json", "jsonl", "parquet", "md", "xlsx", None]
    assert input_paths({"inputs": ["a"], "baseline": {"inputs": ["b"]}, "old": None}) == ["a", "b"]


def test_report_render_still_exports_the_serialisers():
    from scrisk.report import render

    assert render.jsonable is jsonable and render.to_csv is to_csv and render.to_json is to_json


def test_real_baci_analysis_csv_and_json_match_the_python_serialisers(atlas_flows_for_serialize):
    from scrisk.analysis import analyze

    result = analyze(atlas_flows_for_serialize)
    data = result.to_dict()
    assert len(data["rows"]) > 1000
    assert _bytes(result.to_arrow(), data["meta"], "csv").decode() == to_csv(data["rows"])
    got = json.loads(_bytes(result.to_arrow(), data["meta"], "json"))
    assert got == json.loads(json.dumps(data))
    assert not any(isinstance(v, float) and math.isnan(v) for r in got["rows"] for v in r.values())


@pytest.fixture(scope="module")
def atlas_flows_for_serialize(request):
    """The real BACI atlas of 2024 (critical-material codes) as a flow table; skipped when the real data are absent."""
    atlas = request.getfixturevalue("atlas")
    from scrisk.api import load_flows
    from scrisk.io.options import ReadOptions

    return load_flows([atlas / "baci_2024.csv"], ReadOptions(years=(2024,)))


@pytest.mark.parametrize("text", [True, False])
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_many_row_groups_keep_their_order(tmp_path, fmt, text):
    # 3M rows in 30 row groups written in their order (the contract: rows ordered as the result orders them);
    # DuckDB's parallel text writers interleaved chunks of an 11.6M-row diff when the cells' formula test was cheap
    import duckdb
    import pyarrow.csv as pcsv

    src = tmp_path / "rows.parquet"
    duckdb.sql("SELECT i AS n, i * 0.5 AS v, 'KOR' || (i % 7)::VARCHAR AS importer, '=x' || i::VARCHAR AS detail "
               "FROM range(3000000) t(i)").write_parquet(str(src), row_group_size=100_000)
    if not text:  # numbers only (no formula test on any cell)
        src = tmp_path / "numbers.parquet"
        duckdb.sql(f"SELECT n, v FROM read_parquet('{tmp_path / 'rows.parquet'}')").write_parquet(
            str(src), row_group_size=100_000)
    out = tmp_path / f"rows.{fmt}"
    assert write_rows(ParquetRows(str(src)), {"inputs": [str(src)]}, str(out), fmt) == 3_000_000
    if fmt == "csv":
        n = pcsv.read_csv(out).column("n").to_pylist()
        if text:
            assert pcsv.read_csv(out).column("detail")[5].as_py() == "'=x5"  # formula start neutralised
    else:
        n = duckdb.sql(f"SELECT n FROM read_json('{out}', format='newline_delimited')").fetchnumpy()["n"].tolist()
    assert n == list(range(3_000_000))


def test_the_text_writers_take_the_engine_memory_limit_else_their_own(monkeypatch, tmp_path):
    from scrisk.engine import store
    from scrisk import serialize

    monkeypatch.setattr(store, "_settings", store.EngineSettings())
    assert serialize._writer_config()["memory_limit"] == serialize.WRITER_MEMORY
    store.configure(memory_limit="700MB", temp_directory=str(tmp_path))
    got = serialize._writer_config()
    assert (got["memory_limit"], got["temp_directory"], got["preserve_insertion_order"]) == ("700MB", str(tmp_path), True)


# ------------------------------------------------------------------ rows the engine holds (DuckRows)


def _engine_rows(tab: pa.Table, *, shuffle: bool = False):
    """``tab`` (with a ``rank`` column) in an engine table, optionally stored out of order, as DuckRows."""
    from scrisk.engine.store import DuckRows, connect

    con = connect()
    con.register("_src", tab)
    order = "ORDER BY hash(rank)" if shuffle else ""
    con.execute(f"CREATE TEMP TABLE _rows AS SELECT * FROM _src {order}")
    con.unregister("_src")
    return DuckRows(con, "_rows", order="rank")


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl", "parquet"])
def test_engine_rows_are_written_as_their_arrow_table_is(fmt, example_result):
    tab = example_result.to_arrow()
    data = example_result.to_dict()
    rows = _engine_rows(tab, shuffle=True)
    got = _bytes(rows, data["meta"], fmt)
    want = _bytes(tab, data["meta"], fmt)
    if fmt == "parquet":
        assert pq.read_table(io.BytesIO(got)).equals(pq.read_table(io.BytesIO(want)))
    else:
        assert got == want and len(got) > 1000


def test_engine_rows_keep_their_order_and_neutralise_formulas(tmp_path):
    import duckdb
    import pyarrow.csv as pcsv

    n = 1_500_000
    tab = duckdb.sql(f"SELECT i + 1 AS rank, i * 0.5 AS v, '=x' || i::VARCHAR AS detail FROM range({n}) t(i)").arrow()
    tab = tab.read_all() if isinstance(tab, pa.RecordBatchReader) else tab
    rows = _engine_rows(tab, shuffle=True)
    out = tmp_path / "rows.csv"
    assert write_rows(rows, {"inputs": []}, str(out), "csv") == n
    got = pcsv.read_csv(out)
    assert got.column("rank").to_pylist() == list(range(1, n + 1))
    assert got.column("detail")[4].as_py() == "'=x4"
    # the rows stay in the engine: the first ones are read alone, and the writer's memory setting is undone
    assert rows.head(2).column("rank").to_pylist() == [1, 2]
    assert rows._con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0] is False


def test_engine_rows_columns_pick_order_and_fill_missing(example_result):
    cols = ["hs", "importer", "not_a_field", "flags"]
    data = example_result.to_dict()
    rows = _engine_rows(example_result.to_arrow())
    assert _bytes(rows, data["meta"], "csv", columns=cols).decode() == to_csv(data["rows"], cols)


@pytest.mark.parametrize("text", ["=1+1", "+x", "-x", "@SUM(A1)", "\tx", "\rx", "-5", "+1.5e3", "-.5", "-1+2", "",
                                  "=\u0301x", "\u00a0=x", "KOR", "'=x", "\u00e9=", "1e5", "--1", "-"])
def test_formula_cells_are_neutralised_as_csv_cell_does(text):
    import duckdb

    from scrisk.safetext import csv_cell
    from scrisk.serialize import _neutralise_sql

    got = duckdb.execute(f"SELECT {_neutralise_sql('s')} FROM (SELECT ?::VARCHAR AS s)", [text]).fetchall()[0][0]
    assert got == csv_cell(text)
