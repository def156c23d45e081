"""The per-trial torch thread count (``nasbench_ui.threads``): inputs, choice and scope."""

from __future__ import annotations

import os
import threading
from pathlib import Path

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


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


# -- cgroup quota and affinity -----------------------------------------------------------------

@pytest.mark.parametrize("text, cpus", [
    ("50000 100000\n", 0.5), ("200000 100000", 2.0), ("max 100000\n", None), ("150000", 1.5),
])
def test_cpu_max(text, cpus):
    assert th.parse_cpu_max(text) == cpus


def test_bad_cgroup_files_say_what_they_must_read():
    with pytest.raises(ValueError, match="cpu.max must read 'QUOTA PERIOD'"):
        th.parse_cpu_max("lots 100000")
    with pytest.raises(ValueError, match="must be integers, got 'x'"):
        th.parse_cfs("x", "100000")


def test_cfs_quota_and_unlimited():
    assert th.parse_cfs("150000\n", "100000\n") == 1.5
    assert th.parse_cfs("-1", "100000") is None


def test_cgroup_v2_takes_the_smallest_limit_on_the_path(tmp_path):
    proc = tmp_path / "proc_cgroup"
    _write(proc, "0::/kubepods/pod1\n")
    root = tmp_path / "cg"
    _write(root / "cpu.max", "max 100000\n")
    _write(root / "kubepods" / "cpu.max", "400000 100000\n")
    _write(root / "kubepods" / "pod1" / "cpu.max", "150000 100000\n")
    assert th.cgroup_cpus(root, proc) == 1.5
    _write(root / "kubepods" / "cpu.max", "100000 100000\n")  # the parent is tighter
    assert th.cgroup_cpus(root, proc) == 1.0


def test_cgroup_v2_unlimited_is_none(tmp_path):
    _write(tmp_path / "proc", "0::/\n")
    _write(tmp_path / "cg" / "cpu.max", "max 100000\n")
    assert th.cgroup_cpus(tmp_path / "cg", tmp_path / "proc") is None
    assert th.cgroup_cpus(tmp_path / "nothing", tmp_path / "no_proc") is None


@pytest.mark.parametrize("mount", ["cpu", "cpu,cpuacct"])
def test_cgroup_v1_quota_and_period(tmp_path, mount):
    _write(tmp_path / "proc", "4:memory:/x\n3:cpu,cpuacct:/docker/abc\n0::/\n")
    d = tmp_path / "cg" / mount / "docker" / "abc"
    _write(d / "cpu.cfs_quota_us", "50000\n")
    _write(d / "cpu.cfs_period_us", "100000\n")
    assert th.cgroup_cpus(tmp_path / "cg", tmp_path / "proc") == 0.5
    _write(d / "cpu.cfs_quota_us", "-1\n")
    assert th.cgroup_cpus(tmp_path / "cg", tmp_path / "proc") is None


def test_cgroup_v1_at_the_mount_root_inside_a_container(tmp_path):
    # without a cgroup namespace the path names the host's cgroup; the container sees
    # its own files at the mount root
    _write(tmp_path / "proc", "3:cpu,cpuacct:/kubepods/besteffort/pod9\n")
    _write(tmp_path / "cg" / "cpu" / "cpu.cfs_quota_us", "300000")
    _write(tmp_path / "cg" / "cpu" / "cpu.cfs_period_us", "100000")
    assert th.cgroup_cpus(tmp_path / "cg", tmp_path / "proc") == 3.0


def test_affinity_counts_the_allowed_cpus(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 2, 5}, raising=False)
    assert th.affinity_cpus() == 3
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert th.affinity_cpus() == 6


@pytest.mark.parametrize("quota, usable", [(None, 8), ("50000 100000", 1),
                                           ("150000 100000", 2), ("1600000 100000", 8)])
def test_usable_cpus_cap_the_affinity_by_the_quota(tmp_path, monkeypatch, quota, usable):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)
    _write(tmp_path / "proc", "0::/\n")
    if quota is not None:
        _write(tmp_path / "cg" / "cpu.max", quota)
    assert th.usable_cpus(tmp_path / "cg", tmp_path / "proc") == usable


# -- the wait policy and the busy CPUs ---------------------------------------------------------

def test_passive_wait_policy():
    assert th.passive_wait({"OMP_WAIT_POLICY": " Passive "})
    assert not th.passive_wait({"OMP_WAIT_POLICY": "ACTIVE"})
    assert not th.passive_wait({})


def test_busy_cpus_from_loadavg(tmp_path, monkeypatch):
    f = tmp_path / "loadavg"
    f.write_text("3.10 2.00 1.00 3/412 999\n")
    assert th.busy_cpus(f, samples=2) == 2.0  # this process is one of the 3
    f.write_text("0.10 0.20 0.30 1/412 999\n")
    assert th.busy_cpus(f) == 0.0
    monkeypatch.setattr(os, "getloadavg", lambda: (1.5, 1.0, 1.0))
    assert th.busy_cpus(tmp_path / "missing") == 1.5
    with pytest.raises(ValueError, match="R/T"):
        th.parse_runnable("1.0 1.0")


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
