"""Where the graph editor draws nodes (``ui/graph_layout.py``): columns by longest path,
deep graphs top to bottom, moved positions kept."""

from __future__ import annotations

from nasbench_ui import spaces
from nasbench_ui.benchmarks import digits_space
from nasbench_ui.ui.graph_layout import compute_layout, edge_list, merge_positions, node_names


def test_layout_of_darts_cell_and_invalid_graphs():
    d = spaces.darts_cell().to_dict()
    pos = compute_layout(d)
    assert set(pos) == {"in", "n1", "n2", "n3", "out"}
    assert pos["in"][0] < pos["n1"][0] < pos["n2"][0] < pos["n3"][0] < pos["out"][0]
    cyc = {"nodes": ["a", "b", "c", "z"], "edges": [
        {"src": "a", "dst": "b"}, {"src": "b", "dst": "c"}, {"src": "c", "dst": "b"}]}
    pos = compute_layout(cyc)
    assert set(pos) == {"a", "b", "c", "z"}
    assert pos["a"][0] == min(p[0] for p in pos.values())
    assert pos["z"][0] > max(pos[n][0] for n in "abc")
    # two nodes in one column get different rows
    two = {"nodes": ["i", "p", "q", "o"], "edges": [
        {"src": "i", "dst": "p"}, {"src": "i", "dst": "q"}, {"src": "p", "dst": "o"},
        {"src": "q", "dst": "o"}]}
    pos = compute_layout(two)
    assert pos["p"][0] == pos["q"][0] and pos["p"][1] != pos["q"][1]


def test_deep_graphs_are_drawn_top_to_bottom_and_shallow_ones_left_to_right():
    pos = compute_layout(spaces.keras_cnn().to_dict())
    ys = [pos[n][1] for n in ("input", "conv", "act1", "pool", "dense", "act2", "output")]
    assert ys == sorted(ys) and len({p[0] for p in pos.values()}) == 1
    # 7 levels fit the canvas's 560 px at 14 px names: 17 px * scale >= 14
    height = max(ys) - min(ys) + 46 + 2 * 24
    assert 17 * min(1.0, 558 / height) >= 14
    d = compute_layout(digits_space().to_dict())
    assert [d[n][0] for n in "0123"] == sorted(d[n][0] for n in "0123")


def test_moved_positions_are_kept_and_bad_ones_replaced_by_the_layout():
    d = {"nodes": ["in", "h", "out"], "edges": [{"src": "in", "dst": "h"},
                                                {"src": "h", "dst": "out"}]}
    computed = compute_layout(d)
    moved = {"in": [5, 6], "h": [1.0, float("nan")], "out": [True, 2.0], "gone": [0, 0]}
    pos = merge_positions(d, moved, {"h": [7.0, 8.0]})
    assert pos == {"in": [5.0, 6.0], "h": [7.0, 8.0], "out": computed["out"]}
    assert merge_positions(d, None) == computed


def test_a_malformed_dict_gives_what_it_can():
    bad = {"nodes": ["a", {"name": "b"}, {"name": 3}, "a"], "edges": [
        {"src": "a", "dst": "b"}, {"src": "a"}, ["a", "b"], {"src": "b", "dst": "zz"}]}
    assert node_names(bad) == ["a", "b"]
    assert edge_list(bad) == [{"src": "a", "dst": "b"}, {"src": "b", "dst": "zz"}]
    assert set(compute_layout(bad)) == {"a", "b"}
    assert compute_layout({"nodes": "oops"}) == {} and node_names(None) == []
