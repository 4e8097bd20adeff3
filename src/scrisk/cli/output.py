"""Write rendered output: data to stdout (or --output FILE), messages to stderr."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from scrisk.cli.boundary import err_console, out_console
from scrisk.errors import UnreadableFileError

__all__ = ["emit", "note", "note_rejections", "progress_steps"]


def emit(rendered: Any, output: Path | None = None) -> None:
    """Send a rendered result (str or rich renderable) to stdout or to ``output``."""
    if output is not None:
        try:
            if isinstance(rendered, str):
                Path(output).write_text(rendered, encoding="utf-8")
            else:
                from rich.console import Console

                with open(output, "w", encoding="utf-8") as fh:
                    Console(file=fh, width=160, no_color=True).print(rendered)
        except OSError as exc:
            raise UnreadableFileError(f"cannot write output: {exc.strerror}; check the folder exists and is writable", path=str(output)) from None
        err_console.print(f"wrote {output}")
        return
    if isinstance(rendered, str):
        # plain write: no rich markup interpretation, no wrapping of data
        import sys

        sys.stdout.write(rendered if rendered.endswith("\n") else rendered + "\n")
        sys.stdout.flush()
    else:
        out_console.print(rendered)


def note(message: str) -> None:
    """Print a message for humans on stderr."""
    err_console.print(message, markup=False)


def note_rejections(meta: dict) -> None:
    """Say on stderr how many input rows were rejected and why, so nothing is lost silently."""
    from scrisk.io.reasons import is_defect

    read = meta.get("read") or {}
    if not read.get("rows_rejected"):
        return
    reasons = read.get("reasons", {})
    defects = {k: v for k, v in reasons.items() if is_defect(k)}
    structural = {k: v for k, v in reasons.items() if not is_defect(k)}
    total = f"{read.get('rows_read', 0):,}"
    if defects:
        msg = (f"note: {sum(defects.values()):,} of {total} input rows rejected as defects ("
               + ", ".join(f"{k} {v:,}" for k, v in defects.items())
               + f"; {read.get('value_share_rejected_defect', 0.0):.1%} of value)")
        unknown = read.get("unknown_codes") or []
        if unknown:
            msg += "; unknown country codes: " + ", ".join(
                f"{u['code']} ({u['value_share']:.1%})" for u in unknown[:5])
        note(msg + ". Run `scrisk validate FILE --quarantine bad.csv` for every rejected row.")
    if structural:
        note(f"note: {sum(structural.values()):,} of {total} input rows dropped by design, not defects ("
             + ", ".join(f"{k} {v:,}" for k, v in structural.items()) + ")")


@contextmanager
def progress_steps(label: str) -> Iterator[Callable[[str], None]]:
    """Show a transient spinner with the current step on stderr; yield the step callback."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from scrisk.cli.boundary import err_console

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err_console,
                  transient=True, disable=not err_console.is_terminal) as bar:
        task = bar.add_task(label, total=None)

        def step(name: str) -> None:
            bar.update(task, description=f"{label}: {name}")

        yield step
