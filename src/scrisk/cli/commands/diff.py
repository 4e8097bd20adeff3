"""The ``scrisk diff`` command: what changed between two vintages of trade data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from scrisk.cli.options import (
    with_reader_flags,
    with_spark_flags,
    BasketsOpt,
    HsOpt,
    ImporterOpt,
    MaterialOpt,
    Format,
    FormatOpt,
    OutputOpt,
    ShowOpt,
    YearOpt,
    reader_options,
)

__all__ = ["diff"]

OldArg = Annotated[Optional[Path], typer.Argument(help="The earlier vintage (one file; --old for several).",
                                                  show_default=False)]
NewArg = Annotated[Optional[Path], typer.Argument(help="The later vintage (one file; --new for several).",
                                                  show_default=False)]
OldOpt = Annotated[Optional[list[Path]], typer.Option("--old", help="Earlier-vintage file(s), instead of OLD. "
                                                      "Repeatable.")]
NewOpt = Annotated[Optional[list[Path]], typer.Option("--new", help="Later-vintage file(s), instead of NEW. "
                                                      "Repeatable.")]
OldYearOpt = Annotated[Optional[int], typer.Option("--old-year", help="Year compared in OLD (default: its latest); "
                                                   "also the year of tidy files without a year column.")]
NewYearOpt = Annotated[Optional[int], typer.Option("--new-year", help="Year compared in NEW (default: its latest).")]
HhiThresholdOpt = Annotated[float, typer.Option("--hhi-threshold", help="Report import-HHI moves larger than this "
                                                "(0-1 scale).")]
SingleSourceOpt = Annotated[float, typer.Option("--single-source", help="Top-supplier share from which a pair is "
                                                "single-source (0-1).")]
MinImportOpt = Annotated[float, typer.Option("--min-import-usd", help="Minimum imports (USD) for a pair to count "
                                             "as single-source.")]
MinPairOpt = Annotated[float, typer.Option("--min-pair-usd", help="Leave out HHI moves, supplier and pair changes "
                                           "of pairs whose imports stay below this (USD) in both vintages.")]
ChangeOpt = Annotated[
    Optional[list[str]],
    typer.Option("--change", help="Show only these change kinds: new_single_source, resolved_single_source, "
                 "single_source_switch, hhi_increase, hhi_decrease, supplier_gained, supplier_lost, appeared, "
                 "vanished. Repeatable or comma-separated."),
]
CompareOpt = Annotated[Optional[str], typer.Option("--compare", help="With --period: compare it with the month before "
                                                  "(mom) or the year before (yoy), both from the same FILE(s).")]
FailOnNewOpt = Annotated[bool, typer.Option("--fail-on-new-single-source", help="Exit 1 when NEW has a "
                                            "single-source dependency OLD did not have.")]


@with_spark_flags
@with_reader_flags
def diff(
    old: OldArg = None,
    new: NewArg = None,
    old_files: OldOpt = None,
    new_files: NewOpt = None,
    importer: ImporterOpt = None,
    material: MaterialOpt = None,
    hs: HsOpt = None,
    hhi_threshold: HhiThresholdOpt = 0.05,
    single_source: SingleSourceOpt = 0.9,
    min_import_usd: MinImportOpt = 10_000_000.0,
    min_pair_usd: MinPairOpt = 0.0,
    change: ChangeOpt = None,
    fail_on_new_single_source: FailOnNewOpt = False,
    compare: CompareOpt = None,
    old_year: OldYearOpt = None,
    new_year: NewYearOpt = None,
    year: YearOpt = None,
    baskets: BasketsOpt = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    show: ShowOpt = None,
    reader: dict | None = None,
) -> None:
    """Show what changed between two vintages: single-source dependencies, HHI moves, suppliers, products.

    Per (importer, HS code), in each vintage's latest year (or --old-year /
    --new-year): new and resolved single-source dependencies (top supplier
    >= --single-source of imports >= --min-import-usd), import-HHI moves
    beyond --hhi-threshold, suppliers gained and lost, and pairs that
    appear or vanish. --year Y applies to both sides; --year 2022 --year
    2024 means --old-year 2022 --new-year 2024.

    Examples: scrisk diff baci_2022.csv baci_2024.csv --importer KOR;
    scrisk diff --old "2025-01/*.csv" --new "2025-02/*.csv" --material sobejang --format md;
    scrisk diff old.csv new.csv --change new_single_source --fail-on-new-single-source;
    scrisk diff customs.csv --period 2024-06 --compare mom (or yoy; with --rolling 12, windows).

    Exit codes: 0 (diff reports, it does not judge; 1 with
    --fail-on-new-single-source when there is one); 2 bad options; 3
    unreadable input.
    """
    from scrisk.cli.output import emit, note
    from scrisk.errors import UsageError
    from scrisk.policy.diff import diff_files
    from scrisk.report.check import render_diff

    positional = [p for p in (old, new) if p is not None]
    old_paths, new_paths = list(old_files or []), list(new_files or [])
    if old_paths and new_paths and positional:
        raise UsageError("give the vintages either as OLD NEW or with --old/--new, not both")
    if not old_paths and not new_paths:
        old_paths, new_paths = positional[:1], positional[1:]
    elif not new_paths:
        new_paths = positional
    elif not old_paths:
        old_paths = positional
    if compare is not None and old_paths and not new_paths:
        new_paths = old_paths
    if not old_paths or not new_paths or len(positional) > 2:
        raise UsageError("give both vintages: scrisk diff OLD NEW, or --old FILE... --new FILE...")
    if year and len(year) > 2:
        raise UsageError("--year takes one year (both sides) or two (OLD then NEW); use --old-year/--new-year")
    if year:
        old_year = old_year if old_year is not None else year[0]
        new_year = new_year if new_year is not None else year[-1]
    options = reader_options(**reader)
    result = diff_files(
        old_paths, new_paths, options=options, old_year=old_year, new_year=new_year, importers=importer,
        material=material, hs=hs, baskets=baskets or None, hhi_threshold=hhi_threshold, single_source=single_source,
        min_import_usd=min_import_usd, min_pair_usd=min_pair_usd, changes=change, compare=compare,
    )
    emit(result, fmt, output, render=render_diff, kind="diff", show=show)
    for msg in result.meta.get("notes", []):
        note(msg)
    new_ss = result.summary["new_single_source"]
    if fail_on_new_single_source and new_ss:
        note(f"{new_ss} new single-source dependenc{'y' if new_ss == 1 else 'ies'}: failing "
             "(--fail-on-new-single-source)")
        raise typer.Exit(1)
