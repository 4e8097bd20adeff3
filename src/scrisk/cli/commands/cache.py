"""The ``scrisk cache`` commands: show or clear the parsed-input cache (``scrisk cache info``, ``scrisk cache clear``)."""

from __future__ import annotations

import typer

from scrisk.cli.options import Format, FormatOpt, OutputOpt

__all__ = ["app", "info", "clear"]

app = typer.Typer(
    name="cache",
    help="The parsed-input cache: trade files already read, kept as Parquet so the next run starts from them. "
    "Location: $SCRISK_CACHE_DIR, else $XDG_CACHE_HOME/scrisk, else ~/.cache/scrisk.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)


@app.command("info")
def info(fmt: FormatOpt = Format.table, output: OutputOpt = None) -> None:
    """Show where the cache is, its entries (input file, rows, size, created, last used) and its total size.

    The location is $SCRISK_CACHE_DIR, else $XDG_CACHE_HOME/scrisk, else
    ~/.cache/scrisk; the size limit is $SCRISK_CACHE_MAX_BYTES (e.g. 50GiB,
    default 20 GiB), beyond which the least recently used entries are
    dropped. Nothing is created by looking.

    Exit codes: 0 ok; 2 bad option (or a bad SCRISK_CACHE_MAX_BYTES).
    """
    from scrisk.cli.output import emit
    from scrisk.engine.cache import InputCache
    from scrisk.report.cache import render_cache_info

    emit(InputCache().report(), fmt, output, render=render_cache_info, show=0)


@app.command("clear")
def clear() -> None:
    """Remove every cache entry (the next run reads its files again) and say how many on stderr.

    Exit codes: 0 ok, including an empty or absent cache; 3 entries exist but
    cannot be removed (permissions).
    """
    from scrisk.cli.output import note
    from scrisk.engine.cache import InputCache

    cache = InputCache()
    removed = cache.clear()
    note(f"removed {removed:,} cache entr{'y' if removed == 1 else 'ies'} from {cache.root}")
