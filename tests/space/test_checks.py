"""The checks a SearchSpace passes when it is made (``space/checks.py``): each bad
input is a ValueError that names its node, edge or decision."""

import pytest
from space_helpers import tiny

from nasbench_ui.space import Edge, InputChoice, IntRange, Node, SearchSpace
from nasbench_ui.space.checks import MAX_NODES


def test_cycle_is_named():
    with pytest.raises(ValueError, match=r"cycle through nodes \[.*'a'.*'b'.*\]|cycle through nodes"):
        tiny(edges=[Edge("in", "a", ["relu"]), Edge("a", "b", ["relu"]), Edge("b", "a", ["relu"]),
                    Edge("b", "out", ["relu"])])


def test_self_loop_is_named():
    with pytest.raises(ValueError, match="edge 'a<-a'.*cannot join a node to itself"):
        tiny(edges=[Edge("in", "a", ["relu"]), Edge("a", "a", ["relu"]), Edge("a", "out", ["relu"])],
             nodes=["in", "a", "out"])


def test_unreachable_node_is_named():
    with pytest.raises(ValueError, match="node 'b' is unreachable from the input 'in'"):
        tiny(edges=[Edge("in", "a", ["relu"]), Edge("a", "out", ["relu"]), Edge("b", "out", ["relu"])])


def test_dead_end_node_is_named():
    with pytest.raises(ValueError, match="node 'b' cannot reach the output 'out'"):
        tiny(edges=[Edge("in", "a", ["relu"]), Edge("a", "out", ["relu"]), Edge("a", "b", ["relu"])])


def test_empty_candidates_named():
    with pytest.raises(ValueError, match="edge 'a<-in'.*candidate operation list is empty"):
        tiny(edges=[Edge("in", "a", []), Edge("a", "b", ["relu"]), Edge("in", "b", ["relu"]),
                    Edge("b", "out", ["relu"])])


def test_unknown_operation_named():
    with pytest.raises(ValueError, match="edge 'a<-in'.*unknown operation 'conv_9x9'"):
        tiny(edges=[Edge("in", "a", ["conv_9x9"]), Edge("a", "b", ["relu"]), Edge("in", "b", ["relu"]),
                    Edge("b", "out", ["relu"])])


def test_unknown_node_in_edge():
    with pytest.raises(ValueError, match="node 'zz' does not exist"):
        tiny(edges=[Edge("in", "zz", ["relu"])])


def test_input_choice_k_too_large():
    with pytest.raises(ValueError, match="input choice 'b.inputs' on node 'b'.*k=3 is greater than the number of candidates"):
        tiny(input_choices=[InputChoice("b", 3)])


def test_input_choice_candidate_not_predecessor():
    with pytest.raises(ValueError, match="candidates \\['out'\\] are not predecessors of 'b'"):
        tiny(input_choices=[InputChoice("b", 1, ["in", "out"])])


def test_bind_to_unknown_hparam():
    with pytest.raises(ValueError, match="'filters' is bound to 'nope', which is not a hyperparameter"):
        SearchSpace("x", ["in", "out"], [Edge("in", "out", ["conv"], bind={"filters": "nope"})])


def test_duplicate_labels():
    with pytest.raises(ValueError, match="decision labels must be unique; repeated: \\['a<-in'\\]"):
        tiny(hparams=[IntRange("a<-in", 1, 2)])


def _line(*names):
    return [Edge(a, b, ["relu"]) for a, b in zip(names, names[1:], strict=False)]


@pytest.mark.parametrize(("kw", "match"), [
    ({"nodes": [f"n{i}" for i in range(MAX_NODES + 1)], "edges": []},
     f"at most {MAX_NODES} nodes, got {MAX_NODES + 1}"),
    ({"nodes": ["in", "a", "a", "out"]}, r"node names must be unique; repeated: \['a'\]"),
    ({"input": "nowhere"}, "the input node 'nowhere' is not among the nodes"),
    ({"output": "in"}, "the input and output must be different nodes, both are 'in'"),
    ({"key_format": "yaml"}, "key_format must be one of"),
    ({"stem": 0}, "stem must be None or a positive channel count, got 0"),
    ({"stem": True}, "stem must be None or a positive channel count, got True"),
])
def test_the_fields_are_checked(kw, match):
    with pytest.raises(ValueError, match=match):
        tiny(**kw)


@pytest.mark.parametrize(("edges", "match"), [
    ([*_line("in", "a", "out"), Edge("a", "in", ["relu"])],
     "edge 'in<-a' .*the input node 'in' cannot have incoming edges"),
    ([*_line("in", "out"), Edge("out", "a", ["relu"]), Edge("in", "a", ["relu"])],
     "edge 'a<-out' .*the output node 'out' cannot have outgoing edges"),
    ([*_line("in", "a", "out"), Edge("in", "a", ["skip"])],
     "edge 'a<-in' .*there is already an edge in -> a"),
    ([Edge("in", "a", ["relu", "relu"]), *_line("a", "out")],
     r"edge 'a<-in' .*candidate operations repeat: \['relu', 'relu'\]"),
])
def test_each_edge_is_checked(edges, match):
    with pytest.raises(ValueError, match=match):
        SearchSpace("s", ["in", "a", "out"], edges)


def test_an_input_choice_needs_a_node_of_its_own():
    with pytest.raises(ValueError, match="input choice .* node 'zz' does not exist"):
        tiny(input_choices=[InputChoice("zz", 1, ["in"])])
    with pytest.raises(ValueError, match="node 'b' already has an input choice"):
        tiny(input_choices=[InputChoice("b", 1, ["in"], "x"), InputChoice("b", 1, ["a"], "y")])


def test_a_sound_space_passes_and_keeps_its_decisions():
    space = tiny(hparams=[IntRange("width", 1, 4)], input_choices=[InputChoice("b", 1)])
    assert space.labels == ("a<-in", "b<-a", "b.inputs", "width")
    assert SearchSpace("s", [Node("in"), Node("out")], _line("in", "out")).size() == 1


def test_a_space_of_a_megabyte_is_checked_in_linear_time():
    """The unique-labels check counted each label in the list of all of them: 18,000
    hyperparameters in 0.9 MB of JSON (under from_json's limit) took 12 s of the
    kernel to read, most of it list.count.

    Counted, not timed: the Python lines that building and checking a space from its
    dict runs (from_json is json.loads, in C, then from_dict), its labels
    :class:`~helpers.work.Label` strings (their ``==`` is Python, so a ``list.count`` or
    ``in`` on a list of them counts each comparison). The lines a label must not grow
    with the labels: 104 at 1,000 and at 2,000; with list.count back, 1,104 and 2,103."""
    import json

    from helpers.work import Label, lines_run

    def space_dict(n: int) -> dict:
        return {"nodes": ["in", "out"], "edges": [{"src": "in", "dst": "out", "ops": ["linear"]}],
                "hparams": [{"type": "categorical", "label": Label(f"h{i}"), "choices": [1, 2]}
                            for i in range(n)]}

    small, large = space_dict(1000), space_dict(2000)
    assert type(SearchSpace.from_dict(space_dict(3)).labels[0]) is Label  # they reach the check
    lines_run(lambda: SearchSpace.from_dict(space_dict(10)))  # first-call work (imports)
    per_label = lines_run(lambda: SearchSpace.from_dict(small)) / 1000
    per_label_2x = lines_run(lambda: SearchSpace.from_dict(large),
                             limit=int(3 * per_label * 2000)) / 2000
    assert per_label_2x <= 1.1 * per_label, (per_label, per_label_2x)
    # the megabyte itself, from JSON: read, and its repeated label named
    hparams = [{"type": "categorical", "label": f"h{i}", "choices": [1, 2]} for i in range(18_000)]
    text = json.dumps({"nodes": ["in", "out"], "edges": [{"src": "in", "dst": "out",
                                                          "ops": ["linear"]}],
                       "hparams": hparams}, separators=(",", ":"))
    assert len(text) < 1_000_000
    assert len(SearchSpace.from_json(text).labels) == 18_000
    with pytest.raises(ValueError, match=r"repeated: \['h1'\]"):
        SearchSpace.from_json(text.replace('"h0"', '"h1"'))
