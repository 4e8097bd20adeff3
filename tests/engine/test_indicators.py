"""The indicator declarations on a table with only reporters' World totals (Indicator.world), by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from scrisk.engine.indicators import INDICATORS, output_indicators
from scrisk.metrics.indicators import indicators
from scrisk.schema import FlowMeta, FlowTable


def world_only(rows) -> FlowTable:
    w = pd.DataFrame(rows, columns=["year", "reporter", "flow", "hs", "value_usd"])
    w = w.assign(month=pd.array([pd.NA] * len(w), dtype="Int8"), qty_kg=float("nan"), hs_revision="HS2017",
                 file="w.csv", line=range(2, len(w) + 2))
    return FlowTable(meta=FlowMeta(hs_revision="HS2017", world_totals=w))


SME = [(2022, "JPN", "export", "848620", 700.0), (2022, "NLD", "export", "848620", 300.0),
       (2022, "KOR", "export", "848620", 50.0), (2022, "USA", "import", "848620", 400.0),
       (2022, "KOR", "import", "848620", 600.0), (2021, "USA", "import", "848620", 100.0),
       (2021, "JPN", "export", "848620", 100.0), (2022, "DEU", "export", "903082", 9.0)]


def test_world_side_figures_from_world_totals_by_hand():
    t = world_only(SME)
    assert t.world_only and t.measured_years == (2021, 2022)
    r = indicators(t, min_import_usd=0).set_index(["year", "importer", "hs"])
    assert list(r.index) == [(2021, "USA", "848620"), (2022, "KOR", "848620"), (2022, "USA", "848620")]
    kor = r.loc[(2022, "KOR", "848620")]
    assert kor.import_value_usd == 600.0 and kor.world_export_value_usd == 1050.0 and kor.n_exporters == 3
    assert kor.world_top_exporter == "JPN" and kor.world_top_exporter_share == pytest.approx(700 / 1050)
    assert kor.world_export_hhi == pytest.approx((700 ** 2 + 300 ** 2 + 50 ** 2) / 1050 ** 2)
    assert kor.export_value_usd == 50.0 and kor.import_export_ratio == pytest.approx(12.0)
    usa = r.loc[(2022, "USA", "848620")]
    assert usa.export_value_usd == 0.0 and usa.import_export_ratio == 9999.0
    assert usa.prev_year == 2021 and usa.prev_import_value_usd == 100.0 and not usa.new_import
    assert pd.isna(kor.prev_import_value_usd) and kor.new_import
    assert not kor.world_coverage_limited


def test_every_figure_that_needs_bilateral_flows_is_empty():
    r = indicators(world_only(SME), min_import_usd=0, screen=True)
    for ind in output_indicators(options=["screen"]):
        if ind.needs not in (None, "screen"):
            continue
        col = r[ind.name]
        if ind.world:
            assert col.notna().any() or ind.name in ("prev_year", "prev_import_value_usd", "new_import"), ind.name
        else:
            assert col.isna().all(), ind.name  # supplier counts, shares, HHIs, the score, the bands
    # and the declarations say which is which
    world = {i.name for i in INDICATORS if i.world and i.output}
    assert {"import_value_usd", "world_export_hhi", "world_top_exporter_share", "n_exporters"} <= world
    assert not world & {"top_share", "hhi", "n_suppliers", "score", "top_supplier_world_share"}


def test_importer_filter_and_products_without_world_exports():
    r = indicators(world_only(SME + [(2022, "USA", "import", "903141", 5.0)]), importers=["USA"], years=[2022])
    assert r[["importer", "hs"]].values.tolist() == [["USA", "848620"], ["USA", "903141"]]
    no_exp = r.set_index("hs").loc["903141"]
    assert no_exp.import_value_usd == 5.0 and pd.isna(no_exp.world_export_hhi) and pd.isna(no_exp.n_exporters)
