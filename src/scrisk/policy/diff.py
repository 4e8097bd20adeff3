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

When a vintage holds only reporters' totals with the World (a file with only
World partners, :attr:`~scrisk.schema.FlowTable.world_only`), the pairs are
importers with imports from the World: ``appeared`` and ``vanished`` are
reported, the kinds that need suppliers are not evaluable (a note says so),
and the world-side measures of each product are compared instead, one row
per product (importer empty):

``world_export_hhi_increase`` / ``world_export_hhi_decrease``
    The world export HHI moved by more than ``hhi_threshold``.
``world_top_exporter_switch``
    The largest exporter of the product changed.

Every row carries the product's world-side figures in both vintages
(``old_``/``new_`` :data:`WORLD_DIFF_MEASURES`).
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Mapping

import pandas as pd

from scrisk.errors import UsageError
from scrisk.io.options import ReadOptions
from scrisk.policy.measure import defect_rejections, hs_labels, level_source, pick_year, registry
from scrisk.policy.spec import expand_importers
from scrisk.schema import EXPORTER, HS, IMPORTER, VALUE, YEAR, FlowTable

__all__ = ["CHANGES", "DIFF_MEASURES", "DIFF_FIELDS", "DiffResult", "diff_vintages", "diff_files", "field_descriptions"]

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
    "world_export_hhi_increase",
    "world_export_hhi_decrease",
    "world_top_exporter_switch",
)
"""Kinds of change, in report order (the last three: per product, when a vintage holds only World totals)."""

WORLD_CHANGES: tuple[str, ...] = ("world_export_hhi_increase", "world_export_hhi_decrease", "world_top_exporter_switch")
"""The product-level kinds of :data:`CHANGES`, compared when a vintage holds only World totals."""
_WORLD_PAIR_CHANGES = ("appeared", "vanished")
"""The pair-level kinds that World totals can give (imports from the World in one vintage only)."""

DIFF_MEASURES: tuple[str, ...] = ("import_value_usd", "n_suppliers", "top_supplier", "top_share", "hhi")
"""The indicators each change row gives for both vintages (``old_<name>``, ``new_<name>``), in contract order.

Each is a declared indicator (:func:`scrisk.engine.indicators.indicator`), computed by
:func:`scrisk.metrics.indicators.indicators` on each vintage."""

WORLD_DIFF_MEASURES: tuple[str, ...] = ("world_export_hhi", "world_top_exporter", "world_top_exporter_share")
"""The world-side indicators each change row gives for both vintages (the product's, whatever the importer)."""

DIFF_FIELDS: tuple[str, ...] = (
    "change", "importer", "hs", "material", "supplier", "supplier_value_usd",
    *(f"{side}_{m}" for m in DIFF_MEASURES for side in ("old", "new")),
    "hhi_change",
    *(f"{side}_{m}" for m in WORLD_DIFF_MEASURES for side in ("old", "new")),
    "world_export_hhi_change",
    "detail",
)
"""Fields of each change row."""

_PAIR = [IMPORTER, HS]
_PAIR_FIELDS = [c for c in DIFF_FIELDS if c not in ("change", "material", "supplier", "supplier_value_usd", "detail")]
_MEASURES = DIFF_MEASURES + WORLD_DIFF_MEASURES


def field_descriptions() -> dict[str, str]:
    """What each field of a change row holds; the measures' descriptions come from their declarations.

    Examples
    --------
    >>> field_descriptions()["old_hhi"]
    'OLD: Herfindahl-Hirschman index of the import shares, sum of s_c^2 (0-1)'
    """
    from scrisk.engine.indicators import indicator

    out = {
        "change": "kind of change (one of CHANGES)",
        "importer": "ISO3 importer",
        "hs": "HS code at the level compared",
        "material": "basket the code belongs to (first alphabetically), or empty",
        "supplier": "the supplier gained or lost (supplier_gained / supplier_lost rows)",
        "supplier_value_usd": "its exports to the importer in the vintage it ships in (USD)",
    }
    for m in DIFF_MEASURES:
        d = indicator(m).description
        out[f"old_{m}"], out[f"new_{m}"] = f"OLD: {d}", f"NEW: {d}"
    out["hhi_change"] = "new_hhi - old_hhi"
    for m in WORLD_DIFF_MEASURES:
        d = indicator(m).description
        out[f"old_{m}"], out[f"new_{m}"] = f"OLD: {d}", f"NEW: {d}"
    out["world_export_hhi_change"] = "new_world_export_hhi - old_world_export_hhi"
    out["detail"] = "the change in words"
    return out


def _empty_rows():
    import pyarrow as pa

    return pa.table({c: pa.array([], type=pa.string()) for c in DIFF_FIELDS})


@dataclass
class DiffResult:
    """The changes between two vintages.

    Attributes
    ----------
    meta : dict
        Provenance of NEW (:func:`scrisk.provenance.output_meta`) plus
        ``old`` and ``new`` (inputs, years, year compared, HS revision) and
        ``notes``.
    table : pyarrow.Table or scrisk.serialize.ParquetRows
        One row per change, columns :data:`DIFF_FIELDS`, ordered by change
        kind, importer, hs and supplier (the kinds kept by ``changes``). The
        engine spills them to a scratch Parquet file (:class:`ParquetRows`),
        which the CLI streams; :meth:`to_arrow` reads them into memory.
    pairs : dict
        ``pairs_old``, ``pairs_new``, ``pairs_common``: importer-product
        pairs with imports in each vintage (after the filters).
    counts : dict
        Number of changes of each kind before the ``changes`` filter.
    """

    meta: dict[str, Any]
    table: Any = field(default_factory=_empty_rows)
    pairs: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.table.num_rows)

    @cached_property
    def rows(self) -> list[dict[str, Any]]:
        """The change rows as dicts of plain Python values (None for a missing value), fields :data:`DIFF_FIELDS`."""
        return self.to_arrow().select(list(DIFF_FIELDS)).to_pylist()

    @property
    def summary(self) -> dict[str, int]:
        """Pair counts and the number of changes of each kind (all kinds, even those filtered out of ``rows``)."""
        return {**self.pairs, **{c: int(self.counts.get(c, 0)) for c in CHANGES}}

    def changes(self, kind: str) -> list[dict[str, Any]]:
        """Return the rows of one change kind."""
        return [r for r in self.rows if r["change"] == kind]

    def to_pandas(self) -> pd.DataFrame:
        """The change rows as a pandas frame (columns :data:`DIFF_FIELDS`)."""
        import pyarrow as pa

        return self.to_arrow().to_pandas(
            types_mapper={pa.string(): pd.StringDtype(), pa.large_string(): pd.StringDtype()}.get)

    def to_arrow(self):
        """The change rows as a :class:`pyarrow.Table` (columns :data:`DIFF_FIELDS`; no Python object per row)."""
        if hasattr(self.table, "to_table"):
            self.table = self.table.to_table()
        return self.table

    def rows_source(self):
        """The rows as the engine left them (a Table, or spilled :class:`~scrisk.serialize.ParquetRows`), to stream."""
        return self.table

    def to_dict(self) -> dict[str, Any]:
        """Return the stable JSON contract: ``{meta, summary, rows}`` (rows hold plain Python values already)."""
        from scrisk.serialize import jsonable

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


_TEXT_MACROS: tuple[str, ...] = (
    # scrisk.textfmt.format_usd: one decimal with a suffix, '–' when missing
    "CREATE OR REPLACE TEMP MACRO _d_usd(v) AS CASE WHEN v IS NULL OR isnan(v) THEN '–' "
    + " ".join(f"WHEN abs(v) >= {div!r} THEN '$' || format('{{:,.1f}}', v / {div!r}) || '{suf}'"
               for div, suf in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")))
    + " ELSE '$' || format('{:,.0f}', v) END",
    # scrisk.textfmt.format_share: a 0-1 share as a percentage with one decimal
    "CREATE OR REPLACE TEMP MACRO _d_share(x) AS CASE WHEN x IS NULL OR isnan(x) THEN '–' "
    "ELSE format('{:.1f}', x * 100) || '%' END",
)


def _detail_sql(oy: int, ny: int) -> str:
    """The ``detail`` text of every change kind, as one SQL expression over a change row."""
    from scrisk.engine.store import sql_str

    def cat(*parts: str | tuple[str]) -> str:
        # a 1-tuple is literal text, a str is a SQL expression
        return " || ".join(sql_str(p[0]) if isinstance(p, tuple) else p for p in parts)

    share, usd = "_d_share({})".format, "_d_usd({})".format
    hhi3 = "format('{{:.3f}}', {})".format
    count = "CAST(CAST(trunc({}) AS BIGINT) AS VARCHAR)".format
    old_top = cat("old_top_supplier", (" ",), share("old_top_share"))
    new_top = cat("new_top_supplier", (" ",), share("new_top_share"))
    was = f"CASE WHEN old_import_value_usd IS NULL THEN 'no imports' ELSE " \
          f"{cat(old_top, (' of ',), usd('old_import_value_usd'))} END"
    now = f"CASE WHEN new_import_value_usd IS NULL THEN 'no imports' ELSE " \
          f"{cat(new_top, (' of ',), usd('new_import_value_usd'))} END"
    hhi = cat(("import HHI ",), hhi3("old_hhi"), (f" in {oy} -> ",), hhi3("new_hhi"), (f" in {ny} (",),
              "format('{:+.3f}', hhi_change)", ("); top ",), old_top, (" -> ",), new_top)
    kinds = {
        "new_single_source": cat("new_top_supplier", (" supplies ",), share("new_top_share"), (" of ",),
                                 usd("new_import_value_usd"), (f" in {ny} (was ",), was, (f" in {oy})",)),
        "resolved_single_source": cat("old_top_supplier", (" supplied ",), share("old_top_share"), (" of ",),
                                      usd("old_import_value_usd"), (f" in {oy}; now ",), now, (f" in {ny}",)),
        "single_source_switch": cat(("single source moved from ",), "old_top_supplier", (" (",),
                                    share("old_top_share"), (f") in {oy} to ",), "new_top_supplier", (" (",),
                                    share("new_top_share"), (f") in {ny}",)),
        "hhi_increase": hhi,
        "hhi_decrease": hhi,
        "supplier_gained": cat("supplier", (" ships ",), usd("supplier_value_usd"), (f" in {ny}",)),
        "supplier_lost": cat("supplier", (" shipped ",), usd("supplier_value_usd"), (f" in {oy}; none in {ny}",)),
        "appeared": cat(usd("new_import_value_usd"), (f" in {ny} from ",), count("new_n_suppliers"),
                        (" supplier(s), top ",), new_top, (f"; no imports in {oy}",)),
        "vanished": cat(usd("old_import_value_usd"), (f" in {oy} from ",), count("old_n_suppliers"),
                        (" supplier(s), top ",), old_top, (f"; no imports in {ny}",)),
    }
    w_old = cat("old_world_top_exporter", (" ",), share("old_world_top_exporter_share"))
    w_new = cat("new_world_top_exporter", (" ",), share("new_world_top_exporter_share"))
    whhi = cat(("world export HHI ",), hhi3("old_world_export_hhi"), (f" in {oy} -> ",), hhi3("new_world_export_hhi"),
               (f" in {ny} (",), "format('{:+.3f}', world_export_hhi_change)", ("); top exporter ",), w_old, (" -> ",),
               w_new)
    kinds.update({
        # World totals: the pair is an importer's imports from the World, without suppliers
        "appeared": f"CASE WHEN new_n_suppliers IS NULL THEN {cat(usd('new_import_value_usd'), (f' from the World in {ny}; no imports in {oy}',))} ELSE {kinds['appeared']} END",
        "vanished": f"CASE WHEN old_n_suppliers IS NULL THEN {cat(usd('old_import_value_usd'), (f' from the World in {oy}; no imports in {ny}',))} ELSE {kinds['vanished']} END",
        "world_export_hhi_increase": whhi,
        "world_export_hhi_decrease": whhi,
        "world_top_exporter_switch": cat(("top exporter ",), w_old, (f" in {oy} -> ",), w_new, (f" in {ny}",)),
    })
    return "CASE change " + " ".join(f"WHEN '{k}' THEN {kinds[k]}" for k in CHANGES) + " END"


def _pair_flows_sql(src: str, year: int, *, importers, codes) -> str:
    """Per (importer, hs, exporter): the value of one vintage's year, positive flows only (the filters of the side)."""
    from scrisk.engine.baci_scan import hs_filter_sql
    from scrisk.engine.store import sql_list

    where = [f"{YEAR} = {int(year)}", f"{VALUE} > 0"]
    if codes:
        where.append(hs_filter_sql(HS, codes))
    if importers is not None:
        where.append(f"list_contains({sql_list(importers)}, {IMPORTER})")
    return (f"SELECT {IMPORTER}, {HS}, {EXPORTER}, sum({VALUE}) AS v FROM {src} WHERE {' AND '.join(where)} "
            f"GROUP BY {IMPORTER}, {HS}, {EXPORTER}")


def _vintage_sql(con, table: FlowTable, year: int, *, importers, codes, tag: str) -> str:
    """The declared indicators of :data:`DIFF_MEASURES` and :data:`WORLD_DIFF_MEASURES` per (importer, hs) of one
    vintage's year, as SQL over ``con`` (from the World totals of a table that holds only those).

    On the Spark engine the indicator query runs there and its rows come back as a local table.
    """
    from scrisk.engine.indicators import Params, indicator_sql, register_world
    from scrisk.engine.spark import is_spark_table
    from scrisk.engine.store import flow_source

    args = dict(years=[int(year)], importers=None if importers is None else list(importers), hs=tuple(codes or ()),
                params=Params())
    if is_spark_table(table):
        from scrisk.engine.spark import indicator_rows

        name = f"_vintage_{int(year)}_{id(table)}"
        con.register(name, indicator_rows(table, **args))
        return f"SELECT {IMPORTER}, {HS}, {', '.join(_MEASURES)} FROM {name}"
    sql = indicator_sql(flow_source(con, table), world=register_world(con, table, f"_world_{tag}"), **args)
    return f"SELECT {IMPORTER}, {HS}, {', '.join(_MEASURES)} FROM ({sql})"


def _products_sql(con, table: FlowTable, year: int, *, codes, tag: str) -> str:
    """The world-side figures per product of one vintage's year (:func:`scrisk.engine.chokepoints.world_side_sql`)."""
    from scrisk.engine.chokepoints import world_side_sql
    from scrisk.engine.indicators import register_world
    from scrisk.engine.store import flow_source

    world = register_world(con, table, f"_world_{tag}")
    return world_side_sql(flow_source(con, table), years=[int(year)], hs=tuple(codes or ()), world=world)


def _pair_flows(con, table: FlowTable, name: str, year: int, *, importers, codes) -> str:
    """The query of :func:`_pair_flows_sql` over ``table`` in ``con``; on the Spark engine it runs there
    and its rows come back as the local table ``name``."""
    from scrisk.engine.spark import SparkQueries, is_spark_table
    from scrisk.engine.store import flow_source

    if not is_spark_table(table):
        return _pair_flows_sql(flow_source(con, table), year, importers=importers, codes=codes)
    q = SparkQueries()
    con.register(name, q.arrow(_pair_flows_sql(q.source(table), year, importers=importers, codes=codes),
                               "the supplier comparison"))
    return f"SELECT * FROM {name}"


def _kind_masks(*, hhi_threshold: float, single_source: float, min_import_usd: float, min_pair_usd: float,
                world: bool = False) -> dict[str, str]:
    """Each change kind as a SQL condition over the joined pair row (``_pairs``) or, for :data:`WORLD_CHANGES`,
    product row (``_prod``); with ``world`` (a vintage holds only World totals) only those that World totals give
    (the others are left out)."""
    ov, nv = "coalesce(old_import_value_usd, 0)", "coalesce(new_import_value_usd, 0)"
    osh, nsh = "coalesce(old_top_share, 0)", "coalesce(new_top_share, 0)"
    dh = "coalesce(hhi_change, 0)"
    material = f"(greatest({ov}, {nv}) >= {float(min_pair_usd)!r})"
    ss_old = f"({osh} >= {float(single_source) - 1e-12!r} AND {ov} >= {float(min_import_usd)!r})"
    ss_new = f"({nsh} >= {float(single_source) - 1e-12!r} AND {nv} >= {float(min_import_usd)!r})"
    moved = f"(abs({dh}) > {float(hhi_threshold) + 1e-12!r})"
    differs = "(coalesce(old_top_supplier, '') <> coalesce(new_top_supplier, ''))"
    out = {
        "new_single_source": f"{ss_new} AND NOT {ss_old}",
        "resolved_single_source": f"{ss_old} AND NOT {ss_new}",
        "single_source_switch": f"{ss_old} AND {ss_new} AND {differs}",
        "hhi_increase": f"in_old AND in_new AND {material} AND {moved} AND {dh} > 0",
        "hhi_decrease": f"in_old AND in_new AND {material} AND {moved} AND {dh} < 0",
        "appeared": f"in_new AND NOT in_old AND {material}",
        "vanished": f"in_old AND NOT in_new AND {material}",
        "_common": f"in_old AND in_new AND {material}",
    }
    if world:
        wmoved = f"(abs(coalesce(world_export_hhi_change, 0)) > {float(hhi_threshold) + 1e-12!r})"
        out = {k: v for k, v in out.items() if k in _WORLD_PAIR_CHANGES}
        out.update({
            "world_export_hhi_increase": f"in_old AND in_new AND {wmoved} AND world_export_hhi_change > 0",
            "world_export_hhi_decrease": f"in_old AND in_new AND {wmoved} AND world_export_hhi_change < 0",
            "world_top_exporter_switch": "in_old AND in_new AND old_world_top_exporter <> new_world_top_exporter",
        })
    return out


def _diff_rows(con, *, old: FlowTable, new: FlowTable, oy: int, ny: int, importers, ocodes, ncodes, masks,
               keep: set[str], labels_for, world: bool = False) -> tuple[Any, dict[str, int], dict[str, int]]:
    """Measure both vintages, join them and build every change row in the engine.

    Returns the rows (spilled to Parquet, :class:`~scrisk.serialize.ParquetRows`), the count of each change kind
    and the pair counts. Suppliers gained and lost are anti-joins of the two vintages' (importer, hs, exporter)
    sets; the ``detail`` text is one SQL expression; rows are ordered by kind, importer, hs and supplier. With
    ``world`` (a vintage holds only World totals) the products' world-side figures are joined too (``_prod``)
    for :data:`WORLD_CHANGES`, and suppliers are not compared.
    """
    from scrisk.engine.indicators import prepare

    prepare(con)
    for macro in _TEXT_MACROS:
        con.execute(macro)
    con.execute(f"CREATE TEMP TABLE _o AS {_vintage_sql(con, old, oy, importers=importers, codes=ocodes, tag='o')}")
    con.execute(f"CREATE TEMP TABLE _n AS {_vintage_sql(con, new, ny, importers=importers, codes=ncodes, tag='n')}")
    sides = ", ".join(f"{t}.{c} AS {s}_{c}" for c in _MEASURES for s, t in (("old", "_o"), ("new", "_n")))
    con.execute(f"""
CREATE TEMP TABLE _pairs AS
SELECT coalesce(_o.{IMPORTER}, _n.{IMPORTER}) AS {IMPORTER}, coalesce(_o.{HS}, _n.{HS}) AS {HS}, {sides},
       _n.hhi - _o.hhi AS hhi_change, _n.world_export_hhi - _o.world_export_hhi AS world_export_hhi_change,
       _o.{IMPORTER} IS NOT NULL AS in_old, _n.{IMPORTER} IS NOT NULL AS in_new
FROM _o FULL OUTER JOIN _n ON _o.{IMPORTER} = _n.{IMPORTER} AND _o.{HS} = _n.{HS}""")
    # the products' world-side figures (World totals): one row per product, the pair columns left empty
    con.execute("CREATE TEMP TABLE _prod AS SELECT * FROM _pairs WHERE false")
    if world:
        wsides = ", ".join(f"{t}.{c} AS {s}_{c}" for c in WORLD_DIFF_MEASURES for s, t in (("old", "po"), ("new", "pn")))
        con.execute(f"""
INSERT INTO _prod BY NAME
WITH po AS ({_products_sql(con, old, oy, codes=ocodes, tag='o')}), pn AS ({_products_sql(con, new, ny, codes=ncodes, tag='n')})
SELECT coalesce(po.{HS}, pn.{HS}) AS {HS}, {wsides}, pn.world_export_hhi - po.world_export_hhi AS world_export_hhi_change,
       po.{HS} IS NOT NULL AS in_old, pn.{HS} IS NOT NULL AS in_new
FROM po FULL OUTER JOIN pn ON po.{HS} = pn.{HS}""")
    pair_kinds = [k for k in CHANGES if k in masks and k not in WORLD_CHANGES]
    prod_kinds = [k for k in WORLD_CHANGES if k in masks]
    got = con.execute("SELECT " + ", ".join([f"count(*) FILTER (WHERE {masks[k]})" for k in pair_kinds]
                                            + ["count(*) FILTER (WHERE in_old)", "count(*) FILTER (WHERE in_new)",
                                               "count(*) FILTER (WHERE in_old AND in_new)"]) + " FROM _pairs").fetchone()
    counts = {c: 0 for c in CHANGES}
    counts.update({k: int(v) for k, v in zip(pair_kinds, got)})
    pairs = {"pairs_old": int(got[-3]), "pairs_new": int(got[-2]), "pairs_common": int(got[-1])}
    if prod_kinds:
        pgot = con.execute("SELECT " + ", ".join(f"count(*) FILTER (WHERE {masks[k]})" for k in prod_kinds)
                           + " FROM _prod").fetchone()
        counts.update({k: int(v) for k, v in zip(prod_kinds, pgot)})
    hs_here = [r[0] for r in con.execute("SELECT DISTINCT hs FROM _pairs UNION SELECT DISTINCT hs FROM _prod").fetchall()]
    labels = labels_for(hs_here)
    con.register("_labels", pd.DataFrame({HS: list(labels), "material": list(labels.values())}, dtype="string"))

    gained, lost = CHANGES.index("supplier_gained"), CHANGES.index("supplier_lost")
    if world:  # no supplier in World totals: nothing gained or lost
        con.execute(f"CREATE TEMP TABLE _sup (k INTEGER, {IMPORTER} VARCHAR, {HS} VARCHAR, supplier VARCHAR, "
                    "supplier_value_usd DOUBLE)")
    else:
        o = _pair_flows(con, old, "_o_flows", oy, importers=importers, codes=ocodes)
        n = _pair_flows(con, new, "_n_flows", ny, importers=importers, codes=ncodes)
        # one full outer join of the two vintages' (importer, hs, exporter) rows (each side holds a key once): the
        # rows of one side only are the suppliers gained and lost; the join's table spills under the memory limit
        con.execute(f"""
CREATE TEMP TABLE _sup AS
WITH c AS (SELECT {IMPORTER}, {HS} FROM _pairs WHERE {masks['_common']}), o AS ({o}), n AS ({n}),
f AS (SELECT coalesce(o.{IMPORTER}, n.{IMPORTER}) AS {IMPORTER}, coalesce(o.{HS}, n.{HS}) AS {HS},
             coalesce(o.{EXPORTER}, n.{EXPORTER}) AS {EXPORTER}, o.v IS NULL AS gained, coalesce(o.v, n.v) AS v
      FROM o FULL OUTER JOIN n USING ({IMPORTER}, {HS}, {EXPORTER})
      WHERE o.v IS NULL OR n.v IS NULL)
SELECT CASE WHEN gained THEN {gained} ELSE {lost} END AS k, f.{IMPORTER}, f.{HS}, f.{EXPORTER} AS supplier,
       f.v AS supplier_value_usd
FROM f SEMI JOIN c USING ({IMPORTER}, {HS})""")
        sup = dict(con.execute("SELECT k, count(*) FROM _sup GROUP BY k").fetchall())
        counts.update({"supplier_gained": int(sup.get(gained, 0)), "supplier_lost": int(sup.get(lost, 0))})

    pair_cols = ", ".join(f"p.{c}" for c in _PAIR_FIELDS if c not in _PAIR)
    # each kept kind's rows, by kind index: (SELECT, the table its runs are counted in; '' for none)
    per_kind = {CHANGES.index(k): (f"SELECT {CHANGES.index(k)} AS k, p.{IMPORTER}, p.{HS}, NULL::VARCHAR AS supplier, "
                                   f"NULL::DOUBLE AS supplier_value_usd, {pair_cols} FROM "
                                   f"{'_prod' if k in WORLD_CHANGES else '_pairs'} p WHERE ({masks[k]})",
                                   "_prod" if k in WORLD_CHANGES else "_pairs")
                for k in pair_kinds + prod_kinds if k in keep}
    for k in (gained, lost):
        if CHANGES[k] in keep and not world:
            per_kind[k] = (f"SELECT s.k, s.{IMPORTER}, s.{HS}, s.supplier, s.supplier_value_usd, {pair_cols} "
                           f"FROM _sup s JOIN _pairs p USING ({IMPORTER}, {HS}) WHERE s.k = {k}", "_sup")
    if not per_kind:  # no kind kept: an empty result with the right columns
        per_kind[-1] = (f"SELECT -1 AS k, p.{IMPORTER}, p.{HS}, NULL::VARCHAR AS supplier, "
                        f"NULL::DOUBLE AS supplier_value_usd, {pair_cols} FROM _pairs p WHERE false", "")
    change = "CASE k " + " ".join(f"WHEN {i} THEN '{c}'" for i, c in enumerate(CHANGES)) + " END"
    select = (f"SELECT {', '.join(c for c in DIFF_FIELDS if c != 'detail')}, {_detail_sql(oy, ny)} AS detail FROM "
              f"(SELECT {change} AS change, r.*, coalesce(_labels.material, '') AS material "
              f"FROM (@ROWS@) AS r LEFT JOIN _labels USING ({HS})) ORDER BY {IMPORTER}, {HS}, coalesce(supplier, '')")
    con.execute("SET preserve_insertion_order = true")
    return _write_ordered(con, [select.replace("@ROWS@", q) for q in _chunks(con, per_kind, masks)]), counts, pairs


_CHUNK_ROWS = 1_000_000
"""Change rows sorted and written per query: the rows are ordered by kind, importer, hs and supplier, so each kind
is cut into runs of whole importers of about this many rows and each run is sorted on its own (memory bounded by
the run, not by the millions of rows of a whole diff)."""


def _chunks(con, per_kind: dict[int, tuple[str, str]], masks: Mapping[str, str]) -> list[str]:
    """The queries giving the change rows: per kind (in :data:`CHANGES` order), runs of importers (each run is then
    ordered by importer, hs and supplier)."""
    from scrisk.engine.store import sql_str

    sizes: dict[int, list[tuple[str, int]]] = {}
    on_pairs = [k for k, (_, src) in per_kind.items() if src == "_pairs"]
    if on_pairs:
        got = con.execute(f"SELECT {IMPORTER}, " + ", ".join(f"count(*) FILTER (WHERE {masks[CHANGES[k]]})"
                                                               for k in on_pairs)
                          + f" FROM _pairs GROUP BY {IMPORTER} ORDER BY {IMPORTER}").fetchall()
        for n, k in enumerate(on_pairs):
            sizes[k] = [(r[0], int(r[n + 1])) for r in got if r[n + 1]]
    for k, (_, src) in per_kind.items():
        if src == "_sup":
            sizes[k] = [(r[0], int(r[1])) for r in con.execute(
                f"SELECT {IMPORTER}, count(*) FROM _sup WHERE k = {k} GROUP BY {IMPORTER} ORDER BY {IMPORTER}"
            ).fetchall()]
    queries = []
    for k in sorted(per_kind):
        q, src = per_kind[k]
        runs: list[tuple[str, str]] = []
        first, total = None, 0
        for imp, n in sizes.get(k, []):
            first = imp if first is None else first
            total += n
            if total >= _CHUNK_ROWS:
                runs.append((first, imp))
                first, total = None, 0
        if first is not None:
            runs.append((first, sizes[k][-1][0]))
        if len(runs) <= 1 or src not in ("_pairs", "_sup"):  # one query (products' rows have no importer)
            queries.append(q)
            continue
        alias = "s" if src == "_sup" else "p"
        for lo, hi in runs:
            queries.append(f"{q} AND ({alias}.{IMPORTER} BETWEEN {sql_str(lo)} AND {sql_str(hi)})")
    return queries


def _write_ordered(con, queries: list[str]) -> Any:
    """The rows of ``queries``, one after another and each in its own order, as scratch Parquet files
    (:class:`~scrisk.serialize.ParquetRows`)."""
    from scrisk.engine.ingest import scratch_dir
    from scrisk.engine.store import sql_str
    from scrisk.serialize import ParquetRows

    fd, base = tempfile.mkstemp(prefix="diff-", dir=scratch_dir())
    os.close(fd)  # a unique stem; DuckDB's COPY writes the parts
    parts = [f"{base}-{n:05d}.parquet" for n in range(len(queries))]
    for q, part in zip(queries, parts):
        con.execute(f"COPY ({q}) TO {sql_str(part)} (FORMAT parquet, COMPRESSION snappy)")
    os.unlink(base)
    return ParquetRows(parts)


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

    Each vintage is measured by :func:`scrisk.metrics.indicators.indicators`
    in its year; the two indicator frames are joined on (importer, hs) once
    and every change kind is a vectorised mask over the joined frame.
    Suppliers gained and lost are anti-joins of the two vintages'
    (importer, hs, exporter) sets in the engine.

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
    from scrisk.engine.store import connect
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
    world = old.world_only or new.world_only
    masks = _kind_masks(hhi_threshold=hhi_threshold, single_source=single_source, min_import_usd=min_import_usd,
                        min_pair_usd=min_pair_usd, world=world)
    con = connect()
    try:
        out, counts, pairs = _diff_rows(
            con, old=level_source(old, oy, hs_digits=hs_digits), new=level_source(new, ny, hs_digits=hs_digits),
            oy=oy, ny=ny, importers=imps, ocodes=ocodes, ncodes=ncodes, masks=masks, keep=keep,
            labels_for=lambda codes: hs_labels(codes, baskets=reg, revision=new.meta.hs_revision), world=world)
    finally:
        con.close()

    notes = []
    from scrisk.provenance import headings_note, world_only_note

    for label, t in (("OLD", old), ("NEW", new)):
        if t.world_only:
            notes.append(f"{label}: " + world_only_note(t, "its pairs are importers' imports from the World"))
    if world:
        blind = [k for k in CHANGES if k not in masks and k not in ("supplier_gained", "supplier_lost")]
        notes.append(f"compared on the world side: {', '.join(WORLD_CHANGES)} per product and appeared/vanished per "
                     f"importer; not evaluable without bilateral flows (counted 0): {', '.join(blind)}, "
                     "supplier_gained, supplier_lost")
    heads = sorted(set(old.meta.hs_headings) | set(new.meta.hs_headings))
    if heads:
        notes.append(headings_note(heads))
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
        if t.meta.period is not None:
            meta[label]["period"] = t.meta.period
        if t.meta.hs_conversion is not None:
            meta[label]["hs_conversion"] = t.meta.hs_conversion
    meta["notes"] = notes
    return DiffResult(meta=meta, table=out, pairs=pairs, counts=counts)


def _compare_periods(compare: str, options: ReadOptions, old_paths, new_paths):
    """Reader options and files of the two sides of a month-on-month or year-on-year comparison."""
    from scrisk.engine.periods import COMPARE, parse_period

    if compare not in COMPARE:
        raise UsageError(f"--compare {compare!r}: use mom (month on month) or yoy (year on year)")
    period = parse_period(options.period, rolling=options.rolling)
    if period is None:
        raise UsageError(f"--compare {compare} needs --period (the later period, e.g. --period 2024-06)")
    earlier = period.shift(COMPARE[compare])
    last = f"{earlier.year:04d}" if earlier.month is None else f"{earlier.year:04d}-{earlier.month:02d}"
    old_paths, new_paths = list(old_paths), list(new_paths)
    paths = old_paths or new_paths
    if old_paths and new_paths and old_paths != new_paths:
        raise UsageError(f"--compare {compare} compares two periods of the same files: give the files once")
    return dataclasses.replace(options, period=last), options, paths, paths


def diff_files(
    old_paths: Iterable[str | Path],
    new_paths: Iterable[str | Path],
    *,
    options: ReadOptions | None = None,
    old_year: int | None = None,
    new_year: int | None = None,
    compare: str | None = None,
    **kwargs: Any,
) -> DiffResult:
    """Read both vintages and :func:`diff_vintages` them (what ``scrisk diff`` calls).

    ``options`` are the reader options of both sides; ``old_year`` and
    ``new_year``, when given, are pushed into each side's read (and are the
    year of tidy files without a year column). ``compare`` (``"mom"`` or
    ``"yoy"``, with ``options.period``) compares the period with the one a month
    or a year earlier (:data:`scrisk.engine.periods.COMPARE`), both read from
    ``old_paths`` when ``new_paths`` is empty. Other keywords go to
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
    if compare is not None:
        old_opts, new_opts, old_paths, new_paths = _compare_periods(compare, options, old_paths, new_paths)
        old_year = new_year = None
    old = load_flows(list(old_paths), old_opts)
    new = load_flows(list(new_paths), new_opts)
    from scrisk.engine.hs_revision import REVISIONS

    if options.target_revision is None and new.meta.hs_revision in REVISIONS and old.meta.hs_revision in REVISIONS \
            and old.meta.hs_revision != new.meta.hs_revision:
        # compare like with like: OLD converted to NEW's revision
        old = load_flows(list(old_paths), dataclasses.replace(old_opts, target_revision=new.meta.hs_revision))
    return diff_vintages(old, new, old_year=old_year, new_year=new_year, **kwargs)
