"""The Spark engine against the DuckDB engine: every indicator, leverage and chokepoint column equal to 1e-9, on
real BACI 2022 + 2024 and on a generated multi-year dataset.

One local Spark session (``local[2]``, the session-scoped ``spark`` fixture)
serves every test. The rows of both engines come from the same declarations
(:data:`scrisk.engine.indicators.INDICATORS`, :data:`scrisk.engine.lenses.LEVERAGE`,
:data:`scrisk.engine.chokepoints.CHOKEPOINT_INDICATORS`); the DuckDB side is
itself checked against independent pandas computations in
tests/metrics/test_realdata.py and tests/test_lenses.py, and a few figures
are recomputed here with plain pandas too.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scrisk.engine.indicators import output_indicators
from scrisk.metrics.indicators import indicators

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "metrics"))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from atlas import atlas_table, raw_atlas  # noqa: E402

OPTIONS = ("friendly", "wgi", "screen")
FRIENDLY = ["USA", "JPN", "DEU", "FRA", "GBR", "CAN", "ITA", "AUS", "KOR"]


def assert_same_rows(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]) -> int:
    """Every column of two result frames equal, matched on ``keys``: numbers to 1e-9 (relative above 1), lists
    and everything else exactly."""
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b) and len(a) > 0
    a = a.sort_values(keys).reset_index(drop=True)
    b = b.sort_values(keys).reset_index(drop=True)
    for c in a.columns:
        x, y = a[c], b[c]
        if x.dtype == object and any(isinstance(v, (list, np.ndarray)) for v in x):
            assert [list(v) for v in x] == [list(v) for v in y], c
            continue
        assert (x.isna() == y.isna()).all(), c
        if pd.api.types.is_float_dtype(x):
            xv, yv = x.to_numpy(float), y.to_numpy(float)
            ok = np.isnan(xv) | (np.abs(xv - yv) <= 1e-9 * np.maximum(1.0, np.abs(xv)))
            assert ok.all(), (c, a.loc[~ok, keys + [c]].head(), yv[~ok][:5])
        else:
            assert (x[x.notna()].astype(object) == y[y.notna()].astype(object)).all(), c
    return len(a)


def assert_same_indicators(a: pd.DataFrame, b: pd.DataFrame) -> int:
    """Every column of two indicator frames equal (:func:`assert_same_rows` per year, importer, hs)."""
    return assert_same_rows(a, b, ["year", "importer", "hs"])


def assert_same_meta(a: dict, b: dict) -> None:
    """The same provenance of a result (years, periods, actors, parameters, notes...), apart from when it was
    written and how each engine read the flows (compared by the read tests)."""
    skip = {"generated_at", "inputs", "source_format", "release", "read"}
    assert {k: v for k, v in a.items() if k not in skip} == {k: v for k, v in b.items() if k not in skip}


@pytest.fixture(scope="module")
def atlas_tables(atlas, spark):
    """BACI 2022 + 2024 (baci-critmat-atlas) as a local flow table and the same rows on Spark."""
    from scrisk.engine.spark import to_spark

    table = atlas_table(atlas)
    return table, to_spark(table)


@pytest.fixture(scope="module")
def atlas_both(atlas_tables):
    table, on_spark = atlas_tables
    wgi = {c: float(s) for c, s in zip(["CHN", "RUS", "USA", "JPN", "BRA", "COD"], [6.1, 7.9, 2.6, 1.9, 5.2, 8.8])}
    kw = dict(friendly=FRIENDLY, wgi=wgi, screen=True, min_import_usd=0.0)
    return table, indicators(table, **kw), indicators(on_spark, **kw)


def test_every_indicator_equal_on_baci_2022_2024(atlas_both):
    _, duck, spark = atlas_both
    n = assert_same_indicators(duck, spark)
    assert n > 6000 and set(spark["year"]) == {2022, 2024}
    # every output indicator of every declaration is compared (friendly, WGI and screen ones included)
    assert {i.name for i in output_indicators(options=OPTIONS)} <= set(spark.columns)


def test_spark_figures_match_pandas_on_baci(atlas, atlas_both):
    """A few pairs recomputed from the raw CSV with plain pandas (no scrisk code)."""
    _, _, spark = atlas_both
    raw = raw_atlas(atlas, 2024)
    for importer, hs in [("KOR", "811292"), ("JPN", "283691"), ("USA", "850511")]:
        by = raw[(raw["j"] == importer) & (raw["cmd"] == hs) & (raw["value"] > 0)].groupby("i")["value"].sum()
        shares = by / by.sum()
        r = spark[(spark["year"] == 2024) & (spark["importer"] == importer) & (spark["hs"] == hs)].iloc[0]
        assert r["import_value_usd"] == pytest.approx(by.sum(), rel=1e-12)
        assert r["hhi"] == pytest.approx(float((shares ** 2).sum()), rel=1e-12)
        assert r["top_share"] == pytest.approx(float(shares.max()), rel=1e-12)
        assert int(r["n_suppliers"]) == len(by)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A generated multi-year dataset (four years, hive year=YYYY/ layout), converted by scrisk convert."""
    from generate import generate_partitioned

    from scrisk.engine.convert import convert_files

    src = generate_partitioned(tmp_path_factory.mktemp("gen") / "raw", 40_000, years=(2021, 2022, 2023, 2024),
                               n_countries=60, n_products=120)
    out = tmp_path_factory.mktemp("gen") / "flows"
    convert_files([src], out)
    return out


@pytest.fixture(scope="module")
def generated_tables(generated, spark):
    """The generated dataset read by the DuckDB engine and by Spark itself."""
    from scrisk.api import load_flows
    from scrisk.engine.spark import load_dataset

    return load_flows([generated]), load_dataset([generated])


def test_every_indicator_equal_on_generated_multiyear_dataset(generated_tables):
    local, on_spark = generated_tables
    assert on_spark.years == local.years == (2021, 2022, 2023, 2024)
    assert on_spark.report.rows_read == local.report.rows_read == 40_000
    assert on_spark.meta.hs_revision == local.meta.hs_revision
    kw = dict(screen=True, min_import_usd=1e5)
    assert_same_indicators(indicators(local, **kw), indicators(on_spark, **kw))


# ------------------------------------------------------------------ the lenses on Spark: leverage, chokepoints


def assert_same_leverage(local, on_spark, **kw):
    """Every leverage column, of the product rows and of the importers table, equal on both engines (the DuckDB
    result returned)."""
    from scrisk.lenses import leverage

    a, b = leverage(local, **kw), leverage(on_spark, **kw)
    keys = ["year", "month"] if a.meta["period"] == "month" else ["year"]
    assert_same_rows(a.to_pandas(), b.to_pandas(), keys + ["hs"])
    assert_same_rows(a.table("importers"), b.table("importers"), keys + ["hs", "importer"])
    assert_same_meta(a.meta, b.meta)
    return a


@pytest.mark.parametrize("kw", [dict(exporter="CHN"), dict(exporter="EU27", year=2022)],
                         ids=["CHN-2022+2024", "EU27-as-exporter-2022"])
def test_leverage_equal_on_baci_2022_2024(atlas_tables, kw):
    r = assert_same_leverage(*atlas_tables, **kw)
    assert r.meta["periods"] == (["2022", "2024"] if "year" not in kw else ["2022"])
    # long importer lists: their order (share descending, then code) is compared too
    assert r.to_pandas()["importers_monitor"].map(len).max() > 5


@pytest.mark.parametrize("kw", [dict(exporter="G7"), dict(exporter="CHN", year=2023, as_bloc="EU27",
                                                          importers="EU27", min_import_usd=1e5)],
                         ids=["G7-as-exporter-every-year", "CHN-2023-EU27-bloc"])
def test_leverage_equal_on_generated_multiyear_dataset(generated_tables, kw):
    assert_same_leverage(*generated_tables, **kw)


def assert_same_chokepoints(local, on_spark, **kw) -> None:
    from scrisk.chokepoints import chokepoints

    a, b = chokepoints(local, **kw), chokepoints(on_spark, **kw)
    assert_same_rows(a.to_pandas(), b.to_pandas(), ["year", "hs"])  # rank included
    assert_same_meta(a.meta, b.meta)


def test_chokepoints_equal_on_baci_per_year(atlas_tables, realdata):
    """Every chokepoint column on both engines, per year; 2024 with USGS production joined on Spark."""
    from scrisk.production.readers import read_production

    assert_same_chokepoints(*atlas_tables, year=2022, min_import_usd=1e6)
    assert_same_chokepoints(*atlas_tables, year=2024, production=read_production(realdata / "usgs-mcs" / "mcs2024"))


def test_chokepoints_equal_on_generated_multiyear_dataset(generated_tables):
    assert_same_chokepoints(*generated_tables, year=2023, min_import_usd=1e5)


def test_ordered_list_aggregate_keeps_its_order_on_spark(spark):
    """sqlglot drops the ORDER BY of list(x ORDER BY ...) for Spark; to_spark_sql keeps it: directions, ties, NULLs
    and FILTER as DuckDB runs them."""
    from scrisk.engine.spark import SparkQueries
    from scrisk.engine.store import DuckQueries

    t = pa.table({"g": [1, 1, 1, 1, 1], "x": ["a", "b", "c", "d", "z"], "k": [1.0, 2.0, 2.0, None, 3.0]})
    sql = ("SELECT g, list(x ORDER BY k DESC, x) FILTER (WHERE x <> 'z') AS a, "
           "list(x ORDER BY k NULLS FIRST, x DESC) AS b FROM t GROUP BY g")
    for q in (DuckQueries(), SparkQueries()):
        q.register("t", t)
        try:
            assert q.rows(sql) == [(1, ["b", "c", "a", "d"], ["d", "a", "c", "b", "z"])], type(q).__name__
        finally:
            q.close()


def test_local_driver_memory_unless_the_user_set_it(monkeypatch):
    from scrisk.engine.spark import _driver_memory

    for v in ("SPARK_DRIVER_MEMORY", "PYSPARK_SUBMIT_ARGS", "SPARK_CONF_DIR", "SPARK_HOME"):
        monkeypatch.delenv(v, raising=False)
    got = _driver_memory("local[2]")
    assert got == _driver_memory(None) and got.endswith("g") and 1 <= int(got[:-1]) <= 8
    assert _driver_memory("spark://head:7077") is None and _driver_memory("yarn") is None
    monkeypatch.setenv("PYSPARK_SUBMIT_ARGS", "--driver-memory 3g pyspark-shell")
    assert _driver_memory("local[2]") is None
    monkeypatch.delenv("PYSPARK_SUBMIT_ARGS")
    monkeypatch.setenv("SPARK_DRIVER_MEMORY", "3g")
    assert _driver_memory("local[2]") is None


def test_dataset_rows_rejected_with_reasons_on_spark(tmp_path, spark):
    from scrisk.engine.spark import load_dataset

    rows = pa.table({"year": [2024] * 4, "exporter": ["CHN", "JPN", "KOR", "XXX"], "importer": ["KOR", "KOR", "KOR", "KOR"],
                     "hs": ["811292", "8112", "811292", "811292"], "value_usd": [5.0, 1.0, 2.0, 3.0],
                     "qty_kg": [None, None, None, None]}, schema=pa.schema(
        [("year", pa.int64()), ("exporter", pa.string()), ("importer", pa.string()), ("hs", pa.string()),
         ("value_usd", pa.float64()), ("qty_kg", pa.float64())]))
    (tmp_path / "year=2024").mkdir()
    pq.write_table(rows.drop(["year"]), tmp_path / "year=2024" / "part-0.parquet")  # year from the path, as Spark writes
    t = load_dataset([tmp_path])
    r = t.report
    assert (r.rows_read, r.rows_accepted, r.rows_rejected) == (4, 1, 3)
    assert dict(r.reasons) == {"malformed HS code": 1, "self-trade": 1, "unknown country code": 1}
    assert r.value_usd_accepted == 5.0 and t.years == (2024,)
    assert t.frame["exporter"].tolist() == ["CHN"]


def test_repeated_keys_are_an_error(tmp_path, spark):
    from scrisk.engine.spark import load_dataset
    from scrisk.errors import InputError

    df = pd.DataFrame({"year": [2024, 2024], "exporter": ["CHN", "CHN"], "importer": ["KOR", "KOR"],
                       "hs": ["811292", "811292"], "value_usd": [1.0, 2.0], "qty_kg": [np.nan, np.nan]})
    df.to_parquet(tmp_path / "a.parquet")
    with pytest.raises(InputError, match="repeat"):
        load_dataset([tmp_path / "a.parquet"])
