"""The canonical flow schema rejects what downstream code must never see."""

from __future__ import annotations

import pandas as pd
import pytest

from scrisk.errors import FlowSchemaError
from scrisk.schema import FLOW_COLUMNS, make_flow_table


def _frame(**over):
    d = {"year": [2024, 2024], "exporter": ["CHN", "JPN"], "importer": ["KOR", "KOR"],
         "hs": ["811292", "370790"], "value_usd": [10.0, 5.0], "qty_kg": [1.0, None]}
    d.update(over)
    return pd.DataFrame(d)


def test_valid_frame_round_trips_with_canonical_columns():
    t = make_flow_table(_frame())
    assert tuple(t.frame.columns) == FLOW_COLUMNS
    assert t.years == (2024,) and t.meta.years == (2024,)
    assert t.report.rows_read == t.report.rows_accepted == 2


@pytest.mark.parametrize(
    "over, what",
    [
        ({"value_usd": [-1.0, 5.0]}, "value_usd"),
        ({"hs": ["81129", "370790"]}, "hs"),
        ({"exporter": ["china", "JPN"]}, "exporter"),
        ({"year": [1800, 2024]}, "year"),
        ({"qty_kg": [-3.0, None]}, "qty_kg"),
    ],
)
def test_each_broken_column_is_named(over, what):
    with pytest.raises(FlowSchemaError) as e:
        make_flow_table(_frame(**over))
    assert what in str(e.value)


def test_duplicate_keys_are_caught_unless_the_reader_already_did():
    dup = _frame(exporter=["CHN", "CHN"], hs=["811292", "811292"])
    with pytest.raises(FlowSchemaError):
        make_flow_table(dup)
    assert len(make_flow_table(dup, check_unique=False)) == 2
