r"""The Spark engine: the indicator declarations compiled for Spark SQL, flows read where the cluster keeps them.

``--engine spark`` (or ``scrisk.engine.store.configure(engine="spark")``)
runs the part of a command that touches the flows on Apache Spark: reading
and checking the dataset, and the indicator query :func:`scrisk.engine.
indicators.indicator_sql` compiles from :data:`~scrisk.engine.indicators.
INDICATORS`. What comes back is one row per (year, importer, hs) as an
Arrow table -- the same table the DuckDB engine returns -- and everything
after it (ranking, flags, the "why" text, rendering, JSON) runs locally on
those rows, exactly as with DuckDB.

**One definition, two dialects.** There is no Spark copy of any metric: the
DuckDB SQL the declarations compile to is transpiled by `sqlglot
<https://sqlglot.com>`_ (``duckdb`` -> ``spark``), with a few explicit
rewrites for what has no Spark spelling (:func:`to_spark_sql`):

* ``fsum(x)`` (DuckDB's compensated sum) -> ``sum(x)``; the values are
  positive, so the relative error stays near 1e-16 per term;
* ``struct_pack(nv := a, e := b)`` -> ``named_struct('nv', a, 'e', b)``
  (``min`` over it orders by the fields, as in DuckDB);
* ``AS NOT MATERIALIZED`` CTE hints are dropped;
* the SQL macros of :data:`~scrisk.engine.indicators.MACROS` are inlined.

**Where the flows come from.** A folder, a Parquet file or an object-store
URL (``s3a://``, ``gs://``, ``abfss://``, ``dbfs:/``, ``hdfs://``...) is read
by Spark itself (:func:`load_dataset`): Hive partitions such as
``year=2024/period=202403/`` are discovered, the canonical columns kept, and
every row checked as the Parquet fast path checks it (year, HS code, value,
quantity, ISO3 codes, self-trade): accepted + rejected = read, with a reason
per rejected row. Other files (BACI CSV, Comtrade...) are read by scrisk's
readers on the driver and handed to Spark (:func:`to_spark`).

**The session.** :func:`session` starts (once per process) a SparkSession
on ``--spark-master``, else ``$SPARK_MASTER``, else whatever the standard
Spark configuration says (``spark-submit --master``, ``spark-defaults.conf``,
``PYSPARK_SUBMIT_ARGS``; pyspark's default is ``local[*]``). A master that
cannot be reached, a missing path or a failed job is one
:class:`SparkEngineError` line (exit 3).

Examples
--------
>>> print(to_spark_sql("SELECT fsum(v) AS s, min(struct_pack(nv := -v, e := exporter)) AS t FROM f"))
SELECT SUM(v) AS s, MIN(NAMED_STRUCT('nv', -v, 'e', exporter)) AS t FROM f
>>> pct = to_spark_sql("SELECT scrisk_pct(s) AS p FROM t")
>>> pct.startswith("SELECT CASE WHEN s IS NULL OR ISNAN(s) THEN '?'"), "BROUND(s * 100, 0)" in pct
(True, True)
"""

from __future__ import annotations

import itertools
import math
import os
import re
import shutil
import socket
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from scrisk.errors import InputError, UsageError
from scrisk.schema import FLOW_COLUMNS, FLOW_DTYPES, FlowMeta, FlowTable, ReadReport, period_label

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

__all__ = [
    "SparkEngineError",
    "SparkFlowTable",
    "SparkQueries",
    "session",
    "stop_session",
    "resolve_master",
    "to_spark_sql",
    "is_dataset_path",
    "load_dataset",
    "to_spark",
    "load",
]

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:/")


class SparkEngineError(InputError):
    """The Spark engine could not run: master unreachable, path missing, job failed (exit code 3)."""


# ------------------------------------------------------------------ the session

_session = None
_session_master: str | None = None


def resolve_master(master: str | None = None) -> str | None:
    """The master to use: ``master``, else ``$SPARK_MASTER``, else None (Spark's own configuration decides).

    Examples
    --------
    >>> resolve_master("local[2]")
    'local[2]'
    """
    return master or os.environ.get("SPARK_MASTER") or None


def _probe(master: str) -> None:
    """Fail fast, in one line, when a standalone or Spark Connect master does not answer."""
    m = re.match(r"^(spark|sc)://(.+)$", master)
    if not m:
        return
    hosts = m.group(2).split("/")[0].split(";")[0]
    default = 7077 if m.group(1) == "spark" else 15002
    last = None
    for hp in hosts.split(","):
        host, _, port = hp.rpartition(":") if ":" in hp else (hp, "", str(default))
        try:
            with socket.create_connection((host.strip("[]"), int(port)), timeout=5):
                return
        except (OSError, ValueError) as exc:
            last = exc
    raise SparkEngineError(
        f"cannot reach the Spark master {master} ({type(last).__name__}: {last}); check --spark-master or "
        "SPARK_MASTER and that the cluster is up"
    )


def _java_ok() -> bool:
    home = os.environ.get("JAVA_HOME")
    return bool(shutil.which("java") or (home and (Path(home) / "bin" / "java").exists()))


def _driver_memory(master: str | None) -> str | None:
    """The driver memory for a local Spark scrisk starts itself: a quarter of the RAM, 1 to 8 GB.

    In local mode the driver JVM is the whole of Spark, and pyspark's 1 GB
    default runs out on a few indicator queries. None (Spark's own setting)
    for other masters and when the user said how the driver starts
    (``SPARK_DRIVER_MEMORY``, ``PYSPARK_SUBMIT_ARGS``, ``SPARK_CONF_DIR`` or
    ``$SPARK_HOME/conf/spark-defaults.conf``).
    """
    if master is not None and not master.startswith("local"):
        return None
    if os.environ.get("SPARK_DRIVER_MEMORY") or os.environ.get("SPARK_CONF_DIR"):
        return None
    if os.environ.get("PYSPARK_SUBMIT_ARGS") not in (None, "", _own_submit_args):
        return None
    home = os.environ.get("SPARK_HOME")
    if home and (Path(home) / "conf" / "spark-defaults.conf").is_file():
        return None
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        ram = 8 << 30
    return f"{min(max(ram // 4 >> 30, 1), 8)}g"


def _quiet_python_log() -> None:
    """pyspark logs a failed query's error as a JSON record on stderr; scrisk reports it itself, in one line."""
    import logging

    try:
        from pyspark.logger import PySparkLogger
    except ImportError:  # pragma: no cover - older pyspark: no such loggers
        return
    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)


def _quiet_driver_log() -> None:
    """Start the driver JVM (when scrisk starts it) with errors-only logging, unless the user set how it starts."""
    if os.environ.get("PYSPARK_SUBMIT_ARGS") or os.environ.get("SPARK_CONF_DIR"):
        return
    global _own_submit_args
    conf = Path(__file__).resolve().parents[1] / "data" / "spark-log4j2.properties"
    if conf.is_file():
        _own_submit_args = f"--driver-java-options -Dlog4j2.configurationFile={conf.as_uri()} pyspark-shell"
        os.environ["PYSPARK_SUBMIT_ARGS"] = _own_submit_args


_own_submit_args: str | None = None  # the PYSPARK_SUBMIT_ARGS scrisk set itself (not the user's)


def session(master: str | None = None):
    """The process's SparkSession (started on first use; see the module docstring for the master).

    Raises
    ------
    UsageError
        pyspark is not installed (``pip install 'scrisk[spark]'``).
    SparkEngineError
        No Java runtime, the master cannot be reached, or Spark fails to start.
    """
    global _session, _session_master
    from scrisk.engine.store import settings

    master = resolve_master(master or settings().spark_master)
    if _session is not None and master in (None, _session_master):
        return _session
    try:
        import warnings

        # pyspark warns on import about pandas releases it has not certified; scrisk's results are checked
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support", category=FutureWarning)
        from pyspark.sql import SparkSession
    except ImportError:
        raise UsageError("--engine spark needs pyspark: pip install 'scrisk[spark]' (and a Java 17+ runtime)") from None
    if master is None or not master.startswith("sc://"):
        if not _java_ok():
            raise SparkEngineError("the Spark engine needs a Java runtime (17 or later): install one, e.g. "
                                   "apt-get install default-jre-headless, or set JAVA_HOME")
    if master:
        _probe(master)
    if _session is not None:
        stop_session()
    memory = _driver_memory(master)
    _quiet_driver_log()
    _quiet_python_log()
    builder = SparkSession.builder.appName("scrisk")
    if memory:
        builder = builder.config("spark.driver.memory", memory)
    connect = bool(master and master.startswith("sc://"))
    if connect:
        builder = builder.remote(master)
    elif master:
        builder = builder.master(master)
        if master.startswith("local"):
            builder = builder.config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
    try:
        _session = builder.getOrCreate()
        # the SQL semantics the declarations assume (NULL on division by zero, as DuckDB), also on a session
        # that already existed (spark-submit, Databricks)
        _session.conf.set("spark.sql.ansi.enabled", "false")
        _session.conf.set("spark.sql.session.timeZone", "UTC")
        _session.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
        if not connect:
            _session.sparkContext.setLogLevel("ERROR")
            if _session.sparkContext.master.startswith("local") and \
                    _session.conf.get("spark.sql.shuffle.partitions") == "200":
                # one machine: few shuffle partitions (adaptive execution merges them further)
                _session.conf.set("spark.sql.shuffle.partitions", str(max(2 * (os.cpu_count() or 1), 4)))
    except Exception as exc:  # noqa: BLE001 - one line at the boundary
        _session = None
        raise SparkEngineError(f"cannot start Spark on {master or 'the configured master'}: {_first_line(exc)}; "
                               "check --spark-master, SPARK_MASTER and the Java runtime") from None
    _session_master = master
    return _session


def stop_session() -> None:
    """Stop the process's SparkSession, if one was started."""
    global _session, _session_master
    if _session is not None:
        try:
            _session.stop()
        finally:
            _session, _session_master = None, None


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "desc", None) or exc).strip()
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("Traceback", "py4j", "JVM stacktrace")):
            return re.sub(r"\s+", " ", re.sub(r"\s*SQLSTATE: \w+\.?", "", line)).strip()[:400]
    return type(exc).__name__


class _errors:
    """Turn any Spark/py4j failure inside the block into one SparkEngineError line (``what`` says what was done)."""

    def __init__(self, what: str, path: str | None = None):
        self.what, self.path = what, path

    def __enter__(self):
        return self

    def __exit__(self, et, exc, tb):
        if exc is None or isinstance(exc, (InputError, UsageError)) or not isinstance(exc, Exception):
            return False
        msg = _first_line(exc)
        m = re.search(r"PATH_NOT_FOUND\]?\s*(.*)", msg)
        if m or "Path does not exist" in msg:
            raise SparkEngineError(f"{self.what}: the path does not exist where Spark runs "
                                   f"({(m.group(1) if m else msg).strip()}); check the path or URL",
                                   path=self.path) from None
        raise SparkEngineError(f"{self.what} failed on Spark: {msg}", path=self.path) from None


# ------------------------------------------------------------------ SQL: DuckDB dialect -> Spark

def _macros():
    import sqlglot

    from scrisk.engine.indicators import MACROS

    return {name: (args, sqlglot.parse_one(body, read="duckdb")) for name, (args, body) in MACROS.items()}


def to_spark_sql(sql: str, *, inline: dict[str, Sequence[str]] | None = None) -> str:
    """Transpile a query of the declarations' DuckDB dialect to Spark SQL (sqlglot, plus the rewrites above).

    ``inline`` maps small option tables (``_friends``) to their codes: ``x IN (SELECT code FROM _friends)``
    becomes ``x IN ('CAN', 'JPN', ...)``, because Spark takes no subquery inside an aggregate's FILTER.
    Decimal literals become doubles, as the declarations mean them.

    Examples
    --------
    >>> to_spark_sql("SELECT sum(v) FILTER (WHERE e IN (SELECT code FROM _friends)) * 0.5 FROM f", inline={"_friends": ["JPN"]})
    "SELECT SUM(v) FILTER(WHERE e IN ('JPN')) * CAST(0.5 AS DOUBLE) FROM f"
    """
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read="duckdb")
    macros = _macros()
    inline = dict(inline or {})

    def rewrite(node):
        agg = node.this if isinstance(node, exp.Filter) else node
        if isinstance(agg, exp.ArrayAgg) and isinstance(agg.this, exp.Order):
            where = node.expression.this if isinstance(node, exp.Filter) else None
            return _ordered_list(agg.this, where, rewrite)
        if isinstance(node, exp.In) and node.args.get("query") is not None:
            q = node.args["query"]
            q = q.this if isinstance(q, exp.Subquery) else q
            src = q.args.get("from") or q.args.get("from_")
            name = src.this.name if src is not None and isinstance(src.this, exp.Table) else None
            if name in inline:
                vals = [exp.Literal.string(v) for v in inline[name]] or [exp.Null()]
                return exp.In(this=node.this.transform(rewrite), expressions=vals)
        if isinstance(node, exp.Literal) and not node.is_string and re.search(r"[.eE]", node.this):
            return exp.Cast(this=node.copy(), to=exp.DataType.build("DOUBLE"))
        if isinstance(node, exp.Anonymous):
            name = str(node.this).lower()
            if name == "fsum":
                return exp.Sum(this=node.expressions[0])
            if name == "round_even":
                return exp.Anonymous(this="BROUND", expressions=[e.transform(rewrite) for e in node.expressions])
            if name in macros:
                args, body = macros[name]
                values = dict(zip(args, node.expressions))
                return body.copy().transform(
                    lambda n: values[n.name].copy() if isinstance(n, exp.Column) and n.name in values and not n.table
                    else n).transform(rewrite)
        if isinstance(node, exp.Struct):
            pairs = []
            for e in node.expressions:
                if isinstance(e, (exp.PropertyEQ, exp.Slice, exp.EQ)) or hasattr(e, "this") and e.args.get("expression"):
                    key = e.this.name if hasattr(e.this, "name") else str(e.this)
                    pairs += [exp.Literal.string(key), e.expression]
                else:
                    pairs += [exp.Literal.string(e.alias_or_name), e.unalias() if hasattr(e, "unalias") else e]
            return exp.Anonymous(this="NAMED_STRUCT", expressions=pairs)
        if isinstance(node, exp.CTE) and node.args.get("materialized") is not None:
            node.set("materialized", None)
        return node

    tree = tree.transform(rewrite)
    return tree.sql(dialect="spark")


def _ordered_list(order, where, rewrite):
    """``list(x ORDER BY k1 [DESC], ...) [FILTER (WHERE c)]`` for Spark, whose ``collect_list`` keeps no order.

    The values are collected with their keys as structs, sorted by a comparator that follows each key's
    direction and NULL placement (DuckDB's default: NULLS LAST), and the values taken back out.
    """
    import sqlglot

    def spark(e):
        return e.transform(rewrite).sql(dialect="spark")

    keys = list(order.expressions)
    fields = ", ".join([f"'v', {spark(order.this)}"] + [f"'k{i}', {spark(o.this)}" for i, o in enumerate(keys)])
    cases = []
    for i, o in enumerate(keys):
        first = -1 if o.args.get("nulls_first") else 1  # l NULL, r not: -1 puts l first
        before = 1 if o.args.get("desc") else -1  # l < r: -1 puts l first (ascending)
        cases += [f"WHEN l.k{i} IS NULL AND r.k{i} IS NOT NULL THEN {first}",
                  f"WHEN l.k{i} IS NOT NULL AND r.k{i} IS NULL THEN {-first}",
                  f"WHEN l.k{i} < r.k{i} THEN {before}", f"WHEN l.k{i} > r.k{i} THEN {-before}"]
    collected = f"COLLECT_LIST(NAMED_STRUCT({fields}))" + (f" FILTER (WHERE {spark(where)})" if where else "")
    text = f"TRANSFORM(ARRAY_SORT({collected}, (l, r) -> CASE {' '.join(cases)} ELSE 0 END), e -> e.v)"
    return sqlglot.parse_one(text, read="spark")


# ------------------------------------------------------------------ flows on Spark

_names = itertools.count()


class SparkFlowTable(FlowTable):
    """A flow table whose rows are a Spark DataFrame (canonical columns); ``meta`` and ``report`` as usual.

    Anything that needs the rows locally (``.frame``, a DuckDB query) gets
    them collected through Arrow; the indicator queries run on Spark.
    """

    def __init__(self, df, meta: FlowMeta, report: ReadReport, *, num_rows: int | None = None):
        self.df = df
        self._frame = None
        self.meta = meta
        self.report = report
        self.parquet = ()
        self._num_rows = num_rows
        self._view: str | None = None

    @property
    def frame(self):
        if self._frame is None:
            import pandas as pd
            import pyarrow as pa

            with _errors("collecting the flows"):
                tab = self.df.toArrow()
            self._frame = tab.to_pandas(
                types_mapper={pa.string(): pd.StringDtype(), pa.large_string(): pd.StringDtype()}.get
            ).astype(FLOW_DTYPES)[list(FLOW_COLUMNS)]
            self._num_rows = len(self._frame)
        return self._frame

    @frame.setter
    def frame(self, value) -> None:  # pragma: no cover - a collected table stays a Spark table
        self._frame = value

    def __len__(self) -> int:
        if self._num_rows is None:
            with _errors("counting the flows"):
                self._num_rows = int(self.df.count())
        return int(self._num_rows)

    def __repr__(self) -> str:
        return f"SparkFlowTable({len(self)} rows on Spark, years={self.years})"

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(int(y) for y in self.meta.years)

    def view(self) -> str:
        """A temporary view of the rows in the Spark session (its name)."""
        if self._view is None:
            self._view = f"_scrisk_flows_{next(_names)}"
            self.df.createOrReplaceTempView(self._view)
        return self._view


def is_spark_table(table: Any) -> bool:
    """True for a :class:`SparkFlowTable`."""
    return isinstance(table, SparkFlowTable)


def is_dataset_path(path: str | Path) -> bool:
    """True for what Spark reads itself: a URL, a folder, or a ``.parquet`` file.

    Examples
    --------
    >>> is_dataset_path("s3a://bucket/baci/"), is_dataset_path("baci.csv"), is_dataset_path("x.parquet")
    (True, False, True)
    """
    s = str(path)
    if _URL.match(s) and not re.match(r"^[A-Za-z]:[\\/]", s):
        return True
    p = Path(os.path.expanduser(s))
    return p.is_dir() or p.suffix.lower() == ".parquet"


def _valid_sql(codes: Sequence[str]) -> dict[str, str]:
    """The row checks of a canonical dataset, each a Spark SQL condition that must hold (in order)."""
    iso = ", ".join("'" + c + "'" for c in codes)
    return {
        "bad year": "year IS NOT NULL AND year BETWEEN 1900 AND 2100",
        "malformed HS code": "hs IS NOT NULL AND (hs RLIKE '^[0-9]{6}$' OR hs RLIKE '^[0-9]{8,10}$')",
        "non-numeric value": "value_usd IS NOT NULL AND NOT isnan(value_usd) AND abs(value_usd) < double('inf')",
        "negative value": "value_usd >= 0",
        "negative quantity": "qty_kg IS NULL OR isnan(qty_kg) OR (qty_kg >= 0 AND qty_kg < double('inf'))",
        "unknown country code": f"exporter IN ({iso}) AND importer IN ({iso})",
        "self-trade": "exporter <> importer",
    }


def _reason_names() -> dict[str, str]:
    from scrisk.io import reasons as R

    want = {"bad year": "BAD_YEAR", "malformed HS code": "BAD_HS", "non-numeric value": "BAD_VALUE",
            "negative value": "NEGATIVE_VALUE", "negative quantity": "NEGATIVE_QTY",
            "unknown country code": "UNKNOWN_COUNTRY", "self-trade": "SELF_TRADE"}
    return {k: getattr(R, v, k) for k, v in want.items()}


def _read_root(spark, loc: str):
    """One input as a DataFrame: a local folder's ``*.parquet`` files only (partitions discovered from the folder),
    anything else as Spark reads it."""
    p = Path(loc)
    if _URL.match(loc) or not p.is_dir():
        return spark.read.parquet(loc)
    files = sorted(str(f) for f in p.rglob("*.parquet")
                   if f.is_file() and not any(part.startswith(("_", ".")) for part in f.relative_to(p).parts))
    if not files:
        raise InputError("the folder holds no Parquet files; convert the trade files with scrisk convert", path=loc)
    return spark.read.option("basePath", str(p)).parquet(*files)


def load_dataset(paths: Sequence[str | Path], options=None, *, check_keys: bool = True) -> SparkFlowTable:
    """Read Parquet datasets (folders, files, URLs) on Spark into a checked flow table.

    Hive partitions (``year=``, ``period=``...) are discovered; the canonical
    columns are kept (``qty_kg`` may be absent); ``--year``/``--hs`` filters
    are pushed into the scan. Rows that break a canonical check are rejected
    with their reason and counted (``report``); a key (year, exporter,
    importer, hs) that repeats is an error, as the order of the rows -- and
    so "the first row is kept" -- has no meaning on a cluster.
    """
    from pyspark.sql import functions as F

    from scrisk.countries import CountryTable
    from scrisk.engine.baci_scan import hs_filter_sql
    from scrisk.engine.convert import dataset_meta
    from scrisk.io.options import ReadOptions

    options = options or ReadOptions()
    spark = session()
    labels = [str(p) for p in paths]
    where = ", ".join(labels)
    locs = [os.path.expanduser(s) if not _URL.match(s) else s for s in labels]
    for s in locs:
        if not _URL.match(s) and not Path(s).exists():
            raise SparkEngineError("no such file or folder; check the path", path=s)
    with _errors("reading the dataset", where):
        frames = [_read_root(spark, s) for s in locs]
        df = frames[0]
        for other in frames[1:]:
            df = df.unionByName(other, allowMissingColumns=True)
        cols = set(df.columns)
        # qty_kg, month and hs_revision may be absent (a dataset written before the flow table had them): nulls
        missing = [c for c in FLOW_COLUMNS if c not in cols and c not in ("qty_kg", "month", "hs_revision")]
        if missing:
            raise InputError(f"the dataset lacks the canonical column(s) {', '.join(missing)} (it has "
                             f"{', '.join(sorted(cols))}); write it with scrisk convert", path=where)
        types = {"year": "bigint", "month": "tinyint", "exporter": "string", "importer": "string", "hs": "string",
                 "value_usd": "double", "qty_kg": "double", "hs_revision": "string"}
        sel = [F.col(c).cast(types.get(c, "string")).alias(c) if c in cols else F.lit(None).cast(types[c]).alias(c)
               for c in FLOW_COLUMNS]
        revisions = []
        if "hs_revision" in cols and "hs_revision" not in FLOW_COLUMNS:
            sel.append(F.col("hs_revision").cast("string").alias("_rev"))
        df = df.select(*sel)
        filters = []
        if options.years:
            filters.append(f"year IN ({', '.join(str(int(y)) for y in options.years)})")
        if options.hs:
            filters.append(to_spark_expr(hs_filter_sql("hs", options.hs)))
        for f in filters:
            df = df.where(f)
        table = CountryTable.bundled()
        codes = sorted(table.iso3_codes("country") | table.iso3_codes("area"))
        checks = _valid_sql(codes)
        names = _reason_names()
        # the first failed check is the row's reason (coalesce: a NULL check fails)
        reason = "CASE " + " ".join(f"WHEN NOT coalesce({c}, false) THEN '{names[k]}'" for k, c in checks.items()) + " END"
        df = df.withColumn("_reason", F.expr(reason))
        # one scan for the row accounting, the periods and the HS revisions: counts per (reason, period, revision)
        aggs = [F.count(F.lit(1)).alias("n"), F.sum(F.when(F.col("_reason").isNull(), F.col("value_usd"))).alias("v")]
        by = ["_reason", "year", "month"] + (["_rev"] if "_rev" in df.columns else [])
        groups = df.groupBy(*by).agg(*aggs).collect()
        years = sorted({int(r["year"]) for r in groups if r["_reason"] is None})
        periods = sorted({period_label(int(r["year"]), None if r["month"] is None else int(r["month"]))
                          for r in groups if r["_reason"] is None})
        if "_rev" in df.columns:
            revisions = sorted({r["_rev"] for r in groups if r["_reason"] is None and r["_rev"]})
        good = df.where("_reason IS NULL").select(*FLOW_COLUMNS)
        if check_keys:
            dups = good.groupBy("year", "exporter", "importer", "hs").count().where("count > 1").limit(3).collect()
            if dups:
                ex = ", ".join("/".join(str(r[c]) for c in ("year", "exporter", "importer", "hs")) for r in dups)
                raise InputError(f"keys (year, exporter, importer, hs) repeat in the dataset (e.g. {ex}); a "
                                 "canonical dataset has one row per key: write it with scrisk convert", path=where)
    reasons: Counter = Counter()
    value_rej: dict[str, float] = {}
    accepted = sum(int(r["n"]) for r in groups if r["_reason"] is None)
    value_acc = math.fsum(float(r["v"] or 0.0) for r in groups if r["_reason"] is None)
    for r in groups:
        if r["_reason"] is not None:
            reasons[r["_reason"]] += int(r["n"])
    rejected = sum(reasons.values())
    from scrisk.io.reader import _empty_rejected, _one

    recorded = [dataset_meta(s) for s in locs if not _URL.match(s) and Path(s).is_dir()]
    hs_rev = _one(revisions) or _one([m.get("hs_revision") for m in recorded if m]) or options.hs_revision
    release = _one([m.get("release") for m in recorded if m])
    report = ReadReport(
        rows_read=accepted + rejected, rows_accepted=accepted, rows_rejected=rejected, reasons=reasons,
        value_usd_accepted=value_acc, value_usd_rejected=value_rej, rejected=_empty_rejected(),
        files=[{"file": where, "input": where, "source_format": "parquet", "encoding": None, "hs_revision": hs_rev,
                "release": release, "rows_read": accepted + rejected, "rows_accepted": accepted,
                "rows_rejected": rejected, "reasons": dict(sorted(reasons.items())), "value_usd_accepted": value_acc}],
    )
    report.check()
    notes = (f"read on Spark ({spark.sparkContext.master if hasattr(spark, 'sparkContext') else 'Spark Connect'}); "
             "rejected rows are counted by reason, not listed",) if rejected else ()
    meta = FlowMeta(source_format="parquet", hs_revision=hs_rev, inputs=tuple(labels), years=tuple(sorted(years)),
                    release=release, notes=notes, periods=tuple(periods))
    return SparkFlowTable(good, meta, report, num_rows=accepted)


def to_spark(table: FlowTable) -> SparkFlowTable:
    """Hand a flow table read on the driver to Spark (meta and read report kept)."""
    spark = session()
    with _errors("sending the flows to Spark"):
        master = spark.sparkContext.master if hasattr(spark, "sparkContext") else ""
        if not table.in_memory and table.parquet and master.startswith("local"):
            # the same machine: Spark reads the flow store's Parquet files where they are
            df = spark.read.parquet(*table.parquet).select(*FLOW_COLUMNS)
        else:
            from scrisk.engine.store import frame_to_arrow

            # the types load_dataset reads (bigint year, tinyint month): the same columns out of either path
            tab = frame_to_arrow(table.frame)
            # checkpointed: the rows live in the executors' blocks, not in the query plan as a local relation
            # (which Spark's optimizer would copy into every reference of the flows: slow, and out of driver memory)
            df = spark.createDataFrame(tab).localCheckpoint()
    return SparkFlowTable(df, table.meta, table.report, num_rows=len(table))


def load(paths: Iterable[str | Path] | None, options=None, *, local=None) -> SparkFlowTable:
    """Load inputs for the Spark engine: datasets read by Spark, other files by scrisk's readers (then sent).

    ``local(paths, options)`` reads files on the driver (default: the DuckDB engine's reader).
    """
    from scrisk.io.options import ReadOptions

    if local is None:
        from scrisk.api import _read_local as local
    options = options or ReadOptions()
    paths = list(paths or [])
    if paths and all(is_dataset_path(p) for p in paths):
        return load_dataset(paths, options)
    if any(is_dataset_path(p) for p in paths):
        raise UsageError("--engine spark reads either Parquet datasets (folders, .parquet, URLs) or trade files "
                         "(CSV...), not both at once; convert the files with scrisk convert")
    return to_spark(local(paths, options))


def to_spark_expr(duckdb_expr: str) -> str:
    """Transpile one DuckDB-dialect condition or expression to Spark SQL."""
    sql = to_spark_sql(f"SELECT {duckdb_expr} AS x")
    return sql[len("SELECT "):].rsplit(" AS x", 1)[0]


# ------------------------------------------------------------------ queries

class SparkQueries:
    """Run DuckDB-dialect queries of the declarations on Spark; results come back as Arrow tables.

    ``register`` sends a small local frame (the ``_friends`` and ``_wgi``
    option tables...) as a temporary view; ``source`` names a table's
    flows; :meth:`arrow` transpiles and runs a query. The calls are those of
    :class:`scrisk.engine.store.DuckQueries`, so code such as the leverage
    lens runs on either engine.
    """

    def __init__(self):
        self.spark = session()
        self._views: list[str] = []
        self._inline: dict[str, list[str]] = {}

    def register(self, name: str, frame) -> None:
        import pyarrow as pa

        tab = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
        with _errors(f"sending {name} to Spark"):
            self.spark.createDataFrame(tab).createOrReplaceTempView(name)
        self._views.append(name)

    def prepare(self, *, friendly: Iterable[str] | None = None, wgi=None) -> list[str]:
        """The option tables of :func:`scrisk.engine.indicators.prepare`, as Spark views; the options in use."""
        import pyarrow as pa

        opts = []
        if friendly is not None:
            codes = sorted(set(friendly))
            self.register("_friends", pa.table({"code": pa.array(codes, pa.string())}))
            self._inline["_friends"] = codes
            opts.append("friendly")
        if wgi is not None:
            rows = [(str(k), float(v)) for k, v in wgi.items() if v == v]
            self.register("_wgi", pa.table({"code": pa.array([r[0] for r in rows], pa.string()),
                                            "score": pa.array([r[1] for r in rows], pa.float64())}))
            opts.append("wgi")
        return opts

    @staticmethod
    def source(table: SparkFlowTable) -> str:
        return table.view()

    def arrow(self, sql: str, what: str = "the indicator query") -> "pa.Table":
        text = to_spark_sql(sql, inline=self._inline)
        with _errors(what):
            return self.spark.sql(text).toArrow()

    def rows(self, sql: str, what: str = "a query") -> list[tuple]:
        return [tuple(r.values()) for r in self.arrow(sql, what).to_pylist()]

    def columns(self, source: str) -> list[str]:
        """The column names of a table expression (planned, not run)."""
        with _errors("reading the columns"):
            return list(self.spark.sql(to_spark_sql(f"SELECT * FROM {source}", inline=self._inline)).columns)

    def close(self) -> None:
        for v in self._views:
            try:
                self.spark.catalog.dropTempView(v)
            except Exception:  # noqa: BLE001 - best effort
                pass
        self._views = []


def indicator_rows(table: SparkFlowTable, *, friendly: Iterable[str] | None = None, wgi=None, screen: bool = False,
                   where: str = "", **compile_args: Any) -> "pa.Table":
    """Every indicator per (year, importer, hs) of a Spark table, as the Arrow table the DuckDB engine gives.

    ``compile_args`` go to :func:`scrisk.engine.indicators.indicator_sql`
    (years, importers, hs, params, output_years); ``where`` filters its rows.
    Sorted by year, importer, hs.
    """
    from scrisk.engine.indicators import indicator_sql

    q = SparkQueries()
    try:
        opts = q.prepare(friendly=friendly, wgi=wgi)
        if screen:
            opts.append("screen")
        sql = indicator_sql(q.source(table), options=opts, **compile_args)
        if where:
            sql = f"SELECT * FROM ({sql}) AS _i WHERE {where}"
        tab = q.arrow(sql)
    finally:
        q.close()
    return tab.sort_by([("year", "ascending"), ("importer", "ascending"), ("hs", "ascending")])
