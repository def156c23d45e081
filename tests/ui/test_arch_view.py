"""ArchView without a browser: which edges are drawn, the notes, bad architectures."""

from __future__ import annotations

import pytest

from nasbench_ui import spaces
from nasbench_ui.ui.arch_view import ArchView


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


def test_input_choice_drops_edges_and_hparams_listed():
    s = spaces.darts_cell()
    arch = {d.label: d.choices()[1] for d in s.decisions}   # skip_connect everywhere
    arch["n3.inputs"] = ["in", "n2"]
    v = ArchView(s)
    v.show(arch, title="x")
    labels = [e["label"] for e in v.edges_shown]
    assert "n3<-n1" not in labels and "n3<-in" in labels and "n3<-n2" in labels
    assert "n3.inputs = in, n2" in v.notes
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
