"""The report's sections, in page order: one module each, registered here.

A new section is one module with a ``SECTION`` (see
:class:`scrisk.report.html.base.Section`) and one entry in :data:`SECTIONS`.
"""

from __future__ import annotations

from scrisk.report.html.sections import chokepoints, history, plane, provenance, ranked, shock, summary, suppliers

__all__ = ["SECTIONS"]

SECTIONS = (
    summary.SECTION,
    ranked.SECTION,
    plane.SECTION,
    suppliers.SECTION,
    history.SECTION,
    chokepoints.SECTION,
    shock.SECTION,
    provenance.SECTION,
)
"""Every section, in the order the page shows them."""
