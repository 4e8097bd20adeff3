"""Locate data files shipped with scrisk (baskets, country tables, the example).

In a wheel, ``data/hs_codes/`` and ``examples/`` of the repository are copied
into ``scrisk/data/`` (see ``[tool.hatch.build.targets.wheel.force-include]``
in pyproject.toml). In an editable install they are read from the repository.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["package_data", "hs_codes_dir", "example_flows_path"]

_REPO_ROOT = Path(__file__).resolve().parents[2]


def package_data(*parts: str) -> Path:
    """Return the path of a file under ``scrisk/data`` (always shipped in the package)."""
    return Path(str(resources.files("scrisk").joinpath("data", *parts)))


def _shipped_or_repo(wheel_parts: tuple[str, ...], repo_parts: tuple[str, ...]) -> Path:
    p = package_data(*wheel_parts)
    if p.exists():
        return p
    return _REPO_ROOT.joinpath(*repo_parts)


def hs_codes_dir() -> Path:
    """Return the directory holding the material basket TOML files."""
    return _shipped_or_repo(("hs_codes",), ("data", "hs_codes"))


def example_flows_path() -> Path:
    """Return the path of the bundled example flow file used when no FILE is given."""
    return _shipped_or_repo(("examples", "example_flows.csv"), ("examples", "example_flows.csv"))
