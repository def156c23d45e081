"""The workbench opens a stored experiment with custom parts (issue 15 point 5) through
``Experiment.load``: from trusted modules only, with a message that says how to trust."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import custom_parts as cp

import nasbench_ui as nb
from nasbench_ui.trust import UntrustedError, untrust_all


@pytest.fixture
def stored(tmp_path: Path) -> Iterator[Path]:
    cp.register()
    db = tmp_path / "runs.db"
    nb.Experiment(cp.space(), strategy=cp.STRATEGY, estimator=cp.ESTIMATOR, dataset=cp.DATASET,
                  trials=2, storage=db, seed=0).run()
    cp.unregister()  # as in a new kernel: the parts are known by their import paths only
    yield db
    cp.unregister()
    untrust_all()


def test_workbench_opens_custom_parts_only_when_trusted(stored: Path) -> None:
    with pytest.raises(UntrustedError, match=r"nb\.trust\('helpers'\)"):
        nb.Workbench.load(stored)
    assert cp.registered() == []  # nothing was imported or registered
    nb.trust("helpers")
    wb = nb.Workbench.load(stored)
    exp = wb.experiment
    assert (exp.config.strategy, exp.config.estimator, exp.config.dataset) == \
           (cp.STRATEGY, cp.ESTIMATOR, cp.DATASET)
    assert len(exp.trials) == 2 and exp.dataset.name == cp.DATASET
    assert sorted(cp.registered()) == ["dataset", "estimator", "operation", "strategy"]
