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

import difflib
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from scrisk.errors import PolicyError, ScriskError, UsageError
from scrisk.policy.measure import Measure, measure_keys, policy_measures
from scrisk.config import parse_toml, read_config_text

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
RULE_KEYS: tuple[str, ...] = (
    "name",
    "description",
    "importer",
    "material",
    "hs",
    *THRESHOLD_KEYS,
    *BASELINE_KEYS,
    "severity",
    "min_import_usd",
)
POLICY_KEYS: tuple[str, ...] = ("title", "description", "max_rejected", "min_import_usd", "hs_digits", "rule")
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
# locating keys in the TOML text


_HEADER_RE = re.compile(r"^\s*\[(\[?)\s*([^\[\]]+?)\s*\]\]?\s*(?:#.*)?$")


def _headers(lines: list[str]) -> list[tuple[int, str, bool]]:
    """Return (0-based line, table name, is array-of-tables) for each table header."""
    out = []
    for i, ln in enumerate(lines):
        m = _HEADER_RE.match(ln)
        if m:
            name = re.sub(r"\s*\.\s*", ".", m.group(2)).replace('"', "").replace("'", "")
            out.append((i, name, bool(m.group(1))))
    return out


class _Source:
    """The policy text with helpers to find the line of a key in a table."""

    def __init__(self, text: str, path: str | None, prefix: str):
        self.lines = text.splitlines()
        self.path = path
        self.prefix = prefix  # "" or "tool.scrisk."
        self.headers = _headers(self.lines)

    def _span(self, table: str | None, nth: int) -> tuple[int, int] | None:
        """0-based [start, end) line span of the nth [[table]] (None: the policy's top level)."""
        if table is None:
            if not self.prefix:
                start = 0
                end = self.headers[0][0] if self.headers else len(self.lines)
                return start, end
            hits = [h for h in self.headers if h[1] == self.prefix.rstrip(".") and not h[2]]
        else:
            hits = [h for h in self.headers if h[1] == self.prefix + table and h[2]]
            if nth < len(hits):
                hits = [hits[nth]]
            else:
                return None
        if not hits:
            return None
        start = hits[0][0]
        later = [h[0] for h in self.headers if h[0] > start]
        return start, (later[0] if later else len(self.lines))

    def line_of(self, key: str | None, *, table: str | None = None, nth: int = 0) -> int | None:
        """1-based line of ``key = ...`` in the nth [[table]] (or the table header when key is None/absent)."""
        span = self._span(table, nth)
        if span is None:
            return None
        start, end = span
        if key is not None:
            key_re = re.compile(r"^\s*(?:" + re.escape(key) + r"|\"" + re.escape(key) + r"\"|'" + re.escape(key) + r"')\s*=")
            for i in range(start, end):
                if key_re.match(self.lines[i]):
                    return i + 1
        if table is None and not self.prefix:
            return None
        return start + 1

    def error(self, message: str, *, key: str | None = None, table: str | None = None, nth: int = 0) -> PolicyError:
        return PolicyError(message, path=self.path, line=self.line_of(key, table=table, nth=nth))


def _unknown_key(key: str, allowed: tuple[str, ...], where: str) -> str:
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown key {key!r} in {where}; {hint}allowed keys: {', '.join(allowed)}"


# ---------------------------------------------------------------------------
# values


def _number(src: _Source, value: Any, key: str, where: str, *, table: str | None, nth: int,
            lo: float | None = None, hi: float | None = None, integer: bool = False) -> float:
    kind = "a whole number" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not isinstance(value, int)):
        raise src.error(f"{key} = {value!r} in {where} is not {kind}; write e.g. {key} = "
                        f"{'3' if integer else '0.9'}", key=key, table=table, nth=nth)
    if isinstance(value, float) and math.isnan(value):
        raise src.error(f"{key} in {where} is NaN; give {kind}", key=key, table=table, nth=nth)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        rng = f"between {lo:g} and {hi:g}" if hi is not None else f"at least {lo:g}"
        extra = " (shares and HHI are on the 0-1 scale: 0.9 means 90%)" if hi == 1.0 and value > 1 else ""
        raise src.error(f"{key} = {value!r} in {where} is out of range; it must be {rng}{extra}",
                        key=key, table=table, nth=nth)
    return value


def _strings(src: _Source, value: Any, key: str, where: str, *, table: str | None, nth: int) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise src.error(f"{key} in {where} must be a string or a non-empty list of strings", key=key, table=table,
                        nth=nth)
    out = []
    for v in items:
        if isinstance(v, int) and not isinstance(v, bool) and key == "hs":
            raise src.error(f"{key} = {v} in {where} is a number; write HS codes as quoted strings so leading "
                            f"zeros are kept, e.g. {key} = [\"{v:06d}\"]", key=key, table=table, nth=nth)
        if not isinstance(v, str) or not v.strip():
            raise src.error(f"{key} in {where} has {v!r}, not a non-empty string", key=key, table=table, nth=nth)
        out.extend(p.strip() for p in v.split(",") if p.strip())
    return tuple(out)


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


def _hs_code(src: _Source, code: str, where: str, *, hs_digits: int, table: str, nth: int) -> str:
    if not code.isdigit() or not (2 <= len(code) <= hs_digits) or (len(code) <= 6 and len(code) % 2):
        raise src.error(
            f"hs = {code!r} in {where} is not an HS code or prefix; give 2, 4 or 6 digits "
            f"(up to hs_digits = {hs_digits}), quoted, e.g. hs = [\"811292\"]",
            key="hs", table=table, nth=nth)
    return code


def _parse_rule(src: _Source, t: Any, nth: int, *, defaults: Mapping[str, Any], baskets, seen: set[str]) -> Rule:
    table = "rule"
    if not isinstance(t, dict):
        raise src.error("rule must be a table: write [[rule]] and its keys below it", key="rule")
    label = f"[[{src.prefix}rule]] #{nth + 1}"
    for k in t:
        if k not in RULE_KEYS:
            raise src.error(_unknown_key(k, RULE_KEYS, label), key=k, table=table, nth=nth)
    if "name" not in t:
        raise src.error(f"{label} has no name; add name = \"...\" (used in every report line)", table=table, nth=nth)
    name = t["name"]
    if not isinstance(name, str) or not name.strip():
        raise src.error(f"name in {label} must be a non-empty string", key="name", table=table, nth=nth)
    name = name.strip()
    if name in seen:
        raise src.error(f"rule name {name!r} is used twice; give each rule a unique name", key="name", table=table,
                        nth=nth)
    seen.add(name)
    where = f"rule {name!r}"

    if "importer" in t:
        importer_spec = _strings(src, t["importer"], "importer", where, table=table, nth=nth)
        try:
            importers, sets = _importer_sets(importer_spec)
        except ScriskError as exc:
            raise src.error(f"importer in {where}: {exc.message}", key="importer", table=table, nth=nth) from None
    else:
        raise src.error(f"{where} has no importer; add importer = \"KOR\" (an ISO3 code, a list, a group such as "
                        "EU27, or \"*\" for every importer)", table=table, nth=nth)

    materials: tuple[str, ...] = ()
    if "material" in t:
        from scrisk.materials import get_basket

        names = _strings(src, t["material"], "material", where, table=table, nth=nth)
        got = []
        for m in names:
            try:
                got.append(get_basket(m, baskets=baskets).name)
            except ScriskError as exc:
                raise src.error(f"material in {where}: {exc.message}", key="material", table=table, nth=nth) from None
        materials = tuple(dict.fromkeys(got))
    hs: tuple[str, ...] = ()
    if "hs" in t:
        codes = _strings(src, t["hs"], "hs", where, table=table, nth=nth)
        hs = tuple(dict.fromkeys(_hs_code(src, c, where, hs_digits=defaults["hs_digits"], table=table, nth=nth)
                                 for c in codes))
    if not materials and not hs:
        raise src.error(f"{where} watches no product; add material = \"gallium\" or hs = [\"811292\"]",
                        table=table, nth=nth)

    values: dict[str, Any] = {}
    for k, m in MEASURES.items():
        if k not in t:
            continue
        if m.share_scale:
            values[k] = float(_number(src, t[k], k, where, table=table, nth=nth, lo=0.0, hi=1.0))
        elif m.indicator == "n_suppliers":
            values[k] = int(_number(src, t[k], k, where, table=table, nth=nth, lo=1, integer=True))
        else:
            values[k] = float(_number(src, t[k], k, where, table=table, nth=nth, lo=0.0))
    if not values:
        raise src.error(f"{where} has no threshold; add one of {', '.join((*THRESHOLD_KEYS, *BASELINE_KEYS))}",
                        table=table, nth=nth)
    severity = t.get("severity", "error")
    if severity not in SEVERITIES:
        close = difflib.get_close_matches(str(severity), SEVERITIES, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise src.error(f"severity = {severity!r} in {where}; {hint}use \"error\" or \"warning\"", key="severity",
                        table=table, nth=nth)
    min_import = defaults["min_import_usd"]
    if "min_import_usd" in t:
        min_import = float(_number(src, t["min_import_usd"], "min_import_usd", where, table=table, nth=nth, lo=0.0))
    description = t.get("description", "")
    if not isinstance(description, str):
        raise src.error(f"description in {where} must be a string", key="description", table=table, nth=nth)
    return Rule(
        name=name, importers=importers, importer_spec=importer_spec, importer_sets=sets, materials=materials, hs=hs,
        severity=severity, min_import_usd=min_import, description=description.strip(),
        line=src.line_of(None, table=table, nth=nth),
        limits=tuple((k, values[k]) for k in (*THRESHOLD_KEYS, *BASELINE_KEYS) if k in values),
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
    scrisk.errors.PolicyError: <policy>:5: unknown key 'max_top_shar' in [[rule]] #1; did you mean 'max_top_share'? allowed keys: name, description, importer, material, hs, max_hhi, max_top_share, min_suppliers, max_world_export_hhi, ..., max_hhi_increase, max_top_share_increase, severity, min_import_usd
    """
    label = str(path) if path is not None else "<policy>"
    doc = parse_toml(text, path=label, error=PolicyError)
    prefix = ""
    is_pyproject = (path is not None and Path(path).name == "pyproject.toml") or ("tool" in doc and "rule" not in doc)
    if is_pyproject:
        tool = doc.get("tool")
        if not isinstance(tool, dict) or "scrisk" not in tool:
            raise PolicyError("no [tool.scrisk] table; add [[tool.scrisk.rule]] tables to use this pyproject.toml "
                              "as a policy", path=label)
        doc = tool["scrisk"]
        prefix = "tool.scrisk."
        if not isinstance(doc, dict):
            raise PolicyError("tool.scrisk must be a table", path=label)
    src = _Source(text, label, prefix)
    where = f"[{prefix.rstrip('.')}]" if prefix else "the policy's top level"
    for k in doc:
        if k not in POLICY_KEYS:
            hint = " (rule keys go inside a [[rule]] table)" if k in RULE_KEYS else ""
            raise src.error(_unknown_key(k, POLICY_KEYS, where) + hint, key=k)
    title = doc.get("title", "")
    description = doc.get("description", "")
    for k, v in (("title", title), ("description", description)):
        if not isinstance(v, str):
            raise src.error(f"{k} must be a string", key=k)
    max_rejected = None
    if "max_rejected" in doc:
        try:
            max_rejected = parse_max_rejected(doc["max_rejected"])
        except UsageError as exc:
            raise src.error(exc.message.replace("--max-rejected", "max_rejected", 1), key="max_rejected") from None
    min_import = 0.0
    if "min_import_usd" in doc:
        min_import = float(_number(src, doc["min_import_usd"], "min_import_usd", where, table=None, nth=0, lo=0.0))
    hs_digits = doc.get("hs_digits", 6)
    if isinstance(hs_digits, bool) or hs_digits not in HS_DIGITS:
        raise src.error(f"hs_digits = {hs_digits!r}; use 6 (HS6), 8 or 10 (national tariff lines)", key="hs_digits")
    rules_raw = doc.get("rule")
    if rules_raw is None:
        raise PolicyError(f"no rules; add [[{prefix}rule]] tables (name, importer, material or hs, and a threshold "
                          "such as max_top_share = 0.9)", path=label)
    if not isinstance(rules_raw, list):
        raise src.error(f"rule must be [[{prefix}rule]] tables (an array of tables), not a single table", key="rule")
    if baskets is None:
        from scrisk.materials import load_baskets

        baskets = load_baskets()
    defaults = {"min_import_usd": min_import, "hs_digits": int(hs_digits)}
    seen: set[str] = set()
    rules = tuple(_parse_rule(src, t, i, defaults=defaults, baskets=baskets, seen=seen)
                  for i, t in enumerate(rules_raw))
    return Policy(rules=rules, title=title.strip(), description=description.strip(), max_rejected=max_rejected,
                  min_import_usd=min_import, hs_digits=int(hs_digits), path=str(path) if path is not None else None)


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
