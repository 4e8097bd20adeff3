"""Hypothesis properties over the readers with huge and tiny values, and output determinism on shuffled rows."""

from __future__ import annotations

import json
import math
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scrisk.io import ReadOptions, read_flows  # noqa: E402
from scrisk.io import reasons as R  # noqa: E402
from scrisk.schema import MAX_VALUE_USD  # noqa: E402

CODES = ["CHN", "KOR", "JPN", "USA", "DEU"]
HS = ["811292", "282560", "850511"]

values = st.one_of(
    st.floats(min_value=0, max_value=1e308, allow_nan=False, allow_infinity=False),
    st.floats(min_value=0, max_value=1e-300, allow_nan=False),  # subnormals and tiny
    st.sampled_from([0.0, 5e-324, 1e15, 1e15 * (1 + 2**-52), 1e16, 1.7976931348623157e308]),
    st.integers(min_value=0, max_value=10**20).map(float),
)
rows = st.lists(st.tuples(st.sampled_from(CODES), st.sampled_from(CODES), st.sampled_from(HS), values),
                min_size=1, max_size=25)


def _write(folder: Path, name: str, text: str) -> Path:
    p = folder / name
    p.write_text(text, encoding="utf-8")
    return p


@settings(max_examples=20)
@given(rows, st.sampled_from(["usd", "kusd"]))
def test_tidy_values_huge_and_tiny_are_accepted_or_rejected_never_inf(data, unit):
    lines = ["year,exporter,importer,hs,value"] + [f"2022,{e},{i},{h},{v!r}" for e, i, h, v in data]
    with tempfile.TemporaryDirectory() as d:
        t = read_flows([_write(Path(d), "flows.csv", "\n".join(lines) + "\n")],
                       ReadOptions(columns={"value": "value"}, value_unit=unit))
    r = t.report
    assert r.rows_read == len(data) == r.rows_accepted + r.rows_rejected
    vals = t.frame["value_usd"].to_numpy()
    assert np.isfinite(vals).all() and (vals <= MAX_VALUE_USD).all()
    assert math.isfinite(r.value_usd_accepted)
    assert r.value_usd_accepted == math.fsum(vals)
    # independent: pandas over the same rows says which must be accepted on value grounds
    df = pd.DataFrame(data, columns=["e", "i", "h", "v"])
    df["usd"] = df["v"] * (1000.0 if unit == "kusd" else 1.0)
    too_big = df["usd"] > MAX_VALUE_USD
    # the value checks run before the country and duplicate checks: every such row has this reason
    assert r.reasons.get(R.VALUE_TOO_LARGE, 0) == int(too_big.sum())


@settings(max_examples=12)
@given(st.lists(st.tuples(st.sampled_from([156, 410, 392, 842]), st.sampled_from([156, 410, 392, 842]),
                          st.sampled_from(HS), values), min_size=1, max_size=15))
def test_baci_thousands_that_overflow_are_rejected_with_a_reason(data):
    cc = ("country_code,country_name,country_iso2,country_iso3\n156,China,CN,CHN\n392,Japan,JP,JPN\n"
          "410,Korea,KR,KOR\n842,USA,US,USA\n")
    lines = ["t,i,j,k,v,q"] + [f"2022,{i},{j},{k},{v!r},NA" for i, j, k, v in data]
    with tempfile.TemporaryDirectory() as d:
        _write(Path(d), "country_codes_V202401.csv", cc)
        t = read_flows([_write(Path(d), "BACI_HS17_Y2022_V202401.csv", "\n".join(lines) + "\n")])
    r = t.report
    assert r.rows_read == r.rows_accepted + r.rows_rejected == len(data)
    assert np.isfinite(t.frame["value_usd"].to_numpy()).all()
    assert math.isfinite(r.value_usd_accepted)
    big = [v * 1000.0 > MAX_VALUE_USD for i, j, k, v in data]
    assert r.reasons.get(R.VALUE_TOO_LARGE, 0) == sum(big)
    if len(r.rejected):
        assert r.rejected["detail"].astype(str).str.len().gt(0).all()


# ---------------------------------------------------------------------------- determinism


def _run_json(argv: list[str], capsys) -> dict:
    from scrisk.cli import app
    from scrisk.cli.boundary import main_with_boundary

    with pytest.raises(SystemExit) as ei:
        main_with_boundary(app, argv)
    out, err = capsys.readouterr()
    assert int(ei.value.code or 0) in (0, 1), err
    doc = json.loads(out)
    doc["meta"].pop("generated_at", None)
    doc["meta"].pop("inputs", None)
    return doc


def _strip_paths(obj, names):
    text = json.dumps(obj, sort_keys=True)
    for n in names:
        text = text.replace(n, "FILE")
    return text


@pytest.mark.parametrize("command", [
    ["analyze", "--format", "json"],
    ["validate", "--format", "json"],
    ["shock", "--exporter", "CHN", "--material", "gallium", "--format", "json"],
    ["shock", "--exporter", "CHN", "--material", "gallium", "--mode", "fsc", "--format", "json"],
    ["shock", "--exporter", "CHN", "--material", "gallium", "--by", "material", "--format", "json"],
])
def test_same_rows_in_any_order_give_the_same_output_to_the_bit(command, tmp_path, capsys):
    from scrisk.resources import example_flows_path

    df = pd.read_csv(example_flows_path(), dtype={"hs": str})
    rng = np.random.default_rng(13)
    # values with fractions: sums in another order round differently unless they are exact
    df["value_usd"] = df["value_usd"] * rng.uniform(0.1, 3.3, len(df)) + rng.uniform(0, 1, len(df))
    outs = []
    for k, seed in enumerate([None, 1, 2]):
        d = tmp_path / f"v{k}"
        d.mkdir()
        (df if seed is None else df.sample(frac=1, random_state=seed)).to_csv(
            d / "flows.csv", index=False, float_format="%.17g")
        outs.append(_strip_paths(_run_json([command[0], str(d / "flows.csv"), *command[1:]], capsys),
                                 [str(d / "flows.csv")]))
    assert outs[0] == outs[1] == outs[2]
    if command[0] == "validate":  # and the total is pandas' exactly rounded sum
        doc = json.loads(outs[0])
        assert doc["value_usd_accepted"] == doc["meta"]["read"]["value_usd_accepted"] == math.fsum(df["value_usd"])


def test_real_baci_shuffled_gives_the_same_analysis(atlas, tmp_path, capsys):
    src = atlas / "baci_2022.csv"
    df = pd.read_csv(src, dtype=str)
    paths = []
    for k, seed in enumerate([None, 5]):
        d = tmp_path / f"r{k}"
        d.mkdir()
        (df if seed is None else df.sample(frac=1, random_state=seed)).to_csv(d / "baci.csv", index=False)
        paths.append(str(d / "baci.csv"))
    cols = ["--columns", "exporter=i,importer=j,hs=cmd,value=value", "--year", "2022"]
    a, b = (_strip_paths(_run_json(["analyze", p, *cols, "--format", "json"], capsys), [p]) for p in paths)
    assert a == b
    # world export value of the top row against pandas' exactly rounded sum over the same rows
    top = json.loads(a)["rows"][0]
    v = pd.to_numeric(df["value"])
    assert top["import_value_usd"] == pytest.approx(
        math.fsum(v[(df["j"] == top["importer"]) & (df["cmd"] == top["hs"])]) , rel=1e-12)
