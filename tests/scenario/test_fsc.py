"""The Food Shock Cascade mode: hand-worked networks, the reference loop transcribed, properties (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scrisk.scenario.fsc import ALL_EQUAL_TOLERANCE, all_equal_numeric, run_fsc, simulate_product

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------------------
# hand-worked examples (figures derived by hand in the comments)


def test_production_decline_passes_down_a_chain():
    # 0 (P 100, C0 60) -> 1 (40; C0 30, reserves 20, 10 accessible) -> 2 (10; C0 10)
    E = np.array([[0, 40.0, 0], [0, 0, 10.0], [0, 0, 0]])
    out = simulate_product(E, np.array([100.0, 0, 0]), np.array([0, 20.0, 0]), decline=np.array([0.5, 0, 0]))
    # round 1: 0 needs 50, T0 = 40 -> p0 = 1, exports cut to 0, 1 now needs 40
    # round 2: 1 draws 10 (R1 = 0), needs 30, T1 = 10 -> p1 = 1, 2 needs 10; round 3: no change -> stop
    assert out.iterations == 3 and out.converged
    assert out.C0.tolist() == [60.0, 30.0, 10.0]
    assert out.C.tolist() == pytest.approx([50.0, 10.0, 0.0])
    assert out.shortage.tolist() == pytest.approx([10.0, 20.0, 10.0])
    assert out.R_after.tolist() == pytest.approx([0.0, 10.0, 0.0])
    assert out.E.sum() == 0.0


def four_countries():
    # A (P 100) -> B 60, A -> C 20; D (P 80, reserves 40) -> B 30, D -> C 30; B -> C 10
    names = ["A", "B", "C", "D"]
    E = np.zeros((4, 4))
    for (i, j), v in {("A", "B"): 60, ("A", "C"): 20, ("D", "B"): 30, ("D", "C"): 30, ("B", "C"): 10}.items():
        E[names.index(i), names.index(j)] = v
    return names, E, np.array([100.0, 0, 0, 80.0]), np.array([0, 0, 0, 40.0])


def test_export_ban_kept_by_the_restricting_country_hand_worked():
    names, E, P, R = four_countries()
    cut = np.zeros((4, 4))
    cut[0, 1] = 1.0  # A bans B
    trace = []
    out = simulate_product(E, P, R, cut=cut, trace=trace)
    # C0 = (20, 80, 60, 20); A keeps 60 (accessible); B short 60.
    # r1: T_B = 10 + 30 -> p_B = 1: B->C = 0, D->B = 60.  s = (0, 20, 10, 30)
    # r2: D draws 20; frozen B, C, D; p_C = 10/20, p_D = 10/90: A->C 30, D->B 53.33, D->C 26.67
    # r3: A draws 10; p_C = (10/3)/30: A->C 33.33; r4: A draws 3.33; no change -> stop
    assert out.iterations == 4
    assert out.C0.tolist() == [20.0, 80.0, 60.0, 20.0]
    assert out.kept.tolist() == [60.0, 0.0, 0.0, 0.0]
    assert out.C.tolist() == pytest.approx([20.0, 160 / 3, 60.0, 20.0])
    assert out.shortage.tolist() == pytest.approx([0.0, 80 / 3, 0.0, 0.0], abs=1e-12)
    assert out.drawn.tolist() == pytest.approx([40 / 3, 0.0, 0.0, 20.0])
    assert out.R_after.tolist() == pytest.approx([140 / 3, 0.0, 0.0, 20.0])
    assert out.E[0, 1] == 0.0  # the banned link never grows back
    assert out.E[0, 2] == pytest.approx(100 / 3) and out.E[3, 1] == pytest.approx(160 / 3)
    assert len(trace) == 4 and trace[0]["p"].tolist() == [0.0, 1.0, 0.0, 0.0]


def test_partial_cut_link_does_not_grow_back():
    names, E, P, R = four_countries()
    cut = np.zeros((4, 4))
    cut[0, 1] = 0.5  # A halves its exports to B, keeps 30
    out = simulate_product(E, P, R, cut=cut)
    assert out.kept[0] == 30.0
    assert out.E[0, 1] == pytest.approx(30.0)  # B's requests go to D only
    assert out.shortage[0] == pytest.approx(0.0, abs=1e-9)


def test_run_fsc_frame_api_and_allies():
    f = pd.DataFrame({"exporter": ["A", "A", "D", "D", "B"], "importer": ["B", "C", "B", "C", "C"],
                      "hs": "811292", "value_usd": [60.0, 20.0, 30.0, 30.0, 10.0]})
    prod = pd.DataFrame({"country": ["A", "D"], "hs": "811292", "production": [100.0, 80.0]})
    res = pd.DataFrame({"country": ["D"], "hs": "811292", "reserves": [40.0]})
    out = run_fsc(f, [1.0, 0, 0, 0, 0], production=prod, reserves=res)
    r = out.rows.set_index("country")
    assert float(r.loc["B", "consumption_ratio"]) == pytest.approx(2 / 3)
    assert float(r.loc["B", "consumption_loss"]) == pytest.approx(80 / 3)
    assert float(r.loc["A", "restricted_kept"]) == 60.0 and float(r.loc["A", "exports_after"]) == pytest.approx(100 / 3)
    assert out.iterations == {"811292": 4} and out.converged == {"811292": True}
    # only D may export more: A's kept 60 stays home; r2: D draws 20 and cuts 10/90 of its exports,
    # C (no unfrozen supplier) keeps 10 + 30/9 short, B 80 - 60 * 8/9
    allied = run_fsc(f, [1.0, 0, 0, 0, 0], production=prod, reserves=res, allies=["D"]).rows.set_index("country")
    assert float(allied.loc["A", "exports_after"]) == pytest.approx(20.0)
    assert float(allied.loc["C", "shortage"]) == pytest.approx(40 / 3)
    assert float(allied.loc["B", "shortage"]) == pytest.approx(80 / 3)


def test_production_lifted_to_net_exports():
    # no production given: a net exporter gets P = X - I so that consumption is never negative
    f = pd.DataFrame({"exporter": ["A", "B"], "importer": ["B", "C"], "hs": "260400", "value_usd": [50.0, 20.0]})
    r = run_fsc(f, [0.0, 0.0]).rows.set_index("country")
    assert r["production"].to_dict() == {"A": 50.0, "B": 0.0, "C": 0.0}
    assert r["consumption_before"].to_dict() == {"A": 0.0, "B": 30.0, "C": 20.0}
    assert r["consumption_loss"].abs().max() == 0.0


def test_all_equal_numeric_is_rs_rule():
    # R: all.equal(c(1, 2, 3), c(1, 2, 3 + 3e-8)) -> relative over differing entries: 3e-8 / 3 = 1e-8 -> TRUE
    assert all_equal_numeric(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0 + 3e-8]))
    assert not all_equal_numeric(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0 + 6e-8]))
    # absolute when the target's mean over differing entries is tiny
    assert all_equal_numeric(np.array([0.0]), np.array([1e-9]))
    assert not all_equal_numeric(np.array([1.0, np.nan]), np.array([1.0, 1.0]))


# ---------------------------------------------------------------------------
# the reference loop, transcribed line by line (element loops, no shared code with the engine)


def _r_supply(net):
    n = net["nc"]
    out = []
    for c in range(n):
        imports = sum(net["E"][i][c] for i in range(n))
        exports = sum(net["E"][c][j] for j in range(n))
        out.append(net["P"][c] + imports - exports - net["dR"][c])
    return out


def _r_update_shortage(net):
    sup = _r_supply(net)
    net["shortage"] = [net["C"][c] - sup[c] for c in range(net["nc"])]
    assert not any(s < -1 for s in net["shortage"]), "Negative shortage."
    return net


def _r_absorb_tiny(net, eps=1e-5):
    net["C"] = [C - (s if s < eps * C else 0.0) for C, s in zip(net["C"], net["shortage"])]
    return _r_update_shortage(net)


def _r_draw_reserves(net):
    need, avail = net["shortage"], net["R"]
    take = [min(a, b) for a, b in zip(need, avail)]
    net["dR"] = [x - t for x, t in zip(net["dR"], take)]
    net["R"] = [x - t for x, t in zip(net["R"], take)]
    return _r_update_shortage(net)


def _r_cut_consumption(net, amount):
    net["C"] = [C - a for C, a in zip(net["C"], amount)]
    return _r_update_shortage(net)


def _r_realloc(net):
    n, E = net["nc"], net["E"]
    need = net["shortage"]
    freeze = [r == 0 for r in net["R"]]
    t_avail = [sum(E[c][j] for j in range(n)) + sum(E[i][c] for i in range(n) if not freeze[i]) for c in range(n)]
    prop = [0.0 if t_avail[c] == 0 else min(need[c] / t_avail[c], 1.0) for c in range(n)]
    net["E"] = [[(1 + (0.0 if freeze[i] else 1.0) * prop[j] - prop[i]) * E[i][j] for j in range(n)] for i in range(n)]
    return _r_update_shortage(net)


def _r_all_equal(a, b, tol=1.4901161193847656e-08):
    t = [x for row in a for x in row]
    c = [x for row in b for x in row]
    diff = [(x, y) for x, y in zip(t, c) if x != y]
    if not diff:
        return True
    xy = sum(abs(x - y) for x, y in diff) / len(diff)
    xn = sum(abs(x) for x, _ in diff) / len(diff)
    if xn > tol:
        xy /= xn
    return xy <= tol


def _r_sim_cascade_pta(net, dP, rfrac=0.5, cfrac=0.0, kmax=1200):
    net = dict(net)
    net["P"] = [p + d for p, d in zip(net["P"], dP)]
    net["shortage"] = [-d for d in dP]
    net["R"] = [rfrac * r for r in net["R"]]
    k_run = 0
    for k in range(1, kmax + 1):
        k_run = k
        new = dict(net)
        new = _r_draw_reserves(new)
        new = _r_cut_consumption(new, [cfrac * s for s in new["shortage"]])
        new = _r_absorb_tiny(new)
        new = _r_realloc(new)
        if _r_all_equal(net["E"], new["E"]):
            net = new
            break
        net = new
    net["C"] = _r_supply(net)
    net["k"] = k_run
    return net


def _r_main_first_year(E0, P0, R0, frac_decline):
    """main.R, one time step: trade_dat from P0, R0, E0; dP = -FracLoss * P0; Rout = Rcurrent + dR."""
    n = len(P0)
    trade = {"P": list(P0), "R": list(R0), "E": [list(r) for r in E0], "nc": n, "dR": [0.0] * n}
    trade["C"] = _r_supply(trade)
    trade["shortage"] = [0.0] * n
    dP = [-f * p for f, p in zip(frac_decline, P0)]
    res = _r_sim_cascade_pta(trade, dP)
    return {
        "P": res["P"], "R": [r + d for r, d in zip(R0, res["dR"])], "shortage": res["shortage"],
        "C_C0": [c / c0 for c, c0 in zip(res["C"], trade["C"])], "E": res["E"], "k": res["k"],
    }


def _reference_example(seed, n=6):
    rng = np.random.default_rng(seed)
    E = rng.uniform(5, 100, size=(n, n)) * (rng.uniform(size=(n, n)) < 0.6)
    np.fill_diagonal(E, 0.0)
    net_exports = E.sum(axis=1) - E.sum(axis=0)
    P = np.maximum(net_exports, 0) + rng.uniform(10, 200, size=n)
    R = rng.uniform(0, 80, size=n) * (rng.uniform(size=n) < 0.6)
    dec = np.where(rng.uniform(size=n) < 0.4, rng.uniform(0.05, 0.9, size=n), 0.0)
    dec[0] = 0.5
    return E, P, R, dec


def _compare(out, ref, E):
    rel = dict(rel=1e-6, abs=1e-6 * float(E.sum()))
    assert out.P.tolist() == pytest.approx(ref["P"], **rel)
    assert out.R_after.tolist() == pytest.approx(ref["R"], **rel)
    assert out.shortage.tolist() == pytest.approx(ref["shortage"], **rel)
    assert (out.C / out.C0).tolist() == pytest.approx(ref["C_C0"], rel=1e-6)
    assert out.E.ravel().tolist() == pytest.approx(np.array(ref["E"]).ravel().tolist(), **rel)


SEEDS = [1, 2, 3, 7, 11, 13, 17]


@pytest.mark.parametrize("seed", SEEDS)
def test_first_year_equals_the_reference_loop_with_its_exact_zeros(seed):
    E, P, R, dec = _reference_example(seed)
    ref = _r_main_first_year(E.tolist(), P.tolist(), R.tolist(), dec.tolist())
    out = simulate_product(E, P, R, decline=dec, reference_rounding=True)
    assert out.iterations == ref["k"]
    _compare(out, ref, E)
    assert out.error <= 1e-9


def _noise_events(E, P, R, dec):
    """Rounds in which the literal reference loop turns a rounding residue into reserves (R grows from 0)."""
    events = []
    orig = _r_draw_reserves

    def spy(net):
        before = list(net["R"])
        net = orig(net)
        events.extend(c for c, (a, b) in enumerate(zip(before, net["R"])) if b > a)
        return net

    globals()["_r_draw_reserves"] = spy
    try:
        _r_main_first_year(E.tolist(), P.tolist(), R.tolist(), dec.tolist())
    finally:
        globals()["_r_draw_reserves"] = orig
    return events


@pytest.mark.parametrize("seed", SEEDS)
def test_first_year_equals_the_reference_loop_with_rounding_guards(seed):
    # the default engine equals the reference wherever the reference's result does not hinge on a rounding residue
    E, P, R, dec = _reference_example(seed)
    ref = _r_main_first_year(E.tolist(), P.tolist(), R.tolist(), dec.tolist())
    out = simulate_product(E, P, R, decline=dec)
    if not _noise_events(E, P, R, dec):
        _compare(out, ref, E)
        return
    try:  # the literal loop turned a rounding residue into reserves; often harmless
        _compare(out, ref, E)
    except AssertionError:
        pytest.skip("the reference's own result hinges on a rounding residue here (see the next test)")


def test_rounding_residue_changes_the_reference_result_not_the_guarded_one():
    # seed 3: a shortage of -5.7e-14 left by rounding becomes reserves (pmin(need, R)), which unfreezes a country
    E, P, R, dec = _reference_example(3)
    assert _noise_events(E, P, R, dec)
    lit = [simulate_product(E * f, P * f, R * f, decline=dec, reference_rounding=True) for f in (1.0, 10.0, 0.37)]
    gua = [simulate_product(E * f, P * f, R * f, decline=dec) for f in (1.0, 10.0, 0.37)]
    spread = lambda runs: max(float(np.abs(o.shortage / f - runs[0].shortage).max())  # noqa: E731
                              for o, f in zip(runs, (1.0, 10.0, 0.37)))
    assert spread(gua) <= 1e-9 * float(E.sum())  # the guarded engine does not depend on the unit
    assert spread(lit) > 1e-3 * float(E.sum())  # the literal rule does
    # and the guarded comparison above is not vacuous: some examples have no rounding event at all
    assert sum(1 for seed in SEEDS if not _noise_events(*_reference_example(seed))) >= 2


def test_reference_example_has_real_cascade_dynamics():
    # the comparison above is not trivial: several rounds, reserves drawn, trade moved
    E, P, R, dec = _reference_example(1)
    out = simulate_product(E, P, R, decline=dec)
    assert out.iterations >= 3
    assert out.drawn.sum() > 0 and np.abs(out.E - out.E0).sum() > 0


# ---------------------------------------------------------------------------
# properties


@st.composite
def fsc_networks(draw):
    n = draw(st.integers(3, 6))
    E = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i != j and draw(st.booleans()):
                E[i, j] = float(draw(st.integers(1, 500)))
    P = np.array([float(draw(st.integers(0, 800))) for _ in range(n)])
    P = np.maximum(P, E.sum(axis=1) - E.sum(axis=0))
    R = np.array([float(draw(st.sampled_from([0, 0, 10, 100, 1000]))) for _ in range(n)])
    restricters = draw(st.sets(st.integers(0, n - 1), min_size=1, max_size=2))
    cut = np.zeros((n, n))
    level = draw(st.sampled_from([0.25, 0.5, 1.0]))
    for i in restricters:
        targets = draw(st.sets(st.integers(0, n - 1), min_size=1))
        for j in targets:
            cut[i, j] = level
    dec = np.array([draw(st.sampled_from([0.0, 0.0, 0.3, 1.0])) for _ in range(n)])
    access = draw(st.sampled_from([0.0, 0.5, 1.0]))
    return E, P, R, cut, dec, access, sorted(restricters)


@SETTINGS
@given(fsc_networks())
def test_restricting_country_is_never_short(net):
    # one restricting country (any targets, any cut): the system's shortage never exceeds what it kept, which it
    # holds as accessible reserves, so it covers any loss passed back to it. (With several restricting countries
    # one can be short of what ANOTHER restricts; that is not this property.)
    E, P, R, cut, _, access, restricters = net
    i = restricters[0]
    only = np.zeros_like(cut)
    only[i] = cut[i]
    out = simulate_product(E, P, R, cut=only, access=access)
    # up to what the last round moves under the reference's stopping rule (all.equal, 1.5e-8 relative)
    tol = 2 * ALL_EQUAL_TOLERANCE * max(float(E.sum()), 1.0)
    assert out.converged
    assert out.shortage[i] <= tol
    assert out.C[i] >= out.C0[i] - tol


@SETTINGS
@given(fsc_networks())
def test_no_country_cuts_deliveries_and_supplies_extra_in_one_round(net):
    E, P, R, cut, dec, access, _ = net
    trace = []
    out = simulate_product(E, P, R, cut=cut, decline=dec, access=access, trace=trace)
    assert out.mixed_rounds == 0
    for t in trace:
        up = (t["E_after"] > t["E_before"]).any(axis=1)
        down = (t["E_after"] < t["E_before"]).any(axis=1)
        assert not (up & down).any(), t["round"]


@SETTINGS
@given(fsc_networks())
def test_conservation_identities_hold(net):
    E, P, R, cut, dec, access, _ = net
    out = simulate_product(E, P, R, cut=cut, decline=dec, access=access)
    scale = max(float(E.sum()), float(P.sum()), 1.0)
    assert out.error <= 1e-9
    # independently of the engine's own check: shock = consumption loss + drawn - kept
    shock = float((dec * P).sum())
    assert float((out.C0 - out.C).sum() + out.drawn.sum() - out.kept.sum()) == pytest.approx(shock, abs=1e-9 * scale)
    assert out.E.sum(axis=0).sum() == pytest.approx(out.E.sum(axis=1).sum(), abs=1e-9 * scale)
    assert (out.E >= 0).all() and (out.R_after >= -1e-9 * scale).all()
    assert (out.E[cut > 0] <= (E * (1 - cut))[cut > 0] * (1 + 1e-12)).all()


def test_a_nan_or_infinite_identity_is_an_error(monkeypatch):
    import scrisk.scenario.fsc as fsc

    with pytest.raises(ValueError, match="NaN or infinite"):
        simulate_product(np.array([[0, np.inf], [0, 0]]), np.array([1.0, 0]), np.zeros(2))
    f = pd.DataFrame({"exporter": ["A"], "importer": ["B"], "hs": "811292", "value_usd": [10.0]})
    monkeypatch.setattr(fsc, "_identity_error", lambda *a, **k: float("nan"))
    with pytest.raises(RuntimeError, match="identity"):
        fsc.run_fsc(f, [1.0])
    monkeypatch.setattr(fsc, "_identity_error", lambda *a, **k: 1e-6)
    with pytest.raises(RuntimeError, match="identity"):
        fsc.run_fsc(f, [1.0])
