"""Construction, validation and JSON of SearchSpace: each bad input names its culprit."""

import json
import random

import pytest

from nasbench_ui import spaces
from nasbench_ui.space import (
    Categorical,
    Edge,
    FloatRange,
    InputChoice,
    IntRange,
    Node,
    SearchSpace,
)


def tiny(**kw):
    base = dict(
        name="tiny",
        nodes=["in", "a", "b", "out"],
        edges=[
            Edge("in", "a", ["conv_3x3", "skip"]),
            Edge("in", "b", ["relu"]),
            Edge("a", "b", ["none", "skip"]),
            Edge("b", "out", ["relu"]),
        ],
    )
    base.update(kw)
    return SearchSpace(**base)


def test_tiny_space_decisions_and_size():
    s = tiny()
    assert s.labels == ("a<-in", "b<-a")
    assert s.size() == 4
    assert s.graph().number_of_edges() == 4


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


def test_hparam_ranges_checked():
    with pytest.raises(ValueError, match="hyperparameter 'f': low \\(5\\) is above high \\(1\\)"):
        IntRange("f", 5, 1)
    with pytest.raises(ValueError, match="hyperparameter 'd': step must be > 0"):
        FloatRange("d", 0.1, 0.5, 0.0)
    with pytest.raises(ValueError, match="hyperparameter 'c': choices repeat"):
        Categorical("c", [1, 1])


def test_bind_to_unknown_hparam():
    with pytest.raises(ValueError, match="'filters' is bound to 'nope', which is not a hyperparameter"):
        SearchSpace("x", ["in", "out"], [Edge("in", "out", ["conv"], bind={"filters": "nope"})])


def test_duplicate_labels():
    with pytest.raises(ValueError, match="decision labels must be unique; repeated: \\['a<-in'\\]"):
        tiny(hparams=[IntRange("a<-in", 1, 2)])


def test_bad_merge_and_head():
    with pytest.raises(ValueError, match="node 'x': merge must be one of"):
        Node("x", merge="avg")
    with pytest.raises(ValueError, match="head must be one of"):
        tiny(head="max")


def test_validate_arch_errors():
    s = spaces.keras_cnn()
    arch = s.sample(random.Random(0))
    s.validate(arch)
    with pytest.raises(ValueError, match="missing decision\\(s\\) \\['units'\\]"):
        s.validate({k: v for k, v in arch.items() if k != "units"})
    with pytest.raises(ValueError, match="unknown decision\\(s\\) \\['bogus'\\]"):
        s.validate({**arch, "bogus": 1})
    with pytest.raises(ValueError, match="decision 'filters': 40 is not in 32..128 on step 32"):
        s.validate({**arch, "filters": 40})
    with pytest.raises(ValueError, match="decision 'filters': 256 is not in 32..128"):
        s.validate({**arch, "filters": 256})
    with pytest.raises(ValueError, match="decision 'dropout': 0.25 is not in 0.1..0.5 on step 0.1"):
        s.validate({**arch, "dropout": 0.25})
    with pytest.raises(ValueError, match="decision 'kernel_size': 7 is not one of \\[3, 5\\]"):
        s.validate({**arch, "kernel_size": 7})
    with pytest.raises(ValueError, match="must be a dict"):
        s.validate(["not", "a", "dict"])
    nb = spaces.nb201()
    a = nb.sample(random.Random(0))
    with pytest.raises(ValueError, match="decision '1<-0': 'conv_3x3' is not a candidate"):
        nb.validate({**a, "1<-0": "conv_3x3"})


def test_validate_input_choice_values():
    s = spaces.darts_cell()
    a = s.sample(random.Random(0))
    with pytest.raises(ValueError, match="decision 'n3.inputs': expected 2 distinct inputs"):
        s.validate({**a, "n3.inputs": ["in"]})
    with pytest.raises(ValueError, match="\\['zz'\\] are not candidate inputs of node 'n3'"):
        s.validate({**a, "n3.inputs": ["in", "zz"]})


def test_all_none_nb201_is_valid():
    s = spaces.nb201()
    arch = {lb: "none" for lb in s.labels}
    s.validate(arch)
    assert s.key(arch) == "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"


@pytest.mark.parametrize("name", spaces.names())
def test_json_round_trip(name):
    s = spaces.get(name)
    back = SearchSpace.from_json(s.to_json())
    assert back == s
    assert back.to_dict() == s.to_dict()
    rng = random.Random(1)
    for _ in range(5):
        a = s.sample(rng)
        assert s.canonical(json.loads(json.dumps(a))) == a


def test_malformed_json():
    with pytest.raises(ValueError, match="malformed search space JSON"):
        SearchSpace.from_json("{not json")
    with pytest.raises(ValueError, match="needs a list 'nodes'"):
        SearchSpace.from_json('{"edges": []}')
    with pytest.raises(ValueError, match="unknown field\\(s\\) \\['evil'\\]"):
        SearchSpace.from_json(json.dumps({**spaces.blank().to_dict(), "evil": 1}))
    with pytest.raises(ValueError, match="a node, edge or input choice is malformed"):
        SearchSpace.from_json(json.dumps({**spaces.blank().to_dict(), "edges": [{"src": "input"}]}))


def test_oversized_and_deep_json():
    with pytest.raises(ValueError, match="limit is 1000000"):
        SearchSpace.from_json(" " * 1_000_001)
    deep = {"format": "nasbench_ui.space", "nodes": [], "edges": []}
    cur = deep
    for _ in range(40):
        cur["x"] = {}
        cur = cur["x"]
    with pytest.raises(ValueError, match="nested deeper than 32"):
        SearchSpace.from_json(json.dumps(deep))
    with pytest.raises(ValueError, match="nested deeper than 32|malformed"):
        SearchSpace.from_json("[" * 100_000 + "]" * 100_000)


def test_json_cannot_name_code():
    d = spaces.blank().to_dict()
    d["edges"][0]["ops"] = ["__import__('os').system('true')"]
    with pytest.raises(ValueError, match="unknown operation"):
        SearchSpace.from_dict(d)
