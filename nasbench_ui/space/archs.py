"""Operations on architectures (plain dicts) of a :class:`SearchSpace`.

Checking, canonical keys, sampling, one-decision mutation, neighbourhoods, numeric
encoding and enumeration. Functions take the space first; ``SearchSpace`` methods call
them.

Example:
    >>> import random
    >>> from nasbench_ui import spaces
    >>> s = spaces.nb201()
    >>> a = s.sample(random.Random(1))
    >>> len(s.neighbors(a)), len(s.encode(a)), s.size()
    (24, 30, 15625)
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Iterator
from typing import Any, Protocol

from .decisions import Categorical, FloatRange, InputChoice, IntRange, OpDecision
from .nb201_strings import nb201_str


class SearchSpace(Protocol):
    """What these functions read of a :class:`~nasbench_ui.space.spec.SearchSpace`
    (spec imports this module, not the other way round)."""

    name: str
    key_format: str

    @property
    def decisions(self) -> tuple[Any, ...]: ...
    @property
    def labels(self) -> tuple[str, ...]: ...


def _check_value(d: Any, value: Any) -> Any:
    """Return ``value`` in canonical form, or raise ValueError naming the decision."""
    if isinstance(d, OpDecision):
        if not isinstance(value, str) or value not in d.edge.ops:
            raise ValueError(
                f"decision {d.label!r}: {value!r} is not a candidate operation of edge "
                f"{d.edge.src} -> {d.edge.dst}; choose one of {list(d.edge.ops)}"
            )
        return value
    if isinstance(d, InputChoice):
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise ValueError(
                f"decision {d.label!r}: expected a list of {d.k} node names, got {value!r}"
            )
        if len(set(value)) != len(value) or len(value) != d.k:
            raise ValueError(
                f"decision {d.label!r}: expected {d.k} distinct inputs of node {d.node!r}, "
                f"got {list(value)}"
            )
        bad = [v for v in value if v not in d.candidates]
        if bad:
            raise ValueError(
                f"decision {d.label!r}: {bad} are not candidate inputs of node {d.node!r} "
                f"(candidates: {list(d.candidates)})"
            )
        return sorted(value)
    if isinstance(d, IntRange):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"decision {d.label!r}: expected an integer, got {value!r}")
        if not d.low <= value <= d.high or (value - d.low) % d.step:
            raise ValueError(
                f"decision {d.label!r}: {value} is not in {d.low}..{d.high} on step {d.step}"
            )
        return value
    if isinstance(d, FloatRange):
        return d.choices()[d.index(value)]
    if isinstance(d, Categorical):
        for c in d.values:
            if type(c) is type(value) and c == value:
                return c
            if isinstance(c, float) and isinstance(value, (int, float)) and not isinstance(
                value, bool
            ) and math.isclose(c, value, rel_tol=1e-9):
                return c
        raise ValueError(f"decision {d.label!r}: {value!r} is not one of {list(d.values)}")
    raise TypeError(f"unknown decision type {type(d).__name__}")


def canonical(space: SearchSpace, arch: Any) -> dict[str, Any]:
    if not isinstance(arch, dict):
        raise ValueError(f"an architecture must be a dict {{label: choice}}, got {type(arch).__name__}")
    labels = space.labels
    missing = [lb for lb in labels if lb not in arch]
    if missing:
        raise ValueError(f"architecture is missing decision(s) {missing}")
    known = set(labels)  # a tuple's `in` made this O(n^2): 8.5 s at 18,000 decisions
    extra = sorted(str(k) for k in arch if k not in known)
    if extra:
        raise ValueError(
            f"architecture has unknown decision(s) {extra}; decisions of space "
            f"{space.name!r} are {list(labels)}"
        )
    return {d.label: _check_value(d, arch[d.label]) for d in space.decisions}


def key(space: SearchSpace, arch: dict[str, Any]) -> str:
    arch = canonical(space, arch)
    if space.key_format == "nb201":
        # an edge left with one operation is no decision; the string names it still
        fixed = {e.label: e.ops[0] for e in space.edges if not e.is_decision}
        return nb201_str({**fixed, **arch})
    return json.dumps(arch, sort_keys=True, separators=(",", ":"))


def arch_id(space: SearchSpace, arch: dict[str, Any]) -> str:
    return hashlib.sha1(key(space, arch).encode()).hexdigest()[:12]


def _count(d: Any) -> int:
    if isinstance(d, InputChoice):
        return math.comb(len(d.candidates), d.k)
    return len(d.choices())


def size(space: SearchSpace) -> int:
    return math.prod(_count(d) for d in space.decisions)


def sample(space: SearchSpace, rng: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for d in space.decisions:
        if isinstance(d, InputChoice):
            out[d.label] = sorted(rng.sample(sorted(d.candidates), d.k))
        else:
            out[d.label] = rng.choice(d.choices())
    return out


def mutation(
    space: SearchSpace, arch: dict[str, Any], rng: Any
) -> tuple[dict[str, Any], str | None]:
    arch = canonical(space, arch)
    movable = [d for d in space.decisions if _count(d) > 1]
    if not movable:
        return dict(arch), None
    d = rng.choice(movable)
    others = [c for c in d.choices() if c != arch[d.label]]
    new = dict(arch)
    new[d.label] = rng.choice(others)
    return new, d.label


def neighbors(space: SearchSpace, arch: dict[str, Any]) -> list[dict[str, Any]]:
    arch = canonical(space, arch)
    out = []
    for d in space.decisions:
        for c in d.choices():
            if c != arch[d.label]:
                new = dict(arch)
                new[d.label] = c
                out.append(new)
    return out


def _width(d: Any) -> int:
    if isinstance(d, (IntRange, FloatRange)):
        return 1
    if isinstance(d, InputChoice):
        return len(d.candidates)
    return len(d.choices())


def encoding_size(space: SearchSpace) -> int:
    return sum(_width(d) for d in space.decisions)


def encode(space: SearchSpace, arch: dict[str, Any]) -> list[float]:
    arch = canonical(space, arch)
    vec: list[float] = []
    for d in space.decisions:
        v = arch[d.label]
        if isinstance(d, (IntRange, FloatRange)):
            ch = d.choices()
            vec.append(ch.index(v) / (len(ch) - 1) if len(ch) > 1 else 0.0)
        elif isinstance(d, InputChoice):
            vec.extend(1.0 if c in v else 0.0 for c in d.candidates)
        else:
            vec.extend(1.0 if c == v else 0.0 for c in d.choices())
    return vec


def enumerate_archs(space: SearchSpace, limit: int = 100_000) -> Iterator[dict[str, Any]]:
    n = size(space)
    if n > limit:
        raise ValueError(
            f"space {space.name!r} has {n:,} architectures; enumeration allows at most "
            f"{limit:,}. Use a sampling strategy (random, evolution) or shrink the space"
        )
    labels = space.labels
    for combo in itertools.product(*(d.choices() for d in space.decisions)):
        yield dict(zip(labels, combo, strict=True))
