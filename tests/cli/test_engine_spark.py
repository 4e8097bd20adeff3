"""`--engine spark` on the CLI: the same JSON as the DuckDB engine for analyze, check, diff, chokepoints, leverage
and shock; cluster errors are one line with exit 3. One local Spark session (``local[2]``) for the run (the
``spark`` fixture)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_helpers import run, strip_time

REPO = Path(__file__).resolve().parents[2]
POLICY = REPO / "examples" / "ci" / "korea_watchlist.toml"
SPARK = ("--engine", "spark", "--spark-master", "local[2]")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """The bundled example converted to the year-partitioned dataset (scrisk convert)."""
    from scrisk.engine.convert import convert_files

    out = tmp_path_factory.mktemp("ds") / "flows"
    convert_files([], out)
    return out


def same(a, b, where: str = "") -> None:
    """Equal JSON values, numbers to 1e-9 (relative above 1): sums run in another order on Spark."""
    if isinstance(a, float) or isinstance(b, float):
        assert isinstance(a, (int, float)) and isinstance(b, (int, float)), (where, a, b)
        assert abs(a - b) <= 1e-9 * max(1.0, abs(a)), (where, a, b)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), (where, set(a) ^ set(b))
        for k in a:
            same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), (where, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{where}[{i}]")
    else:
        assert a == b, (where, a, b)


def _json(monkeypatch, capsys, *args):
    code, out, err = run(monkeypatch, capsys, *args, "--format", "json")
    assert "Traceback" not in err
    return code, strip_time(json.loads(out)), err


def test_analyze_same_json_on_both_engines(monkeypatch, capsys, spark, dataset):
    args = ("analyze", "--friendly", "G7", "--screen", "--min-import-usd", "5e6")
    code, duck, _ = _json(monkeypatch, capsys, *args)
    code_s, on_spark, err = _json(monkeypatch, capsys, *args, *SPARK)
    assert code == code_s == 0, err
    same(on_spark, duck)  # the bundled example, read here and sent to Spark: meta and rows alike
    # a converted dataset read by Spark itself gives the same rows and provenance
    _, from_dataset, err = _json(monkeypatch, capsys, *args, str(dataset), *SPARK)
    same(from_dataset["rows"], duck["rows"])
    m = from_dataset["meta"]
    assert (m["years"], m["periods"], m["hs_revision"], m["read"]["rows_read"]) == (
        duck["meta"]["years"], duck["meta"]["periods"], "HS2017", duck["meta"]["read"]["rows_read"])


def test_check_and_diff_same_json_on_both_engines(monkeypatch, capsys, spark, dataset):
    check = ("check", str(dataset), "--policy", str(POLICY), "--baseline", str(dataset), "--year", "2024")
    code, duck, _ = _json(monkeypatch, capsys, *check)
    code_s, on_spark, err = _json(monkeypatch, capsys, *check, *SPARK)
    assert code == code_s, err
    same(on_spark["breaches"], duck["breaches"])
    same(on_spark["summary"], duck["summary"])
    diff = ("diff", str(dataset), str(dataset), "--old-year", "2022", "--new-year", "2024", "--importer", "KOR")
    code, duck, _ = _json(monkeypatch, capsys, *diff)
    code_s, on_spark, err = _json(monkeypatch, capsys, *diff, *SPARK)
    assert code == code_s == 0, err
    assert len(duck["rows"]) > 5
    same(on_spark["rows"], duck["rows"])
    same(on_spark["summary"], duck["summary"])


def test_chokepoints_same_json_on_both_engines(monkeypatch, capsys, spark, dataset):
    args = ("chokepoints", str(dataset))
    code, duck, _ = _json(monkeypatch, capsys, *args)
    code_s, on_spark, err = _json(monkeypatch, capsys, *args, *SPARK)
    assert code == code_s == 0, err
    assert len(duck["rows"]) > 5
    same(on_spark["rows"], duck["rows"])


def test_leverage_same_json_on_both_engines(monkeypatch, capsys, spark, dataset):
    args = ("leverage", str(dataset), "--exporter", "CHN", "--as-bloc", "EU27")
    code, duck, _ = _json(monkeypatch, capsys, *args)
    code_s, on_spark, err = _json(monkeypatch, capsys, *args, *SPARK)
    assert code == code_s == 0, err
    assert len(duck["rows"]) > 5 and len(duck["importers"]) > 5
    same(on_spark["rows"], duck["rows"])
    same(on_spark["importers"], duck["importers"])
    for k in ("periods", "actors", "measures", "parameters", "notes"):
        same(on_spark["meta"][k], duck["meta"][k], k)


def test_shock_stays_local_reading_its_flows_from_spark(monkeypatch, capsys, spark, dataset):
    args = ("shock", str(dataset), "--exporter", "CHN", "--material", "gallium", "--cut", "0.5")
    code, duck, _ = _json(monkeypatch, capsys, *args)
    code_s, on_spark, err = _json(monkeypatch, capsys, *args, *SPARK)
    assert code == code_s == 0, err
    assert duck["rows"]
    same(on_spark["rows"], duck["rows"])
    same(on_spark["totals"], duck["totals"])


def test_unreachable_master_is_one_line_exit_3(monkeypatch, capsys, spark):
    code, out, err = run(monkeypatch, capsys, "analyze", "--engine", "spark", "--spark-master", "spark://127.0.0.1:9")
    assert code == 3 and out == ""
    assert err.count("\n") == 1 and "cannot reach the Spark master spark://127.0.0.1:9" in err


def test_missing_path_is_one_line_exit_3(monkeypatch, capsys, spark, tmp_path):
    url = (tmp_path / "nowhere").as_uri()
    code, out, err = run(monkeypatch, capsys, "analyze", url, *SPARK)
    assert code == 3 and out == "" and err.count("\n") == 1, err
    assert "does not exist" in err and "nowhere" in err
    code, _, err = run(monkeypatch, capsys, "analyze", str(tmp_path / "nowhere"), *SPARK)
    assert code == 3 and err.count("\n") == 1, err
