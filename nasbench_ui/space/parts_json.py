"""Reading the parts of a search space from its JSON: nodes, edges, input choices and
hyperparameters. Each reader checks the JSON types of one part and raises a ValueError
whose message starts with the field's path (``space.edges[2].ops[0]: expected ...``);
checks of values (a range, an unknown operation) stay with the classes of
:mod:`.decisions`, their message prefixed with the path of the part.
``SearchSpace.from_dict`` reads a whole space with them.

Example:
    >>> hparam_from_dict({"type": "int", "label": "units", "low": 8, "high": 32, "step": 8})
    IntRange(label='units', low=8, high=32, step=8)
    >>> expect_list(3, "space.hparams")
    Traceback (most recent call last):
    ...
    ValueError: space.hparams: expected a list, got int (3)
"""

from __future__ import annotations

import math
from typing import Any

from .decisions import Categorical, Edge, FloatRange, Hyperparameter, InputChoice, IntRange, Node

__all__ = ["describe", "edge_from_dict", "expect_int", "expect_list", "expect_object",
           "expect_str", "hparam_from_dict", "input_choice_from_dict", "node_from_dict",
           "required"]


_JSON_NAMES = ((bool, "bool"), (int, "int"), (float, "float"), (str, "string"),
               (list, "list"), (dict, "object"))
_SHOWN = 60


def describe(value: Any) -> str:
    """A value for an error message: its JSON type and a repr cut to ~60 characters.

    Example:
        >>> describe(None), describe("1"), describe(list(range(100)))[:22]
        ('null', "string ('1')", 'list ([0, 1, 2, 3, 4, ')
    """
    if value is None:
        return "null"
    kind = next((n for t, n in _JSON_NAMES if isinstance(value, t)), type(value).__name__)
    text = repr(value)
    if len(text) > _SHOWN:
        text = text[: _SHOWN - 3] + "..."
    return f"{kind} ({text})"


def _wrong(path: str, expected: str, value: Any) -> ValueError:
    return ValueError(f"{path}: expected {expected}, got {describe(value)}")


def expect_object(value: Any, path: str) -> dict[str, Any]:
    """``value`` if it is a JSON object, else ValueError naming ``path``."""
    if not isinstance(value, dict):
        raise _wrong(path, "an object", value)
    return value


def _expect(value: Any, path: str, optional: bool, ok: bool, expected: str) -> Any:
    """``value`` when ``ok`` (or None when null and ``optional``), else the ValueError."""
    if value is None and optional:
        return None
    if not ok:
        raise _wrong(path, expected + (" or null" if optional else ""), value)
    return value


def expect_list(value: Any, path: str, optional: bool = False) -> list[Any]:
    """``value`` if it is a JSON list (``[]`` for null when ``optional``)."""
    got = _expect(value, path, optional, isinstance(value, list), "a list")
    return [] if got is None else got


def expect_str(value: Any, path: str, optional: bool = False) -> str | None:
    """``value`` if it is a JSON string (or null when ``optional``)."""
    return _expect(value, path, optional, isinstance(value, str), "a string")


def expect_int(value: Any, path: str, optional: bool = False) -> int | None:
    """``value`` if it is a JSON integer (not a bool; or null when ``optional``)."""
    ok = isinstance(value, int) and not isinstance(value, bool)
    return _expect(value, path, optional, ok, "an int")


def _number(value: Any, path: str) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _wrong(path, "a finite number", value)
    return value


def required(d: dict[str, Any], key: str, path: str) -> Any:
    """``d[key]``; ValueError ``"{path}.{key}: missing"`` when absent."""
    if key not in d:
        raise ValueError(f"{path}.{key}: missing; it is required")
    return d[key]


def _built(path: str, make: Any, *args: Any) -> Any:
    """``make(*args)`` with a ValueError's message prefixed by ``path``."""
    try:
        return make(*args)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None


def node_from_dict(d: Any, path: str = "node") -> Node:
    """A node from ``"name"`` or ``{"name": ..., "merge": "sum"}``.

    Example:
        >>> node_from_dict({"name": "a", "merge": 1}, "space.nodes[0]")
        Traceback (most recent call last):
        ...
        ValueError: space.nodes[0].merge: expected a string, got int (1)
    """
    if isinstance(d, str):
        return _built(path, Node, d)
    if not isinstance(d, dict):
        raise _wrong(path, "a string or an object", d)
    name = expect_str(required(d, "name", path), f"{path}.name")
    merge = expect_str(d.get("merge", "sum"), f"{path}.merge")
    return _built(path, Node, name, merge)


def edge_from_dict(d: Any, path: str = "edge") -> Edge:
    """An edge from its JSON object (``src``, ``dst``, ``ops``; ``label``, ``params``, ``bind``).

    Example:
        >>> edge_from_dict({"src": "a", "dst": "b", "ops": ["skip", None]}, "space.edges[2]")
        Traceback (most recent call last):
        ...
        ValueError: space.edges[2].ops[1]: expected a string, got null
    """
    d = expect_object(d, path)
    src = expect_str(required(d, "src", path), f"{path}.src")
    dst = expect_str(required(d, "dst", path), f"{path}.dst")
    ops = required(d, "ops", path)
    if not isinstance(ops, str):
        for i, op in enumerate(expect_list(ops, f"{path}.ops")):
            expect_str(op, f"{path}.ops[{i}]")
    label = expect_str(d.get("label"), f"{path}.label", optional=True)
    params = d.get("params")
    if params is not None:
        expect_object(params, f"{path}.params")
    bind = d.get("bind")
    if bind is not None:
        for kw, ref in expect_object(bind, f"{path}.bind").items():
            expect_str(ref, f"{path}.bind.{kw}")
    return _built(path, Edge, src, dst, ops, label, params or {}, bind or {})


def input_choice_from_dict(d: Any, path: str = "input choice") -> InputChoice:
    """An input choice from its JSON object (``node``, ``k``; ``candidates``, ``label``).

    Example:
        >>> input_choice_from_dict({"node": "n3", "k": "2"}, "space.input_choices[0]")
        Traceback (most recent call last):
        ...
        ValueError: space.input_choices[0].k: expected an int, got string ('2')
    """
    d = expect_object(d, path)
    node = expect_str(required(d, "node", path), f"{path}.node")
    k = expect_int(required(d, "k", path), f"{path}.k")
    candidates = d.get("candidates")
    if candidates is not None:
        for i, c in enumerate(expect_list(candidates, f"{path}.candidates")):
            expect_str(c, f"{path}.candidates[{i}]")
    label = expect_str(d.get("label"), f"{path}.label", optional=True)
    return _built(path, InputChoice, node, k, candidates, label)


def hparam_from_dict(d: Any, path: str | None = None) -> Hyperparameter:
    """Build a hyperparameter from its JSON dict (ValueError on a bad one).

    With ``path`` (``"space.hparams[0]"``) every message starts with the field's path.

    Example:
        >>> hparam_from_dict({"type": "int", "label": "f", "low": 1, "high": 4}).choices()
        (1, 2, 3, 4)
        >>> hparam_from_dict({"type": "float", "label": "d", "low": "0.1", "high": 1,
        ...                   "step": 0.1}, "space.hparams[1]")
        Traceback (most recent call last):
        ...
        ValueError: space.hparams[1].low: expected a finite number, got string ('0.1')
    """
    where = path or "hyperparameter"
    d = expect_object(d, where)
    label = required(d, "label", where)
    if not isinstance(label, str) or not label:
        raise _wrong(f"{where}.label", "a non-empty string", label)
    where = path or f"hyperparameter {label!r}"
    kind = expect_str(required(d, "type", where), f"{where}.type")
    if kind == "int":
        low = expect_int(required(d, "low", where), f"{where}.low")
        high = expect_int(required(d, "high", where), f"{where}.high")
        step = expect_int(d.get("step", 1), f"{where}.step")
        return _prefixed(path, IntRange, label, low, high, step)
    if kind == "float":
        low, high, step = (_number(required(d, k, where), f"{where}.{k}")
                           for k in ("low", "high", "step"))
        return _prefixed(path, FloatRange, label, low, high, step)
    if kind == "categorical":
        choices = expect_list(required(d, "choices", where), f"{where}.choices")
        for i, c in enumerate(choices):
            if not isinstance(c, (str, int, float, bool)) or (
                isinstance(c, float) and not math.isfinite(c)
            ):
                raise _wrong(f"{where}.choices[{i}]", "a JSON scalar (string, number or bool)",
                             c)
        return _prefixed(path, Categorical, label, choices)
    raise ValueError(f"{where}.type: expected 'int', 'float' or 'categorical', got "
                     f"{describe(kind)}")


def _prefixed(path: str | None, make: Any, *args: Any) -> Any:
    return make(*args) if path is None else _built(path, make, *args)
