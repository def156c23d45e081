"""The static SVG drawing of an architecture (nasbench_ui.viz.arch_svg)."""

from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ET

import pytest

from nasbench_ui import spaces
from nasbench_ui.viz.arch_svg import arch_svg

NB201 = "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|"
SVG = "{http://www.w3.org/2000/svg}"


def parse(svg):
    return ET.fromstring(svg)


def test_nb201_draws_kept_edges_with_op_labels():
    s = spaces.nb201()
    root = parse(arch_svg(s, spaces.nb201_arch(NB201), title="best <trial>"))
    texts = [t.text for t in root.iter(SVG + "text")]
    ops = sorted(t for t in texts if t in s.edges[0].ops)
    assert ops == ["avg_pool_3x3", "nor_conv_1x1", "nor_conv_3x3", "skip_connect"]
    assert [t for t in texts if t in {"0", "1", "2", "3"}] == ["0", "1", "2", "3"]
    assert len(root.findall(SVG + "path")) == 4  # two `none` edges left out
    assert "best <trial>" in texts  # escaped in the source, intact once parsed


def test_nodes_are_placed_in_topological_layers():
    s = spaces.nb201()
    root = parse(arch_svg(s, spaces.nb201_arch(NB201)))
    xs = {}
    for t in root.iter(SVG + "text"):
        if t.text in {"0", "1", "2", "3"}:
            xs[t.text] = float(t.get("x"))
    assert xs["0"] < xs["1"] < xs["2"] < xs["3"]


def test_input_choice_drops_edges_of_unchosen_inputs():
    s = spaces.darts_cell()
    rng = random.Random(0)
    arch = s.sample(rng)
    arch = {k: ("skip_connect" if k != "n3.inputs" else ["in", "n1"]) for k in arch}
    svg = arch_svg(s, arch)
    titles = re.findall(r"<title>([^<]*)</title>", svg)
    assert "n3&lt;-in: skip_connect" in titles and "n3&lt;-n1: skip_connect" in titles
    assert not any(t.startswith("n3&lt;-n2") for t in titles)


def test_bound_hyperparameters_are_written_under_their_edge():
    s = spaces.keras_cnn()
    arch = {"filters": 96, "kernel_size": 5, "units": 64, "dropout": 0.3, "learning_rate": 0.001}
    texts = [t.text for t in parse(arch_svg(s, arch)).iter(SVG + "text")]
    assert "filters=96, kernel_size=5" in texts and "units=64" in texts and "rate=0.3" in texts


@pytest.mark.parametrize("name", ["keras_cnn", "mlp", "rnn", "darts_cell", "blank"])
def test_every_preset_draws_valid_svg(name):
    s = spaces.get(name)
    root = parse(arch_svg(s, s.sample(random.Random(3))))
    assert root.tag == SVG + "svg" and float(root.get("width")) > 0


def test_bad_arch_raises_the_space_error():
    with pytest.raises(ValueError, match="arch must be a dict"):
        arch_svg(spaces.nb201(), "|none~0|")
    bad = {**spaces.nb201_arch(NB201), "1<-0": "conv_99"}
    with pytest.raises(ValueError, match="conv_99"):
        arch_svg(spaces.nb201(), bad)
    with pytest.raises(ValueError, match="space must be a SearchSpace"):
        arch_svg({"edges": []}, {})
