"""The estimator registry: names, get, register, create, describe."""

from __future__ import annotations

import pytest

from nasbench_ui import estimators as reg
from nasbench_ui.estimators import Estimate, TrainEstimator


class Const:
    """Always 0.5."""

    NAME = "const"
    OPTIONS: dict = {}

    def estimate(self, arch, ctx):
        return Estimate(0.5)


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(reg, "_REGISTRY", reg._REGISTRY.copy())
    return reg


def test_builtins_are_registered():
    assert reg.names()[:3] == ["train", "early_stop", "tabular"]
    assert reg.get("train") is TrainEstimator


def test_unknown_name_lists_the_names():
    with pytest.raises(ValueError, match=r"unknown estimator 'trian' \(did you mean 'train'\?\); "
                                         r"known: train, early_stop, tabular, "):
        reg.get("trian")
    with pytest.raises(ValueError, match=r"unknown estimator 'trian'"):
        reg.create("trian")


def test_create_checks_options():
    est = reg.create("train", {"epochs": 3, "learning_rate": 1})
    assert est.options["epochs"] == 3 and est.options["learning_rate"] == 1.0
    with pytest.raises(ValueError, match=r"unknown option\(s\) \['lr'\]; valid options are "
                                         r"\['amp', 'augment', 'batch_size'"):
        reg.create("train", {"lr": 0.1})
    with pytest.raises(ValueError, match=r"option 'epochs' must be of type int, got '3'"):
        reg.create("train", {"epochs": "3"})


def test_objects_pass_through():
    obj = Const()
    est = reg.create(obj)  # a protocol-only object: wrapped, the object itself inside
    assert isinstance(est, reg.Estimator) and isinstance(est, reg.EstimatorAdapter)
    assert est.inner is obj and est.estimate({}, None).value == 0.5 and est.NAME == "const"
    train = TrainEstimator(epochs=1)
    assert reg.create(train) is train  # an Estimator: as it is
    with pytest.raises(ValueError, match=r"unknown estimator 3"):
        reg.create(3)
    with pytest.raises(ValueError, match="pass them to its constructor"):
        reg.create(obj, {"x": 1})
    with pytest.raises(ValueError, match="not the class Const"):
        reg.create(Const)


def test_register_and_replace(registry):
    registry.register("const", Const)
    assert "const" in registry.names() and registry.create("const").estimate({}, None).value == 0.5
    assert registry.summary("const") == "Always 0.5."

    class Other(Const):
        pass

    with pytest.raises(ValueError, match="already registered; pass replace=True"):
        registry.register("const", Other)
    registry.register("const", Other, replace=True)
    assert registry.get("const") is Other
    with pytest.raises(ValueError, match="estimate\\(arch, ctx\\) method"):
        registry.register("bad", object)
    with pytest.raises(ValueError, match="needs an OPTIONS dict"):
        registry.register("bad", type("NoOpts", (), {"estimate": lambda s, a, c: None}))
    with pytest.raises(ValueError, match="non-empty str"):
        registry.register("", Const)


def test_describe():
    d = reg.describe("tabular")
    assert set(d) == {"table", "key", "metric", "cost", "scale", "extra_metrics",
                      "curve", "epoch_metrics", "cost_per_epoch"}  # the last three: rungs
    assert d["metric"]["default"] == "valid_acc_12ep" and d["cost"]["type"] == "dict"
    assert reg.describe("train")["optimizer"]["choices"] == ["adam", "sgd"]
