"""Fixtures for the HTML report tests: hand-made flows, and input files carrying injected markup."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

# pytest runs in importlib mode: make the helpers of this folder importable by its tests
sys.path.insert(0, str(Path(__file__).resolve().parent))

from report_helpers import INJECT_BASKET, INJECT_CODE, INJECT_SCENARIO, write_injected  # noqa: E402


@pytest.fixture
def small_table():
    """Two years of KOR/JPN/USA imports of three products, seven suppliers of 811292 for KOR."""
    from scrisk.schema import make_flow_table

    rows = []
    for year, scale in ((2022, 1.0), (2024, 1.5)):
        for exp, v in (("CHN", 800), ("JPN", 60), ("USA", 40), ("DEU", 30), ("BEL", 20), ("FRA", 10), ("GBR", 5)):
            rows.append((year, exp, "KOR", "811292", v * scale * 1e5))
        rows += [(year, "CHN", "JPN", "811292", 5e7 * scale), (year, "USA", "JPN", "811292", 1e7),
                 (year, "JPN", "KOR", "370790", 4e8), (year, "USA", "KOR", "370790", 1e8 * scale),
                 (year, "CHL", "KOR", "283691", 3e8), (year, "ARG", "KOR", "283691", 1e8 * scale),
                 (year, "CHL", "USA", "283691", 2e8)]
    frame = pd.DataFrame(rows, columns=["year", "exporter", "importer", "hs", "value_usd"])
    return make_flow_table(frame)


@pytest.fixture
def injected(tmp_path):
    """Paths of a tidy file with a ``<script>`` country code, a basket and a scenario with ``<script>`` titles."""
    return write_injected(tmp_path)


__all__ = ["INJECT_BASKET", "INJECT_CODE", "INJECT_SCENARIO"]
