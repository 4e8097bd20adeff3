"""Shock scenarios: export-control measures and engine parameters, from options or a TOML file.

A :class:`Scenario` is a named list of :class:`Measure` objects plus optional
engine parameters (:class:`EngineParams`). One measure restricts the exports
of some countries, of some products, to some destinations, by a cut
fraction::

    blocked[i, j, hs] = cut * flow[i, j, hs]   for i in exporters, j in targets - exempt, hs in products

Scenario files are TOML::

    name = "china_gallium_germanium_2023"        # optional; default: the file name
    title = "China: gallium and germanium export licensing (2023)"
    description = "What happened, when, and what the model assumes."
    sources = ["MOFCOM/GAC Announcement No. 23 of 2023 ..."]
    assumptions = ["cut = 0.5: half of licence requests not approved ..."]

    [engine]                                   # optional; command-line options override it
    mode = "cascade"                           # none | cascade
    headroom = 0.10                            # spare capacity, share of each supplier's exports
    stock_months = 0                           # importers' stocks, months of imports
    allies = "G7"                              # substitute only from these countries/groups
    max_iter = 100

    [[measure]]                                # one or more
    exporters = ["CHN"]                        # ISO3 codes or country groups (required)
    materials = ["gallium", "germanium"]       # basket names, and/or
    hs = ["811292"]                            # HS codes or 2/4-digit prefixes, as quoted strings
    targets = ["USA"]                          # default: every destination ("*")
    exempt = ["EU27"]                          # destinations removed from targets
    cut = 0.5                                  # share of the flows blocked, 0..1 (default 1 = ban)
    label = "licensing"                        # optional
    effective = "2023-08-01"                   # optional, informational
    note = "..."                               # optional

Where several measures hit the same flow, the strictest applies (the largest
cut), so measures never compound beyond a full ban.

Errors name the file, the line and the key, and say how to fix it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, Iterable, Literal, Mapping

from pydantic import AfterValidator, field_validator, model_validator

from scrisk.config import (ConfigModel, Invalid, Text, TomlLines, number, parse_toml, read_config_text, required,
                           strings, validate)
from scrisk.errors import ScenarioError, UnknownCountryError, UnknownMaterialError, UsageError

__all__ = [
    "MODES",
    "MEASURE_TYPES",
    "export_tax_cut",
    "DEFAULT_MODE",
    "DEFAULT_HEADROOM",
    "DEFAULT_STOCK_MONTHS",
    "DEFAULT_MAX_ITER",
    "Measure",
    "EngineParams",
    "Scenario",
    "ResolvedMeasure",
    "ProductionDecline",
    "ResolvedDecline",
    "load_scenario",
    "parse_scenario",
    "scenario_from_options",
    "expand_country_specs",
]

MODES: tuple[str, ...] = ("none", "cascade", "fsc")
"""Engine modes: ``none`` (first-order exposure), ``cascade`` (reallocation with spare capacity) and ``fsc``
(the Food Shock Cascade model with production and reserves)."""

DEFAULT_MODE = "cascade"
DEFAULT_HEADROOM = 0.10
"""Spare capacity of every supplier: 10 % of its baseline exports of the product."""
DEFAULT_STOCK_MONTHS = 0.0
DEFAULT_MAX_ITER = 100
DEFAULT_FSC_MAX_ITER = 1200
"""Iteration cap of ``fsc`` mode (``kmax`` of the reference's ``sim_cascade_PTA``)."""
DEFAULT_RESERVE_ACCESS = 0.5
"""Accessible fraction of reserves in ``fsc`` mode (the reference's ``rfrac``)."""
DEFAULT_HORIZON = 1

MEASURE_TYPES: tuple[str, ...] = ("cut", "prohibition", "quota", "licensing", "export_tax")
"""Measure types after the OECD Inventory of Export Restrictions on Industrial Raw Materials (plus a plain ``cut``)."""


def export_tax_cut(rate: float, elasticity: float) -> float:
    """Share of exports lost to an ad valorem export tax: :math:`1 - (1 + t)^{-\varepsilon}`.

    Assumes the tax is passed on in full to foreign buyers, whose demand for
    the country's exports has the constant price elasticity
    :math:`-\varepsilon` (give ``elasticity`` as the absolute value, with its
    source).

    Examples
    --------
    >>> round(export_tax_cut(0.15, 1.5), 4), export_tax_cut(0.0, 2.0)
    (0.1891, 0.0)
    """
    return 1.0 - (1.0 + float(rate)) ** (-float(elasticity))
_HS_RE = re.compile(r"^\d{2,12}$")


def _split(values: Iterable[str] | str | None) -> tuple[str, ...]:
    """Split comma-separated option values, strip blanks, keep order, drop repeats.

    Examples
    --------
    >>> _split(["CHN, RUS", "chn"])
    ('CHN', 'RUS', 'chn')
    """
    if values is None:
        return ()
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for v in values:
        out.extend(p.strip() for p in str(v).split(",") if p.strip())
    return tuple(dict.fromkeys(out))


def expand_country_specs(specs: Iterable[str]) -> tuple[str, ...] | None:
    """Expand ISO3 codes, aliases and country-group names into sorted ISO3 codes.

    ``*`` means every country and returns None; ``-ITEM`` removes a code or
    a group's members (:func:`scrisk.countries.expand_countries`).

    Raises
    ------
    UnknownCountryError
        A code or group scrisk does not know (exit 2).

    Examples
    --------
    >>> expand_country_specs(["JPN", "kor"]), expand_country_specs(["*"])
    (('JPN', 'KOR'), None)
    """
    from scrisk.countries import expand_countries

    got = expand_countries(list(specs))
    return None if got is None else tuple(sorted(got))


@dataclass(frozen=True)
class Measure:
    """One export-control measure, as written (country groups and materials not yet expanded).

    Attributes
    ----------
    exporters : tuple of str
        Restricting countries: ISO3 codes or group names.
    materials : tuple of str
        Basket names or aliases (see ``scrisk materials``).
    hs : tuple of str
        HS codes or 2/4-digit prefixes.
    targets : tuple of str
        Destinations (codes or groups); empty or ``("*",)`` = every destination.
    exempt : tuple of str
        Destinations removed from ``targets``.
    cut : float
        Share of each restricted flow that is blocked, in [0, 1] (for a
        quota, computed from the data at run time; see :attr:`type`).
    label, effective, note : str
        Free text carried into the output.
    type : str
        One of :data:`MEASURE_TYPES`: ``prohibition`` (cut 1), ``quota``
        (cut = 1 - quota / base exports of each exporter over the matched
        flows, from ``quota_usd`` or ``quota_kg``), ``licensing`` (cut = the
        share of licences refused, ``refusal``), ``export_tax`` (cut =
        :func:`export_tax_cut` of ``rate`` and ``elasticity``, with
        ``elasticity_source``), or ``cut`` (a cut given directly).
    source : str
        Where the measure is documented.
    line : int or None
        Line of the ``[[measure]]`` header in its file (for messages).
    """

    exporters: tuple[str, ...]
    materials: tuple[str, ...] = ()
    hs: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    exempt: tuple[str, ...] = ()
    cut: float = 1.0
    label: str = ""
    effective: str = ""
    note: str = ""
    line: int | None = field(default=None, compare=False)
    type: str = "cut"
    quota_usd: float | None = None
    quota_kg: float | None = None
    refusal: float | None = None
    rate: float | None = None
    elasticity: float | None = None
    elasticity_source: str = ""
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (as written, before expansion)."""
        extra = {k: getattr(self, k) for k in ("quota_usd", "quota_kg", "refusal", "rate", "elasticity")
                 if getattr(self, k) is not None}
        if self.elasticity_source:
            extra["elasticity_source"] = self.elasticity_source
        return {
            "type": self.type,
            **extra,
            "source": self.source,
            "exporters": list(self.exporters),
            "materials": list(self.materials),
            "hs": list(self.hs),
            "targets": list(self.targets) or ["*"],
            "exempt": list(self.exempt),
            "cut": float(self.cut),
            "label": self.label,
            "effective": self.effective,
            "note": self.note,
        }


@dataclass(frozen=True)
class ResolvedMeasure:
    """A measure with countries expanded to ISO3 codes and products to HS codes/prefixes.

    ``targets`` None means every destination. Flows match when the exporter
    is in ``exporters``, the importer is a target and not in ``exempt``, and
    the HS code starts with one of ``hs``.
    """

    exporters: tuple[str, ...]
    hs: tuple[str, ...]
    targets: tuple[str, ...] | None
    exempt: tuple[str, ...]
    cut: float
    materials: tuple[str, ...] = ()
    label: str = ""
    type: str = "cut"
    quota: float | None = None
    quota_unit: str | None = None


@dataclass(frozen=True)
class EngineParams:
    """Engine parameters; None means "not set here" (a later layer or the default decides).

    Precedence: command-line option > scenario file ``[engine]`` > default.
    """

    mode: str | None = None
    headroom: float | None = None
    stock_months: float | None = None
    allies: tuple[str, ...] | None = None
    max_iter: int | None = None
    reserve_access: float | None = None
    horizon: int | None = None

    def merged(self, override: "EngineParams") -> "EngineParams":
        """Return these parameters with every non-None field of ``override`` applied."""
        return replace(self, **{k: v for k, v in override.__dict__.items() if v is not None})

    def resolved(self) -> "EngineParams":
        """Return the parameters with defaults filled in.

        Examples
        --------
        >>> p = EngineParams(headroom=0.2).resolved()
        >>> p.mode, p.headroom, p.stock_months, p.max_iter, p.allies, p.reserve_access, p.horizon
        ('cascade', 0.2, 0.0, 100, (), 0.5, 1)
        >>> EngineParams(mode="fsc").resolved().max_iter
        1200
        """
        mode = self.mode if self.mode is not None else DEFAULT_MODE
        cap = DEFAULT_FSC_MAX_ITER if mode == "fsc" else DEFAULT_MAX_ITER
        return EngineParams(
            mode=mode,
            headroom=float(self.headroom) if self.headroom is not None else DEFAULT_HEADROOM,
            stock_months=float(self.stock_months) if self.stock_months is not None else DEFAULT_STOCK_MONTHS,
            allies=tuple(self.allies) if self.allies is not None else (),
            max_iter=int(self.max_iter) if self.max_iter is not None else cap,
            reserve_access=float(self.reserve_access) if self.reserve_access is not None else DEFAULT_RESERVE_ACCESS,
            horizon=int(self.horizon) if self.horizon is not None else DEFAULT_HORIZON,
        )

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        d = dict(self.__dict__)
        d["allies"] = list(self.allies) if self.allies is not None else None
        return d


@dataclass(frozen=True)
class ProductionDecline:
    """A production shock: the output of ``countries`` of the products falls by the share ``decline``.

    Examples
    --------
    >>> ProductionDecline(("CHN",), hs=("811292",), decline=0.3).to_dict()["decline"]
    0.3
    """

    countries: tuple[str, ...]
    materials: tuple[str, ...] = ()
    hs: tuple[str, ...] = ()
    decline: float = 1.0
    label: str = ""
    effective: str = ""
    note: str = ""
    source: str = ""
    line: int | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (as written)."""
        return {"countries": list(self.countries), "materials": list(self.materials), "hs": list(self.hs),
                "decline": float(self.decline), "label": self.label, "effective": self.effective,
                "note": self.note, "source": self.source}


@dataclass(frozen=True)
class ResolvedDecline:
    """A production decline with countries as ISO3 codes and products as HS codes/prefixes."""

    countries: tuple[str, ...]
    hs: tuple[str, ...]
    decline: float
    label: str = ""


@dataclass(frozen=True)
class Scenario:
    """A named set of measures with its documentation and engine parameters.

    Examples
    --------
    >>> s = Scenario("demo", (Measure(("CHN",), hs=("811292",), cut=0.5),))
    >>> s.measures[0].cut, s.to_dict()["measures"][0]["targets"]
    (0.5, ['*'])
    """

    name: str
    measures: tuple[Measure, ...]
    title: str = ""
    description: str = ""
    sources: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()
    engine: EngineParams = field(default_factory=EngineParams)
    path: str | None = None
    declines: tuple[ProductionDecline, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (the ``scenario`` block of a shock result's meta)."""
        return {
            "production_declines": [d.to_dict() for d in self.declines],
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "sources": list(self.sources),
            "assumptions": list(self.assumptions),
            "path": self.path,
            "engine": self.engine.to_dict(),
            "measures": [m.to_dict() for m in self.measures],
        }

    def resolve(self, *, baskets: Mapping[str, Any] | None = None, revision: str | None = None
                ) -> tuple[ResolvedMeasure, ...]:
        """Expand every measure's countries and products.

        Parameters
        ----------
        baskets : dict, optional
            Material baskets (default: the bundled ones).
        revision : str, optional
            HS revision of the data, used to pick basket codes (default HS2017).

        Raises
        ------
        ScenarioError
            For a file scenario: unknown material or country, naming the line.
        UnknownMaterialError, UnknownCountryError, UsageError
            For a scenario built from options (exit 2).
        """
        from scrisk.materials import resolve_hs

        out = []
        for m in self.measures:
            try:
                codes = resolve_hs(m.materials or None, m.hs or None, baskets=baskets, revision=revision)
                exporters = expand_country_specs(m.exporters)
                if exporters is None:
                    raise UsageError("exporters cannot be '*' (every country); name the restricting countries")
                targets = expand_country_specs(m.targets) if m.targets else None
                exempt = expand_country_specs(m.exempt) if m.exempt else ()
                if exempt is None:
                    raise UsageError("exempt cannot be '*': that would exempt every destination")
            except (UnknownMaterialError, UnknownCountryError, UsageError) as exc:
                if self.path is None:
                    raise
                raise ScenarioError(f"measure: {exc.message}", path=self.path, line=m.line) from None
            quota = m.quota_usd if m.quota_usd is not None else m.quota_kg
            unit = "usd" if m.quota_usd is not None else "kg" if m.quota_kg is not None else None
            out.append(ResolvedMeasure(exporters=exporters, hs=codes, targets=targets, exempt=exempt,
                                       cut=float(m.cut), materials=tuple(m.materials), label=m.label, type=m.type,
                                       quota=quota, quota_unit=unit))
        return tuple(out)

    def resolve_declines(self, *, baskets: Mapping[str, Any] | None = None, revision: str | None = None
                         ) -> tuple[ResolvedDecline, ...]:
        """Expand every production decline's countries and products (errors as :meth:`resolve`)."""
        from scrisk.materials import resolve_hs

        out = []
        for d in self.declines:
            try:
                codes = resolve_hs(d.materials or None, d.hs or None, baskets=baskets, revision=revision)
                countries = expand_country_specs(d.countries)
                if countries is None:
                    raise UsageError("a production decline cannot hit '*' (every country); name the countries")
            except (UnknownMaterialError, UnknownCountryError, UsageError) as exc:
                if self.path is None:
                    raise
                raise ScenarioError(f"production_decline: {exc.message}", path=self.path, line=d.line) from None
            out.append(ResolvedDecline(countries=countries, hs=codes, decline=float(d.decline), label=d.label))
        return tuple(out)

    def read_codes(self, *, baskets: Mapping[str, Any] | None = None, downstream: bool = False) -> tuple[str, ...]:
        """HS codes/prefixes to read from the data: every measure's codes in HS2017 and HS2022.

        Meant for the ``hs`` filter of :class:`scrisk.io.options.ReadOptions`,
        before the data (and so its HS revision) is known. With
        ``downstream``, the codes linked downstream of them in the baskets
        are added (for the downstream exposure). Empty (read everything) when
        a measure names no product (every product), and when the codes cover
        at least half of the subheadings of HS2017 or HS2022
        (:func:`nomenclature_share`): a filter that keeps most rows costs a
        test on every row and saves little, so such a list reads the whole
        file (the scan an exporter-wide run makes, cached and shared with it)
        and the flows are selected in the flow store. The products shocked
        are the same either way.

        Examples
        --------
        >>> s = Scenario("x", (Measure(("CHN",), materials=("hafnium",)),))
        >>> s.read_codes()
        ('811231', '811292')
        """
        from scrisk.analysis import read_filter
        from scrisk.materials import resolve_hs

        codes: set[str] = set()
        for m in (*self.measures, *self.declines):
            got = read_filter(m.materials, m.hs, baskets=baskets)
            if not got:  # a measure on every product: read everything
                return ()
            codes.update(got)
        if downstream and codes:
            from scrisk.scenario.downstream import downstream_codes

            codes.update(downstream_codes(sorted(codes), baskets))
        out = resolve_hs(None, sorted(codes), baskets=baskets) if codes else ()
        return () if out and nomenclature_share(out) >= READ_ALL_SHARE else out


READ_ALL_SHARE = 0.5
"""Share of the HS6 nomenclature from which a scenario's code list reads the whole file (:meth:`Scenario.read_codes`)."""


@functools.lru_cache(maxsize=1)
def _nomenclature() -> dict[str, frozenset[str]]:
    """The HS6 codes of HS2017 and HS2022 (the subheadings of the bundled HS-BEC correlation)."""
    import csv

    from scrisk.resources import package_data

    codes: dict[str, set[str]] = {}
    with open(package_data("hs_bec_end_use.csv"), newline="", encoding="utf-8") as fh:
        rows = csv.reader(line for line in fh if not line.startswith("#"))
        next(rows)  # revision,hs,bec,end_use
        for rev, hs, *_ in rows:
            if "01" <= hs[:2] <= "97":  # not the correlation's 000000/999999 (unallocated) rows
                codes.setdefault(rev, set()).add(hs)
    return {rev: frozenset(c) for rev, c in codes.items()}


def nomenclature_share(codes: Iterable[str]) -> float:
    """The share of HS2017's or HS2022's subheadings (HS6 codes) that ``codes`` name, the larger of the two.

    A 2- or 4-digit prefix names the subheadings under it; a 6-digit code names one subheading, listed in the
    nomenclature or not (a code of another revision, or of a file's own coding, is still one product); a
    longer code (a national tariff line) names part of one and counts for none.

    Examples
    --------
    >>> nomenclature_share(["811292"]) < 0.001
    True
    >>> nomenclature_share([f"{c:02d}" for c in range(1, 98)])
    1.0
    >>> round(nomenclature_share([f"{c:02d}" for c in range(1, 50)]), 2)  # chapters 01-49
    0.46
    """
    short: dict[int, set[str]] = {}
    six: set[str] = set()
    for c in codes:
        if len(c) == 6:
            six.add(c)
        elif 0 < len(c) < 6:
            short.setdefault(len(c), set()).add(c)
    six = {c for c in six if not any(c[:n] in s for n, s in short.items())}
    best = 0.0
    for subheadings in _nomenclature().values():
        under = sum(1 for h in subheadings if any(h[:n] in s for n, s in short.items())) if short else 0
        best = max(best, min(1.0, (under + len(six)) / len(subheadings)))
    return best


# ---------------------------------------------------------------------------
# from command-line options


def _check_cut(cut: float, where: str) -> float:
    try:
        c = float(cut)
    except (TypeError, ValueError):
        raise UsageError(f"{where} {cut!r} is not a number; give a share between 0 and 1, e.g. 0.5") from None
    if not (0.0 <= c <= 1.0):
        raise UsageError(f"{where} {c:g} is outside 0..1; give the share of the flows blocked, e.g. 0.5 for half")
    return c


def scenario_from_options(
    *,
    exporters: Iterable[str] | str | None,
    materials: Iterable[str] | str | None = None,
    hs: Iterable[str] | str | None = None,
    targets: Iterable[str] | str | None = None,
    exempt: Iterable[str] | str | None = None,
    cut: float = 1.0,
    name: str | None = None,
    declines: Iterable[str] | str | None = None,
    quota_usd: float | None = None,
    export_tax: float | None = None,
    elasticity: float | None = None,
    elasticity_source: str | None = None,
) -> Scenario:
    """Build a one-measure scenario from ``--exporter/--material/--hs/--targets/--exempt/--cut``.

    ``declines`` (``--production-decline``) adds production shocks on the
    same products, written ``ISO3=SHARE`` (``CHN=0.3``: China's output falls
    30 %); with declines, ``exporters`` may be empty. ``quota_usd``
    (``--quota-usd``) makes the measure a quota; ``export_tax`` with
    ``elasticity`` and ``elasticity_source`` an export tax (see :class:`Measure`).

    No ``materials`` nor ``hs`` means every product: the measure restricts
    all the exporters' exports (an exporter-wide ban, ``--exporter CHN``
    alone); the title says so, and the result's meta (``products``).

    Raises
    ------
    UsageError
        No exporter (nor decline), a decline without products, or a cut or decline outside [0, 1] (exit 2).

    Examples
    --------
    >>> s = scenario_from_options(exporters="CHN", materials="gallium", cut=0.5)
    >>> s.name, s.measures[0].exporters, s.measures[0].materials, s.measures[0].cut
    ('CHN-gallium', ('CHN',), ('gallium',), 0.5)
    >>> s.title
    'CHN cuts 50% of gallium exports to all destinations'
    >>> scenario_from_options(exporters="CHN").title
    'CHN cuts 100% of every product exports to all destinations'

    """
    ex = tuple(x.upper() if len(x) == 3 else x for x in _split(exporters))
    mats, codes = _split(materials), _split(hs)
    decl = []
    for item in _split(declines):
        country, sep, share = item.partition("=")
        if not sep or not country.strip():
            raise UsageError(f"--production-decline {item!r} must be ISO3=SHARE, e.g. CHN=0.3 (output falls 30 %)")
        c = _check_cut(share.strip(), f"--production-decline {country.strip()}")
        decl.append(ProductionDecline((country.strip().upper(),), materials=mats, hs=codes, decline=c))
    if not ex and not decl:
        raise UsageError("no restricting exporter; give --exporter CHN (or several, or a group), "
                         "a --production-decline ISO3=SHARE, or a scenario file with --scenario FILE")
    if not mats and not codes and decl:
        raise UsageError("a --production-decline needs its products; give --material NAME (see `scrisk materials`) "
                         "or --hs CODES, or a scenario file with --scenario FILE")
    c = _check_cut(cut, "--cut")
    who = ",".join(ex) if ex else ",".join(d.countries[0] for d in decl)
    label = name or "-".join([who, *(mats or codes or ["all-products"])])
    tg, exm = _split(targets), _split(exempt)
    parts = []
    measures: tuple[Measure, ...] = ()
    if ex:
        parts.append(f"{', '.join(ex)} cuts {c:.0%} of {', '.join(mats + codes) or 'every product'} exports to "
                     f"{', '.join(tg) if tg else 'all destinations'}" + (f" except {', '.join(exm)}" if exm else ""))
        kind: dict[str, Any] = {}
        if quota_usd is not None and export_tax is not None:
            raise UsageError("give either --quota-usd or --export-tax, not both")
        if quota_usd is not None:
            if not (quota_usd >= 0):
                raise UsageError(f"--quota-usd {quota_usd!r} must be a value >= 0")
            kind = {"type": "quota", "quota_usd": float(quota_usd)}
            parts[-1] = parts[-1].replace(f"cuts {c:.0%} of", f"caps at ${quota_usd:,.0f} (quota)")
        elif export_tax is not None:
            if elasticity is None or not elasticity_source:
                raise UsageError("--export-tax needs --elasticity E (the absolute price elasticity of foreign demand) "
                                 "and --elasticity-source TEXT (where E comes from)")
            if not (0 <= export_tax <= 10) or not (0 <= elasticity <= 50):
                raise UsageError("--export-tax must be within 0..10 (0.15 = 15 %) and --elasticity within 0..50")
            old = f"cuts {c:.0%} of"
            c = export_tax_cut(export_tax, elasticity)
            kind = {"type": "export_tax", "rate": float(export_tax), "elasticity": float(elasticity),
                    "elasticity_source": elasticity_source}
            parts[-1] = parts[-1].replace(old, f"taxes {export_tax:.0%} (cut {c:.0%}) of")
        elif cut >= 1.0:
            kind = {"type": "prohibition"}
        measures = (Measure(exporters=ex, materials=mats, hs=codes, targets=tg, exempt=exm, cut=c, **kind),)
    for d in decl:
        parts.append(f"{d.countries[0]} output of {', '.join(mats + codes)} falls {d.decline:.0%}")
    return Scenario(name=label, measures=measures, title="; ".join(parts), declines=tuple(decl))


# ---------------------------------------------------------------------------
# from a TOML file


def _check_specs(specs: tuple[str, ...], info, *, star_ok: bool = True, what: str = "") -> tuple[str, ...]:
    """Country codes and groups of a key: unknown ones fail at their line (when names are checked)."""
    ctx = info.context or {}
    if not specs or not ctx.get("check_names", True):
        return specs
    try:
        got = expand_country_specs(specs)
    except UnknownCountryError as exc:
        raise Invalid(exc.message) from None
    if got is None and not star_ok:
        raise Invalid(f'{{where}} = "*" would cover every country; name the {what or "countries or groups"}')
    return specs


def _check_materials(names: tuple[str, ...], info) -> tuple[str, ...]:
    ctx = info.context or {}
    if names and ctx.get("check_names", True):
        from scrisk.materials import get_basket

        for name in names:
            try:
                get_basket(name, baskets=ctx.get("baskets"))
            except UnknownMaterialError as exc:
                raise Invalid(exc.message) from None
    return names


def _hs_prefixes(codes: tuple[str, ...]) -> tuple[str, ...]:
    for h in codes:
        if not _HS_RE.match(h) or len(h) % 2:
            raise Invalid(f"{{where}} holds {h!r}, not an HS code; give 2, 4, 6 or more digits as a quoted string")
    return codes


def _iso_case(specs: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(x.upper() if len(x) == 3 else x for x in specs)


def _countries(*, nonempty: bool = False) -> Any:
    return Annotated[strings(nonempty=nonempty), AfterValidator(_iso_case)]


_Countries = _countries()
_HS = Annotated[strings(hs=True), AfterValidator(_hs_prefixes)]
_Share = number(lo=0, hi=1)


class EngineSpec(ConfigModel):
    """The ``[engine]`` table of a scenario file (command-line options override it)."""

    mode: Literal[MODES] = None
    headroom: number(lo=0) = None
    stock_months: number(lo=0) = None
    allies: strings() = None
    max_iter: number(lo=1, integer=True) = None
    reserve_access: _Share = None
    horizon: number(lo=1, hi=100, integer=True) = None

    @field_validator("allies")
    @classmethod
    def _known_allies(cls, v, info):
        return _check_specs(v, info)

    def to_params(self) -> EngineParams:
        return EngineParams(**self.model_dump())


class _ProductShock(ConfigModel):
    """What a measure and a production decline share: the products they hit and their documentation."""

    materials: strings() = ()
    hs: _HS = ()
    label: Text = ""
    effective: Text = ""
    note: Text = ""
    source: Text = ""

    @field_validator("materials")
    @classmethod
    def _known_materials(cls, v, info):
        return _check_materials(v, info)

    @model_validator(mode="after")
    def _names_a_product(self):
        if not self.materials and not self.hs:
            raise Invalid('{where} names no product; add materials = ["gallium"] or hs = ["811292"]')
        return self


class MeasureSpec(_ProductShock):
    """One ``[[measure]]`` table (see the module docstring and :class:`Measure`)."""

    exporters: _countries(nonempty=True) = required(
        '{where} has no exporters; add exporters = ["CHN"] (ISO3 codes or country groups)')
    targets: _Countries = ()
    exempt: _Countries = ()
    type: Literal[MEASURE_TYPES] = "cut"
    cut: _Share = None
    quota_usd: number(lo=0) = None
    quota_kg: number(lo=0) = None
    refusal: _Share = None
    rate: number(lo=0, hi=10) = None
    elasticity: number(lo=0, hi=50) = None
    elasticity_source: Text = ""

    @field_validator("exporters", "exempt")
    @classmethod
    def _known_sources(cls, v, info):
        return _check_specs(v, info, star_ok=False)

    @field_validator("targets")
    @classmethod
    def _known_targets(cls, v, info):
        return _check_specs(v, info)

    @model_validator(mode="after")
    def _type_and_its_keys(self):
        t = self.type
        needs = {"licensing": ("refusal",), "export_tax": ("rate", "elasticity")}.get(t, ())
        for k in needs:
            if getattr(self, k) is None:
                raise Invalid(f"{{where}} of type {t!r} needs {k} = ...")
        allowed = {"cut": {"cut"}, "prohibition": {"cut"}, "quota": {"quota_usd", "quota_kg"},
                   "licensing": {"refusal"}, "export_tax": {"rate", "elasticity", "elasticity_source"}}[t]
        for k in ("cut", "quota_usd", "quota_kg", "refusal", "rate", "elasticity", "elasticity_source"):
            if k in self.model_fields_set and k not in allowed:
                raise Invalid(f"{{key}} does not apply to a measure of type {t!r}; drop it or change the type",
                              at=(k,))
        if t == "prohibition" and self.cut is not None and self.cut != 1.0:
            raise Invalid("{where} = {value} is out of range for a prohibition, which blocks every flow (cut = 1); "
                          'drop cut or use type = "licensing"', at=("cut",))
        if t == "quota" and (self.quota_usd is None) == (self.quota_kg is None):
            raise Invalid("{where} of type 'quota' needs one of quota_usd or quota_kg (the allowed exports per "
                          "exporter over the matched flows)")
        if t == "export_tax" and not self.elasticity_source:
            raise Invalid('{where} of type \'export_tax\' needs elasticity_source = "..." (where the price '
                          "elasticity comes from)", at=("elasticity",))
        return self

    def to_measure(self, line: int | None) -> Measure:
        t = self.type
        extra: dict[str, Any] = {}
        if t == "quota":
            key = "quota_usd" if self.quota_usd is not None else "quota_kg"
            extra[key] = getattr(self, key)
            cut = 0.0  # computed from the data at run time
        elif t == "licensing":
            extra["refusal"] = self.refusal
            cut = self.refusal
        elif t == "export_tax":
            extra.update(rate=self.rate, elasticity=self.elasticity, elasticity_source=self.elasticity_source)
            cut = export_tax_cut(self.rate, self.elasticity)
        else:
            cut = self.cut if self.cut is not None else 1.0
        return Measure(exporters=self.exporters, materials=self.materials, hs=self.hs, targets=self.targets,
                       exempt=self.exempt, cut=float(cut), label=self.label, effective=self.effective, note=self.note,
                       line=line, type=t, source=self.source, **extra)


class DeclineSpec(_ProductShock):
    """One ``[[production_decline]]`` table: the output of ``countries`` of the products falls by ``decline``."""

    countries: _countries(nonempty=True) = required(
        '{where} has no countries; add countries = ["CHN"]')
    decline: _Share = required("{where} has no decline; add decline = 0.3 (the share of output lost)")

    @field_validator("countries")
    @classmethod
    def _known_countries(cls, v, info):
        return _check_specs(v, info, star_ok=False)

    def to_decline(self, line: int | None) -> ProductionDecline:
        return ProductionDecline(countries=self.countries, materials=self.materials, hs=self.hs,
                                 decline=self.decline, label=self.label, effective=self.effective, note=self.note,
                                 source=self.source, line=line)


class ScenarioFile(ConfigModel):
    """A scenario file: its documentation, ``[engine]``, ``[[measure]]`` and ``[[production_decline]]`` tables."""

    name: Text = ""
    title: Text = ""
    description: Text = ""
    sources: strings(split=False) = ()
    assumptions: strings(split=False) = ()
    engine: EngineSpec = EngineSpec()
    measure: list[MeasureSpec] = []
    production_decline: list[DeclineSpec] = []

    @model_validator(mode="after")
    def _has_a_shock(self):
        if not self.measure and not self.production_decline:
            raise Invalid("no measure; add a [[measure]] table with exporters, materials or hs, targets and cut "
                          "(or a [[production_decline]] table)")
        return self


def parse_scenario(text: str, *, path: str = "<scenario>", baskets: Mapping[str, Any] | None = None,
                   check_names: bool = True) -> Scenario:
    """Parse scenario TOML text.

    Parameters
    ----------
    text : str
        The TOML document.
    path : str
        Shown in error messages.
    baskets : dict, optional
        Baskets to check material names against (default: bundled).
    check_names : bool
        Check material and country names now (default), so a typo is
        reported at its line.

    Raises
    ------
    ScenarioError
        Bad TOML syntax, unknown key, wrong type, out-of-range value, unknown
        material or country; the message names the key and ``path:line``.

    Examples
    --------
    >>> s = parse_scenario('name = "t"\\n[[measure]]\\nexporters = ["JPN"]\\nhs = ["370790"]\\ncut = 0.4\\n',
    ...                    check_names=False)
    >>> s.name, s.measures[0].hs, s.measures[0].line
    ('t', ('370790',), 2)
    >>> parse_scenario('[[measure]]\\nexporter = ["JPN"]\\n', check_names=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    scrisk.errors.ScenarioError: <scenario>:2: unknown key 'exporter' in measure[1]; did you mean 'exporters'? (allowed: ...)
    """
    data = parse_toml(text, path=path, error=ScenarioError)
    lines = TomlLines(text)
    spec = validate(ScenarioFile, data, text=text, path=path, error=ScenarioError, lines=lines,
                    context={"check_names": check_names, "baskets": baskets})
    stem = Path(path).stem if path != "<scenario>" else "scenario"
    return Scenario(
        name=spec.name or stem,
        measures=tuple(m.to_measure(lines.line(("measure", i))) for i, m in enumerate(spec.measure)),
        title=spec.title,
        description=spec.description,
        sources=spec.sources,
        assumptions=spec.assumptions,
        engine=spec.engine.to_params(),
        path=None if path == "<scenario>" else path,
        declines=tuple(d.to_decline(lines.line(("production_decline", i)))
                       for i, d in enumerate(spec.production_decline)),
    )


def load_scenario(path: str | Path, *, baskets: Mapping[str, Any] | None = None) -> Scenario:
    """Read a scenario TOML file (format in the module docstring).

    Raises
    ------
    UnreadableFileError
        The file is missing or unreadable (exit 3).
    ScenarioError
        The file is invalid; the message names the key and the line (exit 3).
    """
    p = Path(path)
    text = read_config_text(p, what="scenario", option="--scenario", error=ScenarioError)
    return parse_scenario(text, path=str(p), baskets=baskets)
