"""Pure chart data (nasbench_ui.viz.tables) on hand-built trials with hand-checked answers."""

from __future__ import annotations

import math
import random

import pytest

from nasbench_ui import spaces
from nasbench_ui.space import Edge, SearchSpace
from nasbench_ui.storage.trial import Trial, TrialState
from nasbench_ui.viz import tables

C, P, F, R, INT = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAILED,
                 TrialState.RUNNING, TrialState.INTERRUPTED)


def trial(n, state=C, value=None, arch=None, **metrics):
    return Trial(n, state, arch or {"op": "skip"}, value, metrics)


def nan_eq(a, b):
    return len(a) == len(b) and all(
        (isinstance(x, float) and math.isnan(x) and isinstance(y, float) and math.isnan(y))
        or x == y for x, y in zip(a, b, strict=True))


# ------------------------------------------------------------------ history
def test_history_best_so_far_over_complete_only_and_sorted_by_number():
    ts = [trial(3, C, 0.6), trial(0, C, 0.5), trial(1, P, 0.99), trial(2, F, None),
          trial(4, C, 0.55), trial(5, R, None), trial(6, INT, None)]
    d = tables.history_data(ts)
    assert d["number"] == [0, 1, 2, 3, 4, 6]  # RUNNING left out
    assert d["state"] == ["COMPLETE", "PRUNED", "FAILED", "COMPLETE", "COMPLETE", "INTERRUPTED"]
    assert nan_eq(d["value"], [0.5, 0.99, math.nan, 0.6, 0.55, math.nan])
    assert d["best_so_far"] == [0.5, 0.5, 0.5, 0.6, 0.6, 0.6]  # the pruned 0.99 never counts
    assert d["color"][0] == tables.STATE_COLORS["COMPLETE"]
    assert d["color"][2] == tables.STATE_COLORS["FAILED"]


def test_history_minimize_nan_before_first_complete_and_initial_best():
    ts = [trial(0, F), trial(1, C, 3.0), trial(2, C, 5.0), trial(3, C, 1.0)]
    d = tables.history_data(ts, maximize=False)
    assert math.isnan(d["best_so_far"][0])
    assert d["best_so_far"][1:] == [3.0, 3.0, 1.0]
    assert tables.history_data(ts[1:3], maximize=False, initial_best=2.0)["best_so_far"] == [2.0, 2.0]


def test_history_best_so_far_is_monotone_on_random_trials():
    rng = random.Random(1)
    ts = [trial(i, rng.choice([C, C, P, F]), rng.random()) for i in range(300)]
    best = [b for b in tables.history_data(ts)["best_so_far"] if not math.isnan(b)]
    assert best and all(a <= b for a, b in zip(best, best[1:], strict=False))
    assert best[-1] == max(t.value for t in ts if t.state is C)


def test_history_objective_metric_and_hover_texts():
    ts = [trial(0, C, 0.1, arch={"a": "conv", "n.inputs": ["x", "y"], "lr": 0.001},
                valid_acc=0.91234567, params=12)]
    d = tables.history_data(ts, objective="valid_acc")
    assert d["value"] == [0.91234567]
    assert d["arch_text"] == ["inputs of n: x and y, a=conv, lr=0.001"]
    assert d["metrics_text"] == ["valid_acc=0.9123, params=12"]
    long = tables.arch_text({f"k{i}": "x" * 20 for i in range(20)})
    assert len(long) <= tables.TEXT_LIMIT and long.endswith("\u2026")


def test_hover_texts_name_an_edge_in_words_and_fit_the_limit():
    """The hover read "1<-0=nor_conv_3x3, 2<-0=..."; a teacher reads "edge 0 → 1:
    nor_conv_3x3". The longest nb201 cell (six 12-letter operations) still fits whole."""
    from nasbench_ui import spaces

    space = spaces.nb201()
    arch = {lb: "nor_conv_3x3" for lb in space.labels}
    text = tables.arch_text(arch)
    assert text.startswith("edge 0 → 1: nor_conv_3x3, edge 0 → 2: nor_conv_3x3")
    assert "<-" not in text and not text.endswith("\u2026") and len(text) <= tables.TEXT_LIMIT
    assert tables.arch_text({"n2<-input": "relu", "units": 32}) == "edge input → n2: relu, units=32"


def test_hover_texts_read_an_input_choice_in_words():
    """A report's hover read darts_cell's input choice as 'node n3 takes nodes in and n2'
    (the report did not know the space's input node, 'in', and called it a node). A hover
    now reads it under the Trials table's column name, 'inputs of n3: in and n2',
    whatever the chart knows of the space."""
    arch = {"1<-0": "skip", "n3.inputs": ["in", "n2"], "lr": 0.001}
    assert tables.arch_text(arch) == "inputs of n3: in and n2, edge 0 → 1: skip, lr=0.001"
    assert tables.arch_text({"n3.inputs": []}) == "inputs of n3: none"
    assert tables.arch_text({"n3.inputs": "n1"}) == "n3.inputs=n1"  # not a choice's list
    d = tables.history_data([trial(0, C, 0.5, arch={"n3.inputs": ["in", "n2"]})])
    assert d["arch_text"] == ["inputs of n3: in and n2"]
    assert not any("nodes in" in t for t in d["arch_text"])


def test_a_darts_cell_hover_shows_its_input_choice_before_the_limit():
    """darts_cell's nine edges take about 250 characters: its hover was cut at 160 in
    the sixth edge ('edge n2 → n3: skip_…', artifacts/teacher2-closed-hover.png) and never
    showed which inputs node n3 takes. The input choice now comes first."""
    from nasbench_ui import spaces

    space = spaces.darts_cell()
    arch = space.sample(__import__("random").Random(1))
    text = tables.arch_text(arch)
    assert text.startswith("inputs of n3: "), text
    assert len(text) <= tables.TEXT_LIMIT and text.endswith("\u2026")


def test_a_cut_hover_text_ends_after_a_whole_item_not_mid_word():
    """A hover cut at TEXT_LIMIT (160) ended mid-word: '..., edge n1 → n3: se…'
    (artifacts/teacher2-closed-hover.png). It now ends after the last whole item that
    fits, then an ellipsis; a text with no place to cut is still cut at the limit."""
    from nasbench_ui import spaces

    space = spaces.darts_cell()
    rng = __import__("random").Random(1)
    for _ in range(20):
        arch = space.sample(rng)
        text = tables.arch_text(arch)
        whole = tables.arch_text(arch, limit=10_000)
        assert len(text) <= tables.TEXT_LIMIT and text.endswith(", \u2026"), text
        kept = text[:-len(", \u2026")]
        assert whole.startswith(kept + ", "), (text, whole)  # whole items only
        assert len(kept) > tables.TEXT_LIMIT // 2
    metrics = tables.metrics_text({f"metric_{i}": 0.123456 for i in range(30)})
    assert metrics.endswith(", \u2026") and len(metrics) <= tables.TEXT_LIMIT
    assert metrics[:-3].split(", ")[-1].startswith("metric_") \
        and metrics[:-3].endswith("=0.1235"), metrics
    one_word = tables.arch_text({"k": "x" * 400})
    assert len(one_word) == tables.TEXT_LIMIT and one_word.endswith("\u2026")
    words = tables.arch_text({"note": " ".join(["word"] * 60)})
    assert words.endswith("word\u2026") and len(words) <= tables.TEXT_LIMIT, words


def test_history_memo_reuses_texts_of_finished_trials_only():
    memo: dict = {}
    tables.history_data([trial(0, C, 0.1, params=1)], memo=memo)
    assert memo == {(0, "COMPLETE"): ("op=skip", "params=1")}
    memo[(0, "COMPLETE")] = ("cached", "cached")
    assert tables.history_data([trial(0, C, 0.1)], memo=memo)["arch_text"] == ["cached"]


def test_empty_and_odd_inputs_do_not_raise():
    for ts in ([], [trial(0, R)], [trial(0, F)], None):
        assert tables.history_data(ts)["number"] in ([], [0])
        assert tables.scatter_data(ts)["points"]["number"] == []
        assert tables.curves_data(ts)["xs"] == []
    assert tables.results_frame([]).shape[0] == 0
    t = Trial(0, C, {}, None, {"params": None, "valid_acc": float("nan")})
    assert tables.scatter_data([t], y="valid_acc")["points"]["number"] == []


def test_bad_inputs_raise_clear_value_errors():
    with pytest.raises(ValueError, match=r"trials\[1\] is a dict, not a Trial"):
        tables.history_data([trial(0), {"number": 1}])
    with pytest.raises(ValueError, match="trials must be a list of Trial"):
        tables.history_data("abc")
    with pytest.raises(ValueError, match="last must be a positive int"):
        tables.curves_data([], last=0)
    with pytest.raises(ValueError, match="top_k must be a positive int"):
        tables.op_frequency([], spaces.nb201(), top_k=0)
    with pytest.raises(ValueError, match="space must be a SearchSpace"):
        tables.op_frequency([], "nb201")
    with pytest.raises(ValueError, match=r"objectives must be \(metric, 'max' \| 'min'\)"):
        tables.results_frame([], objectives=[("params", "smallest")])
    with pytest.raises(ValueError, match="x and y must be metric names"):
        tables.scatter_data([], x=None)


# ------------------------------------------------------------------ scatter
def test_scatter_pareto_flags_and_front_line_sorted_by_x():
    pts = [(0.90, 300), (0.80, 100), (0.70, 200), (0.95, 500), (0.85, 100), (0.60, 50)]
    ts = [trial(i, C, acc, params=p) for i, (acc, p) in enumerate(pts)]
    ts += [trial(10, P, 0.99, params=1), trial(11, C, 0.99)]  # pruned; no params
    d = tables.scatter_data(ts)
    assert d["points"]["number"] == [0, 1, 2, 3, 4, 5]
    # (0.8,100) is dominated by (0.85,100); (0.7,200) by (0.85,100)
    assert d["points"]["pareto"] == [True, False, False, True, True, True]
    assert d["front"] == {"x": [50.0, 100.0, 300.0, 500.0], "y": [0.6, 0.85, 0.9, 0.95],
                          "number": [5, 4, 0, 3]}
    assert d["points"]["color"][0] == tables.PARETO_COLOR
    assert d["points"]["color"][1] == tables.STATE_COLORS["COMPLETE"]


def test_scatter_other_axes_and_directions():
    ts = [trial(0, C, 0.0, latency_ms=2.0, valid_acc=0.5),
          trial(1, C, 0.0, latency_ms=1.0, valid_acc=0.4)]
    d = tables.scatter_data(ts, x="latency_ms", y="valid_acc")
    assert d["points"]["x"] == [2.0, 1.0] and d["points"]["pareto"] == [True, True]
    d = tables.scatter_data(ts, x="latency_ms", y="valid_acc", maximize_y=False)
    assert d["points"]["pareto"] == [False, True]


# ------------------------------------------------------------------- curves
def test_curves_last_n_including_running_and_missing_points():
    ts = []
    for i in range(5):
        curve = [{"epoch": e, "valid_acc": i + e / 10} for e in (1, 2)]
        ts.append(Trial(i, C, {}, 0.5, {}, curve))
    ts.append(Trial(5, R, {}, None, {}, [{"epoch": 1, "valid_acc": 0.3}, {"epoch": 2}]))
    ts.append(Trial(6, R, {}, None, {}, []))  # no point yet: not drawn
    d = tables.curves_data(ts, last=3)
    assert d["number"] == [3, 4, 5]
    assert d["xs"] == [[1.0, 2.0], [1.0, 2.0], [1.0]]
    assert d["ys"][2] == [0.3] and d["state"][2] == "RUNNING"
    assert d["width"][2] > d["width"][0]
    assert d["last_value"] == [3.2, 4.2, 0.3]
    assert d["last_x"] == [2.0, 2.0, 1.0]  # where each line's end dot goes
    assert tables.curves_data(ts, last=3, running=False)["number"] == [2, 3, 4]
    no_epoch = Trial(0, C, {}, 1.0, {}, [{"loss": 2.0}, {"loss": 1.0}])
    assert tables.curves_data([no_epoch], metric="loss")["xs"] == [[1.0, 2.0]]


# -------------------------------------------------------------- op frequency
def test_op_frequency_counts_among_top_k_complete_trials():
    s = spaces.nb201()
    base = {lb: "none" for lb in s.labels}
    ts = [
        trial(0, C, 0.9, arch={**base, "1<-0": "nor_conv_3x3"}),
        trial(1, C, 0.8, arch={**base, "1<-0": "nor_conv_3x3", "2<-1": "skip_connect"}),
        trial(2, C, 0.7, arch={**base, "1<-0": "skip_connect"}),
        trial(3, C, 0.1, arch={**base, "1<-0": "avg_pool_3x3"}),
        trial(4, P, 0.99, arch={**base, "1<-0": "avg_pool_3x3"}),  # pruned: not counted
    ]
    d = tables.op_frequency(ts, s, top_k=3)
    assert len(d["edge"]) == 6 * 5
    cell = {(e, o): (c, f) for e, o, c, f in zip(d["edge"], d["op"], d["count"], d["fraction"], strict=True)}
    assert cell[("1<-0", "nor_conv_3x3")] == (2, 2 / 3)
    assert cell[("1<-0", "skip_connect")] == (1, 1 / 3)
    assert cell[("1<-0", "avg_pool_3x3")] == (0, 0.0)
    assert cell[("2<-1", "skip_connect")] == (1, 1 / 3)
    assert cell[("3<-2", "none")] == (3, 1.0)
    low = tables.op_frequency(ts, s, top_k=1, maximize=False)
    cell = {(e, o): c for e, o, c in zip(low["edge"], low["op"], low["count"], strict=True)}
    assert cell[("1<-0", "avg_pool_3x3")] == 1


def test_op_frequency_without_trials_or_op_decisions():
    assert set(tables.op_frequency([], spaces.nb201())["fraction"]) == {0.0}
    assert tables.op_frequency([trial(0, C, 1.0)], spaces.keras_cnn())["edge"] == []


# ------------------------------------------------------------ results frame
def test_results_frame_columns_in_contract_order_with_pareto():
    s = SearchSpace("t", ["a", "b"], [Edge("a", "b", ["relu", "tanh"])])
    ts = [
        Trial(0, C, {"b<-a": "relu"}, 0.9, {"valid_acc": 0.9, "params": 300, "duration_s": 2.0}),
        Trial(1, C, {"b<-a": "tanh"}, 0.8, {"valid_acc": 0.8, "params": 100, "flops": 7},
              started_at=10.0, finished_at=13.5, worker="w1"),
        Trial(2, C, {"b<-a": "tanh"}, 0.7, {"valid_acc": 0.7, "params": 200}),
        Trial(3, F, {"b<-a": "relu"}, None, {}, error="boom"),
    ]
    df = tables.results_frame(ts, s, objectives=[("valid_acc", "max"), ("params", "min")])
    assert list(df.columns) == ["number", "state", "value", "arch", "b<-a", "valid_acc",
                                "params", "flops", "duration_s", "error", "worker", "pareto"]
    assert df["state"].tolist() == ["COMPLETE", "COMPLETE", "COMPLETE", "FAILED"]
    assert df["pareto"].tolist() == [True, True, False, False]
    assert df["duration_s"].tolist()[:2] == [2.0, 3.5]
    assert df["error"].tolist()[3] == "boom" and df["worker"].tolist()[1] == "w1"
    assert df["arch"].tolist()[0] == {"b<-a": "relu"}
    assert "pareto" not in tables.results_frame(ts, s).columns


def test_results_frame_without_space_lists_stay_lists_and_name_clash():
    ts = [Trial(0, C, {"n3.inputs": ["n1", "n2"], "lr": 0.1}, 0.5, {"lr": 3, "value": 1})]
    df = tables.results_frame(ts)
    assert df["n3.inputs"].tolist() == [["n1", "n2"]]
    assert df["lr"].tolist() == [0.1]  # the decision keeps its name
    assert df["metrics.lr"].tolist() == [3] and df["metrics.value"].tolist() == [1]


def test_results_frame_on_10000_trials():
    s = spaces.nb201()
    rng = random.Random(0)
    ts = [Trial(i, C, s.sample(rng), rng.random(),
                {"valid_acc": rng.random(), "params": rng.randint(1, 10**6)}) for i in range(10_000)]
    df = tables.results_frame(ts, s, objectives=[("valid_acc", "max"), ("params", "min")])
    assert df.shape == (10_000, 4 + 6 + 2 + 4)
    assert 1 <= int(df["pareto"].sum()) < 100
