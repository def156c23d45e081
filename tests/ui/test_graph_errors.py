"""What the graph editor says about a space that does not hold (``ui/graph_errors.py``):
the hint, the culprits, the dead ends."""

from __future__ import annotations

from nasbench_ui import spaces
from nasbench_ui.ui.graph_errors import culprits, dead_ends, explain, split_hint


def _without(d, label):
    return {**d, "edges": [e for e in d["edges"] if e["label"] != label]}


def test_pure_cycle_message_marks_cycle_edges():
    d = {"nodes": ["a", "b", "c"], "edges": [
        {"src": "a", "dst": "b", "label": "b<-a"}, {"src": "b", "dst": "c", "label": "c<-b"},
        {"src": "c", "dst": "b", "label": "b<-c"}]}
    nodes, edges = culprits("the graph has a cycle through nodes ['b', 'c']; remove one of its edges", d)
    assert nodes == ["b", "c"]
    assert sorted(edges) == ["b<-c", "c<-b"]


def test_split_hint():
    assert split_hint("node names must be unique; repeated: ['a']") == (
        "node names must be unique; repeated: ['a']", "")
    assert split_hint("x; remove one of its edges") == ("x", "remove one of its edges")


def test_the_input_is_never_to_be_deleted():
    d = spaces.keras_cnn().to_dict()
    errors = explain("node 'input' cannot reach the output 'output'; connect it to a later "
                     "node or delete it", _without(d, "conv<-input"))
    assert errors["nodes"] == ["input"] and "delete" not in errors["hint"]
    assert dead_ends(d) == []


def test_an_edge_message_names_only_its_edge_and_a_node_message_its_node():
    d = {"nodes": ["in", "h", "out"], "edges": [
        {"src": "in", "dst": "h", "label": "h<-in"}, {"src": "h", "dst": "out"}]}
    assert culprits("edge 'h<-in' (in -> h): unknown operation 'x' on node 'h'", d) == (
        [], ["h<-in"])
    assert culprits("node 'h' cannot reach the output 'out'", d) == (["h"], [])
    assert culprits("node 'ghost' is unreachable", d) == ([], [])  # not in the dict


def test_dead_ends_are_the_nodes_a_path_from_the_input_stops_at():
    d = {"nodes": ["in", "a", "b", "c", "out"], "input": "in", "output": "out", "edges": [
        {"src": "in", "dst": "a"}, {"src": "in", "dst": "b"}, {"src": "b", "dst": "out"},
        {"src": "c", "dst": "out"}]}
    assert dead_ends(d) == ["a"]  # c is not reached from the input
    assert dead_ends({"nodes": []}) == [] and dead_ends({"nodes": ["in", "out"]}) == ["in"]
