"""Validate trade files: what was read, accepted and rejected, and why (``scrisk validate``).

:func:`validate_files` reads the files with :func:`scrisk.io.read_flows`,
optionally writes the quarantine CSV, and returns a
:class:`ValidationResult` whose :meth:`~ValidationResult.to_dict` is the
JSON contract of ``scrisk validate``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from scrisk.errors import EXIT_FINDINGS, EXIT_OK, UnreadableFileError
from scrisk.io.options import ReadOptions
from scrisk.io.reasons import ALL_REASONS, is_defect, kind_of_reason
from scrisk.schema import FlowTable

__all__ = ["ValidationResult", "validate_files", "write_quarantine", "QUARANTINE_COLUMNS"]

QUARANTINE_COLUMNS = ("file", "line", "reason", "kind", "detail")
"""Leading columns of the quarantine CSV; the raw fields of the input rows follow."""


_PARAMETERS = (
    "source",
    "country_codes",
    "columns",
    "value_unit",
    "qty_unit",
    "years",
    "hs",
    "encoding",
    "profile",
    "profiles",
    "comtrade_side",
    "hs_revision",
)


def _order(reason: str) -> tuple[int, int, str]:
    idx = ALL_REASONS.index(reason) if reason in ALL_REASONS else len(ALL_REASONS)
    return (0 if is_defect(reason) else 1, idx, reason)


@dataclass
class ValidationResult:
    """The outcome of validating trade files.

    Attributes
    ----------
    table : FlowTable
        The accepted flows with their metadata and read report.
    quarantine : Path or None
        Where the rejected rows were written, when asked.
    options : ReadOptions or None
        The reader options used (recorded in ``meta.parameters``).
    """

    table: FlowTable
    quarantine: Path | None = None
    options: ReadOptions | None = None
    mirror: bool = False

    @property
    def defects(self) -> dict[str, int]:
        """Rejected-row counts of defect reasons."""
        return {k: v for k, v in sorted(self.table.report.reasons.items(), key=lambda kv: _order(kv[0])) if is_defect(k)}

    @property
    def structural(self) -> dict[str, int]:
        """Rejected-row counts of structural reasons (aggregates, breakdown rows...)."""
        return {
            k: v for k, v in sorted(self.table.report.reasons.items(), key=lambda kv: _order(kv[0])) if not is_defect(k)
        }

    @property
    def has_defects(self) -> bool:
        """True when any row was rejected for a defect."""
        return bool(self.defects)

    @property
    def exit_code(self) -> int:
        """1 when a defect was found (or, with ``--max-rejected S``, more than S of the value), else 0."""
        limit = self.options.max_rejected if self.options is not None else None
        if limit is not None and limit > 0:
            from scrisk.io.reader import defect_share

            return EXIT_FINDINGS if defect_share(self.table.report)[1] > limit else EXIT_OK
        return EXIT_FINDINGS if self.has_defects else EXIT_OK

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready result (the stable contract of ``scrisk validate --format json``).

        Keys: ``meta`` (inputs, years, hs_revision, source_format, release,
        notes, scrisk_version...), ``status`` (clean / structural drops /
        defects), ``rows_read``, ``rows_accepted``, ``rows_rejected``,
        ``reasons`` {reason: rows}, ``defects``, ``structural``,
        ``value_usd_accepted``, ``value_usd_rejected`` {reason: USD},
        ``value_usd_total`` (accepted plus rejected value, a negative value left out: see
        :attr:`scrisk.schema.ReadReport.value_usd_total`), ``unknown_codes`` [{code, value_usd, share}],
        ``years``, ``hs_revision``, ``source_format``, ``files`` (per file),
        ``rows`` (one per reason: reason, kind, rows, value_usd, value_share)
        and ``quarantine``.
        """
        from scrisk.provenance import output_meta

        t = self.table
        rep = t.report
        total = rep.value_usd_total
        share = (lambda v: v / total if total > 0 and v >= 0 else None)  # a negative value is no share of trade
        opts = self.options or ReadOptions()
        params = {k: getattr(opts, k) for k in _PARAMETERS}
        meta = output_meta(t, **params, quarantine=str(self.quarantine) if self.quarantine else None)
        meta["notes"] = list(t.meta.notes)
        reasons = dict(sorted(rep.reasons.items(), key=lambda kv: _order(kv[0])))
        rows = [
            {
                "reason": r,
                "kind": kind_of_reason(r),
                "rows": n,
                "value_usd": rep.value_usd_rejected.get(r, 0.0),
                "value_share": share(rep.value_usd_rejected.get(r, 0.0)),
            }
            for r, n in reasons.items()
        ]
        status = "defects" if self.has_defects else ("structural drops only" if rep.rows_rejected else "clean")
        return {
            "meta": meta,
            "status": status,
            "rows_read": rep.rows_read,
            "rows_accepted": rep.rows_accepted,
            "rows_rejected": rep.rows_rejected,
            "reasons": reasons,
            "defects": self.defects,
            "structural": self.structural,
            "value_usd_accepted": rep.value_usd_accepted,
            "value_usd_rejected": dict(sorted(rep.value_usd_rejected.items(), key=lambda kv: _order(kv[0]))),
            "value_usd_total": total,
            "unknown_codes": [
                {"code": c, "value_usd": v, "share": share(v)} for c, v in rep.unknown_codes.items()
            ],
            "years": [int(y) for y in t.years],
            "hs_revision": t.meta.hs_revision,
            "source_format": t.meta.source_format,
            "files": [dict(f) for f in rep.files],
            "rows": rows,
            "quarantine": str(self.quarantine) if self.quarantine else None,
            **({"mirror": self.mirror_dict()} if self.mirror else {}),
        }

    def mirror_dict(self) -> dict[str, Any]:
        """The mirror gaps (``validate --mirror``): summary, per pair, per product (see :mod:`scrisk.io.mirror`)."""
        from scrisk.io.mirror import MIRROR_RULE

        m = self.table.meta.mirror
        if m is None:
            return {"rule": MIRROR_RULE, "flows": {"both": 0, "importer_only": 0, "exporter_only": 0},
                    "by_pair": [], "by_product": [],
                    "note": "no file reports flows from both sides (Comtrade M and X rows)"}

        def records(df):
            out = df.astype(object).where(df.notna(), None)
            return out.to_dict(orient="records")

        return {**m.summary(), "by_pair": records(m.by_pair), "by_product": records(m.by_product)}


def write_quarantine(table: FlowTable, path: str | Path) -> Path:
    """Write every rejected row to a CSV: file, line, reason, kind, detail, then the raw fields.

    The raw fields keep the input's column names (union over files; a
    column named like a leading column is prefixed ``raw_``). Lines with
    the wrong number of fields carry their text in ``raw_line``. The file is
    written (header only) even when nothing was rejected.
    """
    path = Path(path)
    rej = table.report.rejected
    if len(rej):
        rej = rej.copy()
        rej.insert(3, "kind", [kind_of_reason(r) for r in rej["reason"]])
        rest = [c for c in rej.columns if c not in QUARANTINE_COLUMNS]
        rej = rej[list(QUARANTINE_COLUMNS) + rest]
    else:
        rej = pd.DataFrame(columns=list(QUARANTINE_COLUMNS))
    from scrisk.safetext import csv_cell
    from scrisk.serialize import atomic_output, refuse_input_overwrite

    refuse_input_overwrite(path, {"inputs": list(table.meta.inputs)})
    for c in rej.columns:
        if rej[c].dtype == object or str(rej[c].dtype).startswith(("string", "str")):
            rej[c] = rej[c].map(csv_cell)
    try:
        # a temporary file renamed into place: a reader sees the old or the whole new file, and two runs writing
        # the same quarantine at once leave one complete file, never interleaved rows
        with atomic_output(path) as tmp:
            rej.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")
    except OSError as exc:
        raise UnreadableFileError(
            f"cannot write the quarantine file: {exc.strerror or exc}; check the folder exists and is writable",
            path=str(path),
        ) from None
    return path


def validate_files(
    paths: Iterable[str | Path],
    options: ReadOptions | None = None,
    *,
    quarantine: str | Path | None = None,
    mirror: bool = False,
) -> ValidationResult:
    """Read and check trade files; optionally write the rejected rows to ``quarantine``.

    Parameters
    ----------
    paths : iterable of str or Path
        Files or globs, any supported format (see :func:`scrisk.io.read_flows`).
        Empty: the bundled example file.
    options : ReadOptions, optional
    quarantine : path, optional
        CSV to receive every rejected row (see :func:`write_quarantine`).
    mirror : bool
        Add the mirror gaps (both partners' reports of the same flow) to the
        result, per pair and per product (``scrisk validate --mirror``).

    Returns
    -------
    ValidationResult
        ``exit_code`` is 1 when a defect was found, 0 when clean or when only
        structural rows (aggregates, breakdown rows, re-exports, the unused
        Comtrade side) were dropped.

    Raises
    ------
    ScriskError
        UnreadableFileError / FormatDetectionError (exit 3) for files that
        cannot be read at all; UsageError (exit 2) for bad options.
    """
    from scrisk.io.reader import read_flows
    from scrisk.resources import example_flows_path

    import dataclasses

    paths = list(paths or []) or [example_flows_path()]
    if quarantine:
        from scrisk.serialize import refuse_input_overwrite

        refuse_input_overwrite(quarantine, {"inputs": [str(p) for p in paths]})  # before a row is read
    # validate reports what it rejected rather than failing on it: the limit decides the exit code instead
    read_opts = dataclasses.replace(options, max_rejected=None) if options is not None else None
    table = read_flows(paths, read_opts, keep_rows=False)  # the accounting, not the rows
    qpath = write_quarantine(table, quarantine) if quarantine else None
    return ValidationResult(table=table, quarantine=qpath, options=options, mirror=mirror)
