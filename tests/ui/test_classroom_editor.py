"""Issue 11, point 5 (headless part): validation that names the dead end, the layout
that fits a deep graph on a screen, and the editor's wording."""

from __future__ import annotations

from nasbench_ui import spaces
from nasbench_ui.ui.graph_editor import HERE, GraphEditor


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


def test_editor_script_handles_keys_and_says_one_architecture():
    js = (HERE / "graph_editor.js").read_text(encoding="utf-8")
    assert '"Delete"' in js and '"Backspace"' in js and "stopPropagation" in js
    assert "data-lm-suppress-shortcuts" in js
    assert 'size === 1 ? "architecture" : "architectures"' in js
