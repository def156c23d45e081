"""ArchView without a browser: which edges are drawn, the notes, bad architectures."""

from __future__ import annotations

import pytest

from nasbench_ui import spaces
from nasbench_ui.space import Edge, SearchSpace
from nasbench_ui.ui import arch_view
from nasbench_ui.ui.arch_view import (
    LABEL_CHARS,
    SPACE_TITLE,
    ArchView,
    candidate_notes,
    ops_label,
    widest_label,
)
from nasbench_ui.ui.graph_editor import HERE


def test_nb201_arch_with_two_none_edges_shows_four():
    s = spaces.nb201()
    arch = spaces.nb201_arch(
        "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|none~1|nor_conv_1x1~2|")
    v = ArchView(s, arch, title="trial 3")
    assert v.mode == "view" and v.title == "trial 3"
    assert v.edges_shown == [
        {"src": "0", "dst": "1", "op": "nor_conv_3x3", "label": "1<-0"},
        {"src": "1", "dst": "2", "op": "skip_connect", "label": "2<-1"},
        {"src": "0", "dst": "3", "op": "avg_pool_3x3", "label": "3<-0"},
        {"src": "2", "dst": "3", "op": "nor_conv_1x1", "label": "3<-2"},
    ]
    assert v.arch == arch and v.notes == []
    assert set(v.positions) == {"0", "1", "2", "3"}
    assert v.space_json == s.to_dict()


def test_without_arch_every_edge_with_its_candidates():
    v = ArchView(spaces.mlp())
    assert v.arch is None
    assert len(v.edges_shown) == 6
    assert v.edges_shown[1]["op"] == "relu | tanh | gelu"
    assert v.notes == [] and v.title == SPACE_TITLE


def test_without_arch_long_candidate_lists_read_as_a_count_with_a_note():
    """Before a search has a trial the view drew ``none | skip_connect | nor_conv_1x1 |
    nor_conv_3x3 | avg_pool_3x3`` on each of nb201's six edges: 63 characters, wider
    than the graph's columns, over the other edges and the nodes. Now each edge reads
    ``5 ops`` (the editor's label) and the list is written once, under the graph."""
    s = spaces.nb201()
    v = ArchView(s)
    assert [e["op"] for e in v.edges_shown] == ["5 ops"] * 6
    assert all(len(e["op"]) <= LABEL_CHARS for e in v.edges_shown)
    assert v.notes == ["5 ops = none | skip_connect | nor_conv_1x1 | nor_conv_3x3 | avg_pool_3x3"]
    assert v.title == SPACE_TITLE
    v.show(None, title="no trial yet at this replay position")
    assert v.title == "no trial yet at this replay position"
    v.show(s.sample(__import__("random").Random(0)), title="trial 0")
    assert v.notes == [] and {e["op"] for e in v.edges_shown} <= set(s.edges[0].ops)


def test_ops_label_and_notes_name_the_edges_when_counts_collide():
    assert ops_label(["a", "b", "a"]) == "a | b"
    assert ops_label(["x" * 30]) == "x" * 21 + "\u2026"
    five = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
    other = ("none", "skip_connect", "sep_conv_3x3", "sep_conv_5x5", "max_pool_3x3")
    notes = candidate_notes([Edge("0", "1", five), Edge("1", "2", other), Edge("0", "2", five)])
    assert notes == ["0 \u2192 1, 0 \u2192 2: " + " | ".join(five),
                     "1 \u2192 2: " + " | ".join(other)]


@pytest.mark.parametrize("preset", ["nb201", "darts_cell", "darts", "mlp", "keras_cnn", "rnn"])
def test_columns_leave_room_for_the_widest_edge_text(preset):
    """Two nodes side by side (same row) are far enough apart that the widest text an
    edge of the space carries fits between their boxes with a margin: the page draws a
    straight edge's text at its middle (nb201's ``nor_conv_3x3`` covered node ``1``
    when the columns were 160 px apart, 36 px between boxes)."""
    s = spaces.get(preset)
    v = ArchView(s)
    need = widest_label(s) * arch_view.CHAR_W + 2 * arch_view.LABEL_MARGIN
    rows: dict[float, list[float]] = {}
    for x, y in v.positions.values():
        rows.setdefault(y, []).append(x)
    gaps = [b - a - arch_view.NODE_W for xs in rows.values()
            for a, b in zip(sorted(xs), sorted(xs)[1:], strict=False)]
    # the two chains are drawn top to bottom, one node a row: nothing side by side
    assert bool(gaps) == (preset not in {"mlp", "keras_cnn"}), gaps
    assert all(gap >= need - 1e-9 for gap in gaps), (gaps, need)


def test_widest_label_counts_the_characters_of_an_edge_text():
    assert widest_label(SearchSpace("t", ["a", "b"], [Edge("a", "b", ["relu"])])) == 4


def test_sizes_mirror_graph_editor_js():
    """The spacing counts in the page's sizes: they must be graph_editor.js's."""
    js = (HERE / "graph_editor.js").read_text(encoding="utf-8")
    assert f"const NODE_W = {arch_view.NODE_W:g};" in js
    assert "const LABEL_PX = 13;" in js and "const CHAR_W = LABEL_PX * 0.58;" in js
    assert arch_view.CHAR_W == 13 * 0.58
    assert "return uniq.length > 1 ? `${uniq.length} ops` : short(all, 22);" in js
    assert "if (all.length <= 22) return all;" in js and LABEL_CHARS == 22


def test_input_choice_drops_edges_and_hparams_listed():
    s = spaces.darts_cell()
    arch = {d.label: d.choices()[1] for d in s.decisions}   # skip_connect everywhere
    arch["n3.inputs"] = ["in", "n2"]
    v = ArchView(s)
    v.show(arch, title="x")
    labels = [e["label"] for e in v.edges_shown]
    assert "n3<-n1" not in labels and "n3<-in" in labels and "n3<-n2" in labels
    # the input choice in words, not its stored label ("n3.inputs = in, n2" read like code)
    assert "node n3 takes the input and node n2" in v.notes
    assert not any(".inputs" in n or "=" in n for n in v.notes if "takes" in n), v.notes
    arch["n3.inputs"] = ["n1", "n2"]
    v.show(arch)
    assert "node n3 takes nodes n1 and n2" in v.notes, v.notes
    k = ArchView(spaces.keras_cnn(), {"filters": 64, "kernel_size": 5, "units": 32,
                                       "dropout": 0.30000000000000004, "learning_rate": 0.01})
    assert k.notes == ["filters = 64", "kernel_size = 5", "units = 32", "dropout = 0.3",
                       "learning_rate = 0.01"]


def test_bad_arch_raises_and_keeps_old_view():
    s = spaces.nb201()
    good = s.sample(__import__("random").Random(0))
    v = ArchView(s, good)
    with pytest.raises(ValueError, match="1<-0"):
        v.show({**good, "1<-0": "teleport"})
    assert v.arch == good


def test_set_space_switches_and_clears_arch():
    v = ArchView(spaces.nb201(), spaces.nb201().sample(__import__("random").Random(1)))
    v.set_space(spaces.rnn())
    assert v.space == spaces.rnn() and v.arch is None
    assert set(v.positions) == {"input", "recurrent", "output"}
    with pytest.raises(ValueError, match="needs a SearchSpace"):
        ArchView("nb201")
