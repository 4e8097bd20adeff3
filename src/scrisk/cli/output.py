"""Write command output: data to stdout (or -o/--output FILE), messages to stderr.

:func:`emit` is the one way a command writes its result. The format comes
from ``--format``, else from the extension of ``-o FILE`` (.csv .json
.jsonl .parquet .md .xlsx; .xml is junit for ``check``). csv, json, jsonl
and parquet of a result that holds its rows in Arrow (``to_arrow()``) are
streamed by :func:`scrisk.serialize.write_rows`, never as one Python object
per row; other results go through their renderer (``to_dict()``). The
terminal table shows the first ``--show N`` rows (default 25) and says on
stderr how many there are. Files are written atomically and never over an
input file.
"""

from __future__ import annotations

import inspect
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

from scrisk.cli.boundary import err_console, out_console
from scrisk.errors import UsageError

__all__ = ["emit", "emit_with_notes", "write_rendered", "resolve_format", "note", "note_rejections", "progress_steps", "SHOW_DEFAULT"]

SHOW_DEFAULT = 25
"""Rows the table format shows unless ``--show N`` says otherwise."""

_EXTRA_EXTENSIONS = {".xml": "junit", ".txt": "text"}


def write_rendered(rendered: Any, output: Path | None = None, meta: Mapping[str, Any] | None = None) -> None:
    """Send a rendered result (str or rich renderable) to stdout or, atomically, to ``output``."""
    from scrisk.serialize import write_text

    if output is not None:
        if isinstance(rendered, str):
            write_text(rendered, output, meta)
        else:
            import io

            from rich.console import Console

            buf = io.StringIO()
            Console(file=buf, width=160, no_color=True).print(rendered)
            write_text(buf.getvalue(), output, meta)
        err_console.print(f"wrote {output}", markup=False, highlight=False)
        return
    if isinstance(rendered, str):
        # plain write: no rich markup interpretation, no wrapping of data
        sys.stdout.write(rendered if rendered.endswith("\n") else rendered + "\n")
        sys.stdout.flush()
    else:
        out_console.print(rendered)


def _format_given(param: str, value: str) -> bool:
    """True when the user gave --format on the command line (not its default).

    Asks the running command's context where the value came from; without one
    (a library call), a value other than the default table/text counts as given.
    """
    ctx, default_source = None, None
    for mod_globals, mod_core in (("typer._click.globals", "typer._click.core"), ("click.globals", "click.core")):
        try:
            import importlib

            get_ctx = importlib.import_module(mod_globals).get_current_context
            default_source = importlib.import_module(mod_core).ParameterSource.DEFAULT
        except (ImportError, AttributeError):
            continue
        ctx = get_ctx(silent=True)
        if ctx is not None:
            break
    if ctx is None:
        return value not in ("table", "text")
    source = ctx.get_parameter_source(param)
    return source is not None and source != default_source


def resolve_format(fmt: Any, output: Path | None, *, param: str = "fmt") -> str:
    """Return the format to write: ``--format`` when given, else the one ``output``'s extension names.

    The extension only counts when it names a format the command offers
    (the values of ``fmt``'s Enum); otherwise the default stays.
    """
    from scrisk.serialize import EXTENSIONS

    value = getattr(fmt, "value", fmt)
    if output is None or _format_given(param, value):
        return value
    ext = Path(output).suffix.lower()
    implied = EXTENSIONS.get(ext) or _EXTRA_EXTENSIONS.get(ext)
    offered = {m.value for m in type(fmt)} if hasattr(type(fmt), "__members__") else None
    if implied and (offered is None or implied in offered):
        return implied
    if implied and offered is not None:
        raise UsageError(f"this command does not write {implied} ({output}); formats: {', '.join(sorted(offered))}")
    return value


def _total(result: Any) -> int | None:
    try:
        return len(result)
    except TypeError:
        pass
    if hasattr(result, "to_arrow"):
        return result.to_arrow().num_rows
    return None


def _extras(result: Any) -> dict[str, Any]:
    """The contract's top-level entries other than meta and rows, for results that stream their rows.

    ``result.contract_extras()`` when the result defines it; else its
    ``summary`` when it has one (the diff contract is meta, summary, rows);
    else none (the analyze contract is meta and rows).
    """
    fn = getattr(result, "contract_extras", None)
    if callable(fn):
        return dict(fn())
    if getattr(result, "summary", None) is not None:
        return {"summary": result.summary}
    return {}


def _as_dict(result: Any, limit: int | None) -> dict[str, Any]:
    if isinstance(result, Mapping):
        data = dict(result)
    else:
        to_dict = result.to_dict
        if limit is not None and "top" in inspect.signature(to_dict).parameters:
            return to_dict(top=limit)
        data = to_dict()
    if limit is not None and isinstance(data.get("rows"), list):
        data = {**data, "rows": data["rows"][:limit]}
    return data


def _rows_source(result: Any):
    """The result's rows for :func:`scrisk.serialize.write_rows`: spilled rows as they are, else its Arrow table."""
    return result.rows_source() if hasattr(result, "rows_source") else result.to_arrow()


def _head_arrow(result: Any, n: int | None):
    """The first ``n`` rows (all when None) as Arrow, reading no more of spilled rows than that."""
    src = _rows_source(result)
    if hasattr(src, "head"):
        return src.head(n)
    return src if n is None else src.slice(0, n)


def _head_dict(result: Any, n: int | None) -> dict[str, Any]:
    """The result with its first ``n`` rows only (all when None), built without converting the other rows."""
    if hasattr(result, "to_arrow") and not isinstance(result, Mapping):
        from scrisk.serialize import jsonable

        # a result that reads its first rows without Arrow (head_rows) spares the terminal table pyarrow's import
        rows = result.head_rows(n) if hasattr(result, "head_rows") else _head_arrow(result, n).to_pylist()
        return {"meta": jsonable(result.meta), **jsonable(_extras(result)), "rows": jsonable(rows)}
    return _as_dict(result, n)


def _binary_stdout():
    sys.stdout.flush()
    return getattr(sys.stdout, "buffer", None)


def emit(
    result: Any,
    fmt: Any = None,
    output: Path | None = None,
    *,
    render: Callable[..., Any] | None = None,
    kind: str | None = None,
    columns: Sequence[str] | Callable[[Mapping[str, Any]], Sequence[str] | None] | None = None,
    show: int | None = None,
    limit: int | None = None,
    rows: Callable[[Mapping[str, Any]], Sequence[Mapping[str, Any]]] | None = None,
    param: str = "fmt",
) -> None:
    """Write a command's result in ``fmt`` to stdout or ``output``.

    Parameters
    ----------
    result : result object or dict
        ``to_dict()`` (the JSON contract) and ``meta``; with ``to_arrow()``
        its rows stream to csv/json/jsonl/parquet. ``contract_extras()``
        (optional) returns the contract's entries besides meta and rows
        (``summary``, ``totals``...) for the streamed json.
    fmt : Enum or str
        The ``--format`` value; an ``-o`` extension overrides its default.
    output : Path, optional
        The ``-o/--output`` file (written atomically; never an input).
    render : callable
        ``render(result_dict, fmt)``: the command's renderer, for table, md,
        the formats of its own (junit, github, text) and the results
        without Arrow rows.
    kind : str, optional
        The :func:`scrisk.xlsx.write_xlsx` kind (analyze, shock, check,
        diff); None when the command has no Excel output.
    columns : list or callable(meta), optional
        csv columns of the streamed rows (default: every column).
    show : int, optional
        Rows the table format shows (default :data:`SHOW_DEFAULT`; 0 = all).
    limit : int, optional
        Rows kept in every format (a command's own ``--top``).
    rows : callable(result_dict), optional
        The row dicts parquet and jsonl carry for a result without Arrow
        rows (default: its ``rows``).

    Called as ``emit(rendered, output)`` (no ``render``), it writes an
    already rendered str or rich renderable, as :func:`write_rendered`.
    """
    if render is None:
        write_rendered(result, output if output is not None else fmt)
        return
    from scrisk.serialize import ROW_FORMATS, refuse_input_overwrite, write_rows, rows_to_table

    value = resolve_format(fmt, output, param=param)
    meta = result.get("meta", {}) if isinstance(result, Mapping) else getattr(result, "meta", {}) or {}
    if output is not None:
        refuse_input_overwrite(output, meta)
    if value == "xlsx":
        if kind is None:
            raise UsageError("xlsx output is available for analyze, shock, check and diff; use csv, json or parquet")
        if output is None:
            raise UsageError("xlsx is a file format: give -o FILE.xlsx")
        _write_xlsx(_as_dict(result, limit), output, kind)
        return
    if value == "table":
        total = _total(result)
        n = show if show is not None else SHOW_DEFAULT
        cut = None if n == 0 else n
        if limit is not None:
            cut = limit if cut is None else min(cut, limit)
            total = min(total, limit) if total is not None else None
        write_rendered(render(_head_dict(result, cut), value), output, meta)
        if cut is not None and total is not None and total > cut:
            note(f"showing {cut:,} of {total:,} rows; use -o FILE or --format csv for all")
        return
    streamable = value in ROW_FORMATS and hasattr(result, "to_arrow") and not isinstance(result, Mapping)
    if streamable or value in ("parquet", "jsonl"):
        if streamable:
            tab = _rows_source(result) if limit is None else _head_arrow(result, limit)
            from scrisk.serialize import jsonable

            extra = jsonable(_extras(result)) if value == "json" else None
            cols = columns(meta) if callable(columns) else columns
        else:
            data = _as_dict(result, limit)
            cols = columns(meta) if callable(columns) else columns
            tab = rows_to_table(rows(data) if rows is not None else data.get("rows", []), cols)
            extra, cols = None, None
            meta = data.get("meta", meta)
        if output is None:
            if value == "parquet" and sys.stdout.isatty():
                raise UsageError("parquet is binary: give -o FILE.parquet, or pipe stdout to a file")
            sink = _binary_stdout()
            if sink is None:  # pragma: no cover - stdout without a byte layer
                raise UsageError(f"stdout takes no binary data here; give -o FILE.{value}")
            write_rows(tab, meta, sink, value, columns=cols, extra=extra)
            return
        n = write_rows(tab, meta, output, value, columns=cols, extra=extra)
        err_console.print(f"wrote {n:,} row{'' if n == 1 else 's'} to {output}", markup=False, highlight=False)
        return
    write_rendered(render(_as_dict(result, limit), value), output, meta)


def emit_with_notes(result: Any, fmt: Any, output: Path | None, *, render: Callable[..., Any],
                    show: int | None = None, kind: str | None = None) -> None:
    """:func:`emit` the result, then say its rejected rows and its ``meta.notes`` on stderr."""
    emit(result, fmt, output, render=render, kind=kind, show=show)
    note_rejections(result.meta)
    for msg in result.meta.get("notes", []):
        note(msg)


def _write_xlsx(data: Mapping[str, Any], output: Path, kind: str) -> None:
    from scrisk.serialize import atomic_output
    from scrisk.xlsx import write_xlsx

    with atomic_output(output) as tmp:
        write_xlsx(data, tmp, kind=kind)
    err_console.print(f"wrote {output}", markup=False, highlight=False)


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
