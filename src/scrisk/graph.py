"""The trade graph: countries and goods as nodes, trade and supply-chain links as edges.

Design
------
A :class:`networkx.DiGraph` derived from the flow table (the table stays the
source of truth; :func:`to_flow_frame` converts back exactly).

Nodes (ids are plain strings: ISO3 codes start with a letter, HS codes are
digits, so they never clash):

* **country** ``"KOR"``: ``kind="country"``, ``iso3``, ``label``.
* **good** ``"811292"``: ``kind="good"``, ``hs``, ``label``, ``material``
  (first basket holding the code, ``""`` if none), ``materials``
  (``;``-joined), ``stage`` (raw, refined, intermediate, downstream,
  equipment or ``""``) and ``in_data`` (False for goods that appear only
  through a basket link, e.g. heading ``"8542"``).

Edges (``kind`` attribute):

* ``"export"`` country -> good: the country's exports of the good;
* ``"import"`` good -> country: the country's imports of the good;

  both carry ``value_usd`` and ``qty_kg`` as ``{year: total}`` and the
  bilateral detail as ``partners = {year: {partner_iso3: {"value_usd": v,
  "qty_kg": q}}}`` (the importers on an export edge, the exporters on an
  import edge). Quantity totals sum the rows that report one (NaN when
  none does). Every flow is thus stored on exactly one export edge, which is
  what :func:`to_flow_frame` reads, and mirrored on one import edge for
  walking upstream.
* ``"input_to"`` good -> good: upstream -> downstream links of the material
  baskets (gallium 811292 -> GaAs wafers 381800 -> integrated circuits
  8542), with ``note`` and ``via`` (the link's codes). A link given at a
  heading (``8542``) connects to every good of the graph under it, or to a
  heading node when the data has none. Links are added when they lead
  downstream from, or upstream to, a good of the data (transitively).

Files: :func:`write_graph` writes GraphML or GEXF. Those formats hold only
scalar attributes, so per-year totals become ``value_usd_2024`` /
``qty_kg_2024`` attributes (what Gephi shows) and the bilateral detail is
kept as a JSON string ``partners_json``; :func:`read_graph` restores the
nested form, so a written graph converts back to the same flows.
"""

from __future__ import annotations

import json
import math
from collections import deque
from pathlib import Path
from typing import Any, Iterable, Mapping

import networkx as nx
import numpy as np
import pandas as pd

from scrisk.errors import UsageError
from scrisk.materials import _merged_links, _related, materials_for_hs
from scrisk.schema import BASE_COLUMNS, EXPORTER, FLOW_DTYPES, complete_flows, HS, IMPORTER, KEY_COLUMNS, QTY, VALUE, YEAR, FlowTable

__all__ = [
    "GRAPH_FORMATS",
    "build_trade_graph",
    "to_flow_frame",
    "write_graph",
    "read_graph",
    "walk_supply_chain",
    "upstream_suppliers",
    "graph_summary",
    "export_graph",
]

GRAPH_FORMATS: dict[str, str] = {".graphml": "graphml", ".gexf": "gexf"}
"""File extensions :func:`write_graph` understands."""


def _frame_and_meta(flows: FlowTable | pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    if isinstance(flows, FlowTable):
        m = flows.meta
        return flows.frame, {
            "source_format": m.source_format,
            "hs_revision": m.hs_revision or "",
            "inputs": ";".join(m.inputs),
        }
    return flows, {}


def _num(v: Any) -> float:
    return float("nan") if v is None or v is pd.NA else float(v)


def _sum_qty(qs: Iterable[float]) -> float:
    vals = [q for q in qs if not math.isnan(q)]
    return float(sum(vals)) if vals else float("nan")


def _all_links(reg: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """Every basket link once per (upstream, downstream), notes joined."""
    return [(link.upstream, link.downstream, link.note) for link in _merged_links(reg)]


def _chain_links(goods: Iterable[str], links: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Links reachable downstream from, or upstream to, the goods (transitively, direction-consistent)."""
    keep: dict[tuple[str, str], tuple[str, str, str]] = {}
    for direction in ("down", "up"):
        frontier = set(goods)
        seen = set(frontier)
        while frontier:
            nxt: set[str] = set()
            for u, d, note in links:
                src, dst = (u, d) if direction == "down" else (d, u)
                if any(_related(f, src) for f in frontier):
                    keep[(u, d)] = (u, d, note)
                    if dst not in seen:
                        nxt.add(dst)
                        seen.add(dst)
            frontier = nxt
    return [keep[k] for k in sorted(keep)]


def build_trade_graph(
    flows: FlowTable | pd.DataFrame,
    *,
    baskets: Mapping[str, Any] | str | Path | Iterable[str | Path] | None = None,
    links: bool = True,
) -> nx.DiGraph:
    """Build the country-good trade graph of a flow table (see the module docstring).

    Parameters
    ----------
    flows : FlowTable or DataFrame
        Canonical flows (not modified). Filter first (material, years):
        the graph holds every flow as Python objects.
    baskets : mapping or path(s), optional
        Basket registry or user basket files for material labels, stages and
        ``input_to`` links (default: the bundled baskets; ``{}`` for none).
    links : bool, default True
        Add the baskets' ``input_to`` links.

    Returns
    -------
    networkx.DiGraph

    Examples
    --------
    >>> f = pd.DataFrame({"year": [2024, 2024], "exporter": ["CHN", "JPN"], "importer": ["KOR", "KOR"],
    ...     "hs": ["811292", "811292"], "value_usd": [9.0, 1.0], "qty_kg": [2.0, float("nan")]})
    >>> G = build_trade_graph(f)
    >>> G.nodes["811292"]["material"], G["CHN"]["811292"]["value_usd"], G["811292"]["KOR"]["value_usd"]
    ('gallium', {2024: 9.0}, {2024: 10.0})
    >>> ("811292", "381800") in G.edges and G.edges["811292", "381800"]["kind"]
    'input_to'
    """
    from scrisk.analysis import registry

    frame, gmeta = _frame_and_meta(flows)
    reg = registry(baskets)
    revision = gmeta.get("hs_revision") or None
    G = nx.DiGraph()
    years = sorted({int(y) for y in frame[YEAR].unique()})
    G.graph.update({"kind": "scrisk trade graph", "years": ",".join(str(y) for y in years), **gmeta})

    f = frame.sort_values([EXPORTER, HS, YEAR, IMPORTER], kind="mergesort")
    exports: dict[tuple[str, str], dict[int, dict[str, dict[str, float]]]] = {}
    imports: dict[tuple[str, str], dict[int, dict[str, dict[str, float]]]] = {}
    qty = f[QTY].to_numpy(dtype="float64", na_value=np.nan) if QTY in f.columns else np.full(len(f), np.nan)
    cols = [f[c].to_numpy() for c in (YEAR, EXPORTER, IMPORTER, HS, VALUE)] + [qty]
    for y, e, i, h, v, q in zip(*cols):
        y, e, i, h = int(y), str(e), str(i), str(h)
        rec = {"value_usd": _num(v), "qty_kg": _num(q)}
        exports.setdefault((e, h), {}).setdefault(y, {})[i] = rec
        imports.setdefault((h, i), {}).setdefault(y, {})[e] = dict(rec)

    goods = sorted({h for _, h in exports} | {h for h, _ in imports})
    countries = sorted({e for e, _ in exports} | {i for _, i in imports})
    for c in countries:
        G.add_node(c, kind="country", iso3=c, label=c)
    # the revision each good's rows were reported in (one per code once the flows are in one revision)
    row_rev = {}
    if "hs_revision" in frame.columns:
        r = frame[[HS, "hs_revision"]].dropna().drop_duplicates(HS)
        row_rev = dict(zip(r[HS].astype(str), r["hs_revision"].astype(str)))
    for h in goods:
        G.add_node(h, **_good_attrs(h, reg, revision, in_data=True), hs_revision=row_rev.get(h, ""))

    def totals(partners: dict[int, dict[str, dict[str, float]]]) -> tuple[dict[int, float], dict[int, float]]:
        val = {y: float(sum(p["value_usd"] for p in d.values())) for y, d in sorted(partners.items())}
        qty = {y: _sum_qty(p["qty_kg"] for p in d.values()) for y, d in sorted(partners.items())}
        return val, qty

    for (e, h), partners in exports.items():
        val, qty = totals(partners)
        G.add_edge(e, h, kind="export", value_usd=val, qty_kg=qty, partners=partners)
    for (h, i), partners in imports.items():
        val, qty = totals(partners)
        G.add_edge(h, i, kind="import", value_usd=val, qty_kg=qty, partners=partners)

    if links and reg:
        for up, down, note in _chain_links(goods, _all_links(reg)):
            ups = [g for g in goods if g.startswith(up)] or [up]
            downs = [g for g in goods if g.startswith(down)] or [down]
            for u in ups:
                for d in downs:
                    if u == d:
                        continue
                    for n in (u, d):
                        if n not in G:
                            G.add_node(n, **_good_attrs(n, reg, revision, in_data=False))
                    G.add_edge(u, d, kind="input_to", note=note, via=f"{up}>{down}")
    return G


def _good_attrs(h: str, reg: Mapping[str, Any], revision: str | None, *, in_data: bool) -> dict[str, Any]:
    mats = materials_for_hs(h, reg, revision=revision) if reg else ()
    stage = ""
    if mats:
        for c in reg[mats[0]].codes:
            if any(x[:6] == h[:6] if len(h) >= 6 else x.startswith(h) for x in c.all_codes()):
                stage = c.stage
                break
    label = f"{h} {mats[0]}" if mats else h
    return {"kind": "good", "hs": h, "label": label, "material": mats[0] if mats else "",
            "materials": ";".join(mats), "stage": stage, "in_data": in_data}


def to_flow_frame(G: nx.DiGraph) -> pd.DataFrame:
    """Convert a trade graph back to the canonical flow frame (exact inverse of :func:`build_trade_graph`).

    Reads the bilateral detail of the ``export`` edges; rows sorted by
    (year, exporter, importer, hs).

    Examples
    --------
    >>> f = pd.DataFrame({"year": [2024], "exporter": ["CHN"], "importer": ["KOR"], "hs": ["811292"],
    ...     "value_usd": [9.0], "qty_kg": [2.0]})
    >>> to_flow_frame(build_trade_graph(f, baskets={})).values.tolist()
    [[2024, 'CHN', 'KOR', '811292', 9.0, 2.0, <NA>, <NA>]]
    """
    rows: list[tuple] = []
    for e, h, d in G.edges(data=True):
        if d.get("kind") != "export":
            continue
        for y, partners in d["partners"].items():
            for i, rec in partners.items():
                rows.append((int(y), e, i, G.nodes[h].get("hs", h), rec["value_usd"], rec["qty_kg"]))
    frame = pd.DataFrame(rows, columns=list(BASE_COLUMNS))
    if frame.empty:
        frame = pd.DataFrame({c: pd.Series(dtype=FLOW_DTYPES[c]) for c in BASE_COLUMNS})
    frame = complete_flows(frame)
    revs = {str(n): d.get("hs_revision") or None for n, d in G.nodes(data=True) if d.get("kind") == "good"}
    if len(frame) and any(revs.values()):  # each good node keeps the revision its rows were reported in
        frame["hs_revision"] = pd.Series(frame["hs"].astype(str).map(revs).to_numpy(), index=frame.index,
                                         dtype=FLOW_DTYPES["hs_revision"])
    return frame.sort_values(list(KEY_COLUMNS), kind="mergesort").reset_index(drop=True)


# ---------------------------------------------------------------------------- files


def _format_of(path: str | Path) -> str:
    ext = Path(path).suffix.lower()
    if ext not in GRAPH_FORMATS:
        raise UsageError(
            f"cannot write a graph to {Path(path).name!r}: unknown extension {ext or '(none)'!r}; "
            "use .graphml or .gexf, e.g. --out chain.graphml"
        )
    return GRAPH_FORMATS[ext]


def _jsonable_partners(partners: Mapping[int, Mapping[str, Mapping[str, float]]]) -> str:
    def clean(x: float) -> float | None:
        return None if x is None or (isinstance(x, float) and math.isnan(x)) else x

    return json.dumps(
        {str(y): {p: {"value_usd": clean(r["value_usd"]), "qty_kg": clean(r["qty_kg"])} for p, r in d.items()}
         for y, d in partners.items()},
        separators=(",", ":"), sort_keys=True,
    )


def _flat(G: nx.DiGraph) -> nx.DiGraph:
    """Copy of G with scalar attributes only (GraphML/GEXF)."""
    H = nx.DiGraph()
    H.graph.update({k: str(v) for k, v in G.graph.items()})
    for n, d in G.nodes(data=True):
        H.add_node(n, **{k: (v if isinstance(v, (bool, int, float)) else str(v)) for k, v in d.items()})
    for u, v, d in G.edges(data=True):
        attrs: dict[str, Any] = {}
        for k, val in d.items():
            if isinstance(val, dict) and k in ("value_usd", "qty_kg"):
                for y, x in val.items():
                    if not (isinstance(x, float) and math.isnan(x)):
                        attrs[f"{k}_{y}"] = float(x)
            elif k == "partners":
                attrs["partners_json"] = _jsonable_partners(val)
            elif isinstance(val, (bool, int, float)):
                attrs[k] = val
            else:
                attrs[k] = str(val)
        H.add_edge(u, v, **attrs)
    return H


def write_graph(G: nx.DiGraph, path: str | Path) -> Path:
    """Write a trade graph to ``.graphml`` or ``.gexf`` (chosen by extension).

    Raises
    ------
    UsageError
        Unknown extension (exit code 2).
    UnreadableFileError
        The file cannot be written.
    """
    from scrisk.errors import UnreadableFileError

    fmt = _format_of(path)
    H = _flat(G)
    from scrisk.serialize import atomic_output

    p = Path(path)
    try:
        with atomic_output(p) as tmp:  # a reader sees the old graph or the whole new one
            if fmt == "graphml":
                nx.write_graphml(H, tmp)
            else:
                nx.write_gexf(H, tmp)
    except OSError as exc:
        raise UnreadableFileError(f"cannot write graph: {exc.strerror}; check the folder exists and is writable",
                                  path=str(p)) from None
    return p


def read_graph(path: str | Path) -> nx.DiGraph:
    """Read a graph written by :func:`write_graph`, restoring the per-year and bilateral attributes."""
    fmt = _format_of(path)
    H = nx.read_graphml(path) if fmt == "graphml" else nx.read_gexf(path)
    G = nx.DiGraph()
    G.graph.update({k: v for k, v in H.graph.items() if k not in ("mode", "node_default", "edge_default")})
    for n, d in H.nodes(data=True):
        attrs = {k: v for k, v in d.items() if k != "id"}
        if "in_data" in attrs and isinstance(attrs["in_data"], str):
            attrs["in_data"] = attrs["in_data"].lower() == "true"
        G.add_node(str(n), **attrs)
    for u, v, d in H.edges(data=True):
        attrs: dict[str, Any] = {}
        per: dict[str, dict[int, float]] = {}
        for k, val in d.items():
            if k in ("id",):
                continue
            if k == "partners_json":
                raw = json.loads(val)
                attrs["partners"] = {
                    int(y): {p: {"value_usd": _num(r["value_usd"]), "qty_kg": _num(r["qty_kg"])} for p, r in dd.items()}
                    for y, dd in sorted(raw.items())
                }
                continue
            head, _, tail = k.rpartition("_")
            if head in ("value_usd", "qty_kg") and tail.isdigit():
                per.setdefault(head, {})[int(tail)] = float(val)
                continue
            attrs[k] = val
        if attrs.get("kind") in ("export", "import"):
            years = sorted(attrs.get("partners", {}))
            attrs["value_usd"] = {y: per.get("value_usd", {}).get(y, float("nan")) for y in years}
            attrs["qty_kg"] = {y: per.get("qty_kg", {}).get(y, float("nan")) for y in years}
        G.add_edge(str(u), str(v), **attrs)
    return G


# ---------------------------------------------------------------------------- walking


def _goods_matching(G: nx.DiGraph, hs: str) -> list[str]:
    hs = str(hs)
    if hs in G and G.nodes[hs].get("kind") == "good":
        return [hs]
    got = sorted(n for n, d in G.nodes(data=True) if d.get("kind") == "good" and str(n).startswith(hs))
    if not got:
        raise UsageError(f"HS code {hs} is not in the graph; build it from flows that include it")
    return got


def walk_supply_chain(G: nx.DiGraph, hs: str, *, direction: str = "downstream",
                      max_depth: int | None = None) -> pd.DataFrame:
    """Walk the ``input_to`` links from a good, tier by tier.

    Parameters
    ----------
    G : DiGraph
        A graph from :func:`build_trade_graph`.
    hs : str
        Starting good (HS code or prefix of goods in the graph).
    direction : {'downstream', 'upstream'}
        Towards products made from it, or towards its inputs.
    max_depth : int, optional
        Stop after this many tiers.

    Returns
    -------
    DataFrame
        ``depth, upstream, downstream, note`` (breadth first; sorted within
        a tier).

    Examples
    --------
    >>> f = pd.DataFrame({"year": [2024], "exporter": ["CHN"], "importer": ["KOR"], "hs": ["811292"],
    ...     "value_usd": [9.0], "qty_kg": [2.0]})
    >>> walk_supply_chain(build_trade_graph(f), "811292")[["depth", "upstream", "downstream"]].values.tolist()
    [[1, '811292', '381800'], [1, '811292', '8541'], [2, '381800', '8541'], [2, '381800', '8542']]
    >>> walk_supply_chain(build_trade_graph(f), "811292", direction="upstream")[["upstream", "downstream"]].values.tolist()
    [['260600', '811292']]
    """
    if direction not in ("downstream", "upstream"):
        raise UsageError(f"direction {direction!r} is not downstream or upstream")
    start = _goods_matching(G, hs)
    seen = set(start)
    queue = deque((s, 0) for s in start)
    rows: list[tuple[int, str, str, str]] = []
    while queue:
        node, depth = queue.popleft()
        if max_depth is not None and depth >= max_depth:
            continue
        if direction == "downstream":
            nbrs = [(node, w) for w in G.successors(node) if G.edges[node, w].get("kind") == "input_to"]
        else:
            nbrs = [(w, node) for w in G.predecessors(node) if G.edges[w, node].get("kind") == "input_to"]
        for u, d in sorted(nbrs):
            rows.append((depth + 1, u, d, G.edges[u, d].get("note", "")))
            nxt = d if direction == "downstream" else u
            if nxt not in seen:
                seen.add(nxt)
                queue.append((nxt, depth + 1))
    out = pd.DataFrame(rows, columns=["depth", "upstream", "downstream", "note"])
    return out.sort_values(["depth", "upstream", "downstream"], kind="mergesort").reset_index(drop=True)


def upstream_suppliers(G: nx.DiGraph, country: str, hs: str, *, year: int | None = None,
                       max_depth: int | None = None) -> pd.DataFrame:
    """List a country's suppliers of a good and of each of its inputs, tier by tier.

    Tier 0 is the good itself; tier k the goods k ``input_to`` links
    upstream of it (e.g. for integrated circuits 8542: wafers 381800 at tier
    1, gallium 811292 at tier 2). Goods the country does not import that
    year are left out.

    Parameters
    ----------
    G : DiGraph
    country : str
        ISO3 importer.
    hs : str
        Good (HS code or prefix of goods in the graph).
    year : int, optional
        Default: the latest year in the graph.
    max_depth : int, optional
        Deepest tier.

    Returns
    -------
    DataFrame
        ``tier, hs, material, exporter, value_usd, share`` (share of the
        country's imports of that good), sorted by tier, hs, value desc,
        exporter.

    Examples
    --------
    >>> f = pd.DataFrame({"year": [2024] * 3, "exporter": ["CHN", "JPN", "USA"], "importer": ["KOR"] * 3,
    ...     "hs": ["811292", "381800", "381800"], "value_usd": [9.0, 3.0, 1.0]})
    >>> upstream_suppliers(build_trade_graph(f), "KOR", "381800")[["tier", "hs", "exporter", "share"]].values.tolist()
    [[0, '381800', 'JPN', 0.75], [0, '381800', 'USA', 0.25], [1, '811292', 'CHN', 1.0]]
    """
    starts = _goods_matching(G, hs)
    tiers: dict[str, int] = {s: 0 for s in starts}
    queue = deque(starts)
    while queue:
        node = queue.popleft()
        t = tiers[node]
        if max_depth is not None and t >= max_depth:
            continue
        for w in sorted(G.predecessors(node)):
            if G.edges[w, node].get("kind") == "input_to" and w not in tiers:
                tiers[w] = t + 1
                queue.append(w)
    if year is None:
        ys = [int(y) for y in str(G.graph.get("years", "")).split(",") if y]
        year = max(ys) if ys else None
    rows: list[tuple] = []
    for good, t in tiers.items():
        if not G.has_edge(good, country):
            continue
        partners = G.edges[good, country].get("partners", {}).get(year, {})
        total = sum(r["value_usd"] for r in partners.values())
        for e, r in partners.items():
            rows.append((t, good, G.nodes[good].get("material", ""), e, r["value_usd"],
                         r["value_usd"] / total if total > 0 else float("nan")))
    out = pd.DataFrame(rows, columns=["tier", "hs", "material", "exporter", "value_usd", "share"])
    out = out.assign(_neg=-out["value_usd"]).sort_values(["tier", "hs", "_neg", "exporter"], kind="mergesort")
    return out.drop(columns="_neg").reset_index(drop=True)


def graph_summary(G: nx.DiGraph) -> dict[str, Any]:
    """Count nodes and edges by kind.

    Examples
    --------
    >>> graph_summary(nx.DiGraph())["edges"]
    0
    """
    kinds_n: dict[str, int] = {}
    for _, d in G.nodes(data=True):
        kinds_n[d.get("kind", "?")] = kinds_n.get(d.get("kind", "?"), 0) + 1
    kinds_e: dict[str, int] = {}
    for _, _, d in G.edges(data=True):
        kinds_e[d.get("kind", "?")] = kinds_e.get(d.get("kind", "?"), 0) + 1
    return {
        "nodes": G.number_of_nodes(),
        "edges": G.number_of_edges(),
        "countries": kinds_n.get("country", 0),
        "goods": kinds_n.get("good", 0),
        "export_edges": kinds_e.get("export", 0),
        "import_edges": kinds_e.get("import", 0),
        "input_to_edges": kinds_e.get("input_to", 0),
        "years": [int(y) for y in str(G.graph.get("years", "")).split(",") if y],
    }


def export_graph(
    table: FlowTable,
    path: str | Path,
    *,
    material: str | Iterable[str] | None = None,
    hs: str | Iterable[str] | None = None,
    baskets: Any = None,
) -> dict[str, Any]:
    """Build the graph of (a selection of) a flow table and write it; return a summary.

    The library call behind ``scrisk graph``. The extension is checked
    before any work (unknown -> :class:`~scrisk.errors.UsageError`).

    Returns
    -------
    dict
        ``{"meta": output meta, "rows": [summary]}`` with the counts of
        :func:`graph_summary` and the file written.
    """
    from scrisk.analysis import registry
    from scrisk.materials import hs_mask, normalize_revision, resolve_hs
    from scrisk.provenance import output_meta

    from scrisk.serialize import refuse_input_overwrite

    _format_of(path)
    refuse_input_overwrite(path, {"inputs": list(table.meta.inputs)})
    reg = registry(baskets)
    rev = table.meta.hs_revision
    codes = resolve_hs(material, hs, baskets=reg, revision=normalize_revision(rev) if rev else None)
    frame = table.frame
    if codes:
        frame = frame.loc[hs_mask(frame[HS], codes).to_numpy(dtype=bool)]
    sub = FlowTable(frame=frame, meta=table.meta, report=table.report)
    G = build_trade_graph(sub, baskets=reg)
    out = write_graph(G, path)
    summary = {"file": str(out), "format": GRAPH_FORMATS[out.suffix.lower()], **graph_summary(G),
               "flows": int(len(frame)), "value_usd": math.fsum(frame[VALUE].to_numpy()) if len(frame) else 0.0}
    meta = output_meta(table, material=material, hs=hs, hs_codes=list(codes) or None, out=str(out))
    return {"meta": meta, "rows": [summary]}
