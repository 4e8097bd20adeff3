"""The ``scrisk validate`` command: read trade files and report every row accepted or rejected."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from scrisk.cli.options import (
    with_reader_flags,
    FilesArg,
    Format,
    FormatOpt,
    OutputOpt,
    YearOpt,
    reader_options,
)

QuarantineOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--quarantine",
        help="Write every rejected row to this CSV: file, line (header = 1), reason, kind, detail, raw fields.",
    ),
]


@with_reader_flags
def validate(
    files: FilesArg = None,
    quarantine: QuarantineOpt = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    year: YearOpt = None,
    mirror: Annotated[bool, typer.Option("--mirror", help="Also report mirror gaps: flows both partners reported "
                                         "(importer M vs exporter X), per pair and per product.")] = False,
    reader: dict | None = None,
) -> None:
    """Check trade files: rows read, accepted and rejected (by reason), value, years, HS revision.

    Every input row is either accepted into the flow table or rejected with
    one reason; accepted + rejected = read, always. Rows outside --year are
    never read and not counted.

    Defects (the row is broken): wrong number of fields, missing field, bad
    year, malformed HS code, non-numeric value, negative value, non-numeric
    or negative quantity, unknown country code, self-trade, unknown flow
    code, non-annual period, duplicate key.

    Structural drops (well-formed rows that are not bilateral flows):
    reporter-to-World total (kept as world totals), aggregate partner
    (EU, regions), aggregate HS code,
    duplicate breakdown row (Comtrade), re-export or re-import, other flow
    code, other reported side, superseded by partner report.

    Exit codes: 0 clean, or only structural drops; 1 at least one defect
    (see --quarantine for the rows); 2 bad options; 3 a file cannot be read
    at all (missing, empty, not a trade file, undecodable).
    """
    from scrisk.cli.output import emit, note
    from scrisk.io.validate import validate_files
    from scrisk.report.validate import outcome_rows, render_mirror, render_validation

    options = reader_options(**reader, years=year)
    result = validate_files(files or [], options, quarantine=quarantine, mirror=mirror)
    if mirror:
        data = result.to_dict()
        emit(data, fmt, output, render=render_mirror, rows=lambda d: d["mirror"]["by_pair"], show=0,
             columns=("year", "month", "exporter", "importer", "flows", "importer_value_usd", "exporter_value_usd",
                      "gap_usd", "ratio"))
    else:
        emit(result.to_dict(), fmt, output, render=render_validation, rows=outcome_rows, show=0,
             columns=("reason", "kind", "rows", "value_usd", "value_share"))
    if quarantine is not None:
        note(f"wrote {result.table.report.rows_rejected:,} rejected rows to {quarantine}")
    raise typer.Exit(result.exit_code)
