"""Spaces, objectives and a driver shared by the strategy tests (imported by name:
pytest puts this folder on ``sys.path``)."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from nasbench_ui.space import Edge, InputChoice, SearchSpace
from nasbench_ui.storage.trial import Trial, TrialState

Objective = Callable[[dict[str, Any]], float | None]


def tiny_space() -> SearchSpace:
    """Six architectures: 3 ops on one edge times 2 on another."""
    return SearchSpace(
        "tiny",
        nodes=["in", "h", "out"],
        edges=[Edge("in", "h", ["relu", "tanh", "skip"]), Edge("h", "out", ["relu", "tanh"])],
    )


def fan_in_space(n: int = 4, k: int = 2) -> SearchSpace:
    """Node ``m`` keeps ``k`` of ``n`` inputs ``a0..``; one op decision on ``m -> out``."""
    hidden = [f"a{i}" for i in range(n)]
    return SearchSpace(
        "fan_in",
        nodes=["in", *hidden, "m", "out"],
        edges=[Edge("in", h, ["skip"]) for h in hidden]
        + [Edge(h, "m", ["skip"]) for h in hidden]
        + [Edge("m", "out", ["relu", "tanh", "skip"])],
        input_choices=[InputChoice("m", k)],
    )


def score_table(space: SearchSpace, seed: int) -> Callable[[dict[str, Any]], float]:
    """A hidden separable objective: a random score per (decision, choice), summed."""
    r = random.Random(seed)
    table = {(d.label, repr(c)): r.random() for d in space.decisions for c in d.choices()}

    def objective(arch: dict[str, Any]) -> float:
        return sum(table[(lb, repr(arch[lb]))] for lb in space.labels)

    return objective


def best_arch(space: SearchSpace, objective: Callable[[dict[str, Any]], float]) -> dict:
    return max(space.enumerate(), key=objective)


def trial(number: int, arch: dict[str, Any], value: float | None) -> Trial:
    state = TrialState.COMPLETE if value is not None else TrialState.FAILED
    return Trial(number=number, state=state, arch=arch, value=value)


def drive(strategy: Any, objective: Objective, n: int, first: int = 0) -> list[dict[str, Any]]:
    """``n`` sequential ask/tell rounds with trial numbers from ``first``; the asks."""
    asked = []
    for i in range(first, first + n):
        arch = strategy.ask()
        asked.append(arch)
        v = objective(arch)
        strategy.tell(arch, v, trial(i, arch, v))
    return asked
