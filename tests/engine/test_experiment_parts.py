"""The parts an ``Experiment`` is put together from, each on its own: building its
arguments, the observers, the lifecycle, the runs and the reading of results."""

from __future__ import annotations

import threading

import pytest

import nasbench_ui as nb
from nasbench_ui.engine.building import DatasetSource, build_parts, config_kwargs
from nasbench_ui.engine.events import Event
from nasbench_ui.engine.lifecycle import Lifecycle
from nasbench_ui.engine.models import ModelKeeper
from nasbench_ui.engine.observers import Observers
from nasbench_ui.engine.ownership import Ownership
from nasbench_ui.engine.results import trained_model
from nasbench_ui.engine.runs import Runs
from nasbench_ui.storage import MemoryStore, Trial, TrialState


# ------------------------------------------------------------------ building
def test_build_parts_checks_the_data_set_name_before_anything_is_written():
    with pytest.raises(ValueError, match="nope"):
        build_parts(space="nb201", estimator="zero_cost", trials=1, dataset="nope")


def test_build_parts_gives_twenty_trials_without_a_budget_and_keeps_a_seconds_one():
    assert build_parts(space="nb201", estimator="zero_cost").config.trials == 20
    parts = build_parts(space="nb201", estimator="zero_cost", seconds=5.0)
    assert (parts.config.trials, parts.config.seconds) == (None, 5.0)


def test_a_dataset_source_loads_a_name_once_and_passes_an_object_through():
    source = DatasetSource("digits", seed=0, options={})
    assert source.get() is source.get()
    given = object()
    other = DatasetSource(given, seed=0, options={})
    assert not other.by_name and other.get() is given
    other.check()  # an object is not checked against the registry


def test_config_kwargs_rebuild_the_same_config():
    exp = nb.Experiment("nb201", estimator="zero_cost", trials=3, seed=4,
                        constraints={"params": {"max": 10**6}}, objectives=[["params", "min"]])
    again = nb.Experiment(**config_kwargs(exp.config))
    assert again.config == exp.config


# ----------------------------------------------------------------- observers
def test_a_failing_observer_does_not_keep_the_event_from_the_others():
    seen: list[str] = []
    observers = Observers()
    observers.add(lambda e: 1 / 0)
    observers.add(lambda e: seen.append(e.kind))
    observers.emit(Event("curve", "e", 0))
    assert seen == ["curve"]


# ----------------------------------------------------------------- lifecycle
def test_a_lost_lease_stops_the_search_and_says_why():
    life = Lifecycle("e", lambda e: None)
    life.control.running.clear()  # paused: the stop must wake it
    life.lease_lost("the lease of 'e' expired")
    assert life.control.stop.is_set() and life.control.running.is_set()
    assert life.last_error.startswith("the lease of 'e' expired; this search stopped")


def test_wait_does_not_raise_a_keyboard_interrupt_and_stop_joins_the_thread():
    statuses: list[str] = []
    life = Lifecycle("e", lambda e: statuses.append(e.data["status"]))
    life.error = KeyboardInterrupt()
    life.wait()
    release = threading.Event()
    life.enter()  # a search is active from here (running)
    life.start(release.wait)
    assert life.running
    with pytest.raises(RuntimeError, match="already running"):
        life.begin()
    release.set()
    life.stop(wait=True, timeout=10)
    assert not life.running and statuses == ["running", "stopping"]


# ---------------------------------------------------------------------- runs
def test_a_run_that_fails_to_build_its_loop_ends_failed_and_releases_the_lease():
    exp = nb.Experiment("nb201", estimator="zero_cost", trials=2)
    ownership = Ownership(exp.store, exp.name)
    life = Lifecycle(exp.name, lambda e: None)
    runs = Runs(exp, ownership, life, lambda e: None, {"spent_s": 0.0})

    def broken() -> None:
        raise OSError("disk full")

    runs.build_loop = broken  # type: ignore[method-assign]
    runs.prepare()
    assert ownership.held
    with pytest.raises(OSError, match="disk full"):
        runs.run_here()
    assert life.status == "failed" and not ownership.held and runs.loop is None
    assert runs.last_error == "the search stopped: OSError: disk full"
    assert runs.strategy is exp.steering.strategy


def test_runs_keep_the_counters_of_the_last_run():
    exp = nb.Experiment("nb201", estimator="zero_cost", trials=2)
    life = Lifecycle(exp.name, lambda e: None)
    runs = Runs(exp, Ownership(exp.store, exp.name), life, lambda e: None, {})
    runs.prepare()
    with runs.session() as loop:
        assert runs.loop is loop and runs.counters is loop.counters
        while loop.step():
            pass
    assert life.status == "done" and exp.n_done() == 2
    assert runs.counters == exp.store.load_experiment(exp.name)["counters"]


# ------------------------------------------------------------------- results
class MemoryOwner:
    """What the weights functions read of an experiment: a store without a file."""

    store, name = MemoryStore(), "e"


def _complete(number: int, **meta) -> Trial:
    return Trial(number, TrialState.COMPLETE, {}, 0.5, {}, meta=meta)


def test_trained_model_prefers_the_model_kept_in_memory():
    keeper = ModelKeeper(MemoryOwner(), k=1, lookup=lambda n: None)
    assert keeper.keep(3, 0.5, "model-3") is None
    assert trained_model(None, lambda: _complete(3), has_models=True, estimator="train",
                         models=keeper, keep=1) == "model-3"


def test_trained_model_explains_a_dask_trial_and_missing_weights():
    keeper = ModelKeeper(MemoryOwner(), k=1, lookup=lambda n: None)
    with pytest.raises(ValueError, match="ran on a Dask worker"):
        trained_model(None, lambda: _complete(0, executor="dask"), has_models=True,
                      estimator="train", models=keeper, keep=1)
    with pytest.raises(ValueError, match="no weights were kept for trial 0; .* best 2 trials"):
        trained_model(MemoryOwner(), lambda: _complete(0), has_models=True, estimator="train",
                      models=keeper, keep=2)
