"""Fixtures for CLI tests."""

from __future__ import annotations

import sys
from pathlib import Path

# pytest runs in importlib mode: make the shared helpers of this folder importable by its tests
sys.path.insert(0, str(Path(__file__).resolve().parent))
