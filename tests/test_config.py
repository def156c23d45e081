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


def test_to_python_runs_the_same_experiment():
    import contextlib
    import io

    import nasbench_ui as nb
    from nasbench_ui.config import to_python

    d = spaces.nb201().to_dict()
    d["name"] = "my_cell"  # not a preset: rebuilt from its JSON
    c = ExperimentConfig(space=d, strategy="evolution", estimator="zero_cost", trials=4, seed=5,
                         strategy_options={"population": 2, "sample_size": 2})
    code = to_python(c)
    assert "nb.SearchSpace.from_dict(" in code and "nb.spaces." not in code
    ns: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, "<to_python>", "exec"), ns)  # noqa: S102 - the code under test
    ref = nb.Experiment(d, strategy="evolution", estimator="zero_cost", trials=4, seed=5,
                        strategy_options={"population": 2, "sample_size": 2}).run()
    assert ns["exp"].config == c
    assert [t.arch for t in ns["exp"].trials] == [t.arch for t in ref.trials]
    assert [t.value for t in ns["exp"].trials] == pytest.approx([t.value for t in ref.trials])
    preset = to_python(ExperimentConfig(space=spaces.mlp().to_dict(), trials=2, seconds=30.0))
    assert "space = nb.spaces.mlp()" in preset and "seconds=30.0" in preset and "import json" not in preset
    with pytest.raises(ValueError, match="ExperimentConfig"):
        to_python({"space": d})
