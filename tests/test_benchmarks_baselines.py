"""The engine benchmark's baselines compute the same figures, and the generator's new layouts (no timing)."""

from __future__ import annotations

import subprocess
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "benchmarks"

pytest.importorskip("duckdb")


@pytest.fixture(scope="module")
def generate(bench_module):
    return bench_module("generate")


@pytest.fixture(scope="module")
def duckdb_screen(bench_module):
    return bench_module("duckdb_screen", "baselines")


@pytest.fixture(scope="module")
def pandas_screen(bench_module):
    return bench_module("pandas_screen", "baselines")


def read_screen(path: Path) -> pd.DataFrame:
    text = {"importer": str, "hs": str, "top_supplier": str, "world_top_exporter": str, "band": str,
            "top_supplier_changed": str, "new_import": str}
    return pd.read_csv(path, dtype=text, keep_default_na=False, na_values={"prev_hhi": [""], "delta_hhi": [""],
                                                                         "delta_top_share": [""], "prev_year": [""]})


def assert_same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b)
    for c in a.columns:
        x, y = a[c], b[c]
        if x.dtype == object or y.dtype == object or str(x.dtype).startswith(("str", "string")):
            assert (x.astype(str).str.lower().to_numpy() == y.astype(str).str.lower().to_numpy()).all(), c
        else:
            np.testing.assert_allclose(x.to_numpy(float), y.to_numpy(float), rtol=1e-9, atol=1e-12, err_msg=c)


# A hand-made BACI year pair: 2023 and 2024; 410 KOR, 156 CHN, 392 JPN, 490 Taiwan (S19 in the release table),
# 842 USA; HS 071120 written without its leading zero.
CODES = """country_code,country_name,country_iso2,country_iso3
156,China,CN,CHN
392,Japan,JP,JPN
410,Rep. of Korea,KR,KOR
490,Other Asia nes,,S19
842,USA,US,USA
"""
FLOWS = """t,i,j,k,v,q
2023,156,410,811292,5000.000,           NA
2023,392,410,811292,5000.000,       10.000
2024,156,410,811292,18000.000,      100.000
2024,392,410,811292,2000.000,        1.000
2024,156,842,811292,5000.000,        2.000
2024,490,842,811292,5000.000,        3.000
2024,410,842,811292,1000.000,        1.000
2024,490,410,71120,3.000,        0.500
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("tiny")
    (d / "country_codes_V202601.csv").write_text(CODES)
    (d / "BACI_HS17_Y2024_V202601.csv").write_text(FLOWS)
    return d / "BACI_HS17_Y2024_V202601.csv"


@pytest.mark.parametrize("engine", ["duckdb_screen", "pandas_screen"])
def test_hand_made_figures(engine, tiny, tmp_path, request):
    mod = request.getfixturevalue(engine)
    out = tmp_path / "out.csv"
    assert mod.run([tiny], out) == 3
    r = read_screen(out).set_index(["importer", "hs"])
    kor = r.loc[("KOR", "811292")]
    # KOR imports 18M from CHN and 2M from JPN: top share 0.9, HHI 0.81 + 0.01
    assert kor["import_value_usd"] == 20_000_000 and kor["n_suppliers"] == 2
    assert kor["top_supplier"] == "CHN" and kor["top_share"] == pytest.approx(0.9)
    assert kor["hhi"] == pytest.approx(0.82) and kor["effective_suppliers"] == pytest.approx(1 / 0.82)
    # world exports of 811292 in 2024: CHN 23M, TWN 5M, JPN 2M, KOR 1M
    assert kor["world_export_value_usd"] == 31_000_000 and kor["n_exporters"] == 4
    assert kor["world_top_exporter"] == "CHN" and kor["world_top_exporter_share"] == pytest.approx(23 / 31)
    assert kor["world_export_hhi"] == pytest.approx((23**2 + 5**2 + 2**2 + 1) / 31**2)
    assert kor["top_supplier_world_share"] == pytest.approx(23 / 31)
    assert kor["export_value_usd"] == 1_000_000 and kor["import_export_ratio"] == pytest.approx(20)
    assert kor["band"] == "absolute"
    score = 0.35 * 0.82 + 0.25 * 0.9 + 0.25 * (23**2 + 5**2 + 2**2 + 1) / 31**2 + 0.15 * 23 / 31
    assert kor["score"] == pytest.approx(score)
    # against 2023 (CHN 5M, JPN 5M: tie -> the smaller ISO3, CHN, top share 0.5, HHI 0.5)
    assert kor["prev_year"] == 2023 and kor["prev_hhi"] == pytest.approx(0.5)
    assert kor["delta_hhi"] == pytest.approx(0.32) and kor["delta_top_share"] == pytest.approx(0.4)
    assert kor["top_supplier_changed"].lower() == "false" and kor["new_import"].lower() == "false"
    # USA: CHN and Taiwan (490 -> TWN) tie at 5M each, KOR 1M: CHN; no 2023 imports: a new import
    usa = r.loc[("USA", "811292")]
    assert usa["top_supplier"] == "CHN" and usa["top_share"] == pytest.approx(5 / 11)
    assert usa["n_suppliers"] == 3 and usa["hhi"] == pytest.approx((25 + 25 + 1) / 121)
    assert usa["export_value_usd"] == 0 and usa["import_export_ratio"] == 9999
    assert usa["new_import"].lower() == "true" and usa["top_supplier_changed"] == ""
    assert usa["band"] == "" and usa["rank"] == 2  # top share under 50 %: no band
    # HS 71120 is 071120; 3,000 USD is below the US$10M minimum: no band, ranked last
    small = r.loc[("KOR", "071120")]
    assert small["top_supplier"] == "TWN" and small["band"] == "" and small["rank"] == 3
    assert r.loc[("KOR", "811292"), "rank"] == 1


@pytest.fixture(scope="module")
def generated(generate, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gen")
    return generate.generate_file(out, 20_000, seed=5, n_countries=40, n_products=150)


def test_baselines_agree_on_generated_data(duckdb_screen, pandas_screen, generated, tmp_path):
    d, p = tmp_path / "duckdb.csv", tmp_path / "pandas.csv"
    n = duckdb_screen.run([generated], d)
    assert n == pandas_screen.run([generated], p)
    a, b = read_screen(d), read_screen(p)
    assert n > 1000 and (a["n_suppliers"] > 3).sum() > 50  # enough multi-supplier pairs to mean something
    assert a["year"].eq(2024).all() and a["prev_year"].eq(2022).all()
    assert_same(a, b)  # same rows in the same rank order


def test_pandas_shock_baseline_is_scrisk_first_order(generate, generated, tmp_path, bench_module):
    """baselines/pandas_shock.py computes what `scrisk shock --mode none` does, for every product and for a list."""
    from scrisk.api import load_flows
    from scrisk.io.options import ReadOptions
    from scrisk.scenario import run_scenario, scenario_from_options

    base = bench_module("pandas_shock", "baselines")
    flows = bench_module("pandas_screen", "baselines").read_flows([generated])
    table = load_flows([generated], ReadOptions())
    codes = sorted(flows["hs"].unique())[::3]
    for hs in (None, codes):
        want = base.first_order(flows, "CHN", hs).set_index(["importer", "hs"]).sort_index()
        got = run_scenario(table, scenario_from_options(exporters="CHN", hs=hs), mode="none").rows
        got = got.set_index(["importer", "hs"]).sort_index()
        assert len(got) == len(want) > 100 and (want["shortfall_usd"] > 0).sum() > 20
        for c in ("baseline_usd", "shortfall_usd", "shortfall_share"):
            np.testing.assert_allclose(got[c].to_numpy(float), want[c].to_numpy(float), rtol=1e-12, err_msg=c)


def test_duckdb_baseline_reads_partitioned_parquet(duckdb_screen, pandas_screen, generated, tmp_path):
    flows = pandas_screen.read_flows([generated])
    root = tmp_path / "parts"
    for year, part in flows.groupby("year"):
        (root / f"year={year}").mkdir(parents=True)
        part.to_parquet(root / f"year={year}" / "part-0.parquet", index=False)
    a, b = tmp_path / "csv.csv", tmp_path / "parquet.csv"
    duckdb_screen.run([generated], a)
    duckdb_screen.run([root], b, memory_limit="1GB")
    assert_same(read_screen(a), read_screen(b))


def test_split_files_are_the_years_of_one_file(generate, generated, tmp_path):
    paths = generate.generate_split(tmp_path, 20_000, seed=5, n_countries=40, n_products=150)
    assert [p.name for p in paths] == ["BACI_HS17_Y2022_V202601.csv", "BACI_HS17_Y2024_V202601.csv"]
    whole = generated.read_text().splitlines()
    parts = [p.read_text().splitlines() for p in paths]
    assert all(lines[0] == "t,i,j,k,v,q" for lines in parts)
    assert whole[1:] == parts[0][1:] + parts[1][1:]
    assert {ln.split(",", 1)[0] for ln in parts[1][1:]} == {"2024"}


def test_partitioned_parquet_layout(generate, tmp_path):
    import duckdb
    import pyarrow.parquet as pq

    root = generate.generate_partitioned(tmp_path, 9_000, seed=3, years=(2022, 2023, 2024), n_countries=40,
                                         n_products=150, chunk=1000)
    files = sorted(root.glob("year=*/part-0.parquet"))
    assert [f.parent.name for f in files] == ["year=2022", "year=2023", "year=2024"]
    schema = pq.read_schema(files[0])
    assert [(f.name, str(f.type)) for f in schema] == [
        ("year", "int64"), ("exporter", "string"), ("importer", "string"), ("hs", "string"),
        ("value_usd", "double"), ("qty_kg", "double")]
    assert pq.ParquetFile(files[0]).metadata.num_row_groups == 3  # written in chunks
    con = duckdb.connect()
    glob = str(root / "**" / "*.parquet")
    rows = con.execute(
        "SELECT year, count(*), count(DISTINCT (exporter, importer, hs)), min(length(hs)), max(length(hs)), "
        "count(*) FILTER (WHERE qty_kg IS NULL), min(value_usd), bool_and(exporter <> importer) "
        "FROM read_parquet(?, hive_partitioning = true) GROUP BY year ORDER BY year", [glob]).fetchall()
    assert [r[0] for r in rows] == [2022, 2023, 2024]
    for year, n, keys, lo, hi, na, vmin, no_self in rows:
        assert n == keys == 3000 and lo == hi == 6 and 0 < na < 300 and vmin >= 1 and no_self
    iso = {r[0] for r in con.execute("SELECT DISTINCT exporter FROM read_parquet(?)", [glob]).fetchall()}
    assert all(len(c) == 3 for c in iso) and "S19" not in iso
    # one structure: the years share their countries and products
    again = generate.generate_partitioned(tmp_path / "b", 9_000, seed=3, years=(2022, 2023, 2024), n_countries=40,
                                          n_products=150, chunk=1000)
    assert (again / "year=2023" / "part-0.parquet").read_bytes() == (root / "year=2023" / "part-0.parquet").read_bytes()


# --- the harness: one child process, its own peak, failures recorded ------------------------------------------


@pytest.fixture(scope="module")
def bench_engine(bench_module):
    return bench_module("bench_engine")


_MEASURE_CHILD = r"""
import importlib.util, json, sys
from pathlib import Path
bench, work = sys.argv[1], Path(sys.argv[2])
spec = importlib.util.spec_from_file_location("bench_engine", bench)
b = importlib.util.module_from_spec(spec); sys.modules["bench_engine"] = b; spec.loader.exec_module(b)
big = b.Mode("big", "allocates 300 MB", [sys.executable, "-c", "b = bytearray(300 * 2**20); print('{\"rows\": 7}')"])
small = b.Mode("small", "does nothing", [sys.executable, "-c", "pass"])
s_big, s_small = b.run_once(big, work, 60), b.run_once(small, work, 60)
print(json.dumps([s_big.error, s_big.rows_out, s_big.peak_mb, s_small.peak_mb, s_small.seconds]))
"""


def test_run_once_measures_the_child(tmp_path):
    # measured from a small fresh interpreter, as bench_engine.py runs: a child inherits its parent's high-water
    # mark through fork, and the test runner's own is large
    script = tmp_path / "measure.py"
    script.write_text(_MEASURE_CHILD)
    run = subprocess.run([sys.executable, str(script), str(BENCH / "bench_engine.py"), str(tmp_path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    out = run.stdout
    error, rows, big_mb, small_mb, seconds = json.loads(out.strip().splitlines()[-1])
    assert error is None and rows == 7
    assert big_mb > 300 > small_mb  # each child's own high-water mark
    assert seconds > 0


def test_run_once_fails_soft(bench_engine, tmp_path):
    out = tmp_path / "o.csv"
    bad = bench_engine.Mode("bad", "usage error", [sys.executable, "-c",
                                                   "import sys; print('No such option: --no-cache', file=sys.stderr);"
                                                   " sys.exit(2)"], output=out)
    s = bench_engine.run_once(bad, tmp_path, 60)
    assert s.rc == 2 and s.error == "exit 2: No such option: --no-cache"
    slow = bench_engine.Mode("slow", "sleeps", [sys.executable, "-c", "import time; time.sleep(30)"])
    s = bench_engine.run_once(slow, tmp_path, 0.5)
    assert s.error.startswith("timeout") and s.seconds < 10
    writes = bench_engine.Mode("w", "writes a CSV", [sys.executable, "-c",
                                                     f"open({str(out)!r}, 'w').write('a,b\\n1,2\\n3,4\\n')"], output=out)
    s = bench_engine.run_once(writes, tmp_path, 60)
    assert s.error is None and s.rows_out == 2 and not out.exists()  # counted, then removed
    assert bench_engine.last_message("Usage: x\n╭─ Error ─╮\n│ No such option: --no-cache │\n╰────╯\n") == \
        "No such option: --no-cache"


def test_validation_sql_baseline_finds_what_scrisk_validate_finds(bench_module, tmp_path):
    checks = bench_module("read_baseline", "baselines").checks
    (tmp_path / "country_codes_V202601.csv").write_text(CODES)
    f = tmp_path / "BACI_HS17_Y2024_V202601.csv"
    clean = FLOWS.replace("2023,", "2022,")  # distinct keys
    f.write_text(clean)
    assert checks(str(f)) == (8, 41003.0, 0, 0)
    # a self-trade row, an unknown country, a malformed code, a negative value and a repeated key
    bad = ["2024,410,410,811292,1.000,1.000", "2024,999,410,811292,1.000,1.000", "2024,156,410,81A292,1.000,1.000",
           "2024,156,842,850760,-1.000,1.000", "2024,392,410,811292,1.000,           NA"]
    f.write_text(clean + "\n".join(bad) + "\n")
    from scrisk.io import read_flows

    rep = read_flows([f]).report
    n, v, failing, repeated = checks(str(f))
    assert (n, failing, repeated) == (rep.rows_read, 4, 1) == (13, 4, 1)
    assert rep.rows_rejected == failing + repeated
