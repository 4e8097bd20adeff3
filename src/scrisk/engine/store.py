"""The flow store: DuckDB over the canonical flow table, in Parquet files or in memory.

Every command runs its measures as SQL in one embedded DuckDB connection
(:func:`connect`). The flows it reads are either the Parquet files the
readers wrote (the input cache, :mod:`scrisk.engine.cache`) or a pandas
frame registered as a view, so a table built by hand and a 270-million-row
BACI history go through the same queries.

Work larger than memory spills to disk: :func:`configure` (the CLI's
``--memory-limit`` and ``--temp-dir``, or the ``SCRISK_MEMORY_LIMIT`` and
``SCRISK_TEMP_DIR`` environment variables) sets DuckDB's memory limit and
the directory it spills to.

Examples
--------
>>> import pandas as pd
>>> from scrisk.schema import make_flow_table
>>> t = make_flow_table(pd.DataFrame({"year": [2024, 2024], "exporter": ["CHN", "JPN"],
...     "importer": ["KOR", "KOR"], "hs": ["811292", "811292"], "value_usd": [9.0, 1.0]}))
>>> con = connect()
>>> con.execute(f"SELECT sum(value_usd) FROM {flow_source(con, t)}").fetchone()[0]
10.0
"""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Iterable

from scrisk.errors import UsageError

if TYPE_CHECKING:  # pragma: no cover
    import duckdb
    import pandas as pd
    import pyarrow as pa

    from scrisk.schema import FlowTable

__all__ = [
    "EngineSettings",
    "configure",
    "settings",
    "connect",
    "flow_source",
    "sql_list",
    "sql_str",
    "parquet_to_frame",
    "parquet_rows",
    "arrow_table",
    "DuckRows",
    "DuckQueries",
    "queries_for",
]

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B|B)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class EngineSettings:
    """How DuckDB may use the machine.

    Attributes
    ----------
    memory_limit : str or None
        DuckDB memory limit such as ``"4GB"`` (None: DuckDB's default, 80 % of RAM).
    temp_directory : str or None
        Where work larger than memory spills (None: DuckDB's default, next to the database).
    threads : int or None
        Worker threads (None: one per core).
    engine : str
        ``duckdb`` (default) or ``spark``: where the indicator queries over the flows run
        (:mod:`scrisk.engine.spark`).
    spark_master : str or None
        The Spark master URL (None: ``$SPARK_MASTER``, else Spark's own configuration).
    """

    memory_limit: str | None = None
    temp_directory: str | None = None
    threads: int | None = None
    engine: str = "duckdb"
    spark_master: str | None = None


_settings = EngineSettings(
    memory_limit=os.environ.get("SCRISK_MEMORY_LIMIT") or None,
    temp_directory=os.environ.get("SCRISK_TEMP_DIR") or None,
    engine=os.environ.get("SCRISK_ENGINE") or "duckdb",
)

ENGINES = ("duckdb", "spark")
"""The engines the indicator queries can run on."""


def check_memory_limit(text: str) -> str:
    """Check a memory size such as ``4GB``, ``512MB`` or ``2GiB`` and return it normalised.

    Examples
    --------
    >>> check_memory_limit("4gb"), check_memory_limit("1.5 GiB")
    ('4GB', '1.5GiB')
    """
    m = _SIZE.match(str(text))
    if not m:
        raise UsageError(f"--memory-limit {text!r} is not a size; write it like 4GB, 512MB or 2GiB")
    unit = (m.group(2) or "B").upper().replace("IB", "iB")
    return f"{m.group(1)}{unit}"


def configure(*, memory_limit: str | None = None, temp_directory: str | None = None, threads: int | None = None,
              engine: str | None = None, spark_master: str | None = None) -> EngineSettings:
    """Set the engine settings for connections opened from now on; return them.

    Arguments left as None keep their current value.
    """
    global _settings
    changes: dict = {}
    if engine is not None:
        if engine not in ENGINES:
            raise UsageError(f"--engine {engine!r} is not one of {', '.join(ENGINES)}")
        changes["engine"] = engine
    if spark_master is not None:
        changes["spark_master"] = str(spark_master) or None
    if memory_limit is not None:
        changes["memory_limit"] = check_memory_limit(memory_limit)
    if temp_directory is not None:
        changes["temp_directory"] = str(temp_directory)
    if threads is not None:
        if threads < 1:
            raise UsageError(f"--threads {threads} must be at least 1")
        changes["threads"] = int(threads)
    _settings = replace(_settings, **changes)
    return _settings


def settings() -> EngineSettings:
    """The settings new connections get."""
    return _settings


def engine_config(default_memory_limit: str | None = None) -> dict[str, str]:
    """The DuckDB configuration of the engine settings (``default_memory_limit`` when no limit is set)."""
    config: dict[str, str] = {}
    s = _settings
    if s.memory_limit or default_memory_limit:
        config["memory_limit"] = s.memory_limit or default_memory_limit
    if s.temp_directory:
        config["temp_directory"] = s.temp_directory
    if s.threads:
        config["threads"] = str(s.threads)
    return config


def connect() -> "duckdb.DuckDBPyConnection":
    """Open an in-memory DuckDB connection with the engine settings applied."""
    import duckdb

    config = engine_config()
    try:
        con = duckdb.connect(":memory:", config=config)
    except duckdb.Error as exc:
        raise UsageError(f"cannot start the engine with {config}: {str(exc).splitlines()[0]}") from None
    con.execute("SET preserve_insertion_order = false")
    return con


def sql_str(value: str) -> str:
    """Quote a string as a SQL literal.

    Examples
    --------
    >>> sql_str("O'Brien")
    "'O''Brien'"
    """
    return "'" + str(value).replace("'", "''") + "'"


def sql_list(values: Iterable[str]) -> str:
    """A SQL list literal of strings: ``['a', 'b']``."""
    return "[" + ", ".join(sql_str(v) for v in values) + "]"


_names = itertools.count()


def flow_source(con: "duckdb.DuckDBPyConnection", table: "FlowTable") -> str:
    """Return a SQL table expression over the table's flows in ``con``.

    Parquet-backed tables are scanned where they are (``read_parquet``);
    in-memory frames are registered as a view (no copy).
    """
    if not table.in_memory and table.parquet:
        return f"read_parquet({sql_list(table.parquet)}, hive_partitioning = false)"
    name = f"_flows_{next(_names)}"
    con.register(name, table.frame)
    return name


class DuckQueries:
    """Queries of the declarations on a DuckDB connection, with the calls of :class:`scrisk.engine.spark.SparkQueries`.

    Code that runs on either engine (the leverage lens) takes one of the two:
    ``source(table)`` names a table's flows, ``register(name, frame)`` adds a
    small table (Arrow or pandas), ``arrow(sql)`` and ``rows(sql)`` run a
    query of the declarations' dialect, ``columns(source)`` names a table
    expression's columns, ``close()`` ends. :func:`queries_for`
    picks the engine from the table.
    """

    def __init__(self, con: "duckdb.DuckDBPyConnection | None" = None):
        self.con = con if con is not None else connect()

    def source(self, table: "FlowTable") -> str:
        return flow_source(self.con, table)

    def register(self, name: str, frame) -> None:
        self.con.register(name, frame)

    def arrow(self, sql: str, what: str = "a query") -> "pa.Table":
        return arrow_table(self.con.sql(sql))

    def rows(self, sql: str, what: str = "a query") -> list[tuple]:
        return self.con.execute(sql).fetchall()

    def columns(self, source: str) -> list[str]:
        """The column names of a table expression (nothing is read)."""
        return list(self.con.sql(f"SELECT * FROM {source} LIMIT 0").columns)

    def close(self) -> None:
        self.con.close()


def queries_for(table: "FlowTable"):
    """Where queries over ``table`` run: on Spark for a Spark table, else on a new DuckDB connection."""
    from scrisk.engine.spark import SparkQueries, is_spark_table

    return SparkQueries() if is_spark_table(table) else DuckQueries()


def arrow_table(rel) -> "pa.Table":
    """Materialise a DuckDB relation as a :class:`pyarrow.Table`."""
    import pyarrow as pa

    got = rel.arrow()
    return got.read_all() if isinstance(got, pa.RecordBatchReader) else got


class DuckRows:
    """Result rows kept in a table of an open DuckDB connection: counted, their first rows as dicts, Arrow on demand.

    A command that shows a few rows (the terminal table) reads them as plain
    Python values (:meth:`head_rows`) without building Arrow at all (nor
    importing pyarrow); :meth:`to_arrow` materialises every row once and
    closes the connection. The connection is closed when the object goes
    too.

    Examples
    --------
    >>> con = connect()
    >>> _ = con.execute("CREATE TEMP TABLE t AS SELECT * FROM (VALUES (2, 'b'), (1, 'a')) v(rank, hs)")
    >>> rows = DuckRows(con, "t", order="rank")
    >>> rows.num_rows, rows.head_rows(1)
    (2, [{'rank': 1, 'hs': 'a'}])
    >>> rows.to_arrow().column("hs").to_pylist()
    ['a', 'b']
    """

    def __init__(self, con: "duckdb.DuckDBPyConnection", name: str, *, order: str):
        import weakref

        self._con = con
        self._name, self._order = name, order
        self._query = f"SELECT * FROM {name} ORDER BY {order}"
        # results are fetched to the end: a result left open blocks the relations the other methods read through
        self.num_rows = int(con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0])
        self._close = weakref.finalize(self, con.close)
        self._arrow = None

    def __len__(self) -> int:
        return self.num_rows

    def head_rows(self, n: int | None) -> list[dict]:
        """The first ``n`` rows (all when None) as dicts of Python values (what Arrow's ``to_pylist`` gives)."""
        if self._arrow is not None:
            return (self._arrow if n is None else self._arrow.slice(0, n)).to_pylist()
        cur = self._con.execute(self._query + ("" if n is None else f" LIMIT {int(n)}"))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]

    def to_arrow(self) -> "pa.Table":
        """Every row as a :class:`pyarrow.Table` (built once; the connection is closed then)."""
        if self._arrow is None:
            self._arrow = arrow_table(self._con.sql(self._query))
            self._close()
        return self._arrow

    @property
    def schema(self) -> "pa.Schema":
        """The rows' Arrow schema (no row is read)."""
        if self._arrow is not None:
            return self._arrow.schema
        return arrow_table(self._con.sql(self._query + " LIMIT 0")).schema

    def head(self, n: int | None) -> "pa.Table":
        """The first ``n`` rows (all when None) as a :class:`pyarrow.Table`, reading no more than those."""
        if n is None or self._arrow is not None:
            tab = self.to_arrow()
            return tab if n is None else tab.slice(0, n)
        return arrow_table(self._con.sql(f"{self._query} LIMIT {int(n)}"))

    def to_reader(self, batch_rows: int = 1 << 17) -> "pa.RecordBatchReader":
        """The rows as Arrow batches, streamed from the engine (none held in Python at once)."""
        if self._arrow is not None:
            return self._arrow.to_reader()
        return self._con.sql(self._query).to_arrow_reader(batch_rows)

    def copy_to(self, select: str, path: str, options: str, *, memory_limit: str | None = None) -> None:
        """``COPY`` the rows, in order, through the projection ``select`` to ``path`` on the engine's connection.

        The rows go from the engine's table to the file without passing through
        Arrow or Python. ``memory_limit`` applies while copying when the
        engine has none of its own (``--memory-limit``).
        """
        if self._arrow is not None:
            raise RuntimeError("the rows were moved to Arrow; copy those")
        target = sql_str(path)
        limit = memory_limit and not settings().memory_limit
        run = lambda sql: self._con.execute(sql).fetchall()  # noqa: E731
        run("SET preserve_insertion_order = true")
        if limit:
            run(f"SET memory_limit = {sql_str(memory_limit)}")
        try:
            run(f"COPY (SELECT {select} FROM {self._name} AS _rows ORDER BY _rows.{self._order}) TO {target} ({options})")
        finally:
            run("SET preserve_insertion_order = false")
            if limit:
                run("RESET memory_limit")


def frame_to_arrow(frame: "pd.DataFrame") -> "pa.Table":
    """A canonical flow frame as an Arrow table of the canonical columns and the flow store's types.

    The inverse of :func:`parquet_to_frame`: ``year`` int64, ``month`` int8, text as string, numbers as double.

    Examples
    --------
    >>> from scrisk.schema import empty_flows
    >>> str(frame_to_arrow(empty_flows()).schema.field("month").type)
    'int8'
    """
    import pyarrow as pa

    from scrisk.schema import FLOW_COLUMNS, FLOW_DTYPES

    kinds = {"int64": pa.int64(), "Int8": pa.int8(), "string": pa.string(), "float64": pa.float64()}
    tab = pa.Table.from_pandas(frame[list(FLOW_COLUMNS)], preserve_index=False)
    return tab.cast(pa.schema([(c, kinds[FLOW_DTYPES[c]]) for c in FLOW_COLUMNS]))


def parquet_to_frame(paths: Iterable[str]) -> "pd.DataFrame":
    """Read canonical flow Parquet files into a pandas frame with the canonical dtypes."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    from scrisk.schema import FLOW_COLUMNS, complete_flows, empty_flows

    paths = list(paths)
    if not paths:
        return empty_flows()
    frames = []
    for p in paths:
        names = set(pq.ParquetFile(p).schema_arrow.names)
        # Parquet written before month/hs_revision existed lacks them: they are null there
        tab = pq.read_table(p, columns=[c for c in FLOW_COLUMNS if c in names])
        frames.append(complete_flows(tab.to_pandas(
            types_mapper={pa.string(): pd.StringDtype(), pa.large_string(): pd.StringDtype()}.get)))
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def parquet_rows(paths: Iterable[str]) -> int:
    """Number of rows in Parquet files, from their footers."""
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(p).metadata.num_rows for p in paths)
