"""The canonical flow table: the one data contract between readers and analysis.

Every reader in :mod:`scrisk.io` produces a :class:`FlowTable`; every metric,
graph, shock and policy function consumes one. Nothing downstream ever sees
a raw BACI, Comtrade or customs layout.

Columns (constants below):

========== ============ ====================================================
column     dtype        meaning
========== ============ ====================================================
year       int64        calendar year of the flow
exporter   string       ISO 3166-1 alpha-3 (Taiwan is ``TWN``)
importer   string       ISO 3166-1 alpha-3
hs         string       HS code, zero-padded: 6 digits, more for national
                        tariff lines, or 4 for an HS4 heading carried as a
                        product (``FlowMeta.hs_headings``)
value_usd  float64      value in US dollars (not thousands), >= 0
qty_kg     float64      quantity in kilograms, NaN when not reported
month      Int8         calendar month 1-12 of a monthly flow; null (<NA>)
                        for an annual flow
hs_revision string      HS revision the row was reported in (``HS1992`` ..
                        ``HS2022``, see :data:`HS_REVISIONS`); null when
                        unknown
========== ============ ====================================================

The key ``(year, month, exporter, importer, hs)`` is unique in a valid
table. A flow's *period* is ``"YYYY"`` (annual, month null) or ``"YYYY-MM"``
(:func:`period_label`). ``month`` and ``hs_revision`` are optional when a
frame is built (:func:`make_flow_table` and :func:`complete_flows` add them
as nulls), so hand-made annual tables need only the first six columns.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from scrisk.errors import FlowSchemaError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "MAX_VALUE_USD",
    "MAX_QTY_KG",
    "YEAR",
    "EXPORTER",
    "IMPORTER",
    "HS",
    "VALUE",
    "QTY",
    "MONTH",
    "REVISION",
    "HS_REVISIONS",
    "BASE_COLUMNS",
    "FLOW_COLUMNS",
    "KEY_COLUMNS",
    "FLOW_DTYPES",
    "FlowMeta",
    "ReadReport",
    "LazyRejected",
    "FlowTable",
    "empty_flows",
    "complete_flows",
    "frame_periods",
    "period_label",
    "validate_flows",
    "make_flow_table",
]

YEAR = "year"
EXPORTER = "exporter"
IMPORTER = "importer"
HS = "hs"
VALUE = "value_usd"

MAX_VALUE_USD = 1e15
"""Largest trade value a row may carry, in USD (forty times a year of world merchandise trade).

A larger (or infinite) value is the defect ``value too large``: the cap keeps
every sum of a table's values finite, so no total, share or identity check
can silently turn into infinity or NaN."""
MAX_QTY_KG = 1e16
"""Largest quantity a row may carry, in kg (ten billion tonnes); a larger one is a bad quantity."""
QTY = "qty_kg"

MONTH = "month"
REVISION = "hs_revision"

HS_REVISIONS: tuple[str, ...] = ("HS1992", "HS1996", "HS2002", "HS2007", "HS2012", "HS2017", "HS2022")
"""The HS revisions a row can be reported in (Comtrade classification codes H0 .. H6)."""

BASE_COLUMNS: tuple[str, ...] = (YEAR, EXPORTER, IMPORTER, HS, VALUE, QTY)
"""The six columns an annual flow needs (``month`` and ``hs_revision`` default to null)."""
FLOW_COLUMNS: tuple[str, ...] = BASE_COLUMNS + (MONTH, REVISION)
KEY_COLUMNS: tuple[str, ...] = (YEAR, MONTH, EXPORTER, IMPORTER, HS)
FLOW_DTYPES: dict[str, str] = {
    YEAR: "int64",
    EXPORTER: "string",
    IMPORTER: "string",
    HS: "string",
    VALUE: "float64",
    QTY: "float64",
    MONTH: "Int8",
    REVISION: "string",
}
_OPTIONAL = (QTY, MONTH, REVISION)
"""Columns a frame may lack: ``qty_kg`` is added as NaN, ``month`` and ``hs_revision`` as null."""


def _is_missing(value: Any) -> bool:
    """True for None, NaN and pandas' NA (pandas is not imported to tell: a value can be NA only once it is)."""
    if value is None or (isinstance(value, float) and value != value):
        return True
    pd = sys.modules.get("pandas")
    return pd is not None and value is pd.NA


def period_label(year: int, month: int | None = None) -> str:
    """The period of a flow as written in outputs: ``"YYYY"`` or ``"YYYY-MM"``.

    Examples
    --------
    >>> period_label(2024), period_label(2024, 6)
    ('2024', '2024-06')
    """
    if _is_missing(month):
        return f"{int(year):04d}"
    return f"{int(year):04d}-{int(month):02d}"


@dataclass(frozen=True)
class FlowMeta:
    """Provenance carried alongside a flow table and into every output.

    Attributes
    ----------
    source_format : str
        ``"baci"``, ``"comtrade"``, ``"tidy"``, ``"parquet"``, ``"example"`` or
        ``"mixed"`` when several formats were combined.
    hs_revision : str or None
        ``"HS2017"``, ``"HS2022"``... when known, else None.
    inputs : tuple of str
        The files read, in order.
    years : tuple of int
        Distinct years present after reading.
    release : str or None
        Data release when known (e.g. BACI ``"V202601"``).
    notes : tuple of str
        Free-text notes a reader wants to surface (e.g. which Comtrade side
        was used).
    hs_conversion : dict or None
        How the flows were converted to one HS revision
        (:func:`scrisk.engine.hs_revision.harmonize`); None when they were not.
    period : dict or None
        The analysis period the flows were selected for
        (:func:`scrisk.engine.periods.select_period`); None: every period read.
    hs_headings : tuple of str
        HS4 headings the table carries as products: codes the inputs report
        at the 4-digit level with no code under them (a Comtrade query by
        heading). Never beside a code under the same heading.
    hs_inference : dict or None
        How the HS revision of rows from files that do not state it was
        inferred per reporter-year (``rule``, ``reporter_years``: reporter,
        year, revision or None, evidence codes; ``counts``).
    world_totals : DataFrame or None
        Reporters' totals with the World (``year, month, reporter, flow``
        (``import``/``export``), ``hs, value_usd, qty_kg, hs_revision, file,
        line``): the world side of a file with only World partners.
    """

    source_format: str = "unknown"
    hs_revision: str | None = None
    inputs: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    release: str | None = None
    notes: tuple[str, ...] = ()
    periods: tuple[str, ...] = ()
    world_totals: Any = field(default=None, compare=False, repr=False)
    mirror: Any = field(default=None, compare=False, repr=False)
    hs_conversion: dict[str, Any] | None = field(default=None, compare=False)
    period: dict[str, Any] | None = field(default=None, compare=False)
    hs_headings: tuple[str, ...] = ()
    hs_inference: dict[str, Any] | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (``world_totals``/``mirror`` summarised, see :mod:`scrisk.io.mirror`)."""
        d = {k: getattr(self, k) for k in ("source_format", "hs_revision", "release")}
        d["inputs"] = list(self.inputs)
        d["years"] = [int(y) for y in self.years]
        d["notes"] = list(self.notes)
        d["periods"] = list(self.periods)
        if self.world_totals is not None and len(self.world_totals):
            wt = self.world_totals
            d["world_totals"] = {"rows": int(len(wt)), "value_usd": float(wt["value_usd"].sum()),
                                 "reporters": sorted(set(wt["reporter"].astype(str)))}
        if self.mirror is not None:
            d["mirror"] = self.mirror.summary() if hasattr(self.mirror, "summary") else self.mirror
        if self.hs_headings:
            d["hs_headings"] = list(self.hs_headings)
        if self.hs_inference is not None:
            d["hs_inference"] = self.hs_inference
        if self.hs_conversion is not None:
            d["hs_conversion"] = self.hs_conversion
        if self.period is not None:
            d["period"] = self.period
        return d


@dataclass
class ReadReport:
    """What happened to every input row: accepted or rejected with a reason.

    ``rows_accepted + rows_rejected == rows_read`` always holds (checked by
    :meth:`check`). Rows outside a ``--year``/``--hs`` filter pushed into the
    scan are never read and so are not counted.

    Attributes
    ----------
    rows_read, rows_accepted, rows_rejected : int
    reasons : Counter
        Rejected-row count per reason string (see :mod:`scrisk.io.reasons`).
    value_usd_accepted : float
        Sum of accepted value in USD.
    value_usd_rejected : dict
        Rejected value in USD per reason (rows whose value parsed).
    unknown_codes : dict
        ``{code: value_usd}`` for country codes that could not be mapped.
    rejected : DataFrame
        One row per rejected input row: ``file``, ``line`` (1-based physical
        line, header = 1, or record number for Parquet), ``reason``, ``detail``
        plus the original raw fields as strings. Built on first access: an
        empty frame when none was given, or the frame a loader given as
        :class:`LazyRejected` returns (the input cache keeps it as Parquet).
    """

    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    reasons: Counter = field(default_factory=Counter)
    value_usd_accepted: float = 0.0
    value_usd_rejected: dict[str, float] = field(default_factory=dict)
    unknown_codes: dict[str, float] = field(default_factory=dict)
    rejected: "pd.DataFrame" = None  # type: ignore[assignment]  # a property below: built on first access
    files: list[dict[str, Any]] = field(default_factory=list)

    @property
    def value_usd_total(self) -> float:
        """The input value shares are taken of: accepted plus rejected value, a negative rejected value left out.

        A negative value is itself a defect, not trade taken out of the
        analysis: it neither adds to nor subtracts from the input's value, so
        no share exceeds 100 %.

        Examples
        --------
        >>> ReadReport(value_usd_accepted=95.0, value_usd_rejected={"unknown country": 5.0, "negative value": -3.0}
        ...            ).value_usd_total
        100.0
        """
        return float(self.value_usd_accepted) + sum(float(v) for v in self.value_usd_rejected.values() if v > 0)

    def check(self) -> None:
        """Raise AssertionError if the row counts do not add up."""
        if self.rows_accepted + self.rows_rejected != self.rows_read:
            raise AssertionError(
                f"row accounting broken: {self.rows_accepted} accepted + "
                f"{self.rows_rejected} rejected != {self.rows_read} read"
            )
        if sum(self.reasons.values()) != self.rows_rejected:
            raise AssertionError("rejection reasons do not sum to rows_rejected")

    def merge(self, other: "ReadReport") -> "ReadReport":
        """Return the combined report of two reads (several files)."""
        rej = [r for r in (self.rejected, other.rejected) if len(r)]
        vr = dict(self.value_usd_rejected)
        for k, v in other.value_usd_rejected.items():
            vr[k] = vr.get(k, 0.0) + v
        uc = dict(self.unknown_codes)
        for k, v in other.unknown_codes.items():
            uc[k] = uc.get(k, 0.0) + v
        return ReadReport(
            rows_read=self.rows_read + other.rows_read,
            rows_accepted=self.rows_accepted + other.rows_accepted,
            rows_rejected=self.rows_rejected + other.rows_rejected,
            reasons=self.reasons + other.reasons,
            value_usd_accepted=self.value_usd_accepted + other.value_usd_accepted,
            value_usd_rejected=vr,
            unknown_codes=uc,
            rejected=_concat(rej),
            files=self.files + other.files,
        )


class LazyRejected:
    """A :attr:`ReadReport.rejected` frame built when first read: ``LazyRejected(loader)``, ``loader() -> DataFrame``."""

    __slots__ = ("loader",)

    def __init__(self, loader: Callable[[], "pd.DataFrame"]):
        self.loader = loader


def _get_rejected(self: ReadReport) -> "pd.DataFrame":
    value = self.__dict__.get("_rejected")
    if isinstance(value, LazyRejected):
        value = value.loader()
    elif value is None:
        import pandas as pd

        value = pd.DataFrame()
    self.__dict__["_rejected"] = value
    return value


def _set_rejected(self: ReadReport, value: Any) -> None:
    self.__dict__["_rejected"] = value


ReadReport.rejected = property(_get_rejected, _set_rejected, doc="The rejected rows (see the class attributes).")


def _concat(frames: list) -> "pd.DataFrame":
    import pandas as pd

    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


class FlowTable:
    """A validated flow table with its provenance and read report.

    The rows live either in a pandas frame or in the flow store's Parquet
    files (:mod:`scrisk.engine.store`); the engine queries the Parquet files
    where they are, and :attr:`frame` materialises a pandas frame only when a
    caller asks for one.

    Attributes
    ----------
    frame : DataFrame
        Canonical columns :data:`FLOW_COLUMNS`, validated (loaded on first use
        when the table is backed by Parquet).
    meta : FlowMeta
    report : ReadReport
    parquet : tuple of str
        Parquet files holding the rows (empty for an in-memory table).
    counted_only : bool
        The rows were checked and counted but not kept (``scrisk validate``
        with the cache off): ``meta`` and ``report`` are complete, and the
        rows are read again (through :attr:`reload`) the first time
        :attr:`frame` or :attr:`parquet` is used.
    """

    def __init__(
        self,
        frame: "pd.DataFrame | None" = None,
        meta: FlowMeta | None = None,
        report: ReadReport | None = None,
        *,
        parquet: tuple[str, ...] = (),
        num_rows: int | None = None,
        counted_only: bool = False,
    ):
        if frame is None and not parquet and not counted_only:
            frame = empty_flows()
        self._frame = frame
        self.meta = meta or FlowMeta()
        self.report = report or ReadReport()
        self._parquet = tuple(str(p) for p in parquet)
        self._num_rows = len(frame) if frame is not None else num_rows
        self.counted_only = bool(counted_only)
        self.reload: "Callable[[], FlowTable] | None" = None

    def _rows(self) -> None:
        """Read the rows of a :attr:`counted_only` table again (once)."""
        if not self.counted_only:
            return
        if self.reload is None:
            raise RuntimeError("this flow table was counted, not kept, and cannot read its rows again")
        again = self.reload()
        self._frame, self._parquet, self._num_rows = again._frame, again._parquet, again._num_rows
        self.counted_only = False

    @property
    def parquet(self) -> tuple[str, ...]:
        """Parquet files holding the rows (empty for an in-memory table)."""
        self._rows()
        return self._parquet

    @parquet.setter
    def parquet(self, value) -> None:
        self._parquet = tuple(str(p) for p in value)
        self.counted_only = False

    @property
    def frame(self) -> "pd.DataFrame":
        """The rows as a canonical pandas frame (read from Parquet on first use)."""
        self._rows()
        if self._frame is None:
            from scrisk.engine.store import parquet_to_frame

            self._frame = parquet_to_frame(self.parquet)
            self._num_rows = len(self._frame)
        return self._frame

    @frame.setter
    def frame(self, value: "pd.DataFrame") -> None:
        self._frame = value
        self._num_rows = len(value)
        self.parquet = ()

    @property
    def in_memory(self) -> bool:
        """True when the rows are held as a pandas frame."""
        return self._frame is not None

    def __len__(self) -> int:
        if self._num_rows is None:
            from scrisk.engine.store import parquet_rows

            self._num_rows = parquet_rows(self.parquet)
        return int(self._num_rows)

    def __repr__(self) -> str:
        where = ("memory" if self.in_memory else "nowhere (counted only)" if self.counted_only
                 else f"{len(self._parquet)} parquet file(s)")
        return f"FlowTable({len(self)} rows in {where}, years={self.years})"

    @property
    def years(self) -> tuple[int, ...]:
        """Distinct years in the table, sorted."""
        if not self.in_memory:
            return tuple(int(y) for y in self.meta.years)
        return tuple(sorted(int(y) for y in self.frame[YEAR].unique()))

    @property
    def world_only(self) -> bool:
        """True when the table holds no bilateral flow but reporters' totals with the World (``meta.world_totals``).

        A file with only World partners (Comtrade's reporter-to-World rows): the commands compute the world-side
        figures from those totals and say that the bilateral (importer-side) figures are unavailable.
        """
        wt = self.meta.world_totals
        return wt is not None and len(wt) > 0 and len(self) == 0

    @property
    def measured_years(self) -> tuple[int, ...]:
        """The years the commands measure: the flows' years, or the World totals' years of a :attr:`world_only` table."""
        if self.world_only:
            return tuple(sorted(int(y) for y in self.meta.world_totals[YEAR].unique()))
        return self.years


def empty_flows() -> "pd.DataFrame":
    """Return an empty frame with the canonical columns and dtypes.

    Examples
    --------
    >>> list(empty_flows().columns)
    ['year', 'exporter', 'importer', 'hs', 'value_usd', 'qty_kg', 'month', 'hs_revision']
    """
    import pandas as pd

    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in FLOW_DTYPES.items()})


def complete_flows(frame: "pd.DataFrame") -> "pd.DataFrame":
    """Add the optional columns a frame lacks (``qty_kg`` NaN, ``month`` and ``hs_revision`` null), order and type them.

    The frame is not validated (see :func:`validate_flows`).

    Examples
    --------
    >>> import pandas as pd
    >>> f = complete_flows(pd.DataFrame({"year": [2024], "exporter": ["CHN"], "importer": ["KOR"],
    ...                                  "hs": ["811292"], "value_usd": [1.0]}))
    >>> list(f.columns) == list(FLOW_COLUMNS), bool(f["month"].isna().all())
    (True, True)
    """
    import pandas as pd

    df = frame.copy()
    for col in _OPTIONAL:
        if col not in df.columns:
            default = float("nan") if col == QTY else pd.NA
            df[col] = pd.Series([default] * len(df), index=df.index, dtype=FLOW_DTYPES[col])
    missing = [c for c in FLOW_COLUMNS if c not in df.columns]
    if missing:
        raise FlowSchemaError(f"flow table lacks columns {missing}; expected {list(FLOW_COLUMNS)}")
    df = df[list(FLOW_COLUMNS)]
    try:
        return df.astype(FLOW_DTYPES)
    except (ValueError, TypeError) as exc:
        raise FlowSchemaError(f"flow table has values of the wrong type: {exc}") from None


_CODE = r"^[A-Z][A-Z0-9]{2}$"
_HS = r"^(\d{4}|\d{6,10})$"


def frame_periods(frame: "pd.DataFrame") -> tuple[str, ...]:
    """Distinct period labels of a canonical frame, sorted (``"2024"``, ``"2024-06"``).

    Examples
    --------
    >>> import pandas as pd
    >>> frame_periods(complete_flows(pd.DataFrame({"year": [2024, 2024, 2023], "month": [6, 5, None],
    ...     "exporter": ["CHN"] * 3, "importer": ["KOR"] * 3, "hs": ["811292"] * 3, "value_usd": [1.0] * 3})))
    ('2023', '2024-05', '2024-06')
    """
    if not len(frame):
        return ()
    pairs = frame[[YEAR, MONTH]].drop_duplicates()
    labels = {period_label(int(y), None if _is_missing(m) else int(m)) for y, m in pairs.itertuples(index=False)}
    return tuple(sorted(labels))


def _problems(frame: "pd.DataFrame", check_unique: bool) -> list[tuple[str, str, Any, int]]:
    """``(column, check, example, count)`` for every way ``frame`` breaks the canonical schema."""
    import pandas as pd

    out: list[tuple[str, str, Any, int]] = []
    extra = [c for c in frame.columns if c not in FLOW_COLUMNS]
    if extra:
        out.append(("columns", "only the canonical columns", extra[0], len(extra)))
    for col, dtype in FLOW_DTYPES.items():
        if col not in frame.columns:
            out.append((col, "column present", None, 1))
        elif str(frame[col].dtype) != str(pd.Series(dtype=dtype).dtype):
            out.append((col, f"dtype {dtype}", str(frame[col].dtype), 1))
    if out:
        return out

    def bad(col: str, check: str, mask) -> None:
        mask = pd.Series(mask, index=frame.index).fillna(True).to_numpy(dtype=bool)
        if mask.any():
            out.append((col, check, frame[col].to_numpy()[mask.argmax()], int(mask.sum())))

    bad(YEAR, "in_range(1900, 2100)", ~frame[YEAR].between(1900, 2100))
    for col in (EXPORTER, IMPORTER):
        bad(col, f"str_matches('{_CODE}')", ~frame[col].str.match(_CODE))
    bad(HS, f"str_matches('{_HS}')", ~frame[HS].str.match(_HS))
    bad(VALUE, "greater_than_or_equal_to(0)", ~(frame[VALUE] >= 0))
    q = frame[QTY]
    bad(QTY, "greater_than_or_equal_to(0)", q.notna() & ~(q >= 0))
    m = frame[MONTH]
    bad(MONTH, "null or in_range(1, 12)", (m.notna() & ~m.between(1, 12)).fillna(False))
    r = frame[REVISION]
    bad(REVISION, f"null or one of {', '.join(HS_REVISIONS)}", (r.notna() & ~r.isin(HS_REVISIONS)).fillna(False))
    if check_unique and len(frame):
        dup = frame.duplicated(list(KEY_COLUMNS), keep="first").to_numpy()
        if dup.any():
            out.append(("(year, month, exporter, importer, hs)", "unique",
                        tuple(frame.loc[dup].iloc[0][list(KEY_COLUMNS)]), int(dup.sum())))
    return out


def validate_flows(frame: "pd.DataFrame", *, check_unique: bool = True) -> "pd.DataFrame":
    """Check a frame against the canonical flow schema and return it.

    All problems are collected at once and raised as one
    :class:`~scrisk.errors.FlowSchemaError` that lists them. (The checks are
    plain vectorised pandas: a schema library would add a second of import
    time to every command.)

    Parameters
    ----------
    frame : DataFrame
        Columns :data:`FLOW_COLUMNS` with :data:`FLOW_DTYPES`.
    check_unique : bool, default True
        Check that :data:`KEY_COLUMNS` are unique. Readers that have already
        rejected duplicate keys row by row pass False to skip the second pass.

    Returns
    -------
    DataFrame
        The same frame, columns in canonical order.

    Raises
    ------
    FlowSchemaError
        When a column is missing, mistyped, a value is out of range or a key
        repeats.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"year": [2024], "exporter": ["CHN"], "importer": ["KOR"],
    ...                    "hs": ["811292"], "value_usd": [1e6], "qty_kg": [float("nan")]})
    >>> validate_flows(complete_flows(df)).shape
    (1, 8)
    >>> validate_flows(complete_flows(df).assign(hs=pd.Series(["81129"], dtype="string")))
    Traceback (most recent call last):
    ...
    scrisk.errors.FlowSchemaError: flow table breaks the canonical schema (1 problems): hs: str_matches('^(\\d{4}|\\d{6,10})$') (e.g. '81129'). Build it with scrisk.io readers or scrisk.schema.make_flow_table.
    """
    problems = _problems(frame, check_unique)
    if problems:
        summary = "; ".join(f"{c}: {check} (e.g. {ex!r})" for c, check, ex, _ in problems[:5])
        raise FlowSchemaError(
            f"flow table breaks the canonical schema ({sum(n for *_, n in problems)} problems): {summary}. "
            "Build it with scrisk.io readers or scrisk.schema.make_flow_table."
        )
    return frame[list(FLOW_COLUMNS)]


def make_flow_table(
    frame: "pd.DataFrame",
    *,
    meta: FlowMeta | None = None,
    report: ReadReport | None = None,
    check_unique: bool = True,
) -> FlowTable:
    """Coerce dtypes, validate and wrap a frame into a :class:`FlowTable`.

    ``qty_kg`` is added as NaN, ``month`` and ``hs_revision`` as null, when absent. Years in ``meta`` are filled from
    the data. ``check_unique=False`` skips the key-uniqueness pass (for
    readers that already rejected duplicate keys).

    Examples
    --------
    >>> import pandas as pd
    >>> t = make_flow_table(pd.DataFrame({"year": [2024], "exporter": ["JPN"],
    ...     "importer": ["KOR"], "hs": ["370790"], "value_usd": [5.0]}))
    >>> t.frame.dtypes["hs"], t.years
    (<StringDtype(na_value=<NA>)>, (2024,))
    """
    df = complete_flows(frame)
    df = validate_flows(df.reset_index(drop=True), check_unique=check_unique)
    meta = meta or FlowMeta()
    years = tuple(sorted(int(y) for y in df[YEAR].unique()))
    meta = dataclasses.replace(meta, years=years, periods=frame_periods(df))
    if report is None:
        report = ReadReport(
            rows_read=len(df), rows_accepted=len(df), value_usd_accepted=math.fsum(df[VALUE].to_numpy())
        )
    return FlowTable(frame=df, meta=meta, report=report)
