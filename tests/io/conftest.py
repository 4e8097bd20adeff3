"""Fixtures for reader tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# pytest runs in importlib mode: make the shared helpers of this folder importable by its tests
sys.path.insert(0, str(Path(__file__).resolve().parent))

from io_helpers import baci_line, write_country_codes_v202601  # noqa: E402

@pytest.fixture
def small_baci(tmp_path: Path) -> Path:
    """A clean BACI release-layout CSV with its country table beside it."""
    d = tmp_path / "baci"
    d.mkdir()
    write_country_codes_v202601(d / "country_codes_V202601.csv")
    rows = [
        (2022, 156, 410, 811292, 900.5, 10.0),
        (2022, 392, 410, 811292, 80.0, 1.5),
        (2022, 490, 410, 381800, 50.0, None),  # Taiwan, q NA
        (2022, 516, 842, 71120, 2.25, 0.1),  # Namibia, k lost its leading zero
        (2022, 251, 699, 370790, 3.0, 0.2),
        (2022, 757, 36, 710812, 4.0, None),
    ]
    text = "t,i,j,k,v,q\n" + "\n".join(baci_line(*r) for r in rows) + "\n"
    p = d / "BACI_HS17_Y2022_V202601.csv"
    p.write_text(text, encoding="utf-8")
    return p
