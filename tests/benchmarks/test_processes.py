"""``benchmarks/processes.py``: CPU seconds per process group, and the kernel's CPU apart
from the rest for ``ui_responsiveness.py --pin``."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from benchmarks import processes
from benchmarks import ui_responsiveness as bench

# a process with a second thread that exists before the pin
TWO_THREADS = "import threading, time; threading.Thread(target=time.sleep, args=(30,)).start(); " \
              "print('up', flush=True); time.sleep(30)"


def test_split_cpus_keeps_the_first_for_the_kernel_and_refuses_one_cpu() -> None:
    assert processes.split_cpus([2, 0, 1, 0]) == (0, [1, 2])
    with pytest.raises(ValueError, match="at least 2 CPUs"):
        processes.split_cpus({3})


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs")
def test_pin_process_moves_every_thread_and_affinity_reads_it_back() -> None:
    cpus = sorted(os.sched_getaffinity(0))
    child = subprocess.Popen([sys.executable, "-c", TWO_THREADS], stdout=subprocess.PIPE,
                             text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "up"
        assert processes.affinity(child.pid) == cpus
        assert processes.pin_process(child.pid, [cpus[-1]]) == 2  # both threads
        assert processes.affinity(child.pid) == [cpus[-1]]
        tasks = os.listdir(f"/proc/{child.pid}/task")
        assert all(os.sched_getaffinity(int(t)) == {cpus[-1]} for t in tasks)
    finally:
        child.kill()
        child.wait()
    time.sleep(0.05)
    assert processes.affinity(child.pid) == [] and processes.pin_process(child.pid, cpus) == 0


def test_pin_is_refused_on_one_cpu_before_anything_starts(
        tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench.os, "sched_getaffinity", lambda pid: {0})
    monkeypatch.setattr(bench, "start_lab_server", lambda *a: pytest.fail("server started"))
    with pytest.raises(ValueError, match="at least 2 CPUs"):
        bench.main(["--duration", "1", "--pin", "--out", str(tmp_path / "x.json")])
    assert not (tmp_path / "x.json").exists()


def test_cpu_shares_are_cores_per_group_and_the_rest() -> None:
    before = {"procs": {1: ["kernel", 10.0], 2: ["server", 1.0], 3: ["browser", 5.0],
                        4: ["browser", 9.0]}, "machine": 20.0}
    after = {"procs": {1: ["kernel", 11.5], 2: ["server", 1.2], 3: ["browser", 6.0],
                       5: ["browser", 0.2]}, "machine": 23.6}  # 4 ended, 5 started
    assert processes.cpu_shares(before, after, 2.0) == {
        "kernel": 0.75, "server": 0.1, "browser": 0.6, "machine": 1.8, "other": 0.35}
    now = processes.cpu_seconds(os.getpid())  # this process stands in for a server
    assert now["procs"][os.getpid()][0] == "server" and now["procs"][os.getpid()][1] > 0
    assert now["machine"] >= now["procs"][os.getpid()][1]
