"""The parts of a search space: nodes, edges and the decisions an architecture makes.

A decision has a ``label`` and ``choices()``, the tuple of every allowed value in a
fixed order. An architecture is the plain dict ``{label: value}``.

Example:
    >>> IntRange("filters", 32, 128, 32).choices()
    (32, 64, 96, 128)
    >>> FloatRange("dropout", 0.1, 0.3, 0.1).choices()
    (0.1, 0.2, 0.3)
    >>> Categorical("lr", (1e-2, 1e-3)).choices()
    (0.01, 0.001)
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

MERGES = ("sum", "concat")
MAX_CHOICES = 10_000


def _mapping(value: Any, what: str) -> tuple[tuple[str, Any], ...]:
    if isinstance(value, tuple):
        return value
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be a dict, got {type(value).__name__}")
    return tuple(sorted(value.items()))


@dataclass(frozen=True)
class Node:
    """A tensor of the graph. Several inputs are merged by ``merge`` ("sum" or "concat")."""

    name: str
    merge: str = "sum"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"node name must be a non-empty string, got {self.name!r}")
        if self.merge not in MERGES:
            raise ValueError(
                f"node {self.name!r}: merge must be one of {list(MERGES)}, got {self.merge!r}"
            )

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "merge": self.merge}


@dataclass(frozen=True)
class Edge:
    """An edge ``src -> dst`` carrying candidate operations.

    With two or more candidates the edge is an operation decision labelled ``label``
    (default ``"dst<-src"``). ``params`` are literal keyword arguments of the
    operation; ``bind`` maps a keyword to the label of a hyperparameter decision.
    """

    src: str
    dst: str
    ops: tuple[str, ...]
    label: str = ""
    params: tuple[tuple[str, Any], ...] = ()
    bind: tuple[tuple[str, str], ...] = ()

    def __init__(
        self,
        src: str,
        dst: str,
        ops: Any,
        label: str | None = None,
        params: Any = None,
        bind: Any = None,
    ) -> None:
        if isinstance(ops, str):
            ops = (ops,)
        if not isinstance(ops, (list, tuple)) or not all(isinstance(o, str) for o in ops):
            raise ValueError(f"edge {dst}<-{src}: ops must be a list of operation names")
        object.__setattr__(self, "src", src)
        object.__setattr__(self, "dst", dst)
        object.__setattr__(self, "ops", tuple(ops))
        object.__setattr__(self, "label", label or f"{dst}<-{src}")
        where = f"edge {self.label!r}"
        object.__setattr__(self, "params", _mapping(params or {}, f"{where}: params"))
        object.__setattr__(self, "bind", _mapping(bind or {}, f"{where}: bind"))

    @property
    def is_decision(self) -> bool:
        return len(self.ops) > 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "src": self.src,
            "dst": self.dst,
            "ops": list(self.ops),
            "label": self.label,
            "params": dict(self.params),
            "bind": dict(self.bind),
        }


@dataclass(frozen=True)
class OpDecision:
    """The choice of operation on an edge with several candidates."""

    label: str
    edge: Edge

    def choices(self) -> tuple[str, ...]:
        return self.edge.ops


@dataclass(frozen=True)
class InputChoice:
    """Node ``node`` keeps ``k`` of its ``candidates`` predecessors (a sorted list)."""

    node: str
    k: int
    candidates: tuple[str, ...] = ()
    label: str = ""

    def __init__(
        self, node: str, k: int, candidates: Any = None, label: str | None = None
    ) -> None:
        object.__setattr__(self, "node", node)
        object.__setattr__(self, "k", k)
        object.__setattr__(self, "candidates", tuple(candidates or ()))
        object.__setattr__(self, "label", label or f"{node}.inputs")

    def choices(self) -> tuple[list[str], ...]:
        return tuple(list(c) for c in itertools.combinations(sorted(self.candidates), self.k))

    def to_dict(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "k": self.k,
            "candidates": list(self.candidates),
            "label": self.label,
        }


def _check_number(label: str, name: str, v: Any) -> None:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ValueError(f"hyperparameter {label!r}: {name} must be a finite number, got {v!r}")


@dataclass(frozen=True)
class IntRange:
    """Integers ``low, low+step, ..., high``."""

    label: str
    low: int
    high: int
    step: int = 1

    def __post_init__(self) -> None:
        for n in ("low", "high", "step"):
            v = getattr(self, n)
            if isinstance(v, bool) or not isinstance(v, int):
                raise ValueError(f"hyperparameter {self.label!r}: {n} must be an int, got {v!r}")
        if self.step <= 0:
            raise ValueError(f"hyperparameter {self.label!r}: step must be > 0, got {self.step}")
        if self.low > self.high:
            raise ValueError(
                f"hyperparameter {self.label!r}: low ({self.low}) is above high ({self.high})"
            )
        if (self.high - self.low) // self.step + 1 > MAX_CHOICES:
            raise ValueError(f"hyperparameter {self.label!r}: more than {MAX_CHOICES} values")

    def choices(self) -> tuple[int, ...]:
        return tuple(range(self.low, self.high + 1, self.step))

    def to_dict(self) -> dict[str, Any]:
        return {"type": "int", "label": self.label, "low": self.low, "high": self.high,
                "step": self.step}


@dataclass(frozen=True)
class FloatRange:
    """Floats ``low, low+step, ..., high`` (values are rounded to the step's decimals)."""

    label: str
    low: float
    high: float
    step: float

    def __post_init__(self) -> None:
        for n in ("low", "high", "step"):
            _check_number(self.label, n, getattr(self, n))
        if self.step <= 0:
            raise ValueError(f"hyperparameter {self.label!r}: step must be > 0, got {self.step}")
        if self.low > self.high:
            raise ValueError(
                f"hyperparameter {self.label!r}: low ({self.low}) is above high ({self.high})"
            )
        if (self.high - self.low) / self.step + 1 > MAX_CHOICES:
            raise ValueError(f"hyperparameter {self.label!r}: more than {MAX_CHOICES} values")

    @property
    def _digits(self) -> int:
        return max(0, min(12, -math.floor(math.log10(self.step)) + 3))

    def choices(self) -> tuple[float, ...]:
        n = int(math.floor((self.high - self.low) / self.step + 1e-9)) + 1
        return tuple(round(self.low + i * self.step, self._digits) for i in range(n))

    def index(self, value: Any) -> int:
        """The position of ``value`` on the grid, or ValueError."""
        _check_number(self.label, "value", value)
        pos = (value - self.low) / self.step
        i = round(pos)
        n = len(self.choices())
        if abs(pos - i) > 1e-6 or not 0 <= i < n:
            raise ValueError(
                f"decision {self.label!r}: {value!r} is not in {self.low}..{self.high} "
                f"on step {self.step}"
            )
        return i

    def to_dict(self) -> dict[str, Any]:
        return {"type": "float", "label": self.label, "low": self.low, "high": self.high,
                "step": self.step}


@dataclass(frozen=True)
class Categorical:
    """One of a list of JSON scalars (str, int, float or bool)."""

    label: str
    values: tuple[Any, ...] = field(default=())

    def __init__(self, label: str, choices: Any) -> None:
        object.__setattr__(self, "label", label)
        if not isinstance(choices, (list, tuple)):
            raise ValueError(f"hyperparameter {label!r}: choices must be a list")
        for c in choices:
            if not isinstance(c, (str, int, float, bool)) or (
                isinstance(c, float) and not math.isfinite(c)
            ):
                raise ValueError(
                    f"hyperparameter {label!r}: choice {c!r} is not a JSON scalar"
                )
        if len(set(map(repr, choices))) != len(choices):
            raise ValueError(f"hyperparameter {label!r}: choices repeat a value")
        object.__setattr__(self, "values", tuple(choices))

    def choices(self) -> tuple[Any, ...]:
        return self.values

    def to_dict(self) -> dict[str, Any]:
        return {"type": "categorical", "label": self.label, "choices": list(self.values)}


Hyperparameter = IntRange | FloatRange | Categorical
Decision = OpDecision | InputChoice | IntRange | FloatRange | Categorical


# ------------------------------------------------------------------ JSON parsing
# Each reader checks the JSON types of one part of the space JSON and raises a ValueError
# whose message starts with the field's path (``space.edges[2].ops[0]: expected ...``).
# Checks of values (a range, an unknown operation) stay with the classes; their message
# is prefixed with the path of the part.

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


def expect_list(value: Any, path: str, optional: bool = False) -> list[Any]:
    """``value`` if it is a JSON list (``[]`` for null when ``optional``)."""
    if value is None and optional:
        return []
    if not isinstance(value, list):
        raise _wrong(path, "a list" + (" or null" if optional else ""), value)
    return value


def expect_str(value: Any, path: str, optional: bool = False) -> str | None:
    """``value`` if it is a JSON string (or null when ``optional``)."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise _wrong(path, "a string" + (" or null" if optional else ""), value)
    return value


def expect_int(value: Any, path: str, optional: bool = False) -> int | None:
    """``value`` if it is a JSON integer (not a bool; or null when ``optional``)."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong(path, "an int" + (" or null" if optional else ""), value)
    return value


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
