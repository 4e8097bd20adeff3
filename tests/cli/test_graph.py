"""`scrisk graph`: files written and re-readable, exact flows, exit codes."""

from __future__ import annotations

import json

import networkx as nx
import pandas as pd
import pytest

from scrisk.api import load_flows
from scrisk.graph import read_graph, to_flow_frame
from scrisk.schema import BASE_COLUMNS, KEY_COLUMNS
from cli_helpers import run


@pytest.mark.parametrize("ext", ["graphml", "gexf"])
def test_material_graph_written_and_exact(monkeypatch, capsys, tmp_path, ext):
    target = tmp_path / f"gallium.{ext}"
    code, out, err = run(monkeypatch, capsys, "graph", "--material", "gallium", "--out", str(target))
    assert code == 0, err
    assert f"wrote {target}" in err and out == ""
    H = nx.read_graphml(target) if ext == "graphml" else nx.read_gexf(target)
    kinds = {d["kind"] for _, _, d in H.edges(data=True)}
    assert {"export", "import", "input_to"} <= kinds
    frame = load_flows().frame
    expected = frame[frame["hs"] == "811292"].sort_values(list(KEY_COLUMNS)).reset_index(drop=True)
    # the graph carries annual flows by year; the row's HS revision is not an edge attribute
    pd.testing.assert_frame_equal(to_flow_frame(read_graph(target))[list(BASE_COLUMNS)], expected[list(BASE_COLUMNS)])


def test_whole_example_with_json_summary(monkeypatch, capsys, tmp_path):
    target = tmp_path / "all.graphml"
    code, out, _ = run(monkeypatch, capsys, "graph", "--out", str(target), "--format", "json")
    assert code == 0
    s = json.loads(out)["rows"][0]
    frame = load_flows().frame
    assert s["flows"] == len(frame) and s["countries"] == len(set(frame["exporter"]) | set(frame["importer"]))
    assert s["export_edges"] == frame.groupby(["exporter", "hs"]).ngroups
    assert len(to_flow_frame(read_graph(target))) == len(frame)


def test_unknown_extension_exits_2_before_reading(monkeypatch, capsys, tmp_path):
    code, out, err = run(monkeypatch, capsys, "graph", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "g.png"))
    assert code == 2  # not 3: the extension is checked before the (missing) input is read
    assert ".graphml or .gexf" in err and "Traceback" not in err
    assert not (tmp_path / "g.png").exists()


def test_out_is_required_and_material_checked(monkeypatch, capsys, tmp_path):
    code, _, _ = run(monkeypatch, capsys, "graph")
    assert code == 2
    code, _, err = run(monkeypatch, capsys, "graph", "--material", "galium", "--out", str(tmp_path / "g.gexf"))
    assert code == 2 and "gallium" in err
