"""Material baskets: named sets of HS codes with their stage, precision caveats and supply-chain links.

A *basket* groups the HS6 codes through which one critical material (or one
product family such as semiconductors) is traded: ores, refined forms,
intermediates, downstream products and production equipment. Each code carries
the HS revisions it is valid in, a short description, its stage and, where an
HS6 code mixes several materials, a precision note. Upstream-to-downstream
links (gallium 811292 -> wafers 381800 -> integrated circuits 8542) live in
the same data so that a supply chain can be walked across tiers.

The bundled baskets are TOML files in ``data/hs_codes/`` (shipped in the wheel
as ``scrisk/data/hs_codes``), one basket per file::

    name = "gallium"                      # lower case, digits, underscores
    title = "Gallium"
    description = "..."
    aliases = ["ga"]                      # optional
    sources = ["..."]                     # optional

    [[code]]
    hs = "811292"                         # HS6, a quoted string
    revisions = ["HS2017", "HS2022"]      # optional, default both
    stage = "refined"                     # raw|refined|intermediate|downstream|equipment
    description = "..."
    precision = "..."                     # optional: what else the code holds
    hs2022 = "811231"                     # optional: the HS2022 code when hs is HS2017-only

    [[link]]
    upstream = "811292"                   # a code (or prefix of a code) of this basket
    downstream = "381800"                 # any HS code or heading (2, 4 or 6 digits)
    note = "..."

    [[production]]                        # optional: where production statistics report the material
    stage = "refinery"                    # mine | refinery (refinery, smelter or primary metal)
    hs = ["811292"]                       # the basket's codes this production supplies
    usgs = "galli"                        # USGS MCS world-table code (file mcs2024-galli_world.csv)
    usgs_type = "primary production"      # optional: start of the USGS Type text (files with several)
    bgs = "cobalt refined"                # optional: BGS World Mineral Statistics commodity
    bgs_sub = ""                          # optional: BGS sub-commodity (default: the blank one)

    [crm]                                 # optional: EU CRM supply-risk parameters (0-1)
    source = "..."
    stage = "refinery"                    # the assessed (bottleneck) stage
    eol_rir = 0.0                         # end-of-life recycling input rate
    si_sr = 0.98                          # substitution index for supply risk
    import_reliance = {refinery = 0.98}   # IR per stage
    trade_parameter = [{country = "CHN", stage = "mine", scope = "global", t = 1.1}]  # t_c (default 1)

A user file given with ``--baskets FILE`` holds either one basket in that
layout, or several as ``[[basket]]`` tables with ``[[basket.code]]`` and
``[[basket.link]]`` sub-tables. A user basket replaces a bundled basket of the
same name; later files override earlier ones.

Names are matched case-insensitively, and ``-``, ``_`` and spaces are
equivalent (``rare-earths`` = ``Rare Earths`` = ``rare_earths``); aliases work
the same way.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Iterable, Literal, Mapping, Optional

from pydantic import BeforeValidator, Field, model_validator

from scrisk.config import (ConfigModel, Invalid, Text, did_you_mean, first_repeat, nonempty, number, parse_toml,
                           read_config_text, required, strings, validate)
from scrisk.errors import ConfigError, UnknownMaterialError, UsageError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "STAGES",
    "REVISIONS",
    "HSCode",
    "Link",
    "ProductionSource",
    "CrmParameters",
    "PRODUCTION_STAGES",
    "Basket",
    "normalize_name",
    "minimal_prefixes",
    "hs_prefix_match",
    "normalize_revision",
    "load_baskets",
    "get_basket",
    "materials_for_hs",
    "label_materials",
    "map_labels",
    "first_labels",
    "code_labels",
    "resolve_hs",
    "hs_mask",
    "downstream_of",
    "catalog",
]

STAGES: tuple[str, ...] = ("raw", "refined", "intermediate", "downstream", "equipment")
"""Supply-chain stages, upstream first."""

REVISIONS: tuple[str, ...] = ("HS1992", "HS1996", "HS2002", "HS2007", "HS2012", "HS2017", "HS2022")
"""HS revisions a code may be declared for."""

DEFAULT_REVISIONS: tuple[str, ...] = ("HS2017", "HS2022")
DEFAULT_REVISION = "HS2017"

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_]*$")
PRODUCTION_STAGES: tuple[str, ...] = ("mine", "refinery")
"""Production stages: mine (extraction) and refinery (refinery, smelter or primary metal; EU CRM 'processing')."""


@dataclass(frozen=True)
class HSCode:
    """One HS code in a basket.

    Attributes
    ----------
    hs : str
        The HS6 code as it appears in trade data of ``revisions`` (zero-padded).
    revisions : tuple of str
        HS revisions in which ``hs`` carries this material, e.g.
        ``("HS2017", "HS2022")``.
    description : str
        Short description of what the code covers.
    stage : str
        One of :data:`STAGES`.
    precision : str or None
        What else the code holds when it mixes materials (None when the code
        isolates the material).
    hs2022 : str or None
        The HS2022 code carrying the material when ``hs`` is valid in HS2017
        only (hafnium: 811292 in HS2017, 811231 in HS2022); None otherwise.

    Examples
    --------
    >>> c = HSCode("811292", ("HS2017",), "Hafnium, unwrought", "refined", None, "811231")
    >>> c.code_for("HS2017"), c.code_for("HS2022"), c.code_for("HS2012")
    ('811292', '811231', None)
    """

    hs: str
    revisions: tuple[str, ...]
    description: str
    stage: str
    precision: str | None = None
    hs2022: str | None = None

    def code_for(self, revision: str | None = DEFAULT_REVISION) -> str | None:
        """Return the code to look for in data of ``revision`` (None when the code has none there)."""
        rev = normalize_revision(revision)
        if rev in self.revisions:
            return self.hs
        if rev == "HS2022" and self.hs2022:
            return self.hs2022
        return None

    def all_codes(self) -> tuple[str, ...]:
        """Return ``hs`` and, when set, ``hs2022``."""
        return (self.hs,) if not self.hs2022 else (self.hs, self.hs2022)


@dataclass(frozen=True)
class Link:
    """An upstream-to-downstream link: ``upstream`` is an input of ``downstream``.

    Codes are HS6 codes or 2/4-digit HS prefixes (``"8542"`` = all integrated circuits).
    """

    upstream: str
    downstream: str
    note: str = ""


@dataclass(frozen=True)
class ProductionSource:
    """Where production statistics report a basket's material at one stage.

    Attributes
    ----------
    stage : str
        One of :data:`PRODUCTION_STAGES`.
    hs : tuple of str
        The basket's codes this production supplies (the chokepoint rows it is joined to).
    usgs : str or None
        USGS Mineral Commodity Summaries world-table code (``galli`` in ``mcs2024-galli_world.csv``).
    usgs_type : str or None
        Lower-case start of the USGS ``Type`` text, for files with several production types.
    bgs : str or None
        BGS World Mineral Statistics ``commodity_desc`` (lower case).
    bgs_sub : str
        BGS ``Sub-commodity`` to use ('' = the blank one).
    note : str
    """

    stage: str
    hs: tuple[str, ...] = ()
    usgs: str | None = None
    usgs_type: str | None = None
    bgs: str | None = None
    bgs_sub: str = ""
    note: str = ""


@dataclass(frozen=True)
class CrmParameters:
    """The per-material parameters of the EU CRM supply-risk formula (shares 0-1).

    ``import_reliance`` maps stage -> IR; ``trade_parameter`` maps
    ``(scope, stage, ISO3)`` -> t_c (scope ``global`` or ``eu``; 1 when absent).
    """

    source: str
    stage: str
    eol_rir: float
    si_sr: float
    import_reliance: Mapping[str, float]
    trade_parameter: Mapping[tuple[str, str, str], float] = field(default_factory=dict)

    def t(self, scope: str, stage: str) -> dict[str, float]:
        """The t_c of one scope and stage, ISO3 -> t."""
        return {c: v for (sc, st, c), v in self.trade_parameter.items() if sc == scope and st == stage}


@dataclass(frozen=True)
class Basket:
    """A named set of HS codes for one material or product family.

    Attributes
    ----------
    name : str
        Registry key: lower case letters, digits and underscores.
    title : str
        Human-readable name.
    description : str
        What the basket covers and what it misses.
    aliases : tuple of str
        Other names accepted by :func:`get_basket`.
    codes : tuple of HSCode
        Ordered by stage (upstream first), then code.
    links : tuple of Link
        Upstream-to-downstream links starting from this basket's codes.
    sources : tuple of str
        Where the codes and the links come from.
    origin : str
        The file the basket was read from (not part of equality).
    """

    name: str
    title: str
    description: str
    aliases: tuple[str, ...]
    codes: tuple[HSCode, ...]
    links: tuple[Link, ...] = ()
    sources: tuple[str, ...] = ()
    origin: str = field(default="", compare=False)
    production: tuple[ProductionSource, ...] = ()
    crm: CrmParameters | None = None

    def hs_codes(self, revision: str | None = DEFAULT_REVISION) -> tuple[str, ...]:
        """Return the sorted HS codes of this basket in data of ``revision``.

        ``None`` means HS2017. For a revision none of the codes is declared
        for (HS2012 and older in the bundled baskets), the HS2017 codes are
        returned: most critical-material codes did not change, but check
        the precision notes.

        Examples
        --------
        >>> b = Basket("hafnium", "Hafnium", "", (), (
        ...     HSCode("811292", ("HS2017",), "Hafnium (HS2017 bundle)", "refined", "bundle", "811231"),))
        >>> b.hs_codes("HS2017"), b.hs_codes("HS2022"), b.hs_codes("HS2012")
        (('811292',), ('811231',), ('811292',))
        """
        rev = normalize_revision(revision)
        out = {c.code_for(rev) for c in self.codes} - {None}
        if not out and rev not in ("HS2017", "HS2022") and not any(rev in c.revisions for c in self.codes):
            out = {c.code_for(DEFAULT_REVISION) for c in self.codes} - {None}
        return tuple(sorted(out))  # type: ignore[arg-type]

    def all_hs_codes(self) -> tuple[str, ...]:
        """Return every code of the basket in any revision, sorted."""
        return tuple(sorted({x for c in self.codes for x in c.all_codes()}))

    def stages(self) -> tuple[str, ...]:
        """Return the stages present, upstream first."""
        present = {c.stage for c in self.codes}
        return tuple(s for s in STAGES if s in present)


# ---------------------------------------------------------------------------
# names and revisions


def normalize_name(name: str) -> str:
    """Return the registry form of a basket name or alias.

    Examples
    --------
    >>> normalize_name(" Rare-Earths "), normalize_name("permanent magnets")
    ('rare_earths', 'permanent_magnets')
    """
    return re.sub(r"[\s\-_]+", "_", str(name).strip().lower()).strip("_")


def normalize_revision(revision: str | None) -> str:
    """Return ``"HS2017"``-style revision names; None means HS2017.

    Accepts ``HS2017``, ``hs17``, ``H5`` (Comtrade), ``2017``.

    Examples
    --------
    >>> normalize_revision("hs22"), normalize_revision("H5"), normalize_revision(None)
    ('HS2022', 'HS2017', 'HS2017')
    """
    if revision is None:
        return DEFAULT_REVISION
    r = str(revision).strip().upper().replace(" ", "")
    if r in REVISIONS:
        return r
    comtrade = {"H0": "HS1992", "H1": "HS1996", "H2": "HS2002", "H3": "HS2007", "H4": "HS2012", "H5": "HS2017", "H6": "HS2022"}
    if r in comtrade:
        return comtrade[r]
    m = re.fullmatch(r"(?:HS)?(\d{2}|\d{4})", r)
    if m:
        y = m.group(1)
        full = "HS" + (y if len(y) == 4 else ("19" if y >= "88" else "20") + y)
        if full in REVISIONS:
            return full
    raise UsageError(f"unknown HS revision {revision!r}; use one of {', '.join(REVISIONS)}")


# ---------------------------------------------------------------------------
# loading


def _hs_text(*lengths: int) -> Any:
    """An HS code written as a quoted string of one of ``lengths`` digits (a bare number loses leading zeros)."""
    want = " or ".join(str(n) for n in lengths)

    def check(v: Any) -> str:
        if isinstance(v, int) and not isinstance(v, bool):
            raise Invalid("{where} = {value} is a number; write HS codes as quoted strings so leading zeros are "
                          f'kept, e.g. {{key}} = "{str(v).zfill(6)}"')
        if not isinstance(v, str) or not v.strip().isdigit() or len(v.strip()) not in lengths:
            raise Invalid(f"{{where}} = {{value}} is not an HS code; give {want} digits as a quoted string, "
                          'e.g. {key} = "811292"')
        return v.strip()

    return Annotated[str, BeforeValidator(check)]


def _revisions(v: Any) -> tuple[str, ...]:
    items = [v] if isinstance(v, str) else v
    if not isinstance(items, list) or not items:
        raise Invalid('{where} must list at least one HS revision, e.g. {key} = ["HS2017", "HS2022"]')
    out: list[str] = []
    for r in items:
        try:
            nr = normalize_revision(r) if isinstance(r, str) else None
        except UsageError:
            nr = None
        if nr is None:
            raise Invalid(f"{{where}} holds {r!r}, not an HS revision{did_you_mean(r, REVISIONS)} "
                          f"(use {', '.join(REVISIONS)})")
        if nr not in out:
            out.append(nr)
    return tuple(sorted(out, key=REVISIONS.index))


def _basket_name(v: Any) -> str:
    if not isinstance(v, str) or not _NAME_RE.match(normalize_name(v)):
        raise Invalid('{where} = {value} must be letters, digits and underscores, e.g. name = "gallium"')
    return normalize_name(v)


class CodeSpec(ConfigModel):
    """One ``[[code]]`` table of a basket file (see the module docstring)."""

    hs: _hs_text(6) = required("{where} lacks the required key 'hs'; add hs = \"811292\" (HS6, quoted)")
    revisions: Annotated[tuple[str, ...], BeforeValidator(_revisions)] = DEFAULT_REVISIONS
    stage: Literal[STAGES] = required("{where} lacks the required key 'stage'; add stage = \"refined\" "
                                      f"({' | '.join(STAGES)})")
    description: Annotated[Text, nonempty("say what the code covers")] = required(
        "{where} lacks the required key 'description'; add description = \"...\" (what the code covers)")
    precision: Text = ""
    hs2022: _hs_text(6) = None

    @model_validator(mode="after")
    def _hs2022_only_for_hs2017_codes(self):
        if self.hs2022 is not None and "HS2022" in self.revisions:
            raise Invalid("{where} = {value}, but revisions lists HS2022 too; give hs2022 only for HS2017-only codes",
                          at=("hs2022",))
        return self

    def to_code(self) -> HSCode:
        return HSCode(hs=self.hs, revisions=self.revisions, description=self.description, stage=self.stage,
                      precision=self.precision or None, hs2022=self.hs2022)


class LinkSpec(ConfigModel):
    """One ``[[link]]`` table: an upstream code of the basket and the code or heading it feeds."""

    upstream: _hs_text(2, 4, 6) = required("{where} lacks the required key 'upstream'; add upstream = \"811292\" "
                                           "(a code of the basket)")
    downstream: _hs_text(2, 4, 6) = required("{where} lacks the required key 'downstream'; add downstream = "
                                             "\"381800\" (any HS code or heading)")
    note: Text = ""

    @model_validator(mode="after")
    def _not_itself(self):
        if self.upstream == self.downstream:
            raise Invalid("{where} = {value} links the upstream code to itself; give the product it feeds",
                          at=("downstream",))
        return self


class ProductionSpec(ConfigModel):
    """One ``[[production]]`` table: where production statistics report the material at one stage."""

    stage: Literal[PRODUCTION_STAGES] = required(
        "{where} lacks the required key 'stage'; add stage = \"refinery\" (mine or refinery)")
    hs: strings(split=False) = ()
    usgs: Text = ""
    usgs_type: Text = ""
    bgs: Text = ""
    bgs_sub: Text = ""
    note: Text = ""

    @model_validator(mode="after")
    def _names_a_source(self):
        if not self.usgs and not self.bgs:
            raise Invalid('{where} names no source; give usgs = "galli" (the USGS MCS code) and/or bgs = "..."')
        return self

    def to_source(self) -> ProductionSource:
        return ProductionSource(stage=self.stage, hs=self.hs, usgs=self.usgs.lower() or None,
                                usgs_type=self.usgs_type.lower() or None, bgs=self.bgs.lower() or None,
                                bgs_sub=self.bgs_sub.lower(), note=self.note)


_Share = number(lo=0, hi=1, share=True)


class TradeParameterSpec(ConfigModel):
    """One entry of ``trade_parameter``: ``{country = "CHN", stage = "mine", scope = "global", t = 1.1}``."""

    country: Text = required("{where} lacks the required key 'country'; write {country = \"CHN\", t = 1.1}")
    stage: Optional[Literal[PRODUCTION_STAGES]] = None
    scope: Literal["global", "eu"] = "global"
    t: number(lo=0, hi=5, example="1.1") = required("{where} lacks the required key 't'; write "
                                                     "{country = \"CHN\", t = 1.1}")


class CrmSpec(ConfigModel):
    """The ``[crm]`` table: EU CRM supply-risk parameters of the material."""

    source: Text = required("{where} lacks the required key 'source'; say where the parameters come from")
    stage: Literal[PRODUCTION_STAGES] = required("{where} lacks the required key 'stage'; add stage = \"refinery\" "
                                                 "(the assessed stage)")
    eol_rir: _Share = required("{where} lacks the required key 'eol_rir' (end-of-life recycling input rate, 0-1)")
    si_sr: _Share = required("{where} lacks the required key 'si_sr' (substitution index for supply risk, 0-1)")
    import_reliance: Annotated[dict[Literal[PRODUCTION_STAGES], _Share], Field(min_length=1)] = required(
        "{where} lacks the required key 'import_reliance'; add import_reliance = {refinery = 0.98}")
    trade_parameter: list[TradeParameterSpec] = []

    @model_validator(mode="after")
    def _assessed_stage_has_reliance(self):
        if self.stage not in self.import_reliance:
            raise Invalid(f"{{where}} gives no import reliance for the assessed stage {self.stage!r}; add "
                          f"{self.stage} = ... to it", at=("import_reliance",))
        return self

    def to_parameters(self) -> CrmParameters:
        tps = {(tp.scope, tp.stage or self.stage, tp.country.upper()): tp.t for tp in self.trade_parameter}
        return CrmParameters(source=self.source, stage=self.stage, eol_rir=self.eol_rir, si_sr=self.si_sr,
                             import_reliance=dict(self.import_reliance), trade_parameter=tps)


class BasketSpec(ConfigModel):
    """One basket: the whole file in the one-basket layout, or one ``[[basket]]`` table."""

    name: Annotated[str, BeforeValidator(_basket_name)] = required(
        "{where} has no name; add name = \"my_material\" (letters, digits and underscores)")
    title: Text = ""
    description: Text = ""
    aliases: strings(split=False) = ()
    sources: strings(split=False) = ()
    code: Annotated[list[CodeSpec], Field(min_length=1)] = required(
        "{where} has no codes; add at least one [[{table}]] table with hs, stage and description")
    link: list[LinkSpec] = []
    production: list[ProductionSpec] = []
    crm: CrmSpec = None

    @model_validator(mode="after")
    def _codes_are_the_baskets_own(self):
        if (i := first_repeat(c.hs for c in self.code)) is not None:
            raise Invalid("{where} = {value} appears twice in the basket; keep one entry", at=("code", i, "hs"))
        own = sorted({x for c in self.code for x in c.to_code().all_codes()})
        for i, link in enumerate(self.link):
            if not any(c.startswith(link.upstream) for c in own):
                raise Invalid(f"{{where}} = {{value}} is not a code of the basket; links start from the basket's own "
                              f"codes ({', '.join(own)})", at=("link", i, "upstream"))
        for i, prod in enumerate(self.production):
            for h in prod.hs:
                if h not in own:
                    raise Invalid(f"{{where}} holds {h!r}, not a code of the basket ({', '.join(own)})",
                                  at=("production", i, "hs"))
        return self

    def to_basket(self, origin: str) -> Basket:
        codes = sorted((c.to_code() for c in self.code), key=lambda c: (STAGES.index(c.stage), c.hs))
        return Basket(name=self.name, title=self.title or self.name.replace("_", " ").title(),
                      description=self.description,
                      aliases=tuple(dict.fromkeys(normalize_name(a) for a in self.aliases)), codes=tuple(codes),
                      links=tuple(Link(x.upstream, x.downstream, x.note) for x in self.link), sources=self.sources,
                      origin=origin, production=tuple(p.to_source() for p in self.production),
                      crm=self.crm.to_parameters() if self.crm is not None else None)


class BasketsFile(ConfigModel):
    """A basket file in the several-baskets layout: ``[[basket]]`` tables and nothing else."""

    basket: list[BasketSpec]

    @model_validator(mode="before")
    @classmethod
    def _only_baskets(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            for k in data:
                if k != "basket":
                    raise Invalid("{where} is a top-level key next to [[basket]] tables; put it inside a "
                                  "[[basket]] table", at=(k,))
        return data

    @model_validator(mode="after")
    def _names_unique(self):
        if (i := first_repeat(b.name for b in self.basket)) is not None:
            raise Invalid("{where} = {value}: the basket is defined twice in the file; keep one",
                          at=("basket", i, "name"))
        return self


def _read_file(path: Path) -> list[Basket]:
    path = Path(path)
    text = read_config_text(path, what="basket", option="--baskets", error=ConfigError)
    data = parse_toml(text, path=str(path), error=ConfigError)
    if not data:
        raise ConfigError("no basket in file; add name = \"...\" and [[code]] tables, or [[basket]] tables",
                          path=str(path))
    if "basket" in data:
        spec = validate(BasketsFile, data, text=text, path=str(path), error=ConfigError)
        return [b.to_basket(str(path)) for b in spec.basket]
    return [validate(BasketSpec, data, text=text, path=str(path), error=ConfigError).to_basket(str(path))]


@lru_cache(maxsize=4)
def _bundled(directory: str) -> tuple[Basket, ...]:
    files = sorted(Path(directory).glob("*.toml"))
    out: list[Basket] = []
    for f in files:
        out.extend(_read_file(f))
    return tuple(out)


def _bundled_dir() -> Path:
    from scrisk.resources import hs_codes_dir

    return hs_codes_dir()


def load_baskets(extra: Path | str | Iterable[Path | str] | None = None) -> dict[str, Basket]:
    """Load the bundled baskets plus user basket files.

    Parameters
    ----------
    extra : path or iterable of paths, optional
        User TOML files (one basket, or several ``[[basket]]`` tables). A
        user basket replaces a bundled one of the same name; later files win.

    Returns
    -------
    dict
        ``name -> Basket``, sorted by name.

    Raises
    ------
    ConfigError
        Bad TOML, unknown keys, bad HS codes, clashing aliases (message names
        file, line and key).
    UnreadableFileError
        A user file is missing or unreadable.

    Examples
    --------
    >>> baskets = load_baskets()
    >>> "gallium" in baskets and baskets["gallium"].hs_codes()
    ('811292',)
    """
    merged: dict[str, Basket] = {b.name: b for b in _bundled(str(_bundled_dir()))}
    if extra is not None:
        paths = [extra] if isinstance(extra, (str, Path)) else list(extra)
        for p in paths:
            for b in _read_file(Path(p)):
                merged[b.name] = b
    result = dict(sorted(merged.items()))
    _alias_index(result)  # raises on clashes
    return result


def _alias_index(baskets: Mapping[str, Basket]) -> dict[str, str]:
    index: dict[str, str] = {name: name for name in baskets}
    for name, b in baskets.items():
        for a in b.aliases:
            owner = index.get(a)
            if owner is not None and owner != name:
                raise ConfigError(
                    f"alias {a!r} of basket {name!r} is already the name or an alias of basket {owner!r}; rename one",
                    path=b.origin or None)
            index[a] = name
    return index


def _default(baskets: Mapping[str, Basket] | None) -> Mapping[str, Basket]:
    return load_baskets() if baskets is None else baskets


def _suggest(key: str, index: Mapping[str, str], n: int = 3) -> list[str]:
    """Closest basket names to ``key`` (via names and aliases), best first, near-ties only."""
    scored: dict[str, float] = {}
    for candidate, owner in index.items():
        r = difflib.SequenceMatcher(None, key, candidate).ratio()
        if (candidate.startswith(key) or key.startswith(candidate)) and min(len(key), len(candidate)) >= 4:
            r = max(r, 0.9)
        scored[owner] = max(scored.get(owner, 0.0), r)
    ranked = sorted(scored.items(), key=lambda kv: (-kv[1], kv[0]))
    if not ranked or ranked[0][1] < 0.6:
        return []
    best = ranked[0][1]
    return [name for name, r in ranked if r >= max(0.6, best - 0.15)][:n]


def get_basket(name: str, *, baskets: Mapping[str, Basket] | None = None) -> Basket:
    """Return the basket called ``name`` (or one of its aliases).

    Matching is case-insensitive and treats ``-``, ``_`` and spaces alike.

    Raises
    ------
    UnknownMaterialError
        With the closest names in the message (exit code 2).

    Examples
    --------
    >>> get_basket("Rare-Earths").name
    'rare_earths'
    >>> get_basket("lithum")
    Traceback (most recent call last):
    ...
    scrisk.errors.UnknownMaterialError: unknown material 'lithum'; did you mean 'lithium'? Run `scrisk materials` to list them.
    """
    reg = _default(baskets)
    index = _alias_index(reg)
    key = normalize_name(name)
    if key in index:
        return reg[index[key]]
    suggestions = _suggest(key, index)
    if suggestions:
        quoted = [repr(x) for x in suggestions]
        hint = "did you mean " + (", ".join(quoted[:-1]) + " or " + quoted[-1] if len(quoted) > 1 else quoted[0]) + "? "
    else:
        hint = ""
    tail = "Run `scrisk materials` to list them." if hint else "run `scrisk materials` to list the baskets."
    raise UnknownMaterialError(f"unknown material {name!r}; {hint}{tail}")


# ---------------------------------------------------------------------------
# lookups


def _codes_for(b: Basket, revision: str | None) -> set[str]:
    if revision is None:
        return set(b.all_hs_codes())
    return set(b.hs_codes(revision))


def materials_for_hs(hs: str, baskets: Mapping[str, Basket] | None = None, *, revision: str | None = None) -> tuple[str, ...]:
    """Return the names of the baskets holding ``hs``, sorted.

    Parameters
    ----------
    hs : str
        HS6 code, a longer tariff line (its first 6 digits are used) or a
        2/4-digit prefix (baskets with any code under it).
    baskets : dict, optional
        Default: the bundled baskets.
    revision : str, optional
        Only codes valid in this HS revision; None (default) means any revision.

    Examples
    --------
    >>> materials_for_hs("811292", revision="HS2017")[:3]
    ('gallium', 'germanium', 'hafnium')
    >>> materials_for_hs("811292", revision="HS2022")[:3]
    ('gallium', 'germanium', 'niobium')
    """
    reg = _default(baskets)
    code = str(hs).strip()
    out = []
    for name, b in reg.items():
        codes = _codes_for(b, revision)
        if len(code) >= 6:
            hit = code[:6] in codes
        else:
            hit = any(c.startswith(code) for c in codes)
        if hit:
            out.append(name)
    return tuple(sorted(out))


def label_materials(hs_series: "pd.Series", baskets: Mapping[str, Basket] | None = None, *,
                    revision: str | None = None) -> "pd.Series":
    """Label each HS code with one material name (vectorised, for analysis tables).

    A code held by several baskets gets the alphabetically first name
    (811292 -> ``gallium``); use :func:`materials_for_hs` for all of them.
    Codes in no basket get ``""``. Tariff lines longer than 6 digits are
    matched on their first 6 digits.

    Parameters
    ----------
    hs_series : pandas.Series
        HS codes as strings.
    baskets : dict, optional
        Default: the bundled baskets.
    revision : str, optional
        HS revision of the data; None (default) matches codes of any revision.

    Returns
    -------
    pandas.Series
        ``string`` dtype, same index, named ``material``.

    Examples
    --------
    >>> import pandas as pd
    >>> label_materials(pd.Series(["811292", "850511", "010121", "28369100"])).tolist()
    ['gallium', 'permanent_magnets', '', 'lithium']
    """
    out = map_labels(hs_series, first_labels(baskets, revision=revision)).fillna("").astype("string")
    out.name = "material"
    return out


def first_labels(baskets: Mapping[str, Basket] | None = None, *, revision: str | None = None) -> dict[str, str]:
    """HS code -> the alphabetically first basket holding it (the label :func:`label_materials` gives).

    Examples
    --------
    >>> first_labels(revision="HS2017")["811292"]
    'gallium'
    """
    reg = _default(baskets)
    first: dict[str, str] = {}
    for name in sorted(reg):
        for c in sorted(_codes_for(reg[name], revision)):
            first.setdefault(c, name)
    return first


def code_labels(codes: Iterable[str | None], first: Mapping[str, str]) -> list[str | None]:
    """:func:`map_labels` over plain strings: the label of each code (None when unmatched or missing).

    Examples
    --------
    >>> code_labels(["740311", "7403", "28369100", "0101", None], {"740311": "copper", "283691": "lithium"})
    ['copper', 'copper', 'lithium', None, None]
    """
    heads: dict[str, str] = {}
    for c, name in first.items():
        if len(c) > 4:
            heads.setdefault(c[:4], name)
    return [None if c is None else heads.get(c) if len(c) == 4 else first.get(c[:6]) for c in codes]


def map_labels(hs_series: "pd.Series", first: Mapping[str, str]) -> "pd.Series":
    """Map HS codes to the label of their code in ``first`` (code -> label; codes in priority order).

    Codes longer than 6 digits are matched on their first 6; an HS4 heading (4 digits, a product at the heading
    level, :attr:`scrisk.schema.FlowMeta.hs_headings`) takes the label of the first code under it. Unmatched
    codes are <NA>.

    Examples
    --------
    >>> import pandas as pd
    >>> map_labels(pd.Series(["740311", "7403", "28369100", "0101"]), {"740311": "copper", "283691": "lithium"}).tolist()
    ['copper', 'copper', 'lithium', <NA>]
    """
    import pandas as pd

    s = pd.Series(hs_series, copy=False).astype("string")
    codes = [None if v is pd.NA else str(v) for v in s]
    return pd.Series(code_labels(codes, first), index=s.index, dtype="string")


def _split(values: Iterable[str] | str | None) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for v in values:
        out.extend(p.strip() for p in str(v).split(",") if p.strip())
    return out


def minimal_prefixes(codes: Iterable[str]) -> tuple[str, ...]:
    """Drop the codes a shorter code in ``codes`` already covers (one set lookup per prefix length).

    Examples
    --------
    >>> minimal_prefixes(["854231", "8542", "811292", "85"])
    ('811292', '85')
    """
    by_len: dict[int, set[str]] = {}
    for c in codes:
        by_len.setdefault(len(c), set()).add(c)
    kept: set[str] = set()
    lengths: list[int] = []
    for n in sorted(by_len):  # shortest first: a code is dropped when a kept shorter code is its prefix
        same = by_len[n]
        kept.update({c for c in same if not any(c[:m] in kept for m in lengths)} if lengths else same)
        lengths.append(n)
    return tuple(sorted(kept))


def hs_prefix_match(values: Iterable[str], codes: Iterable[str]) -> "np.ndarray":
    """True per value that starts with one of ``codes``: one set lookup per prefix length, never per code.

    Meant for the distinct HS codes of a table (a few thousand), whatever
    the number of ``codes`` (2-, 4-, 6- or more-digit prefixes); empty
    ``codes`` match everything. A 4-digit value is an HS4 heading carried as
    a product (:attr:`scrisk.schema.FlowMeta.hs_headings`): a code under it
    matches it too.

    Examples
    --------
    >>> hs_prefix_match(["854231", "811292", "850760", "010121"], ["8542", "811292", "01"]).tolist()
    [True, True, False, True]
    >>> hs_prefix_match(["7403", "7402"], ["740311"]).tolist()
    [True, False]
    """
    import numpy as np

    vals = [str(v) for v in values]
    by_len: dict[int, set[str]] = {}
    for c in codes:
        by_len.setdefault(len(str(c)), set()).add(str(c))
    if not by_len:
        return np.ones(len(vals), dtype=bool)
    items = sorted(by_len.items())
    heads = {c[:4] for n, s in items if n > 4 for c in s}
    return np.fromiter((any(v[:n] in s for n, s in items) or (len(v) == 4 and v in heads) for v in vals),
                       dtype=bool, count=len(vals))


def resolve_hs(
    material: str | Iterable[str] | None,
    hs: str | Iterable[str] | None,
    *,
    baskets: Mapping[str, Basket] | None = None,
    revision: str | None = DEFAULT_REVISION,
) -> tuple[str, ...]:
    """Turn ``--material`` and/or ``--hs`` into the HS codes (or prefixes) to analyse.

    Parameters
    ----------
    material : str or iterable of str, optional
        Basket names or aliases; commas separate several (``gallium,germanium``).
    hs : str or iterable of str, optional
        HS codes or prefixes of 2, 4, 6 or more digits (``8542`` = every
        integrated circuit); commas separate several.
    baskets : dict, optional
        Default: the bundled baskets.
    revision : str, optional
        HS revision of the data (default HS2017; None also means HS2017).

    Returns
    -------
    tuple of str
        Sorted union of the basket codes and the ``--hs`` values, with codes
        already covered by a shorter prefix dropped. Match flows with
        ``hs.startswith(code)``, and a code longer than four digits also matches its 4-digit heading in a
        table that carries the heading as a product (see :func:`hs_mask`). Empty when neither
        option is given, meaning "every product".

    Raises
    ------
    UnknownMaterialError
        Unknown basket name (exit 2).
    UsageError
        ``--hs`` value that is not 2-12 digits, or a basket with no code in
        ``revision``.

    Examples
    --------
    >>> resolve_hs("gallium", ["8542", "854231"])
    ('811292', '8542')
    >>> resolve_hs("hafnium", None, revision="HS2022")
    ('811231',)
    >>> resolve_hs(None, None)
    ()
    >>> resolve_hs(None, ["8112.92", "3707.90.0010"])
    ('3707900010', '811292')
    """
    reg = _default(baskets)
    rev = normalize_revision(revision)
    codes: list[str] = []
    for m in _split(material):
        b = get_basket(m, baskets=reg)
        got = b.hs_codes(rev)
        if not got:
            raise UsageError(f"material {b.name!r} has no {rev} codes; give --hs codes instead or add {rev} codes to "
                             "the basket")
        codes.extend(got)
    for h in _split(hs):
        if re.fullmatch(r"\d{4}\.\d{2}(\.\d{2}){0,2}|\d{4}\.\d{2}\.\d{4}", h):
            h = h.replace(".", "")  # the nomenclature's notation, 8112.92
        if not h.isdigit() or not (2 <= len(h) <= 12) or len(h) % 2:
            raise UsageError(f"--hs {h!r} is not an HS code; give 2, 4, 6 or more digits, e.g. --hs 811292 or --hs 8542")
        codes.append(h)
    return minimal_prefixes(codes)


def hs_mask(hs_series: "pd.Series", codes: Iterable[str]) -> "pd.Series":
    """Return a boolean Series: True where the HS code starts with one of ``codes``.

    Empty ``codes`` selects everything (no filter).

    Examples
    --------
    >>> import pandas as pd
    >>> hs_mask(pd.Series(["854231", "811292", "850760"]), ("8542", "811292")).tolist()
    [True, True, False]
    """
    import pandas as pd

    import numpy as np

    s = pd.Series(hs_series, copy=False)
    codes = tuple(codes)
    if not codes:
        return pd.Series(True, index=s.index, dtype=bool)
    idx, uniq = pd.factorize(s, use_na_sentinel=True)  # the distinct codes are matched, then mapped back
    hit = hs_prefix_match(np.asarray(uniq, dtype=object).astype(str), codes)
    out = np.zeros(len(s), dtype=bool)
    ok = idx >= 0
    out[ok] = hit[idx[ok]]
    return pd.Series(out, index=s.index, dtype=bool)


def _merged_links(reg: Mapping[str, Basket]) -> list[Link]:
    """All links of all baskets, one per (upstream, downstream); distinct notes joined with '; '."""
    notes: dict[tuple[str, str], list[str]] = {}
    for name in sorted(reg):
        for l in reg[name].links:
            got = notes.setdefault((l.upstream, l.downstream), [])
            if l.note and l.note not in got:
                got.append(l.note)
    return [Link(up, down, "; ".join(n)) for (up, down), n in sorted(notes.items())]


def _related(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


def downstream_of(hs_codes: str | Iterable[str], baskets: Mapping[str, Basket] | None = None) -> list[Link]:
    """Walk the links from ``hs_codes`` downstream, transitively.

    A link applies when its upstream code and a reached code are equal or
    one is a prefix of the other (a link from ``8542`` applies to
    ``854231``). Links are returned once each, level by level (breadth
    first), sorted by (upstream, downstream) within a level.

    Examples
    --------
    >>> [(l.upstream, l.downstream) for l in downstream_of("283691")]
    [('283691', '850760'), ('850760', '870380')]
    """
    reg = _default(baskets)
    start = _split(hs_codes)
    links = _merged_links(reg)
    reached: set[str] = set()
    frontier = sorted(set(start))
    used: set[tuple[str, str]] = set()
    out: list[Link] = []
    while frontier:
        reached.update(frontier)
        # a link applies when its upstream code and a frontier code are equal or one is a prefix of the other:
        # set lookups of prefixes, never a comparison per (link, code) pair
        front = set(frontier)
        heads = {f[:n] for f in frontier for n in range(1, len(f) + 1)}
        level = [l for l in links if (l.upstream, l.downstream) not in used
                 and (l.upstream in heads or any(l.upstream[:n] in front for n in range(1, len(l.upstream) + 1)))]
        nxt: set[str] = set()
        for l in level:
            used.add((l.upstream, l.downstream))
            out.append(l)
            if l.downstream not in reached:
                nxt.add(l.downstream)
        frontier = sorted(nxt)
    return out


# ---------------------------------------------------------------------------
# the `scrisk materials` result


def _origin_label(b: Basket, bundled_dir: Path) -> str:
    try:
        if Path(b.origin).resolve().parent == bundled_dir.resolve():
            return "bundled"
    except OSError:  # pragma: no cover
        pass
    return b.origin


def catalog(name: str | None = None, *, extra: Path | str | Iterable[Path | str] | None = None) -> dict[str, Any]:
    """Build the result of ``scrisk materials [NAME]``: ``{"meta", "rows"[, "links"]}``.

    Without ``name``: one row per basket (name, title, n_codes, hs2017_codes,
    hs2022_codes, stages, aliases, origin). With a basket name: one row per
    code (hs, revisions, hs2022, stage, description, precision, materials),
    ``links`` (the basket's links, then what they lead to further
    downstream) and the basket's details in ``meta["basket"]``. With an HS
    code (digits): the baskets holding it, one row per (basket, code).

    Examples
    --------
    >>> r = catalog()
    >>> sorted(r)[:2], r["rows"][0]["name"]
    (['meta', 'rows'], 'antimony')
    >>> [row["hs"] for row in catalog("lithium")["rows"]][:2]
    ['253090', '280519']
    """
    from scrisk.provenance import output_meta

    reg = load_baskets(extra)
    bdir = _bundled_dir()
    extra_list = [] if extra is None else ([extra] if isinstance(extra, (str, Path)) else list(extra))
    meta = output_meta(None, name=name, baskets=[str(p) for p in extra_list])
    meta["inputs"] = [str(bdir)] + [str(p) for p in extra_list]
    if name is None:
        rows = [
            {
                "name": b.name,
                "title": b.title,
                "n_codes": len(b.codes),
                "hs2017_codes": list(b.hs_codes("HS2017")),
                "hs2022_codes": list(b.hs_codes("HS2022")),
                "stages": list(b.stages()),
                "aliases": list(b.aliases),
                "origin": _origin_label(b, bdir),
            }
            for b in reg.values()
        ]
        return {"meta": meta, "rows": rows}
    if name.strip().isdigit():
        code = name.strip()
        rows = []
        for bname in materials_for_hs(code, reg):
            b = reg[bname]
            for c in b.codes:
                if any((x[:6] == code[:6]) if len(code) >= 6 else x.startswith(code) for x in c.all_codes()):
                    rows.append({"material": b.name, "title": b.title, "hs": c.hs, "revisions": list(c.revisions),
                                 "hs2022": c.hs2022, "stage": c.stage, "description": c.description,
                                 "precision": c.precision})
        if not rows:
            raise UnknownMaterialError(f"no basket holds HS code {code!r}; run `scrisk materials` to list the baskets")
        meta["hs"] = code
        return {"meta": meta, "rows": rows}
    b = get_basket(name, baskets=reg)
    meta["basket"] = {
        "name": b.name,
        "title": b.title,
        "description": b.description,
        "aliases": list(b.aliases),
        "sources": list(b.sources),
        "origin": _origin_label(b, bdir),
    }
    rows = [
        {
            "hs": c.hs,
            "revisions": list(c.revisions),
            "hs2022": c.hs2022,
            "stage": c.stage,
            "description": c.description,
            "precision": c.precision,
            "materials": list(materials_for_hs(c.hs, reg, revision=c.revisions[0])),
        }
        for c in b.codes
    ]
    own = {(l.upstream, l.downstream) for l in b.links}
    links = [{"upstream": l.upstream, "downstream": l.downstream, "note": l.note, "basket": b.name} for l in b.links]
    for l in downstream_of(b.all_hs_codes(), reg):
        if (l.upstream, l.downstream) not in own:
            links.append({"upstream": l.upstream, "downstream": l.downstream, "note": l.note,
                          "basket": ", ".join(_link_owners(l, reg))})
    return {"meta": meta, "rows": rows, "links": links}


def _link_owners(link: Link, reg: Mapping[str, Basket]) -> list[str]:
    return [name for name, b in reg.items()
            if any((l.upstream, l.downstream) == (link.upstream, link.downstream) for l in b.links)]
