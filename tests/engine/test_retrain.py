"""``exp.retrain()`` (engine/retrain.py): the found architecture trained from scratch on a
larger stack in the background, with progress; best_model() and export_best() use it.
Also the DARTS side: trial records say what they are, and best_model() says why a
DARTS search alone has no model."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
import torch

import nasbench_ui as nb
from nasbench_ui import spaces
from nasbench_ui.engine.retrain import Retrained
from nasbench_ui.space.darts_net import DartsNet
from nasbench_ui.space.stacked import StackedNet

SMALL = {"cells": 1, "channels": 4}


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def searched(space: Any = "nb201") -> nb.Experiment:
    return nb.Experiment(space, strategy="random", estimator="zero_cost", trials=3, seed=0).run()


def test_retrain_trains_the_best_arch_on_a_stack_in_the_background(tmp_path):
    exp = searched()
    events: list[Any] = []
    exp.observe(events.append)
    job = exp.retrain(stack=SMALL, epochs=2)
    result = job.wait(120)
    assert isinstance(result, Retrained) and job.status == "done" and job.error is None
    assert result.number == exp.best().number and result.arch == exp.best().arch
    assert [p["epoch"] for p in job.curve] == [1, 2] and result.curve == job.curve
    assert job.progress() == (2, 2)
    assert isinstance(result.model, StackedNet)
    rebuilt = exp.space.build(result.arch, (1, 8, 8), 10, stack=SMALL)
    assert result.params == sum(p.numel() for p in rebuilt.parameters())
    assert 0.0 <= result.valid_acc <= 1.0 and result.test_acc is not None
    kinds = [(e.kind, e.data.get("status", e.data.get("epoch"))) for e in events]
    assert kinds == [("retrain", "running"), ("retrain_curve", 1), ("retrain_curve", 2),
                     ("retrain", "done")]
    assert exp.best_model() is result.model
    paths = exp.export_best(tmp_path / "out", onnx=False)
    meta = json.loads(paths["arch"].read_text())
    assert meta["stack"] == {"cells": 1, "stages": 3, "channels": 4}
    assert meta["arch"] == exp.space.canonical(result.arch)


def test_retrain_returns_at_once_and_stops_on_request():
    exp = searched()
    started = threading.Event()
    exp.observe(lambda e: started.set() if e.kind == "retrain_curve" else None)
    job = exp.retrain(stack=SMALL, epochs=500)
    assert job.running and job.status == "running"
    assert started.wait(120)
    job.stop(wait=True)
    assert job.wait() is None and job.status == "stopped" and 1 <= len(job.curve) < 500
    with pytest.raises(ValueError, match="zero_cost"):
        exp.best_model()  # nothing retrained: the search's own answer stands


def test_a_given_arch_and_another_data_set_and_bad_arguments():
    exp = searched()
    arch = {lb: "nor_conv_3x3" for lb in exp.space.labels}
    r = exp.retrain(arch=arch, epochs=1, dataset="digits", options={"learning_rate": 0.01}).wait(60)
    assert r.number is None and r.arch == arch and r.stack is None and r.epochs == 1
    with pytest.raises(ValueError, match=r"unknown option\(s\) \['lr'\]"):
        exp.retrain(options={"lr": 0.1})
    with pytest.raises(ValueError, match="epochs"):
        exp.retrain(epochs=0)
    with pytest.raises(ValueError, match="stack: unknown key"):
        exp.retrain(stack={"layers": 8})
    with pytest.raises(ValueError, match="missing decision"):
        exp.retrain(arch={"1<-0": "none"})
    empty = nb.Experiment("nb201", estimator="zero_cost", trials=1)
    with pytest.raises(ValueError, match="no complete trial"):
        empty.retrain()


def test_a_failing_retraining_is_kept_for_wait():
    exp = searched("mlp")
    job = exp.retrain(stack=SMALL, epochs=1)  # an mlp cell gives vectors, not images
    with pytest.raises(ValueError, match="a stacked cell must give an image"):
        job.wait(60)
    assert job.status == "failed" and "a stacked cell must give an image" in job.error


def test_darts_trials_say_what_they_are_and_retrain_takes_the_derived_arch(tmp_path):
    exp = nb.Experiment(spaces.nb201(4), strategy="darts", estimator="darts_epoch",
                        estimator_options={"epochs": 2, "batch_size": 128}, trials=10,
                        seed=0).run()
    trials = exp.trials
    assert [t.meta["kind"] for t in trials] == ["supernet_epoch", "supernet_epoch"]
    assert trials[0].meta["derived_from"] == "uniform alphas (no epoch yet)"
    assert trials[1].meta["derived_from"] == "alphas after epoch 1"
    assert trials[1].arch == trials[0].metrics["next_arch"]
    for t in trials:
        assert t.metrics["params"] < t.metrics["supernet_params"]
    with pytest.raises(ValueError, match=r"DARTS supernet epoch.*exp\.retrain"):
        exp.best_model()
    with pytest.raises(ValueError, match=r"DARTS supernet epoch.*exp\.retrain"):
        exp.export_best(tmp_path / "none")
    assert not (tmp_path / "none").exists()
    r = exp.retrain(epochs=1).wait(60)
    assert r.number == 1 and r.arch == trials[1].metrics["next_arch"]
    assert exp.best_model() is r.model


def test_the_darts_space_retrains_as_the_darts_network():
    exp = nb.Experiment("darts", strategy="random", estimator="zero_cost", trials=2, seed=0).run()
    r = exp.retrain(stack=SMALL, epochs=1).wait(120)
    assert isinstance(r.model, DartsNet) and len(r.model.cells) == 5


def test_a_file_store_keeps_the_retrained_network_for_a_reload(tmp_path):
    db = tmp_path / "runs.db"
    exp = nb.Experiment("nb201", strategy="random", estimator="zero_cost", trials=2, seed=0,
                        storage=db).run()
    job = exp.retrain(stack=SMALL, epochs=1)
    r = job.wait(60)
    assert job.warning is None
    again = nb.Experiment.load(db)
    model = again.best_model()
    assert isinstance(model, StackedNet)
    x = torch.randn(3, 1, 8, 8)
    with torch.no_grad():
        assert torch.equal(model(x), r.model(x))
    kept = again._models.retrained
    assert (kept.arch, kept.stack, kept.epochs, kept.curve) == (r.arch, r.stack, 1, r.curve)
    # a description that does not fit the space is ignored (logged), nothing changes
    desc = next(tmp_path.glob("runs.db.weights/*/retrained.json"))
    meta = json.loads(desc.read_text())
    desc.write_text(json.dumps({**meta, "arch": {"1<-0": "bogus"}}))
    with pytest.raises(ValueError, match="zero_cost"):
        nb.Experiment.load(db).best_model()


@pytest.mark.parametrize("change", [
    {"stack": {"cells": 100_000, "stages": 3, "channels": 16}},
    {"stack": {"cells": 1, "stages": 3, "channels": 1_000_000}},
    {"num_classes": 10**9},
])
def test_a_shared_retrained_description_never_builds_more_than_its_weights_file_holds(
        tmp_path, monkeypatch, caplog, change):
    """A ``retrained.json`` beside a shared store says which network to build: one of
    100,000 cells, a million channels or a billion classes took minutes and 6 GB before
    an allocation failed (best_model, export_best), or the whole memory of a small
    machine. The network is now laid out without memory (torch's meta device) and built
    only when its tensors are those of ``retrained.pt``, after a cap on its cells."""
    import logging

    db = tmp_path / "runs.db"
    exp = nb.Experiment("nb201", strategy="random", estimator="zero_cost", trials=2, seed=0,
                        storage=db).run()
    exp.retrain(stack=SMALL, epochs=1).wait(60)
    desc = next(tmp_path.glob("runs.db.weights/*/retrained.json"))
    desc.write_text(json.dumps({**json.loads(desc.read_text()), **change}))
    built: list[Any] = []
    real_build = type(exp.space).build

    def build(space: Any, *args: Any, **kwargs: Any) -> Any:
        if torch.empty(0).device.type != "meta":
            built.append(kwargs.get("stack"))
        return real_build(space, *args, **kwargs)

    monkeypatch.setattr(type(exp.space), "build", build)
    with caplog.at_level(logging.WARNING, logger="nasbench_ui.engine.retrain"):
        assert nb.Experiment.load(db)._models.retrained is None
    assert built == [] and "was not loaded" in caplog.text
