"""Dependency direction: library modules never import the renderers (scrisk.report), typer, rich or click.

Only scrisk/cli/ and scrisk/report/ (and ``python -m scrisk``) may. The check
reads every library module's source: imports at module level, inside
functions and methods, under ``if`` and ``try``, and ``importlib.import_module``
/ ``__import__`` calls with a literal module name all count.
"""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import scrisk

LIBRARY_EXEMPT_PREFIXES = ("scrisk.cli", "scrisk.report", "scrisk.__main__")
FORBIDDEN = ("scrisk.report", "rich", "typer", "click")
SRC = Path(scrisk.__file__).resolve().parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_exempt(module: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in LIBRARY_EXEMPT_PREFIXES)


def _library_files() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if not _is_exempt(_module_name(p)))


def _resolve(module: str | None, level: int, importer: str, is_package: bool) -> str:
    if not level:
        return module or ""
    base = importer.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (level - 1)] if level > 1 else base
    return ".".join([*base, module] if module else base)


def _call_target(node: ast.Call) -> str | None:
    """The literal module name of ``importlib.import_module("x")``, ``import_module("x")`` or ``__import__("x")``."""
    f = node.func
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
    if name not in ("import_module", "__import__") or not node.args:
        return None
    arg = node.args[0]
    return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None


def imported_modules(source: str, module: str, *, is_package: bool = False) -> list[tuple[int, str]]:
    """Every (line, module) a source imports, anywhere in it (module level, functions, string calls)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node.module, node.level, module, is_package)
            found.append((node.lineno, base))
            if not _forbidden(base):  # `from scrisk import report` imports the submodule scrisk.report
                found += [(node.lineno, f"{base}.{a.name}") for a in node.names if a.name != "*"]
        elif isinstance(node, ast.Call):
            target = _call_target(node)
            if target:
                found.append((node.lineno, target))
    return sorted(found, key=lambda item: item[0])


def _forbidden(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FORBIDDEN)


def violations() -> list[str]:
    bad = []
    for path in _library_files():
        mod = _module_name(path)
        for line, name in imported_modules(path.read_text(encoding="utf-8"), mod, is_package=path.name == "__init__.py"):
            if _forbidden(name):
                bad.append(f"{path.relative_to(SRC.parent.parent)}:{line}: imports {name}")
    return sorted(set(bad))


def test_the_scan_sees_function_level_and_string_imports():
    src = (
        "import os\n"
        "def f():\n"
        "    from scrisk.report.render import jsonable\n"
        "    return jsonable\n"
        "class C:\n"
        "    def m(self):\n"
        "        import importlib\n"
        "        return importlib.import_module('rich.console')\n"
        "try:\n"
        "    from typer import Exit\n"
        "except ImportError:\n"
        "    pass\n"
        "from scrisk import report\n"
        "from ..report import analyze\n"
        "x = __import__('click')\n"
    )
    names = [n for _, n in imported_modules(src, "scrisk.policy.check") if _forbidden(n)]
    assert names == ["scrisk.report.render", "rich.console", "typer", "scrisk.report", "scrisk.report", "click"]
    assert not [n for _, n in imported_modules("import richness\nfrom scrisk import reports\n", "scrisk.x")
                if _forbidden(n)]


def test_library_files_cover_the_library_and_leave_out_the_cli():
    names = {_module_name(p) for p in _library_files()}
    assert {"scrisk.schema", "scrisk.serialize", "scrisk.metrics.concentration", "scrisk.xlsx"} <= names
    assert not [n for n in names if n.startswith(("scrisk.cli", "scrisk.report"))]


def test_library_modules_do_not_import_renderers_or_cli_frameworks():
    bad = violations()
    assert not bad, "library modules import the report layer or a CLI framework:\n" + "\n".join(bad)


def _library_modules() -> list[str]:
    mods = []
    for m in pkgutil.walk_packages(scrisk.__path__, "scrisk."):
        if not _is_exempt(m.name):
            mods.append(m.name)
    return sorted(mods)


def test_importing_the_library_loads_no_cli_framework():
    mods = _library_modules()
    assert "scrisk.schema" in mods and "scrisk.metrics.concentration" in mods
    code = (
        "import importlib, sys\n"
        f"for m in {mods!r}: importlib.import_module(m)\n"
        "bad = [k for k in ('typer', 'rich', 'click', 'scrisk.report') if k in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"library modules pulled in {out.stdout.strip()}"


def test_python_m_scrisk_help_runs():
    out = subprocess.run([sys.executable, "-m", "scrisk", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    for cmd in ("validate", "analyze", "materials", "graph", "shock", "check", "diff"):
        assert cmd in out.stdout
