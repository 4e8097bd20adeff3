"""The single CLI error boundary: every failure -> one stderr line + its exit code.

Typer/click run in non-standalone mode so their usage errors (unknown option,
bad value, missing argument) come here instead of being drawn as a box: each
becomes ``error: <what>; <fix>`` on one line with exit 2. ScriskErrors print
their one line with their own exit code. A closed stdout, a full disk, deep
recursion in a config file and other OS-level failures get one line naming the
cause, not "unexpected ... report it". ``--debug`` anywhere on the command line
(or ``SCRISK_DEBUG=1``) re-raises for a full traceback instead.
"""

from __future__ import annotations

import errno
import os
import sys
import weakref

import typer
from rich.console import Console

from scrisk.errors import EXIT_INPUT, EXIT_USAGE, ScriskError
from scrisk.safetext import one_line

__all__ = ["err_console", "out_console", "main_with_boundary", "debug_enabled", "error_line"]

err_console = Console(stderr=True, highlight=False, soft_wrap=True)
out_console = Console(highlight=False, soft_wrap=True)


def debug_enabled(argv: list[str] | None = None) -> bool:
    """Return True when ``--debug`` is on the command line or SCRISK_DEBUG is set."""
    argv = sys.argv[1:] if argv is None else argv
    return "--debug" in argv or os.environ.get("SCRISK_DEBUG", "") not in ("", "0")


def error_line(message: str) -> None:
    """Write ``error: message`` to stderr as exactly one line (control characters made visible)."""
    try:
        sys.stderr.write("error: " + one_line(message) + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # stderr closed too: nothing left to tell
        pass


def _usage_line(exc) -> str:
    """One line for a click usage error: the message and where the help is."""
    msg = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    msg = msg.replace("Value error, ", "").strip().rstrip(".")
    ctx = getattr(exc, "ctx", None)
    path = ctx.command_path if ctx is not None else "scrisk"
    return f"{msg}; see '{path} --help'"


def _os_error_line(exc: OSError) -> tuple[str, int]:
    """A one-line cause and exit code for an OSError that reached the boundary."""
    name = f" {exc.filename}" if getattr(exc, "filename", None) else ""
    if exc.errno == errno.ENOSPC:
        return f"no space left on the device writing{name}; free space or write elsewhere with -o", EXIT_INPUT
    if exc.errno == errno.ENAMETOOLONG:
        return f"file name too long:{name[:80]}...; use a shorter path", EXIT_USAGE
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"permission denied:{name}; check the file's permissions", EXIT_INPUT
    return f"{exc.strerror or exc}:{name}".rstrip(":") + "; check the path and the device", EXIT_INPUT


def _stdout_closed() -> None:
    """stdout went away (``| head``, closed descriptor): stop quietly, as Unix tools do."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


_commands: "weakref.WeakKeyDictionary[typer.Typer, tuple[tuple[int, int, int], object]]" = weakref.WeakKeyDictionary()


def _click_command(app: typer.Typer):
    """The click command of ``app``, built once (Typer rebuilds it from the signatures on every call).

    Rebuilt when a command, group or callback is registered after it was built.
    """
    shape = (len(app.registered_commands), len(app.registered_groups), id(app.registered_callback))
    got = _commands.get(app)
    if got is None or got[0] != shape:
        got = (shape, typer.main.get_command(app))
        _commands[app] = got
    return got[1]


def main_with_boundary(app: typer.Typer, argv: list[str] | None = None) -> None:
    """Run ``app``; turn every error into one stderr line and an exit code, then exit."""
    from typer import exceptions as typer_exc
    from typer._click import exceptions as click_exc

    debug = debug_enabled(argv)
    args = [a for a in (sys.argv[1:] if argv is None else argv) if a != "--debug"]
    code = 0
    try:
        command = _click_command(app)
        rv = command.main(args=args, prog_name="scrisk", standalone_mode=False)
        code = rv if isinstance(rv, int) else 0
    except ScriskError as exc:
        if debug:
            raise
        error_line(exc.one_line())
        code = exc.exit_code
    except typer_exc.Exit as exc:
        code = exc.exit_code
    except click_exc.NoArgsIsHelpError as exc:
        exc.show()
        code = EXIT_USAGE
    except click_exc.UsageError as exc:
        if debug:
            raise
        error_line(_usage_line(exc))
        code = EXIT_USAGE
    except click_exc.ClickException as exc:
        if debug:
            raise
        error_line(exc.format_message())
        code = exc.exit_code if exc.exit_code != 1 else EXIT_USAGE
    except typer_exc.Abort:
        error_line("interrupted")
        code = 130
    except SystemExit:
        raise
    except KeyboardInterrupt:
        error_line("interrupted")
        code = 130
    except BrokenPipeError:
        _stdout_closed()
        code = 0
    except RecursionError:
        if debug:
            raise
        error_line("input nested too deeply to read (a config table or list inside itself thousands of levels); "
                   "flatten the file")
        code = EXIT_INPUT
    except OSError as exc:
        if debug:
            raise
        if exc.errno == errno.EPIPE:
            _stdout_closed()
            code = 0
        else:
            msg, code = _os_error_line(exc)
            error_line(msg)
    except Exception as exc:  # noqa: BLE001 - the boundary must never show a traceback
        if debug:
            raise
        if _out_of_memory(exc):
            error_line(f"the engine ran out of memory within its limit ({_first_line(exc)}); raise --memory-limit "
                       "(or $SCRISK_MEMORY_LIMIT) or narrow the run (--hs, --material, --importer, --year)")
        else:
            error_line(f"unexpected {type(exc).__name__}: {exc}. Re-run with --debug for a traceback and report it.")
        code = EXIT_INPUT
    try:
        sys.stdout.flush()
    except (BrokenPipeError, OSError, ValueError):
        _stdout_closed()
    sys.exit(code)


def _out_of_memory(exc: BaseException) -> bool:
    """DuckDB's out-of-memory error (told by its class, so the boundary imports no engine)."""
    return type(exc).__name__ == "OutOfMemoryException" and type(exc).__module__.split(".")[0] in ("duckdb", "_duckdb") \
        or isinstance(exc, MemoryError)


def _first_line(exc: BaseException) -> str:
    """The cause of an engine error in one line: its first line, without DuckDB's "Out of Memory Error: " prefix."""
    lines = str(exc).strip().splitlines()
    return (lines[0] if lines else type(exc).__name__).removeprefix("Out of Memory Error: ")
