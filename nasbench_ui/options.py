"""Declared options of strategies and estimators.

Each component declares ``OPTIONS: dict[str, Option]``; forms in the workbench and
flags of the CLI are generated from these declarations, and :func:`resolve` checks a
user's plain ``dict`` of options against them.

Example:
    >>> class Demo:
    ...     OPTIONS = {"population": Option(int, 10, low=2, help="population size")}
    >>> resolve(Demo, {"population": 20})
    {'population': 20}
    >>> resolve(Demo, {})
    {'population': 10}
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_TYPES = (bool, int, float, str, dict, list)


@dataclass(frozen=True)
class Option:
    """One option: its type, default, bounds or choices, and a help text.

    ``type`` is one of ``bool, int, float, str, dict, list``. ``default=None`` with
    ``optional=True`` means the option may stay unset.
    """

    type: type
    default: Any
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] | None = None
    help: str = ""
    optional: bool = False

    def __post_init__(self) -> None:
        if self.type not in _TYPES:
            raise ValueError(f"Option type must be one of {[t.__name__ for t in _TYPES]}")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able description, for forms and ``nasbench-ui list``."""
        return {
            "type": self.type.__name__,
            "default": self.default,
            "low": self.low,
            "high": self.high,
            "choices": list(self.choices) if self.choices is not None else None,
            "help": self.help,
            "optional": self.optional,
        }


def _owner_name(owner: Any) -> str:
    return getattr(owner, "NAME", None) or getattr(owner, "__name__", None) or type(owner).__name__


def check(name: str, opt: Option, value: Any, where: str = "") -> Any:
    """Check one value against its option and return it (ints widen to floats)."""
    prefix = f"{where}: " if where else ""
    if value is None and opt.optional:
        return None
    t = opt.type
    ok = isinstance(value, t) and not (t is int and isinstance(value, bool))
    if t is float and isinstance(value, int) and not isinstance(value, bool):
        value, ok = float(value), True
    if not ok:
        raise ValueError(
            f"{prefix}option {name!r} must be of type {t.__name__}, got {value!r} "
            f"({type(value).__name__})"
        )
    if t is float and not math.isfinite(value):
        raise ValueError(f"{prefix}option {name!r} must be finite, got {value!r}")
    if opt.low is not None and value < opt.low:
        raise ValueError(f"{prefix}option {name!r} must be >= {opt.low}, got {value!r}")
    if opt.high is not None and value > opt.high:
        raise ValueError(f"{prefix}option {name!r} must be <= {opt.high}, got {value!r}")
    if opt.choices is not None and value not in opt.choices:
        raise ValueError(
            f"{prefix}option {name!r} must be one of {list(opt.choices)}, got {value!r}"
        )
    return value


def resolve(owner: Any, options: Mapping[str, Any] | None) -> dict[str, Any]:
    """Check ``options`` against ``owner.OPTIONS``; fill defaults; return a new dict.

    Raises ValueError naming an unknown key (with the valid keys listed) or a value of
    the wrong type or out of its bounds.
    """
    declared: Mapping[str, Option] = getattr(owner, "OPTIONS", {}) or {}
    where = _owner_name(owner)
    if options is None:
        options = {}
    if not isinstance(options, Mapping):
        raise ValueError(f"{where}: options must be a dict, got {type(options).__name__}")
    unknown = sorted(set(options) - set(declared))
    if unknown:
        raise ValueError(
            f"{where}: unknown option(s) {unknown}; valid options are {sorted(declared)}"
        )
    out: dict[str, Any] = {}
    for name, opt in declared.items():
        out[name] = check(name, opt, options[name], where) if name in options else opt.default
    return out


def describe(owner: Any) -> dict[str, dict[str, Any]]:
    """``{name: option.to_dict()}`` for a component's declared options."""
    return {k: v.to_dict() for k, v in (getattr(owner, "OPTIONS", {}) or {}).items()}
