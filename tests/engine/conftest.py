"""Fixtures for the engine tests."""

from __future__ import annotations

import sys
from pathlib import Path

# pytest runs in importlib mode: make the helpers of this folder (and the CLI runner, and the reader tests' file
# makers) importable by its tests
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "io"))
