"""A result that holds its rows as an Arrow table with a ``meta`` block: the shape of the lens commands' results.

``to_dict()`` is the JSON contract ``{"meta": ..., "rows": [...]}``; ``to_arrow()`` lets ``cli/output.emit``
stream csv, json, jsonl and parquet without one Python object per row.

Examples
--------
>>> import pyarrow as pa
>>> r = RowsResult(pa.table({"hs": ["811292"], "share": [0.5]}), {"year": 2024})
>>> len(r), r.to_dict()
(1, {'meta': {'year': 2024}, 'rows': [{'hs': '811292', 'share': 0.5}]})
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["RowsResult", "pick_year"]


class RowsResult:
    """Rows (a :class:`pyarrow.Table`, or a DataFrame converted once) and ``meta``."""

    def __init__(self, table, meta: dict[str, Any]):
        pandas = sys.modules.get("pandas")  # a DataFrame exists only once pandas is imported
        if pandas is not None and isinstance(table, pandas.DataFrame):
            import pyarrow as pa

            table = pa.Table.from_pandas(table, preserve_index=False)
        self._table = table
        self.meta = meta

    def __len__(self) -> int:
        return self._table.num_rows

    def to_arrow(self):
        """The rows as a :class:`pyarrow.Table`."""
        return self._table

    def to_pandas(self) -> pd.DataFrame:
        """The rows as a DataFrame (strings as the ``string`` dtype)."""
        import pandas as pd
        import pyarrow as pa

        return self._table.to_pandas(types_mapper={pa.string(): pd.StringDtype()}.get)

    def to_dict(self) -> dict[str, Any]:
        """``{"meta", "rows"}``, JSON-ready (the stable contract)."""
        from scrisk.serialize import jsonable

        return {"meta": jsonable(self.meta), "rows": jsonable(self._table.to_pylist())}


def pick_year(loaded, year: int | None) -> int:
    """The year to report: ``year`` when it is loaded, else the latest loaded one.

    Raises
    ------
    UsageError
        No flows, or ``year`` is not loaded (exit 2).

    Examples
    --------
    >>> pick_year([2022, 2024], None), pick_year([2022, 2024], 2022)
    (2024, 2022)
    """
    from scrisk.errors import UsageError

    loaded = list(loaded)
    if not loaded:
        raise UsageError("the data hold no flows")
    y = loaded[-1] if year is None else int(year)
    if y not in loaded:
        raise UsageError(f"year {y} is not in the data (loaded years: {', '.join(map(str, loaded))}); pick one with "
                         "--year")
    return y
