"""Parquet trade files: read through the tidy column mapping, batch by batch.

Any Parquet file whose columns the tidy mapping resolves (``exporter``,
``importer``, ``hs``/``hs6``, ``value_usd``..., a ``year`` or ``period``
column with years or ``YYYYMM`` periods) is read; ``scrisk convert``'s
canonical flow Parquet is used in place by the flow store when every row
passes (:mod:`scrisk.engine.ingest`). "Line" numbers are 1-based record
numbers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from scrisk.errors import UnreadableFileError
from scrisk.io._format import Format
from scrisk.io._scan import Scan
from scrisk.io._stage import FileResult, make_keep
from scrisk.io.formats.tidy import judge_tidy, resolve_tidy, tidy_mapper
from scrisk.io.sniff import exc_text

__all__ = ["FORMAT", "read_parquet"]


def _as_strings(batch: pa.RecordBatch) -> pa.RecordBatch:
    cols = []
    for col in batch.columns:
        t = col.type
        if pa.types.is_dictionary(t):
            col = col.dictionary_decode()
            t = col.type
        if pa.types.is_string(t):
            out = col
        elif pa.types.is_large_string(t) or pa.types.is_string_view(t):
            out = col.cast(pa.string())
        else:
            try:
                out = pc.cast(col, pa.string())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                out = pa.array([None if v is None else str(v) for v in col.to_pylist()], type=pa.string())
        cols.append(pc.fill_null(out, ""))
    return pa.RecordBatch.from_arrays(cols, names=batch.schema.names)


def read_parquet(path: Path, options) -> FileResult:
    """Read a Parquet file through the tidy column mapping (filters applied batch by batch)."""
    import pyarrow.parquet as pq

    label = str(path)
    try:
        pf = pq.ParquetFile(path)
        names = tuple(pf.schema_arrow.names)
    except (pa.ArrowException, OSError, ValueError, IndexError, TypeError) as exc:
        raise UnreadableFileError(f"not a readable Parquet file ({exc_text(exc)}); write it again", path=label) from None
    header = tuple(names)
    spec = resolve_tidy(header, options, label)
    keep = make_keep(spec.columns.get("year"), spec.columns["hs"], options.years, options.hs, spec.fixed_year)
    schema = pa.schema([(n, pa.string()) for n in header])
    kept, kept_pos, pos = [], [], 0
    try:
        for batch in pf.iter_batches(batch_size=1 << 16):
            sb = _as_strings(batch)
            idx = np.arange(pos, pos + sb.num_rows, dtype=np.int64)
            mask = keep(sb) if keep is not None else None
            if mask is not None:
                sb = sb.filter(pa.array(mask))
                idx = idx[mask]
            kept.append(sb)
            kept_pos.append(idx)
            pos += batch.num_rows
    except (pa.ArrowException, OSError, ValueError, IndexError, TypeError) as exc:
        raise UnreadableFileError(f"cannot read Parquet data ({exc_text(exc)}); write it again", path=label) from None
    table = pa.Table.from_batches(kept, schema=schema) if kept else schema.empty_table()
    lines = (np.concatenate(kept_pos) + 1) if kept_pos else np.zeros(0, dtype=np.int64)
    scan = Scan(label=label, header=header, table=table, lines=lines, invalid=[])
    res = judge_tidy(scan, spec, tidy_mapper(options), label=label, fmt="parquet", encoding=None, options=options)
    res.input_path = label
    return res


def read_file(path: Path, src, options) -> list[FileResult]:
    """Read one Parquet file (the registry's entry point)."""
    return [read_parquet(path, options)]


FORMAT = Format("parquet", "parquet", read_file, None, "Parquet through the tidy column mapping (canonical flows in place)")
