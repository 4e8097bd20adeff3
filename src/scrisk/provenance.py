"""Provenance recorded in every output: inputs, years, HS revision, version, time, parameters."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from scrisk.schema import FlowTable

__all__ = ["output_meta", "read_summary", "world_only_note", "headings_note"]


def read_summary(table: FlowTable) -> dict[str, Any]:
    """Summarise a table's read report: how many rows were accepted and rejected, why, and what value.

    Shares are of the total value read (accepted plus rejected rows whose value parsed), so a user
    can see how much trade an unknown country code or a broken row took out of the analysis.
    Defects (broken rows) are counted apart from structural drops (World rows, Comtrade breakdown
    duplicates...), whose value is a double count by design.

    Examples
    --------
    >>> import pandas as pd
    >>> from scrisk.schema import make_flow_table
    >>> t = make_flow_table(pd.DataFrame({"year": [2024], "exporter": ["CHN"], "importer": ["KOR"],
    ...                                   "hs": ["811292"], "value_usd": [9.0]}))
    >>> read_summary(t)["rows_rejected"], read_summary(t)["value_share_rejected"]
    (0, 0.0)
    """
    from scrisk.io.reasons import is_defect

    r = table.report
    # a negative value is itself a defect: it is not trade taken out of the analysis
    rejected = {k: float(v) for k, v in r.value_usd_rejected.items() if v > 0}
    rejected_value = sum(rejected.values())
    defect_value = sum(v for k, v in rejected.items() if is_defect(k))
    total = r.value_usd_total
    share = (lambda v: float(v) / total if total > 0 else 0.0)
    defects = {k: int(v) for k, v in sorted(r.reasons.items()) if is_defect(k)}
    return {
        "rows_read": int(r.rows_read),
        "rows_accepted": int(r.rows_accepted),
        "rows_rejected": int(r.rows_rejected),
        "rows_rejected_defect": sum(defects.values()),
        "rows_rejected_structural": int(r.rows_rejected) - sum(defects.values()),
        "reasons": {k: int(v) for k, v in sorted(r.reasons.items())},
        "value_usd_accepted": float(r.value_usd_accepted),
        "value_usd_rejected": rejected_value,
        "value_share_rejected": share(rejected_value),
        "value_share_rejected_defect": share(defect_value),
        "unknown_codes": [
            {"code": str(code), "value_usd": float(v), "value_share": share(v)}
            for code, v in sorted(r.unknown_codes.items(), key=lambda kv: (-kv[1], str(kv[0])))
        ],
    }


def output_meta(table: FlowTable | None, **parameters: Any) -> dict[str, Any]:
    """Build the ``meta`` block of a result from a flow table and the call's parameters.

    Parameters
    ----------
    table : FlowTable or None
        The flows the result was computed from.
    **parameters
        The options of the call (None values are kept so the record is complete).

    Returns
    -------
    dict
        ``scrisk_version, generated_at (UTC ISO 8601), inputs, years,
        hs_revision, source_format, release, read`` (see :func:`read_summary`;
        only when a table is given) ``, parameters``.

    Examples
    --------
    >>> sorted(output_meta(None, top=10))[:3]
    ['generated_at', 'hs_revision', 'inputs']
    """
    from scrisk import __version__

    meta: dict[str, Any] = {
        "scrisk_version": __version__,
        "generated_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "inputs": [],
        "years": [],
        "hs_revision": None,
        "source_format": None,
        "release": None,
    }
    if table is not None:
        m = table.meta
        meta.update(
            inputs=list(m.inputs),
            years=[int(y) for y in (m.years or table.measured_years)],
            hs_revision=m.hs_revision,
            source_format=m.source_format,
            release=m.release,
        )
        full = m.to_dict()
        meta["periods"] = full.get("periods", [])
        for extra in ("mirror", "world_totals", "hs_headings", "hs_inference"):  # present when the inputs had them
            if extra in full:
                meta[extra] = full[extra]
        if table.world_only:
            meta["world_totals_only"] = True
        if m.hs_conversion is not None:
            meta["hs_conversion"] = m.hs_conversion
        if m.period is not None:
            meta["period"] = m.period
        meta["read"] = read_summary(table)
    meta["parameters"] = dict(parameters)
    return meta


def world_only_note(table: FlowTable, what: str) -> str:
    """The note every command gives on a table with only World totals (:attr:`FlowTable.world_only`).

    ``what`` says what the command did with them.

    Examples
    --------
    >>> import pandas as pd
    >>> from scrisk.schema import FlowMeta
    >>> wt = pd.DataFrame({"year": [2019, 2019], "reporter": ["JPN", "USA"], "flow": ["export", "import"],
    ...                    "hs": ["848620"] * 2, "value_usd": [5.0, 3.0]})
    >>> world_only_note(FlowTable(meta=FlowMeta(world_totals=wt)), "nothing was shocked")
    'bilateral (importer-side) figures are unavailable: the inputs have only World partners (the totals of 2 reporters with the World, meta.world_totals); nothing was shocked'
    """
    wt = table.meta.world_totals
    n = wt["reporter"].nunique()
    return (f"bilateral (importer-side) figures are unavailable: the inputs have only World partners (the totals "
            f"of {n} reporter{'s' if n != 1 else ''} with the World, meta.world_totals); {what}")


def headings_note(headings) -> str:
    """The note on HS4 headings a table carries as products (:attr:`scrisk.schema.FlowMeta.hs_headings`).

    Examples
    --------
    >>> headings_note(["7402", "7403"])[:62]
    'HS4 headings carried as products (the inputs report 7402, 7403'
    """
    heads = list(headings)
    shown = ", ".join(heads[:12]) + (f" and {len(heads) - 12} more" if len(heads) > 12 else "")
    return (f"HS4 headings carried as products (the inputs report {shown} at the 4-digit level, with no code under "
            "them): a basket or --hs code under such a heading selects the heading, whose value holds every "
            "subheading of it (meta.hs_headings)")
