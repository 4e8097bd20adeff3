"""The benchmark harness's acceptance verdicts (no timing: made-up samples)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def bench(bench_module):
    return bench_module("bench_engine")


def _suite(bench, a: list[float], b: list[float]):
    mk = lambda key, xs: bench.Mode(key, key, [], samples=[bench.Sample(x, 100.0, 0) for x in xs])  # noqa: E731
    modes = [mk("wide", a), mk("codes", b)]
    return bench.Suite("s", "t", [], modes, refs=[],
                       checks=[("no slower than wide", "codes", "time:wide", 1.0)])


def _verdict(bench, a, b) -> str:
    text = bench.suite_markdown(_suite(bench, a, b))
    return next(line for line in text.splitlines() if "no slower than wide" in line)


def test_faster_is_met(bench):
    assert _verdict(bench, [10, 11, 12], [9, 10, 11]).endswith("-- met")


def test_slower_every_round_is_not_met(bench):
    line = _verdict(bench, [10, 10, 10, 10, 10], [10.5, 10.4, 10.6, 10.3, 10.5])
    assert line.endswith("NOT met") and "per-round ratios: median 1.05x" in line


def test_gap_inside_the_noise(bench):
    # the shock suite's seven rounds on an idle machine: the same work, the list faster in two rounds of seven
    wide = [17.75, 14.59, 14.38, 13.37, 13.81, 13.91, 14.63]
    codes = [16.16, 15.22, 14.94, 14.09, 17.76, 14.36, 14.0]
    line = _verdict(bench, wide, codes)
    assert "1.04x" in line and "NOT met by medians, inside this run's run-to-run noise" in line


def test_too_few_rounds_for_noise(bench):
    assert _verdict(bench, [10, 12, 10], [11, 11, 11]).endswith("NOT met")
