"""The chokepoint and supply declarations: the world side is reused from INDICATORS, every measure compiles."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from scrisk.engine.chokepoints import CHOKEPOINT_INDICATORS, chokepoint_columns, chokepoint_sql
from scrisk.engine.indicators import INDICATORS
from scrisk.engine.supply import SUPPLY_INDICATORS, supply_columns, supply_sql


def test_world_side_declared_once():
    mine = {i.name: i for i in CHOKEPOINT_INDICATORS}
    for i in INDICATORS:
        if i.name in mine:
            assert mine[i.name] is i  # the same declaration object, not a copy
    assert "production_hhi" not in chokepoint_columns() and "production_hhi" in chokepoint_columns(["production"])
    assert {i.name for i in SUPPLY_INDICATORS if i.output} >= set(supply_columns())


def test_chokepoint_sql_runs_on_plain_duckdb():
    con = duckdb.connect()
    con.register("f", pd.DataFrame({"year": [2024, 2024, 2024], "exporter": ["CHN", "CHN", "JPN"],
                                    "importer": ["KOR", "USA", "USA"], "hs": ["811292"] * 3,
                                    "value_usd": [3.0, 1.0, 1.0]}))
    row = con.sql(chokepoint_sql("f", years=[2024])).df().iloc[0]
    assert row.world_top_exporter == "CHN" and row.world_top_exporter_share == pytest.approx(0.8)
    assert (row.importers_top_ge_50, row.importers_top_ge_90) == (2, 1)


def test_supply_sql_with_wgi():
    con = duckdb.connect()
    con.register("s", pd.DataFrame({"m": ["x", "x", "x"], "producer": ["CHN", "JPN", "other"],
                                    "kind": ["country", "country", "other"], "q": [5.0, 3.0, 2.0],
                                    "w": [6.0, None, None], "t": [None, None, None]}))
    row = con.sql(supply_sql("s", ["m"], options=["wgi"])).df().iloc[0]
    assert row.production_hhi == pytest.approx(0.25 + 0.09)
    assert row.hhi_wgi_t == pytest.approx(0.25 * 6.0) and row.wgi_coverage == pytest.approx(0.5)
