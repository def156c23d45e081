"""The parts of a search space: nodes, edges and the decisions an architecture makes.

A decision has a ``label`` and ``choices()``, the tuple of every allowed value in a
fixed order. An architecture is the plain dict ``{label: value}``. Reading the parts
from JSON lives in :mod:`.parts_json`.

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
