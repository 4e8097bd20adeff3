"""Fixtures for metric tests: the real-data atlas as a canonical flow table."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# pytest runs in importlib mode: make the helpers of this folder importable by its tests
sys.path.insert(0, str(Path(__file__).resolve().parent))

from atlas import atlas_table  # noqa: E402


@pytest.fixture(scope="session")
def atlas_flows(atlas):
    """FlowTable of baci_2022.csv + baci_2024.csv (real data; skipped when absent)."""
    return atlas_table(atlas)
