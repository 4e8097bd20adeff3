"""Policy files for ``scrisk check``: rules as data, read from TOML with file:line errors.

A policy is a TOML file of ``[[rule]]`` tables (or the same under
``[tool.scrisk]`` in a ``pyproject.toml``, with ``[[tool.scrisk.rule]]``)::

    title = "Korea: watched materials"       # optional
    max_rejected = 0                          # optional: defect rows tolerated (count, or share like 0.001 / "0.1%")
    min_import_usd = 1_000_000                # optional default for every rule
    hs_digits = 6                             # optional: measure at HS6 (tariff lines are summed up)

    [[rule]]
    name = "kor-gallium-single-source"        # required, unique
    description = "Korean 'absolute dependence' band"   # optional
    importer = "KOR"                          # ISO3, a list, a group (G7, EU27...) or "*"
    material = "gallium"                      # basket name(s) and/or
    hs = ["811292"]                           # HS codes or 2/4-digit prefixes (quoted)
    max_top_share = 0.9                       # thresholds (at least one)
    severity = "error"                        # or "warning"

Thresholds come from the indicator declarations
(:data:`scrisk.engine.indicators.INDICATORS`, those marked ``policy``; see
:func:`scrisk.policy.measure.policy_measures`); shares, HHIs and the score
are on the 0-1 scale. The common ones:

``max_hhi``                 import HHI of the importer-product pair must not exceed this
``max_top_share``           share of the largest supplier must not exceed this
``min_suppliers``           number of suppliers must be at least this
``max_world_export_hhi``    HHI of world exports of the product must not exceed this
``max_hhi_increase``        rise of the import HHI since the baseline (``--baseline``)
``max_top_share_increase``  rise of the top-supplier share since the baseline

and ``max_<indicator>`` (``min_<indicator>`` for a count) for every other
policy indicator: ``max_score``, ``min_effective_suppliers``,
``max_top_supplier_world_share``, ``max_import_export_ratio``... --
:data:`THRESHOLD_KEYS` and :data:`BASELINE_KEYS` list them all.

A rule holds for a pair when each of its measured values is within its
threshold; equal to the threshold is within. Rows with imports below
``min_import_usd`` are not judged.

An unknown key or a bad value raises :class:`~scrisk.errors.PolicyError`
(exit code 3) naming the key, its line in the file and, for a misspelt key,
the closest allowed one.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Mapping

from pydantic import AfterValidator, BeforeValidator, create_model, field_validator, model_validator

from scrisk.config import (ConfigModel, Invalid, Text, TomlLines, first_repeat, nonempty, number, parse_toml,
                           read_config_text, required, strings, validate)
from scrisk.errors import PolicyError, ScriskError, UsageError
from scrisk.policy.measure import Measure, measure_keys, policy_measures

__all__ = [
    "SEVERITIES",
    "THRESHOLD_KEYS",
    "BASELINE_KEYS",
    "RULE_KEYS",
    "POLICY_KEYS",
    "MaxRejected",
    "Rule",
    "Policy",
    "parse_max_rejected",
    "parse_policy",
    "load_policy",
    "default_policy_path",
    "expand_importers",
]

SEVERITIES: tuple[str, ...] = ("error", "warning")
THRESHOLD_KEYS: tuple[str, ...] = measure_keys(baseline=False)
"""Thresholds judged on the checked data alone (derived from the indicator declarations)."""
BASELINE_KEYS: tuple[str, ...] = measure_keys(baseline=True)
"""Thresholds judged against a baseline vintage (``--baseline``)."""
MEASURES: dict[str, Measure] = {m.key: m for m in policy_measures()}
"""Each threshold key with the measure it judges."""
HS_DIGITS: tuple[int, ...] = (6, 8, 10)



# ---------------------------------------------------------------------------
# tolerated rejections


@dataclass(frozen=True)
class MaxRejected:
    """How many defect rejections a run tolerates: a row count or a share of the rows read.

    Examples
    --------
    >>> MaxRejected(count=0).allows(0, 100), MaxRejected(count=0).allows(1, 100)
    (True, False)
    >>> MaxRejected(share=0.01).allows(1, 100), MaxRejected(share=0.01).allows(2, 100)
    (True, False)
    >>> str(MaxRejected(share=0.001))
    '0.1% of the rows read'
    """

    count: int | None = None
    share: float | None = None

    def allows(self, rejected: int, rows_read: int) -> bool:
        """Return True when ``rejected`` defect rows out of ``rows_read`` are tolerated."""
        if self.share is not None:
            return rejected <= self.share * max(rows_read, 0) + 1e-9
        return rejected <= (self.count or 0)

    def __str__(self) -> str:
        if self.share is not None:
            return f"{self.share * 100:g}% of the rows read"
        n = self.count or 0
        return f"{n} row" + ("" if n == 1 else "s")


def parse_max_rejected(value: Any) -> MaxRejected:
    """Parse ``--max-rejected`` / ``max_rejected``: an integer count, a share (``0.01``) or a percentage (``"1%"``).

    A value with a decimal point is a share of the rows read and must lie in
    [0, 1]; a whole number is a row count.

    Raises
    ------
    UsageError
        For anything else (the caller re-raises with its own location).

    Examples
    --------
    >>> parse_max_rejected("5"), parse_max_rejected("0.01"), parse_max_rejected("2.5%")
    (MaxRejected(count=5, share=None), MaxRejected(count=None, share=0.01), MaxRejected(count=None, share=0.025))
    >>> parse_max_rejected(0)
    MaxRejected(count=0, share=None)
    """
    hint = "give a row count (e.g. 10), a share of the rows read (e.g. 0.001) or a percentage (e.g. \"0.1%\")"
    if isinstance(value, bool):
        raise UsageError(f"--max-rejected {value!r} is not a number; {hint}")
    if isinstance(value, int):
        if value < 0:
            raise UsageError(f"--max-rejected {value} is negative; {hint}")
        return MaxRejected(count=value)
    if isinstance(value, float):
        if not (0.0 <= value <= 1.0):
            raise UsageError(f"--max-rejected {value} is a share outside 0-1; {hint}")
        return MaxRejected(share=value)
    if isinstance(value, str):
        s = value.strip().replace("_", "")
        try:
            if s.endswith("%"):
                pct = float(s[:-1])
                if not (0.0 <= pct <= 100.0):
                    raise ValueError
                return MaxRejected(share=pct / 100.0)
            if re.fullmatch(r"\d+", s):
                return MaxRejected(count=int(s))
            return parse_max_rejected(float(s))
        except ValueError:
            pass
    raise UsageError(f"--max-rejected {value!r} is not understood; {hint}")


# ---------------------------------------------------------------------------
# rules and policies


@dataclass(frozen=True)
class Rule:
    """One policy rule: which importer-product pairs it watches and the thresholds they must meet.

    Attributes
    ----------
    name : str
        Unique name, used in every report line.
    importers : tuple of str or None
        ISO3 importers watched; None means every importer (``"*"``).
    importer_spec : tuple of str
        The importer entries as written (codes and group names).
    importer_sets : tuple of (str, tuple of str or None)
        Each entry with its members (None for ``"*"``). A watched product
        must be imported by each listed country, by at least one member of
        each listed group, and by some importer for ``"*"``.
    materials : tuple of str
        Basket names (canonical) whose HS codes the rule watches.
    hs : tuple of str
        HS codes or prefixes the rule watches, besides the materials' codes.
    limits : tuple of (str, float)
        The thresholds set, as (key, value) in :data:`THRESHOLD_KEYS` +
        :data:`BASELINE_KEYS` order. Each key also reads as an attribute
        (``rule.max_top_share``; None when not set).
    severity : {'error', 'warning'}
        Only error rules make ``scrisk check`` fail.
    min_import_usd : float
        Pairs with smaller imports are not judged.
    description : str
    line : int or None
        Line of the rule's table in the policy file.

    Examples
    --------
    >>> r = Rule("kor-ga", ("KOR",), ("KOR",), hs=("811292",), limits=(("max_top_share", 0.9),))
    >>> r.thresholds(), r.needs_baseline, r.max_top_share, r.max_hhi
    ({'max_top_share': 0.9}, False, 0.9, None)
    """

    name: str
    importers: tuple[str, ...] | None
    importer_spec: tuple[str, ...] = ("*",)
    importer_sets: tuple[tuple[str, tuple[str, ...] | None], ...] = (("*", None),)
    materials: tuple[str, ...] = ()
    hs: tuple[str, ...] = ()
    limits: tuple[tuple[str, float], ...] = ()
    severity: str = "error"
    min_import_usd: float = 0.0
    description: str = ""
    line: int | None = None

    def __getattr__(self, name: str):
        # a threshold key reads as an attribute: rule.max_top_share (None when the rule does not set it)
        if name in MEASURES:
            return dict(self.limits).get(name)
        raise AttributeError(name)

    def thresholds(self) -> dict[str, float]:
        """Return the thresholds set on this rule, in the order of :data:`THRESHOLD_KEYS` + :data:`BASELINE_KEYS`."""
        got = dict(self.limits)
        return {k: got[k] for k in (*THRESHOLD_KEYS, *BASELINE_KEYS) if k in got}

    @property
    def needs_baseline(self) -> bool:
        """True when the rule has a threshold judged against a baseline."""
        return any(k in BASELINE_KEYS for k, _ in self.limits)

    @property
    def watches(self) -> str:
        """Return what the rule watches, for messages: ``"gallium, 811292"``."""
        return ", ".join([*self.materials, *self.hs])


@dataclass(frozen=True)
class Policy:
    """A parsed policy: its rules and run-wide options.

    Attributes
    ----------
    rules : tuple of Rule
    title, description : str
    max_rejected : MaxRejected or None
        Tolerated defect rejections; None leaves it to the caller (default 0).
    min_import_usd : float
        Default of the rules' ``min_import_usd``.
    hs_digits : int
        HS level the checks measure at (6, 8 or 10); longer codes in the data
        are summed up to it.
    path : str or None
        The file the policy came from.
    """

    rules: tuple[Rule, ...]
    title: str = ""
    description: str = ""
    max_rejected: MaxRejected | None = None
    min_import_usd: float = 0.0
    hs_digits: int = 6
    path: str | None = field(default=None, compare=False)

    @property
    def needs_baseline(self) -> bool:
        """True when any rule compares with a baseline."""
        return any(r.needs_baseline for r in self.rules)

    def rule(self, name: str) -> Rule:
        """Return the rule called ``name``."""
        for r in self.rules:
            if r.name == name:
                return r
        raise KeyError(name)


# ---------------------------------------------------------------------------
# importers


def expand_importers(spec: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...] | None:
    """Expand ISO3 codes and country groups (``KOR``, ``EU27``, ``G7,-DEU``) into sorted ISO3 codes.

    None, an empty spec or ``"*"`` mean every importer and return None. See
    :func:`scrisk.countries.expand_countries` for the syntax.

    Raises
    ------
    UnknownCountryError
        A code or group that is not known (exit code 2).

    Examples
    --------
    >>> expand_importers(["kor", "JPN"]), expand_importers("*")
    (('JPN', 'KOR'), None)
    """
    from scrisk.countries import expand_countries

    if spec is None:
        return None
    parts = [spec] if isinstance(spec, str) else list(spec)
    flat = [p.strip() for item in parts for p in str(item).split(",") if p.strip()]
    got = expand_countries(flat)
    return None if got is None else tuple(sorted(set(got)))


def _importer_sets(entries: tuple[str, ...]) -> tuple[tuple[str, ...] | None, tuple]:
    """Expand a rule's importer entries: all importers, and each positive entry with its members."""
    full = expand_importers(entries)
    sets = []
    for e in entries:
        if e.startswith("-"):
            continue
        if e == "*":
            sets.append(("*", full))
            continue
        members = expand_importers(e) or ()
        if full is not None:
            members = tuple(c for c in members if c in full)
        label = members[0] if len(members) == 1 and len(e) == 3 else e
        sets.append((label, members))
    if not sets:  # exclusions only: every importer but those
        sets.append(("*", full))
    return full, tuple(sets)


# ---------------------------------------------------------------------------
# the policy file, declared


def _hs_format(codes: tuple[str, ...]) -> tuple[str, ...]:
    for code in codes:
        if not code.isdigit() or not (2 <= len(code) <= max(HS_DIGITS)) or (len(code) <= 6 and len(code) % 2):
            raise Invalid(f"{{where}} holds {code!r}, not an HS code or prefix; give 2, 4 or 6 digits (8 or 10 with "
                          'hs_digits = 8 or 10), quoted, e.g. hs = ["811292"]')
    return codes


def _max_rejected(v: Any) -> MaxRejected:
    try:
        return parse_max_rejected(v)
    except UsageError as exc:  # "--max-rejected 'lots' is not understood; ..." -> "max_rejected = 'lots' is ..."
        said = f"--max-rejected {v!r}"
        raise Invalid(exc.message.replace(said, "{where} = {value}", 1) if exc.message.startswith(said)
                      else exc.message.replace("--max-rejected", "max_rejected", 1)) from None


def _threshold_type(m: Measure) -> Any:
    if m.share_scale:
        return number(lo=0, hi=1, share=True, example="0.9")
    if m.indicator == "n_suppliers":
        return number(lo=1, integer=True)
    return number(lo=0)


class _RuleKeys(ConfigModel):
    name: Annotated[Text, nonempty("give the rule a name (used in every report line)")] = required(
        '{where} has no name; add name = "..." (used in every report line)')
    description: Text = ""
    importer: strings(nonempty=True) = required(
        '{where} has no importer; add importer = "KOR" (an ISO3 code, a list, a group such as EU27, or "*" for '
        "every importer)")
    material: strings() = ()
    hs: Annotated[strings(hs=True), AfterValidator(_hs_format)] = ()
    severity: Literal[SEVERITIES] = "error"
    min_import_usd: number(lo=0, example="1_000_000") = None

    @field_validator("importer")
    @classmethod
    def _known_importers(cls, v):
        try:
            _importer_sets(v)
        except ScriskError as exc:
            raise Invalid(exc.message) from None
        return v

    @field_validator("material")
    @classmethod
    def _known_materials(cls, v, info):
        from scrisk.materials import get_basket

        baskets = (info.context or {}).get("baskets")
        got = []
        for name in v:
            try:
                got.append(get_basket(name, baskets=baskets).name)
            except ScriskError as exc:
                raise Invalid(exc.message) from None
        return tuple(dict.fromkeys(got))

    @model_validator(mode="after")
    def _product_and_threshold(self):
        if not self.material and not self.hs:
            raise Invalid('{where} watches no product; add material = "gallium" or hs = ["811292"]')
        if not any(getattr(self, k) is not None for k in MEASURES):
            raise Invalid(f"{{where}} has no threshold; add one of {', '.join((*THRESHOLD_KEYS, *BASELINE_KEYS))}")
        return self


RuleSpec = create_model(
    "RuleSpec", __base__=_RuleKeys, __doc__="One ``[[rule]]`` table; its thresholds come from the indicator declarations.",
    **{k: (_threshold_type(m), None) for k, m in MEASURES.items()})


class PolicyFile(ConfigModel):
    """A policy file (or the ``[tool.scrisk]`` table of a pyproject.toml)."""

    title: Text = ""
    description: Text = ""
    max_rejected: Annotated[Any, BeforeValidator(_max_rejected)] = None
    min_import_usd: number(lo=0, example="1_000_000") = 0.0
    hs_digits: Literal[HS_DIGITS] = 6
    rule: list[RuleSpec] = required("{where} has no rules; add [[{table}]] tables (name, importer, material or hs, "
                                    "and a threshold such as max_top_share = 0.9)")

    @model_validator(mode="before")
    @classmethod
    def _rule_keys_in_rules(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            for k in data:
                if k not in cls.model_fields and k in RuleSpec.model_fields:
                    raise Invalid("{where} is a rule key, which goes inside a [[rule]] table", at=(k,))
        return data

    @model_validator(mode="after")
    def _names_unique_codes_in_digits(self):
        repeat = first_repeat(r.name for r in self.rule)
        for i, r in enumerate(self.rule):
            if i == repeat:
                raise Invalid("{where} = {value}: the rule name is used twice; give each rule a unique name",
                              at=("rule", i, "name"))
            for code in r.hs:
                if len(code) > self.hs_digits:
                    raise Invalid(f"{{where}} holds {code!r}, not an HS code at hs_digits = {self.hs_digits}: give "
                                  f"2, 4 or 6 digits, or set hs_digits = {len(code)} for tariff lines",
                                  at=("rule", i, "hs"))
        return self


RULE_KEYS: tuple[str, ...] = tuple(RuleSpec.model_fields)
"""The keys of a ``[[rule]]`` table."""
POLICY_KEYS: tuple[str, ...] = tuple(PolicyFile.model_fields)
"""The top-level keys of a policy file."""


def _rule(spec, *, line: int | None, default_min_import: float) -> Rule:
    importers, sets = _importer_sets(spec.importer)
    return Rule(
        name=spec.name, importers=importers, importer_spec=spec.importer, importer_sets=sets,
        materials=spec.material, hs=spec.hs, severity=spec.severity,
        min_import_usd=spec.min_import_usd if spec.min_import_usd is not None else default_min_import,
        description=spec.description, line=line,
        limits=tuple((k, getattr(spec, k)) for k in (*THRESHOLD_KEYS, *BASELINE_KEYS) if getattr(spec, k) is not None),
    )


def parse_policy(text: str, *, path: str | Path | None = None, baskets=None) -> Policy:
    """Parse policy TOML text (a policy file, or a pyproject.toml with ``[tool.scrisk]``).

    Parameters
    ----------
    text : str
        The TOML document.
    path : str or Path, optional
        Where the text came from (for messages; a file named
        ``pyproject.toml`` is read from its ``[tool.scrisk]`` table).
    baskets : dict, optional
        Material basket registry (default: the bundled baskets).

    Returns
    -------
    Policy

    Raises
    ------
    PolicyError
        Invalid TOML, unknown key, bad value, unknown material or country;
        the message names the key and ``path:line``.

    Examples
    --------
    >>> p = parse_policy('''
    ... [[rule]]
    ... name = "kor-ga"
    ... importer = "KOR"
    ... hs = ["811292"]
    ... max_top_share = 0.9
    ... ''')
    >>> p.rules[0].name, p.rules[0].importers, p.rules[0].max_top_share, p.rules[0].line
    ('kor-ga', ('KOR',), 0.9, 2)
    >>> parse_policy('[[rule]]\\nname = "x"\\nimporter = "KOR"\\nhs = ["811292"]\\nmax_top_shar = 0.9\\n')  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    scrisk.errors.PolicyError: <policy>:5: unknown key 'max_top_shar' in rule['x']; did you mean 'max_top_share'? (allowed: name, description, importer, material, hs, severity, min_import_usd, max_hhi, max_top_share, ...)
    """
    label = str(path) if path is not None else "<policy>"
    doc = parse_toml(text, path=label, error=PolicyError)
    prefix: tuple[str, ...] = ()
    is_pyproject = (path is not None and Path(path).name == "pyproject.toml") or ("tool" in doc and "rule" not in doc)
    if is_pyproject:
        tool = doc.get("tool")
        if not isinstance(tool, dict) or "scrisk" not in tool:
            raise PolicyError("no [tool.scrisk] table; add [[tool.scrisk.rule]] tables to use this pyproject.toml "
                              "as a policy", path=label)
        doc = tool["scrisk"]
        prefix = ("tool", "scrisk")
        if not isinstance(doc, dict):
            raise PolicyError("tool.scrisk must be a table", path=label)
    if baskets is None:
        from scrisk.materials import load_baskets

        baskets = load_baskets()
    lines = TomlLines(text)
    spec = validate(PolicyFile, doc, text=text, path=label, error=PolicyError, prefix=prefix, lines=lines,
                    context={"baskets": baskets})
    rules = tuple(_rule(r, line=lines.line((*prefix, "rule", i)), default_min_import=spec.min_import_usd)
                  for i, r in enumerate(spec.rule))
    return Policy(rules=rules, title=spec.title, description=spec.description, max_rejected=spec.max_rejected,
                  min_import_usd=spec.min_import_usd, hs_digits=int(spec.hs_digits),
                  path=str(path) if path is not None else None)


def load_policy(path: str | Path, *, baskets=None) -> Policy:
    """Read a policy file (TOML, or a pyproject.toml with ``[tool.scrisk]``).

    Raises
    ------
    PolicyError
        The file is missing, unreadable, not UTF-8 or not a valid policy
        (exit code 3).
    """
    p = Path(path)
    text = read_config_text(p, what="policy", option="--policy", error=PolicyError, missing=PolicyError)
    return parse_policy(text, path=str(p), baskets=baskets)


def default_policy_path(path: str | Path | None = None, *, cwd: str | Path | None = None) -> Path:
    """Return ``path``, or ``./pyproject.toml`` when it has a ``[tool.scrisk]`` table.

    Raises
    ------
    UsageError
        No path given and no ``[tool.scrisk]`` table in ``./pyproject.toml`` (exit 2).
    """
    if path is not None:
        return Path(path)
    pp = Path(cwd or ".") / "pyproject.toml"
    doc: dict[str, Any] = {}
    if pp.is_file():
        try:
            doc = tomllib.loads(pp.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            doc = {}
    tool = doc.get("tool")
    if isinstance(tool, dict) and "scrisk" in tool:
        return pp
    raise UsageError("no policy given; pass --policy FILE (a TOML file of [[rule]] tables), or add "
                     "[[tool.scrisk.rule]] tables to ./pyproject.toml")
