"""The parsed-input cache: keys, stat index, atomic publication, eviction, degraded roots."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scrisk.engine import cache as cache_mod
from scrisk.engine.cache import (
    CACHE_FORMAT,
    DEFAULT_MAX_BYTES,
    CacheEntry,
    InputCache,
    default_cache_root,
    options_fingerprint,
    parse_byte_size,
    read_fingerprint,
)
from scrisk.errors import UsageError
from scrisk.io.options import ReadOptions

HOUR_NS = 3600 * 10**9


def _flows(n: int = 5, offset: float = 0.0) -> pa.Table:
    return pa.table({
        "year": pa.array([2022] * n, pa.int64()),
        "exporter": ["CHN"] * n,
        "importer": ["KOR"] * n,
        "hs": [f"{811292 + i:06d}" for i in range(n)],
        "value_usd": [float(i) + offset for i in range(n)],
        "qty_kg": [None] + [1.0] * (n - 1),
    })


def _aged_file(path: Path, content: bytes, age_ns: int = HOUR_NS) -> Path:
    """Write ``content`` and set its modification time an hour back (outside the racy window)."""
    path.write_bytes(content)
    t = time.time_ns() - age_ns
    os.utime(path, ns=(t, t))
    return path


@pytest.fixture
def no_racy(monkeypatch):
    """Record files in the stat index however fresh their change time (tests write and key in one go)."""
    monkeypatch.setattr(InputCache, "RACY_SECONDS", 0.0)


@pytest.fixture
def hash_calls(monkeypatch):
    calls: list[str] = []
    real = cache_mod._hash_file

    def counting(path):
        calls.append(str(path))
        return real(path)

    monkeypatch.setattr(cache_mod, "_hash_file", counting)
    return calls


# -- round trip ---------------------------------------------------------------------------------------------------

def test_round_trip_table_info_and_rejected(tmp_path):
    src = _aged_file(tmp_path / "flows.csv", b"t,i,j,k,v,q\n2022,156,410,811292,1.0,NA\n")
    cache = InputCache(tmp_path / "cache")
    key = cache.key(src, options_fingerprint(ReadOptions(source="baci")))
    assert cache.get(key) is None
    info = {"rows_read": 7, "rows_accepted": 5, "reasons": {"negative value": 2}, "hs_revision": "HS2017",
            "notes": ["one"]}
    rejected = pa.table({"line": [3, 4], "reason": ["negative value"] * 2})
    entry = cache.put(key, _flows(), info, rejected=rejected)
    assert isinstance(entry, CacheEntry)
    hit = cache.get(key)
    assert hit == entry
    assert hit.info == info
    assert pq.read_table(hit.path_accepted).equals(_flows())
    assert pq.read_table(hit.path_rejected).equals(rejected)
    assert hit.path_accepted.parent.parent == tmp_path / "cache" / "entries"
    # a fresh object (a later run) finds it too
    again = InputCache(tmp_path / "cache")
    assert again.get(again.key(src, options_fingerprint(ReadOptions(source="baci")))).info == info


def test_further_tables_of_a_read_round_trip(tmp_path):
    a = _aged_file(tmp_path / "a.csv", b"a")
    b = _aged_file(tmp_path / "b.csv", b"b")
    cache = InputCache(tmp_path / "cache")
    key = cache.files_key([a, b], "fp")
    world = pa.table({"reporter": ["KOR"], "value_usd": [1.0]})
    entry = cache.put(key, _flows(), {"rows": 5}, extra={"world_totals": world})
    hit = InputCache(tmp_path / "cache").get(key)
    assert hit == entry and set(hit.extra) == {"world_totals"} and hit.path_rejected is None
    assert pq.read_table(hit.extra["world_totals"]).equals(world)
    assert cache.info()["rows"][0]["input"] == f"{os.path.realpath(a)}, {os.path.realpath(b)}"
    (tmp_path / "cache" / "entries" / key / "world_totals.parquet").write_bytes(b"short")
    assert cache.get(key) is None  # a further table of the wrong size damages the entry like any other file
    with pytest.raises(ValueError, match="name"):
        cache.put(key, _flows(), {}, extra={"accepted": world})


def test_batches_are_streamed_in_row_groups(tmp_path, monkeypatch):
    monkeypatch.setattr(cache_mod, "_ROW_GROUP_ROWS", 10)
    src = _aged_file(tmp_path / "f.csv", b"x")
    cache = InputCache(tmp_path / "cache")
    key = cache.key(src, "fp")
    table = pa.concat_tables([_flows(4, offset=i) for i in range(7)])
    consumed = []

    def batches():
        for b in table.to_batches(max_chunksize=4):
            consumed.append(b.num_rows)
            yield b

    entry = cache.put(key, batches(), {"rows_read": 28})
    assert consumed == [4] * 7
    pf = pq.ParquetFile(entry.path_accepted)
    assert pf.metadata.num_rows == 28
    # buffered to the row-group size, not one tiny row group per batch
    assert [pf.metadata.row_group(i).num_rows for i in range(pf.metadata.num_row_groups)] == [10, 10, 8]
    assert pf.metadata.row_group(0).column(0).compression in ("ZSTD", "SNAPPY")
    assert pq.read_table(entry.path_accepted).equals(table)
    assert cache.info()["rows"][0]["rows_accepted"] == 28


def test_empty_record_batch_reader_keeps_its_schema(tmp_path):
    cache = InputCache(tmp_path / "cache")
    key = cache.key(_aged_file(tmp_path / "f.csv", b"x"), "fp")
    schema = _flows().schema
    entry = cache.put(key, pa.RecordBatchReader.from_batches(schema, []), {"rows_read": 0})
    back = pq.read_table(entry.path_accepted)
    assert back.num_rows == 0 and back.schema.equals(schema)


def test_put_moves_a_parquet_file_written_in_tmp_dir(tmp_path):
    cache = InputCache(tmp_path / "cache")
    key = cache.key(_aged_file(tmp_path / "f.csv", b"x"), "fp")
    work = cache.tmp_dir()
    assert work.is_dir() and work.parent == tmp_path / "cache" / "tmp"
    written = work / "copy-output.parquet"
    pq.write_table(_flows(), written)  # as DuckDB COPY ... TO would
    entry = cache.put(key, written, {"rows_read": 5})
    assert not written.exists()
    assert pq.read_table(entry.path_accepted).equals(_flows())
    assert cache.tmp_dir() == work


def test_missing_parquet_path_is_a_caller_error_not_a_cache_failure(tmp_path):
    cache = InputCache(tmp_path / "cache")
    key = cache.key(_aged_file(tmp_path / "f.csv", b"x"), "fp")
    with pytest.raises(FileNotFoundError):
        cache.put(key, cache.tmp_dir() / "never-written.parquet", {})
    assert cache.enabled and cache.disabled_reason is None


def test_source_errors_propagate_and_leave_nothing(tmp_path):
    cache = InputCache(tmp_path / "cache")
    key = cache.key(_aged_file(tmp_path / "f.csv", b"x"), "fp")

    def broken():
        yield _flows().to_batches()[0]
        raise RuntimeError("reader failed on line 9")

    with pytest.raises(RuntimeError, match="line 9"):
        cache.put(key, broken(), {})
    assert cache.get(key) is None
    assert cache.enabled and cache.disabled_reason is None  # the source failed, not the cache
    assert [p.name for p in (tmp_path / "cache" / "tmp").iterdir()] == []


def test_info_must_be_json(tmp_path):
    cache = InputCache(tmp_path / "cache")
    key = cache.key(_aged_file(tmp_path / "f.csv", b"x"), "fp")
    with pytest.raises(TypeError):
        cache.put(key, _flows(), {"when": object()})


# -- keys and the stat index --------------------------------------------------------------------------------------

def test_key_changes_with_content_options_version_and_format(tmp_path, monkeypatch):
    a = _aged_file(tmp_path / "a.csv", b"2022,4,410,811292,1.0\n")
    b = _aged_file(tmp_path / "b.csv", b"2022,4,410,811292,2.0\n")
    c = _aged_file(tmp_path / "c.csv", b"2022,4,410,811292,1.0\n")
    cache = InputCache(tmp_path / "cache")
    fp = options_fingerprint(ReadOptions())
    ka = cache.key(a, fp)
    assert ka != cache.key(b, fp)
    assert ka == cache.key(c, fp)  # content, not name
    assert ka != cache.key(a, options_fingerprint(ReadOptions(years=(2022,))))
    monkeypatch.setattr("scrisk.__version__", "99.0")
    assert ka != cache.key(a, fp)
    monkeypatch.undo()
    monkeypatch.setattr(cache_mod, "CACHE_FORMAT", CACHE_FORMAT + 1)
    assert ka != InputCache(tmp_path / "cache").key(a, fp)


def test_stat_index_skips_rehash_of_unchanged_file(tmp_path, no_racy, hash_calls):
    src = _aged_file(tmp_path / "big.csv", b"a" * 1000)
    k1 = InputCache(tmp_path / "cache").key(src, "fp")
    assert len(hash_calls) == 1
    index = json.loads((tmp_path / "cache" / "stat-index.json").read_text())
    record = index["files"][os.path.realpath(src)]
    assert record["size"] == 1000 and record["content_hash"] == hashlib.blake2b(b"a" * 1000).hexdigest()
    assert index["hash"] == "blake2b"
    k2 = InputCache(tmp_path / "cache").key(src, "fp")  # a later run
    assert k2 == k1 and len(hash_calls) == 1
    assert InputCache(tmp_path / "cache").known_key(src, "fp") == k1 and len(hash_calls) == 1


def test_known_key_never_hashes(tmp_path, no_racy, hash_calls):
    src = _aged_file(tmp_path / "new.csv", b"abc")
    cache = InputCache(tmp_path / "cache")
    assert cache.known_key(src, "fp") is None and hash_calls == []
    key = cache.key(src, "fp")
    assert cache.known_key(src, "fp") == key and len(hash_calls) == 1
    src.write_bytes(b"abcd")
    assert cache.known_key(src, "fp") is None and len(hash_calls) == 1


def test_stat_index_not_fooled_by_restored_mtime_when_size_differs(tmp_path, no_racy, hash_calls):
    src = _aged_file(tmp_path / "flows.csv", b"2022,4,410,811292,1.0\n")
    old = src.stat().st_mtime_ns
    cache = InputCache(tmp_path / "cache")
    k1 = cache.key(src, "fp")
    src.write_bytes(b"2022,4,410,811292,1000.0\n")
    os.utime(src, ns=(old, old))
    assert src.stat().st_mtime_ns == old
    k2 = InputCache(tmp_path / "cache").key(src, "fp")
    assert len(hash_calls) == 2 and k2 != k1


def test_stat_index_not_fooled_by_same_size_rewrite_with_restored_mtime(tmp_path, no_racy, hash_calls):
    """Same size, same mtime (forced back): the change time still moves, so the file is rehashed."""
    src = _aged_file(tmp_path / "flows.csv", b"2022,4,410,811292,1.0\n")
    before = src.stat()
    cache = InputCache(tmp_path / "cache")
    k1 = cache.key(src, "fp")
    time.sleep(0.02)  # let the clock tick past the first change time
    src.write_bytes(b"2022,4,410,811292,9.0\n")
    os.utime(src, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = src.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    k2 = InputCache(tmp_path / "cache").key(src, "fp")
    assert len(hash_calls) == 2 and k2 != k1


def test_fresh_files_are_not_recorded_racy_window(tmp_path, hash_calls):
    src = tmp_path / "just-written.csv"
    src.write_bytes(b"x")
    cache = InputCache(tmp_path / "cache")
    cache.key(src, "fp")
    cache.key(src, "fp")
    assert len(hash_calls) == 2  # change time younger than RACY_SECONDS: hashed every time
    assert not (tmp_path / "cache" / "stat-index.json").exists()


def test_non_regular_files_are_never_cached(tmp_path):
    cache = InputCache(tmp_path / "cache")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert cache.key(fifo, "fp") is None  # does not block reading the pipe
    assert cache.key(tmp_path, "fp") is None
    assert cache.key(tmp_path / "missing.csv", "fp") is None
    assert cache.key(Path("-"), "fp") is None
    assert cache.get(None) is None and cache.put(None, _flows(), {}) is None


def test_options_fingerprint_is_stable_and_sees_referenced_files(tmp_path, monkeypatch):
    codes = tmp_path / "country_codes_V202501.csv"
    codes.write_text("country_code,country_iso3\n4,AFG\n")
    monkeypatch.chdir(tmp_path)
    rel = ReadOptions(country_codes=Path("country_codes_V202501.csv"), years=(2022, 2023))
    absolute = ReadOptions(country_codes=codes, years=(2022, 2023))
    assert options_fingerprint(rel) == options_fingerprint(absolute)
    as_dict = {"years": [2022, 2023], "hs": ()}
    assert options_fingerprint(as_dict) == options_fingerprint({"hs": [], "years": (2022, 2023)})
    assert options_fingerprint(as_dict) != options_fingerprint({"years": [2023, 2022], "hs": ()})
    before = options_fingerprint(absolute)
    codes.write_text("country_code,country_iso3\n4,AFX\n")  # same path, edited country table
    assert options_fingerprint(absolute) != before
    assert options_fingerprint(ReadOptions(columns={"hs": "cmd", "value": "v"})) == \
        options_fingerprint(ReadOptions(columns={"value": "v", "hs": "cmd"}))
    with pytest.raises(TypeError, match="cannot fingerprint"):
        options_fingerprint({"callback": print})


def test_read_fingerprint_sees_files_the_reader_finds_itself(tmp_path, monkeypatch):
    data = _aged_file(tmp_path / "BACI_HS17_Y2022_V202501.csv", b"t,i,j,k,v,q\n")
    monkeypatch.chdir(tmp_path)
    plain = ReadOptions()
    fp0 = read_fingerprint(data, plain)
    assert fp0 == read_fingerprint(data, ReadOptions()) != options_fingerprint(plain)
    codes = tmp_path / "country_codes_V202501.csv"
    codes.write_text("country_code,country_iso3\n4,AFG\n")
    fp1 = read_fingerprint(data, plain)
    assert fp1 != fp0
    codes.write_text("country_code,country_iso3\n4,AFX\n")
    assert read_fingerprint(data, plain) != fp1
    # an explicit --country-codes makes the folder's table irrelevant
    chosen = ReadOptions(country_codes=codes)
    fixed = read_fingerprint(data, chosen)
    (tmp_path / "country_codes_V202601.csv").write_text("country_code,country_iso3\n")
    assert read_fingerprint(data, chosen) == fixed
    # a named profile without --profiles reads ./scrisk.toml
    named = ReadOptions(profile="mine")
    (tmp_path / "scrisk.toml").write_text("[profiles.mine]\nexporter = 'i'\n")
    fp_a = read_fingerprint(data, named)
    (tmp_path / "scrisk.toml").write_text("[profiles.mine]\nexporter = 'j'\n")
    assert read_fingerprint(data, named) != fp_a


def test_default_root_and_size_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("SCRISK_CACHE_DIR", str(tmp_path / "mine"))
    assert InputCache().root == tmp_path / "mine"
    monkeypatch.delenv("SCRISK_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert InputCache().root == tmp_path / "xdg" / "scrisk"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_root() == Path.home() / ".cache" / "scrisk"
    monkeypatch.delenv("SCRISK_CACHE_MAX_BYTES", raising=False)
    assert InputCache(tmp_path).max_bytes == DEFAULT_MAX_BYTES == 20 * 2**30
    monkeypatch.setenv("SCRISK_CACHE_MAX_BYTES", "512MiB")
    assert InputCache(tmp_path).max_bytes == 512 * 2**20
    assert InputCache(tmp_path, max_bytes=100).max_bytes == 100
    monkeypatch.setenv("SCRISK_CACHE_MAX_BYTES", "big")
    with pytest.raises(UsageError, match="SCRISK_CACHE_MAX_BYTES"):
        InputCache(tmp_path)
    assert parse_byte_size("2 kB") == 2000 and parse_byte_size("1TiB") == 2**40


# -- concurrency --------------------------------------------------------------------------------------------------

def _put_worker(root: str, src: str, barrier, results) -> None:
    cache = InputCache(Path(root))
    key = cache.key(Path(src), "fp")
    table = pa.concat_tables([_flows(1000, offset=i) for i in range(50)])  # 50k rows: the writes overlap
    barrier.wait()
    entry = cache.put(key, table, {"rows_read": table.num_rows, "pid": os.getpid()})
    results.put((key, str(entry.path_accepted), pq.read_table(entry.path_accepted).num_rows, entry.info["pid"]))


def test_two_processes_putting_one_key_leave_one_valid_entry(tmp_path):
    try:
        ctx = multiprocessing.get_context("fork")
    except ValueError:  # pragma: no cover - platforms without fork
        pytest.skip("needs the fork start method")
    src = _aged_file(tmp_path / "flows.csv", b"2022,4,410,811292,1.0\n")
    root = tmp_path / "cache"
    for _round in range(3):
        barrier, results = ctx.Barrier(2), ctx.Queue()
        procs = [ctx.Process(target=_put_worker, args=(str(root), str(src), barrier, results)) for _ in range(2)]
        for p in procs:
            p.start()
        got = [results.get(timeout=120) for _ in procs]
        for p in procs:
            p.join(timeout=120)
            assert p.exitcode == 0
        (k1, path1, n1, pid1), (k2, path2, n2, pid2) = got
        assert k1 == k2 and path1 == path2 and n1 == n2 == 50_000
        assert pid1 == pid2  # both processes were handed the one published entry
        entries = list((root / "entries").iterdir())
        assert [e.name for e in entries] == [k1]
        assert sorted(p.name for p in entries[0].iterdir()) == ["accepted.parquet", "entry.json"]
        assert list((root / "tmp").iterdir()) == []  # the loser's copy is gone
        hit = InputCache(root).get(k1)
        assert pq.read_table(hit.path_accepted).num_rows == 50_000
        InputCache(root).clear()


# -- eviction -----------------------------------------------------------------------------------------------------

def test_least_recently_used_entries_are_evicted(tmp_path):
    probe = InputCache(tmp_path / "probe")
    one = probe.put(probe.key(_aged_file(tmp_path / "p.csv", b"p"), "fp"), _flows(200), {})
    size = sum(f.stat().st_size for f in one.path_accepted.parent.iterdir())
    cache = InputCache(tmp_path / "cache", max_bytes=int(size * 2.5))  # room for two entries
    keys = []
    for i, name in enumerate("abc"):
        src = _aged_file(tmp_path / f"{name}.csv", name.encode())
        keys.append(cache.key(src, "fp"))
        if i == 2:
            assert cache.get(keys[0]) is not None  # use a: b is now the least recently used
            time.sleep(0.02)
        cache.put(keys[-1], _flows(200), {"n": i})
        time.sleep(0.02)  # distinct last-use times
    assert cache.get(keys[1]) is None
    assert cache.get(keys[0]) is not None and cache.get(keys[2]) is not None
    assert cache.info()["total_bytes"] <= cache.max_bytes


def test_entry_larger_than_the_limit_is_kept_until_the_next_put(tmp_path):
    cache = InputCache(tmp_path / "cache", max_bytes=1)
    k1 = cache.key(_aged_file(tmp_path / "a.csv", b"a"), "fp")
    k2 = cache.key(_aged_file(tmp_path / "b.csv", b"b"), "fp")
    assert cache.put(k1, _flows(), {}) is not None and cache.get(k1) is not None
    cache.put(k2, _flows(), {})
    assert cache.get(k1) is None and cache.get(k2) is not None


def test_damaged_entry_is_a_miss_and_is_removed(tmp_path):
    cache = InputCache(tmp_path / "cache")
    key = cache.key(_aged_file(tmp_path / "a.csv", b"a"), "fp")
    entry = cache.put(key, _flows(), {})
    with open(entry.path_accepted, "r+b") as fh:
        fh.truncate(10)
    assert cache.get(key) is None
    assert not entry.path_accepted.parent.exists()
    assert cache.put(key, _flows(), {}) is not None  # and can be written again


# -- degraded roots -----------------------------------------------------------------------------------------------

@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_root_degrades_to_no_cache_with_one_reason(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o500)
    try:
        src = _aged_file(tmp_path / "a.csv", b"a")
        cache = InputCache(home / ".cache" / "scrisk")
        assert cache.key(src, "fp") is None  # nothing hashed, nothing raised
        assert cache.enabled is False
        reason = cache.disabled_reason
        assert "cache off" in reason and str(home / ".cache" / "scrisk") in reason and "\n" not in reason
        assert cache.get("0" * 40) is None and cache.put("0" * 40, _flows(), {}) is None
        assert cache.tmp_dir().is_dir()  # falls back to the system temp dir
        assert cache.info()["entries"] == 0 and cache.clear() == 0
    finally:
        home.chmod(0o700)


def test_root_that_cannot_be_created_degrades_to_no_cache(tmp_path):
    """A root under a regular file cannot be created, even by a superuser."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    cache = InputCache(blocker / "scrisk")
    assert cache.key(_aged_file(tmp_path / "a.csv", b"a"), "fp") is None
    assert cache.enabled is False
    assert cache.disabled_reason.startswith("cache off: cannot create or write to")
    assert "SCRISK_CACHE_DIR" in cache.disabled_reason
    assert cache.put("0" * 40, _flows(), {}) is None
    got = cache.info()
    assert (got["enabled"], got["entries"]) == (False, 0) and got["disabled_reason"]
    fresh = InputCache(blocker / "scrisk").info()  # judged without creating anything
    assert fresh["enabled"] is False and "not a writable folder" in fresh["disabled_reason"]


def test_write_failure_turns_the_cache_off(tmp_path, monkeypatch):
    cache = InputCache(tmp_path / "cache")
    key = cache.key(_aged_file(tmp_path / "a.csv", b"a"), "fp")

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pq, "write_table", full_disk)
    assert cache.put(key, _flows(), {}) is None
    assert cache.enabled is False and "No space left on device" in cache.disabled_reason
    assert cache.key(tmp_path / "a.csv", "fp") is None
    assert list((tmp_path / "cache" / "tmp").iterdir()) == []


def test_failed_put_gives_a_moved_parquet_file_back(tmp_path, monkeypatch):
    cache = InputCache(tmp_path / "cache")
    key = cache.key(_aged_file(tmp_path / "a.csv", b"a"), "fp")
    written = cache.tmp_dir() / "scan.parquet"
    pq.write_table(_flows(), written)
    real_write_text = Path.write_text

    def full_disk(self, *args, **kwargs):
        if self.name == "entry.json":
            raise OSError(28, "No space left on device")
        return real_write_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full_disk)
    assert cache.put(key, written, {}) is None
    assert pq.read_table(written).equals(_flows())  # still where the caller left it
    assert cache.disabled_reason and not (tmp_path / "cache" / "entries" / key).exists()


def test_disabled_on_purpose_touches_nothing(tmp_path):
    cache = InputCache(tmp_path / "cache", enabled=False)
    assert cache.key(_aged_file(tmp_path / "a.csv", b"a"), "fp") is None
    assert cache.enabled is False and cache.disabled_reason is None
    assert not (tmp_path / "cache").exists()


# -- info and clear -----------------------------------------------------------------------------------------------

def test_info_lists_entries_without_creating_the_root(tmp_path):
    root = tmp_path / "cache"
    empty = InputCache(root).info()
    assert not root.exists()
    assert (empty["entries"], empty["total_bytes"], empty["rows"], empty["enabled"]) == (0, 0, [], True)
    cache = InputCache(root)
    src = _aged_file(tmp_path / "flows.csv", b"a")
    key = cache.key(src, "fp1")
    cache.put(key, _flows(3), {"rows_read": 4}, rejected=pa.table({"line": [2]}))
    got = cache.info()
    assert got["location"] == str(root) and got["entries"] == 1
    row = got["rows"][0]
    assert row["key"] == key and row["input"] == os.path.realpath(src)
    assert row["files"] == ["accepted.parquet", "rejected.parquet"]
    assert (row["rows_accepted"], row["rows_rejected"], row["valid"]) == (3, 1, True)
    on_disk = sum(f.stat().st_size for f in (root / "entries" / key).iterdir())
    assert row["size_bytes"] == got["total_bytes"] == on_disk
    assert row["created"].endswith("Z") and row["options_fingerprint"] == "fp1"
    json.dumps(got)


def test_clear_removes_entries_index_and_abandoned_work_folders(tmp_path, no_racy):
    root = tmp_path / "cache"
    cache = InputCache(root)
    for name in "ab":
        cache.put(cache.key(_aged_file(tmp_path / f"{name}.csv", name.encode()), "fp"), _flows(), {})
    assert (root / "stat-index.json").exists()
    abandoned = root / "tmp" / "somehost-1-put-xyz"
    abandoned.mkdir()
    t = time.time() - 8 * 24 * 3600
    os.utime(abandoned, (t, t))
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True)
    killed = root / "tmp" / f"{socket.gethostname()}-{finished.stdout.strip()}-put-abc"  # its process has ended
    killed.mkdir()
    own = cache.tmp_dir()
    assert cache.clear() == 2
    assert list((root / "entries").iterdir()) == []
    assert not (root / "stat-index.json").exists() and not abandoned.exists() and not killed.exists()
    assert own.is_dir()  # a running process keeps its work folder
    assert cache.clear() == 0


# ------------------------------------------------------------------ tables derived from cached inputs


def _derived_setup(tmp_path):
    import duckdb

    src = tmp_path / "flows.parquet"
    duckdb.sql("SELECT 2024 AS year, 'CHN' AS exporter, 5.0::DOUBLE AS v UNION ALL "
               "SELECT 2024, 'JPN', 3.0").write_parquet(str(src))
    return src, InputCache(tmp_path / "c"), duckdb.connect()


def _query(src: Path, extra: str = "") -> str:
    return f"SELECT year, sum(v) AS v{extra} FROM read_parquet('{src}') GROUP BY year"


def test_a_derived_table_is_kept_under_its_query_values_and_inputs(tmp_path):
    src, cache, con = _derived_setup(tmp_path)

    def got(query, fingerprint=None):
        """True when ``_t`` came from the cache."""
        con.execute("DROP TABLE IF EXISTS _t")
        return cache_mod.cached_table(con, "_t", query, cache=cache, inputs=[src], fingerprint=fingerprint or {})[0]

    assert got(_query(src)) is False and got(_query(src)) is True
    assert con.sql("SELECT v FROM _t").fetchall() == [(8.0,)]
    assert got(_query(src, ", count(*) AS n")) is False  # another query
    assert got(_query(src), {"friends": ["JPN"]}) is False and got(_query(src), {"friends": ["USA"]}) is False
    assert got(_query(src), {"friends": ["JPN"]}) is True
    # the input's content changed (same path): computed again, with the new figures
    import duckdb

    duckdb.sql("SELECT 2024 AS year, 'CHN' AS exporter, 1.0::DOUBLE AS v").write_parquet(str(src))
    assert got(_query(src)) is False and con.sql("SELECT v FROM _t").fetchall() == [(1.0,)]
    # no cache, or no input file the key can name: computed, nothing stored
    assert cache_mod.cached_table(con, "_u", _query(src), cache=None, inputs=[src], fingerprint={}) == (False, None)
    assert cache_mod.cached_table(con, "_w", _query(src), cache=cache, inputs=[], fingerprint={}) == (False, None)


def test_a_table_derived_from_a_kept_table_is_keyed_by_that_entry_without_hashing_it(tmp_path, monkeypatch):
    src, cache, con = _derived_setup(tmp_path)
    hit, first = cache_mod.cached_table(con, "_t", _query(src), cache=cache, inputs=[src], fingerprint={})
    assert not hit and first.name == "accepted.parquet"
    hashed = []
    real = InputCache.content_hash
    monkeypatch.setattr(InputCache, "content_hash", lambda self, p, **kw: hashed.append(p) or real(self, p, **kw))
    q = "SELECT v * 2 AS v2 FROM _t"
    assert cache_mod.cached_table(con, "_r", q, cache=cache, inputs=[first], fingerprint={})[0] is False
    con.execute("DROP TABLE _r")
    hit, second = cache_mod.cached_table(con, "_r", q, cache=cache, inputs=[first], fingerprint={})
    assert hit and second != first and not hashed
    assert cache.info()["entries"] == 2
    assert any(r["input"].startswith("derived from ") for r in cache.info()["rows"])


def test_a_kept_table_removed_between_lookup_and_read_is_computed(tmp_path, monkeypatch):
    src, cache, con = _derived_setup(tmp_path)
    cache_mod.cached_table(con, "_t", _query(src), cache=cache, inputs=[src], fingerprint={})
    con.execute("DROP TABLE _t")
    real_get = InputCache.get

    def get_then_evict(self, key):
        entry = real_get(self, key)
        if entry is not None:
            Path(entry.path_accepted).unlink()  # another process evicted it
        return entry

    monkeypatch.setattr(InputCache, "get", get_then_evict)
    hit, _ = cache_mod.cached_table(con, "_t", _query(src), cache=cache, inputs=[src], fingerprint={})
    assert hit is False and con.sql("SELECT v FROM _t").fetchall() == [(8.0,)]
