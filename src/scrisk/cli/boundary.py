"""The single CLI error boundary: ScriskError -> one stderr line + exit code.

``--debug`` anywhere on the command line (or ``SCRISK_DEBUG=1``) re-raises
for a full traceback instead.
"""

from __future__ import annotations

import os
import sys

import typer
from rich.console import Console
from rich.markup import escape

from scrisk.errors import EXIT_INPUT, ScriskError

__all__ = ["err_console", "out_console", "main_with_boundary", "debug_enabled"]

err_console = Console(stderr=True, highlight=False, soft_wrap=True)
out_console = Console(highlight=False, soft_wrap=True)


def debug_enabled(argv: list[str] | None = None) -> bool:
    """Return True when ``--debug`` is on the command line or SCRISK_DEBUG is set."""
    argv = sys.argv[1:] if argv is None else argv
    return "--debug" in argv or os.environ.get("SCRISK_DEBUG", "") not in ("", "0")


def main_with_boundary(app: typer.Typer) -> None:
    """Run ``app``; turn scrisk errors and unexpected exceptions into exit codes."""
    debug = debug_enabled()
    argv = [a for a in sys.argv[1:] if a != "--debug"]
    try:
        app(args=argv, prog_name="scrisk")
    except ScriskError as exc:
        if debug:
            raise
        err_console.print(f"[bold red]error:[/] {escape(exc.one_line())}", markup=True, highlight=False)
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the boundary must never show a traceback
        if debug:
            raise
        err_console.print(
            f"[bold red]error:[/] unexpected {type(exc).__name__}: {escape(str(exc))}. "
            "Re-run with --debug for a traceback and report it.",
            markup=True,
        )
        sys.exit(EXIT_INPUT)
    sys.exit(0)
