r"""HS revisions: convert every flow of a table to one revision with the UNSD correlation tables.

A trade file can hold rows of several HS revisions (a Comtrade download that
spans the 2022 HS2017 -> HS2022 switch; an HS17 BACI file beside an HS22 one).
:func:`harmonize` converts every row to one **target** revision -- the one
asked for, else the revision holding most of the value -- in one DuckDB query
over the flow store, so every command sees one revision and material baskets
resolve in it.

The rule, per source code ``a`` of revision S and its target codes ``B(a)``
in the UNSD correlation between S and the target T
(``src/scrisk/data/hs_correlation``, built by ``tools/build_hs_correlation.py``):

* ``|B(a)| = 1`` (1:1 and n:1): the whole value and quantity go to that code. Exact.
* ``|B(a)| > 1`` (1:n and n:n): a **split**. The value is allocated to each
  ``b`` in ``B(a)`` in proportion to the value of ``b`` in the rows the data
  itself reports in T (same year; else any year of the data); where the data
  has no T rows of any ``b``, stated weights: all of it to the code with
  the same number when ``B(a)`` holds one (the code UNSD carved the new
  subheadings out of), else equally (``1 / |B(a)|``). The share of value so
  allocated is reported in meta (``hs_conversion.split_share``) and per
  product (:func:`split_shares`; the ``hs_split_share`` indicator).
* ``a`` not in the correlation of S (not a code of S): kept as it is and
  reported (``hs_conversion.unmapped``) with its value share.

Codes longer than six digits (national tariff lines) are converted by their
first six digits; a line whose HS6 maps 1:1 onto itself keeps its full code.
An HS4 heading carried as a product (:attr:`scrisk.schema.FlowMeta.hs_headings`)
converts by the same rule at the heading level: its targets are the headings
of ``T`` that the codes under it map to (almost always itself).
Revisions older than HS2017 are linked to each other through HS2017 (UNSD
publishes HS2022 and HS2017 against every older revision).

Examples
--------
>>> import pandas as pd
>>> from scrisk.schema import make_flow_table
>>> f = pd.DataFrame({"year": [2022, 2022, 2022], "exporter": ["CHN", "CHN", "JPN"],
...     "importer": ["USA", "USA", "USA"], "hs": ["811292", "811231", "811292"], "value_usd": [10.0, 30.0, 4.0],
...     "hs_revision": ["HS2022", "HS2022", "HS2017"]})
>>> t = harmonize(make_flow_table(f.drop(columns="hs_revision")), "HS2017")
>>> t.meta.hs_revision
'HS2017'
>>> targets("HS2017", "HS2022", "811292")
('811231', '811241', '811292')
"""

from __future__ import annotations

import dataclasses
import gzip
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from scrisk.errors import UsageError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from scrisk.schema import FlowTable

__all__ = [
    "REVISIONS",
    "IN_FORCE",
    "INFERENCE_RULE",
    "revision_codes",
    "revision_only_codes",
    "infer_revisions",
    "LINKED",
    "check_revision",
    "correlation",
    "targets",
    "related_codes",
    "harmonize",
    "revision_values",
    "split_shares",
    "RULE",
]

REVISIONS: tuple[str, ...] = ("HS1992", "HS1996", "HS2002", "HS2007", "HS2012", "HS2017", "HS2022")
"""The HS revisions a flow can be converted from and to."""

LINKED: tuple[tuple[str, str], ...] = tuple(("HS2022", o) for o in REVISIONS[:-1]) + tuple(
    ("HS2017", o) for o in REVISIONS[:-2]
)
"""The (newer, older) pairs with a UNSD correlation table shipped in ``scrisk/data/hs_correlation``."""

RULE = ("1:1 and n:1 codes convert exactly; a 1:n or n:n source code is split over its target codes in proportion "
        "to their value in the rows the data reports in the target revision (same year, else any year); where the "
        "data has none, to the target code with the same number, else equally; codes not in the source revision are kept and reported as unmapped")
"""The conversion rule in one sentence (stated in every converted output's meta)."""


def check_revision(revision: str | None) -> str | None:
    """Normalise a revision name (``HS2022``, ``hs22``, ``H6``, ``2022``); None stays None.

    Examples
    --------
    >>> check_revision("hs22"), check_revision("H5"), check_revision(None)
    ('HS2022', 'HS2017', None)
    >>> check_revision("mixed")
    Traceback (most recent call last):
    ...
    scrisk.errors.UsageError: --hs-revision 'mixed' is not an HS revision; use one of HS1992, HS1996, HS2002, HS2007, HS2012, HS2017, HS2022
    """
    if revision is None:
        return None
    from scrisk.materials import normalize_revision

    try:
        return normalize_revision(revision)
    except UsageError:
        raise UsageError(f"--hs-revision {revision!r} is not an HS revision; use one of {', '.join(REVISIONS)}") from None


def _data_dir() -> Path:
    from scrisk.resources import package_data

    return package_data("hs_correlation")


@lru_cache(maxsize=None)
def _pairs(newer: str, older: str) -> tuple[tuple[str, str], ...]:
    path = _data_dir() / f"{newer}-{older}.csv.gz"
    with gzip.open(path, "rt", encoding="ascii") as fh:
        lines = fh.read().split()
    return tuple(tuple(ln.split(",")) for ln in lines[1:])  # type: ignore[misc]


@lru_cache(maxsize=None)
def correlation(source: str, target: str) -> tuple[tuple[str, str], ...]:
    """Every (source code, target code) pair sharing goods between two revisions, sorted.

    Direct from the UNSD table when one is shipped for the pair, else composed through HS2017.

    Examples
    --------
    >>> [p for p in correlation("HS2022", "HS2017") if p[0] == "811231"]
    [('811231', '811292')]
    """
    source, target = check_revision(source), check_revision(target)
    if source == target:
        raise ValueError("source and target revisions are the same")
    if (source, target) in LINKED:
        return _pairs(source, target)
    if (target, source) in LINKED:
        return tuple(sorted((b, a) for a, b in _pairs(target, source)))
    # two revisions older than HS2017: through HS2017
    up = {}
    for a, m in correlation(source, "HS2017"):
        up.setdefault(a, set()).add(m)
    down = {}
    for m, b in correlation("HS2017", target):
        down.setdefault(m, set()).add(b)
    return tuple(sorted({(a, b) for a, ms in up.items() for m in ms for b in down.get(m, ())}))


@lru_cache(maxsize=None)
def _target_map(source: str, target: str) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for a, b in correlation(source, target):
        out.setdefault(a, []).append(b)
    return {a: tuple(sorted(bs)) for a, bs in out.items()}


@lru_cache(maxsize=None)
def _heading_map(source: str, target: str) -> dict[str, tuple[str, ...]]:
    """HS4 heading of ``source`` -> the headings of ``target`` its subheadings map to."""
    out: dict[str, set[str]] = {}
    for a, b in correlation(source, target):
        out.setdefault(a[:4], set()).add(b[:4])
    return {a: tuple(sorted(bs)) for a, bs in out.items()}


def targets(source: str, target: str, code: str) -> tuple[str, ...]:
    """The codes of ``target`` that source ``code`` maps to (empty when it is not a code of ``source``).

    An HS6 code (or the first six digits of a tariff line) maps through the UNSD correlation; an HS4 heading
    carried as a product maps to the headings of ``target`` that its subheadings map to.

    Examples
    --------
    >>> targets("HS2017", "HS2022", "8112"), targets("HS2017", "HS2022", "7403")
    (('8112',), ('7403',))
    """
    source, target = check_revision(source), check_revision(target)
    if source == target:
        return (code,)
    if len(str(code)) == 4:
        return _heading_map(source, target).get(str(code), ())
    return _target_map(source, target).get(str(code)[:6], ())


@lru_cache(maxsize=None)
def _neighbours() -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for newer, older in LINKED:
        for a, b in _pairs(newer, older):
            out.setdefault(a, set()).add(b)
            out.setdefault(b, set()).add(a)
    return {k: frozenset(v) for k, v in out.items()}


def related_codes(prefixes: Iterable[str]) -> tuple[str, ...]:
    """HS6 codes of any revision sharing goods with a code that starts with one of ``prefixes``.

    What a reader must keep so that a product filter still holds every source row
    that converts into it (and the target-revision rows that weight a split).

    Examples
    --------
    >>> "811292" in related_codes(["811231"]), "811241" in related_codes(["811231"])
    (True, False)
    """
    nb = _neighbours()
    pre = tuple(str(p) for p in prefixes if p)
    if not pre:
        return ()
    out: set[str] = set()
    for code, linked in nb.items():
        if code.startswith(pre) or (len(pre[0]) > 6 and any(p.startswith(code) for p in pre)):
            out.update(linked)
    return tuple(sorted(out))


# ---------------------------------------------------------------------------
# the conversion


IN_FORCE: dict[str, int] = {"HS1992": 1988, "HS1996": 1996, "HS2002": 2002, "HS2007": 2007, "HS2012": 2012,
                            "HS2017": 2017, "HS2022": 2022}
"""The year each HS revision entered into force (the Harmonized System of 1988, amended every five years)."""

INFERENCE_RULE = ("a reporter-year whose HS6 codes include codes that exist in one revision only (per the UNSD "
                  "correlation tables), all of the same revision in force that year, is in that revision; a "
                  "reporter-year with no such code, or with codes of several, keeps no revision")


@lru_cache(maxsize=None)
def revision_codes() -> dict[str, frozenset[str]]:
    """Every HS6 code of each revision, read from the shipped UNSD correlation tables."""
    out: dict[str, set[str]] = {r: set() for r in REVISIONS}
    for newer, older in LINKED:
        for a, b in _pairs(newer, older):
            out[newer].add(a)
            out[older].add(b)
    return {r: frozenset(c) for r, c in out.items()}


@lru_cache(maxsize=None)
def revision_only_codes() -> dict[str, str]:
    """``{code: revision}`` for the HS6 codes that exist in one revision only (811231, hafnium, is HS2022's).

    Examples
    --------
    >>> only = revision_only_codes()
    >>> only["811231"], "811292" in only
    ('HS2022', False)
    """
    codes = revision_codes()
    seen: dict[str, list[str]] = {}
    for r, cs in codes.items():
        for c in cs:
            seen.setdefault(c, []).append(r)
    return {c: rs[0] for c, rs in seen.items() if len(rs) == 1}


def infer_revisions(reporters, years, codes) -> tuple[list[str | None], list[dict[str, Any]]]:
    """The HS revision of every row from its reporter-year's codes (:data:`INFERENCE_RULE`).

    ``reporters``, ``years`` and ``codes`` are sequences of the same length (one per row). Returns the revision
    per row (None where undetermined) and one record per reporter-year: ``reporter, year, revision`` (None when
    undetermined) and ``evidence`` (up to five codes of one revision only, per revision found).

    Examples
    --------
    >>> revs, info = infer_revisions(["842", "842", "156"], [2024, 2024, 2024], ["811231", "811292", "811292"])
    >>> revs, [(i["reporter"], i["revision"], i["evidence"]) for i in info]
    (['HS2022', 'HS2022', None], [('156', None, {}), ('842', 'HS2022', {'HS2022': ['811231']})])
    """
    import pandas as pd

    only = revision_only_codes()
    df = pd.DataFrame({"r": pd.Series(list(reporters), dtype=object), "y": pd.Series(list(years), dtype="int64"),
                       "k": pd.Series(list(codes), dtype=object)})
    df["e"] = df["k"].astype("string").str.slice(0, 6).map(only)
    info: list[dict[str, Any]] = []
    chosen: dict[tuple[Any, int], str | None] = {}
    for (r, y), g in df.groupby(["r", "y"], sort=True):
        ev = g.dropna(subset=["e"])
        ev = ev[ev["e"].map(IN_FORCE).le(int(y))]
        found = {rev: sorted(set(part["k"]))[:5] for rev, part in ev.groupby("e")}
        rev = next(iter(found)) if len(found) == 1 else None
        chosen[(r, int(y))] = rev
        info.append({"reporter": r, "year": int(y), "revision": rev, "evidence": found})
    out = [chosen[(r, int(y))] for r, y in zip(df["r"], df["y"])]
    return out, info


def _columns(con, source: str) -> list[str]:
    return [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]


def _row_revision_sql(cols: list[str], default: str | None) -> str:
    from scrisk.engine.store import sql_str

    d = sql_str(default) if default else "NULL"
    return f"coalesce(hs_revision, {d})" if "hs_revision" in cols else d


def revision_values(table: "FlowTable", con=None) -> dict[str | None, float]:
    """Value in USD per HS revision of the rows (None: rows whose revision is unknown)."""
    from scrisk.engine.store import connect, flow_source

    own = con is None
    con = con or connect()
    try:
        src = flow_source(con, table)
        cols = _columns(con, src)
        default = table.meta.hs_revision if table.meta.hs_revision in REVISIONS else None
        rows = con.execute(
            f"SELECT {_row_revision_sql(cols, default)} AS r, coalesce(fsum(value_usd), 0) FROM {src} GROUP BY r"
        ).fetchall()
    finally:
        if own:
            con.close()
    return {r: float(v) for r, v in rows}


def harmonize(table: "FlowTable", target: str | None = None, *, keep: Iterable[str] = ()) -> "FlowTable":
    """Return ``table`` with every flow in one HS revision (``target``, else the one holding most of the value).

    The reporters' totals with the World (``meta.world_totals``) are converted to the same revision by the
    same rule. For a table that holds only those totals (:attr:`~scrisk.schema.FlowTable.world_only`) the
    revision is chosen from their value and ``meta.hs_conversion`` describes their conversion
    (``basis: "world totals"``). See :func:`_harmonize_flows` for the flows.
    """
    wt = table.meta.world_totals
    if wt is None or not len(wt):
        return _harmonize_flows(table, target, keep=keep)
    if table.world_only:
        world, conv = _harmonize_world(wt, check_revision(target), keep)
        cm = conv.meta
        if cm.hs_revision == table.meta.hs_revision and cm.hs_conversion is None:
            return table
        hc = None if cm.hs_conversion is None else {**cm.hs_conversion, "basis": "world totals"}
        meta = dataclasses.replace(table.meta, world_totals=world, hs_revision=cm.hs_revision, hs_conversion=hc,
                                   notes=table.meta.notes + tuple(cm.notes))
        from scrisk.schema import FlowTable

        out = FlowTable(frame=table.frame, meta=meta, report=table.report)
        out.hs_split = getattr(conv, "hs_split", None)  # the totals' split shares flag the rows (hs_split_share)
        return out
    out = _harmonize_flows(table, target, keep=keep)
    if out.meta.hs_revision in REVISIONS:
        world, _ = _harmonize_world(wt, out.meta.hs_revision, keep)
        out.meta = dataclasses.replace(out.meta, world_totals=world)
    return out


def _world_as_flows(wt: "pd.DataFrame") -> "FlowTable":
    """Reporters' World totals as a flow table: exports as (reporter -> WLD), imports as (WLD -> reporter)."""
    import numpy as np
    import pandas as pd

    from scrisk.schema import FlowMeta, make_flow_table

    exp = (wt["flow"] == "export").to_numpy()
    rep = wt["reporter"].astype(str).to_numpy()
    frame = pd.DataFrame({
        "year": wt["year"].to_numpy(), "exporter": np.where(exp, rep, "WLD"), "importer": np.where(exp, "WLD", rep),
        "hs": wt["hs"].astype(str).to_numpy(), "value_usd": wt["value_usd"].to_numpy(dtype=float),
        "qty_kg": wt["qty_kg"].to_numpy(dtype=float), "month": wt["month"].to_numpy(),
        "hs_revision": wt["hs_revision"].to_numpy(),
    })
    revs = sorted(set(wt["hs_revision"].dropna()))
    one = revs[0] if len(revs) == 1 else ("mixed" if revs else None)
    return make_flow_table(frame, meta=FlowMeta(source_format="world totals", hs_revision=one), check_unique=False)


def _harmonize_world(wt: "pd.DataFrame", target: str | None, keep: Iterable[str]):
    """Convert World totals to ``target`` (None: the revision holding most of their value).

    Returns ``(world totals frame, conversion)``: a flow table whose ``meta`` tells the conversion
    (``hs_revision``, ``hs_conversion`` -- None when nothing was converted --, ``notes``) and whose ``hs_split``
    holds the split shares per (year, hs).
    """
    import numpy as np
    import pandas as pd

    flows = _world_as_flows(wt)
    conv = _harmonize_flows(flows, target, keep=keep)
    if conv is flows:
        return wt, flows
    f = conv.frame
    imports = (f["exporter"] == "WLD").to_numpy()
    out = pd.DataFrame({
        "year": f["year"].to_numpy(), "month": f["month"],
        "reporter": pd.Series(np.where(imports, f["importer"], f["exporter"]), dtype="string"),
        "flow": pd.Series(np.where(imports, "import", "export"), dtype="string"),
        "hs": f["hs"], "value_usd": f["value_usd"].to_numpy(), "qty_kg": f["qty_kg"].to_numpy(),
        "hs_revision": f["hs_revision"], "file": pd.NA, "line": pd.NA,
    })
    return out, conv


def _harmonize_flows(table: "FlowTable", target: str | None = None, *, keep: Iterable[str] = ()) -> "FlowTable":
    """Return ``table`` with every flow in one HS revision (``target``, else the one holding most of the value).

    A table already in one revision is returned as it is (no query when its
    meta says so and no other target is asked). The converted table's
    ``meta.hs_revision`` is the target and ``meta.hs_conversion`` records the
    revisions found, the target and how it was chosen, the rule, the value
    converted exactly, by splits and left unmapped (see the module docstring).
    Rows whose revision is unknown are taken to be in the target revision
    (and counted in ``hs_conversion.assumed_share``). ``keep`` (HS prefixes
    in the target revision) filters the converted rows: what a product filter
    asked for, after reading the related codes (:func:`related_codes`).
    """
    target = check_revision(target)
    rev = table.meta.hs_revision
    if rev in REVISIONS and (target is None or target == rev):
        return table  # the readers label a table with several revisions "mixed"
    if rev not in REVISIONS and rev not in (None, "mixed"):
        raise UsageError(f"the data's HS revision {rev!r} is not one of {', '.join(REVISIONS)}")
    from scrisk.engine.store import connect, flow_source

    con = connect()
    try:
        src = flow_source(con, table)
        values = revision_values(table, con)
        known = {r: v for r, v in values.items() if r is not None}
        if not known and target is None:
            return table  # no row says its revision and none was asked: nothing to convert to
        chosen = "given" if target is not None else "most value"
        if target is None:
            target = max(known.items(), key=lambda kv: (kv[1], kv[0]))[0]
        sources = sorted(r for r in known if r != target)
        total = sum(values.values())
        conv = {
            "target": target,
            "chosen_by": chosen,
            "rule": RULE,
            "revisions": [{"revision": r, "value_usd": known[r], "value_share": known[r] / total if total else 0.0}
                          for r in sorted(known)],
            "assumed_share": (values.get(None, 0.0) / total) if total else 0.0,
        }
        if not sources:
            conv.update(exact_share=0.0, split_share=0.0, unmapped=[], unmapped_share=0.0, converted_share=0.0)
            return _relabel(table, target, conv)
        return _convert(con, table, src, target, sources, conv, total, tuple(keep))
    finally:
        con.close()


def _relabel(table: "FlowTable", target: str, conv: dict[str, Any]) -> "FlowTable":
    from scrisk.schema import FlowTable

    meta = dataclasses.replace(table.meta, hs_revision=target, hs_conversion=conv)
    out = FlowTable(frame=table.frame if table.in_memory else None, meta=meta, report=table.report,
                    parquet=() if table.in_memory else table.parquet, num_rows=len(table))
    out.hs_split = getattr(table, "hs_split", None)
    return out




def _map_rows(sources: list[str], target: str, present: dict[str, set[str]]) -> list[tuple[str, str, str, int]]:
    rows = []
    for s in sources:
        tm, hm = _target_map(s, target), _heading_map(s, target)
        for a in sorted(present.get(s, ())):
            bs = hm.get(a, ()) if len(a) == 4 else tm.get(a, ())
            rows.extend((s, a, b, len(bs)) for b in bs)
    return rows


def _convert(con, table, src, target, sources, conv, total, keep=()) -> "FlowTable":
    import pyarrow as pa

    from scrisk.engine.baci_scan import hs_filter_sql
    from scrisk.engine.ingest import scratch_dir
    from scrisk.engine.store import sql_str
    from scrisk.schema import FlowTable

    cols = _columns(con, src)
    default = table.meta.hs_revision if table.meta.hs_revision in REVISIONS else None
    rev_sql = _row_revision_sql(cols, default)
    t = sql_str(target)
    con.execute(f"CREATE OR REPLACE TEMP VIEW _rows AS SELECT *, coalesce({rev_sql}, {t}) AS _rev, "
                f"left(hs, 6) AS _hs6 FROM {src}")
    present: dict[str, set[str]] = {}
    for r, h in con.execute(f"SELECT DISTINCT _rev, _hs6 FROM _rows WHERE _rev <> {t}").fetchall():
        present.setdefault(r, set()).add(h)
    m = _map_rows(sources, target, present)
    con.register("_hsmap_arrow", pa.table({
        "rev": [r[0] for r in m], "a": [r[1] for r in m], "b": [r[2] for r in m], "n": [r[3] for r in m]},
        schema=pa.schema([("rev", pa.string()), ("a", pa.string()), ("b", pa.string()), ("n", pa.int64())])))
    con.execute("CREATE OR REPLACE TEMP TABLE _hsmap AS SELECT * FROM _hsmap_arrow")
    # weights of the split codes: the target revision's own rows (same year, else any year), else equal
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _w AS
        WITH tv AS (SELECT year, _hs6 AS b, fsum(value_usd) AS v FROM _rows WHERE _rev = {t} GROUP BY ALL),
        ta AS (SELECT b, fsum(v) AS v FROM tv GROUP BY b),
        yrs AS (SELECT DISTINCT _rev AS rev, year, _hs6 AS a FROM _rows WHERE _rev <> {t}),
        cand AS (
          SELECT y.rev, y.year, y.a, m.b, m.n, coalesce(tv.v, 0) AS vy, coalesce(ta.v, 0) AS va
          FROM yrs y JOIN _hsmap m ON m.rev = y.rev AND m.a = y.a
          LEFT JOIN tv ON tv.year = y.year AND tv.b = m.b LEFT JOIN ta ON ta.b = m.b WHERE m.n > 1
        )
        SELECT rev, year, a, b,
          CASE WHEN sum(vy) OVER k > 0 THEN vy / sum(vy) OVER k
               WHEN sum(va) OVER k > 0 THEN va / sum(va) OVER k
               WHEN bool_or(b = a) OVER k THEN CASE WHEN b = a THEN 1.0 ELSE 0.0 END ELSE 1.0 / n END AS w,
          CASE WHEN sum(vy) OVER k > 0 THEN 'data, same year' WHEN sum(va) OVER k > 0 THEN 'data, other years'
               WHEN bool_or(b = a) OVER k THEN 'same code' ELSE 'equal' END AS basis
        FROM cand WINDOW k AS (PARTITION BY rev, year, a)""")
    key = [c for c in ("year", "month", "exporter", "importer") if c in cols]
    qty = "CASE WHEN isnan(qty_kg) THEN NULL ELSE qty_kg END"
    keep_full = "CASE WHEN m.n = 1 AND m.b = r._hs6 THEN r.hs ELSE m.b END"
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW _conv AS
        SELECT {', '.join('r.' + c for c in key)}, CASE WHEN r._rev = {t} THEN r.hs WHEN m.b IS NULL THEN r.hs
                   ELSE {keep_full} END AS hs,
               r.value_usd * coalesce(w.w, 1.0) AS v, {qty.replace('qty_kg', 'r.qty_kg')} * coalesce(w.w, 1.0) AS q,
               CASE WHEN r._rev = {t} THEN 'target' WHEN m.b IS NULL THEN 'unmapped' WHEN m.n = 1 THEN 'exact'
                    ELSE 'split' END AS kind,
               r._rev AS rev, r._hs6 AS a
        FROM _rows r
        LEFT JOIN _hsmap m ON r._rev <> {t} AND m.rev = r._rev AND m.a = r._hs6
        LEFT JOIN _w w ON m.n > 1 AND w.rev = r._rev AND w.year = r.year AND w.a = r._hs6 AND w.b = m.b""")
    kinds = dict(con.execute("SELECT kind, coalesce(fsum(v), 0) FROM _conv GROUP BY kind").fetchall())
    share = (lambda v: float(v) / total if total else 0.0)
    unmapped = con.execute("SELECT rev, a, fsum(v) AS v FROM _conv WHERE kind = 'unmapped' GROUP BY ALL "
                           "ORDER BY v DESC, a LIMIT 50").fetchall()
    bases = dict(con.execute("SELECT basis, count(*) FROM (SELECT DISTINCT rev, year, a, basis FROM _w) GROUP BY basis")
                 .fetchall())
    conv.update(
        sources=sources,
        exact_share=share(kinds.get("exact", 0.0)),
        split_share=share(kinds.get("split", 0.0)),
        unmapped_share=share(kinds.get("unmapped", 0.0)),
        converted_share=share(kinds.get("exact", 0.0) + kinds.get("split", 0.0)),
        split_codes={str(k): int(v) for k, v in sorted(bases.items())},
        unmapped=[{"revision": r, "hs": a, "value_usd": float(v), "value_share": share(v)} for r, a, v in unmapped],
    )
    out = Path(tempfile.mkstemp(prefix="flows-hs-", suffix=".parquet", dir=scratch_dir())[1])
    extra = ", NULL::TINYINT AS month" if "month" in cols and "month" not in key else ""
    rev_col = f", {t} AS hs_revision" if "hs_revision" in cols else ""
    con.execute(f"""COPY (
        SELECT {', '.join(key)}, hs, fsum(v) AS value_usd,
               CASE WHEN count(q) = 0 THEN 'NaN'::DOUBLE ELSE fsum(q) END AS qty_kg{extra}{rev_col}
        FROM _conv WHERE {hs_filter_sql("hs", keep) if keep else "TRUE"} GROUP BY ALL) TO {sql_str(str(out))} (FORMAT parquet, COMPRESSION zstd)""")
    split = con.execute("""SELECT year, hs, fsum(v) FILTER (WHERE kind = 'split') / fsum(v) AS s
                           FROM _conv GROUP BY year, hs HAVING fsum(v) FILTER (WHERE kind = 'split') > 0""").fetchall()
    n, years = con.execute(f"SELECT count(*), list(DISTINCT year ORDER BY year) FROM read_parquet({sql_str(str(out))})"
                           ).fetchone()
    notes = list(table.meta.notes)
    notes.append(_note(conv))
    meta = dataclasses.replace(table.meta, hs_revision=target, years=tuple(int(y) for y in years or ()),
                               notes=tuple(notes), hs_conversion=conv)
    res = FlowTable(meta=meta, report=table.report, parquet=(str(out),), num_rows=int(n))
    res.hs_split = {(int(y), str(h)): float(s) for y, h, s in split}
    return res


def _note(conv: dict[str, Any]) -> str:
    parts = [f"flows of {', '.join(conv['sources'])} converted to {conv['target']} ({conv['chosen_by']}) with the "
             f"UNSD correlation tables: {conv['exact_share']:.1%} of the value exactly"]
    if conv["split_share"] > 0:
        parts.append(f"{conv['split_share']:.1%} allocated by splits of 1:n codes (weights: the target revision's "
                     "values in the data, else equal; see hs_split_share)")
    if conv["unmapped_share"] > 0:
        top = ", ".join(f"{u['hs']} ({u['revision']})" for u in conv["unmapped"][:5])
        parts.append(f"{conv['unmapped_share']:.1%} in codes not of their revision, kept as they are: {top}")
    return "; ".join(parts)


def split_shares(table: "FlowTable") -> dict[tuple[int, str], float]:
    """``{(year, hs): share}``: the share of a product's value in the converted table allocated by a split."""
    return dict(getattr(table, "hs_split", None) or {})
