"""The application layer: one library function per command, from files to a result that serialises itself.

Each function resolves the baskets once, pushes the product filter into the
file scan, loads the flows once and returns a result object with
``to_dict()`` (the stable JSON contract) and, where it holds rows,
``to_arrow()`` / ``to_pandas()``. The commands in :mod:`scrisk.cli` only
parse options, make one of these calls, render and set the exit code;
scripts and notebooks call the same functions.

============================ =================================== ==========================
command                      function                            result
============================ =================================== ==========================
``scrisk analyze``           :func:`analyze_files`               :class:`~scrisk.analysis.AnalysisResult`
``scrisk validate``          :func:`validate_files`              :class:`~scrisk.io.validate.ValidationResult`
``scrisk graph``             :func:`graph_files`                 ``{"meta", "rows"}``
``scrisk shock``             :func:`shock_files`                 :class:`~scrisk.scenario.run.ShockResult`
``scrisk check``             :func:`check_files`                 :class:`~scrisk.policy.check.CheckResult`
``scrisk diff``              :func:`diff_files`                  :class:`~scrisk.policy.diff.DiffResult`
``scrisk leverage``          :func:`leverage_files`              :class:`~scrisk.lenses.LensResult`
``scrisk complement``        :func:`complement_files`            :class:`~scrisk.lenses.LensResult`
``scrisk partner``           :func:`partner_files`               :class:`~scrisk.lenses.LensResult`
============================ =================================== ==========================

Examples
--------
>>> r = analyze_files(importers="KOR", top=3)
>>> [row["hs"] for row in r.to_dict()["rows"]]
['720293', '810411', '850511']
>>> r.to_arrow().num_rows
3
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Callable, Iterable

from scrisk.io.options import ReadOptions

__all__ = ["analyze_files", "validate_files", "graph_files", "shock_files", "check_files", "diff_files",
           "chokepoints_files", "production_files", "supply_risk_files",
           "leverage_files", "complement_files", "partner_files", "load"]

Paths = Iterable[str | Path] | None


def load(files: Paths, read: ReadOptions | None = None, *, material: Any = None, hs: Any = None, baskets: Any = None,
         years: Iterable[int] | None = None):
    """Load ``files`` (the bundled example when empty) with the product filter pushed into the scan.

    Returns ``(flow table, basket registry)``.
    """
    from scrisk.analysis import read_filter, registry
    from scrisk.api import load_flows

    reg = registry(baskets)
    options = read or ReadOptions()
    changes: dict[str, Any] = {"hs": tuple(options.hs) or read_filter(material, hs, baskets=reg)}
    if years is not None:
        changes["years"] = tuple(int(y) for y in years)
    options = dataclasses.replace(options, **changes)
    return load_flows(list(files or []) or None, options), reg


def analyze_files(
    files: Paths = None,
    read: ReadOptions | None = None,
    *,
    importers: Any = None,
    hs: Any = None,
    material: Any = None,
    baskets: Any = None,
    year: int | None = None,
    progress: Callable[[str], None] | None = None,
    **options: Any,
):
    """Read trade files and rank their import dependencies (``scrisk analyze``).

    ``options`` are those of :func:`scrisk.analysis.analyze` (``friendly``,
    ``wgi``, ``min_import_usd``, ``screen``, ``top``, ``sort``,
    ``hhi_scale``, weights, bands, criteria).
    """
    from scrisk.analysis import analyze

    step = progress or (lambda s: None)
    step("reading")
    table, reg = load(files, read, material=material, hs=hs, baskets=baskets)
    return analyze(table, importers=importers, hs=hs, material=material, baskets=reg, year=year, progress=progress,
                   **options)


def validate_files(files: Paths = None, read: ReadOptions | None = None, *, quarantine: str | Path | None = None):
    """Read trade files and account for every row (``scrisk validate``)."""
    from scrisk.io.validate import validate_files as run

    return run(list(files or []), read, quarantine=quarantine)


def graph_files(files: Paths, out: str | Path, read: ReadOptions | None = None, *, material: Any = None,
                hs: Any = None, baskets: Any = None) -> dict[str, Any]:
    """Read trade files and write the country-goods trade graph to ``out`` (``scrisk graph``)."""
    from scrisk.graph import _format_of, export_graph

    _format_of(out)  # an unknown extension is a usage error before anything is read
    table, reg = load(files, read, material=material, hs=hs, baskets=baskets)
    return export_graph(table, out, material=material, hs=hs, baskets=reg)


def shock_files(files: Paths, scenario, read: ReadOptions | None = None, *, baskets: Any = None,
                years: Iterable[int] | None = None, **options: Any):
    """Read trade files and run an export-control scenario through them (``scrisk shock``).

    ``scenario`` is a :class:`~scrisk.scenario.spec.Scenario`; only the
    products it touches and their downstream codes are read (every product
    when a measure names none: an exporter-wide ban). ``options`` go to
    :func:`scrisk.scenario.run.run_scenario`, which selects the year's flows
    in the flow store (:mod:`scrisk.scenario.select`).
    """
    from scrisk.analysis import registry
    from scrisk.api import load_flows
    from scrisk.scenario.run import run_scenario

    reg = registry(baskets)
    opts = dataclasses.replace(read or ReadOptions(), hs=scenario.read_codes(baskets=reg, downstream=True),
                               **({"years": tuple(int(y) for y in years)} if years is not None else {}))
    table = load_flows(list(files or []) or None, opts)
    return run_scenario(table, scenario, baskets=reg, **options)


def check_files(files: Paths, policy, read: ReadOptions | None = None, **options: Any):
    """Read trade files and judge them against a policy (``scrisk check``); see :func:`scrisk.policy.check.check_files`."""
    from scrisk.policy.check import check_files as run

    return run(files, policy=policy, options=read, **options)


def diff_files(old: Paths, new: Paths, read: ReadOptions | None = None, **options: Any):
    """Read two vintages and report what changed (``scrisk diff``); see :func:`scrisk.policy.diff.diff_files`."""
    from scrisk.policy.diff import diff_files as run

    return run(list(old or []), list(new or []), options=read, **options)


def chokepoints_files(files: Paths = None, read: ReadOptions | None = None, *, hs: Any = None, material: Any = None,
                      baskets: Any = None, year: int | None = None, production: Any = None,
                      progress: Callable[[str], None] | None = None, **options: Any):
    """Read trade files (and production files) and list the global chokepoints (``scrisk chokepoints``).

    ``options`` are those of :func:`scrisk.chokepoints.chokepoints` (``min_import_usd``, ``bands``, ``sort``, ``top``).

    Examples
    --------
    >>> r = chokepoints_files(top=2)
    >>> [sorted(row)[:3] for row in r.to_dict()["rows"]][0]
    ['hs', 'importers_top_ge_50', 'importers_top_ge_75']
    """
    from scrisk.chokepoints import chokepoints

    step = progress or (lambda s: None)
    step("reading")
    table, reg = load(files, read, material=material, hs=hs, baskets=baskets)
    return chokepoints(table, hs=hs, material=material, baskets=reg, year=year, production=production,
                       progress=progress, **options)


def production_files(files: Iterable[str | Path], *, baskets: Any = None, **options: Any):
    """Read production files (USGS MCS, BGS WMS, tidy) and compute production concentration (``scrisk production``).

    ``options`` are those of :func:`scrisk.production.concentration.production_concentration`
    (``material``, ``stage``, ``years``, ``wgi``).
    """
    from scrisk.analysis import registry
    from scrisk.production.concentration import production_concentration
    from scrisk.production.readers import read_production

    return production_concentration(read_production(list(files)), baskets=registry(baskets), **options)


def supply_risk_files(files: Paths, production: Iterable[str | Path], wgi: Any, read: ReadOptions | None = None, *,
                      material: Any = None, baskets: Any = None, year: int | None = None, **options: Any):
    """The EU CRM supply risk of the baskets with CRM parameters (``scrisk supply-risk``).

    Reads the production files (global supply), the trade files (extra-EU imports for the EU sourcing) and the
    WGI file; see :func:`scrisk.production.crm.supply_risk`.
    """
    from scrisk.analysis import registry
    from scrisk.production.crm import supply_risk, supply_risk_codes
    from scrisk.production.readers import read_production

    reg = registry(baskets)
    codes = supply_risk_codes(reg, material)
    table, reg = load(files, read, hs=codes, baskets=reg)
    return supply_risk(table, read_production(list(production)), wgi, baskets=reg, material=material, year=year,
                       **options)


def leverage_files(files: Paths = None, read: ReadOptions | None = None, *, exporter: Any, material: Any = None,
                   hs: Any = None, baskets: Any = None, **options: Any):
    """Read trade files and measure an exporter's leverage over its customers (``scrisk leverage``).

    ``options`` are those of :func:`scrisk.lenses.leverage` (``importers``,
    ``year``, ``as_bloc``, ``min_import_usd``).

    Examples
    --------
    >>> r = leverage_files(exporter="CHN", hs="811292")
    >>> [(x["hs"], x["exporter"]) for x in r.to_dict()["rows"]][:1]
    [('811292', 'CHN')]
    """
    from scrisk.lenses import leverage

    table, reg = load(files, read, material=material, hs=hs, baskets=baskets)
    return leverage(table, exporter=exporter, material=material, hs=hs, baskets=reg, **options)


def complement_files(files: Paths = None, read: ReadOptions | None = None, *, importer: Any, ally: Any, rival: Any,
                     material: Any = None, hs: Any = None, baskets: Any = None, **options: Any):
    """Read trade files and run the complementarity lens (``scrisk complement``); see :func:`scrisk.lenses.complement`."""
    from scrisk.lenses import complement

    table, reg = load(files, read, material=material, hs=hs, baskets=baskets)
    return complement(table, importer=importer, ally=ally, rival=rival, material=material, hs=hs, baskets=reg,
                      **options)


def partner_files(files: Paths = None, read: ReadOptions | None = None, *, importer: Any, partner: Any,
                  material: Any = None, hs: Any = None, baskets: Any = None, **options: Any):
    """Read trade files and run the KIET-style named-partner screen (``scrisk partner``); see
    :func:`scrisk.lenses.partner_screen`."""
    from scrisk.lenses import partner_screen

    table, reg = load(files, read, material=material, hs=hs, baskets=baskets)
    return partner_screen(table, importer=importer, partner=partner, material=material, hs=hs, baskets=reg,
                          **options)
