"""GraphEditor without a browser: edits through the synced traits and custom messages."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess

import pytest

from nasbench_ui import spaces
from nasbench_ui.space import SearchSpace, ops
from nasbench_ui.ui.graph_editor import HERE, MAX_HISTORY, GraphEditor
from nasbench_ui.ui.graph_layout import compute_layout


def _with_edge(d: dict, src: str, dst: str, op_list: list[str]) -> dict:
    d = copy.deepcopy(d)
    d["edges"].append({"src": src, "dst": dst, "ops": op_list, "label": f"{dst}<-{src}",
                       "params": {}, "bind": {}})
    return d


def _with_node(d: dict, name: str) -> dict:
    d = copy.deepcopy(d)
    d["nodes"].insert(len(d["nodes"]) - 1, {"name": name, "merge": "sum"})
    return d


def test_default_is_blank_space_with_op_groups():
    ed = GraphEditor()
    assert ed.space.name == "blank"
    assert ed.size == 1 and ed.valid and ed.mode == "edit"
    assert ed.op_groups == ops.groups()
    assert "skip" in ed.op_groups["identity"] and "conv_3x3" in ed.op_groups["conv"]
    assert not ed.can_undo and not ed.can_redo


def test_a_cells_edges_are_offered_only_the_operations_that_keep_its_feature_map():
    # a teacher's pass: "Add an operation" on a digits_cell edge offered gru and lstm
    ed = GraphEditor(spaces.digits_cell())
    offered = {op for names in ed.op_groups.values() for op in names}
    for op in ("gru", "lstm", "linear", "flatten", "global_avg_pool", "max_pool_2x2"):
        assert op not in offered, op
    assert {"nor_conv_3x3", "sep_conv_5x5", "avg_pool_3x3", "skip_connect", "none",
            "batch_norm", "relu"} <= offered
    assert "16-channel feature map" in ed.op_note
    d = ed.space_json  # an edge that already holds an operation the offer leaves out
    ed.space_json = {**d, "edges": [{**e, "ops": [*e["ops"], "gru"]} if i == 0 else e
                                    for i, e in enumerate(d["edges"])]}
    assert not ed.valid or "gru" in ed.space_json["edges"][0]["ops"]  # shown, as drawn
    ed.space = spaces.rnn()  # no stem: its shapes come from the data set, all are offered
    assert ed.op_groups == ops.groups() and ed.op_note == ""
    assert "gru" in ed.op_groups["recurrent"] and "conv_3x3" in ed.op_groups["conv"]


def test_adding_an_edge_through_space_json_changes_space():
    ed = GraphEditor(spaces.blank())
    seen: list[SearchSpace] = []
    ed.observe_space(seen.append)
    d = _with_node(ed.space_json, "n1")
    ed.space_json = d                       # unconnected node: invalid, shown red
    assert not ed.valid
    assert ed.errors["nodes"] == ["n1"]
    assert "unreachable" in ed.errors["message"]
    assert ed.errors["hint"] == "connect it to an earlier node or delete it"
    assert ed.size == 1                     # the last valid count stays
    assert "n1" in ed.positions             # the new node got a position
    with pytest.raises(ValueError, match="node 'n1' is unreachable"):
        _ = ed.space
    assert seen == []
    d = _with_edge(d, "input", "n1", ["conv_3x3", "skip"])
    d = _with_edge(d, "n1", "output", ["relu"])
    ed.space_json = d
    assert ed.valid and ed.errors["message"] == ""
    assert [e.label for e in ed.space.edges] == ["output<-input", "n1<-input", "output<-n1"]
    assert ed.space.size() == 2 and ed.size == 2
    assert len(seen) == 1 and seen[0] == ed.space


def test_valid_edit_is_normalised():
    ed = GraphEditor(spaces.blank())
    d = copy.deepcopy(ed.space_json)
    d["nodes"].insert(1, "mid")             # a bare name and an edge without label/params
    d["edges"] = [{"src": "input", "dst": "mid", "ops": ["relu", "tanh"]},
                  {"src": "mid", "dst": "output", "ops": ["skip"]}]
    ed.space_json = d
    assert ed.valid
    assert ed.space_json["nodes"][1] == {"name": "mid", "merge": "sum"}
    assert ed.space_json["edges"][0]["label"] == "mid<-input"
    assert ed.space_json == ed.space.to_dict()


def test_cycle_names_its_nodes_and_edges_and_space_raises():
    ed = GraphEditor(spaces.mlp())
    ed.space_json = _with_edge(ed.space_json, "a2", "h1", ["skip"])   # h1 -> a1 -> h2 -> a2 -> h1
    assert not ed.valid
    assert ed.errors["message"].startswith("the graph has a cycle through nodes")
    assert ed.errors["hint"] == "remove one of its edges"
    assert sorted(ed.errors["nodes"]) == ["a1", "a2", "h1", "h2"]
    assert sorted(ed.errors["edges"]) == ["act_1", "act_2", "h1<-a2", "h2<-a1"]
    with pytest.raises(ValueError, match="cycle"):
        _ = ed.space


def test_edge_into_the_output_side_names_the_edge():
    ed = GraphEditor(spaces.nb201())
    ed.space_json = _with_edge(ed.space_json, "3", "1", ["skip"])
    assert ed.errors["edges"] == ["1<-3"] and ed.errors["nodes"] == []
    assert "the output node '3' cannot have outgoing edges" in ed.errors["message"]


def test_node_with_no_way_out_is_named():
    ed = GraphEditor(spaces.blank())
    d = _with_edge(_with_node(ed.space_json, "dead"), "input", "dead", ["relu"])
    ed.space_json = d
    assert ed.errors["nodes"] == ["dead"]
    assert ed.errors["message"] == (
        "node 'dead' cannot reach the output 'output'; connect it to a later node or delete it")
    assert ed.errors["hint"] == "connect it to a later node or delete it"


def test_edge_errors_name_the_edge_only():
    ed = GraphEditor(spaces.blank())
    d = copy.deepcopy(ed.space_json)
    d["edges"][0]["ops"] = []
    ed.space_json = d
    assert ed.errors["edges"] == ["output<-input"] and ed.errors["nodes"] == []
    assert ed.errors["hint"] == "add at least one"
    d["edges"][0]["ops"] = ["no_such_op"]
    ed.space_json = d
    assert ed.errors["edges"] == ["output<-input"]
    assert "unknown operation 'no_such_op'" in ed.errors["message"]


def test_malformed_dict_gives_message_not_exception():
    ed = GraphEditor(spaces.blank())
    ed.space_json = {"nodes": "oops", "edges": []}
    assert not ed.valid
    assert "needs a list 'nodes'" in ed.errors["message"]
    assert ed.positions == {}


def test_undo_redo_restore_and_history_limit():
    ed = GraphEditor(spaces.blank())
    first = copy.deepcopy(ed.space_json)
    d1 = _with_node(first, "n1")
    ed.space_json = d1
    d2 = _with_edge(_with_edge(d1, "input", "n1", ["relu"]), "n1", "output", ["skip"])
    ed.space_json = d2
    assert ed.valid and ed.can_undo and not ed.can_redo
    assert ed.undo() is True
    assert not ed.valid and ed.errors["nodes"] == ["n1"]
    assert ed.undo() is True
    assert ed.valid and ed.space_json == first and "n1" not in ed.positions
    assert ed.undo() is False
    assert ed.can_redo
    assert ed.redo() and ed.redo()
    assert ed.valid and [n.name for n in ed.space.nodes] == ["input", "n1", "output"]
    assert ed.redo() is False
    ed.undo()
    ed.space = spaces.mlp()                 # a new edit drops the redo branch
    assert not ed.can_redo
    for i in range(MAX_HISTORY + 20):
        ed.space_json = _with_node(ed.space_json, f"x{i}")
    steps = 0
    while ed.undo():
        steps += 1
    assert steps == MAX_HISTORY - 1


def test_undo_keeps_moved_positions_and_restores_deleted_nodes_place():
    ed = GraphEditor(spaces.mlp())
    ed.positions = {**ed.positions, "h1": [11.0, 22.0]}
    d = copy.deepcopy(ed.space_json)
    d["nodes"] = [n for n in d["nodes"] if n["name"] != "h2"]
    d["edges"] = [e for e in d["edges"] if "h2" not in (e["src"], e["dst"])]
    ed.space_json = d
    assert "h2" not in ed.positions and not ed.valid
    ed.undo()
    assert ed.valid and ed.positions["h1"] == [11.0, 22.0] and "h2" in ed.positions


def test_custom_messages_drive_undo_redo_import_relayout():
    ed = GraphEditor(spaces.blank())
    ed.space_json = _with_node(ed.space_json, "n1")
    ed._on_msg(ed, {"type": "undo"}, [])
    assert ed.valid and ed.space.name == "blank"
    ed._on_msg(ed, {"type": "redo"}, [])
    assert not ed.valid
    ed._on_msg(ed, {"type": "import", "text": spaces.rnn().to_json()}, [])
    assert ed.valid and ed.space == spaces.rnn()
    ed.positions = {k: [0.0, 0.0] for k in ed.positions}
    ed._on_msg(ed, {"type": "relayout"}, [])
    assert ed.positions == compute_layout(ed.space_json)
    ed._on_msg(ed, {"type": "bogus"}, [])   # unknown messages are ignored
    ed._on_msg(ed, "not a dict", [])
    assert ed.space == spaces.rnn()


def test_setting_space_updates_json_layout_and_size():
    ed = GraphEditor(spaces.blank())
    ed.space = spaces.nb201()
    assert ed.space_json == spaces.nb201().to_dict()
    assert ed.size == 15625
    pos = ed.positions
    assert set(pos) == {"0", "1", "2", "3"}
    xs = {n: xy[0] for n, xy in pos.items()}
    assert xs["0"] == min(xs.values())
    assert xs["3"] == max(xs.values()) and sorted(xs.values()).count(xs["3"]) == 1
    assert xs["0"] < xs["1"] < xs["2"] < xs["3"]
    with pytest.raises(ValueError, match="takes a SearchSpace, got dict"):
        ed.space = spaces.nb201().to_dict()


def test_import_of_malformed_json_keeps_old_space():
    ed = GraphEditor(spaces.keras_cnn())
    before = copy.deepcopy(ed.space_json)
    assert ed.load_json("{not json") is False
    assert ed.errors["message"].startswith("Import failed: malformed search space JSON")
    assert ed.space_json == before and ed.valid and ed.space == spaces.keras_cnn()
    assert ed.load_json(json.dumps({"nodes": ["a", "b"], "edges": [
        {"src": "a", "dst": "b", "ops": ["warp_drive"]}]})) is False
    assert "unknown operation 'warp_drive'" in ed.errors["message"]
    assert ed.space == spaces.keras_cnn()
    assert ed.load_json(b"\xff\xfe") is False
    assert ed.space == spaces.keras_cnn()


def test_export_import_round_trip_keeps_positions():
    ed = GraphEditor(spaces.darts_cell())
    ed.positions = {**ed.positions, "n2": [5.0, 300.0]}
    text = ed.to_json()
    assert json.loads(text)["layout"]["n2"] == [5.0, 300.0]
    other = GraphEditor()
    assert other.load_json(text) is True
    assert other.space == spaces.darts_cell()
    assert other.positions["n2"] == [5.0, 300.0]
    assert other.errors["message"] == ""


def test_observe_space_rejects_non_callable_and_unobserve():
    ed = GraphEditor()
    with pytest.raises(ValueError, match="takes a callable"):
        ed.observe_space("nope")
    calls: list[str] = []

    def cb(s: SearchSpace) -> None:
        calls.append(s.name)

    ed.observe_space(cb)
    ed.space = spaces.rnn()
    ed.unobserve_space(cb)
    ed.space = spaces.mlp()
    assert calls == ["rnn"]
    with pytest.raises(ValueError, match="not observing"):
        ed.unobserve_space(cb)


def test_esm_and_css_are_the_package_files():
    ed = GraphEditor()
    assert ed._esm == (HERE / "graph_editor.js").read_text(encoding="utf-8")
    assert "export default" in ed._esm and ".nbui-node" in ed._css
    # every class and data attribute the browser tests rely on is in the module
    for hook in ("nbui-node", "nbui-handle", "nbui-edge", "nbui-add-node", "nbui-delete",
                 "nbui-undo", "nbui-redo", "nbui-errors", "nbui-size", "nbui-op", "data-op",
                 "data-node", "data-edge", "pointerdown", "pointermove", "pointerup"):
        assert hook in ed._esm, hook


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_js_module_parses():
    src = HERE / "graph_editor.js"
    # --check treats a .js file as a CommonJS script; check it as an ES module
    res = subprocess.run(["node", "--input-type=module", "--check"], input=src.read_text(),
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr
