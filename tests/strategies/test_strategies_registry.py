"""The strategy registry: names, create, describe, register, and its error messages."""

from __future__ import annotations

import importlib.util

import pytest

from nasbench_ui import spaces, strategies
from nasbench_ui.strategies import RandomSearch, Strategy


def test_names_and_get() -> None:
    assert strategies.names()[:8] == ["random", "grid", "evolution", "reinforce",
                                      "local_search", "bananas", "pareto_evolution", "darts"]
    assert ("optuna" in strategies.names()) == (importlib.util.find_spec("optuna") is not None)
    assert strategies.get("evolution") is strategies.RegularizedEvolution
    for name in strategies.names():
        assert name == strategies.get(name).NAME


def test_create_builds_a_working_strategy_with_checked_options() -> None:
    space = spaces.nb201()
    s = strategies.create("evolution", space, seed=3, options={"population": 8, "sample_size": 3})
    assert s.options == {"population": 8, "sample_size": 3} and s.seed == 3
    assert isinstance(s, Strategy)
    a = s.ask()
    space.validate(a)
    s.tell(a, 0.1)
    # same seed, same proposals
    assert strategies.create("random", space, seed=1).ask() == \
        strategies.create("random", space, seed=1).ask()


def test_unknown_name_lists_the_names() -> None:
    with pytest.raises(ValueError, match=r"^unknown strategy 'qqq'; known: random, grid, "
                                         r"evolution, reinforce, local_search, bananas, "
                                         r"pareto_evolution, darts, successive_halving, hyperband, bohb, asha(, optuna)?$"):
        strategies.create("qqq", spaces.nb201())
    with pytest.raises(ValueError, match=r"unknown strategy 'evolutoin' \(did you mean "
                                         r"'evolution'.*\?\); known: random"):
        strategies.get("evolutoin")
    with pytest.raises(ValueError, match="unknown strategy 'nope'"):
        strategies.describe("nope")


def test_unknown_option_lists_the_valid_keys() -> None:
    with pytest.raises(ValueError, match=r"evolution: unknown option\(s\) \['pop'\]; valid "
                                         r"options are \['population', 'sample_size'\]"):
        strategies.create("evolution", spaces.nb201(), options={"pop": 3})


def test_wrong_option_type_and_range_are_named() -> None:
    with pytest.raises(ValueError, match=r"option 'learning_rate' must be of type float, "
                                         r"got 'fast' \(str\)"):
        strategies.create("reinforce", spaces.nb201(), options={"learning_rate": "fast"})
    with pytest.raises(ValueError, match="option 'dedupe' must be of type bool, got 1"):
        strategies.create("random", spaces.nb201(), options={"dedupe": 1})
    with pytest.raises(ValueError, match=r"option 'baseline_decay' must be <= 1.0, got 1.5"):
        strategies.create("reinforce", spaces.nb201(), options={"baseline_decay": 1.5})
    with pytest.raises(ValueError, match="seed must be an int, got '0'"):
        strategies.create("random", spaces.nb201(), seed="0")


def test_an_existing_strategy_object_is_returned_as_is() -> None:
    space = spaces.nb201()
    obj = RandomSearch(space)
    assert strategies.create(obj, space) is obj
    strategies.create(obj, space, constraint=lambda a: a["1<-0"] == "none")
    assert all(obj.ask()["1<-0"] == "none" for _ in range(10))
    with pytest.raises(ValueError, match=r"drop options \['dedupe'\]"):
        strategies.create(obj, space, options={"dedupe": True})
    with pytest.raises(ValueError, match="strategy must be a name .* got int"):
        strategies.create(3, space)


def test_register_checks_the_class_and_refuses_duplicates() -> None:
    class Mine(RandomSearch):
        """Random search, renamed."""

        NAME = "mine"

    try:
        strategies.register("mine", Mine)
        assert "mine" in strategies.names()
        assert isinstance(strategies.create("mine", spaces.nb201()), Mine)
        with pytest.raises(ValueError, match="'mine' is already registered; pass replace=True"):
            strategies.register("mine", Mine)
        strategies.register("mine", Mine, replace=True)
    finally:
        strategies.unregister("mine")
    assert "mine" not in strategies.names()

    class Half:
        def ask(self) -> dict:
            return {}

    with pytest.raises(ValueError, match=r"lacks the method\(s\) \['tell'\]; a strategy "
                                         r"needs \['ask', 'tell'\]"):
        strategies.register("half", Half)
    with pytest.raises(ValueError, match="needs a class, got RandomSearch"):
        strategies.register("obj", RandomSearch(spaces.nb201()))
    with pytest.raises(ValueError, match="non-empty string"):
        strategies.register("", Mine)


def test_describe_gives_the_doc_line_and_options() -> None:
    d = strategies.describe("evolution")
    assert d["name"] == "evolution"
    assert d["doc"].startswith("Aging evolution")
    assert d["options"]["sample_size"]["default"] == 5
    assert d["options"]["population"]["low"] == 2
    for name in strategies.names():
        assert strategies.describe(name)["doc"], name


def test_loading_a_snapshot_taken_with_other_options_is_refused() -> None:
    space = spaces.nb201()
    a = strategies.create("evolution", space, options={"population": 8})
    b = strategies.create("evolution", space, options={"population": 9})
    with pytest.raises(ValueError, match=r"other options \['population'\]"):
        b.load_state_dict(a.state_dict())
    c = strategies.create("evolution", spaces.keras_cnn())
    with pytest.raises(ValueError, match="taken on space 'nb201', not 'keras_cnn'"):
        c.load_state_dict(strategies.create("evolution", space).state_dict())


def test_a_snapshot_lacking_an_option_loads_only_where_the_strategy_says_how_it_ran() -> None:
    space = spaces.nb201()
    # bananas' equivalence changed how it asks when it was added: older snapshots ran
    # without it, so a snapshot that lacks it is refused, not resumed the new way
    state = strategies.create("bananas", space).state_dict()
    del state["options"]["equivalence"]
    with pytest.raises(ValueError, match=r"other options \['equivalence'\]"):
        strategies.create("bananas", space).load_state_dict(state)
    # an option this version does not know is named
    state = strategies.create("evolution", space).state_dict()
    state["options"]["mutation_rate"] = 0.5
    with pytest.raises(ValueError, match=r"other options \['mutation_rate'\]"):
        strategies.create("evolution", space).load_state_dict(state)
