"""The UI responsiveness benchmark (``benchmarks/ui_responsiveness.py``): its settings
checks, and a short real run (JupyterLab + Chromium) whose JSON has every field with
finite numbers. No timing is asserted: the figures depend on the machine."""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

import pytest
from helpers import REPO_ROOT

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks import processes  # noqa: E402
from benchmarks import ui_responsiveness as bench  # noqa: E402


def test_bad_settings_are_refused_before_anything_starts(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"--cells >= 1.*cells=0"):
        bench.run_benchmark(duration=1, cells=0, out=tmp_path / "x.json")
    assert not (tmp_path / "x.json").exists()


def test_bad_headless_seconds_are_refused_before_anything_starts(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"--headless-seconds > 0, got 0"):
        bench.main(["--duration", "1", "--headless-seconds", "0", "--interleave", "0", "--out",
                    str(tmp_path / "x.json")])
    assert not (tmp_path / "x.json").exists()


def test_an_unknown_ablation_is_refused_before_anything_starts(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"--ablate must be one of \['charts', 'none', 'poll'\]"):
        bench.run_benchmark(duration=1, out=tmp_path / "x.json", ablate="page")
    assert not (tmp_path / "x.json").exists()


@pytest.mark.parametrize("ablate", ["charts", "poll"])
def test_an_ablation_runs_in_the_setup_cell_before_the_workbench_is_shown(
        tmp_path: Path, ablate: str) -> None:
    import nbformat

    plain = nbformat.read(bench._write_notebook(tmp_path / "a.ipynb", "random"), 4)
    cut = nbformat.read(bench._write_notebook(tmp_path / "b.ipynb", "random", ablate), 4)
    before, after = plain.cells[0].source.splitlines(), cut.cells[0].source.splitlines()
    assert after == [*before[:-1], bench.ABLATIONS[ablate], "wb"]
    assert before[-1] == "wb"  # the workbench is still the cell's output
    assert [c.source for c in cut.cells[1:]] == [c.source for c in plain.cells[1:]]


@pytest.mark.parametrize("ablate", ["none", "charts"])
def test_the_charts_ablation_leaves_the_workbench_polling_with_no_chart_updates(
        ablate: str) -> None:
    """What ``--ablate charts`` runs, on a workbench in this process: the live view still
    reads every trial from the store, and the charts never get one (without it they do)."""
    import nasbench_ui as nb

    wb = nb.Workbench(space="nb201", strategy="random", estimator="zero_cost", trials=3,
                      storage=":memory:")
    try:
        exec(bench.ABLATIONS[ablate], {"wb": wb})
        wb.start()
        wb.experiment.wait(60)
        wb.live.refresh(full=True)
        assert [t.number for t in wb.live.trials] == [0, 1, 2]
        drawn = wb.charts.sources["history"].data.get("number", [])
        assert list(drawn) == ([] if ablate == "charts" else [0, 1, 2])
    finally:
        wb.close_search()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, chromium_binary: Path):
    """One JupyterLab server and Chromium for the module's three real runs (each opens its
    own page and kernel, and leaves neither nor a store behind): starting them took about
    a third of each run."""
    with bench.open_lab(tmp_path_factory.mktemp("ui-lab")) as shared:
        yield shared


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) \
        and math.isfinite(value)


@pytest.mark.browser
@pytest.mark.slow
def test_short_run_writes_a_complete_summary(tmp_path: Path, lab: bench.Lab) -> None:
    out = tmp_path / "ui.json"
    # 8 s: each search's process starts first (its imports took over 4 s once beside
    # another test worker's browser tests, and the run finished no trial)
    summary = bench.main(["--duration", "8", "--cells", "3", "--baseline-cells", "2",
                          "--interleave", "0", "--out", str(out)], lab=lab)
    assert json.loads(out.read_text()) == json.loads(json.dumps(summary))
    assert summary["command"].startswith("python benchmarks/ui_responsiveness.py --duration 8")
    assert summary["command"].endswith("--interleave 0")
    cpus = sorted(os.sched_getaffinity(0))  # not pinned: kernel and Chromium share them
    assert summary["settings"]["pin"] is False
    assert summary["cpus"] == {"kernel": cpus, "browser": cpus}, summary["cpus"]
    assert summary["settings"]["estimator"] == "synthetic"
    # the workbench's default: the notebook cell's estimator goes to the search's own
    # process by value, and the runs without the workbench start where it starts its own
    assert summary["search"]["without_ui_before"]["search_in"] == "process"
    assert summary["search"]["without_ui_after"]["search_in"] == "process"
    # the runs without the workbench last as long as the run with it
    assert summary["settings"]["headless_s"] == 8 and summary["search"]["without_ui_run_s"] == 8

    for phase, n in (("baseline", 2), ("during_search", 3)):
        cell = summary["cell_ms"][phase]
        assert cell["n"] == n and len(cell["values"]) == n, cell
        for key in ("median", "p95", "max", "mean"):
            assert _finite(cell[key]) and cell[key] > 0, (phase, key, cell)
        assert all(_finite(v) and v > 0 for v in cell["values"]), cell

    search = summary["search"]
    assert search["finished_trials"] >= 2, search
    assert _finite(search["trials_per_s"]) and search["trials_per_s"] > 0, search
    lag = summary["chart_lag_s"]
    assert lag["n"] + lag["not_shown"] == search["finished_trials"], lag
    assert lag["n"] >= 1, lag
    for key in ("median", "p95", "max", "mean"):
        assert _finite(lag[key]), (key, lag)
    assert summary["page_rows_at_end"] >= 1
    assert set(summary["meets_targets"]) == {"cell_ms_median", "chart_lag_s_max", "rate_ratio"}
    assert summary["rate_ratio"] == bench.rate_ratio(search) and summary["rate_ratio"] > 0
    runs = (search["without_ui_before"], search["without_ui_after"])  # around the search
    assert all(r["finished_trials"] >= 2 and r["trials_per_s"] > 0 for r in runs), search
    assert search["trials_per_s_without_ui"] == pytest.approx(
        sum(r["trials_per_s"] for r in runs) / 2, abs=0.06)
    assert summary["meets_targets"]["rate_ratio"] == (summary["rate_ratio"] >= 0.85)
    # the kernel's collections during the search were timed (a search allocates enough)
    pauses = summary["gc_pauses_s"]
    assert pauses["gen0"]["n"] >= 1 and pauses["gen0"]["max"] <= pauses["gen0"]["total"], pauses
    assert all(isinstance(v, bool) for v in summary["meets_targets"].values())
    assert summary["console_errors"] == []
    for phase in ("with_ui", "without_ui"):
        cores = summary["cpu_cores"][phase]
        assert set(cores) == {"kernel", "server", "browser", "machine", "other"}, cores
        assert cores["machine"] > 0.5, (phase, cores)
    # with the workbench the search's process (the server's, as its parent's parent) ran
    # it; the runs without it have ended, their process with them, at the second reading
    cores = summary["cpu_cores"]["with_ui"]
    assert 0.05 < cores["server"] <= cores["machine"] + 0.05, cores
    assert summary["cpu_cores"]["with_ui"]["browser"] > 0


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="--pin needs two CPUs")
def test_an_interleaved_run_alternates_the_searches_and_counts_each_in_its_segments(
        tmp_path: Path, lab: bench.Lab) -> None:
    own = os.sched_getaffinity(0)
    summary = bench.main(["--duration", "4", "--cells", "2", "--baseline-cells", "1",
                          "--interleave", "2", "--pin", "--thread",
                          "--out", str(tmp_path / "ui.json")], lab=lab)
    # --pin: every thread of the kernel on the first CPU, Chromium's on the others
    kernel_cpu, rest = processes.split_cpus(own)
    assert summary["cpus"] == {"kernel": [kernel_cpu], "browser": rest}, summary["cpus"]
    assert summary["settings"]["pin"] is True and summary["settings"]["thread"] is True
    assert summary["command"].endswith("--pin --thread")
    assert os.sched_getaffinity(0) == own  # the benchmark's own affinity is back
    search = summary["search"]
    inter = search["interleaved"]
    assert inter["order"] == "WUUW" and inter["segment_s"] == 2.0
    # each search ran in its two segments, each counted from its own store's finish times
    for kind in ("ui_rates", "without_rates"):
        assert len(inter[kind]) == 2 and all(_finite(r) and r > 0 for r in inter[kind]), inter
    assert search["trials_per_s"] == inter["ui_rate"] > 0
    assert search["trials_per_s_without_ui"] == inter["without_rate"] > 0
    assert summary["rate_ratio"] == bench.rate_ratio(search)
    assert search["finished_trials"] == inter["ui_trials"] >= 2
    # the workbench's run: its warm-up before the first segment is shown, not counted
    lag = summary["chart_lag_s"]
    assert lag["n"] + lag["not_shown"] > search["finished_trials"] and lag["n"] >= 1, lag
    assert summary["cell_ms"]["during_search"]["n"] == 2
    assert summary["cpu_cores"]["with_ui"]["browser"] > 0 < summary["cpu_cores"]["without_ui"][
        "kernel"]
    # the kernel's cores by thread: the search ran in both kinds of segment, the
    # workbench's poller and charts only beside it (its paused run: a poll of nothing)
    threads = summary["kernel_threads"]
    for phase in ("with_ui", "without_ui"):
        assert set(threads[phase]) == {"search", "poller", "charts", "other"}, threads
        assert threads[phase]["search"] > 0.05, threads
    assert threads["with_ui"]["charts"] > threads["without_ui"]["charts"], threads
    assert summary["settings"]["interleave"] == 2 and summary["console_errors"] == []
    assert inter["search_in"] == "kernel thread"  # --thread: Workbench(process=False)
    assert summary["search_process"] == {"with_ui": None, "without_ui": None}


@pytest.mark.browser
@pytest.mark.slow
def test_process_puts_the_estimator_in_a_module_and_each_search_in_a_process(
        tmp_path: Path, lab: bench.Lab) -> None:
    """--process: the workbench's default runs the search in its own process once its
    estimator lives in a module; both searches are counted from their stores."""
    summary = bench.main(["--duration", "4", "--cells", "2", "--baseline-cells", "1",
                          "--interleave", "2", "--process", "--out", str(tmp_path / "ui.json")],
                         lab=lab)
    inter = summary["search"]["interleaved"]
    assert inter["search_in"] == "process" and summary["settings"]["process"] is True
    assert summary["command"].endswith("--process")
    for kind in ("ui_rates", "without_rates"):
        assert len(inter[kind]) == 2 and all(_finite(r) and r > 0 for r in inter[kind]), inter
    assert summary["chart_lag_s"]["n"] >= 1 and summary["console_errors"] == []
    # the kernel's own threads hold no search: the one named for it only reads reports
    assert summary["kernel_threads"]["with_ui"]["search"] < 0.2, summary["kernel_threads"]
    # ... and each search's process reports how long it ran and waited in its segments
    for phase, sched in summary["search_process"].items():
        assert set(sched) == {"run_s", "wait_s", "preempted"}, (phase, sched)
        assert sched["run_s"] > 0.3 and sched["wait_s"] >= 0, (phase, sched)


def test_process_goes_with_either_phase_order_but_not_with_thread(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # --process with --interleave 0 passes the checks (its runs without the workbench
    # start where the workbench starts its own); here it stops at the missing browser
    monkeypatch.setattr(bench, "CHROMIUM", tmp_path / "no-chromium")
    with pytest.raises(RuntimeError, match="no-chromium is missing"):
        bench.main(["--duration", "1", "--interleave", "0", "--process", "--out",
                    str(tmp_path / "x")])
    with pytest.raises(ValueError, match="--thread keeps the search on a kernel thread"):
        bench.main(["--duration", "1", "--process", "--thread", "--out", str(tmp_path / "x")])
    assert not (tmp_path / "x").exists()


def test_interleaving_is_checked_before_anything_starts(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"--interleave >= 0"):
        bench.main(["--duration", "1", "--interleave", "-1", "--out", str(tmp_path / "x")])
    with pytest.raises(ValueError, match=r"--headless-seconds is for --interleave 0"):
        bench.main(["--duration", "1", "--headless-seconds", "1", "--out", str(tmp_path / "x")])
    assert not (tmp_path / "x").exists()


def test_thread_makes_the_workbench_keep_its_search_on_a_kernel_thread(tmp_path: Path) -> None:
    import nbformat

    default = nbformat.read(bench._write_notebook(tmp_path / "a.ipynb", "random"), 4)
    thread = nbformat.read(bench._write_notebook(tmp_path / "b.ipynb", "random",
                                                 thread=True), 4)
    assert "PROCESS = None\n" in default.cells[0].source  # the workbench decides
    assert "PROCESS = False\n" in thread.cells[0].source
    assert 'storage="runs/ui_responsiveness.db", process=PROCESS)' in bench.SETUP_CELL
    assert "start(process=wb.search.in_process(" in bench.HEADLESS_RUN
