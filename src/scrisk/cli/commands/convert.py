"""The ``scrisk convert`` command: trade files to the year-partitioned Parquet dataset both engines read."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from scrisk.cli.options import FilesArg, Format, FormatOpt, OutputOpt, YearOpt, reader_options, with_reader_flags

__all__ = ["convert"]

ToOpt = Annotated[
    Path,
    typer.Option("--to", help="Dataset folder to write (DIR/year=YYYY/part-0.parquet and DIR/_scrisk.json); an "
                 "earlier scrisk dataset there is replaced, any other non-empty folder refused.", show_default=False),
]


@with_reader_flags
def convert(
    files: FilesArg = None,
    to: ToOpt = ...,
    year: YearOpt = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    reader: dict | None = None,
) -> None:
    """Convert trade files to a Parquet dataset partitioned by year, for scrisk (DuckDB or Spark) and Spark jobs.

    Every input row is accepted or rejected with a reason, as in scrisk
    validate (the counts are in the output's meta.read and on stderr). The
    files keep the canonical columns (year, exporter, importer, hs,
    value_usd, qty_kg); DIR/_scrisk.json records the inputs, years, HS
    revision and release.

    Examples: scrisk convert BACI_HS17_Y2022_V202601.csv BACI_HS17_Y2024_V202601.csv --to baci/;
    scrisk analyze baci/ --engine spark --spark-master local[4].

    Exit codes: 0 written; 2 bad options or a --to folder that holds other files; 3 unreadable input.
    """
    from scrisk.cli.output import emit, note, note_rejections
    from scrisk.engine.convert import convert_files
    from scrisk.report.render import Column, render

    result = convert_files(files or [], to, reader_options(**reader, years=year))
    note(f"wrote {result.meta['rows_written']:,} rows to {to} ({len(result.rows)} year partition(s))")
    note_rejections(result.meta)
    cols = [Column("year", "Year", "text"), Column("rows", "Rows", "int"), Column("value_usd", "Value (USD)", "usd"),
            Column("file", "File", "text")]
    emit(result, fmt, output, render=lambda d, f: render(d, f, columns=cols, title="Converted dataset"))
