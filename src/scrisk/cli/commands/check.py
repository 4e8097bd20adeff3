"""The ``scrisk check`` command: judge trade data against a policy of watched products (a CI gate)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from scrisk.cli.options import (
    with_reader_flags,
    with_spark_flags,
    BasketsOpt,
    FilesArg,
    OutputOpt,
    YearOpt,
    reader_options,
)

__all__ = ["check", "CheckFormat"]


class CheckFormat(str, Enum):
    """Output formats of ``scrisk check``."""

    text = "text"
    json = "json"
    junit = "junit"
    github = "github"
    md = "md"
    xlsx = "xlsx"


PolicyOpt = Annotated[
    Optional[Path],
    typer.Option("--policy", "-p", help=escape("Policy TOML file ([[rule]] tables), or a pyproject.toml with "
                 "[[tool.scrisk.rule]] tables. Default: ./pyproject.toml when it has a [tool.scrisk] table.")),
]
BaselineOpt = Annotated[
    Optional[list[Path]],
    typer.Option("--baseline", help="Earlier vintage to compare with (max_hhi_increase, max_top_share_increase "
                 "rules). Repeat for several files."),
]
BaselineYearOpt = Annotated[
    Optional[int],
    typer.Option("--baseline-year", help="Year of the baseline to compare with (default: its latest); also the "
                 "year of tidy baseline files without a year column."),
]
BaselinePeriodOpt = Annotated[
    Optional[str],
    typer.Option("--baseline-period", help="Period of the baseline (2024-05; with --rolling, the window ending "
                 "then). Default: --period. The baseline may be the checked file itself."),
]
CheckFormatOpt = Annotated[
    CheckFormat,
    typer.Option("--format", "-f", help="text (humans, logs), json (stable contract), junit (CI test reports), "
                 "github (Actions annotations), md (job summary) or xlsx (with -o). Default: from the -o extension "
                 "(.json .xml .md .xlsx), else text."),
]
MaxRejectedOpt = Annotated[
    Optional[str],
    typer.Option("--max-rejected", help="Defect rows tolerated before the run counts as incomplete: a count (10), "
                 "a share of rows read (0.001) or a percentage (0.1%). Default: the policy's max_rejected, else 0. "
                 "Structural drops (Comtrade World rows...) never count."),
]
JunitOpt = Annotated[
    Optional[Path], typer.Option("--junit", help="Also write the JUnit XML report to this file.")
]
SummaryOpt = Annotated[
    Optional[Path],
    typer.Option("--summary", help="Also append the Markdown summary to this file, e.g. \"$GITHUB_STEP_SUMMARY\"."),
]


def _append(path: Path, text: str) -> None:
    from scrisk.cli.output import note
    from scrisk.errors import UnreadableFileError

    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(text if text.endswith("\n") else text + "\n")
    except OSError as exc:
        raise UnreadableFileError(f"cannot write: {exc.strerror}; check the folder exists and is writable",
                                  path=str(path)) from None
    note(f"appended the summary to {path}")


@with_spark_flags
@with_reader_flags
def check(
    files: FilesArg = None,
    policy: PolicyOpt = None,
    baseline: BaselineOpt = None,
    baseline_year: BaselineYearOpt = None,
    baseline_period: BaselinePeriodOpt = None,
    fmt: CheckFormatOpt = CheckFormat.text,
    output: OutputOpt = None,
    junit: JunitOpt = None,
    summary: SummaryOpt = None,
    max_rejected: MaxRejectedOpt = None,
    year: YearOpt = None,
    baskets: BasketsOpt = None,
    reader: dict | None = None,
) -> None:
    """Check trade data against a policy: fail when a watched product breaches a threshold.

    Each rule table of the policy watches importers (ISO3, groups, "*") and
    products (material baskets or HS codes) and sets thresholds: max_hhi,
    max_top_share, min_suppliers, max_world_export_hhi, and against
    --baseline, max_hhi_increase and max_top_share_increase. The latest year
    of the data is checked (or --year). Without FILE, the bundled example.

    Examples: scrisk check customs_2025.csv --policy examples/ci/korea_watchlist.toml;
    scrisk check new.csv --policy p.toml --baseline old.csv --format junit --output report.xml;
    scrisk check new.csv --format github --junit report.xml --summary "$GITHUB_STEP_SUMMARY";
    scrisk check monthly.csv --period 2025-06 --rolling 12 --baseline monthly.csv --baseline-period 2025-05.

    Exit codes: 0 every error-severity rule holds and the run is complete;
    1 a breach, or an incomplete run (defect rows beyond --max-rejected, or a
    watched product absent from the data); 2 bad options; 3 unreadable
    input or invalid policy (the message names the key and its line).
    """
    from scrisk.cli.output import emit, note
    from scrisk.errors import UsageError
    from scrisk.policy.check import check_files
    from scrisk.policy.spec import default_policy_path, parse_max_rejected
    from scrisk.report.check import check_text, render_check

    if year and len(year) > 1:
        raise UsageError("check judges one year; give a single --year (or none for the latest year in the data)")
    allowed = parse_max_rejected(max_rejected) if max_rejected is not None else None
    from scrisk.serialize import refuse_input_overwrite

    given = [*(files or []), *([policy] if policy else []), *([baseline] if baseline else []), *(baskets or [])]
    for dest in (output, junit):
        if dest is not None:  # never over the data, the policy or the baseline, before anything is read
            refuse_input_overwrite(dest, {"inputs": [str(f) for f in given]})
    options = reader_options(**reader, years=year)
    base_reader = {**reader, "period": baseline_period} if baseline_period else reader
    baseline_options = reader_options(**base_reader, years=[baseline_year] if baseline_year else None)
    result = check_files(
        files or None, policy=default_policy_path(policy), options=options, baseline=baseline,
        baseline_options=baseline_options, year=year[0] if year else None, baseline_year=baseline_year,
        max_rejected=allowed, baskets=baskets or None,
    )
    data = result.to_dict()
    emit(data, fmt, output, render=render_check, kind="check", show=0)
    if junit is not None:
        emit(render_check(data, "junit"), junit)
    if summary is not None:
        _append(summary, render_check(data, "md"))
    if fmt != CheckFormat.text or output is not None:
        note(check_text(data).splitlines()[0])
    raise typer.Exit(result.exit_code)
