"""Training callbacks: called by the shared loop for each trial, never stored, and a
callback that raises fails its trial while the search goes on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import nasbench_ui as nb
from nasbench_ui.estimators.callbacks import Callback, EpochFunction, TrialInfo, as_callbacks
from nasbench_ui.storage import TrialState

OPTIONS = {"epochs": 2, "subset": 0.2, "latency_runs": 0, "median_stop": False,
           "patience": 5}


class Recorder(Callback):
    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    def on_train_start(self, trial: TrialInfo) -> None:
        self.events.append(("start", trial.number, dict(trial.arch)))

    def on_epoch_end(self, trial: TrialInfo, epoch: int, metrics: dict[str, Any]) -> None:
        assert trial.model is not None and trial.device == "cpu"
        self.events.append(("epoch", trial.number, epoch, dict(metrics)))

    def on_train_end(self, trial: TrialInfo, metrics: dict[str, Any]) -> None:
        self.events.append(("end", trial.number, metrics["epoch"]))


class FailsOnTrial(Callback):
    def __init__(self, number: int) -> None:
        self.number = number

    def on_epoch_end(self, trial: TrialInfo, epoch: int, metrics: dict[str, Any]) -> None:
        if trial.number == self.number:
            raise RuntimeError("tensorboard writer closed")


def _experiment(callbacks: Any, trials: int = 2, **kw: Any) -> Any:
    return nb.Experiment(nb.spaces.mlp(), strategy="random", estimator="early_stop",
                         estimator_options=OPTIONS, dataset="digits", trials=trials, seed=0,
                         callbacks=callbacks, **kw)


def test_callbacks_see_every_epoch_of_every_trial() -> None:
    rec, seen = Recorder(), []
    exp = _experiment([rec, lambda trial, epoch, metrics: seen.append((trial.number, epoch))])
    exp.run()
    trials = exp.trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 2
    expected: list[tuple[Any, ...]] = []
    for t in trials:
        expected.append(("start", t.number, dict(t.arch)))
        expected += [("epoch", t.number, p["epoch"], p) for p in t.curve]
        expected.append(("end", t.number, 2))
    assert rec.events == expected  # metrics are the stored curve points
    assert seen == [(0, 1), (0, 2), (1, 1), (1, 2)]
    assert "callback" not in json.dumps(exp.config.to_dict())  # never stored


def test_a_callback_that_raises_fails_its_trial_and_the_search_goes_on() -> None:
    exp = _experiment([FailsOnTrial(0)], trials=3)
    exp.run()
    states = [t.state for t in exp.trials]
    assert states == [TrialState.FAILED, TrialState.COMPLETE, TrialState.COMPLETE]
    error = exp.trials[0].error or ""
    assert "callback FailsOnTrial.on_epoch_end raised at epoch 1: RuntimeError: " \
           "tensorboard writer closed" in error
    assert len(exp.trials[0].curve) == 1  # the epoch's point was stored before the callback


def test_bad_callbacks_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    db = tmp_path / "exp.db"
    with pytest.raises(ValueError, match=r"callbacks\[1\]: expected a nasbench_ui\.estimators"
                                         r"\.callbacks\.Callback or a function"):
        _experiment([Recorder(), "tensorboard"], storage=str(db))
    with pytest.raises(ValueError, match="callbacks must be a list of callbacks"):
        _experiment(Recorder())
    with pytest.raises(ValueError, match="callbacks run in this process only, not on Dask"):
        _experiment([Recorder()], workers=2, storage=str(db))
    assert not db.exists()  # nothing was written


def test_a_reloaded_experiment_takes_its_callbacks_again(tmp_path: Path) -> None:
    db = str(tmp_path / "exp.db")
    _experiment([Recorder()], trials=1, storage=db).run()
    rec = Recorder()
    again = nb.Experiment.load(db, callbacks=[rec], trials=2)
    again.run()
    assert [e[1] for e in rec.events if e[0] == "start"] == [1]
    assert nb.Experiment.load(db).callbacks == ()


def test_as_callbacks_wraps_functions() -> None:
    calls: list[int] = []
    (cb,) = as_callbacks([lambda trial, epoch, metrics: calls.append(epoch)])
    assert isinstance(cb, EpochFunction)
    cb.on_epoch_end(TrialInfo(0), 4, {})
    cb.on_train_start(TrialInfo(0))  # the other hooks keep their empty bodies
    assert calls == [4]
    with pytest.raises(ValueError, match="got type"):
        as_callbacks([Recorder])  # the class, not an instance
