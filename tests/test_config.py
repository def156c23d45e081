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


@pytest.mark.parametrize("depth", [100_000, 900])
def test_a_deeply_nested_config_is_refused_with_a_clear_error(depth):
    """A shared config nested past any real one is refused as a ValueError naming the
    limit: 100,000 '[' made json raise RecursionError (a traceback from the CLI), and 900
    levels inside an option parsed, then broke ``to_dict`` with RecursionError."""
    import json

    from nasbench_ui.config import MAX_CONFIG_DEPTH, loads

    nested = "[" * depth + "]" * depth
    text = json.dumps({"space": spaces.nb201().to_dict(), "trials": 1,
                       "strategy_options": {"a": "X"}}).replace('"X"', nested)
    for parse in (loads, ExperimentConfig.from_json):
        with pytest.raises(ValueError, match=f"nested deeper than {MAX_CONFIG_DEPTH} levels"):
            parse(text)


def test_the_cli_refuses_a_deeply_nested_config_in_one_line(tmp_path, capsys):
    from nasbench_ui.cli import main

    path = tmp_path / "deep.json"
    path.write_text('{"space": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert main(["run", "--config", str(path), "--storage", str(tmp_path / "x.db")]) == 2
    assert "nested deeper than" in capsys.readouterr().err
    assert not (tmp_path / "x.db").exists()
