"""The country-good trade graph: structure, exact round trip, GraphML/GEXF files, supply-chain walks."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from scrisk.errors import UsageError
from scrisk.graph import (
    build_trade_graph,
    export_graph,
    graph_summary,
    read_graph,
    to_flow_frame,
    upstream_suppliers,
    walk_supply_chain,
    write_graph,
)
from scrisk.schema import KEY_COLUMNS, make_flow_table

sys.path.insert(0, str(Path(__file__).resolve().parent / "metrics"))
from atlas import atlas_table  # noqa: E402


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(KEY_COLUMNS), kind="mergesort").reset_index(drop=True)


def test_nodes_and_edges_of_tiny_flows(tiny_flows):
    G = build_trade_graph(tiny_flows)
    assert G.nodes["KOR"]["kind"] == "country"
    good = G.nodes["811292"]
    assert good["kind"] == "good" and good["material"] == "gallium" and good["stage"] == "refined"
    assert "germanium" in good["materials"].split(";") and good["in_data"] is True
    e = G.edges["CHN", "811292"]
    assert e["kind"] == "export"
    assert e["value_usd"] == {2022: 1400.0, 2024: 500.0}  # CHN -> KOR 900 + JPN 500 (2022); KOR 500 (2024)
    assert e["partners"][2022] == {"JPN": {"value_usd": 500.0, "qty_kg": 4.0}, "KOR": {"value_usd": 900.0, "qty_kg": 10.0}}
    i = G.edges["811292", "KOR"]
    assert i["kind"] == "import" and i["value_usd"] == {2022: 1000.0, 2024: 800.0}
    assert i["qty_kg"][2022] == 11.0  # USA's missing quantity is left out of the total
    assert G.edges["370790", "KOR"]["partners"][2024]["BEL"]["value_usd"] == 400.0
    kinds = {d["kind"] for _, _, d in G.edges(data=True)}
    assert kinds == {"export", "import", "input_to"}


def test_round_trip_is_exact(tiny_flows):
    back = to_flow_frame(build_trade_graph(tiny_flows))
    pd.testing.assert_frame_equal(back, _sorted(tiny_flows))


def test_round_trip_real_data(atlas):
    t = atlas_table(atlas)
    frame = t.frame.copy()
    # give some rows a quantity so both value and qty travel
    frame["qty_kg"] = np.where(np.arange(len(frame)) % 3 == 0, frame["value_usd"] / 7.0, np.nan)
    G = build_trade_graph(frame, links=False)
    pd.testing.assert_frame_equal(to_flow_frame(G), _sorted(frame))
    s = graph_summary(G)
    assert s["export_edges"] == frame.groupby(["exporter", "hs"]).ngroups
    assert s["import_edges"] == frame.groupby(["hs", "importer"]).ngroups
    # the value on import edges adds up to the table's value, year by year
    for y in (2022, 2024):
        tot = sum(d["value_usd"].get(y, 0.0) for _, _, d in G.edges(data=True) if d["kind"] == "import")
        assert tot == pytest.approx(float(frame.loc[frame["year"] == y, "value_usd"].sum()), rel=1e-12)


@pytest.mark.parametrize("ext", [".graphml", ".gexf"])
def test_files_are_readable_by_networkx_and_round_trip(tiny_flows, tmp_path, ext):
    G = build_trade_graph(tiny_flows)
    path = write_graph(G, tmp_path / f"g{ext}")
    H = nx.read_graphml(path) if ext == ".graphml" else nx.read_gexf(path)
    assert H.number_of_nodes() == G.number_of_nodes() and H.number_of_edges() == G.number_of_edges()
    e = H.edges["CHN", "811292"]
    assert float(e["value_usd_2022"]) == 1400.0 and e["kind"] == "export"
    assert "qty_kg_2024" in H.edges["811292", "KOR"]
    back = read_graph(path)
    pd.testing.assert_frame_equal(to_flow_frame(back), _sorted(tiny_flows))
    assert back.edges["811292", "KOR"]["value_usd"] == {2022: 1000.0, 2024: 800.0}
    assert math.isnan(back.edges["811292", "KOR"]["partners"][2022]["USA"]["qty_kg"])
    assert back.nodes["811292"]["material"] == "gallium"


def test_unknown_extension_is_a_usage_error(tiny_flows, tmp_path):
    with pytest.raises(UsageError, match=r"\.graphml or \.gexf"):
        write_graph(build_trade_graph(tiny_flows), tmp_path / "g.png")
    with pytest.raises(UsageError):
        export_graph(make_flow_table(tiny_flows), tmp_path / "g.json")
    assert not (tmp_path / "g.json").exists()


def test_supply_chain_walks_across_tiers():
    f = pd.DataFrame({
        "year": [2024] * 5,
        "exporter": ["CHN", "JPN", "USA", "TWN", "CHN"],
        "importer": ["KOR", "KOR", "KOR", "KOR", "JPN"],
        "hs": ["811292", "381800", "381800", "854231", "811292"],
        "value_usd": [90.0, 30.0, 10.0, 500.0, 40.0],
    })
    G = build_trade_graph(f)
    # ICs 854231 come from wafers 381800 (link given at heading 8542) which come from gallium 811292
    assert G.edges["381800", "854231"]["kind"] == "input_to"
    assert G.edges["381800", "854231"]["via"] == "381800>8542"
    up = walk_supply_chain(G, "854231", direction="upstream")
    assert ("381800", "854231") in set(zip(up["upstream"], up["downstream"]))
    assert up.loc[up["upstream"] == "811292", "depth"].min() == 2
    tiers = upstream_suppliers(G, "KOR", "854231")
    assert tiers[["tier", "hs", "exporter"]].values.tolist() == [
        [0, "854231", "TWN"], [1, "381800", "JPN"], [1, "381800", "USA"], [2, "811292", "CHN"]]
    assert tiers["share"].tolist() == [1.0, 0.75, 0.25, 1.0]
    assert upstream_suppliers(G, "KOR", "854231", max_depth=1)["tier"].max() == 1
    down = walk_supply_chain(G, "811292", max_depth=1)
    assert set(down["depth"]) == {1}
    with pytest.raises(UsageError, match="not in the graph"):
        walk_supply_chain(G, "999999")


def test_heading_nodes_when_the_data_lacks_the_downstream_good(tiny_flows):
    G = build_trade_graph(tiny_flows)
    assert G.nodes["8542"]["in_data"] is False and G.nodes["8542"]["kind"] == "good"
    assert G.has_edge("381800", "8542")


def test_no_baskets_no_links(tiny_flows):
    G = build_trade_graph(tiny_flows, baskets={})
    assert all(d["kind"] != "input_to" for _, _, d in G.edges(data=True))
    assert G.nodes["811292"]["material"] == ""


def test_export_graph_selects_a_material(tiny_flows, tmp_path):
    res = export_graph(make_flow_table(tiny_flows), tmp_path / "ga.graphml", material="gallium")
    row = res["rows"][0]
    assert row["flows"] == 7 and row["countries"] == 4  # the 811292 rows only
    assert res["meta"]["parameters"]["hs_codes"] == ["811292"]
    back = read_graph(tmp_path / "ga.graphml")
    assert set(to_flow_frame(back)["hs"]) == {"811292"}
