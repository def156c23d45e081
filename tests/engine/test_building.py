"""Building an experiment warns about a hyperparameter that nothing reads (issue 15
point 6): neither bound to an operation nor a reserved label the trainer reads."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import nasbench_ui as nb
from nasbench_ui.estimators.trainer import RESERVED
from nasbench_ui.space import Categorical, UnusedHyperparameterWarning


def _with_lr() -> nb.SearchSpace:
    d = nb.spaces.mlp().to_dict()
    d["hparams"] = [h for h in d["hparams"] if h["label"] != "learning_rate"] + [
        Categorical("lr", [1e-2, 1e-3]).to_dict()]
    return nb.SearchSpace.from_dict(d)


def test_an_unread_hyperparameter_warns_with_the_reserved_labels(tmp_path: Path) -> None:
    with pytest.warns(UnusedHyperparameterWarning) as caught:
        nb.Experiment(_with_lr(), estimator="zero_cost", trials=1, storage=tmp_path / "a.db")
    message = str(caught[0].message)
    assert "'lr' is read by nothing" in message
    assert all(label in message for label in RESERVED)
    assert caught[0].filename == __file__  # it points at the user's line
    with warnings.catch_warnings():  # reopening it does not warn again
        warnings.simplefilter("error", UnusedHyperparameterWarning)
        nb.Experiment.load(tmp_path / "a.db")


@pytest.mark.parametrize("preset", ["keras_cnn", "mlp", "rnn", "nb201"])
def test_presets_do_not_warn(preset: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnusedHyperparameterWarning)
        nb.Experiment(preset, estimator="zero_cost", trials=1)
