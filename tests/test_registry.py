"""The one ``Registry`` type (issue 13, point 3) and the four registries built on it."""

from __future__ import annotations

import pytest

from nasbench_ui import data, estimators, strategies
from nasbench_ui.options import Option
from nasbench_ui.registry import Registry
from nasbench_ui.space import ops


def _positive(name: str, value: int) -> None:
    if value <= 0:
        raise ValueError(f"{name}: must be positive, got {value}")


def test_register_get_names_contains_in_order() -> None:
    reg: Registry[int] = Registry("number", _positive)
    assert reg.register("one", 1) == 1
    reg.register("two", 2)
    assert reg.get("two") == 2 and reg.names() == ["one", "two"] and list(reg) == ["one", "two"]
    assert "one" in reg and "three" not in reg and 3 not in reg and len(reg) == 2
    assert reg.items() == [("one", 1), ("two", 2)]


def test_the_check_function_refuses_before_anything_is_stored() -> None:
    reg: Registry[int] = Registry("number", _positive)
    with pytest.raises(ValueError, match="zero: must be positive, got 0"):
        reg.register("zero", 0)
    assert "zero" not in reg


def test_a_taken_name_needs_replace_and_keeps_its_place() -> None:
    reg: Registry[int] = Registry("number")
    reg.register("a", 1)
    reg.register("b", 2)
    with pytest.raises(ValueError, match=r"^number 'a' is already registered; pass replace=True "
                                         r"to replace it$"):
        reg.register("a", 3)
    reg.register("a", 3, replace=True)
    assert reg.get("a") == 3 and reg.names() == ["a", "b"]


@pytest.mark.parametrize("name", ["", "   ", None, 3])
def test_names_must_be_non_blank_strings(name: object) -> None:
    reg: Registry[int] = Registry("estimator")
    with pytest.raises(ValueError, match=r"^an estimator name must be a non-empty string, got "):
        reg.register(name, 1)  # type: ignore[arg-type]


def test_a_name_pattern_and_its_rule() -> None:
    reg: Registry[int] = Registry("widget", name_pattern=r"^[a-z]+$", name_rule="lower-case letters")
    reg.register("ok", 1)
    with pytest.raises(ValueError, match=r"^a widget name must be lower-case letters, got 'No'$"):
        reg.register("No", 2)


def test_unknown_names_get_one_error_that_lists_the_known_ones() -> None:
    reg: Registry[int] = Registry("colour", hint=" (see colours.register)")
    for i, name in enumerate(["red", "green", "blue"]):
        reg.register(name, i)
    with pytest.raises(ValueError) as e:
        reg.get("gren")
    assert str(e.value) == ("unknown colour 'gren' (did you mean 'green'?); known: red, green, "
                            "blue (see colours.register)")
    with pytest.raises(ValueError, match=r"^unknown colour 'xyz'; known: red, green, blue"):
        reg.get("xyz")
    with pytest.raises(ValueError, match=r"^unknown colour 7; known"):
        reg.get(7)  # type: ignore[arg-type]
    assert str(Registry("thing").unknown("x")) == "unknown thing 'x'; known: (none)"


def test_options_come_from_the_function_given_or_are_empty() -> None:
    class Owner:
        OPTIONS = {"size": Option(int, 3)}

    with_opts: Registry[type] = Registry("part", options=lambda cls: cls.OPTIONS)
    with_opts.register("owner", Owner)
    assert with_opts.options("owner") == {"size": Option(int, 3)}
    with_opts.options("owner").clear()  # a copy: the declaration is untouched
    assert Owner.OPTIONS
    plain: Registry[int] = Registry("number")
    plain.register("a", 1)
    assert plain.options("a") == {}
    with pytest.raises(ValueError, match="unknown number 'b'"):
        plain.options("b")


def test_unregister_pop_and_copy() -> None:
    reg: Registry[int] = Registry("number", _positive)
    reg.register("a", 1)
    twin = reg.copy()
    assert reg.unregister("a") == 1 and "a" not in reg and twin.get("a") == 1
    with pytest.raises(ValueError, match="unknown number 'a'"):
        reg.unregister("a")
    assert reg.pop("a", None) is None
    with pytest.raises(KeyError):
        reg.pop("a")
    with pytest.raises(ValueError, match="must be positive"):  # the copy keeps the rules
        twin.register("b", -1)


# ------------------------------------------------------- the four registries
@pytest.mark.parametrize(("module", "kind", "lookup", "known"), [
    (strategies, "strategy", strategies.get, "random"),
    (estimators, "estimator", estimators.get, "train"),
    (ops, "operation", ops.info, "conv"),
    (data.datasets, "data set", data.check, "digits"),
])
def test_each_kind_is_one_registry_with_the_same_error(module, kind, lookup, known) -> None:
    assert isinstance(module._REGISTRY, Registry) and module._REGISTRY.kind == kind
    assert module.names() == module._REGISTRY.names() and known in module.names()
    with pytest.raises(ValueError, match=rf"^unknown {kind} 'qqq'; known: {known}"):
        lookup("qqq")


def test_options_for_forms() -> None:
    assert strategies.options("evolution") == strategies.get("evolution").OPTIONS
    assert estimators.options("tabular") == estimators.get("tabular").OPTIONS
    assert ops._REGISTRY.options("conv") == {} and data.datasets._REGISTRY.options("digits") == {}
