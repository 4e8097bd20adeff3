"""Options shared by several commands, declared once (Annotated + Enums)."""

from __future__ import annotations

import functools
import inspect
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import typer

__all__ = [
    "Format",
    "FilesArg",
    "FormatOpt",
    "OutputOpt",
    "ShowOpt",
    "DebugOpt",
    "SourceOpt",
    "CountryCodesOpt",
    "ColumnsOpt",
    "ValueUnitOpt",
    "YearOpt",
    "EncodingOpt",
    "ProfileOpt",
    "ReporterSideOpt",
    "HsRevisionOpt",
    "PeriodOpt",
    "RollingOpt",
    "ANALYSIS_FLAGS",
    "reader_options",
    "READER_FLAGS",
    "with_reader_flags",
    "with_spark_flags",
    "SPARK_FLAGS",
    "BasketsOpt",
    "ProfilesOpt",
    "ImporterOpt",
    "MaterialOpt",
    "HsOpt",
    "AsBlocOpt",
]


class Format(str, Enum):
    """Output formats: table is for humans; json (the stable contract), csv, jsonl, parquet, md and xlsx for machines."""

    table = "table"
    json = "json"
    csv = "csv"
    jsonl = "jsonl"
    parquet = "parquet"
    md = "md"
    xlsx = "xlsx"


FilesArg = Annotated[
    Optional[list[Path]],
    typer.Argument(help="Trade-flow files or globs (BACI CSV/zip, Comtrade CSV, tidy CSV, Parquet). "
                   "Omit to use the bundled example.", show_default=False),
]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format; json is the stable contract. "
                                            "Default: from the -o extension, else table.")]
OutputOpt = Annotated[
    Optional[Path],
    typer.Option("--output", "-o", help="Write the output to this file instead of stdout; the extension (.csv .json "
                 ".jsonl .parquet .md .xlsx) sets the format unless --format is given. Never overwrites an input."),
]
ShowOpt = Annotated[
    Optional[int],
    typer.Option("--show", min=0, help="Rows the table format shows (default 25; 0 = all). -o FILE or --format "
                 "csv/json/parquet carry every row."),
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show full tracebacks on errors.")]
SourceOpt = Annotated[
    Optional[str],
    typer.Option("--source", help="Force the input format: baci, baci-zip, comtrade, tidy, parquet (default: sniffed)."),
]
CountryCodesOpt = Annotated[
    Optional[Path],
    typer.Option("--country-codes", help="BACI release country_codes CSV (default: the one beside the data file, "
                 "else scrisk's bundled table)."),
]
ColumnsOpt = Annotated[
    Optional[str],
    typer.Option("--columns", help="Column mapping for tidy files, e.g. exporter=i,importer=j,hs=cmd,value=value[,year=t,qty=q]."),
]
ValueUnitOpt = Annotated[
    Optional[str], typer.Option("--value-unit", help="Unit of the value column in tidy files: usd or kusd.")
]
def _years_callback(values):
    from scrisk.io.periods import parse_year_args

    return parse_year_args(values) if values else values


YearOpt = Annotated[
    Optional[list[str]],
    typer.Option("--year", callback=_years_callback, help="Year(s) to keep; FILE=YEAR gives the year of a file without "
                 "a year column (repeat per file; a year in the file name is used otherwise)."),
]
EncodingOpt = Annotated[
    Optional[str], typer.Option("--encoding", help="Text encoding: utf-8, utf-8-sig, cp949, shift_jis (default: detected).")
]
DecimalOpt = Annotated[
    Optional[str], typer.Option("--decimal", help="Decimal mark of values and quantities in tidy and customs files: "
                                "'.' (commas group thousands: 1,234 is 1234) or ',' (1.234,5 and 1 234,5 read as 1234.5). "
                                "Without it 1,234.5 and 12,345,678 are read and 1,234 is rejected as ambiguous; BACI "
                                "is always '.'.")
]
ProfileOpt = Annotated[
    Optional[str], typer.Option("--profile", help="Named column-mapping profile from --profiles FILE (TOML) or scrisk.toml.")
]
BasketsOpt = Annotated[
    Optional[list[Path]],
    typer.Option("--baskets", help="Extra basket TOML file(s); a basket here replaces a bundled one of the same "
                 "name. Repeat for several files."),
]

ProfilesOpt = Annotated[
    Optional[Path],
    typer.Option("--profiles", help="TOML file with \\[profiles.NAME] column mappings (default: ./scrisk.toml)."),
]

ImporterOpt = Annotated[
    Optional[list[str]],
    typer.Option("--importer", "-i", help="Importer ISO3 code(s) or group(s): KOR, KOR,JPN, EU27, G7. Repeatable. "
                 "Default: every importer."),
]

MaterialOpt = Annotated[
    Optional[list[str]],
    typer.Option("--material", "-m", help="Material basket(s), e.g. gallium, lithium, sobejang "
                 "(see `scrisk materials`). Repeatable or comma-separated."),
]

HsOpt = Annotated[
    Optional[list[str]],
    typer.Option("--hs", help="HS code(s) or 2/4-digit prefixes, e.g. 811292 or 8542. Repeatable or comma-separated."),
]
StrictOpt = Annotated[
    bool, typer.Option("--strict", help="Fail (exit 1) when any input row is rejected as a defect.")
]
MaxRejectedOpt = Annotated[
    Optional[float],
    typer.Option("--max-rejected", min=0.0, max=1.0, help="Fail (exit 1) when more than this share (0-1) of the input "
                 "value is rejected as defects, e.g. 0.01."),
]
PeriodColumnOpt = Annotated[
    Optional[str], typer.Option("--period-column", help="Column holding each row's period: a year, YYYYMM, YYYY-MM or a date.")
]
FileExporterOpt = Annotated[
    Optional[str], typer.Option("--exporter", help="For a file of one country's exports by partner: that exporter (ISO3).")
]
FileImporterOpt = Annotated[
    Optional[str], typer.Option("--importer", help="For a file of one country's imports by origin: that importer (ISO3).")
]
AsBlocOpt = Annotated[
    Optional[list[str]],
    typer.Option("--as-bloc", help="Group(s) to treat as one country (EU27, MSP, ...): members' flows added, trade "
                 "among them left out (EU27 imports = extra-EU imports); dated groups use each period's members. "
                 "Repeatable or comma-separated."),
]

ReporterSideOpt = Annotated[
    Optional[str],
    typer.Option("--comtrade-side", help="Which Comtrade reports to use: exports, imports, or both (prefer importer reports; default).")
]

HsRevisionOpt = Annotated[
    Optional[str],
    typer.Option("--hs-revision", help="Convert every flow to this HS revision (HS1992 .. HS2022) with the UNSD "
                 "correlation tables. Default: the revision holding most of the value (stated in meta)."),
]
PeriodOpt = Annotated[
    Optional[str],
    typer.Option("--period", help="Run on one period: a year (2024) or a month (2024-06) of monthly data."),
]
RollingOpt = Annotated[
    Optional[int],
    typer.Option("--rolling", help="With --period YYYY-MM: the window of this many months ending with it, "
                 "e.g. --period 2024-06 --rolling 12."),
]


def _parse_columns(spec: str | None) -> dict[str, str] | None:
    if not spec:
        return None
    from scrisk.errors import UsageError

    out: dict[str, str] = {}
    for part in spec.split(","):
        if "=" not in part:
            raise UsageError(
                f"--columns entry {part!r} is not NAME=COLUMN; write e.g. --columns exporter=i,importer=j,hs=cmd,value=value"
            )
        k, v = part.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def reader_options(
    *,
    source: str | None = None,
    country_codes: Path | None = None,
    columns: str | None = None,
    value_unit: str | None = None,
    years: list[int] | None = None,
    encoding: str | None = None,
    decimal: str | None = None,
    profile: str | None = None,
    profiles: Path | None = None,
    comtrade_side: str | None = None,
    hs: list[str] | tuple[str, ...] | None = None,
    strict: bool | None = None,
    max_rejected: float | None = None,
    period_column: str | None = None,
    exporter: str | None = None,
    importer: str | None = None,
    hs_revision: str | None = None,
    period: str | None = None,
    rolling: int | None = None,
):
    """Build a :class:`scrisk.io.options.ReadOptions` from the shared CLI reader flags.

    ``years`` may be the ``--year`` values as parsed (plain years plus
    ``FILE=YEAR`` pairs, :class:`scrisk.io.periods.Years`).
    """
    from scrisk.engine.hs_revision import check_revision
    from scrisk.engine.periods import parse_period
    from scrisk.io.options import ReadOptions

    per_file = dict(getattr(years, "per_file", {}) or {})
    if strict and max_rejected is not None:
        from scrisk.errors import UsageError

        raise UsageError("--strict means --max-rejected 0; give one of them")
    return ReadOptions(
        max_rejected=0.0 if strict else max_rejected,
        period_column=period_column,
        exporter=exporter,
        importer=importer,
        file_years=per_file,
        source=source,
        country_codes=country_codes,
        columns=_parse_columns(columns),
        value_unit=value_unit,
        years=tuple(years or ()),
        hs=tuple(hs or ()),
        encoding=encoding,
        decimal=decimal,
        profile=profile,
        profiles=profiles,
        comtrade_side=comtrade_side or "both",
        target_revision=check_revision(hs_revision),
        period=parse_period(period, rolling=rolling) and period,
        rolling=rolling,
    )


READER_FLAGS: dict[str, Any] = {
    "source": SourceOpt,
    "country_codes": CountryCodesOpt,
    "columns": ColumnsOpt,
    "value_unit": ValueUnitOpt,
    "encoding": EncodingOpt,
    "decimal": DecimalOpt,
    "profile": ProfileOpt,
    "profiles": ProfilesOpt,
    "comtrade_side": ReporterSideOpt,
    "strict": StrictOpt,
    "max_rejected": MaxRejectedOpt,
    "period_column": PeriodColumnOpt,
    "exporter": FileExporterOpt,
    "importer": FileImporterOpt,
}
"""The reader options every command that reads flows takes (``--year`` stays with each command).

``--exporter`` / ``--importer`` name the side a one-sided file holds. A command
that already has its own ``--exporter`` or ``--importer`` (a filter, a shock's
restricting country) keeps it, and a single ISO3 code given there also serves
as that constant for one-sided files (a file of KOR's imports, filtered to
importer KOR, is the same table)."""

ANALYSIS_FLAGS: dict[str, Any] = {"hs_revision": HsRevisionOpt, "period": PeriodOpt, "rolling": RollingOpt}
"""What the commands that analyse flows (not ``validate``) do to them after reading: one HS revision, one period."""

NoCacheOpt = Annotated[
    Optional[bool],
    typer.Option("--no-cache/--cache", help="Read the inputs afresh instead of from the input cache "
                 "(see `scrisk cache info`; default: use it)."),
]
MemoryLimitOpt = Annotated[
    Optional[str],
    typer.Option("--memory-limit", help="Memory the engine may use, e.g. 4GB; larger work spills to --temp-dir "
                 "(default: 80 % of RAM, or $SCRISK_MEMORY_LIMIT)."),
]
TempDirOpt = Annotated[
    Optional[Path],
    typer.Option("--temp-dir", help="Where work larger than memory spills (default: $SCRISK_TEMP_DIR or the "
                 "system temp folder)."),
]

ENGINE_FLAGS: dict[str, Any] = {"no_cache": NoCacheOpt, "memory_limit": MemoryLimitOpt, "temp_dir": TempDirOpt}
"""How the engine may use the machine: the same for every command that reads flows."""


def apply_engine_flags(no_cache: bool | None, memory_limit: str | None, temp_dir: Path | None) -> None:
    """Set the engine's cache, memory limit and spill folder for this run."""
    from scrisk.engine.ingest import set_cache_enabled
    from scrisk.engine.store import configure

    if no_cache is not None:
        set_cache_enabled(not no_cache)
    configure(memory_limit=memory_limit, temp_directory=str(temp_dir) if temp_dir else None)


def _single_code(value: Any) -> str | None:
    """A single three-letter code from an option value (a string or a one-item list), else None."""
    if isinstance(value, (list, tuple)):
        value = value[0] if len(value) == 1 else None
    if isinstance(value, str) and len(value.strip()) == 3 and value.strip().isalpha():
        return value.strip().upper()
    return None


class Engine(str, Enum):
    """Where the indicator queries over the flows run."""

    duckdb = "duckdb"
    spark = "spark"


EngineOpt = Annotated[
    Optional[Engine],
    typer.Option("--engine", help="Run the indicator queries on duckdb (this machine; default) or spark "
                 "(local[*] or a cluster: --spark-master). With spark, folders, .parquet files and URLs "
                 "(s3a://, gs://, abfss://, dbfs:/) are read by the cluster."),
]
SparkMasterOpt = Annotated[
    Optional[str],
    typer.Option("--spark-master", help="Spark master URL: local[4], spark://host:7077, yarn, k8s://..., "
                 "sc://host:15002 (default: $SPARK_MASTER, else Spark's own configuration)."),
]

SPARK_FLAGS: dict[str, Any] = {"engine": EngineOpt, "spark_master": SparkMasterOpt}
"""The engine choice of the commands that can run on Spark: analyze, check, diff, chokepoints, leverage, shock."""


def apply_spark_flags(engine: "Engine | None", spark_master: str | None) -> None:
    """Pick the engine (and Spark master) for this run (unset: ``$SCRISK_ENGINE``, else duckdb)."""
    import os

    from scrisk.engine.store import configure

    configure(engine=engine.value if engine is not None else (os.environ.get("SCRISK_ENGINE") or "duckdb"),
              spark_master=spark_master or "")


def _add_flags(command: Callable[..., Any], flags: dict[str, Any], apply: Callable[..., None],
               collect: str | None = None) -> Callable[..., Any]:
    """Wrap ``command`` so Typer sees ``flags`` too; ``apply`` gets their values (or ``collect`` names a dict)."""
    sig = inspect.signature(command, eval_str=True)
    own = [p for p in sig.parameters.values() if p.name != collect]
    extra = [
        inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None, annotation=ann)
        for name, ann in flags.items()
    ]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        values = {name: kwargs.pop(name, None) for name in flags}
        extra_kw = apply(values)
        return command(*args, **(extra_kw or {}), **kwargs)

    wrapper.__signature__ = sig.replace(parameters=own + extra)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in own + extra}
    return wrapper


def with_spark_flags(command: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command ``--engine duckdb|spark`` and ``--spark-master URL``, declared once here."""
    return _add_flags(command, SPARK_FLAGS, lambda v: apply_spark_flags(v["engine"], v["spark_master"]))


def with_reader_flags(command: Callable[..., Any] | None = None, *, analysis: bool = True) -> Any:
    """Give a command the shared reader options, declared once here.

    The command declares a keyword parameter ``reader: dict`` instead of the
    flags of :data:`READER_FLAGS` (and :data:`ANALYSIS_FLAGS` unless
    ``analysis=False``, as for ``validate``, which reports the rows as read); it
    receives them as that dict, ready for ``reader_options(**reader, years=...,
    hs=...)``. Typer sees the flags through the wrapper's signature.
    """
    if command is None:
        return functools.partial(with_reader_flags, analysis=analysis)
    flags = {**READER_FLAGS, **(ANALYSIS_FLAGS if analysis else {})}
    sig = inspect.signature(command, eval_str=True)
    own = [p for p in sig.parameters.values() if p.name != "reader"]
    taken = {p.name for p in own}
    flags = {name: ann for name, ann in flags.items() if name not in taken}
    extra = [
        inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                          default=False if name == "strict" else None, annotation=ann)
        for name, ann in {**flags, **ENGINE_FLAGS}.items()
    ]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        reader = {name: kwargs.pop(name, None) for name in flags}
        for name in READER_FLAGS.keys() & taken:  # the command's own --exporter/--importer
            reader[name] = _single_code(kwargs.get(name))
        apply_engine_flags(*(kwargs.pop(name, None) for name in ENGINE_FLAGS))
        return command(*args, reader=reader, **kwargs)

    wrapper.__signature__ = sig.replace(parameters=own + extra)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in own + extra}
    return wrapper
