"""The lens declarations compiled to SQL (scrisk.engine.lenses): monthly keys, blocs, and the destination-HHI
tables of cn-critmin-comtrade-monthly recomputed from its deep_dive file (loaded with pandas here; the test
through scrisk's own monthly reader is in tests/test_lenses_monthly.py once that reader exists)."""

from __future__ import annotations

import pandas as pd
import pytest

from scrisk.engine.indicators import INDICATORS
from scrisk.engine.lenses import LENSES, LensParams, bloc_source, leverage_sql, period_columns
from scrisk.engine.store import DuckQueries, connect


def test_world_figures_are_not_redeclared():
    """The lenses reuse the world-side and import declarations of INDICATORS instead of copying them."""
    core = {i.name for i in INDICATORS if i.stage == "world"} | {"world_export_hhi", "world_top_exporter"}
    for name, decls in LENSES.items():
        assert not core & {i.name for i in decls}, name


def test_every_lens_measure_has_a_description_that_formats():
    p = LensParams().values()
    for decls in LENSES.values():
        for i in decls:
            assert i.description.format(**p)


def _monthly(realdata):
    d = pd.read_csv(realdata / "cn-critmin-comtrade-monthly" / "deep_dive_hs6_monthly.csv", dtype={"hs6": str})
    when = pd.to_datetime(d["period_dt"])
    return pd.DataFrame({"year": when.dt.year.astype("int64"), "month": when.dt.month.astype("int64"),
                         "exporter": "CHN", "importer": d["partner_name"], "hs": d["hs6"], "value_usd": d["val"],
                         "qty_kg": d["qty"]})


def test_monthly_destination_hhi_reproduces_the_graphite_table(realdata):
    """China's monthly destination HHI for graphite (250410 + 380110 as one product) equals the author's table."""
    flows = _monthly(realdata)
    flows = flows.assign(hs=flows.hs.where(~flows.hs.isin(["250410", "380110"]), "graphite"))
    con = connect()
    con.register("m", flows)
    assert period_columns(DuckQueries(con), "m") == ("year", "month")
    prod, _ = leverage_sql("m", exporter="CHN", keys=("year", "month"), hs=("graphite",))
    got = con.sql(prod).df()
    con.close()
    want = pd.read_csv(realdata / "cn-critmin-comtrade-monthly" / "concentration_destination_hhi.csv")
    want = want[want.broad_group == "Graphite"]
    when = pd.to_datetime(want.period_dt)
    want = want.assign(year=when.dt.year, month=when.dt.month).set_index(["year", "month"])["sq"]
    got = got.set_index(["year", "month"])["destination_hhi"]
    assert len(want) == 96 and set(got.index) == set(want.index)
    assert (got.loc[want.index] - want).abs().max() < 1e-12


def test_bloc_source_is_dated_per_period():
    con = connect()
    con.register("s", pd.DataFrame({"year": [2019, 2020], "exporter": ["GBR", "GBR"], "importer": ["FRA", "FRA"],
                                    "hs": ["811292"] * 2, "value_usd": [1.0, 2.0], "qty_kg": [None, None]}))
    src = bloc_source(con, "s", {"EU27": {(2019,): ("FRA", "GBR"), (2020,): ("FRA",)}}, ("year",))
    rows = con.sql(f"SELECT year, exporter, importer, value_usd FROM {src} ORDER BY year").fetchall()
    con.close()
    assert rows == [(2020, "GBR", "EU27", 2.0)]
