"""Construction, validation and JSON of SearchSpace: each bad input names its culprit."""

import copy
import json
import random
from typing import Any

import pytest
from space_helpers import tiny

from nasbench_ui import spaces
from nasbench_ui.space import (
    Categorical,
    FloatRange,
    IntRange,
    Node,
    SearchSpace,
)


def test_tiny_space_decisions_and_size():
    s = tiny()
    assert s.labels == ("a<-in", "b<-a")
    assert s.size() == 4
    assert s.graph().number_of_edges() == 4


def test_hparam_ranges_checked():
    with pytest.raises(ValueError, match="hyperparameter 'f': low \\(5\\) is above high \\(1\\)"):
        IntRange("f", 5, 1)
    with pytest.raises(ValueError, match="hyperparameter 'd': step must be > 0"):
        FloatRange("d", 0.1, 0.5, 0.0)
    with pytest.raises(ValueError, match="hyperparameter 'c': choices repeat"):
        Categorical("c", [1, 1])


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
    with pytest.raises(ValueError, match=r"^space\.edges\[0\]\.dst: missing"):
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


# ------------------------------------------- space JSON: every error names its field's path

BASE: dict[str, Any] = {
    "format": "nasbench_ui.space", "version": 1, "name": "t", "input": "in", "output": "out",
    "nodes": [{"name": "in", "merge": "sum"}, "a", {"name": "b"}, {"name": "out", "merge": "concat"}],
    "edges": [
        {"src": "in", "dst": "a", "ops": ["conv_3x3", "skip"], "label": "first"},
        {"src": "in", "dst": "b", "ops": ["relu"]},
        {"src": "a", "dst": "b", "ops": ["none", "skip"], "params": {}, "bind": {}},
        {"src": "a", "dst": "out", "ops": ["linear"], "bind": {"units": "units"}},
        {"src": "b", "dst": "out", "ops": "relu"},
    ],
    "input_choices": [{"node": "out", "k": 1, "candidates": ["a", "b"], "label": "out.inputs"}],
    "hparams": [
        {"type": "int", "label": "units", "low": 16, "high": 32, "step": 16},
        {"type": "float", "label": "dropout", "low": 0.1, "high": 0.3, "step": 0.1},
        {"type": "categorical", "label": "act", "choices": [3, 5, "x"]},
    ],
    "stem": None, "head": "flatten", "key_format": "json",
}
class _Drop:
    """Deletes the field in :func:`changed` (its repr names the test id the same in
    every process, as pytest-xdist's workers must collect alike)."""

    def __repr__(self) -> str:
        return "DROP"


DROP = _Drop()


def changed(path: tuple[Any, ...], value: Any) -> Any:
    """A deep copy of BASE with ``path`` set to ``value`` (DROP deletes it; () replaces all)."""
    if not path:
        return value
    d = copy.deepcopy(BASE)
    cur = d
    for step in path[:-1]:
        cur = cur[step]
    if value is DROP:
        del cur[path[-1]]
    else:
        cur[path[-1]] = value
    return d


def test_the_base_document_is_valid():
    s = SearchSpace.from_dict(BASE)
    assert s.labels == ("first", "b<-a", "out.inputs", "units", "dropout", "act")
    assert SearchSpace.from_dict(s.to_dict()) == s


MALFORMED = [
    ((), [BASE], r"space: expected an object, got list"),
    ((), None, r"space: expected an object, got null"),
    ((), "{}", r"space: expected an object, got string \('\{\}'\)"),
    (("format",), 5, r"space\.format: expected a string, got int \(5\)"),
    (("format",), "other", r"space\.format: not a search space"),
    (("version",), "1", r"space\.version: expected an int, got string \('1'\)"),
    (("version",), True, r"space\.version: expected an int, got bool \(True\)"),
    (("version",), 1.0, r"space\.version: expected an int, got float \(1\.0\)"),
    (("version",), 2, r"space\.version: 2 is newer than this nasbench_ui reads \(1\)"),
    (("version",), 0, r"space\.version: expected 1 to 1, got 0"),
    (("name",), 5, r"space\.name: expected a string, got int \(5\)"),
    (("input",), 3, r"space\.input: expected a string or null, got int \(3\)"),
    (("output",), ["out"], r"space\.output: expected a string or null, got list"),
    (("evil",), 1, r"space: unknown field\(s\) \['evil'\]"),
    (("nodes",), DROP, r"space\.nodes: missing; a search space JSON needs a list 'nodes'"),
    (("nodes",), {"in": {}}, r"space\.nodes: expected a list, got object \(\{'in': \{\}\}\); a search "
                                  r"space JSON needs a list 'nodes'"),
    (("nodes", 1), 7, r"space\.nodes\[1\]: expected a string or an object, got int \(7\)"),
    (("nodes", 0, "name"), DROP, r"space\.nodes\[0\]\.name: missing"),
    (("nodes", 0, "name"), None, r"space\.nodes\[0\]\.name: expected a string, got null"),
    (("nodes", 2, "merge"), 1, r"space\.nodes\[2\]\.merge: expected a string, got int"),
    (("nodes", 2, "merge"), "max", r"space\.nodes\[2\]: node 'b': merge must be one of"),
    (("edges",), DROP, r"space\.edges: missing"),
    (("edges",), "x", r"space\.edges: expected a list, got string \('x'\)"),
    (("edges", 1), None, r"space\.edges\[1\]: expected an object, got null"),
    (("edges", 0, "src"), DROP, r"space\.edges\[0\]\.src: missing"),
    (("edges", 0, "dst"), 4, r"space\.edges\[0\]\.dst: expected a string, got int \(4\)"),
    (("edges", 2, "ops"), 5, r"space\.edges\[2\]\.ops: expected a list, got int \(5\)"),
    (("edges", 2, "ops", 0), None, r"space\.edges\[2\]\.ops\[0\]: expected a string, got null"),
    (("edges", 2, "ops"), DROP, r"space\.edges\[2\]\.ops: missing"),
    (("edges", 0, "label"), 5, r"space\.edges\[0\]\.label: expected a string or null"),
    (("edges", 3, "params"), [], r"space\.edges\[3\]\.params: expected an object, got list"),
    (("edges", 3, "bind"), "units", r"space\.edges\[3\]\.bind: expected an object"),
    (("edges", 3, "bind", "units"), 5,
     r"space\.edges\[3\]\.bind\.units: expected a string, got int \(5\)"),
    (("edges", 3, "bind", "units"), "nope", r"^edge 'out<-a' \(a -> out\): 'units' is bound to 'nope', which "
                                          r"is not a hyperparameter"),
    (("input_choices",), 1, r"space\.input_choices: expected a list or null, got int"),
    (("input_choices", 0), "out", r"space\.input_choices\[0\]: expected an object"),
    (("input_choices", 0, "node"), None, r"space\.input_choices\[0\]\.node: expected a string"),
    (("input_choices", 0, "k"), DROP, r"space\.input_choices\[0\]\.k: missing"),
    (("input_choices", 0, "k"), "1", r"space\.input_choices\[0\]\.k: expected an int, got "
                                     r"string \('1'\)"),
    (("input_choices", 0, "candidates"), "ab",
     r"space\.input_choices\[0\]\.candidates: expected a list"),
    (("input_choices", 0, "candidates", 1), 2,
     r"space\.input_choices\[0\]\.candidates\[1\]: expected a string, got int"),
    (("hparams",), 5, r"space\.hparams: expected a list or null, got int \(5\)"),
    (("hparams", 0), "units", r"space\.hparams\[0\]: expected an object, got string"),
    (("hparams", 0, "type"), DROP, r"space\.hparams\[0\]\.type: missing"),
    (("hparams", 0, "type"), "range",
     r"space\.hparams\[0\]\.type: expected 'int', 'float' or 'categorical', got string"),
    (("hparams", 0, "label"), 3, r"space\.hparams\[0\]\.label: expected a non-empty string"),
    (("hparams", 0, "label"), DROP, r"space\.hparams\[0\]\.label: missing"),
    (("hparams", 0, "low"), "16", r"space\.hparams\[0\]\.low: expected an int, got string"),
    (("hparams", 0, "step"), 1.5, r"space\.hparams\[0\]\.step: expected an int, got float"),
    (("hparams", 0, "low"), 64,
     r"space\.hparams\[0\]: hyperparameter 'units': low \(64\) is above high \(32\)"),
    (("hparams", 1, "high"), None, r"space\.hparams\[1\]\.high: expected a finite number, "
                                   r"got null"),
    (("hparams", 1, "step"), DROP, r"space\.hparams\[1\]\.step: missing"),
    (("hparams", 2, "choices"), "abc", r"space\.hparams\[2\]\.choices: expected a list"),
    (("hparams", 2, "choices", 1), {}, r"space\.hparams\[2\]\.choices\[1\]: expected a JSON "
                                       r"scalar"),
    (("stem",), "16", r"space\.stem: expected an int or null, got string \('16'\)"),
    (("stem",), 0, r"space\.stem: expected null or a positive channel count, got 0"),
    (("head",), 1, r"space\.head: expected a string, got int"),
    (("head",), "pool", r"space\.head: expected one of \['flatten', 'gap'\], got string"),
    (("key_format",), None, r"space\.key_format: expected a string, got null"),
]


@pytest.mark.parametrize("path, value, match", MALFORMED,
                         ids=[f"{'.'.join(map(str, p)) or 'top'}={v!r}"[:50]
                              for p, v, _ in MALFORMED])
def test_a_malformed_document_is_a_value_error_naming_the_field(path, value, match):
    doc = changed(path, value)
    for parse in (SearchSpace.from_dict, lambda d: SearchSpace.from_json(json.dumps(d))):
        with pytest.raises(ValueError, match=match) as info:
            parse(doc)
        text = str(info.value)
        assert text.startswith("space") or match.startswith("^edge"), text


@pytest.mark.parametrize("text, match", [
    ("{", r"^malformed search space JSON: .* at line 1 column 2"),
    ("", r"^malformed search space JSON"),
    ("[1, 2]", r"^space: expected an object, got list \(\[1, 2\]\)"),
    ("5", r"^space: expected an object, got int \(5\)"),
    (b"\xff\xfe{", r"^malformed search space JSON"),
    (json.dumps(BASE).replace('"low": 0.1', '"low": NaN'),
     r"^space\.hparams\[1\]\.low: expected a finite number, got float \(nan\)"),
    (json.dumps(BASE).replace('"version": 1', '"version": "1"'),
     r"^space\.version: expected an int, got string \('1'\)"),
])
def test_bad_json_text_is_a_value_error(text, match):
    with pytest.raises(ValueError, match=match):
        SearchSpace.from_json(text)


def test_long_values_are_cut_in_messages():
    doc = changed(("edges", 2, "ops"), {"x" * 5000: 1})
    with pytest.raises(ValueError, match=r"^space\.edges\[2\]\.ops: expected a list, got "
                                         r"object \(\{'xxx.*\.\.\.\)$") as info:
        SearchSpace.from_dict(doc)
    assert len(str(info.value)) < 150


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


JUNK = [None, True, 5, -1, 1.5, "x", "", [], [None], {}, {"x": None}, DROP]


def test_no_field_of_any_type_raises_anything_but_value_error():
    """Every field of BASE set to each junk value: the parse succeeds or is a ValueError.

    A wrong JSON type names the field's path; a check of the whole graph (an unknown node
    or operation, a cycle) names its node or edge instead.
    """
    refused = 0
    for path in _paths(BASE):
        for junk in JUNK:
            if junk is DROP and isinstance(path[-1], int):
                continue
            try:
                SearchSpace.from_dict(changed(path, junk))
            except ValueError as e:
                refused += 1
                text = str(e)
                assert text.startswith("space") or "expected" not in text, (path, junk, text)
    assert refused > 300
