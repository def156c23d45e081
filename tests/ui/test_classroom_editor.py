"""Issue 11, point 5 (headless part): validation that names the dead end, the layout
that fits a deep graph on a screen, and the editor's wording."""

from __future__ import annotations

from nasbench_ui import spaces
from nasbench_ui.benchmarks import digits_space
from nasbench_ui.ui.graph_editor import HERE, GraphEditor, compute_layout, dead_ends, explain


def _without(d, label):
    return {**d, "edges": [e for e in d["edges"] if e["label"] != label]}


def test_a_dead_end_is_flagged_not_the_input():
    ed = GraphEditor(spaces.keras_cnn())
    d = ed.space_json
    ed.space_json = _without(d, "act1<-conv")
    assert not ed.valid and ed.errors["nodes"] == ["conv"]
    assert "dead end" in ed.errors["message"] and "'conv'" in ed.errors["message"]
    for text in (ed.errors["message"], ed.errors["hint"]):
        assert "delete" not in text
    assert ed.undo() and ed.valid


def test_the_input_is_never_to_be_deleted():
    d = spaces.keras_cnn().to_dict()
    errors = explain("node 'input' cannot reach the output 'output'; connect it to a later "
                     "node or delete it", _without(d, "conv<-input"))
    assert errors["nodes"] == ["input"] and "delete" not in errors["hint"]
    assert dead_ends(d) == []


def test_deep_graphs_are_drawn_top_to_bottom_and_shallow_ones_left_to_right():
    pos = compute_layout(spaces.keras_cnn().to_dict())
    ys = [pos[n][1] for n in ("input", "conv", "act1", "pool", "dense", "act2", "output")]
    assert ys == sorted(ys) and len({p[0] for p in pos.values()}) == 1
    # 7 levels fit the canvas's 560 px at 14 px names: 17 px * scale >= 14
    height = max(ys) - min(ys) + 46 + 2 * 24
    assert 17 * min(1.0, 558 / height) >= 14
    d = compute_layout(digits_space().to_dict())
    assert [d[n][0] for n in "0123"] == sorted(d[n][0] for n in "0123")


def test_editor_script_handles_keys_and_says_one_architecture():
    js = (HERE / "graph_editor.js").read_text(encoding="utf-8")
    assert '"Delete"' in js and '"Backspace"' in js and "stopPropagation" in js
    assert "data-lm-suppress-shortcuts" in js
    assert 'size === 1 ? "architecture" : "architectures"' in js
