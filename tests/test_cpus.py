"""What this process may use of the CPUs (``nasbench_ui.cpus``): affinity, cgroup quotas,
the OpenMP wait policy and the busy CPUs, each read from files a test writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nasbench_ui import cpus


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


# -- cgroup quota and affinity -----------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("50000 100000\n", 0.5), ("200000 100000", 2.0), ("max 100000\n", None), ("150000", 1.5),
])
def test_cpu_max(text, expected):
    assert cpus.parse_cpu_max(text) == expected


def test_bad_cgroup_files_say_what_they_must_read():
    with pytest.raises(ValueError, match="cpu.max must read 'QUOTA PERIOD'"):
        cpus.parse_cpu_max("lots 100000")
    with pytest.raises(ValueError, match="must be integers, got 'x'"):
        cpus.parse_cfs("x", "100000")


def test_cfs_quota_and_unlimited():
    assert cpus.parse_cfs("150000\n", "100000\n") == 1.5
    assert cpus.parse_cfs("-1", "100000") is None


def test_cgroup_v2_takes_the_smallest_limit_on_the_path(tmp_path):
    proc = tmp_path / "proc_cgroup"
    _write(proc, "0::/kubepods/pod1\n")
    root = tmp_path / "cg"
    _write(root / "cpu.max", "max 100000\n")
    _write(root / "kubepods" / "cpu.max", "400000 100000\n")
    _write(root / "kubepods" / "pod1" / "cpu.max", "150000 100000\n")
    assert cpus.cgroup_cpus(root, proc) == 1.5
    _write(root / "kubepods" / "cpu.max", "100000 100000\n")  # the parent is tighter
    assert cpus.cgroup_cpus(root, proc) == 1.0


def test_cgroup_v2_unlimited_is_none(tmp_path):
    _write(tmp_path / "proc", "0::/\n")
    _write(tmp_path / "cg" / "cpu.max", "max 100000\n")
    assert cpus.cgroup_cpus(tmp_path / "cg", tmp_path / "proc") is None
    assert cpus.cgroup_cpus(tmp_path / "nothing", tmp_path / "no_proc") is None


@pytest.mark.parametrize("mount", ["cpu", "cpu,cpuacct"])
def test_cgroup_v1_quota_and_period(tmp_path, mount):
    _write(tmp_path / "proc", "4:memory:/x\n3:cpu,cpuacct:/docker/abc\n0::/\n")
    d = tmp_path / "cg" / mount / "docker" / "abc"
    _write(d / "cpu.cfs_quota_us", "50000\n")
    _write(d / "cpu.cfs_period_us", "100000\n")
    assert cpus.cgroup_cpus(tmp_path / "cg", tmp_path / "proc") == 0.5
    _write(d / "cpu.cfs_quota_us", "-1\n")
    assert cpus.cgroup_cpus(tmp_path / "cg", tmp_path / "proc") is None


def test_cgroup_v1_at_the_mount_root_inside_a_container(tmp_path):
    # without a cgroup namespace the path names the host's cgroup; the container sees
    # its own files at the mount root
    _write(tmp_path / "proc", "3:cpu,cpuacct:/kubepods/besteffort/pod9\n")
    _write(tmp_path / "cg" / "cpu" / "cpu.cfs_quota_us", "300000")
    _write(tmp_path / "cg" / "cpu" / "cpu.cfs_period_us", "100000")
    assert cpus.cgroup_cpus(tmp_path / "cg", tmp_path / "proc") == 3.0


def test_affinity_counts_the_allowed_cpus(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 2, 5}, raising=False)
    assert cpus.affinity_cpus() == 3
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert cpus.affinity_cpus() == 6


@pytest.mark.parametrize("quota, usable", [(None, 8), ("50000 100000", 1),
                                           ("150000 100000", 2), ("1600000 100000", 8)])
def test_usable_cpus_cap_the_affinity_by_the_quota(tmp_path, monkeypatch, quota, usable):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)
    _write(tmp_path / "proc", "0::/\n")
    if quota is not None:
        _write(tmp_path / "cg" / "cpu.max", quota)
    assert cpus.usable_cpus(tmp_path / "cg", tmp_path / "proc") == usable


# -- the wait policy and the busy CPUs ---------------------------------------------------------

def test_passive_wait_policy():
    assert cpus.passive_wait({"OMP_WAIT_POLICY": " Passive "})
    assert not cpus.passive_wait({"OMP_WAIT_POLICY": "ACTIVE"})
    assert not cpus.passive_wait({})


def test_busy_cpus_from_loadavg(tmp_path, monkeypatch):
    f = tmp_path / "loadavg"
    f.write_text("3.10 2.00 1.00 3/412 999\n")
    assert cpus.busy_cpus(f, samples=2) == 2.0  # this process is one of the 3
    f.write_text("0.10 0.20 0.30 1/412 999\n")
    assert cpus.busy_cpus(f) == 0.0
    monkeypatch.setattr(os, "getloadavg", lambda: (1.5, 1.0, 1.0))
    assert cpus.busy_cpus(tmp_path / "missing") == 1.5
    with pytest.raises(ValueError, match="R/T"):
        cpus.parse_runnable("1.0 1.0")
