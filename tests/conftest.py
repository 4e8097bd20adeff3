"""Shared fixtures: paths to ../shared/realdata (tests skip cleanly when absent) and small factories."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, settings

# property tests judge results, never speed: no per-example deadline on a loaded CI machine
settings.register_profile("scrisk", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("scrisk")


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """Every test run reads and writes its own input cache, never the user's."""
    import os

    old = os.environ.get("SCRISK_CACHE_DIR")
    os.environ["SCRISK_CACHE_DIR"] = str(tmp_path_factory.mktemp("scrisk-cache"))
    yield
    if old is None:
        os.environ.pop("SCRISK_CACHE_DIR", None)
    else:
        os.environ["SCRISK_CACHE_DIR"] = old

REPO = Path(__file__).resolve().parents[1]
REALDATA = REPO.parent / "shared" / "realdata"
TEST_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def bench_module():
    """Import a script of ``benchmarks/`` (or of a folder under it) by name: ``bench_module("generate")``,
    ``bench_module("duckdb_screen", "baselines")``."""
    import importlib
    import sys

    def load(name: str, sub: str = ""):
        sys.path.insert(0, str(REPO / "benchmarks" / sub))
        try:
            return importlib.import_module(name)
        finally:
            sys.path.pop(0)

    return load


@pytest.fixture(scope="session")
def realdata() -> Path:
    """Return ../shared/realdata, or skip the test when it is not beside the clone."""
    if not REALDATA.is_dir():
        pytest.skip("../shared/realdata is not present (a user's clone); real-data tests skipped")
    return REALDATA


@pytest.fixture(scope="session")
def atlas(realdata: Path) -> Path:
    """Return the baci-critmat-atlas folder of the real data."""
    p = realdata / "baci-critmat-atlas"
    if not p.is_dir():
        pytest.skip("baci-critmat-atlas not present")
    return p


@pytest.fixture
def tiny_flows() -> pd.DataFrame:
    """A hand-made canonical flow frame: KOR imports of 811292 and 370790, two years."""
    rows = [
        (2022, "CHN", "KOR", "811292", 900.0, 10.0),
        (2022, "JPN", "KOR", "811292", 80.0, 1.0),
        (2022, "USA", "KOR", "811292", 20.0, None),
        (2022, "JPN", "KOR", "370790", 930.0, 5.0),
        (2022, "USA", "KOR", "370790", 70.0, 1.0),
        (2022, "CHN", "JPN", "811292", 500.0, 4.0),
        (2022, "KOR", "JPN", "811292", 500.0, 4.0),
        (2024, "CHN", "KOR", "811292", 500.0, 6.0),
        (2024, "JPN", "KOR", "811292", 300.0, 3.0),
        (2024, "BEL", "KOR", "370790", 400.0, 2.0),
        (2024, "JPN", "KOR", "370790", 600.0, 3.0),
    ]
    from scrisk.schema import BASE_COLUMNS, complete_flows

    return complete_flows(pd.DataFrame(rows, columns=list(BASE_COLUMNS)))


@pytest.fixture(scope="session")
def spark():
    """One local Spark session (``local[2]``) for the whole test run, as the Spark engine uses it.

    Skipped with the reason when pyspark or a Java runtime is missing on a user's machine; in CI (``$CI`` set)
    that is a failure instead, since .ci/run installs both.
    """
    import os
    import shutil

    missing = None
    try:
        import pyspark  # noqa: F401
    except ImportError:
        missing = "pyspark is not installed (pip install -e '.[spark]')"
    if missing is None and not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        missing = "no Java runtime (apt-get install default-jre-headless)"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"the Spark engine tests must run in CI: {missing}")
        pytest.skip(f"Spark engine tests skipped: {missing}")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("SPARK_DRIVER_MEMORY", "2g")  # a bounded heap on a shared CI machine (default: RAM / 4)
    from scrisk.engine import spark as engine
    from scrisk.engine.store import configure

    configure(spark_master="local[2]")
    s = engine.session("local[2]")
    yield s
    configure(engine="duckdb", spark_master="")
    engine.stop_session()
