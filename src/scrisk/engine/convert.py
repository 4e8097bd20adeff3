"""Convert trade files into the partitioned Parquet dataset both engines read (``scrisk convert``).

The files are read by scrisk's readers through the flow store
(:func:`scrisk.io.read_flows`: the fast path, the input cache, the exact
reader), so every input row is accepted or rejected with its reason, as in
``scrisk validate``. The accepted rows are written as a Hive-style dataset::

    DIR/_scrisk.json               provenance: inputs, years, HS revision, release, read report
    DIR/year=2022/part-0.parquet   canonical columns (scrisk.schema.FLOW_COLUMNS), year included
    DIR/year=2024/part-0.parquet

The files keep every canonical column (``year`` too), so the DuckDB engine
reads the folder file by file (``scrisk analyze DIR``) and Spark reads it as
a dataset partitioned by year (``scrisk analyze DIR --engine spark``, or
``spark.read.parquet(DIR)`` in a job). Rows are sorted by (exporter,
importer, hs) inside each year, which keeps the files small and their
min/max statistics useful. ``_scrisk.json`` starts with an underscore, so
Spark and Hive skip it as data.

The folder is written beside itself and renamed into place; a folder that
holds anything but an earlier scrisk dataset is refused, and so is one of
the inputs.

Examples
--------
>>> import tempfile, pathlib, json
>>> out = pathlib.Path(tempfile.mkdtemp()) / "flows"
>>> r = convert_files([], out)
>>> [(p["year"], p["rows"]) for p in r.to_dict()["rows"]]
[(2022, 895), (2024, 848)]
>>> sorted(p.name for p in out.iterdir())
['_scrisk.json', 'year=2022', 'year=2024']
>>> json.loads((out / "_scrisk.json").read_text())["hs_revision"]
'HS2017'
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterable

from scrisk.errors import UnreadableFileError, UsageError
from scrisk.io.options import ReadOptions
from scrisk.schema import FLOW_COLUMNS, YEAR, FlowTable

__all__ = ["convert_files", "ConvertResult", "write_dataset", "DATASET_META", "dataset_meta", "file_dataset_meta"]

DATASET_META = "_scrisk.json"
"""The provenance file at the root of a converted dataset."""

DATASET_VERSION = 1


class ConvertResult:
    """What :func:`convert_files` wrote: one row per year (year, rows, value_usd, file) and ``meta``."""

    def __init__(self, rows: list[dict[str, Any]], meta: dict[str, Any]):
        self.rows = rows
        self.meta = meta

    def to_dict(self) -> dict[str, Any]:
        """``{"meta": ..., "rows": [...]}`` (the JSON contract of ``scrisk convert --format json``)."""
        from scrisk.serialize import jsonable

        return {"meta": jsonable(self.meta), "rows": [jsonable(r) for r in self.rows]}

    def to_arrow(self):
        """The per-year rows as a :class:`pyarrow.Table`."""
        import pyarrow as pa

        return pa.Table.from_pylist(self.rows, schema=pa.schema(
            [("year", pa.int64()), ("rows", pa.int64()), ("value_usd", pa.float64()), ("file", pa.string())]))


def dataset_meta(path: str | Path) -> dict[str, Any] | None:
    """The provenance a converted dataset records (its ``_scrisk.json``), or None for another folder."""
    p = Path(path) / DATASET_META
    if not p.is_file():
        return None
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def file_dataset_meta(path: str | Path) -> dict[str, Any] | None:
    """The ``_scrisk.json`` of the converted dataset a Parquet file belongs to (``DIR/year=Y/part-0.parquet``)."""
    p = Path(path)
    roots = [p.parent] + ([p.parent.parent] if p.parent.name.startswith(f"{YEAR}=") else [])
    for root in roots:
        got = dataset_meta(root)
        if got is not None:
            return got
    return None


def _check_target(out: Path, inputs: Iterable[Path]) -> None:
    real = os.path.realpath(out)
    for f in inputs:
        rf = os.path.realpath(f)
        if rf == real or rf.startswith(real + os.sep):
            raise UsageError(f"--to {out} is (or holds) the input {f}; write the dataset to another folder")
    if out.exists():
        if not out.is_dir():
            raise UsageError(f"--to {out} is a file; give a folder for the dataset")
        if any(out.iterdir()) and dataset_meta(out) is None:
            raise UsageError(f"--to {out} is a folder with other files in it; give an empty or new folder "
                             "(an earlier scrisk dataset there is replaced)")


def write_dataset(table: FlowTable, out: str | Path, *, meta: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Write ``table`` as ``out/year=YYYY/part-0.parquet`` (+ ``_scrisk.json``), replacing ``out`` at the end.

    Returns one ``{year, rows, value_usd, file}`` per year written.
    """
    from scrisk.engine.store import arrow_table, connect, flow_source, sql_str

    out = Path(out)
    parent = out.parent if str(out.parent) else Path(".")
    parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=parent))
    cols = ", ".join(FLOW_COLUMNS)
    rows: list[dict[str, Any]] = []
    con = connect()
    try:
        src = flow_source(con, table)
        per_year = arrow_table(con.sql(
            f"SELECT {YEAR}, count(*) AS n, coalesce(fsum(value_usd), 0) AS v FROM {src} GROUP BY {YEAR} ORDER BY {YEAR}"
        )).to_pylist()
        for r in per_year:
            y = int(r[YEAR])
            part = work / f"{YEAR}={y}"
            part.mkdir()
            target = part / "part-0.parquet"
            con.execute(
                f"COPY (SELECT {cols} FROM {src} WHERE {YEAR} = {y} ORDER BY exporter, importer, hs) "
                f"TO {sql_str(str(target))} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)"
            )
            rows.append({"year": y, "rows": int(r["n"]), "value_usd": float(r["v"]),
                         "file": str(out / f"{YEAR}={y}" / "part-0.parquet")})
        record = dict(meta or {})
        record.update(dataset_version=DATASET_VERSION, columns=list(FLOW_COLUMNS), partitioning=[YEAR],
                      hs_revision=table.meta.hs_revision, years=[r["year"] for r in rows],
                      source_format=table.meta.source_format, release=table.meta.release,
                      inputs=list(table.meta.inputs), files=[{k: v for k, v in r.items()} for r in rows])
        (work / DATASET_META).write_text(json.dumps(record, indent=2, sort_keys=True, default=str) + "\n",
                                         encoding="utf-8")
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    finally:
        con.close()
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}-old-", dir=parent))
        os.replace(out, old / out.name)
    try:
        os.replace(work, out)
    except OSError as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise UnreadableFileError(f"cannot write the dataset ({exc}); check the folder is writable", path=str(out)) from None
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return rows


def convert_files(files: Iterable[str | Path] | None, out: str | Path, read: ReadOptions | None = None) -> ConvertResult:
    """Read trade files (the bundled example when none) and write them as a partitioned Parquet dataset.

    Parameters
    ----------
    files : paths or globs
        Any input the readers take (BACI CSV/zip, Comtrade, tidy CSV, Parquet).
    out : path
        The dataset folder (created, or an earlier scrisk dataset replaced).
    read : ReadOptions, optional
        Reader options (``--year``/``--hs`` filters are applied in the scan).

    Returns
    -------
    ConvertResult
        ``meta`` has the inputs, years, HS revision and the read report
        (:func:`scrisk.provenance.read_summary`: rows read = accepted +
        rejected, with reasons); ``rows`` one per year written.
    """
    from scrisk.api import load_flows
    from scrisk.io.reader import expand_paths
    from scrisk.provenance import output_meta, read_summary

    out = Path(out)
    paths = list(files or [])
    if paths:
        _check_target(out, expand_paths(paths))
    else:
        _check_target(out, [])
    table = load_flows(paths or None, read)
    summary = read_summary(table)
    rows = write_dataset(table, out, meta={"read": summary})
    meta = output_meta(table, to=str(out))
    meta["dataset"] = str(out)
    meta["rows_written"] = sum(r["rows"] for r in rows)
    return ConvertResult(rows, meta)
