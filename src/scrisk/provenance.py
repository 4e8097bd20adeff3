"""Provenance recorded in every output: inputs, years, HS revision, version, time, parameters."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from scrisk.schema import FlowTable

__all__ = ["output_meta"]


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
        hs_revision, source_format, release, parameters``.

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
            years=[int(y) for y in (m.years or table.years)],
            hs_revision=m.hs_revision,
            source_format=m.source_format,
            release=m.release,
        )
    meta["parameters"] = dict(parameters)
    return meta
