"""Judge a flow table against a policy: breaches, completeness and the exit code of ``scrisk check``.

For each rule, every (importer, product) pair it watches that has imports in
the checked year is measured (import value, suppliers, top supplier and
share, HHI, world export HHI of the product; against a baseline, the change
of HHI and top share). Pairs with imports below the rule's
``min_import_usd`` are not judged. A measured value beyond a threshold is a
*breach*; a breach of an ``error`` rule fails the check, a breach of a
``warning`` rule is reported only.

A run is *incomplete* -- and never passes -- when

* more input rows were rejected as defects than ``max_rejected`` allows
  (structural drops such as Comtrade World rows do not count; default: no
  defect tolerated), in the checked files or in the baseline; or
* a watched product is absent: a listed importer has no imports of a
  listed HS code (or of any code of a listed material) in the checked year;
  for a group (EU27) no member has, for ``"*"`` no importer has.

A threshold is *not evaluable* -- neither a breach nor a pass -- when the
data cannot give its measure: on data with only reporters' totals with the
World (a file with only World partners) only the world-side keys
(``max_world_export_hhi``, ``max_world_top_exporter_share``,
``max_import_value_usd``, ...; :attr:`~scrisk.policy.measure.Measure.world`)
are judged, and every other key of a rule is listed in ``not_evaluable``
with the reason. A pair none of whose rule's keys can be judged has status
``not_evaluable``.

Exit code: 1 when any error-severity breach or any incompleteness, else 0.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import pandas as pd

from scrisk.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from scrisk.io.options import ReadOptions
from scrisk.policy.measure import (
    defect_rejections,
    hs_labels,
    measure_pairs,
    pick_year,
    plain_records,
    registry,
)
from scrisk.policy.spec import MEASURES, MaxRejected, Policy, Rule, load_policy, parse_max_rejected
from scrisk.schema import HS, IMPORTER, FlowTable
from scrisk.textfmt import format_share, format_usd

__all__ = ["CheckResult", "evaluate", "check_files", "ROW_FIELDS", "BREACH_FIELDS"]

ROW_FIELDS: tuple[str, ...] = (
    "rule", "severity", "importer", "hs", "material", "year", "status", "import_value_usd", "n_suppliers",
    "top_supplier", "top_share", "hhi", "world_export_hhi", "world_top_exporter", "world_top_exporter_share",
    "baseline_year", "baseline_import_value_usd", "baseline_top_supplier", "baseline_top_share", "baseline_hhi",
    "hhi_increase", "top_share_increase", "breached", "not_evaluable", "note",
)
"""Fields of each evaluated row (one per rule, importer and HS code)."""

BREACH_FIELDS: tuple[str, ...] = (
    "rule", "severity", "importer", "hs", "material", "year", "threshold_key", "metric", "value", "threshold",
    "baseline_value", "baseline_year", "top_supplier", "import_value_usd", "message",
)
"""Fields of each breach (one per rule, importer, HS code and threshold crossed)."""

_METRIC = {k: m.metric for k, m in MEASURES.items()}
"""Threshold key -> the value it judges (an indicator column, or ``<indicator>_increase``)."""
_EPS = 1e-12


def _thr_pct(x: float) -> str:
    return f"{x * 100:g}%"


@dataclass
class CheckResult:
    """What ``scrisk check`` found: evaluated rows, breaches, completeness problems and provenance.

    Attributes
    ----------
    meta : dict
        Provenance (:func:`scrisk.provenance.output_meta`) plus ``policy``,
        ``year``, ``baseline``, ``read`` (row counts) and ``notes``.
    rows : list of dict
        One per (rule, importer, hs) with imports, fields :data:`ROW_FIELDS`;
        ``status`` is ``pass``, ``fail`` (error breach), ``warn`` (warning
        breach), ``not_judged`` (imports below ``min_import_usd``) or
        ``not_evaluable`` (no threshold of the rule can be judged on the
        data); ``not_evaluable`` lists the thresholds left unjudged.
    breaches : list of dict
        One per threshold crossed, fields :data:`BREACH_FIELDS`.
    incomplete : list of dict
        ``kind`` (``absent`` or ``rejected``), ``message`` and details.
    not_evaluable : list of dict
        One per rule with thresholds the data cannot judge: ``rule``,
        ``severity``, ``keys``, ``message`` (the reason). Neither a breach
        nor a pass; not an incompleteness.
    rules : int
        Number of rules in the policy.
    """

    meta: dict[str, Any]
    rows: list[dict[str, Any]] = field(default_factory=list)
    breaches: list[dict[str, Any]] = field(default_factory=list)
    incomplete: list[dict[str, Any]] = field(default_factory=list)
    rules: int = 0
    not_evaluable: list[dict[str, Any]] = field(default_factory=list)

    @property
    def errors(self) -> int:
        """Number of breaches of error-severity rules."""
        return sum(1 for b in self.breaches if b["severity"] == "error")

    @property
    def warnings(self) -> int:
        """Number of breaches of warning-severity rules."""
        return sum(1 for b in self.breaches if b["severity"] == "warning")

    @property
    def status(self) -> str:
        """``fail`` (error breaches), ``incomplete`` (no error breach but an incomplete run) or ``pass``."""
        if self.errors:
            return "fail"
        if self.incomplete:
            return "incomplete"
        return "pass"

    @property
    def exit_code(self) -> int:
        """1 on any error breach or incompleteness, else 0."""
        return EXIT_OK if self.status == "pass" else EXIT_FINDINGS

    @property
    def summary(self) -> dict[str, Any]:
        """Counts: rules, evaluated (judged rows), not_judged, breaches, errors, warnings, incomplete, status;
        ``not_evaluable`` (thresholds of rules the data cannot judge) when there are any."""
        out = {
            "rules": self.rules,
            "evaluated": sum(1 for r in self.rows if r["status"] not in ("not_judged", "not_evaluable")),
            "not_judged": sum(1 for r in self.rows if r["status"] == "not_judged"),
            "breaches": len(self.breaches),
            "errors": self.errors,
            "warnings": self.warnings,
            "incomplete": len(self.incomplete),
            "status": self.status,
            "exit_code": self.exit_code,
        }
        if self.not_evaluable:
            out["not_evaluable"] = sum(len(n["keys"]) for n in self.not_evaluable)
        return out

    def to_dict(self) -> dict[str, Any]:
        """Return the stable JSON contract: ``{meta, summary, breaches, incomplete, rows}`` (and
        ``not_evaluable`` when some thresholds could not be judged)."""
        from scrisk.serialize import jsonable

        out = {
            "meta": self.meta,
            "summary": self.summary,
            "breaches": self.breaches,
            "incomplete": self.incomplete,
            "rows": self.rows,
        }
        if self.not_evaluable:
            out["not_evaluable"] = self.not_evaluable
        return jsonable(out)


# ---------------------------------------------------------------------------
# helpers


def _product(hs: str, material: str) -> str:
    return f"{hs} ({material})" if material else hs


def _units(rule: Rule, *, baskets, revision: str | None) -> list[tuple[str, tuple[str, ...], str]]:
    """What a rule watches: (label, HS prefixes, material) per listed material and per listed HS code."""
    from scrisk.materials import resolve_hs

    units = []
    for m in rule.materials:
        codes = resolve_hs(m, None, baskets=baskets, revision=revision)
        units.append((f"{m} ({', '.join(codes)})", codes, m))
    for h in rule.hs:
        units.append((h, (h,), ""))
    return units


def _starts(series: pd.Series, prefixes: Iterable[str]) -> pd.Series:
    from scrisk.materials import hs_mask

    return hs_mask(series, tuple(prefixes))


def _rejection_items(table: FlowTable, allowed: MaxRejected, side: str) -> list[dict[str, Any]]:
    n, per = defect_rejections(table.report)
    if allowed.allows(n, table.report.rows_read):
        return []
    reasons = ", ".join(f"{k}: {v}" for k, v in per.items())
    inputs = ", ".join(table.meta.inputs) or side
    return [{
        "kind": "rejected",
        "side": side,
        "rejected": n,
        "rows_read": int(table.report.rows_read),
        "reasons": per,
        "allowed": str(allowed),
        "message": (f"{n:,} input row{'s' if n != 1 else ''} of the {side} ({inputs}) rejected as defects "
                    f"({reasons}); --max-rejected allows {allowed}. Run `scrisk validate` to see them "
                    "(--quarantine FILE lists each row), fix the file or raise --max-rejected"),
    }]


def _absent_items(rule: Rule, units, cur: pd.DataFrame, year: int) -> list[dict[str, Any]]:
    out = []
    for entry, members in rule.importer_sets:
        rows = cur if members is None else cur[cur[IMPORTER].isin(members)]
        for label, prefixes, material in units:
            if _starts(rows[HS], prefixes).any():
                continue
            if members is None:
                who, tail = "any importer", f"the data has no imports of {label} in {year} by any importer"
            elif len(members) == 1 and members[0] == entry:
                who, tail = entry, f"the data has no {entry} imports of {label} in {year}"
            else:
                who, tail = entry, f"the data has no imports of {label} in {year} by any {entry} member"
            out.append({
                "kind": "absent",
                "rule": rule.name,
                "severity": rule.severity,
                "importer": who,
                "hs": list(prefixes),
                "material": material,
                "message": f"rule {rule.name!r} watches {label} for {entry} but {tail}",
            })
    return out


def _judge(rule: Rule, row: Mapping[str, Any], skip: Iterable[str] = ()) -> list[tuple[str, float, float, float | None]]:
    """Return (threshold key, measured value, threshold, baseline value) for each threshold crossed
    (the keys in ``skip``, not evaluable on the data, are left out)."""
    hits = []
    for key, thr in rule.thresholds().items():
        if key in skip:
            continue
        m = MEASURES[key]
        v = row.get(m.metric)
        if v is None or pd.isna(v):
            continue
        crossed = v < thr if m.bound == "min" else v > thr + _EPS
        if crossed:
            base = row.get(f"baseline_{m.indicator}") if m.baseline else None
            hits.append((key, float(v), thr, base))
    return hits


def _show(v: float, scale: str) -> str:
    if scale == "share":
        return format_share(v)
    if scale == "usd":
        return format_usd(v)
    if scale in ("hhi", "score"):
        return f"{v:.3f}"
    return f"{v:g}" if scale == "count" and float(v).is_integer() else f"{v:.2f}"


def _message(rule: Rule, row: Mapping[str, Any], key: str, v: float, thr: float, base: float | None) -> str:
    imp, year = row["importer"], row["year"]
    head = f"rule {rule.name!r}: {imp} imports of {_product(row['hs'], row['material'])} in {year}"
    if key == "max_top_share":
        what = f"{row['top_supplier']} supplies {format_share(v)}, above max_top_share {_thr_pct(thr)}"
    elif key == "max_hhi":
        what = f"import HHI {v:.3f} ({row['n_suppliers']} suppliers, top {row['top_supplier']} " \
               f"{format_share(row['top_share'])}), above max_hhi {thr:g}"
    elif key == "min_suppliers":
        n = int(v)
        what = f"{n} supplier{'s' if n != 1 else ''}, fewer than min_suppliers {int(thr)}"
    elif key == "max_world_export_hhi":
        what = (f"world export HHI {v:.3f} (top exporter {row['world_top_exporter']} "
                f"{format_share(row['world_top_exporter_share'])}), above max_world_export_hhi {thr:g}")
    elif key == "max_hhi_increase":
        what = (f"import HHI rose by {v:.3f} ({base:.3f} in {row['baseline_year']} -> {row['hhi']:.3f}), "
                f"above max_hhi_increase {thr:g}")
    elif key == "max_top_share_increase":
        what = (f"top-supplier share rose by {v * 100:.1f} points ({row['baseline_top_supplier']} {format_share(base)} in "
                f"{row['baseline_year']} -> {row['top_supplier']} {format_share(row['top_share'])}), above "
                f"max_top_share_increase {thr * 100:g} points")
    else:  # any other declared policy indicator: its name, value, and the limit
        m = MEASURES[key]
        name = m.indicator.replace("_", " ")
        limit = _thr_pct(thr) if m.scale == "share" else f"{thr:g}"
        if m.baseline:
            what = (f"{name} rose by {_show(v, m.scale)} ({_show(base, m.scale)} in {row['baseline_year']}), "
                    f"above {key} {limit}")
        elif m.bound == "min":
            what = f"{name} {_show(v, m.scale)}, below {key} {limit}"
        else:
            what = f"{name} {_show(v, m.scale)}, above {key} {limit}"
    return f"{head}: {what}"


def _not_evaluable(rule: Rule, table: FlowTable, baseline: FlowTable | None) -> dict[str, Any] | None:
    """The thresholds of ``rule`` the data cannot judge, with the reason (None when every one can)."""
    sides = [("the checked data", table, False)] + ([("the baseline", baseline, True)] if baseline is not None else [])
    keys, why = [], []
    for label, t, base_only in sides:
        if not t.world_only:
            continue
        blind = [k for k in rule.thresholds() if not MEASURES[k].world and (MEASURES[k].baseline or not base_only)]
        keys += [k for k in blind if k not in keys]
        if blind:
            why.append(label)
    if not keys:
        return None
    return {"kind": "not_evaluable", "rule": rule.name, "severity": rule.severity, "keys": keys,
            "message": (f"rule {rule.name!r}: {', '.join(keys)} not evaluable: {' and '.join(why)} "
                        f"{'have' if len(why) > 1 else 'has'} only World partners (reporters' totals with the "
                        "World), and these need bilateral flows; only world-side thresholds are judged")}


def _require_baseline(policy: Policy, given: bool) -> None:
    if policy.needs_baseline and not given:
        names = ", ".join(repr(r.name) for r in policy.rules if r.needs_baseline)
        raise UsageError(f"rule(s) {names} compare with a baseline (max_hhi_increase / max_top_share_increase); "
                         "give the earlier vintage with --baseline OLD_FILE")


# ---------------------------------------------------------------------------
# evaluation


def evaluate(
    policy: Policy,
    table: FlowTable,
    *,
    baseline: FlowTable | None = None,
    year: int | None = None,
    baseline_year: int | None = None,
    max_rejected: MaxRejected | str | int | float | None = None,
    baskets=None,
) -> CheckResult:
    """Judge ``table`` against ``policy``.

    Parameters
    ----------
    policy : Policy
        The rules (see :mod:`scrisk.policy.spec`).
    table : FlowTable
        The data to check (a new vintage of customs or BACI data).
    baseline : FlowTable, optional
        An earlier vintage; required when a rule has ``max_hhi_increase`` or
        ``max_top_share_increase``.
    year, baseline_year : int, optional
        The year checked in each table (default: the latest year present).
    max_rejected : MaxRejected, str, int or float, optional
        Tolerated defect rejections (count, share or ``"1%"``); default: the
        policy's ``max_rejected``, else 0.
    baskets : dict, optional
        Material basket registry (default: the bundled baskets).

    Returns
    -------
    CheckResult

    Raises
    ------
    UsageError
        A baseline rule without a baseline, a year not in the data.

    Examples
    --------
    >>> from scrisk.policy.spec import parse_policy
    >>> from scrisk.schema import make_flow_table
    >>> t = make_flow_table(pd.DataFrame({"year": [2024] * 3, "exporter": ["CHN", "JPN", "USA"],
    ...     "importer": ["KOR"] * 3, "hs": ["811292"] * 3, "value_usd": [92.0, 6.0, 2.0]}))
    >>> p = parse_policy('[[rule]]\\nname = "kor-ga"\\nimporter = "KOR"\\nhs = ["811292"]\\nmax_top_share = 0.9\\n')
    >>> r = evaluate(p, t)
    >>> r.exit_code, r.summary["errors"], r.breaches[0]["message"]
    (1, 1, "rule 'kor-ga': KOR imports of 811292 (gallium) in 2024: CHN supplies 92.0%, above max_top_share 90%")
    """
    from scrisk.materials import hs_mask
    from scrisk.provenance import output_meta

    reg = registry(baskets)
    _require_baseline(policy, baseline is not None)
    if max_rejected is None:
        allowed = policy.max_rejected or MaxRejected(count=0)
    elif isinstance(max_rejected, MaxRejected):
        allowed = max_rejected
    else:
        allowed = parse_max_rejected(max_rejected)

    y = pick_year(table, year, label="the checked data")
    revision = table.meta.hs_revision
    units_by_rule = {r.name: _units(r, baskets=reg, revision=revision) for r in policy.rules}
    watched = sorted({p for units in units_by_rule.values() for _, prefixes, _ in units for p in prefixes})
    # every figure comes from the measurement engine (scrisk.metrics.indicators), per (importer, hs)
    cur = measure_pairs(table, y, hs=watched, hs_digits=policy.hs_digits)

    by = None
    if baseline is not None:
        by = pick_year(baseline, baseline_year, label="the baseline")
        base = measure_pairs(baseline, by, hs=watched, hs_digits=policy.hs_digits)
        increases = [m for m in MEASURES.values() if m.baseline]
        keep = list(dict.fromkeys(["import_value_usd", "top_supplier", "top_share", "hhi",
                                   *(m.indicator for m in increases)]))
        base = base[[IMPORTER, HS, *keep]].rename(columns={c: f"baseline_{c}" for c in keep})
        cur = cur.merge(base, on=[IMPORTER, HS], how="left")
        for m in increases:
            cur[m.metric] = cur[m.indicator] - cur[f"baseline_{m.indicator}"]

    incomplete = _rejection_items(table, allowed, "checked data")
    if baseline is not None:
        incomplete += _rejection_items(baseline, allowed, "baseline")
    labels = hs_labels(cur[HS], baskets=reg, revision=revision)

    rows: list[dict[str, Any]] = []
    breaches: list[dict[str, Any]] = []
    blind_rules: list[dict[str, Any]] = []
    for rule in policy.rules:
        units = units_by_rule[rule.name]
        incomplete += _absent_items(rule, units, cur, y)
        blind = _not_evaluable(rule, table, baseline)
        skip = blind["keys"] if blind else []
        if blind:
            blind_rules.append(blind)
        mask = hs_mask(cur[HS], [p for _, prefixes, _ in units for p in prefixes])
        if rule.importers is not None:
            mask &= cur[IMPORTER].isin(rule.importers)
        sel = cur.loc[mask]
        for rec in plain_records(sel):
            material = labels.get(rec[HS], "")
            for _, prefixes, m in units:
                if m and any(rec[HS].startswith(p) for p in prefixes):
                    material = m
                    break
            row = {k: rec.get(k) for k in ROW_FIELDS}
            row.update(rule=rule.name, severity=rule.severity, material=material, year=y,
                       baseline_year=by if baseline is not None else None, breached=[], not_evaluable=list(skip),
                       note="")
            if row["import_value_usd"] < rule.min_import_usd:
                row["status"] = "not_judged"
                row["note"] = (f"imports ${row['import_value_usd']:,.0f} below min_import_usd "
                               f"${rule.min_import_usd:,.0f}: not judged")
                rows.append(row)
                continue
            if baseline is not None and row["baseline_hhi"] is None and rule.needs_baseline:
                row["note"] = f"no imports in the baseline year {by}: increases not judged"
            if skip and len(skip) == len(rule.thresholds()):
                row["status"] = "not_evaluable"
                row["note"] = f"not evaluable on World totals: {', '.join(skip)}"
                rows.append(row)
                continue
            if skip:
                row["note"] = f"not evaluable on World totals: {', '.join(skip)}"
            measured = {**rec, **row}  # every indicator of the pair, plus the row's own fields
            hits = _judge(rule, measured, skip)
            for key, v, thr, b in hits:
                breaches.append({
                    "rule": rule.name, "severity": rule.severity, "importer": row["importer"], "hs": row["hs"],
                    "material": material, "year": y, "threshold_key": key, "metric": _METRIC[key], "value": v,
                    "threshold": thr, "baseline_value": b, "baseline_year": row["baseline_year"] if b is not None
                    else None, "top_supplier": row["top_supplier"], "import_value_usd": row["import_value_usd"],
                    "message": _message(rule, measured, key, v, thr, b),
                })
            row["breached"] = [k for k, *_ in hits]
            row["status"] = ("fail" if rule.severity == "error" else "warn") if hits else "pass"
            rows.append(row)

    notes = []
    years = table.measured_years
    if len(years) > 1 and year is None:
        notes.append(f"the checked data holds years {', '.join(map(str, years))}; checked the latest, {y}")
    if table.world_only:
        from scrisk.provenance import world_only_note

        notes.append(world_only_note(table, "pairs are importers with imports from the World, judged on the "
                     "world-side thresholds only; the others are listed as not evaluable (neither breached nor "
                     "passed)"))
    if table.meta.hs_headings:
        from scrisk.provenance import headings_note

        notes.append(headings_note(table.meta.hs_headings))
    if baseline is not None and baseline.meta.hs_revision and revision and baseline.meta.hs_revision != revision:
        notes.append(f"the baseline is {baseline.meta.hs_revision} and the checked data {revision}: codes that "
                     "changed between revisions do not compare")
    n_def, per = defect_rejections(table.report)
    meta = output_meta(table, policy=policy.path, year=year, baseline_year=baseline_year,
                       max_rejected=str(allowed), hs_digits=policy.hs_digits)
    meta["policy"] = {
        "path": policy.path, "title": policy.title, "rules": [r.name for r in policy.rules],
        "severities": {r.name: r.severity for r in policy.rules}, "lines": {r.name: r.line for r in policy.rules},
    }
    meta["year"] = y
    meta["baseline"] = None if baseline is None else {
        "inputs": list(baseline.meta.inputs), "years": list(baseline.years), "year": by,
        "hs_revision": baseline.meta.hs_revision, "source_format": baseline.meta.source_format,
        **({"hs_conversion": baseline.meta.hs_conversion} if baseline.meta.hs_conversion is not None else {}),
    }
    meta["read"] = {
        "rows_read": int(table.report.rows_read), "rows_accepted": int(table.report.rows_accepted),
        "rows_rejected": int(table.report.rows_rejected), "defects": n_def, "defect_reasons": per,
    }
    meta["notes"] = notes
    return CheckResult(meta=meta, rows=rows, breaches=breaches, incomplete=incomplete, rules=len(policy.rules),
                       not_evaluable=blind_rules)


def check_files(
    paths: Iterable[str | Path] | None,
    *,
    policy: Policy | str | Path,
    options: ReadOptions | None = None,
    baseline: Iterable[str | Path] | None = None,
    baseline_options: ReadOptions | None = None,
    year: int | None = None,
    baseline_year: int | None = None,
    max_rejected: MaxRejected | str | int | float | None = None,
    baskets=None,
) -> CheckResult:
    """Read the policy and the trade files, then :func:`evaluate` (what ``scrisk check`` calls).

    Parameters
    ----------
    paths : iterable of str or Path, optional
        Files to check; None or empty checks the bundled example.
    policy : Policy, str or Path
        A parsed policy or a policy file (TOML or pyproject.toml).
    options : ReadOptions, optional
        Reader options for ``paths``. When ``year`` is given and the options
        name no year, the year is pushed into the read.
    baseline : iterable of str or Path, optional
        Files of the earlier vintage (for increase rules).
    baseline_options : ReadOptions, optional
        Reader options for the baseline (default: ``options`` with the
        years set to ``baseline_year``).

    Other parameters are those of :func:`evaluate`.
    """
    from scrisk.api import load_flows

    reg = registry(baskets)
    pol = policy if isinstance(policy, Policy) else load_policy(policy, baskets=reg)
    baseline = list(baseline or [])
    _require_baseline(pol, bool(baseline))
    options = options or ReadOptions()
    if year is not None and not options.years:
        options = dataclasses.replace(options, years=(int(year),))
    table = load_flows(paths, options)
    base = None
    if baseline:
        if baseline_options is None:
            baseline_options = dataclasses.replace(options, years=(int(baseline_year),) if baseline_year else ())
        if baseline_options.target_revision is None and table.meta.hs_revision:
            # judge like with like: the baseline in the checked data's revision
            baseline_options = dataclasses.replace(baseline_options, target_revision=table.meta.hs_revision)
        try:
            base = load_flows(baseline, baseline_options)
        except UsageError as exc:
            raise UsageError(f"{exc.message} (this is a --baseline file: its year option is --baseline-year)",
                             path=exc.path, line=exc.line) from None
    return evaluate(pol, table, baseline=base, year=year, baseline_year=baseline_year, max_rejected=max_rejected,
                    baskets=reg)
