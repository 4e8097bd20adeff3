"""What changed between two vintages of trade data (``scrisk diff``).

Both vintages are measured per (importer, product) pair in one year each
(by default the latest year of each side). A pair *exists* in a vintage when
its imports are positive. The changes reported, in this order:

``new_single_source``
    The pair is single-source in NEW and was not in OLD (or did not exist).
    Single-source: the top supplier holds at least ``single_source`` (0.9)
    of imports worth at least ``min_import_usd`` (US$10 m), as in Korea's
    "absolute dependence" screen.
``resolved_single_source``
    Single-source in OLD, not any more in NEW (top share fell, imports fell
    below the minimum, or imports stopped).
``single_source_switch``
    Single-source in both, with a different top supplier.
``hhi_increase`` / ``hhi_decrease``
    The pair exists in both and its import HHI moved by more than
    ``hhi_threshold`` (0.05) in absolute value.
``supplier_gained`` / ``supplier_lost``
    For a pair in both vintages: an exporter with positive exports in NEW
    and none in OLD (gained), or the reverse (lost). One row per supplier.
``appeared`` / ``vanished``
    A pair with imports in NEW only (appeared) or in OLD only (vanished).

Every change but the single-source ones concerns a pair whose imports reach
``min_pair_usd`` (default 0: every pair) in at least one vintage.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from scrisk.errors import UsageError
from scrisk.io.options import ReadOptions
from scrisk.metrics.concentration import import_concentration
from scrisk.policy.measure import defect_rejections, hs_labels, pick_year, plain_records, registry, year_flows
from scrisk.policy.spec import expand_importers
from scrisk.schema import EXPORTER, HS, IMPORTER, VALUE, FlowTable
from scrisk.textfmt import format_share, format_usd

__all__ = ["CHANGES", "DIFF_FIELDS", "DiffResult", "diff_vintages", "diff_files"]

CHANGES: tuple[str, ...] = (
    "new_single_source",
    "resolved_single_source",
    "single_source_switch",
    "hhi_increase",
    "hhi_decrease",
    "supplier_gained",
    "supplier_lost",
    "appeared",
    "vanished",
)
"""Kinds of change, in report order."""

DIFF_FIELDS: tuple[str, ...] = (
    "change", "importer", "hs", "material", "supplier", "supplier_value_usd",
    "old_import_value_usd", "new_import_value_usd", "old_n_suppliers", "new_n_suppliers",
    "old_top_supplier", "new_top_supplier", "old_top_share", "new_top_share", "old_hhi", "new_hhi", "hhi_change",
    "detail",
)
"""Fields of each change row."""

_PAIR = [IMPORTER, HS]
_MEASURES = ["import_value_usd", "n_suppliers", "top_supplier", "top_share", "hhi"]


@dataclass
class DiffResult:
    """The changes between two vintages.

    Attributes
    ----------
    meta : dict
        Provenance of NEW (:func:`scrisk.provenance.output_meta`) plus
        ``old`` and ``new`` (inputs, years, year compared, HS revision) and
        ``notes``.
    rows : list of dict
        One per change, fields :data:`DIFF_FIELDS`, ordered by change kind,
        importer, hs and supplier.
    pairs : dict
        ``pairs_old``, ``pairs_new``, ``pairs_common``: importer-product
        pairs with imports in each vintage (after the filters).
    counts : dict
        Number of changes of each kind before the ``changes`` filter.
    """

    meta: dict[str, Any]
    rows: list[dict[str, Any]] = field(default_factory=list)
    pairs: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def summary(self) -> dict[str, int]:
        """Pair counts and the number of changes of each kind (all kinds, even those filtered out of ``rows``)."""
        return {**self.pairs, **{c: int(self.counts.get(c, 0)) for c in CHANGES}}

    def changes(self, kind: str) -> list[dict[str, Any]]:
        """Return the rows of one change kind."""
        return [r for r in self.rows if r["change"] == kind]

    def to_dict(self) -> dict[str, Any]:
        """Return the stable JSON contract: ``{meta, summary, rows}`` (rows hold plain Python values already)."""
        from scrisk.report.render import jsonable

        return {"meta": jsonable(self.meta), "summary": self.summary, "rows": self.rows}


def _kinds(changes: str | Iterable[str] | None) -> set[str]:
    """Parse a ``--change`` filter (names, commas allowed) into a set of change kinds."""
    import difflib

    if changes is None:
        return set(CHANGES)
    items = [changes] if isinstance(changes, str) else list(changes)
    out = {p.strip().replace("-", "_") for it in items for p in str(it).split(",") if p.strip()}
    for k in sorted(out):
        if k not in CHANGES:
            close = difflib.get_close_matches(k, CHANGES, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise UsageError(f"unknown --change {k!r}; {hint}use one of {', '.join(CHANGES)}")
    return out or set(CHANGES)


def _side_codes(material, hs, *, baskets, revision: str | None) -> tuple[str, ...]:
    from scrisk.materials import resolve_hs

    return resolve_hs(material, hs, baskets=baskets, revision=revision)


def _side(table: FlowTable, year: int, *, importers, codes, hs_digits: int) -> pd.DataFrame:
    from scrisk.materials import hs_mask

    f = year_flows(table.frame, year, hs_digits=hs_digits)
    m = hs_mask(f[HS], codes)
    if importers is not None:
        m &= f[IMPORTER].isin(importers)
    return f.loc[m & (f[VALUE] > 0)]


def _detail(kind: str, r: pd.Series, oy: int, ny: int) -> str:
    if kind == "new_single_source":
        was = ("no imports" if pd.isna(r["old_import_value_usd"])
               else f"{r['old_top_supplier']} {format_share(r['old_top_share'])} of {format_usd(r['old_import_value_usd'])}")
        return f"{r['new_top_supplier']} supplies {format_share(r['new_top_share'])} of {format_usd(r['new_import_value_usd'])} " \
               f"in {ny} (was {was} in {oy})"
    if kind == "resolved_single_source":
        now = ("no imports" if pd.isna(r["new_import_value_usd"])
               else f"{r['new_top_supplier']} {format_share(r['new_top_share'])} of {format_usd(r['new_import_value_usd'])}")
        return f"{r['old_top_supplier']} supplied {format_share(r['old_top_share'])} of {format_usd(r['old_import_value_usd'])} " \
               f"in {oy}; now {now} in {ny}"
    if kind == "single_source_switch":
        return f"single source moved from {r['old_top_supplier']} ({format_share(r['old_top_share'])}) in {oy} to " \
               f"{r['new_top_supplier']} ({format_share(r['new_top_share'])}) in {ny}"
    if kind in ("hhi_increase", "hhi_decrease"):
        return f"import HHI {r['old_hhi']:.3f} in {oy} -> {r['new_hhi']:.3f} in {ny} ({r['hhi_change']:+.3f}); " \
               f"top {r['old_top_supplier']} {format_share(r['old_top_share'])} -> {r['new_top_supplier']} " \
               f"{format_share(r['new_top_share'])}"
    if kind == "appeared":
        return f"{format_usd(r['new_import_value_usd'])} in {ny} from {int(r['new_n_suppliers'])} supplier(s), top " \
               f"{r['new_top_supplier']} {format_share(r['new_top_share'])}; no imports in {oy}"
    if kind == "vanished":
        return f"{format_usd(r['old_import_value_usd'])} in {oy} from {int(r['old_n_suppliers'])} supplier(s), top " \
               f"{r['old_top_supplier']} {format_share(r['old_top_share'])}; no imports in {ny}"
    return ""


def diff_vintages(
    old: FlowTable,
    new: FlowTable,
    *,
    importers: str | Iterable[str] | None = None,
    material: str | Iterable[str] | None = None,
    hs: str | Iterable[str] | None = None,
    baskets=None,
    old_year: int | None = None,
    new_year: int | None = None,
    hhi_threshold: float = 0.05,
    single_source: float = 0.9,
    min_import_usd: float = 10_000_000.0,
    min_pair_usd: float = 0.0,
    hs_digits: int = 6,
    changes: str | Iterable[str] | None = None,
) -> DiffResult:
    """Compare two vintages of trade data pair by pair.

    Parameters
    ----------
    old, new : FlowTable
        The earlier and the later vintage.
    importers : str or iterable of str, optional
        ISO3 codes or groups (``KOR``, ``EU27``); default every importer.
    material, hs : str or iterable of str, optional
        Restrict to basket codes and/or HS codes or prefixes; default every
        product.
    baskets : dict or path(s), optional
        Basket registry or extra basket files.
    old_year, new_year : int, optional
        Year compared on each side (default: each side's latest year).
    hhi_threshold : float, default 0.05
        Report HHI moves larger than this (absolute, 0-1 scale).
    single_source : float, default 0.9
        Top-supplier share from which a pair is single-source.
    min_import_usd : float, default 10,000,000
        Minimum imports for a pair to count as single-source.
    min_pair_usd : float, default 0
        Leave out HHI moves, supplier and pair changes of pairs whose imports
        stay below this in both vintages.
    hs_digits : int, default 6
        HS level compared; longer codes are summed up to it.
    changes : str or iterable of str, optional
        Keep only rows of these kinds (:data:`CHANGES`); the summary still
        counts every kind.

    Returns
    -------
    DiffResult

    Examples
    --------
    >>> from scrisk.schema import make_flow_table
    >>> old = make_flow_table(pd.DataFrame({"year": [2022, 2022], "exporter": ["CHN", "JPN"],
    ...     "importer": ["KOR", "KOR"], "hs": ["811292", "811292"], "value_usd": [80e6, 20e6]}))
    >>> new = make_flow_table(pd.DataFrame({"year": [2024], "exporter": ["CHN"],
    ...     "importer": ["KOR"], "hs": ["811292"], "value_usd": [95e6]}))
    >>> r = diff_vintages(old, new)
    >>> [(x["change"], x["supplier"]) for x in r.rows]
    [('new_single_source', None), ('hhi_increase', None), ('supplier_lost', 'JPN')]
    >>> r.rows[0]["detail"]
    'CHN supplies 100.0% of $95.0M in 2024 (was CHN 80.0% of $100.0M in 2022)'
    """
    from scrisk.provenance import output_meta, read_summary

    if not 0 <= hhi_threshold <= 1:
        raise UsageError(f"--hhi-threshold {hhi_threshold} is outside 0-1 (HHI is on the 0-1 scale)")
    if not 0 < single_source <= 1:
        raise UsageError(f"--single-source {single_source} is outside (0, 1]; e.g. 0.9 for 90%")
    if min_import_usd < 0 or min_pair_usd < 0:
        raise UsageError("--min-import-usd and --min-pair-usd must be >= 0")
    keep = _kinds(changes)
    reg = registry(baskets)
    imps = expand_importers(list(importers) if importers is not None and not isinstance(importers, str)
                            else importers)
    oy = pick_year(old, old_year, label="OLD")
    ny = pick_year(new, new_year, label="NEW")
    ocodes = _side_codes(material, hs, baskets=reg, revision=old.meta.hs_revision)
    ncodes = _side_codes(material, hs, baskets=reg, revision=new.meta.hs_revision)
    of = _side(old, oy, importers=imps, codes=ocodes, hs_digits=hs_digits)
    nf = _side(new, ny, importers=imps, codes=ncodes, hs_digits=hs_digits)
    om = import_concentration(of, by_year=False)[_PAIR + _MEASURES]
    nm = import_concentration(nf, by_year=False)[_PAIR + _MEASURES]
    m = om.merge(nm, on=_PAIR, how="outer", suffixes=("_old", "_new"), indicator=True)
    m = m.rename(columns={f"{c}_{s}": f"{s}_{c}" for c in _MEASURES for s in ("old", "new")})
    m["hhi_change"] = m["new_hhi"] - m["old_hhi"]
    both = (m["_merge"] == "both").to_numpy()
    only_new = (m["_merge"] == "right_only").to_numpy()
    only_old = (m["_merge"] == "left_only").to_numpy()
    ov = m["old_import_value_usd"].fillna(0.0).to_numpy()
    nv = m["new_import_value_usd"].fillna(0.0).to_numpy()
    material_ok = np.maximum(ov, nv) >= min_pair_usd
    ss_old = (m["old_top_share"].fillna(0.0).to_numpy() >= single_source - 1e-12) & (ov >= min_import_usd)
    ss_new = (m["new_top_share"].fillna(0.0).to_numpy() >= single_source - 1e-12) & (nv >= min_import_usd)
    moved = np.abs(m["hhi_change"].fillna(0.0).to_numpy()) > hhi_threshold + 1e-12
    masks = {
        "new_single_source": ss_new & ~ss_old,
        "resolved_single_source": ss_old & ~ss_new,
        "single_source_switch": ss_old & ss_new & (m["old_top_supplier"].astype(object).fillna("").to_numpy()
                                                   != m["new_top_supplier"].astype(object).fillna("").to_numpy()),
        "hhi_increase": both & material_ok & moved & (m["hhi_change"].fillna(0.0).to_numpy() > 0),
        "hhi_decrease": both & material_ok & moved & (m["hhi_change"].fillna(0.0).to_numpy() < 0),
        "appeared": only_new & material_ok,
        "vanished": only_old & material_ok,
    }
    labels = hs_labels(m[HS], baskets=reg, revision=new.meta.hs_revision)
    pair_cols = [c for c in DIFF_FIELDS if c in m.columns]
    parts = []
    for kind, mask in masks.items():
        sel = m.loc[mask, pair_cols].copy()
        if len(sel):
            sel["change"] = kind
            sel["detail"] = [_detail(kind, r, oy, ny) for _, r in sel.iterrows()]
            parts.append(sel)

    # suppliers gained and lost, for pairs present (and material) in both vintages
    common = m.loc[both & material_ok, pair_cols]
    if len(common):
        os_ = of.groupby(_PAIR + [EXPORTER], observed=True)[VALUE].sum().rename("old_v").reset_index()
        ns_ = nf.groupby(_PAIR + [EXPORTER], observed=True)[VALUE].sum().rename("new_v").reset_index()
        sup = os_.merge(ns_, on=_PAIR + [EXPORTER], how="outer")
        sup = sup.merge(common[_PAIR], on=_PAIR, how="inner")
        for kind, mask, vcol, y in (("supplier_gained", sup["old_v"].isna(), "new_v", ny),
                                    ("supplier_lost", sup["new_v"].isna(), "old_v", oy)):
            s = sup.loc[mask, _PAIR + [EXPORTER, vcol]].rename(columns={EXPORTER: "supplier",
                                                                        vcol: "supplier_value_usd"})
            if len(s):
                s = s.merge(common, on=_PAIR, how="left")
                s["change"] = kind
                verb = "ships" if kind == "supplier_gained" else "shipped"
                s["detail"] = [f"{a} {verb} {format_usd(v)} in {y}" + ("" if kind == "supplier_gained" else
                                                                f"; none in {ny}")
                               for a, v in zip(s["supplier"], s["supplier_value_usd"])]
                parts.append(s)
    if parts:
        out = pd.concat(parts, ignore_index=True)
    else:
        out = pd.DataFrame(columns=list(DIFF_FIELDS))
    for c in DIFF_FIELDS:
        if c not in out.columns:
            out[c] = None
    out["material"] = [labels.get(h, "") for h in out[HS]]
    order = {k: i for i, k in enumerate(CHANGES)}
    out["_k"] = out["change"].map(order)
    out["_s"] = out["supplier"].astype(object).where(out["supplier"].notna(), "")
    out = out.sort_values(["_k", IMPORTER, HS, "_s"], kind="mergesort")[list(DIFF_FIELDS)]
    rows = plain_records(out)
    counts = {c: 0 for c in CHANGES}
    for r in rows:
        counts[r["change"]] += 1
    rows = [r for r in rows if r["change"] in keep]
    pairs = {"pairs_old": int(len(om)), "pairs_new": int(len(nm)), "pairs_common": int(both.sum())}

    notes = []
    if old.meta.hs_revision and new.meta.hs_revision and old.meta.hs_revision != new.meta.hs_revision:
        notes.append(f"OLD is {old.meta.hs_revision} and NEW {new.meta.hs_revision}: codes that changed between "
                     "revisions show as vanished and appeared")
    for label, t in (("OLD", old), ("NEW", new)):
        n, per = defect_rejections(t.report)
        if n:
            notes.append(f"{label}: {n:,} input rows rejected as defects ("
                         + ", ".join(f"{k}: {v}" for k, v in per.items()) + "); run `scrisk validate`")
    meta = output_meta(new, importer=None if imps is None else list(imps), material=material, hs=hs,
                       changes=sorted(keep, key=CHANGES.index),
                       old_year=old_year, new_year=new_year, hhi_threshold=hhi_threshold,
                       single_source=single_source, min_import_usd=min_import_usd, min_pair_usd=min_pair_usd,
                       hs_digits=hs_digits)
    for label, t, y in (("old", old, oy), ("new", new, ny)):
        meta[label] = {"inputs": list(t.meta.inputs), "years": list(t.years), "year": y,
                       "hs_revision": t.meta.hs_revision, "source_format": t.meta.source_format,
                       "release": t.meta.release, "read": read_summary(t)}
    meta["notes"] = notes
    return DiffResult(meta=meta, rows=rows, pairs=pairs, counts=counts)


def diff_files(
    old_paths: Iterable[str | Path],
    new_paths: Iterable[str | Path],
    *,
    options: ReadOptions | None = None,
    old_year: int | None = None,
    new_year: int | None = None,
    **kwargs: Any,
) -> DiffResult:
    """Read both vintages and :func:`diff_vintages` them (what ``scrisk diff`` calls).

    ``options`` are the reader options of both sides; ``old_year`` and
    ``new_year``, when given, are pushed into each side's read (and are the
    year of tidy files without a year column). Other keywords go to
    :func:`diff_vintages`.
    """
    from scrisk.api import load_flows
    from scrisk.materials import get_basket

    options = options or ReadOptions()
    reg = registry(kwargs.get("baskets"))
    kwargs["baskets"] = reg
    if not options.hs and (kwargs.get("material") or kwargs.get("hs")):
        # read only the products compared (codes of every HS revision; the files' revision is known after reading)
        from scrisk.materials import resolve_hs

        codes = set(resolve_hs(None, kwargs.get("hs"), baskets=reg))
        for m in [kwargs["material"]] if isinstance(kwargs.get("material"), str) else kwargs.get("material") or []:
            for name in str(m).split(","):
                if name.strip():
                    codes.update(get_basket(name.strip(), baskets=reg).all_hs_codes())
        options = dataclasses.replace(options, hs=tuple(sorted(codes)))
    old_opts = dataclasses.replace(options, years=(int(old_year),)) if old_year is not None else options
    new_opts = dataclasses.replace(options, years=(int(new_year),)) if new_year is not None else options
    old = load_flows(list(old_paths), old_opts)
    new = load_flows(list(new_paths), new_opts)
    return diff_vintages(old, new, old_year=old_year, new_year=new_year, **kwargs)
