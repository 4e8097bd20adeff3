"""Serialise results: plain JSON values, and streaming csv/json/jsonl/parquet writers of result rows.

Every scrisk result has one JSON shape, the stable contract::

    {"meta": {...}, "rows": [{...}, ...]}           # plus "totals", "summary"... where a command has them

:func:`jsonable` turns numpy/pandas scalars, NaN, dates and paths into plain
JSON values; :func:`to_json` and :func:`to_csv` serialise small results held
as Python objects. :func:`write_rows` writes the rows of a large result from
Arrow (a ``pyarrow.Table`` or a ``RecordBatchReader``) without building one
Python object per row or cell: csv, json and jsonl through DuckDB's writers,
parquet through pyarrow. The text is the same as :func:`to_csv` and
:func:`to_json` produce for the same rows: floats at full precision (the
shortest text that reads back to the same double), NaN and infinities empty
in csv and ``null`` in json, lists joined with ``;`` in csv and kept as lists
in json (two deliberate differences in csv: a text holding a bare carriage
return is quoted, and a record cell is compact JSON text). Parquet keeps the Arrow types and stores the JSON ``meta`` in the
schema metadata under the key ``b"scrisk"``.

Writes to a path are atomic: the output goes to a temporary file in the
same folder, moved over the path only when complete. An output path that
is one of the result's inputs (``meta["inputs"]``) is refused.

This module never imports the renderers, rich or typer: it is library code.

Examples
--------
>>> import io, pyarrow as pa
>>> t = pa.table({"hs": ["811292"], "top_share": [0.924], "flags": [["single_source"]]})
>>> buf = io.BytesIO()
>>> write_rows(t, {"inputs": []}, buf, "csv")
1
>>> print(buf.getvalue().decode(), end="")
hs,top_share,flags
811292,0.924,single_source
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import shutil
import sys
import tempfile
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Iterator, Mapping, Sequence

from scrisk.errors import UnreadableFileError, UsageError
from scrisk.safetext import FORMULA_START, PLAIN_NUMBER_RE, csv_cell

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

__all__ = [
    "ParquetRows",
    "jsonable",
    "to_json",
    "to_csv",
    "ROW_FORMATS",
    "EXTENSIONS",
    "format_for_path",
    "input_paths",
    "refuse_input_overwrite",
    "atomic_output",
    "rows_to_table",
    "write_rows",
    "write_text",
]

ROW_FORMATS: tuple[str, ...] = ("csv", "json", "jsonl", "parquet")
"""Formats :func:`write_rows` writes."""

EXTENSIONS: dict[str, str] = {
    ".csv": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".md": "md",
    ".xlsx": "xlsx",
}
"""Output file extension -> format (``-o FILE`` without ``--format``)."""

_ROW_GROUP = 1 << 17

META_KEY = b"scrisk"
"""Key of the JSON ``meta`` in a Parquet file's schema metadata."""


# ---------------------------------------------------------------------------
# plain JSON values


def jsonable(obj: Any) -> Any:
    """Convert numpy/pandas scalars, NaN, paths and dates to plain JSON values.

    Examples
    --------
    >>> jsonable({"a": float("nan"), "b": (1, 2)})
    {'a': None, 'b': [1, 2]}
    """
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        items = sorted(obj) if isinstance(obj, (set, frozenset)) else obj
        return [jsonable(v) for v in items]
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return None if math.isnan(obj) or math.isinf(obj) else obj
    if isinstance(obj, (datetime, date)):
        return obj.isoformat()
    if getattr(obj, "ndim", 0) and callable(getattr(obj, "tolist", None)):  # numpy array (a list cell)
        return jsonable(obj.tolist())
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalar
        return jsonable(obj.item())
    pd = sys.modules.get("pandas")  # pd.NA and pd.NaT exist only once pandas is imported
    if pd is not None and (obj is pd.NA or obj is pd.NaT):
        return None
    if hasattr(obj, "__fspath__"):
        return str(obj)
    return str(obj)


def to_json(result: Mapping[str, Any]) -> str:
    """Serialise a result dict to indented JSON (NaN becomes null).

    Examples
    --------
    >>> print(to_json({"meta": {}, "rows": [{"hhi": 0.5}]}))
    {
      "meta": {},
      "rows": [
        {
          "hhi": 0.5
        }
      ]
    }
    """
    return json.dumps(jsonable(result), indent=2, ensure_ascii=False, allow_nan=False)


def _fieldnames(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None) -> list[str]:
    if columns:
        return list(columns)
    names: dict[str, None] = {}
    for r in rows:
        for k in r:
            names.setdefault(k, None)
    return list(names)


def _csv_cell(v: Any) -> Any:
    v = jsonable(v)
    if isinstance(v, list):
        return csv_cell(";".join(str(x) for x in v))
    if isinstance(v, dict):
        return json.dumps(v, ensure_ascii=False)
    return "" if v is None else csv_cell(v)


def to_csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
    """Serialise rows to CSV with full precision (lists joined with ';').

    Examples
    --------
    >>> print(to_csv([{"hs": "811292", "flags": ["single_source"]}]), end="")
    hs,flags
    811292,single_source
    """
    buf = io.StringIO()
    names = _fieldnames(rows, columns)
    w = csv.DictWriter(buf, fieldnames=names, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: _csv_cell(r.get(k)) for k in names})
    return buf.getvalue()


# ---------------------------------------------------------------------------
# output paths


def format_for_path(path: str | os.PathLike[str]) -> str | None:
    """Return the output format an extension implies, or None when it implies none.

    Examples
    --------
    >>> format_for_path("out/screen.parquet"), format_for_path("a.CSV"), format_for_path("notes.txt")
    ('parquet', 'csv', None)
    """
    return EXTENSIONS.get(Path(path).suffix.lower())


def input_paths(meta: Mapping[str, Any] | None) -> list[str]:
    """Return the input files a result's ``meta`` records (``inputs``, and those of ``old``/``new``/``baseline``/``production``).

    Examples
    --------
    >>> input_paths({"inputs": ["a.csv"], "old": {"inputs": ["b.csv"]}, "baseline": None})
    ['a.csv', 'b.csv']
    """
    found: list[str] = []
    if not isinstance(meta, Mapping):
        return found
    for value in (meta.get("inputs"), *[
        (meta.get(k) or {}).get("inputs") if isinstance(meta.get(k), Mapping) else None
        for k in ("old", "new", "baseline", "production")
    ]):
        if isinstance(value, (list, tuple)):
            found.extend(str(v) for v in value if isinstance(v, (str, os.PathLike)))
    return found


def refuse_input_overwrite(dest: str | os.PathLike[str], meta: Mapping[str, Any] | None) -> None:
    """Raise :class:`~scrisk.errors.UsageError` (exit 2) when ``dest`` is one of the result's input files.

    Paths are compared after resolving symbolic links.

    Examples
    --------
    >>> refuse_input_overwrite("out.csv", {"inputs": ["flows.csv"]})
    >>> refuse_input_overwrite("./flows.csv", {"inputs": ["flows.csv"]})
    Traceback (most recent call last):
    ...
    scrisk.errors.UsageError: ./flows.csv: the output would overwrite an input file; write to another path
    """
    target = os.path.realpath(os.fspath(dest))
    for src in input_paths(meta):
        same = os.path.realpath(src) == target
        if not same and os.path.exists(src) and os.path.exists(target):
            try:
                same = os.path.samefile(src, target)
            except OSError:  # pragma: no cover - raced away
                same = False
        if same:
            raise UsageError("the output would overwrite an input file; write to another path", path=os.fspath(dest))


@contextmanager
def atomic_output(dest: str | os.PathLike[str]) -> Iterator[str]:
    """Yield a temporary path beside ``dest``; move it over ``dest`` on success, delete it on error.

    A reader of ``dest`` sees either the old file or the complete new one,
    never a partial write.

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp(); p = os.path.join(d, "x.txt")
    >>> with atomic_output(p) as tmp:
    ...     _ = open(tmp, "w").write("done")
    >>> open(p).read(), os.listdir(d)
    ('done', ['x.txt'])
    """
    dest = os.fspath(dest)
    folder = os.path.dirname(os.path.abspath(dest))
    try:
        fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(dest) + ".", suffix=".part", dir=folder)
    except OSError as exc:
        raise UnreadableFileError(f"cannot write output: {exc.strerror}; check the folder exists and is writable",
                                  path=dest) from None
    os.close(fd)
    try:
        yield tmp
        try:
            mode = os.stat(dest).st_mode & 0o777 if os.path.exists(dest) else 0o666 & ~_umask()
            os.chmod(tmp, mode)
        except OSError:  # pragma: no cover - permissions are best effort
            pass
        os.replace(tmp, dest)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError) and not isinstance(exc, UnreadableFileError):
            raise UnreadableFileError(f"cannot write output: {exc.strerror or exc}; check the folder exists and "
                                      "is writable", path=dest) from None
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(text: str, dest: str | os.PathLike[str] | IO[bytes], meta: Mapping[str, Any] | None = None) -> None:
    """Write already rendered text to a path (atomically; never over an input) or a binary stream.

    Examples
    --------
    >>> import io
    >>> buf = io.BytesIO(); write_text("a,b\\n", buf); buf.getvalue()
    b'a,b\\n'
    """
    data = text.encode("utf-8")
    if _is_stream(dest):
        dest.write(data)  # type: ignore[union-attr]
        _flush(dest)
        return
    refuse_input_overwrite(dest, meta)  # type: ignore[arg-type]
    with atomic_output(dest) as tmp:  # type: ignore[arg-type]
        with open(tmp, "wb") as fh:
            fh.write(data)


def _is_stream(dest: Any) -> bool:
    return hasattr(dest, "write") and not isinstance(dest, (str, os.PathLike))


def _flush(stream: Any) -> None:
    flush = getattr(stream, "flush", None)
    if callable(flush):
        flush()


# ---------------------------------------------------------------------------
# Arrow rows


def rows_to_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> "pa.Table":
    """Build an Arrow table from row dicts (column order of first appearance; a column of mixed kinds as text).

    Examples
    --------
    >>> t = rows_to_table([{"hs": "811292", "hhi": 0.5}, {"hs": "280530", "flags": ["x"]}])
    >>> t.column_names, t.column("hhi").to_pylist()
    (['hs', 'hhi', 'flags'], [0.5, None])
    """
    import pyarrow as pa

    names = _fieldnames(rows, columns)
    arrays = {}
    for name in names:
        values = [jsonable(r.get(name)) for r in rows]
        try:
            arrays[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
            arrays[name] = pa.array([None if v is None else str(_csv_cell(v)) for v in values], pa.string())
    return pa.table(arrays) if names else pa.table({})


class ParquetRows:
    """Result rows the engine spilled to Parquet files: counted from their footers, read only when asked.

    A large result (millions of change rows of ``scrisk diff``) is written
    by DuckDB straight to scratch Parquet files instead of being held in
    memory as Arrow; several files are one sequence of rows, in the order
    given. :func:`write_rows` streams them to csv, json and jsonl with
    DuckDB (in parallel, in file order) and to parquet batch by batch;
    :meth:`head` reads the first rows only.

    Examples
    --------
    >>> import pyarrow as pa, pyarrow.parquet as pq, tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> pq.write_table(pa.table({"hs": ["811292", "280530"], "hhi": [0.856, 0.5]}), os.path.join(d, "a.parquet"))
    >>> pq.write_table(pa.table({"hs": ["370790"], "hhi": [0.4]}), os.path.join(d, "b.parquet"))
    >>> rows = ParquetRows([os.path.join(d, "a.parquet"), os.path.join(d, "b.parquet")])
    >>> rows.num_rows, rows.schema.names, rows.head(1).to_pylist(), rows.to_table()["hs"].to_pylist()
    (3, ['hs', 'hhi'], [{'hs': '811292', 'hhi': 0.856}], ['811292', '280530', '370790'])
    """

    def __init__(self, path: "str | os.PathLike[str] | Sequence[str | os.PathLike[str]]"):
        import pyarrow.parquet as pq

        paths = [path] if isinstance(path, (str, os.PathLike)) else list(path)
        if not paths:
            raise ValueError("ParquetRows needs at least one file")
        self.paths = [str(p) for p in paths]
        self.path = self.paths[0]
        self._files = [pq.ParquetFile(p) for p in self.paths]
        self.num_rows = sum(int(f.metadata.num_rows) for f in self._files)
        first = self._files[0].schema_arrow
        if len(self._files) > 1:  # parts may differ in which columns hold nulls: the rows' schema allows them
            import pyarrow as pa

            first = pa.schema([f.with_nullable(True) for f in first], metadata=first.metadata)
        self.schema = first

    def __len__(self) -> int:
        return self.num_rows

    def _batches(self, batch_size: int):
        for f in self._files:
            for b in f.iter_batches(batch_size=batch_size):
                yield b.cast(self.schema) if b.schema != self.schema else b

    def head(self, n: int | None) -> "pa.Table":
        """The first ``n`` rows (all when None) as a :class:`pyarrow.Table`."""
        import pyarrow as pa

        if n is None:
            return self.to_table()
        got, batches = 0, []
        for b in self._batches(max(1, min(int(n), 1 << 16))):
            batches.append(b.slice(0, int(n) - got))
            got += batches[-1].num_rows
            if got >= n:
                break
        return pa.Table.from_batches(batches, schema=self.schema)

    def to_table(self) -> "pa.Table":
        """Every row as a :class:`pyarrow.Table` (in memory)."""
        import pyarrow as pa

        return pa.Table.from_batches(list(self._batches(1 << 16)), schema=self.schema)

    def to_reader(self, batch_size: int = 1 << 16) -> "pa.RecordBatchReader":
        """The rows as a stream of record batches (bounded memory)."""
        import pyarrow as pa

        return pa.RecordBatchReader.from_batches(self.schema, self._batches(batch_size))

    def sql(self) -> str:
        """The rows as a DuckDB table function (files in order; read with ``preserve_insertion_order``)."""
        from scrisk.engine.store import sql_list

        return f"read_parquet({sql_list(self.paths)})"


def _engine_rows(data: Any) -> bool:
    """True for rows held in an open engine table (:class:`scrisk.engine.store.DuckRows`): copied where they are."""
    return hasattr(data, "copy_to") and hasattr(data, "to_reader")


def _as_source(data: Any, columns: Sequence[str] | None) -> "pa.Table | pa.RecordBatchReader":
    """A Table (scanned in parallel by DuckDB) or a RecordBatchReader (streamed once), limited to ``columns``."""
    import pyarrow as pa

    if isinstance(data, ParquetRows) or _engine_rows(data):
        if columns is None or list(columns) == data.schema.names:
            return data
        data = data.to_reader()
    if isinstance(data, pa.RecordBatch):
        data = pa.Table.from_batches([data])
    elif not isinstance(data, (pa.Table, pa.RecordBatchReader)):
        if isinstance(data, Sequence):
            data = rows_to_table(data, columns)
        else:
            raise TypeError(f"write_rows takes a pyarrow Table or RecordBatchReader, not {type(data).__name__}")
    schema = data.schema
    if columns is None or list(columns) == schema.names:
        return data
    if isinstance(data, pa.Table):
        return pa.table({c: data.column(c) if c in schema.names else pa.nulls(data.num_rows) for c in columns})
    fields = [schema.field(c) if c in schema.names else pa.field(c, pa.null()) for c in columns]
    out_schema = pa.schema(fields, metadata=schema.metadata)

    def batches():
        for b in data:
            yield pa.RecordBatch.from_arrays(
                [b.column(c) if c in schema.names else pa.nulls(b.num_rows) for c in columns], schema=out_schema)

    return pa.RecordBatchReader.from_batches(out_schema, batches())


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _csv_scalar(expr: str, typ: "pa.DataType", *, in_list: bool) -> str:
    """DuckDB expression giving the csv text of one value, as :func:`to_csv` writes it."""
    import pyarrow.types as t

    if t.is_dictionary(typ):
        return _csv_scalar(f"CAST({expr} AS VARCHAR)", typ.value_type, in_list=in_list)
    if t.is_floating(typ):
        text = f"CASE WHEN isfinite({expr}) THEN CAST(CAST({expr} AS DOUBLE) AS VARCHAR) END"
    elif t.is_boolean(typ):
        text = f"CASE WHEN {expr} THEN 'True' WHEN NOT {expr} THEN 'False' END"
    elif t.is_timestamp(typ):
        text = f"replace(CAST({expr} AS VARCHAR), ' ', 'T')"
    elif t.is_null(typ):
        text = "CAST(NULL AS VARCHAR)"
    elif t.is_list(typ) or t.is_large_list(typ) or t.is_fixed_size_list(typ):
        inner = _csv_scalar("x", typ.value_type, in_list=True)
        text = f"array_to_string(list_transform({expr}, lambda x: {inner}), ';')"
    elif t.is_struct(typ) or t.is_map(typ):
        text = f"CAST(to_json({_json_expr(expr, typ)}) AS VARCHAR)"
    else:
        text = f"CAST({expr} AS VARCHAR)"
    # inside a list a missing value prints as Python's None (str(None)); at top level as an empty cell
    return f"COALESCE({text}, 'None')" if in_list else text


def _json_expr(expr: str, typ: "pa.DataType") -> str:
    """DuckDB expression of one value as :func:`jsonable` makes it (NaN and infinities become null)."""
    import pyarrow.types as t

    if t.is_floating(typ):
        return f"(CASE WHEN isfinite({expr}) THEN CAST({expr} AS DOUBLE) END)"
    if t.is_list(typ) or t.is_large_list(typ) or t.is_fixed_size_list(typ):
        if _has_float(typ.value_type):
            return f"list_transform({expr}, lambda x: {_json_expr('x', typ.value_type)})"
        return expr
    if t.is_struct(typ) and _has_float(typ):
        parts = ", ".join(
            f"{_ident(typ.field(i).name)} := {_json_expr(f'({expr}).{_ident(typ.field(i).name)}', typ.field(i).type)}"
            for i in range(typ.num_fields))
        return f"(CASE WHEN {expr} IS NULL THEN NULL ELSE struct_pack({parts}) END)"
    return expr


def _has_float(typ: "pa.DataType") -> bool:
    import pyarrow.types as t

    if t.is_floating(typ):
        return True
    if t.is_list(typ) or t.is_large_list(typ) or t.is_fixed_size_list(typ):
        return _has_float(typ.value_type)
    if t.is_struct(typ):
        return any(_has_float(typ.field(i).type) for i in range(typ.num_fields))
    return False


def _starts_formula_sql(text: str) -> str:
    """DuckDB condition: ``text`` begins with one of :data:`scrisk.safetext.FORMULA_START` (a byte prefix test each).

    Examples
    --------
    >>> import duckdb
    >>> cond = _starts_formula_sql("s")
    >>> duckdb.sql(f"SELECT s, {cond} FROM (VALUES ('=1+1'), ('KOR'), (chr(9) || 'x'), ('')) v(s)").fetchall()
    [('=1+1', True), ('KOR', False), ('\\tx', True), ('', False)]
    """
    chars = [f"chr({ord(c)})" if not c.isprintable() else "'" + c.replace("'", "''") + "'" for c in FORMULA_START]
    return "(" + " OR ".join(f"starts_with({text}, {c})" for c in chars) + ")"


def _neutralise_sql(text: str) -> str:
    '''DuckDB expression: :func:`scrisk.safetext.csv_cell` over a text expression (a formula start gets a quote).'''
    return (f"(CASE WHEN {_starts_formula_sql(text)} AND NOT regexp_full_match({text}, "
            f"'{PLAIN_NUMBER_RE}') THEN chr(39) || {text} ELSE {text} END)")


def _is_text_column(typ: "pa.DataType") -> bool:
    import pyarrow.types as t

    if t.is_dictionary(typ):
        return _is_text_column(typ.value_type)
    return (t.is_string(typ) or t.is_large_string(typ) or t.is_list(typ) or t.is_large_list(typ)
            or t.is_fixed_size_list(typ))


def _select(schema: "pa.Schema", fmt: str) -> str:
    import pyarrow.types as t

    cols = []
    for f in schema:
        src = _ident(f.name)
        if fmt == "csv" and (t.is_floating(f.type) or t.is_integer(f.type)):
            # numbers stay numbers: DuckDB's writer prints them as the VARCHAR cast does, without the checks a
            # text column needs; a non-finite float is an empty cell
            cols.append(f"CASE WHEN isfinite({src}) THEN CAST({src} AS DOUBLE) END AS {src}"
                        if t.is_floating(f.type) else src)
        elif fmt == "csv":
            text = _csv_scalar(src, f.type, in_list=False)
            if _is_text_column(f.type):
                text = _neutralise_sql(text)
            # an empty text is an empty cell (DuckDB would quote it to tell it from NULL)
            cols.append(f"NULLIF({text}, '') AS {src}")
        else:
            cols.append(f"{_json_expr(src, f.type)} AS {src}")
    return ", ".join(cols) if cols else "*"


WRITER_MEMORY = "2GB"
"""The memory limit of the text writers when no ``--memory-limit`` is set. Left at DuckDB's default (80 % of the
machine), its ordered writer holds chunks that finish out of order in memory: 3.4 GB for the 11.6M rows (3.6 GB
of CSV) of a diff of two 10M-row years, against 1.0 GB at 2 GB in the same time; at 1 GB it takes half as long
again."""


def _writer_config() -> dict[str, Any]:
    """DuckDB settings of the text writers: the engine's (``--memory-limit``, temp directory, threads)."""
    from scrisk.engine.store import engine_config

    return {**engine_config(default_memory_limit=WRITER_MEMORY), "preserve_insertion_order": True}


def _duckdb_copy(source: "pa.Table | pa.RecordBatchReader", fmt: str, path: str) -> None:
    import duckdb

    select = _select(source.schema, fmt)
    # PRESERVE_ORDER: the rows keep their order (DuckDB's parallel text writers may interleave chunks otherwise,
    # even with preserve_insertion_order set, once the rows span several row groups)
    options = {"csv": "FORMAT csv, HEADER true, QUOTE '\"', ESCAPE '\"', NULLSTR ''",
               "json": "FORMAT json, ARRAY true",
               "jsonl": "FORMAT json"}[fmt] + ", PRESERVE_ORDER true"
    if _engine_rows(source):  # rows in an engine table: copied by the engine that holds them, never through Arrow
        source.copy_to(select, path, options, memory_limit=WRITER_MEMORY)
        return
    con = duckdb.connect(config=_writer_config())
    try:
        if isinstance(source, ParquetRows):
            rows = source.sql()
        else:
            con.register("scrisk_rows", source)
            rows = "scrisk_rows"
        target = path.replace("'", "''")
        con.execute(f"COPY (SELECT {select} FROM {rows}) TO '{target}' ({options})")
    finally:
        con.close()


def _header_only(schema: "pa.Schema") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(schema.names)
    return buf.getvalue().encode("utf-8")


def _json_prefix(meta: Mapping[str, Any], extra: Mapping[str, Any] | None) -> bytes:
    head = {"meta": jsonable(meta), **{str(k): jsonable(v) for k, v in (extra or {}).items() if k not in ("meta", "rows")}}
    text = json.dumps(head, indent=2, ensure_ascii=False, allow_nan=False)
    # reopen the object to append "rows"
    return (text[:-1].rstrip() + ',\n  "rows": ').encode("utf-8") if head else b'{"rows": '


def _count_rows(source: "pa.Table | pa.RecordBatchReader") -> tuple["pa.Table | pa.RecordBatchReader", list[int]]:
    """Return the source and a one-item list that holds its row count once the source has been read."""
    import pyarrow as pa

    if isinstance(source, (pa.Table, ParquetRows)) or _engine_rows(source):
        return source, [source.num_rows]
    reader = source
    counter = [0]

    def batches():
        for b in reader:
            counter[0] += b.num_rows
            yield b

    return pa.RecordBatchReader.from_batches(reader.schema, batches()), counter


def _write_parquet(source: "pa.Table | pa.RecordBatchReader", meta: Mapping[str, Any], sink: Any) -> int:
    import pyarrow.parquet as pq

    import pyarrow as pa

    reader = source.to_reader() if isinstance(source, (pa.Table, ParquetRows)) or _engine_rows(source) else source
    meta_json = json.dumps(jsonable(meta), ensure_ascii=False, allow_nan=False).encode("utf-8")
    schema = reader.schema.with_metadata({**(reader.schema.metadata or {}), META_KEY: meta_json})
    n = 0
    pending: list[pa.RecordBatch] = []
    size = 0
    with pq.ParquetWriter(sink, schema, compression="zstd") as writer:
        # small batches are gathered into row groups of about _ROW_GROUP rows
        for batch in reader:
            if batch.num_rows:
                pending.append(batch.replace_schema_metadata(schema.metadata))
                size += batch.num_rows
            if size >= _ROW_GROUP:
                writer.write_table(pa.Table.from_batches(pending, schema), row_group_size=_ROW_GROUP)
                n, pending, size = n + size, [], 0
        if pending:
            writer.write_table(pa.Table.from_batches(pending, schema), row_group_size=_ROW_GROUP)
            n += size
    return n


def _write_to_file(source: "pa.Table | pa.RecordBatchReader", meta: Mapping[str, Any], path: str, fmt: str,
                   extra: Mapping[str, Any] | None) -> int:
    if fmt == "parquet":
        return _write_parquet(source, meta, path)
    source, counter = _count_rows(source)
    if not source.schema.names:  # no columns: nothing DuckDB can select
        Path(path).write_bytes(b"\n" if fmt == "csv" else b"[]" if fmt == "json" else b"")
        if fmt != "json":
            return 0
    elif fmt in ("csv", "jsonl"):
        _duckdb_copy(source, fmt, path)
        if fmt == "csv" and counter[0] == 0:
            Path(path).write_bytes(_header_only(source.schema))
        return counter[0]
    # json: the rows array from DuckDB, spliced after the meta prefix
    body = path + ".rows"
    try:
        if source.schema.names:
            _duckdb_copy(source, "json", body)
        else:
            Path(body).write_bytes(b"[]")
        with open(path, "wb") as out, open(body, "rb") as rows:
            out.write(_json_prefix(meta, extra))
            shutil.copyfileobj(rows, out, 1 << 20)
            out.write(b"}\n")
    finally:
        try:
            os.unlink(body)
        except OSError:
            pass
    return counter[0]


def write_rows(
    table_or_batches: "pa.Table | pa.RecordBatchReader",
    meta: Mapping[str, Any],
    dest: str | os.PathLike[str] | IO[bytes],
    fmt: str,
    *,
    columns: Sequence[str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> int:
    """Write result rows held in Arrow as csv, json, jsonl or parquet; return the number of rows written.

    Parameters
    ----------
    table_or_batches : pyarrow.Table, pyarrow.RecordBatchReader, ParquetRows or DuckRows
        The rows (a list of row dicts is accepted too, for small results).
        A reader is consumed once, batch by batch; :class:`ParquetRows`
        are copied by DuckDB from their file, and rows the engine holds in a
        table (:class:`scrisk.engine.store.DuckRows`) by that engine.
    meta : dict
        The result's provenance: the json ``meta``, the parquet schema
        metadata ``b"scrisk"``; its ``inputs`` are never overwritten. csv
        and jsonl carry the rows only.
    dest : path or binary stream
        A path is written atomically (temporary file in the same folder,
        then moved over it); a stream (``sys.stdout.buffer``) is written to.
    fmt : {'csv', 'json', 'jsonl', 'parquet'}
    columns : list of str, optional
        Columns to write, in order (missing ones are empty); default all.
    extra : dict, optional
        Further top-level entries of the json object (``totals``,
        ``summary``...), written between ``meta`` and ``rows``.

    Raises
    ------
    UsageError
        An unknown format, or ``dest`` is one of ``meta["inputs"]`` (exit 2).
    UnreadableFileError
        ``dest`` cannot be written (exit 3); no partial file is left.

    Examples
    --------
    >>> import io, json, pyarrow as pa
    >>> t = pa.table({"hs": ["811292", "280530"], "hhi": [0.856, float("nan")]})
    >>> buf = io.BytesIO()
    >>> write_rows(t, {"inputs": ["flows.csv"]}, buf, "json")
    2
    >>> json.loads(buf.getvalue())
    {'meta': {'inputs': ['flows.csv']}, 'rows': [{'hs': '811292', 'hhi': 0.856}, {'hs': '280530', 'hhi': None}]}
    """
    fmt = getattr(fmt, "value", fmt)
    if fmt not in ROW_FORMATS:
        raise UsageError(f"cannot write rows as {fmt!r}; formats: {', '.join(ROW_FORMATS)}")
    source = _as_source(table_or_batches, columns)
    if _is_stream(dest):
        if fmt == "parquet":
            import pyarrow as pa

            n = _write_parquet(source, meta, pa.PythonFile(dest, mode="w"))
            _flush(dest)
            return n
        fd, tmp = tempfile.mkstemp(prefix="scrisk-", suffix="." + fmt)
        os.close(fd)
        try:
            n = _write_to_file(source, meta, tmp, fmt, extra)
            with open(tmp, "rb") as fh:
                shutil.copyfileobj(fh, dest, 1 << 20)  # type: ignore[arg-type]
            _flush(dest)
        finally:
            os.unlink(tmp)
        return n
    refuse_input_overwrite(dest, meta)  # type: ignore[arg-type]
    with atomic_output(dest) as tmp:  # type: ignore[arg-type]
        return _write_to_file(source, meta, tmp, fmt, extra)
