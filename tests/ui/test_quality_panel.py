"""QualityPanel (nasbench_ui.ui.quality_panel) headless, fed by real experiments."""

from __future__ import annotations

import math
import time

import pandas as pd
import pytest
from scipy import stats

import nasbench_ui as nb
from nasbench_ui.estimators import Estimate
from nasbench_ui.quality import GroundTruth
from nasbench_ui.storage import Trial, TrialState
from nasbench_ui.ui.quality_panel import QualityPanel


def check_panel(panel, exp, truth):
    done = [t for t in exp.trials if t.state is TrialState.COMPLETE]
    known = [t for t in done if truth(t.arch) is not None]
    data = panel.source.data
    assert data["number"] == [t.number for t in known]
    assert data["estimate"] == [t.value for t in known]
    assert data["truth"] == [truth(t.arch) for t in known]
    est, tru = data["estimate"], data["truth"]
    q = panel.quality
    assert q["n"] == len(known)
    assert q["kendall_tau"] == pytest.approx(stats.kendalltau(est, tru).statistic)
    assert q["spearman"] == pytest.approx(stats.spearmanr(est, tru).statistic)
    k = min(panel.k, len(known))
    top_est = {t.number for t in sorted(known, key=lambda t: -t.value)[:k]}
    top_true = {t.number for t in sorted(known, key=lambda t: -truth(t.arch))[:k]}
    assert q["top_k_overlap"] == pytest.approx(len(top_est & top_true) / k)
    assert f"{q['kendall_tau']:.3f}" in panel.numbers.value
    assert f"{q['top_k_overlap']:.3f}" in panel.numbers.value
    # the truth is named as a student reads it (it said "vs the frame given")
    assert f"trials vs {truth.source}" in panel.numbers.value
    assert truth.source in ("the ground-truth table", "the ground-truth values") \
        or truth.source.endswith(".csv")


def test_real_nb201_table_12_epochs_against_200(nb201_csv):
    """The tabular estimator's 12-epoch accuracy, ranked against the 200-epoch one."""
    exp = nb.Experiment("nb201", strategy="random", estimator="tabular", trials=25, seed=0,
                        estimator_options={"table": str(nb201_csv), "metric": "valid_acc_12ep"})
    truth = GroundTruth(exp.space, nb201_csv, metric="valid_acc_200ep")
    assert len(truth) == 15625
    panel = QualityPanel(exp.space, truth, k=5, interval=0.05)
    sizes = []

    def on_event(event):  # the live path: each finished trial reaches the panel
        if event.kind == "trial_finish":
            panel.update(exp.trials)
            panel.flush()
            sizes.append(len(panel.source.data["number"]))

    exp.observe(on_event)
    try:
        exp.run()
        assert sizes == list(range(1, 26))
        check_panel(panel, exp, truth)
        # 12 epochs of training rank NAS-Bench-201 cells well, but not perfectly
        assert 0.3 < panel.quality["kendall_tau"] < 1.0
    finally:
        panel.close()


class Proxy:
    """A synthetic estimator: the count of 3x3 convolutions."""

    NAME, OPTIONS = "proxy", {}

    def estimate(self, arch, ctx):
        v = sum(op == "nor_conv_3x3" for op in arch.values()) / 6
        return Estimate(v, {})


def test_synthetic_truth_with_unknown_architectures():
    space = nb.spaces.nb201()
    exp = nb.Experiment(space, strategy="evolution", estimator=Proxy(), trials=20, seed=2,
                        strategy_options={"population": 5, "sample_size": 2}).run()
    archs = [t.arch for t in exp.trials]
    # a truth for all but the first three trials' architectures
    truth = GroundTruth(space, pd.DataFrame({
        "arch_str": [space.key(a) for a in archs[3:]],
        "acc": [sum(op in ("nor_conv_3x3", "nor_conv_1x1") for op in a.values()) * 10.0
                for a in archs[3:]]}).drop_duplicates("arch_str"), metric="acc")
    unknown = sum(truth(a) is None for a in archs)
    assert unknown >= 1
    panel = QualityPanel(space, truth, k=4)
    try:
        panel.update(exp.trials)
        panel.flush()
        check_panel(panel, exp, truth)
        assert panel.unknown == unknown
        assert f"{unknown} trial(s) not in the ground truth" in panel.numbers.value
    finally:
        panel.close()


def test_running_failed_and_empty_trials():
    space = nb.spaces.nb201()
    a = space.sample(__import__("random").Random(1))
    truth = GroundTruth(space, {space.key(a): 0.9})
    panel = QualityPanel(space, truth, interval=0.01)
    try:
        panel.flush()
        assert panel.quality["n"] == 0 and "–" in panel.numbers.value
        panel.update([Trial(0, TrialState.RUNNING, a, None), Trial(1, TrialState.FAILED, a, None),
                      Trial(2, TrialState.COMPLETE, a, 0.4)])
        panel.flush()
        assert panel.source.data["number"] == [2]
        assert math.isnan(panel.quality["kendall_tau"])  # one pair: no correlation yet
    finally:
        panel.close()


def test_throttled_update_reaches_the_source():
    space = nb.spaces.nb201()
    a = space.sample(__import__("random").Random(1))
    panel = QualityPanel(space, GroundTruth(space, {space.key(a): 0.9}), interval=0.01)
    try:
        panel.update([Trial(0, TrialState.COMPLETE, a, 0.4)])  # no flush: the thread pushes
        deadline = time.monotonic() + 30
        while panel.source.data["number"] != [0] and time.monotonic() < deadline:
            time.sleep(0.01)
        assert panel.source.data["number"] == [0] and panel.pushes >= 1
    finally:
        panel.close()


def test_bad_input():
    space = nb.spaces.nb201()
    with pytest.raises(ValueError, match="GroundTruth"):
        QualityPanel(space, {"x": 1.0})
    with pytest.raises(ValueError, match="k must be"):
        QualityPanel(space, GroundTruth(space, {}), k=0)


def test_a_panel_display_sends_its_pushes_whole_until_a_view_is_ready():
    from bokeh.events import DocumentReady

    space = nb.spaces.nb201()
    truth = GroundTruth(space, pd.DataFrame({"arch_str": [], "acc": []}), metric="acc")
    panel = QualityPanel(space, truth)
    try:
        panel.figure.document.callbacks.trigger_event(DocumentReady())
        assert panel.pusher._whole_until < time.monotonic()
        assert "application/vnd.jupyter.widget-view+json" in panel._repr_mimebundle_()
        assert panel.pusher._whole_until > time.monotonic()
    finally:
        panel.close()
