"""Optuna's side of the ``optuna`` strategy (``strategies/optuna_bridge.py``): a space as
Optuna parameters and back, the samplers by name, which ones draw categoricals at random."""

from __future__ import annotations

import random

import pytest
from strategy_helpers import fan_in_space

from nasbench_ui import spaces

optuna = pytest.importorskip("optuna")

from nasbench_ui.strategies import optuna_bridge as bridge  # noqa: E402

SPACES = {"nb201": spaces.nb201, "keras_cnn": spaces.keras_cnn,
          "fan_in": lambda: fan_in_space(5, 2), "darts_cell": spaces.darts_cell}


def test_each_decision_type_becomes_its_optuna_distribution() -> None:
    d = bridge.distributions(spaces.keras_cnn())
    assert list(d) == list(spaces.keras_cnn().labels)
    assert isinstance(d["filters"], optuna.distributions.IntDistribution)
    assert (d["filters"].low, d["filters"].high, d["filters"].step) == (32, 128, 32)
    assert isinstance(d["dropout"], optuna.distributions.FloatDistribution)
    assert (d["dropout"].low, d["dropout"].high, d["dropout"].step) == (0.1, 0.5, 0.1)
    assert d["kernel_size"].choices == (3, 5) and d["learning_rate"].choices == (0.01, 0.001)
    ops = bridge.distributions(spaces.nb201())["3<-1"]
    assert ops.choices == ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
    inputs = bridge.distributions(spaces.darts_cell())["n3.inputs"]
    assert inputs.choices == ('["in", "n1"]', '["in", "n2"]', '["n1", "n2"]')


@pytest.mark.parametrize("name", list(SPACES))
def test_every_architecture_round_trips_through_optuna_params(name: str) -> None:
    space = SPACES[name]()
    rng = random.Random(0)
    for arch in [space.sample(rng) for _ in range(60)]:
        params = bridge.encode(space, arch)
        for label, dist in bridge.distributions(space).items():
            assert dist._contains(dist.to_internal_repr(params[label])), (label, params[label])
        assert bridge.decode(space, params) == space.canonical(arch)


def test_which_samplers_fall_back_on_categoricals() -> None:
    assert bridge.falls_back_on_categorical("cmaes", "5.1.0")
    assert bridge.falls_back_on_categorical("qmc", "4.6.0")
    assert bridge.falls_back_on_categorical("qmc", "5.0.2")
    assert not bridge.falls_back_on_categorical("qmc", "5.1.0")
    assert not bridge.falls_back_on_categorical("qmc", "6.0.0rc1")
    for name in ("tpe", "gp", "nsga2", "random"):
        assert not bridge.falls_back_on_categorical(name, "4.0.0")


def test_each_sampler_is_made_by_name_with_its_options_checked() -> None:
    classes = {"tpe": "TPESampler", "gp": "GPSampler", "cmaes": "CmaEsSampler",
               "nsga2": "NSGAIISampler", "qmc": "QMCSampler", "random": "RandomSampler"}
    assert set(classes) == set(bridge.SAMPLERS)
    for name, cls in classes.items():
        assert type(bridge.make_sampler(name, 0, {})).__name__ == cls
    tpe = bridge.make_sampler("tpe", 3, {"n_startup_trials": 4})
    assert tpe._n_startup_trials == 4
    with pytest.raises(ValueError, match="unknown sampler 'hyperband'"):
        bridge.make_sampler("hyperband", 0, {})
    with pytest.raises(ValueError, match="'seed' is not a sampler option here"):
        bridge.make_sampler("random", 0, {"seed": 1})
    with pytest.raises(ValueError, match="JSON values only"):
        bridge.make_sampler("tpe", 0, {"gamma": len})
