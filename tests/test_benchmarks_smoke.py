"""Smoke test of the benchmark data generator: a small file with the real BACI layout (no timing)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pandas as pd
import pytest


@pytest.fixture(scope="module")
def generate(bench_module):
    return bench_module("generate")


@pytest.fixture(scope="module")
def small(generate, tmp_path_factory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("bench")
    data = generate.generate_file(out, 2000, seed=7, n_countries=60, n_products=400)
    return data, out / "country_codes_V202601.csv"


def test_layout_is_baci(small):
    data, codes = small
    lines = data.read_text().splitlines()
    assert lines[0] == "t,i,j,k,v,q"
    assert len(lines) == 2001
    row = re.compile(r"^\d{4},\d{1,3},\d{1,3},\d{5,6},\d+\.\d{3},( *\d+\.\d{3}| *NA)$")
    bad = [line for line in lines[1:] if not row.match(line)]
    assert not bad, bad[:3]
    # q right-aligned in a fixed width, as in BACI releases
    assert {len(line.rsplit(",", 1)[1]) for line in lines[1:]} == {13}
    assert codes.read_text().splitlines()[0] == "country_code,country_name,country_iso2,country_iso3"


def test_layout_facts(small):
    data, codes = small
    df = pd.read_csv(data, dtype={"k": str, "q": str}, keep_default_na=False)
    assert (df["k"].str.len() == 5).any()  # leading zero lost, as in real BACI
    q = df["q"].str.strip()
    na = q == "NA"
    assert 0 < na.mean() < 0.1
    assert pd.to_numeric(q[~na]).ge(0).all()
    assert pd.to_numeric(df["v"]).gt(0).all()
    assert not df.duplicated(["t", "i", "j", "k"]).any()
    assert not (df["i"] == df["j"]).any()
    assert set(df["t"]) == {2022, 2024}
    table = pd.read_csv(codes, keep_default_na=False)
    used = sorted(set(df["i"]) | set(df["j"]))
    assert set(used) <= set(table["country_code"])
    # one ISO3 per code used, so mapping codes never merges two countries' keys
    assert table.set_index("country_code").loc[used, "country_iso3"].is_unique
    keys = list(zip(df["t"], df["i"], df["j"], df["k"].astype(int)))
    assert keys == sorted(keys)


def test_same_seed_same_file(generate, small, tmp_path):
    data, _ = small
    again = generate.generate_file(tmp_path, 2000, seed=7, n_countries=60, n_products=400)
    assert again.read_bytes() == data.read_bytes()


def test_product_codes_span_chapters(generate):
    import numpy as np

    codes = generate.product_codes(5000, np.random.default_rng(1))
    assert len(set(codes.tolist())) == 5000
    chapters = set((codes // 10000).tolist())
    assert min(chapters) == 1 and max(chapters) == 97 and 77 not in chapters
    assert (codes < 100000).sum() > 200


def test_scrisk_reads_the_generated_file(small):
    if importlib.util.find_spec("scrisk.countries") is None:
        pytest.skip("scrisk.countries (needed by the readers) is not in this tree yet")
    from scrisk.io import ReadOptions, read_flows

    data, _ = small
    table = read_flows([data], ReadOptions())
    raw = pd.read_csv(data, dtype={"k": str}, na_values=["NA"], skipinitialspace=True)
    assert table.report.rows_rejected == 0
    assert len(table) == len(raw)
    assert table.frame["value_usd"].sum() == pytest.approx(raw["v"].sum() * 1000, rel=1e-9)
    assert table.frame["hs"].str.len().eq(6).all()
    assert table.meta.hs_revision == "HS2017"
