"""Build the injected report the way ``scrisk report`` does (library calls only)."""

from __future__ import annotations

from pathlib import Path


def build(out: Path, paths: dict[str, Path]) -> None:
    """Write the report of the injected inputs to ``out``."""
    from scrisk.api import load_flows
    from scrisk.materials import load_baskets
    from scrisk.report.html import build_report
    from scrisk.scenario import load_scenario

    reg = load_baskets([paths["basket"]])
    table = load_flows([paths["flows"]])
    html = build_report(table, importers="KOR", baskets=reg, scenario=load_scenario(paths["scenario"], baskets=reg),
                        scenario_path=str(paths["scenario"]))
    out.write_text(html, encoding="utf-8")
