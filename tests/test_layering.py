"""Dependency direction: library modules never import typer or rich (only cli/ and report/ may)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import scrisk

LIBRARY_EXEMPT_PREFIXES = ("scrisk.cli", "scrisk.report", "scrisk.__main__")


def _library_modules() -> list[str]:
    mods = []
    for m in pkgutil.walk_packages(scrisk.__path__, "scrisk."):
        if not m.name.startswith(LIBRARY_EXEMPT_PREFIXES):
            mods.append(m.name)
    return sorted(mods)


def test_library_modules_do_not_import_cli_frameworks():
    mods = _library_modules()
    assert "scrisk.schema" in mods and "scrisk.metrics.concentration" in mods
    code = (
        "import importlib, sys\n"
        f"for m in {mods!r}: importlib.import_module(m)\n"
        "bad = [k for k in ('typer', 'rich', 'click') if k in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"library modules pulled in {out.stdout.strip()}"


def test_python_m_scrisk_help_runs():
    out = subprocess.run([sys.executable, "-m", "scrisk", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    for cmd in ("validate", "analyze", "materials", "graph", "shock", "check", "diff"):
        assert cmd in out.stdout
