"""Everything a report shows, gathered from the public library results (JSON contracts) in one object.

:func:`collect` makes the library calls once: :func:`scrisk.analysis.analyze`
for the importers (the ranked table, the plane, the summary), the same call
over every importer (world chokepoints: its rows' world fields, per HS code),
one call per loaded year (top share over the years), the bilateral flows of
the ranked pairs (supplier breakdown) and, with a scenario,
:func:`scrisk.scenario.run_scenario`. Sections only read :class:`ReportData`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from scrisk.schema import EXPORTER, HS, IMPORTER, VALUE, YEAR, FlowTable

__all__ = ["ReportData", "collect", "CHART_PRODUCTS", "SUPPLIERS_SHOWN"]

CHART_PRODUCTS = 12
"""How many of the top-ranked dependencies the per-product charts show."""

SUPPLIERS_SHOWN = 5
"""Suppliers named per product in the breakdown; the rest are summed as ``other``."""


@dataclass
class ReportData:
    """The inputs of every section (plain JSON-ready values).

    Attributes
    ----------
    analysis : dict
        ``analyze(...).to_dict()`` for the report's importers.
    world : list of dict
        One per HS code of the loaded data (within the product filter): the world
        fields of an analyze call over all importers (``hs, material,
        world_top_exporter, world_top_exporter_share, world_export_hhi,
        world_export_value_usd, n_exporters, importers``) plus the report
        importers' imports of it (``focus_import_value_usd``).
    history : list of dict
        ``year, importer, hs, material, top_supplier, top_share, import_value_usd``
        per loaded year for the top :data:`CHART_PRODUCTS` ranked pairs.
    suppliers : list of dict
        ``importer, hs, material, supplier, value_usd, share, order`` for the
        same pairs (top :data:`SUPPLIERS_SHOWN` suppliers and ``other``).
    shock : dict or None
        ``run_scenario(...).to_dict()`` when a scenario is given.
    materials : dict
        ``{basket name: {"title", "description"}}`` for the materials of the rows.
    importers : str
        How the importers were asked for (``"KOR"``, ``"EU27"``, ``"every importer"``).
    scenario_path : str or None
        The scenario file.
    """

    analysis: dict[str, Any]
    world: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    suppliers: list[dict[str, Any]] = field(default_factory=list)
    shock: dict[str, Any] | None = None
    materials: dict[str, dict[str, str]] = field(default_factory=dict)
    importers: str = "every importer"
    scenario_path: str | None = None

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The ranked analyze rows."""
        return self.analysis.get("rows", [])

    @property
    def meta(self) -> dict[str, Any]:
        """The analyze result's provenance."""
        return self.analysis.get("meta", {})

    def material_title(self, material: str | None) -> str:
        """The basket titles of a row's material label (``"gallium+germanium"`` -> ``"Gallium + Germanium"``)."""
        if not material:
            return ""
        return " + ".join(self.materials.get(m, {}).get("title") or m for m in str(material).split("+"))

    @property
    def chart_rows(self) -> list[dict[str, Any]]:
        """The top-ranked rows the per-product charts show."""
        return self.rows[:CHART_PRODUCTS]


def _spec_text(importers: str | Iterable[str] | None) -> str:
    if importers is None:
        return "every importer"
    if isinstance(importers, str):
        return importers
    return ",".join(importers)


_WORLD_FIELDS = ("hs", "material", "world_top_exporter", "world_top_exporter_share", "world_export_hhi",
                 "world_export_value_usd", "n_exporters")


def _plain(v: Any) -> Any:
    """A pandas/numpy scalar as a JSON-ready Python value (missing -> None)."""
    import pandas as pd

    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    return v.item() if hasattr(v, "item") else v


def _world(table: FlowTable, *, hs, material, baskets, year, min_import_usd, focus: list[dict]) -> list[dict]:
    from scrisk.analysis import analyze

    # every importer: the world fields are the same on each row of an HS code (3,000+ rows on BACI, so the
    # result's rows frame is read directly instead of its to_dict records)
    rows = analyze(table, hs=hs, material=material, baskets=baskets, year=year, min_import_usd=min_import_usd).rows
    if rows.empty:
        return []
    counts = rows.groupby("hs", observed=True).size()
    first = rows.drop_duplicates("hs")[[c for c in _WORLD_FIELDS if c in rows.columns]]
    focus_value: dict[str, float] = {}
    for r in focus:
        focus_value[r["hs"]] = focus_value.get(r["hs"], 0.0) + float(r.get("import_value_usd") or 0.0)
    out = []
    for rec in first.to_dict(orient="records"):
        w = {k: _plain(rec.get(k)) for k in _WORLD_FIELDS}
        w["hs"] = str(w["hs"])
        w["importers"] = int(counts[rec["hs"]])
        w["focus_import_value_usd"] = focus_value.get(w["hs"], 0.0)
        out.append(w)
    return sorted(out, key=lambda w: (-(w["world_export_hhi"] or 0.0), w["hs"]))


def _history(table: FlowTable, pairs: list[dict], *, importers, hs, material, baskets, min_import_usd,
             analysed: tuple[int | None, list[dict]]) -> list[dict]:
    from scrisk.analysis import analyze

    keys = {(r["importer"], r["hs"]) for r in pairs}
    out = []
    for y in sorted(table.years):
        rows = analysed[1] if y == analysed[0] else analyze(
            table, importers=importers, hs=hs, material=material, baskets=baskets, year=y,
            min_import_usd=min_import_usd).to_dict()["rows"]  # the analysed year's rows are already there
        for r in rows:
            if (r["importer"], r["hs"]) in keys:
                out.append({"year": int(y), "importer": r["importer"], "hs": r["hs"], "material": r.get("material"),
                            "top_supplier": r["top_supplier"], "top_share": r["top_share"],
                            "import_value_usd": r["import_value_usd"]})
    return out


def _suppliers(table: FlowTable, pairs: list[dict], year: int | None) -> list[dict]:
    if not pairs or year is None:
        return []
    frame = table.frame
    importers = sorted({r["importer"] for r in pairs})
    codes = sorted({r["hs"] for r in pairs})
    sub = frame[(frame[YEAR] == year) & frame[IMPORTER].isin(importers) & frame[HS].isin(codes)]
    by = sub.groupby([IMPORTER, HS, EXPORTER], observed=True)[VALUE].sum()
    out = []
    for r in pairs:
        try:
            s = by.loc[(r["importer"], r["hs"])]
        except KeyError:
            continue
        s = s[s > 0]
        total = float(s.sum())
        if total <= 0:
            continue
        ranked = sorted(s.items(), key=lambda kv: (-kv[1], str(kv[0])))
        for i, (sup, v) in enumerate(ranked[:SUPPLIERS_SHOWN]):
            out.append({"importer": r["importer"], "hs": r["hs"], "material": r.get("material"), "supplier": str(sup),
                        "value_usd": float(v), "share": float(v) / total, "order": i})
        rest = sum(float(v) for _, v in ranked[SUPPLIERS_SHOWN:])
        if rest > 0:
            out.append({"importer": r["importer"], "hs": r["hs"], "material": r.get("material"),
                        "supplier": f"other ({len(ranked) - SUPPLIERS_SHOWN})", "value_usd": rest,
                        "share": rest / total, "order": SUPPLIERS_SHOWN})
    return out


def _materials(rows: list[dict], baskets) -> dict[str, dict[str, str]]:
    from scrisk.analysis import registry

    reg = registry(baskets)
    out = {}
    for name in sorted({m for r in rows for m in str(r.get("material") or "").split("+") if m}):
        b = reg.get(name)
        if b is not None:
            out[name] = {"title": b.title, "description": b.description}
    return out


def collect(
    table: FlowTable,
    *,
    importers: str | Iterable[str] | None = None,
    hs: str | Iterable[str] | None = None,
    material: str | Iterable[str] | None = None,
    baskets: Any = None,
    year: int | None = None,
    min_import_usd: float = 10_000_000.0,
    scenario: Any = None,
    scenario_path: str | None = None,
) -> ReportData:
    """Make the library calls behind a report and keep their JSON results.

    Parameters
    ----------
    table : FlowTable
        Flows from :func:`scrisk.api.load_flows`.
    importers, hs, material, baskets, year, min_import_usd
        As for :func:`scrisk.analysis.analyze`.
    scenario : Scenario, optional
        A scenario (:func:`scrisk.scenario.load_scenario`) to run on the same flows.
    scenario_path : str, optional
        The scenario's file, for the provenance.

    Returns
    -------
    ReportData

    Examples
    --------
    >>> import pandas as pd
    >>> from scrisk.schema import make_flow_table
    >>> t = make_flow_table(pd.DataFrame({"year": 2024, "exporter": ["CHN", "JPN", "CHN"],
    ...     "importer": ["KOR", "KOR", "USA"], "hs": "811292", "value_usd": [9.2e7, 0.8e7, 4e7]}))
    >>> d = collect(t, importers="KOR")
    >>> [(r["importer"], r["top_supplier"], r["top_share"]) for r in d.rows]
    [('KOR', 'CHN', 0.92)]
    >>> [(s["supplier"], round(s["share"], 2)) for s in d.suppliers]
    [('CHN', 0.92), ('JPN', 0.08)]
    >>> d.world[0]["world_top_exporter"], d.world[0]["importers"]
    ('CHN', 2)
    """
    from scrisk.analysis import analyze

    result = analyze(table, importers=importers, hs=hs, material=material, baskets=baskets, year=year,
                     min_import_usd=min_import_usd, screen=True).to_dict()
    rows = result["rows"]
    analysis_year = result["meta"].get("analysis_year")
    top = rows[:CHART_PRODUCTS]
    data = ReportData(
        analysis=result,
        world=_world(table, hs=hs, material=material, baskets=baskets, year=analysis_year,
                     min_import_usd=min_import_usd, focus=rows),
        history=_history(table, top, importers=importers, hs=hs, material=material, baskets=baskets,
                         min_import_usd=min_import_usd, analysed=(analysis_year, rows)),
        suppliers=_suppliers(table, top, analysis_year),
        materials=_materials(rows, baskets),
        importers=_spec_text(importers),
        scenario_path=scenario_path,
    )
    if scenario is not None:
        from scrisk.scenario import run_scenario

        data.shock = run_scenario(table, scenario, baskets=baskets if isinstance(baskets, dict) else None).to_dict()
    return data
