"""Reading the parts of a space from JSON (``space/parts_json.py``): each bad field is a
ValueError whose message starts with its path."""

from __future__ import annotations

import pytest

from nasbench_ui.space import Categorical, Edge, FloatRange, InputChoice, IntRange, Node
from nasbench_ui.space.parts_json import (
    edge_from_dict,
    expect_int,
    expect_str,
    hparam_from_dict,
    input_choice_from_dict,
    node_from_dict,
    required,
)


def test_well_formed_parts_read_into_their_classes():
    assert node_from_dict("a") == Node("a")
    assert node_from_dict({"name": "b", "merge": "concat"}) == Node("b", "concat")
    assert edge_from_dict({"src": "a", "dst": "b", "ops": ["skip", "relu"],
                           "bind": {"filters": "f"}}) == Edge("a", "b", ["skip", "relu"],
                                                              bind={"filters": "f"})
    assert input_choice_from_dict({"node": "n", "k": 1, "candidates": ["a"]}) == \
        InputChoice("n", 1, ["a"])
    assert hparam_from_dict({"type": "float", "label": "d", "low": 0.1, "high": 0.3,
                             "step": 0.1}) == FloatRange("d", 0.1, 0.3, 0.1)
    assert hparam_from_dict({"type": "categorical", "label": "c", "choices": [1, "x"]}) == \
        Categorical("c", [1, "x"])


@pytest.mark.parametrize(("read", "value", "match"), [
    (node_from_dict, 3, r"^p: expected a string or an object, got int \(3\)"),
    (node_from_dict, {"merge": "sum"}, r"^p\.name: missing; it is required"),
    (node_from_dict, {"name": "a", "merge": "avg"}, r"^p: node 'a': merge must be one of"),
    (edge_from_dict, [], r"^p: expected an object, got list"),
    (edge_from_dict, {"src": "a", "dst": "b", "ops": 5}, r"^p\.ops: expected a list"),
    (edge_from_dict, {"src": "a", "dst": "b", "ops": [], "params": []},
     r"^p\.params: expected an object"),
    (edge_from_dict, {"src": "a", "dst": "b", "ops": [], "bind": {"f": 1}},
     r"^p\.bind\.f: expected a string, got int"),
    (input_choice_from_dict, {"node": "n"}, r"^p\.k: missing"),
    (input_choice_from_dict, {"node": "n", "k": 1, "candidates": [1]},
     r"^p\.candidates\[0\]: expected a string"),
    (hparam_from_dict, {"type": "int", "label": ""}, r"^p\.label: expected a non-empty string"),
    (hparam_from_dict, {"type": "bool", "label": "b"}, r"^p\.type: expected 'int', 'float' or"),
    (hparam_from_dict, {"type": "int", "label": "i", "low": 5, "high": 1},
     r"^p: hyperparameter 'i': low \(5\) is above high \(1\)"),
    (hparam_from_dict, {"type": "categorical", "label": "c", "choices": [[1]]},
     r"^p\.choices\[0\]: expected a JSON scalar"),
])
def test_a_bad_part_names_its_field(read, value, match):
    with pytest.raises(ValueError, match=match):
        read(value, "p")


def test_the_type_checks_allow_null_only_where_asked():
    assert expect_str(None, "p", optional=True) is None and expect_int(None, "p", True) is None
    with pytest.raises(ValueError, match=r"^p: expected an int, got bool \(True\)"):
        expect_int(True, "p")
    with pytest.raises(ValueError, match=r"^p: expected a string or null, got int"):
        expect_str(1, "p", optional=True)
    assert required({"k": None}, "k", "p") is None
    assert hparam_from_dict({"type": "int", "label": "u", "low": 1, "high": 2}) == IntRange(
        "u", 1, 2)
