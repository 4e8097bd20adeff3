r"""The shock engine: first-order exposure and the cascade (proportional reallocation with spare capacity).

Goods do not substitute across HS codes, so the engine works on each
product (one HS code of one year) separately, on its bilateral value network
:math:`F_{ij}` (USD, exporter *i* to importer *j*). All products of a run are
processed together as one vectorised computation over edge and node arrays
(numpy ``bincount``), never by Python loops over flows or products, and a
product's result does not depend on the products run with it: an
exporter-wide run (every product at once) equals its products run one at a
time, bit for bit. :func:`propagate_codes` takes flows already coded as
integers (from the flow store, :mod:`scrisk.scenario.select`);
:func:`propagate` codes a frame first.

Notation, per product
---------------------
* :math:`c_{ij} \in [0, 1]` the cut on the flow *i -> j* (the largest cut of
  the measures hitting it; 0 when none does).
* :math:`B_{ij} = c_{ij} F_{ij}` blocked flows; :math:`G = F - B` the flows left.
* :math:`M_j = \sum_i F_{ij}` baseline imports; :math:`X_i = \sum_j F_{ij}`
  baseline exports; :math:`X'_i = \sum_j G_{ij}` exports left after the cut.
* Direct loss :math:`D_j = \sum_i B_{ij}`.

Mode ``none`` (first-order exposure)
------------------------------------
Each importer loses exactly its restricted imports: shortfall :math:`= D_j`;
nothing is substituted, drawn from stock or passed on. Its total (the
blocked value) bounds the cascade's total shortfall, but not each country's:
in the cascade a country also loses what re-export hubs pass on to it.

Mode ``cascade`` (default)
--------------------------
After the Food Shock Cascade model (Marchand et al. 2016; Heslin et al.
2020), with the export restriction as the initial shock, inventories as
reserves, and spare capacity of unrestricted suppliers as the substitution
channel. Parameters: headroom *H* (default 0.10), stock months *N* (default
0), allies *A* (default: any supplier), iteration cap *K* (default 100),
tolerance :math:`\varepsilon = 10^{-12}`.

Fixed for the whole run:

* stock :math:`S_j = (N / 12)\, M_j + K^{kept}_j`, where
  :math:`K^{kept}_j = \sum_k B_{jk}` is what a restricting country blocks:
  it stays with it, as in the Food Shock Cascade model;
* spare capacity :math:`K_i = H \max(0, X_i - M_i)`: the headroom applies to a
  supplier's net exports of the product, its output beyond what it imports,
  so a pure re-export hub (exports = imports) adds no capacity of its own;
  it is shared by every requester over all rounds;
* substitution links :math:`\mathcal{A}_j = \{i : F_{ij} > 0,\ c_{ij} = 0,\ i \in A,\ K_i > 0\}`:
  existing links only, never a link cut by a measure (a restricted exporter
  cannot supply the targets it is cut from, but can supply others), with
  weights :math:`w_{ij} = F_{ij} / \sum_{k \in \mathcal{A}_j} F_{kj}`;
* pass-through share :math:`p_j = \min(1, X''_j / (P_j + M_j))`: a country
  short of the product rations its supply :math:`P_j + M_j` over its uses in
  proportion, so its customers bear the export share of its unmet need, spread
  in proportion to the flows left, :math:`G_{jk} / X''_j`. Here
  :math:`X''_j` counts the flows left to countries that do not restrict the
  product (a restricting country receives no pass-back of it), and
  :math:`P_j` is its production (``production``), at least its net exports
  :math:`\max(0, X_j - M_j)`. Without production data a net exporter is
  assumed to consume none of the product and passes its whole unmet need
  on; with production it keeps its domestic share as shortfall. A pure
  re-export hub (:math:`P = 0`) passes on :math:`X''_j / M_j` as before.

Start with the deficit :math:`d^{(1)} = D`. Each round *t* is synchronous
(every country with a deficit acts at once):

1. stock: :math:`s_j = \min(d_j, S_j)`, :math:`S_j \leftarrow S_j - s_j`;
   own spare output: :math:`o_j = \min(d_j - s_j, K_j)`, :math:`K_j \leftarrow K_j - o_j`,
   :math:`v_j = d_j - s_j - o_j` (a country serves its own need before
   anyone else's, so a country with a deficit left has no capacity left and
   offers no extra supply, that round or later);
2. requests on existing links: :math:`r_{ij} = w_{ij} v_j`; supplier *i* grants
   the share :math:`\theta_i = \min(1, K_i / \sum_j r_{ij})` of every request
   (capacity shared in proportion to requests when oversubscribed);
   substituted :math:`g_j = \min(v_j, \sum_i \theta_i r_{ij})` (reported with :math:`o_j`),
   :math:`K_i \leftarrow K_i - \theta_i \sum_j r_{ij}`;
3. unmet :math:`u_j = v_j - g_j`; passed on :math:`\pi_j = p_j u_j`;
   kept as shortfall :math:`u_j - \pi_j`;
4. next deficit (the customers' indirect loss):
   :math:`d^{(t+1)}_k = \sum_j \pi_j G_{jk} / X'_j`.

A product stops when its pending deficit :math:`\sum_k d^{(t+1)}_k` falls to
:math:`\varepsilon` times its blocked total, or after *K* rounds; whatever is
still pending then stays as shortfall of the country holding it, so nothing
is ever lost from the accounts.

Identities (asserted on every run; the largest relative error is reported
as ``conservation_error`` and must stay below 1e-9):

* per importer: shortfall = direct + indirect - substituted - stock drawn - passed on;
* per product: :math:`\sum_j D_j` = total shortfall + total substituted + total stock drawn
  (stock includes what restricting countries kept and used);
* per product: total indirect loss = total passed on.

Guarantees: :math:`0 \le` shortfall :math:`\le` direct + indirect for every
row; a zero cut changes nothing (zero rows, 0 iterations); a full cut in
``none`` mode equals the restricted flows; every country's shortfall is
non-increasing in the headroom and in the stock months (with more capacity,
every round's deficits are smaller element-wise and the capacity left is
larger, by induction over rounds; up to the tolerance); results do not depend
on row order (flows are sorted internally). Total shortfall is also
non-decreasing in the cut fraction (checked by property tests and on real
data rather than proved: a larger cut also changes the flows left over which
hubs pass losses on). Since every loss reaching a country arrives over its
own import links, cumulative losses never exceed its imports and the
pass-through never exceeds a hub's exports left.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import numpy as np
import pandas as pd

from scrisk.schema import EXPORTER, HS, IMPORTER, VALUE

__all__ = ["CONSERVATION_LIMIT", "DEFAULT_TOLERANCE", "ROW_COLUMNS", "SUPPLIER_COLUMNS", "CascadeOutput", "FlowCodes",
           "propagate", "propagate_codes"]

CONSERVATION_LIMIT = 1e-9
"""Largest relative conservation error tolerated before the engine reports a bug."""
DEFAULT_TOLERANCE = 1e-12
"""A product's cascade stops when its pending deficit is below this share of its blocked total."""

ROW_COLUMNS: tuple[str, ...] = (
    "importer", "hs", "baseline_usd", "direct_loss_usd", "indirect_loss_usd", "substituted_usd",
    "stock_drawn_usd", "passed_on_usd", "shortfall_usd", "shortfall_share",
)
SUPPLIER_COLUMNS: tuple[str, ...] = (
    "exporter", "hs", "baseline_exports_usd", "capacity_usd", "extra_exports_usd", "capacity_used_share",
)


@dataclass
class CascadeOutput:
    """What :func:`propagate` returns.

    Attributes
    ----------
    rows : DataFrame
        One row per (importer, hs) with baseline imports > 0: :data:`ROW_COLUMNS`,
        sorted by hs, importer.
    suppliers : DataFrame
        One row per (exporter, hs) that supplied extra (cascade only):
        :data:`SUPPLIER_COLUMNS`.
    iterations : dict
        Rounds run per HS code that had a blocked flow (0 in ``none`` mode).
    blocked_usd : dict
        Blocked value per HS code.
    unresolved_usd : float
        Deficit still pending when the iteration cap stopped a product (kept
        as shortfall of its holders).
    conservation_error : float
        Largest relative error of the identities (0.0 when nothing is blocked).
    """

    rows: pd.DataFrame
    suppliers: pd.DataFrame
    iterations: dict[str, int] = field(default_factory=dict)
    blocked_usd: dict[str, float] = field(default_factory=dict)
    unresolved_usd: float = 0.0
    conservation_error: float = 0.0


@dataclass
class FlowCodes:
    """Flows of one year as integer codes: what the engine works on.

    Attributes
    ----------
    countries, products : ndarray of str
        Sorted, distinct ISO3 codes and HS codes.
    exporter, importer, product : ndarray of int
        Per flow, the position of its exporter and importer in ``countries``
        and of its HS code in ``products``.
    value : ndarray of float
        Per flow, the value (USD).
    """

    countries: np.ndarray
    products: np.ndarray
    exporter: np.ndarray
    importer: np.ndarray
    product: np.ndarray
    value: np.ndarray

    def __len__(self) -> int:
        return len(self.value)

    @classmethod
    def from_frame(cls, flows: pd.DataFrame) -> "FlowCodes":
        """Code a frame with the canonical ``exporter, importer, hs, value_usd`` columns.

        Integer codes come from hashing (``pd.factorize``), then ranks in
        sorted order: no sorting of strings per row.
        """
        e_codes, e_uni = pd.factorize(flows[EXPORTER])
        m_codes, m_uni = pd.factorize(flows[IMPORTER])
        h_codes, h_uni = pd.factorize(flows[HS])
        e_uni, m_uni, h_uni = (np.asarray(u, dtype=object).astype(str) for u in (e_uni, m_uni, h_uni))
        countries = np.union1d(e_uni, m_uni)
        products = np.unique(h_uni)
        ci, pix = pd.Index(countries), pd.Index(products)
        return cls(
            countries=countries,
            products=products,
            exporter=ci.get_indexer(e_uni).astype(np.int64)[e_codes],
            importer=ci.get_indexer(m_uni).astype(np.int64)[m_codes],
            product=pix.get_indexer(h_uni).astype(np.int64)[h_codes],
            value=flows[VALUE].to_numpy(dtype=float),
        )


def _bc(idx: np.ndarray, w: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(idx, weights=w, minlength=n)


def _safe_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.zeros(np.broadcast(a, b).shape, dtype=float)
    np.divide(a, b, out=out, where=b > 0)
    return out


def propagate(
    flows: pd.DataFrame,
    cut: Iterable[float] | np.ndarray,
    *,
    mode: str = "cascade",
    headroom: float = 0.10,
    stock_months: float = 0.0,
    allies: Iterable[str] | None = None,
    max_iter: int = 100,
    tolerance: float = DEFAULT_TOLERANCE,
    production: pd.DataFrame | None = None,
    trace: list | None = None,
) -> CascadeOutput:
    r"""Run the engine on the flows of one year (algorithm in the module docstring).

    Parameters
    ----------
    flows : DataFrame
        Canonical columns ``exporter, importer, hs, value_usd`` of ONE year
        (other columns are ignored). Not modified.
    cut : array-like of float
        Cut fraction in [0, 1] per row of ``flows`` (0 = not restricted).
    mode : {'cascade', 'none'}
    headroom : float
        Spare capacity of every supplier as a share of its baseline net exports (>= 0).
    stock_months : float
        Importers' stocks in months of their baseline imports (>= 0).
    allies : iterable of str, optional
        ISO3 codes of the only countries allowed to substitute; None = any.
    max_iter : int
        Iteration cap (>= 1).
    tolerance : float
        Stop a product when its pending deficit is below this share of its
        blocked total.
    production : DataFrame, optional
        Columns ``country, hs, production`` (same unit as the flows): used by
        the pass-through share; default each country's net exports.
    trace : list, optional
        When given, one dict of node arrays per round is appended
        (``extra``: supplied to others, ``unmet``: deficit left after stock,
        own capacity and substitution).

    Returns
    -------
    CascadeOutput

    Raises
    ------
    ValueError
        Bad parameter or cut values, or infinite flow values (a programming
        error; the CLI checks options first, readers reject such values).
    RuntimeError
        An identity is broken by more than :data:`CONSERVATION_LIMIT`, or is
        not finite (a bug).

    Examples
    --------
    China (restricted) and Japan supply Korea; Korea re-exports to Vietnam.

    >>> f = pd.DataFrame({"exporter": ["CHN", "JPN", "KOR"], "importer": ["KOR", "KOR", "VNM"],
    ...                   "hs": ["811292"] * 3, "value_usd": [80.0, 20.0, 50.0]})
    >>> out = propagate(f, [1.0, 0.0, 0.0], mode="none")
    >>> out.rows.set_index("importer")["shortfall_usd"].to_dict()
    {'KOR': 80.0, 'VNM': 0.0}
    >>> out = propagate(f, [1.0, 0.0, 0.0], headroom=0.5)
    >>> kor = out.rows.set_index("importer").loc["KOR"]
    >>> float(kor.substituted_usd), float(kor.passed_on_usd), float(kor.shortfall_usd)
    (10.0, 35.0, 35.0)
    >>> float(out.rows.set_index("importer").loc["VNM", "shortfall_usd"]), out.iterations
    (35.0, {'811292': 2})
    """
    if mode not in ("none", "cascade"):
        raise ValueError(f"mode must be 'none' or 'cascade', not {mode!r}")
    if not (headroom >= 0) or not (stock_months >= 0) or int(max_iter) < 1 or not (tolerance >= 0):
        raise ValueError("headroom and stock_months must be >= 0, max_iter >= 1, tolerance >= 0")
    cut_arr = np.asarray(cut, dtype=float).reshape(-1)
    if len(cut_arr) != len(flows):
        raise ValueError(f"cut has {len(cut_arr)} values for {len(flows)} flows")
    if len(cut_arr) and (np.isnan(cut_arr).any() or cut_arr.min() < 0 or cut_arr.max() > 1):
        raise ValueError("cut fractions must be within [0, 1]")

    value = flows[VALUE].to_numpy(dtype=float)
    if len(value) and not np.isfinite(value[~np.isnan(value)]).all():
        raise ValueError("flow values hold infinite numbers; the shock engine needs finite values")
    codes = FlowCodes.from_frame(flows)
    return propagate_codes(codes, cut_arr, mode=mode, headroom=headroom, stock_months=stock_months, allies=allies,
                           max_iter=max_iter, tolerance=tolerance, production=production, trace=trace)


def propagate_codes(
    codes: "FlowCodes",
    cut: np.ndarray,
    *,
    mode: str = "cascade",
    headroom: float = 0.10,
    stock_months: float = 0.0,
    allies: Iterable[str] | None = None,
    max_iter: int = 100,
    tolerance: float = DEFAULT_TOLERANCE,
    production: pd.DataFrame | None = None,
    trace: list | None = None,
) -> CascadeOutput:
    """:func:`propagate` on flows already coded as integers (:class:`FlowCodes`): no strings per flow.

    This is the entry point for exporter-wide runs, whose flows come from the
    flow store as integer codes (:func:`scrisk.scenario.select.select_flows`).
    Parameters and result as :func:`propagate`; ``cut`` has one value per flow.

    Examples
    --------
    >>> c = FlowCodes(np.array(["CHN", "JPN", "KOR", "VNM"]), np.array(["811292"]), np.array([0, 1, 2]),
    ...               np.array([2, 2, 3]), np.array([0, 0, 0]), np.array([80.0, 20.0, 50.0]))
    >>> propagate_codes(c, np.array([1.0, 0.0, 0.0]), headroom=0.5).iterations
    {'811292': 2}
    """
    if mode not in ("none", "cascade"):
        raise ValueError(f"mode must be 'none' or 'cascade', not {mode!r}")
    if not (headroom >= 0) or not (stock_months >= 0) or int(max_iter) < 1 or not (tolerance >= 0):
        raise ValueError("headroom and stock_months must be >= 0, max_iter >= 1, tolerance >= 0")
    cut_arr = np.asarray(cut, dtype=float).reshape(-1)
    if len(cut_arr) != len(codes):
        raise ValueError(f"cut has {len(cut_arr)} values for {len(codes)} flows")
    if len(cut_arr) and (np.isnan(cut_arr).any() or cut_arr.min() < 0 or cut_arr.max() > 1):
        raise ValueError("cut fractions must be within [0, 1]")
    value = np.asarray(codes.value, dtype=float)
    if len(value) and not np.isfinite(value[~np.isnan(value)]).all():
        raise ValueError("flow values hold infinite numbers; the shock engine needs finite values")
    countries, products = pd.Index(codes.countries), pd.Index(codes.products)
    ei, mi, pi = (np.asarray(a) for a in (codes.exporter, codes.importer, codes.product))
    keep = (value > 0) & (ei != mi)  # a country does not trade with itself; readers drop these already
    if not keep.all():
        value, cut_arr, ei, mi, pi = value[keep], cut_arr[keep], ei[keep], mi[keep], pi[keep]
    del keep
    C = max(len(countries), 1)

    # canonical order (row-order independence); repeated keys (not in a valid table) are added up
    key = (pi.astype(np.int64) * C + ei) * C + mi
    del ei, mi, pi
    if len(key) < 2 or bool((key[1:] >= key[:-1]).all()):  # already in order (flows from the flow store)
        ukey, F, Bv = key, value, value * cut_arr
    else:
        order = np.argsort(key, kind="stable")
        ukey = key[order]
        F = value[order]
        Bv = F * cut_arr[order]
        del order
    del key
    first = np.ones(len(ukey), dtype=bool)
    first[1:] = ukey[1:] != ukey[:-1]
    if not first.all():
        starts = np.flatnonzero(first)
        ukey, F, Bv = ukey[starts], np.add.reduceat(F, starts), np.add.reduceat(Bv, starts)
    del first
    uncut = Bv == 0  # the cut on the flow is 0 (F > 0 here)
    Bv = np.minimum(Bv, F)
    G = F - Bv

    # node = (product, country): dense ids p * C + c when that space is small, else the pairs present
    P = len(products)
    src_key = ukey // C  # p * C + exporter
    dst_key = ukey // (C * C) * C + ukey % C  # p * C + importer
    del ukey
    if P * C <= max(4 * len(src_key), 1 << 20):
        n = P * C
        idt = np.int32 if n < 2**31 else np.int64  # node ids of the edges: half the memory where they fit
        src, dst = src_key.astype(idt), dst_key.astype(idt)
        node_p, node_c = np.arange(n) // C, np.arange(n) % C
    else:
        nkey, ninv = np.unique(np.concatenate([src_key, dst_key]), return_inverse=True)
        n = len(nkey)
        src, dst = ninv[: len(src_key)], ninv[len(src_key):]
        node_p, node_c = nkey // C, nkey % C
    del src_key, dst_key

    M = _bc(dst, F, n)
    X = _bc(src, F, n)
    direct = _bc(dst, Bv, n)
    kept = _bc(src, Bv, n)  # what each restricting country blocks, and keeps
    restricter = kept > 0
    prod = np.zeros(n)
    if production is not None and len(production):
        pp = products.get_indexer(production["hs"].astype(str))
        cc = countries.get_indexer(production["country"].astype(str))
        ok = (pp >= 0) & (cc >= 0)
        keys = pp[ok].astype(np.int64) * C + cc[ok]
        vals = production["production"].to_numpy(dtype=float)[ok]
        if n == P * C:
            np.add.at(prod, keys, vals)
        else:
            pos = np.searchsorted(nkey, keys)
            hit = (pos < n) & (nkey[np.minimum(pos, n - 1)] == keys)
            np.add.at(prod, pos[hit], vals[hit])
    supply = np.maximum(prod, np.maximum(X - M, 0.0)) + M  # P + M, P at least the net exports
    blocked_p = _bc(node_p, direct, P) if P else np.zeros(0)

    stock = np.zeros(n)
    subst = np.zeros(n)
    passed = np.zeros(n)
    indirect = np.zeros(n)
    extra = np.zeros(n)
    rounds = np.zeros(P, dtype=np.int64)
    unresolved = 0.0

    if mode == "none":
        short = direct.copy()
    else:
        ally = np.ones(C, dtype=bool)
        if allies is not None:
            ally = np.asarray(countries.isin(list(allies)), dtype=bool) if len(countries) else ally
        no_offer = np.zeros(n, dtype=bool)
        # "does both" is judged against each product's own blocked value, so a product's result never depends on
        # the other products run with it (an exporter-wide run equals its products run one at a time)
        tiny = (1e-12 * np.maximum(blocked_p, _FLOOR_USD))[node_p] if P else np.zeros(n)
        p_start = np.searchsorted(node_p[src], np.arange(P + 1))  # edges are in product order: one range each
        net = _Network(n=n, P=P, node_p=node_p, node_c=node_c, src=src, dst=dst, F=F, G=G, uncut=uncut, p_start=p_start,
                       cap0=headroom * np.maximum(X - M, 0.0), supply=supply, restricter=restricter,
                       stock0=(stock_months / 12.0) * M + kept, direct=direct, blocked_p=blocked_p)
        del uncut, G
        short = np.zeros(n)
        pend = np.zeros(n)
        run_p = blocked_p > 0
        for _attempt in range(n + 1):
            # a country that would both supply extra and end up short (passing on or keeping a deficit) keeps
            # its spare output for itself: run again without its offers, until no country does both. Products
            # are independent, so only the products where a country did both are run again (all of them when
            # a trace is asked for, so the trace shows the last run of every product).
            if trace is not None:
                trace.clear()
                run_p = blocked_p > 0
            got = _cascade(net, run_p, ally, no_offer, max_iter=max_iter, tolerance=tolerance, trace=trace)
            nodes = got[8]
            if nodes is None:
                nodes = run_p[node_p]
                for acc, new in zip((short, stock, subst, passed, indirect, extra, pend), got[:7]):
                    acc[nodes] = new[nodes]
            else:
                for acc, new in zip((short, stock, subst, passed, indirect, extra, pend), got[:7]):
                    acc[nodes] = new
            rounds[run_p] = got[7][run_p]
            both = (extra > tiny) & (passed + short > tiny)
            if not both.any():
                break
            no_offer |= both
            run_p = _bc(node_p, both.astype(float), P) > 0
        unresolved = float(pend.sum())

    cap0 = (headroom if mode == "cascade" else 0.0) * np.maximum(X - M, 0.0)
    out = _assemble(countries, products, node_p, node_c, M, X, cap0, direct, indirect, subst, stock, passed, short,
                    extra)
    err = _conservation_error(node_p, P, blocked_p, direct, indirect, subst, stock, passed, short)
    if not (err <= CONSERVATION_LIMIT):  # a NaN fails too
        raise RuntimeError(f"shock engine broke conservation (relative error {err:.3g} > {CONSERVATION_LIMIT:g}); "
                           "this is a bug in scrisk, please report it with the input")
    hit = blocked_p > 0
    return CascadeOutput(
        rows=out[0],
        suppliers=out[1],
        iterations={str(products[k]): int(rounds[k]) for k in np.flatnonzero(hit)},
        blocked_usd={str(products[k]): float(blocked_p[k]) for k in np.flatnonzero(hit)},
        unresolved_usd=unresolved,
        conservation_error=err,
    )


@dataclass
class _Network:
    """The fixed arrays of one cascade run (edges in canonical order, dense or compact node ids)."""

    n: int
    P: int
    node_p: np.ndarray
    node_c: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    F: np.ndarray
    G: np.ndarray
    uncut: np.ndarray
    p_start: np.ndarray
    cap0: np.ndarray
    supply: np.ndarray
    restricter: np.ndarray
    stock0: np.ndarray
    direct: np.ndarray
    blocked_p: np.ndarray


_SPARSE = 0.5
"""A round works on the edges that carry a request or a loss when they are fewer than this share of all."""


def _live(idx: np.ndarray, weight_of: np.ndarray, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """The entries whose node (``idx``) has a non-zero ``weight_of``, when they are few; else everything.

    Dropping entries that contribute exact zeros to a sum leaves every
    ``bincount`` bit for bit the same, and a round with few deficits (an
    exporter-wide ban hits some importers of each product) touches a
    fraction of the edges.
    """
    live = weight_of[idx] > 0
    k = int(np.count_nonzero(live))
    if k > _SPARSE * len(idx):
        return (idx, *arrays)
    at = np.flatnonzero(live)
    return (idx[at], *(a[at] for a in arrays))


def _cascade(net: _Network, run_p: np.ndarray, ally: np.ndarray, no_offer: np.ndarray, *, max_iter: int,
             tolerance: float, trace: list | None):
    """Run the rounds of the cascade for the products ``run_p`` (module docstring, steps 1-4).

    Returns the node arrays ``short, stock, subst, passed, indirect, extra,
    pending at the cap``, the rounds per product and the node ids the arrays
    are for (None: every node; entries of the products not run are zero).
    When the products run hold few of the edges (a run again for the few
    products where a country both supplied and fell short), only their edges
    and nodes are taken, so such a run costs in proportion to its products.
    """
    n, P, node_p, node_c = net.n, net.P, net.node_p, net.node_c
    src, dst, F, G, uncut = net.src, net.dst, net.F, net.G, net.uncut
    cap0, supply, restricter, stock0, direct = net.cap0, net.supply, net.restricter, net.stock0, net.direct
    run_n = run_p[node_p]  # per node: its product is run (an edge's nodes are of one product)
    starts, ends = net.p_start[:-1][run_p], net.p_start[1:][run_p]
    size = int((ends - starts).sum())
    nodes = None
    if size < 0.7 * len(src) and trace is None:  # the edges of the products run (one range each) and their nodes
        lens = ends - starts
        at = np.repeat(starts - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens) + np.arange(size)
        nodes = np.flatnonzero(run_n)
        local = np.full(n, -1, dtype=src.dtype)
        local[nodes] = np.arange(len(nodes), dtype=src.dtype)
        src, dst, F, G, uncut = local[src[at]], local[dst[at]], F[at], G[at], uncut[at]
        del at, local
        node_p, node_c, no_offer = node_p[nodes], node_c[nodes], no_offer[nodes]
        cap0, supply, restricter, stock0, direct = (a[nodes] for a in (cap0, supply, restricter, stock0, direct))
        n, run_n = len(nodes), np.ones(len(nodes), dtype=bool)
    short = np.zeros(n)
    stock, subst, passed, indirect, extra = (np.zeros(n) for _ in range(5))
    rounds = np.zeros(P, dtype=np.int64)
    cap = cap0.copy()
    offers = run_n & ally[node_c] & (cap > 0) & ~no_offer
    allowed = uncut & offers[src]
    a_src, a_dst = src[allowed], dst[allowed]
    fa = F[allowed]
    a_w = _safe_div(fa, _bc(a_dst, fa, n)[a_dst])
    del fa
    has_g = (G > 0) & (run_n & ~restricter)[dst]  # no pass-back to a country restricting the product
    g_src, g_dst = src[has_g], dst[has_g]
    gg = G[has_g]
    Xg = _bc(g_src, gg, n)
    g_coef = _safe_div(gg, Xg[g_src])
    del allowed, has_g, gg
    p_share = np.minimum(1.0, _safe_div(Xg, supply))
    stock_left = stock0.copy()

    d = np.where(run_n, direct, 0.0)
    active = (net.blocked_p > 0) & run_p
    limit = tolerance * net.blocked_p
    n_active_at_compaction = int(active.sum())
    t = 0
    while active.any() and t < max_iter:
        t += 1
        rounds[active] += 1
        s = np.minimum(d, stock_left)
        stock_left -= s
        v = d - s
        own = np.minimum(v, cap)  # own spare output first: a country still short offers nothing
        cap -= own
        v = v - own
        r_dst, r_src, r_w = _live(a_dst, v, a_src, a_w)  # requests come from countries still short only
        r = v[r_dst] * r_w
        Q = _bc(r_src, r, n)
        over = Q > cap
        theta = np.ones(n)
        theta[over] = cap[over] / Q[over]
        g = r * theta[r_src]
        cap = np.where(over, 0.0, cap - Q)
        got = np.minimum(_bc(r_dst, g, n), v)
        u = v - got
        pas = p_share * u
        stock += s
        subst += got + own
        ex_round = _bc(r_src, g, n)
        extra += ex_round
        if trace is not None:
            trace.append({"round": t, "extra": ex_round, "unmet": u.copy(), "own": own.copy()})
        passed += pas
        short += u - pas
        p_src, p_dst, p_coef = _live(g_src, pas, g_dst, g_coef)  # losses pass on from hubs passing some on
        d = _bc(p_dst, pas[p_src] * p_coef, n)
        indirect += d
        pending = _bc(node_p, d, P)
        done = active & (pending <= limit)
        if done.any():
            fin = done[node_p]
            short[fin] += d[fin]
            d[fin] = 0.0
            active &= ~done
            n_act = int(active.sum())
            if n_act <= n_active_at_compaction // 2:  # drop finished products' edges
                live_n = active[node_p]
                ka, kg = live_n[a_dst], live_n[g_dst]
                a_src, a_dst, a_w = a_src[ka], a_dst[ka], a_w[ka]
                g_src, g_dst, g_coef = g_src[kg], g_dst[kg], g_coef[kg]
                n_active_at_compaction = n_act
    pend = np.zeros(n)
    if active.any():  # iteration cap: what is still pending stays with its holder
        pend = d
        short += d
    return short, stock, subst, passed, indirect, extra, pend, rounds, nodes


def _assemble(countries, products, node_p, node_c, M, X, cap0, direct, indirect, subst, stock, passed, short,
              extra) -> tuple[pd.DataFrame, pd.DataFrame]:
    imp = M > 0
    cn = np.asarray(countries, dtype=object)
    pn = np.asarray(products, dtype=object)
    rows = pd.DataFrame({
        "importer": pd.array(cn[node_c[imp]], dtype="string"),
        "hs": pd.array(pn[node_p[imp]], dtype="string"),
        "baseline_usd": M[imp],
        "direct_loss_usd": direct[imp],
        "indirect_loss_usd": indirect[imp],
        "substituted_usd": subst[imp],
        "stock_drawn_usd": stock[imp],
        "passed_on_usd": passed[imp],
        "shortfall_usd": short[imp],
    })
    rows["shortfall_share"] = rows["shortfall_usd"] / rows["baseline_usd"]
    # nodes are numbered in (hs, country) order, both sorted: rows are already sorted by hs, importer
    sup = np.flatnonzero(extra > 0)
    sup = sup[np.lexsort((node_c[sup], -extra[sup], node_p[sup]))]  # hs, extra descending, exporter
    cap = cap0[sup]
    suppliers = pd.DataFrame({
        "exporter": pd.array(cn[node_c[sup]], dtype="string"),
        "hs": pd.array(pn[node_p[sup]], dtype="string"),
        "baseline_exports_usd": X[sup],
        "capacity_usd": cap,
        "extra_exports_usd": extra[sup],
        "capacity_used_share": _safe_div(extra[sup], cap),
    })
    return rows, suppliers


_FLOOR_USD = 1e-6  # relative errors are taken against at least a millionth of a dollar


def _conservation_error(node_p, P, blocked_p, direct, indirect, subst, stock, passed, short) -> float:
    """Largest relative error of the per-country and per-product identities (NaN when any figure is not finite).

    Examples
    --------
    >>> z, one = np.zeros(1), np.ones(1)
    >>> _conservation_error(np.zeros(1, dtype=int), 1, one, one, z, z, z, z, one)
    0.0
    >>> _conservation_error(np.zeros(1, dtype=int), 1, one, one, z, z, z, z, np.array([np.nan]))
    nan
    """
    if not all(np.isfinite(a).all() for a in (blocked_p, direct, indirect, subst, stock, passed, short)):
        return float("nan")  # a NaN or an infinity breaks every identity: never let max() drop it
    loss = direct + indirect
    if not all(np.isfinite(a).all() for a in (loss, subst, stock, passed, short, blocked_p)):
        return float("nan")
    err = 0.0
    hit = loss > 0
    if hit.any():
        resid = loss - subst - stock - passed - short
        err = float(np.max(np.abs(resid[hit]) / np.maximum(loss[hit], _FLOOR_USD)))
    bad_sign = (short < -1e-12 * np.maximum(loss, 1.0)).any() or (short > loss * (1 + 1e-12) + 1e-9).any()
    if bad_sign:
        err = max(err, 1.0)
    if P:
        hp = blocked_p > 0
        if hp.any():
            absorbed = _bc(node_p, short + subst + stock, P)
            denom = np.maximum(blocked_p[hp], _FLOOR_USD)
            err = max(err, float(np.max(np.abs(blocked_p[hp] - absorbed[hp]) / denom)))
            moved = _bc(node_p, indirect - passed, P)
            err = max(err, float(np.max(np.abs(moved[hp]) / denom)))
    return err
