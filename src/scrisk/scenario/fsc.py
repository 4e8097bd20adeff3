r"""The Food Shock Cascade model (FSC), proportional trade allocation: ``--mode fsc``.

After Marchand et al. 2016 (*Environ. Res. Lett.* 11 095009) and Heslin et
al. 2020 (*Front. Sustain. Food Syst.* 4:26), following the authors'
reference implementation (repository ``mjpuma/FSC-WorldModelers``,
``main/main.R`` with ``sim_cascade_PTA`` in ``main/FSC_sim_funcs.R`` and the
component functions of ``main/FSC_component_funcs.R``). Every product (one
HS code) is simulated on its own dense export matrix :math:`E_{ij}` (exporter
*i* to importer *j*, in kg or USD).

State per country
-----------------
* :math:`P` production, :math:`R` accessible reserves, :math:`dR` change in
  reserves (negative = drawn), :math:`C` consumption;
* supply :math:`S = P + I - X - dR` with imports :math:`I_j = \sum_i E_{ij}`
  and exports :math:`X_i = \sum_j E_{ij}`; shortage :math:`s = C - S`.

Initial state: :math:`C_0 = P_0 + I_0 - X_0` (consumption equals supply
before the shock, :math:`dR = 0`).

Shock
-----
* production decline :math:`dP_i = -\delta_i P_{0,i}` (:math:`0 \le \delta \le 1`);
* export restriction with cut :math:`c_{ij}`: the blocked part
  :math:`B_{ij} = c_{ij} E_{ij}` leaves the export matrix and stays with the
  restricting country, added to its reserves as in the reference's static
  scripts (``Rcurrent[i] <- Rcurrent[i] + sum(E0[i, ])`` then
  ``E0[i, ] <- (1 - c) E0[i, ]``). Here it is booked as a reserve change
  :math:`dR_i = +\sum_j B_{ij}` (the restricting country's supply is
  unchanged) and it is fully accessible.

Then :math:`P \leftarrow P_0 + dP`, :math:`R \leftarrow f R_0 + \sum_j B_{ij}`
(accessible fraction *f*, the reference's ``rfrac``, default 0.5) and the
shortage starts at :math:`-dP + \sum_i B_{ij}`.

One round (the reference's pipe ``draw_reserves() %>% cut_consumption(cfrac
* shortage) %>% absorb_tiny_shortages() %>% realloc_trade_prop_link()``),
with the shortage recomputed as :math:`C - S` after every step:

1. draw reserves: :math:`r = \min(s, R)`, :math:`dR \leftarrow dR - r`, :math:`R \leftarrow R - r`;
2. cut consumption by :math:`c_f\, s` (the reference's ``cfrac``, default 0);
3. absorb tiny shortages: where :math:`s < \varepsilon C` (:math:`\varepsilon = 10^{-5}`),
   :math:`C \leftarrow C - s`;
4. proportional reallocation: a country is *frozen* (it refuses to export
   more) when :math:`R = 0`; :math:`T_j = X_j + \sum_{i\ \text{not frozen}} E_{ij}`,
   :math:`p_j = \min(s_j / T_j, 1)` (0 when :math:`T_j = 0`), and every link
   changes by :math:`E_{ij} \leftarrow (1 + [i\ \text{not frozen}]\, p_j - p_i)\, E_{ij}`:
   a country in need cuts its exports and asks its unfrozen suppliers for
   more, both in proportion :math:`p_j`.

Stopping rule (the reference's): after round *k*, stop when the export
matrix equals the previous round's in the sense of R's
``all.equal.numeric`` (mean relative difference over the differing entries
at most :math:`\sqrt{\epsilon_{mach}} \approx 1.49 \times 10^{-8}`), or after
``kmax`` rounds (the reference uses 50 in one version and 1200 in another;
default here 1200). Finally :math:`C \leftarrow S`.

Deliberate deviations (also in the README):

* restricted links never grow back: a link cut by a measure is excluded from
  the unfrozen suppliers of its importer (the reference only has full bans,
  where the link is 0 and so cannot grow);
* ``allies``: only these countries may export more (the rest are frozen);
* a country with a shortage left is frozen too: in the reference this
  follows from step 1 (a remaining need means :math:`R = 0` exactly) and is
  stated here so rounding can never let a country both cut its deliveries
  and supply extra in the same round;
* the reference stops with an error when a shortage falls below -1 (an
  absolute unit); here a shortage below :math:`-10^{-9}` of the product's
  total consumption raises, whatever the unit;
* production gains (negative declines) are not modelled;
* rounding guards, where the reference tests exact zeros: a shortage left
  negative by rounding draws nothing (the reference's ``pmin(need, R)``
  would add it to reserves, and a country whose reserves became 1e-14 that
  way would count as unfrozen and export more: the results then depend on
  the unit, e.g. kg against USD); it gives no proportion below 0 either;
  reserves and shortages below :math:`10^{-12}` of the product's total
  consumption count as zero when deciding who is frozen.

Identities (checked on every run; ``conservation_error`` is the largest
relative error and must stay below 1e-9; a NaN or infinity raises):

* per product, the reference's ``sim_diagnostics`` test 1:
  :math:`\sum_i(-dP_i) = \sum_i (C_{0,i} - C_i) + \sum_i (\text{drawn}_i) - \sum_i \text{kept}_i`;
* per country (test 2): :math:`C_0 - C = -dP + (I_0 - I) - (X_0 - X) + dR`
  recomputed from the matrices;
* exports after = imports after (trade only moves supply between countries);
  no export flow negative.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import numpy as np
import pandas as pd

from scrisk.schema import EXPORTER, HS, IMPORTER

__all__ = [
    "DEFAULT_ACCESS",
    "DEFAULT_EPS",
    "DEFAULT_KMAX",
    "FSC_COLUMNS",
    "FscOutput",
    "all_equal_numeric",
    "simulate_product",
    "run_fsc",
]

DEFAULT_ACCESS = 0.5
"""Accessible fraction of reserves (the reference's ``rfrac``)."""
DEFAULT_EPS = 1e-5
"""Shortages below this share of consumption are absorbed (``absorb_tiny_shortages``)."""
DEFAULT_KMAX = 1200
"""Iteration cap (``kmax`` of ``sim_cascade_PTA``)."""
ALL_EQUAL_TOLERANCE = float(np.sqrt(np.finfo(float).eps))
CONSERVATION_LIMIT = 1e-9

FSC_COLUMNS: tuple[str, ...] = (
    "country", "hs", "production", "production_after", "reserves_before", "reserves_after", "reserves_drawn",
    "restricted_kept", "imports_before", "imports_after", "exports_before", "exports_after", "consumption_before",
    "consumption_after", "consumption_loss", "consumption_ratio", "shortage",
)


def all_equal_numeric(target: np.ndarray, current: np.ndarray, tolerance: float = ALL_EQUAL_TOLERANCE) -> bool:
    """R's ``isTRUE(all.equal.numeric(target, current))`` for two arrays of one shape.

    Among the entries that differ, the mean absolute difference relative to
    the mean absolute target (absolute when that mean is at most the
    tolerance) must be at most ``tolerance``. NaN where the other is not: False.

    Examples
    --------
    >>> all_equal_numeric(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9]))
    True
    >>> all_equal_numeric(np.array([1.0, 2.0]), np.array([1.0, 2.001]))
    False
    """
    t = np.asarray(target, dtype=float).ravel()
    c = np.asarray(current, dtype=float).ravel()
    if t.shape != c.shape:
        return False
    nt, nc = np.isnan(t), np.isnan(c)
    if (nt != nc).any():
        return False
    out = nt | (t == c)
    if out.all():
        return True
    t, c = t[~out], c[~out]
    n = len(t)
    xy = float(np.sum(np.abs(t - c))) / n
    xn = float(np.sum(np.abs(t))) / n
    if np.isfinite(xn) and xn > tolerance:
        xy = xy / xn
    return bool(xy <= tolerance)  # NaN -> False


@dataclass
class ProductRun:
    """Arrays of one simulated product (indices follow the ``countries`` passed in)."""

    P0: np.ndarray
    P: np.ndarray
    R_before: np.ndarray
    R_after: np.ndarray
    drawn: np.ndarray
    kept: np.ndarray
    E0: np.ndarray
    E: np.ndarray
    C0: np.ndarray
    C: np.ndarray
    shortage: np.ndarray
    iterations: int
    converged: bool
    error: float
    mixed_rounds: int = 0


def simulate_product(
    E0: np.ndarray,
    P0: np.ndarray,
    R0: np.ndarray,
    *,
    decline: np.ndarray | None = None,
    cut: np.ndarray | None = None,
    access: float = DEFAULT_ACCESS,
    cfrac: float = 0.0,
    eps: float = DEFAULT_EPS,
    kmax: int = DEFAULT_KMAX,
    can_supply: np.ndarray | None = None,
    trace: list | None = None,
    reference_rounding: bool = False,
) -> ProductRun:
    """Run the FSC proportional trade allocation on one product (algorithm in the module docstring).

    Parameters
    ----------
    E0 : (n, n) array
        Export matrix, exporter in rows; diagonal ignored (set to 0).
    P0, R0 : (n,) arrays
        Production and (total) reserves before the shock.
    decline : (n,) array, optional
        Production decline fractions in [0, 1].
    cut : (n, n) array, optional
        Export-restriction cut per link in [0, 1].
    access : float
        Accessible fraction of reserves (``rfrac``).
    cfrac, eps, kmax
        The reference's consumption-cut fraction, tiny-shortage threshold and iteration cap.
    can_supply : (n,) bool array, optional
        Countries allowed to export more (allies); default all.
    trace : list, optional
        When given, one dict per round is appended (export matrix before and
        after the reallocation, proportions ``p``, frozen countries).
    reference_rounding : bool
        Drop the rounding guards and test exact zeros as the reference does
        (for comparisons with its outputs; results may then depend on the
        unit through rounding residues).

    Examples
    --------
    Country 0 loses half its output of 100 (consumption 60); it exports 40
    to country 1 (consumption 30, accessible reserves 10 of 20), which
    exports 10 to country 2. Round 1: 0 needs 50 and cuts all its exports
    (p = min(50/40, 1)); round 2: 1 draws its 10 and cuts all its exports
    to 2 (p = min(30/10, 1)); round 3 changes nothing.

    >>> E = np.array([[0, 40.0, 0], [0, 0, 10.0], [0, 0, 0]])
    >>> out = simulate_product(E, np.array([100.0, 0, 0]), np.array([0, 20.0, 0]), decline=np.array([0.5, 0, 0]))
    >>> out.iterations, [round(float(x), 4) for x in out.C / out.C0], out.shortage.tolist()
    (3, [0.8333, 0.3333, 0.0], [10.0, 20.0, 10.0])
    """
    n = len(P0)
    E0 = np.array(E0, dtype=float)
    np.fill_diagonal(E0, 0.0)
    P0 = np.asarray(P0, dtype=float)
    R0 = np.asarray(R0, dtype=float)
    d = np.zeros(n) if decline is None else np.asarray(decline, dtype=float)
    c = np.zeros((n, n)) if cut is None else np.asarray(cut, dtype=float)
    for name, arr in (("export matrix", E0), ("production", P0), ("reserves", R0), ("decline", d), ("cut", c)):
        if not np.isfinite(arr).all():
            raise ValueError(f"{name} holds NaN or infinite values")
    if (E0 < 0).any() or (P0 < 0).any() or (R0 < 0).any():
        raise ValueError("export matrix, production and reserves must be >= 0")
    if (d < 0).any() or (d > 1).any() or (c < 0).any() or (c > 1).any():
        raise ValueError("declines and cuts must be within [0, 1]")
    supply_ok = np.ones(n, dtype=bool) if can_supply is None else np.asarray(can_supply, dtype=bool)

    I0, X0 = E0.sum(axis=0), E0.sum(axis=1)
    C0 = P0 + I0 - X0
    B = c * E0
    kept = B.sum(axis=1)
    E = E0 - B
    open_link = c == 0  # restricted links never grow back
    dP = -d * P0
    P = P0 + dP
    R = access * R0 + kept
    R_start = R0 + kept
    dR = kept.copy()
    C = C0.copy()
    scale = max(float(np.abs(C0).sum()), float(E0.sum()), 1e-300)
    zero = 1e-12 * scale  # rounding guard: reserves or shortages below this count as none

    def supply(E_, dR_):
        return P + E_.sum(axis=0) - E_.sum(axis=1) - dR_

    def shortage_of(C_, E_, dR_):
        s = C_ - supply(E_, dR_)
        if (s < -1e-9 * scale).any() or not np.isfinite(s).all():
            raise RuntimeError("FSC: negative or non-finite shortage (a bug in scrisk, please report it)")
        return s

    s = -dP + B.sum(axis=0)
    iterations, converged, mixed = 0, False, 0
    for k in range(1, int(kmax) + 1):
        iterations = k
        E_old = E
        # draw_reserves (a shortage left negative by rounding adds nothing to reserves)
        r = np.minimum(s, R) if reference_rounding else np.minimum(np.maximum(s, 0.0), R)
        dR = dR - r
        R = R - r
        s = shortage_of(C, E, dR)
        # cut_consumption
        if cfrac:
            C = C - cfrac * s
            s = shortage_of(C, E, dR)
        # absorb_tiny_shortages
        C = C - np.where(s < eps * C, s, 0.0)
        s = shortage_of(C, E, dR)
        # realloc_trade_prop_link
        frozen = ((R == 0) | ~supply_ok) if reference_rounding else ((R <= zero) | ~supply_ok | (s > zero))
        grow = (~frozen)[:, None] & open_link
        T = E.sum(axis=1) + (E * grow).sum(axis=0)
        p = np.zeros(n)
        need = s if reference_rounding else np.where(s > zero, s, 0.0)
        np.divide(need, T, out=p, where=T != 0)
        p = np.minimum(p, 1.0) if reference_rounding else np.clip(p, 0.0, 1.0)
        extra = (grow * p[None, :] * E).sum(axis=1)
        if ((p > 0) & (extra > 0)).any():
            mixed += 1
        E_before = E
        E = (1.0 + grow * p[None, :] - p[:, None]) * E
        if trace is not None:
            trace.append({"round": k, "E_before": E_before, "E_after": E, "p": p, "frozen": frozen})
        s = shortage_of(C, E, dR)
        if all_equal_numeric(E_old, E):
            converged = True
            break
    C_end = supply(E, dR)
    drawn = kept - dR  # reserves drawn over the run
    out = ProductRun(P0=P0, P=P, R_before=R0.copy(), R_after=R0 + dR, drawn=drawn, kept=kept, E0=E0, E=E, C0=C0,
                     C=C_end, shortage=s, iterations=iterations, converged=converged, error=0.0, mixed_rounds=mixed)
    out.error = _identity_error(out, dP)
    return out


def _identity_error(o: ProductRun, dP: np.ndarray) -> float:
    """Largest relative error of the FSC identities (NaN when any term is not finite)."""
    terms = (o.C0, o.C, o.drawn, o.kept, o.E, o.E0, dP)
    if not all(np.isfinite(t).all() for t in terms):
        return float("nan")
    scale = max(float(np.abs(o.C0).sum()), float(o.E0.sum()), float(np.abs(dP).sum()), 1e-300)
    shock = float(-dP.sum())
    balance = float((o.C0 - o.C).sum() + o.drawn.sum() - o.kept.sum())
    err = abs(shock - balance) / scale
    I, X, I0, X0 = o.E.sum(axis=0), o.E.sum(axis=1), o.E0.sum(axis=0), o.E0.sum(axis=1)
    per = (o.C0 - o.C) - (-dP + (I0 - I) - (X0 - X) + (o.kept - o.drawn))
    err = max(err, float(np.max(np.abs(per), initial=0.0)) / scale)
    err = max(err, abs(float(I.sum() - X.sum())) / scale)
    if (o.E < -1e-12 * scale).any():
        err = max(err, 1.0)
    return err


@dataclass
class FscOutput:
    """What :func:`run_fsc` returns.

    Attributes
    ----------
    rows : DataFrame
        One row per (country, hs) with any trade, production or reserves: :data:`FSC_COLUMNS`.
    iterations : dict
        Rounds run per HS code.
    converged : dict
        Whether each HS code met the stopping rule before the cap.
    conservation_error : float
        Largest relative error of the identities.
    mixed_rounds : int
        Rounds in which some country cut its deliveries and supplied extra (always 0; kept for tests).
    lifted : dict
        Per HS code, the countries whose production (given, or 0 when not
        given) was raised to their net exports.
    """

    rows: pd.DataFrame
    iterations: dict[str, int] = field(default_factory=dict)
    converged: dict[str, bool] = field(default_factory=dict)
    conservation_error: float = 0.0
    mixed_rounds: int = 0
    lifted: dict[str, list[str]] = field(default_factory=dict)


def run_fsc(
    flows: pd.DataFrame,
    cut: Iterable[float] | np.ndarray,
    *,
    amount: str = "value_usd",
    production: pd.DataFrame | None = None,
    reserves: pd.DataFrame | None = None,
    decline: pd.DataFrame | None = None,
    access: float = DEFAULT_ACCESS,
    kmax: int = DEFAULT_KMAX,
    allies: Iterable[str] | None = None,
    stock_months: float = 0.0,
) -> FscOutput:
    """Run the FSC model on every product of one year of flows.

    Parameters
    ----------
    flows : DataFrame
        Canonical columns ``exporter, importer, hs`` and the ``amount`` column.
    cut : array-like
        Export-restriction cut per row of ``flows``.
    amount : str
        Column simulated: ``value_usd`` or ``qty_kg``.
    production, reserves, decline : DataFrame, optional
        Columns ``country, hs`` and ``production`` / ``reserves`` / ``decline``.
        Missing production defaults to 0; every country's production is
        raised to at least its net exports so consumption is never negative.
    access : float
        Accessible fraction of reserves.
    kmax : int
        Iteration cap.
    allies : iterable of str, optional
        Only these countries may export more.
    stock_months : float
        Reserves of every country not in ``reserves``: this many months of its
        supply before trade out, :math:`(N/12)(P_0 + I_0)`.

    Examples
    --------
    >>> f = pd.DataFrame({"exporter": ["CHN", "JPN", "KOR"], "importer": ["KOR", "KOR", "VNM"],
    ...                   "hs": "811292", "value_usd": [80.0, 20.0, 50.0]})
    >>> out = run_fsc(f, [1.0, 0.0, 0.0], reserves=pd.DataFrame({"country": ["JPN"], "hs": ["811292"],
    ...                                                         "reserves": [40.0]}))
    >>> r = out.rows.set_index("country")
    >>> float(r.loc["CHN", "restricted_kept"]), float(r.loc["CHN", "shortage"])
    (80.0, 0.0)
    >>> bool(r.loc["JPN", "exports_after"] > 20.0), out.mixed_rounds
    (True, 0)
    """
    cut_arr = np.asarray(cut, dtype=float).reshape(-1)
    if len(cut_arr) != len(flows):
        raise ValueError(f"cut has {len(cut_arr)} values for {len(flows)} flows")
    ally = None if allies is None else set(allies)
    frames, iters, conv, err, mixed, lifted = [], {}, {}, 0.0, 0, {}
    f = flows[[EXPORTER, IMPORTER, HS, amount]].copy()
    f["_cut"] = cut_arr
    f = f[(f[amount] > 0) & (f[EXPORTER] != f[IMPORTER])]

    def per_product(df, col):
        if df is None or df.empty:
            return {}
        return {h: g.groupby("country")[col].sum() for h, g in df.groupby("hs", sort=False)}

    prod_by, res_by, dec_by = per_product(production, "production"), per_product(reserves, "reserves"), \
        per_product(decline, "decline")
    hs_all = sorted(set(f[HS].astype(str)) | set(prod_by) | set(dec_by))
    for h in hs_all:
        g = f[f[HS].astype(str) == h]
        names = set(g[EXPORTER].astype(str)) | set(g[IMPORTER].astype(str))
        for src in (prod_by, res_by, dec_by):
            if h in src:
                names |= set(src[h].index.astype(str))
        countries = pd.Index(sorted(names))
        n = len(countries)
        if n == 0:
            continue
        ei = countries.get_indexer(g[EXPORTER].astype(str))
        mi = countries.get_indexer(g[IMPORTER].astype(str))
        E0 = np.zeros((n, n))
        np.add.at(E0, (ei, mi), g[amount].to_numpy(dtype=float))
        Bm = np.zeros((n, n))
        np.add.at(Bm, (ei, mi), g[amount].to_numpy(dtype=float) * g["_cut"].to_numpy(dtype=float))
        cut_m = np.zeros((n, n))
        np.divide(Bm, E0, out=cut_m, where=E0 > 0)
        cut_m = np.clip(cut_m, 0.0, 1.0)

        def vec(src, default=0.0):
            v = np.full(n, default)
            if h in src:
                s = src[h]
                v[countries.get_indexer(s.index.astype(str))] = s.to_numpy(dtype=float)
            return v

        net_exports = E0.sum(axis=1) - E0.sum(axis=0)
        given = vec(prod_by)
        P0 = np.maximum(given, np.maximum(net_exports, 0.0))
        if h in prod_by:
            up = np.flatnonzero(P0 > given)
            if len(up):
                lifted[h] = [str(countries[k]) for k in up]
        R0 = vec(res_by, default=np.nan)
        missing = np.isnan(R0)
        R0[missing] = (stock_months / 12.0) * (P0 + E0.sum(axis=0))[missing]
        dec = vec(dec_by)
        can = None if ally is None else np.asarray([c in ally for c in countries])
        run = simulate_product(E0, P0, R0, decline=dec, cut=cut_m, access=access, kmax=kmax, can_supply=can)
        iters[h], conv[h] = run.iterations, run.converged
        err = max(err, run.error) if np.isfinite(run.error) else float("nan")  # max() would drop a NaN
        mixed += run.mixed_rounds
        I0, X0, I, X = run.E0.sum(axis=0), run.E0.sum(axis=1), run.E.sum(axis=0), run.E.sum(axis=1)
        ratio = np.full(n, np.nan)
        np.divide(run.C, run.C0, out=ratio, where=run.C0 > 0)
        frames.append(pd.DataFrame({
            "country": pd.array(countries.astype(str), dtype="string"),
            "hs": pd.array([h] * n, dtype="string"),
            "production": run.P0, "production_after": run.P,
            "reserves_before": run.R_before, "reserves_after": run.R_after, "reserves_drawn": run.drawn,
            "restricted_kept": run.kept,
            "imports_before": I0, "imports_after": I, "exports_before": X0, "exports_after": X,
            "consumption_before": run.C0, "consumption_after": run.C, "consumption_loss": run.C0 - run.C,
            "consumption_ratio": ratio, "shortage": run.shortage,
        }))
        if np.isnan(err):
            break
    if not (err <= CONSERVATION_LIMIT):
        raise RuntimeError(f"FSC engine broke an identity (relative error {err:.3g}, limit {CONSERVATION_LIMIT:g}); "
                           "this is a bug in scrisk, please report it with the input")
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({c: [] for c in FSC_COLUMNS})
    return FscOutput(rows=rows[list(FSC_COLUMNS)], iterations=iters, converged=conv, conservation_error=err,
                     mixed_rounds=mixed, lifted=lifted)
