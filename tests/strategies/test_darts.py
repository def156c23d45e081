"""DARTS: the strategy ``darts`` and the estimator ``darts_epoch``, driven directly."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
import torch
import torch.nn.functional as F

from nasbench_ui import spaces
from nasbench_ui.data import Dataset, load
from nasbench_ui.estimators.base import EstimateContext, Interrupted
from nasbench_ui.space import Edge, SearchSpace
from nasbench_ui.space.supernet import derive
from nasbench_ui.storage.trial import Trial, TrialState
from nasbench_ui.strategies.darts import Darts, DartsEpoch

FAST = {"epochs": 2, "batch_size": 32}


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


@pytest.fixture(scope="module")
def data() -> Any:
    return load("digits", seed=0).subset(160, seed=0)


def run_epoch(strategy: Darts, est: DartsEpoch, space: Any, data: Any, history: list[Trial],
              **ctx_kw: Any) -> Trial:
    """One ask / estimate / tell round, as the experiment loop does it."""
    arch = strategy.ask()
    ctx = EstimateContext(space=space, dataset=data, number=len(history),
                          history_fn=lambda: list(history), **ctx_kw)
    result = est.estimate(arch, ctx)
    trial = Trial(len(history), TrialState.COMPLETE, arch, result.value, result.metrics, ctx.curve)
    history.append(trial)
    strategy.tell(arch, result.value, trial)
    return trial


def test_spaces_without_op_choices_or_with_bound_widths_are_refused() -> None:
    with pytest.raises(ValueError, match="DARTS needs operation choices on edges; space 'keras_cnn' has none"):
        Darts(spaces.keras_cnn())
    with pytest.raises(ValueError, match="space 'mlp' binds op widths to hyperparameters"):
        Darts(spaces.mlp())


def test_an_epoch_is_a_trial_with_alphas_a_curve_and_the_next_arch(data: Any) -> None:
    space = spaces.nb201(4)
    strategy, est, history = Darts(space), DartsEpoch(**FAST), []
    first = strategy.ask()
    assert set(first.values()) == {"skip_connect"}  # uniform alphas: the first op that is not none
    trial = run_epoch(strategy, est, space, data, history)
    m = trial.metrics
    assert m["darts_phase"] == "search" and m["epoch"] == 1 and not m["darts_done"]
    assert set(m["alphas"]) == set(space.labels)
    for w in m["alphas"].values():
        assert all(type(v) is float for v in w.values()) and math.isclose(sum(w.values()), 1, abs_tol=1e-5)
    assert any(abs(v - 0.2) > 1e-4 for w in m["alphas"].values() for v in w.values())  # alphas moved
    json.dumps(m)  # plain JSON: the store keeps it
    assert trial.value == m["valid_acc"] and 0 <= trial.value <= 1
    assert [sorted(p) for p in trial.curve] == [["epoch", "time_s", "train_loss", "valid_acc"]]
    assert strategy.ask() == m["next_arch"] == derive(space, m["alphas"])
    second = run_epoch(strategy, est, space, data, history)
    assert second.metrics["epoch"] == 2 and second.metrics["darts_done"] and strategy.finished


def test_alphas_learn_on_the_valid_split_and_weights_on_the_train_split(data: Any) -> None:
    # train inputs are >= 0, valid inputs < 0: every forward shows which split it reads
    d = Dataset("signs", data.x_train.abs(), data.y_train, -data.x_valid.abs() - 1, data.y_valid,
                data.x_test, data.y_test, data.input_shape, data.num_classes)
    space = spaces.nb201(4)
    est = DartsEpoch(epochs=1, batch_size=32)
    seen: list[tuple[bool, bool]] = []  # (weights need grad -> alpha step, batch from valid)
    ctx = EstimateContext(space=space, dataset=d)
    net = est.search(ctx).net
    forward = net.forward

    def spy(x: torch.Tensor, arch: Any = None, weights: Any = None) -> torch.Tensor:
        if weights is not None and net.training:
            seen.append((next(iter(weights.values())).requires_grad, bool((x < 0).all())))
        return forward(x, arch=arch, weights=weights)

    net.forward = spy  # type: ignore[method-assign]
    est.estimate(derive(space, None), ctx)
    steps = len(d.x_train) // 32
    assert seen.count((True, True)) == steps and seen.count((False, False)) == steps
    assert len(seen) == 2 * steps


def test_second_order_matches_the_exact_unrolled_gradient(data: Any) -> None:
    """Eq. 8's finite difference against eq. 7 computed exactly with double backward.

    A smooth space (tanh, sigmoid, conv): across ReLU kinks a finite difference of
    gradients is not the Hessian-vector product, for DARTS as for anyone.
    """
    space = SearchSpace("smooth", nodes=["a", "b", "c"], edges=[
        Edge("a", "b", ["none", "conv_3x3", "tanh", "skip"]),
        Edge("b", "c", ["conv_3x3", "sigmoid", "avg_pool_3x3"])])
    est = DartsEpoch(epochs=1, second_order=True, alpha_lr=0.0)
    st = est.search(EstimateContext(space=space, dataset=data))
    torch.manual_seed(0)
    with torch.no_grad():
        for a in st.alphas.values():
            a.normal_(0, 0.5)
    xt, yt, xv, yv = data.x_train[:16], data.y_train[:16], data.x_valid[:16], data.y_valid[:16]
    xi = 0.5
    est._alpha_step(st, xt, yt, xv, yv, xi)
    approx = torch.cat([a.grad.reshape(-1) for a in st.alphas.values()])

    names = [n for n, _ in st.net.named_parameters()]
    params = [p for _, p in st.net.named_parameters()]
    alphas = list(st.alphas.values())

    def loss(x: torch.Tensor, y: torch.Tensor, ps: list[torch.Tensor]) -> torch.Tensor:
        w = {lb: F.softmax(a, 0) for lb, a in zip(st.alphas, alphas, strict=True)}
        out = torch.func.functional_call(st.net, dict(zip(names, ps, strict=True)), (x,), {"weights": w})
        return F.cross_entropy(out, y)

    def flat(ts: Any) -> torch.Tensor:
        return torch.cat([t.reshape(-1) for t in ts])

    g = torch.autograd.grad(loss(xt, yt, params), params, create_graph=True)
    unrolled = [p - xi * gi for p, gi in zip(params, g, strict=True)]
    exact = flat(torch.autograd.grad(loss(xv, yv, unrolled), alphas))
    direct = flat(torch.autograd.grad(loss(xv, yv, [u.detach() for u in unrolled]), alphas))
    term, exact_term = approx - direct, exact - direct  # the -xi * Hessian-vector product
    assert exact_term.norm() > 0.05 * exact.norm()  # the term matters here
    assert F.cosine_similarity(term, exact_term, dim=0) > 0.999
    assert (term - exact_term).norm() / exact_term.norm() < 0.02


def test_retrain_trains_the_final_architecture_from_scratch(data: Any) -> None:
    space = spaces.nb201(4)
    strategy, history = Darts(space), []
    est = DartsEpoch(epochs=1, batch_size=32, retrain=True, retrain_epochs=2)
    search = run_epoch(strategy, est, space, data, history)
    assert not search.metrics["darts_done"] and not strategy.finished
    final = run_epoch(strategy, est, space, data, history)
    assert final.arch == search.metrics["next_arch"]
    assert final.metrics["darts_phase"] == "retrain" and final.metrics["darts_done"]
    assert final.metrics["epochs"] == 2 and len(final.curve) == 2 and strategy.finished
    assert final.value == final.metrics["valid_acc"]


def test_an_interrupted_epoch_is_rolled_back(data: Any) -> None:
    space = spaces.nb201(4)
    est = DartsEpoch(epochs=3, batch_size=16)
    st = est.search(EstimateContext(space=space, dataset=data))
    before_w = {k: v.clone() for k, v in st.net.state_dict().items()}
    calls = iter(range(100))
    ctx = EstimateContext(space=space, dataset=data, stop_fn=lambda: next(calls) >= 2)
    with pytest.raises(Interrupted):
        est.estimate(derive(space, None), ctx)
    assert st.epochs_done == 0 and st.weights is None
    assert all(torch.equal(a, torch.zeros_like(a)) for a in st.alphas.values())
    assert all(torch.equal(v, before_w[k]) for k, v in st.net.state_dict().items())


def test_resumed_search_restarts_from_the_stored_alphas(data: Any) -> None:
    space = spaces.nb201(4)
    strategy, history = Darts(space), []
    run_epoch(strategy, DartsEpoch(**FAST), space, data, history)
    state = json.loads(json.dumps(strategy.state_dict()))
    resumed = Darts(space)
    resumed.load_state_dict(state)
    assert resumed.ask() == strategy.ask() and resumed.weights == history[0].metrics["alphas"]
    fresh = DartsEpoch(**FAST)  # a new process: the supernet's weights are gone
    trial = run_epoch(resumed, fresh, space, data, history)
    assert trial.metrics["epoch"] == 2 and trial.metrics["darts_done"] and resumed.finished


def test_pairing_errors_name_the_missing_half(data: Any) -> None:
    space = spaces.nb201(4)
    strategy = Darts(space)
    arch = strategy.ask()
    strategy.tell(arch, 0.5, Trial(0, TrialState.COMPLETE, arch, 0.5, {"valid_acc": 0.5}))
    with pytest.raises(ValueError, match="runs with the estimator 'darts_epoch': pick estimator='darts_epoch'"):
        strategy.ask()
    est = DartsEpoch(**FAST)
    wrong = {lb: "nor_conv_3x3" for lb in space.labels}
    with pytest.raises(ValueError, match="this estimator runs with the strategy 'darts'"):
        est.estimate(wrong, EstimateContext(space=space, dataset=data))
    with pytest.raises(ValueError, match=r"unknown option\(s\) \['lr'\]"):
        DartsEpoch(lr=0.1)


def test_darts_cell_input_choice_is_derived(data: Any) -> None:
    space = spaces.darts_cell(4)
    strategy, history = Darts(space), []
    trial = run_epoch(strategy, DartsEpoch(epochs=1, batch_size=32), space, data, history)
    nxt = trial.metrics["next_arch"]
    assert len(nxt["n3.inputs"]) == 2 and strategy.finished
    assert all(v != "none" for k, v in nxt.items() if k != "n3.inputs")


def test_experiment_runs_darts_when_registered() -> None:
    import nasbench_ui as nb

    if "darts" not in nb.strategies.names() or "darts_epoch" not in nb.estimators.names():
        pytest.skip("darts / darts_epoch are not registered yet")
    exp = nb.Experiment(spaces.nb201(4), strategy="darts", estimator="darts_epoch",
                        estimator_options={"epochs": 2, "batch_size": 128}, trials=10)
    exp.run()
    assert [t.state.name for t in exp.trials] == ["COMPLETE", "COMPLETE"] and exp.last_error is None
    with pytest.raises(ValueError, match="runs only with the estimator 'darts_epoch', not 'train'"):
        nb.Experiment(spaces.nb201(4), strategy="darts", estimator="train", trials=5)


def test_trials_say_what_they_are_and_count_their_own_params(data: Any) -> None:
    space = spaces.nb201(4)
    strategy, history = Darts(space), []
    est = DartsEpoch(epochs=1, batch_size=32, retrain=True, retrain_epochs=1)
    strategy.ask()
    assert strategy.ask_meta() == {"kind": "supernet_epoch", "darts_epoch": 1,
                                   "derived_from": "uniform alphas (no epoch yet)"}
    search = run_epoch(strategy, est, space, data, history)
    m = search.metrics
    own = sum(p.numel() for p in space.build(search.arch, data.input_shape, 10).parameters())
    assert m["params"] == own < m["supernet_params"] and m["retrain_next"]
    assert m["flops"] > 0 and m["latency_ms"] > 0
    again = est.measure(search.arch, EstimateContext(space=space, dataset=data))
    assert again == {k: m[k] for k in ("params", "flops", "latency_ms")}  # cached: same figures
    assert est._measured.measured == 1
    nxt = strategy.ask()
    assert nxt == m["next_arch"]
    assert strategy.ask_meta() == {"kind": "derived", "derived_from": "alphas after epoch 1"}
    state = json.loads(json.dumps(strategy.state_dict()))
    resumed = Darts(space)
    resumed.load_state_dict(state)
    resumed.ask()
    assert resumed.ask_meta()["kind"] == "derived"
