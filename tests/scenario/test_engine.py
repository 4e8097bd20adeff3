"""The shock engine on hand-made networks whose results are worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scrisk.scenario.engine import ROW_COLUMNS, propagate


def frame(rows):
    return pd.DataFrame(rows, columns=["exporter", "importer", "hs", "value_usd"])


def by_importer(out, col):
    return out.rows.set_index("importer")[col].to_dict()


def test_capacity_is_shared_in_proportion_to_requests():
    # S (a producer: no imports) can add 25 % of its 200 of exports = 50; A asks 300, B asks 100
    f = frame([("CHN", "A", "811292", 300.0), ("CHN", "B", "811292", 100.0),
               ("S", "A", "811292", 100.0), ("S", "B", "811292", 100.0)])
    out = propagate(f, [1.0, 1.0, 0.0, 0.0], headroom=0.25)
    assert by_importer(out, "substituted_usd") == pytest.approx({"A": 37.5, "B": 12.5})
    assert by_importer(out, "shortfall_usd") == pytest.approx({"A": 262.5, "B": 87.5})
    assert out.iterations == {"811292": 1}
    sup = out.suppliers.set_index("exporter")
    assert float(sup.loc["S", "capacity_usd"]) == 50.0 and float(sup.loc["S", "capacity_used_share"]) == 1.0
    assert list(out.rows.columns) == list(ROW_COLUMNS)


def test_hub_passes_on_in_proportion_to_exports_and_stock_absorbs_first():
    # H imports 100 from CHN (cut) and re-exports 60 to C and 20 to D: passes on min(1, 80/100) = 80 %
    f = frame([("CHN", "H", "260400", 100.0), ("H", "C", "260400", 60.0), ("H", "D", "260400", 20.0)])
    out = propagate(f, [1.0, 0.0, 0.0], headroom=0.0, stock_months=1.2)  # stock = 10 % of imports
    assert by_importer(out, "stock_drawn_usd") == pytest.approx({"H": 10.0, "C": 6.0, "D": 2.0})
    assert by_importer(out, "passed_on_usd") == pytest.approx({"H": 72.0, "C": 0.0, "D": 0.0})
    assert by_importer(out, "indirect_loss_usd") == pytest.approx({"H": 0.0, "C": 54.0, "D": 18.0})
    assert by_importer(out, "shortfall_usd") == pytest.approx({"H": 18.0, "C": 48.0, "D": 16.0})
    assert out.iterations == {"260400": 2} and out.unresolved_usd == 0.0


def test_iteration_cap_leaves_pending_losses_with_their_holders():
    f = frame([("CHN", "H", "260400", 100.0), ("H", "C", "260400", 60.0), ("H", "D", "260400", 20.0)])
    out = propagate(f, [1.0, 0.0, 0.0], headroom=0.0, max_iter=1)
    assert by_importer(out, "shortfall_usd") == pytest.approx({"H": 20.0, "C": 60.0, "D": 20.0})
    assert out.unresolved_usd == pytest.approx(80.0)
    assert out.conservation_error < 1e-12


def test_restricted_exporter_supplies_non_targets_but_not_its_targets():
    # China cuts the USA only; the USA passes part of its loss to MEX, which then buys more from China
    f = frame([("CHN", "USA", "811010", 100.0), ("CAN", "USA", "811010", 10.0), ("USA", "MEX", "811010", 50.0),
               ("CHN", "MEX", "811010", 20.0)])
    out = propagate(f, [1.0, 0.0, 0.0, 0.0], headroom=0.5)
    sup = out.suppliers.set_index("exporter")["extra_exports_usd"].to_dict()
    # USA's request goes to Canada only (China's link to the USA is cut); Canada can add 5
    assert by_importer(out, "substituted_usd")["USA"] == pytest.approx(5.0)
    # USA passes min(1, 50/110) of its unmet 95 to MEX; MEX asks China (spare 0.5 * 120 = 60)
    passed = 95.0 * 50.0 / 110.0
    assert by_importer(out, "indirect_loss_usd")["MEX"] == pytest.approx(passed)
    assert by_importer(out, "substituted_usd")["MEX"] == pytest.approx(passed)
    assert sup["CHN"] == pytest.approx(passed) and sup["CAN"] == pytest.approx(5.0)
    assert "USA" not in sup  # a net importer has no spare capacity of its own


def test_allies_limit_substitution():
    f = frame([("CHN", "KOR", "811292", 100.0), ("JPN", "KOR", "811292", 50.0), ("RUS", "KOR", "811292", 50.0)])
    free = propagate(f, [1.0, 0.0, 0.0], headroom=1.0)
    assert set(free.suppliers["exporter"]) == {"JPN", "RUS"}
    assert by_importer(free, "substituted_usd")["KOR"] == pytest.approx(100.0)
    allied = propagate(f, [1.0, 0.0, 0.0], headroom=1.0, allies=["JPN", "USA"])
    assert set(allied.suppliers["exporter"]) == {"JPN"}
    assert by_importer(allied, "substituted_usd")["KOR"] == pytest.approx(50.0)
    assert by_importer(allied, "shortfall_usd")["KOR"] == pytest.approx(50.0)


def test_products_do_not_substitute_for_each_other():
    f = frame([("CHN", "KOR", "811292", 100.0), ("JPN", "KOR", "282560", 500.0)])
    out = propagate(f, [1.0, 0.0], headroom=1.0)
    rows = out.rows.set_index(["importer", "hs"])
    assert float(rows.loc[("KOR", "811292"), "shortfall_usd"]) == 100.0
    assert float(rows.loc[("KOR", "282560"), "direct_loss_usd"]) == 0.0
    assert out.suppliers.empty


def test_none_mode_is_the_first_order_upper_bound():
    f = frame([("CHN", "KOR", "811292", 80.0), ("JPN", "KOR", "811292", 20.0), ("KOR", "VNM", "811292", 50.0)])
    none = propagate(f, [0.5, 0.0, 0.0], mode="none")
    assert by_importer(none, "shortfall_usd") == {"KOR": 40.0, "VNM": 0.0}
    assert by_importer(none, "shortfall_share") == {"KOR": 0.4, "VNM": 0.0}
    cascade = propagate(f, [0.5, 0.0, 0.0])
    assert cascade.rows["shortfall_usd"].sum() <= none.rows["shortfall_usd"].sum()


def test_bad_arguments_are_programming_errors():
    f = frame([("CHN", "KOR", "811292", 80.0)])
    with pytest.raises(ValueError):
        propagate(f, [1.0, 0.0])
    with pytest.raises(ValueError):
        propagate(f, [1.5])
    with pytest.raises(ValueError):
        propagate(f, [1.0], mode="hoard")
    with pytest.raises(ValueError):
        propagate(f, [1.0], headroom=-0.1)


def test_empty_input_gives_empty_rows():
    out = propagate(frame([]), [])
    assert out.rows.empty and list(out.rows.columns) == list(ROW_COLUMNS)
    assert out.iterations == {} and out.conservation_error == 0.0


def test_a_broken_identity_is_reported_as_a_bug(monkeypatch):
    import scrisk.scenario.engine as engine

    monkeypatch.setattr(engine, "_conservation_error", lambda *a, **k: 1e-6)
    f = frame([("CHN", "KOR", "811292", 80.0)])
    with pytest.raises(RuntimeError, match="conservation"):
        engine.propagate(f, [1.0])
    monkeypatch.setattr(engine, "_conservation_error", lambda *a, **k: float("nan"))
    with pytest.raises(RuntimeError, match="conservation"):  # a NaN identity is an error, never a pass
        engine.propagate(f, [1.0])


# ---------------------------------------------------------------------------
# the cascade's economics: no pass-back to the restricting country, own needs first, the pass-through rule


def test_restricting_country_receives_no_pass_back():
    # KOR imports 100 from CHN (banned) and re-exports 30 to CHN and 30 to VNM. Before: KOR passed min(1, 60/100)
    # of its loss on, half of it back to China. Now only flows to non-restricting countries count: p = 30/100.
    f = frame([("CHN", "KOR", "811292", 100.0), ("KOR", "CHN", "811292", 30.0), ("KOR", "VNM", "811292", 30.0)])
    out = propagate(f, [1.0, 0.0, 0.0], headroom=0.0)
    assert by_importer(out, "passed_on_usd") == pytest.approx({"CHN": 0.0, "KOR": 30.0, "VNM": 0.0})
    assert by_importer(out, "shortfall_usd") == pytest.approx({"CHN": 0.0, "KOR": 70.0, "VNM": 30.0})
    assert by_importer(out, "indirect_loss_usd")["CHN"] == 0.0


def test_restricting_country_covers_a_counter_restriction_from_what_it_kept():
    # USA bans 40 to CHN, CHN bans 100 to USA: CHN keeps 100 and covers its 40 from it; the USA keeps 40, covers 40
    f = frame([("USA", "CHN", "811292", 40.0), ("CHN", "USA", "811292", 100.0)])
    out = propagate(f, [1.0, 1.0], headroom=0.0)
    assert by_importer(out, "stock_drawn_usd") == pytest.approx({"CHN": 40.0, "USA": 40.0})
    assert by_importer(out, "shortfall_usd") == pytest.approx({"CHN": 0.0, "USA": 60.0})


def _deu_fra(production=None):
    # CHN (banned) -> DEU 100 and -> FRA 50; DEU -> FRA 150. DEU is a net exporter (X - M = 50), headroom 0.2:
    # spare capacity 10, which DEU now uses for itself first instead of selling it to FRA while short itself.
    f = frame([("CHN", "DEU", "811292", 100.0), ("CHN", "FRA", "811292", 50.0), ("DEU", "FRA", "811292", 150.0)])
    trace = []
    out = propagate(f, [1.0, 1.0, 0.0], headroom=0.2, production=production, trace=trace)
    return out, trace


def test_a_short_country_offers_no_extra_supply():
    out, trace = _deu_fra()
    # round 1: DEU covers 10 of its 100 from its own capacity, has 90 unmet; FRA asks DEU for 50, gets nothing
    assert by_importer(out, "substituted_usd") == pytest.approx({"DEU": 10.0, "FRA": 0.0})
    assert out.suppliers.empty
    assert float(trace[0]["extra"].sum()) == 0.0
    # DEU's supply P + M = 50 + 100 all goes to export: it passes its whole unmet 90 on (stated rule)
    assert by_importer(out, "passed_on_usd") == pytest.approx({"DEU": 90.0, "FRA": 0.0})
    assert by_importer(out, "shortfall_usd") == pytest.approx({"DEU": 0.0, "FRA": 140.0})


def test_a_net_exporter_with_production_keeps_its_domestic_share():
    # with production 200 DEU's supply is 300, of which 150 is exported: it passes on half its unmet 90
    prod = pd.DataFrame({"country": ["DEU"], "hs": ["811292"], "production": [200.0]})
    out, _ = _deu_fra(prod)
    assert by_importer(out, "passed_on_usd")["DEU"] == pytest.approx(45.0)
    assert by_importer(out, "shortfall_usd") == pytest.approx({"DEU": 45.0, "FRA": 95.0})


def test_none_mode_bounds_the_total_not_each_country():
    # CHN cuts USA (10) and KOR (100); KOR re-exports 50 to the USA and passes part of its loss on
    f = frame([("CHN", "USA", "811292", 10.0), ("CHN", "KOR", "811292", 100.0), ("KOR", "USA", "811292", 50.0)])
    none = propagate(f, [1.0, 1.0, 0.0], mode="none")
    casc = propagate(f, [1.0, 1.0, 0.0], headroom=0.0)
    assert by_importer(none, "shortfall_usd")["USA"] == 10.0
    assert by_importer(casc, "shortfall_usd")["USA"] == pytest.approx(10.0 + 50.0)  # p_KOR = 50/100
    assert casc.rows["shortfall_usd"].sum() <= none.rows["shortfall_usd"].sum() + 1e-9


def test_a_supplier_later_short_keeps_its_spare_output():
    # CHN cuts A (100) and H (100); S (exports 100 to A, imports 50 from H, spare 1.0 * 50) would sell its 50 to A
    # in round 1 and then, hit by H's pass-through in round 2, pass 50 on to A: it would both supply and cut.
    # The engine runs again without S's offers: S covers H's 50 from its own spare output.
    f = frame([("CHN", "A", "811292", 100.0), ("CHN", "H", "811292", 100.0), ("S", "A", "811292", 100.0),
               ("H", "S", "811292", 50.0)])
    out = propagate(f, [1.0, 1.0, 0.0, 0.0], headroom=1.0)
    assert out.suppliers.empty
    assert by_importer(out, "substituted_usd") == pytest.approx({"A": 0.0, "H": 0.0, "S": 50.0})
    assert by_importer(out, "passed_on_usd") == pytest.approx({"A": 0.0, "H": 50.0, "S": 0.0})
    assert by_importer(out, "shortfall_usd") == pytest.approx({"A": 100.0, "H": 50.0, "S": 0.0})


def test_a_nan_breaks_the_identity_check(monkeypatch):
    import scrisk.scenario.engine as engine

    f = pd.DataFrame({"exporter": ["CHN", "JPN", "KOR"], "importer": ["KOR", "KOR", "VNM"], "hs": "811292",
                      "value_usd": [80.0, 20.0, 50.0]})
    real = engine._cascade

    def broken(*args, **kwargs):  # a NaN in one country's shortfall: max() must not drop it
        got = list(real(*args, **kwargs))
        got[0] = got[0].copy()
        got[0][np.flatnonzero(got[0])[:1]] = np.nan
        return tuple(got)

    monkeypatch.setattr(engine, "_cascade", broken)
    with pytest.raises(RuntimeError, match="conservation"):
        engine.propagate(f, [1.0, 0.0, 0.0], headroom=0.5)
    monkeypatch.undo()
    assert engine.propagate(f, [1.0, 0.0, 0.0], headroom=0.5).conservation_error <= engine.CONSERVATION_LIMIT
