import pytest

from nasbench_ui import spaces
from nasbench_ui.config import ExperimentConfig


def test_round_trip():
    c = ExperimentConfig(space=spaces.nb201().to_dict(), strategy="evolution",
                         strategy_options={"population": 5}, trials=3, seconds=10.0, seed=2)
    assert ExperimentConfig.from_json(c.to_json()) == c


def test_errors():
    sp = spaces.blank().to_dict()
    with pytest.raises(ValueError, match="give a budget"):
        ExperimentConfig(space=sp)
    with pytest.raises(ValueError, match="unknown field\\(s\\) \\['x'\\]"):
        ExperimentConfig.from_dict({"space": sp, "trials": 1, "x": 1})
    with pytest.raises(ValueError, match="strategy_options must be JSON-able"):
        ExperimentConfig(space=sp, trials=1, strategy_options={"f": object()})
    with pytest.raises(ValueError, match="malformed experiment config JSON"):
        ExperimentConfig.from_json("{")
    with pytest.raises(ValueError, match="each objective is"):
        ExperimentConfig(space=sp, trials=1, objectives=[["params", "down"]])
