"""The per-trial torch thread count (``nasbench_ui.threads``): inputs, choice and scope."""

from __future__ import annotations

import os
import threading

import pytest
import torch

from nasbench_ui import spaces
from nasbench_ui import threads as th
from nasbench_ui.data import load
from nasbench_ui.estimators import EarlyStopEstimator, EstimateContext, TrainEstimator

ARCH = {"units_1": 16, "units_2": 16, "act_1": "relu", "act_2": "relu", "skip_1": "none",
        "dropout": 0.0, "learning_rate": 1e-2}


@pytest.fixture(autouse=True)
def restore_threads(monkeypatch):
    """Every test leaves torch's count as it found it, and sees no thread variables."""
    for name in (*th.ENV_THREADS, "OMP_WAIT_POLICY"):
        monkeypatch.delenv(name, raising=False)
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


@pytest.fixture
def auto(monkeypatch):
    """The automatic path on a fixed 2-CPU machine with sleeping OpenMP threads.

    ``machine.cpus`` etc. may be changed by the test before it enters ``use``.
    """
    machine = {"m": th.Machine(cpus=2, passive=True, busy=0.0, machine_cpus=2)}
    monkeypatch.setattr(th.Machine, "now", classmethod(lambda cls: machine["m"]))
    monkeypatch.setattr(th, "user_threads", lambda *a, **k: None)
    return machine


@pytest.fixture
def detected_auto(monkeypatch):
    """The automatic path as detected (no stub of the detection): torch's default is 2."""
    machine = th.Machine(cpus=2, passive=True, busy=0.0, machine_cpus=2)
    monkeypatch.setattr(th.Machine, "now", classmethod(lambda cls: machine))
    monkeypatch.setattr(th, "TORCH_AT_IMPORT", 2)
    monkeypatch.setattr(th, "affinity_cpus", lambda: 2)
    torch.set_num_threads(2)
    return machine


# -- the choice --------------------------------------------------------------------------------

@pytest.mark.parametrize("work, cpus, passive, busy, expected", [
    (3e6, 8, True, 0, 1),        # a tiny model: one thread, however many CPUs
    (None, 8, True, 0, 1),       # unknown work counts as small
    (1.9e8, 8, True, 0, 1),      # below two threads' worth
    (4.5e8, 8, True, 0, 4),      # one thread per 1e8 FLOPs of a batch
    (5e9, 8, True, 7, 8),        # sleeping threads may share the CPUs
    (5e9, 8, False, 0, 8),       # spinning threads on an idle machine
    (5e9, 8, False, 6, 2),       # spinning threads: only the free CPUs
    (5e9, 2, False, 2, 1),       # spinning threads on a full machine: one
    (5e9, 1, True, 0, 1),        # one usable CPU
])
def test_choose(work, cpus, passive, busy, expected):
    assert th.choose(work, cpus, passive, busy) == expected


def test_choose_counts_free_cpus_on_the_whole_machine():
    # 4 usable CPUs (a quota) on a 16-CPU host where 10 are busy: 4 free still
    assert th.choose(1e10, 4, False, 10, machine_cpus=16) == 4
    with pytest.raises(ValueError, match="cpus must be at least 1"):
        th.choose(1e9, 0, True, 0)


# -- explicit choices win ----------------------------------------------------------------------

def test_omp_num_threads_in_the_environment_wins(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert th.user_threads() == "OMP_NUM_THREADS=3 in the environment"
    torch.set_num_threads(3)
    with th.use(work=1e12) as trial:
        assert trial.decision.reason == "user" and torch.get_num_threads() == 3
        assert trial.size(1.0) == 3  # sizing leaves an explicit count alone


def test_user_set_num_threads_is_detected(monkeypatch):
    monkeypatch.setattr(th, "affinity_cpus", lambda: 2)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert th.user_threads({}, current=2, baseline=2) is None
    assert th.user_threads({}, current=1, baseline=2) == "torch.set_num_threads(1) was called"
    # set before this package was imported: the count at import is not torch's own
    assert th.user_threads({}, current=3, baseline=3) == "torch.set_num_threads(3) was called"


def test_user_set_num_threads_is_kept_for_the_trial():
    other = th.TORCH_AT_IMPORT + 1
    torch.set_num_threads(other)
    with th.use(work=3e6) as trial:  # a tiny model would get one thread in auto mode
        assert trial.decision.reason == "user"
        assert torch.get_num_threads() == other
    assert torch.get_num_threads() == other


def test_the_threads_option_wins_over_everything(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    torch.set_num_threads(1)
    with th.use(option=3) as trial:
        assert trial.decision.reason == "option" and torch.get_num_threads() == 3
        assert trial.size(1.0) == 3
    assert torch.get_num_threads() == 1


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_a_bad_threads_option_is_refused(bad):
    with pytest.raises(ValueError, match="threads must be None .* or a positive int"), \
            th.use(option=bad):
        pass


def test_accelerators_leave_the_setting_alone(auto):
    torch.set_num_threads(2)
    with th.use(work=1.0, device="cuda:0") as trial:
        assert trial.decision.reason == "device" and torch.get_num_threads() == 2


# -- the context manager -----------------------------------------------------------------------

def test_auto_starts_on_one_thread_and_sizes_for_the_model(auto):
    torch.set_num_threads(2)
    with th.use() as trial:
        assert trial.decision.reason == "auto" and torch.get_num_threads() == 1
        assert trial.size(3e6) == 1  # the tiny-model rule
        assert trial.size(lambda: 2.5e8) == 2 == torch.get_num_threads()
    assert torch.get_num_threads() == 2


def test_spinning_threads_on_a_busy_machine_stay_at_one(auto):
    auto["m"] = th.Machine(cpus=2, passive=False, busy=1.0, machine_cpus=2)
    torch.set_num_threads(2)
    with th.use(work=1e10) as trial:
        assert trial.count == 1
    auto["m"] = th.Machine(cpus=2, passive=False, busy=0.0, machine_cpus=2)
    with th.use(work=1e10) as trial:
        assert trial.count == 2


def test_the_previous_count_comes_back_after_an_exception(auto):
    torch.set_num_threads(2)
    with pytest.raises(RuntimeError, match="boom"), th.use(option=3):
        assert torch.get_num_threads() == 3
        raise RuntimeError("boom")
    assert torch.get_num_threads() == 2
    with pytest.raises(KeyError), th.use() as trial:
        trial.size(5e8)
        raise KeyError("x")
    assert torch.get_num_threads() == 2


def test_a_nested_or_concurrent_trial_keeps_the_count_in_effect(auto):
    torch.set_num_threads(2)
    entered, release = threading.Event(), threading.Event()
    seen: list[tuple[str, int]] = []

    def other() -> None:
        entered.wait(5)
        with th.use(option=4) as trial:
            seen.append((trial.decision.reason, torch.get_num_threads()))
        release.set()

    t = threading.Thread(target=other)
    t.start()
    with th.use(option=3):
        with th.use(option=1) as inner:
            assert inner.decision.reason == "shared" and torch.get_num_threads() == 3
        entered.set()
        assert release.wait(5)
        assert torch.get_num_threads() == 3
    t.join(5)
    assert seen == [("shared", 3)]
    assert torch.get_num_threads() == 2


# -- trials train with the chosen count --------------------------------------------------------

@pytest.fixture(scope="module")
def digits_small():
    return load("digits", seed=0).subset(200, seed=0)


def _threads_seen(est, digits_small) -> list[int]:
    seen: list[int] = []
    ctx = EstimateContext(space=spaces.mlp(), dataset=digits_small,
                          report_fn=lambda point: seen.append(torch.get_num_threads()))
    est.estimate(dict(ARCH), ctx)
    return seen


@pytest.mark.parametrize("make", [
    lambda **k: TrainEstimator(epochs=2, latency_runs=0, **k),
    lambda **k: EarlyStopEstimator(epochs=2, subset=0.5, latency_runs=0, **k),
])
def test_a_trial_trains_with_the_chosen_count(make, digits_small, auto, monkeypatch):
    torch.set_num_threads(2)
    assert _threads_seen(make(), digits_small) == [1, 1]  # mlp on digits is tiny
    assert torch.get_num_threads() == 2
    monkeypatch.setattr(th, "WORK_PER_THREAD", 1.0)  # now every model is large work
    assert _threads_seen(make(), digits_small) == [2, 2]
    assert _threads_seen(make(threads=3), digits_small) == [3, 3]
    assert torch.get_num_threads() == 2


def test_sizing_after_the_one_thread_start_is_not_taken_for_the_user(detected_auto):
    with th.use() as trial:
        assert trial.decision.reason == "auto" and torch.get_num_threads() == 1
        assert trial.size(5e8) == 2 and trial.decision.reason == "auto"
    assert torch.get_num_threads() == 2


def test_a_large_model_trains_on_two_threads_as_detected(detected_auto, digits_small,
                                                         monkeypatch):
    monkeypatch.setattr(th, "WORK_PER_THREAD", 1.0)  # mlp counts as large work
    est = TrainEstimator(epochs=2, latency_runs=0)
    assert _threads_seen(est, digits_small) == [2, 2]
    monkeypatch.setattr(th, "WORK_PER_THREAD", 1e8)
    assert _threads_seen(est, digits_small) == [1, 1]
    assert torch.get_num_threads() == 2
