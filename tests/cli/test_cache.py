"""`scrisk cache info|clear`: output formats, stdout/stderr split, exit codes, parity with InputCache.report()."""

from __future__ import annotations

import csv
import io
import json
import os
import time
from pathlib import Path

import pyarrow as pa
import pytest

from cli_helpers import run, strip_time
from scrisk.engine.cache import InputCache


@pytest.fixture
def cache_root(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("SCRISK_CACHE_DIR", str(root))
    monkeypatch.delenv("SCRISK_CACHE_MAX_BYTES", raising=False)
    return root


def _fill(root: Path, tmp_path: Path, names: str = "ab") -> list[str]:
    cache = InputCache(root)
    keys = []
    for i, name in enumerate(names):
        src = tmp_path / f"{name}.csv"
        src.write_text(f"year,value\n2022,{i}\n")
        key = cache.key(src, "fp")
        table = pa.table({"year": [2022] * (i + 1), "value_usd": [1.0] * (i + 1)})
        cache.put(key, table, {"rows_read": i + 2}, rejected=pa.table({"line": [2]}) if i else None)
        keys.append(key)
        time.sleep(0.01)
    return keys


def test_info_on_an_absent_cache(cache_root, monkeypatch, capsys):
    code, out, err = run(monkeypatch, capsys, "cache", "info", "--format", "json")
    assert code == 0 and err == ""
    got = json.loads(out)
    assert got["rows"] == []
    assert got["meta"]["location"] == str(cache_root) and got["meta"]["entries"] == 0
    assert got["meta"]["environment"]["SCRISK_CACHE_DIR"] == str(cache_root)
    assert not cache_root.exists()  # looking creates nothing
    code, out, err = run(monkeypatch, capsys, "cache", "info")
    assert code == 0 and err == ""
    assert "0 entries" in out and str(cache_root) in out


def test_info_json_equals_library_and_lists_entries(cache_root, tmp_path, monkeypatch, capsys):
    keys = _fill(cache_root, tmp_path)
    code, out, err = run(monkeypatch, capsys, "cache", "info", "-f", "json")
    assert code == 0 and err == ""
    got = json.loads(out)
    assert strip_time(got) == strip_time(InputCache(cache_root).report())
    assert got["meta"]["entries"] == 2
    assert [r["key"] for r in got["rows"]] == keys[::-1]  # most recently used first
    assert [r["input"] for r in got["rows"]] == [os.path.realpath(tmp_path / n) for n in ("b.csv", "a.csv")]
    assert got["meta"]["total_bytes"] == sum(r["size_bytes"] for r in got["rows"]) > 0


def test_info_table_csv_and_md(cache_root, tmp_path, monkeypatch, capsys):
    keys = _fill(cache_root, tmp_path)
    code, out, _ = run(monkeypatch, capsys, "cache", "info")
    assert code == 0
    assert "2 entries" in out and "Accepted" in out and "Last used" in out
    assert keys[0][:8] in out and keys[1][:8] in out
    code, out, _ = run(monkeypatch, capsys, "cache", "info", "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [r["key"] for r in rows] == keys[::-1]
    assert rows[0]["files"] == "accepted.parquet;rejected.parquet" and rows[1]["files"] == "accepted.parquet"
    assert (rows[0]["rows_accepted"], rows[0]["rows_rejected"]) == ("2", "1")
    code, out, _ = run(monkeypatch, capsys, "cache", "info", "-f", "md")
    assert code == 0 and out.startswith("### scrisk cache") and f"| {keys[1][:8]} |" in out


def test_clear_reports_on_stderr_and_empties(cache_root, tmp_path, monkeypatch, capsys):
    _fill(cache_root, tmp_path, "abc")
    code, out, err = run(monkeypatch, capsys, "cache", "clear")
    assert code == 0 and out == ""
    assert "removed 3 cache entries" in err and str(cache_root) in err
    assert InputCache(cache_root).info()["entries"] == 0
    code, out, err = run(monkeypatch, capsys, "cache", "clear")
    assert code == 0 and "removed 0 cache entries" in err


def test_clear_that_cannot_remove_exits_3(cache_root, tmp_path, monkeypatch, capsys):
    _fill(cache_root, tmp_path)
    monkeypatch.setattr(InputCache, "_discard", lambda self, folder: False)
    code, out, err = run(monkeypatch, capsys, "cache", "clear")
    assert code == 3 and out == ""
    assert "cannot remove 2 cache entries" in err and "Traceback" not in err


def test_unusable_location_is_reported_not_fatal(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("SCRISK_CACHE_DIR", str(blocker / "cache"))
    code, out, err = run(monkeypatch, capsys, "cache", "info", "-f", "json")
    assert code == 0 and err == ""
    meta = json.loads(out)["meta"]
    assert meta["enabled"] is False and "SCRISK_CACHE_DIR" in meta["disabled_reason"]


def test_usage_errors_exit_2(cache_root, monkeypatch, capsys):
    code, _, err = run(monkeypatch, capsys, "cache", "info", "--format", "yaml")
    assert code == 2
    code, _, _ = run(monkeypatch, capsys, "cache", "nonsense")
    assert code == 2
    monkeypatch.setenv("SCRISK_CACHE_MAX_BYTES", "a lot")
    code, out, err = run(monkeypatch, capsys, "cache", "info")
    assert code == 2 and out == ""
    assert "SCRISK_CACHE_MAX_BYTES" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_max_bytes_from_the_environment(cache_root, monkeypatch, capsys):
    monkeypatch.setenv("SCRISK_CACHE_MAX_BYTES", "5GiB")
    code, out, _ = run(monkeypatch, capsys, "cache", "info", "-f", "json")
    assert code == 0 and json.loads(out)["meta"]["max_bytes"] == 5 * 2**30
