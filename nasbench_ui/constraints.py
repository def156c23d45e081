"""Hard constraints on architectures, checked before a trial is run.

A constraint maps a metric to bounds, e.g. ``{"params": {"max": 50_000}}``. Metrics that
can be computed from the architecture alone (``params``, from the built model) are
checked by every strategy before it proposes an architecture.

Example:
    >>> from nasbench_ui import spaces
    >>> ok = make_constraint({"params": {"max": 10**9}}, spaces.mlp())
    >>> import random; ok(spaces.mlp().sample(random.Random(0)))
    True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PRE_TRIAL_METRICS = ("params",)
DEFAULT_INPUT = {"rnn": (8, 8)}


def arch_params(space: Any, arch: dict[str, Any], input_shape: tuple[int, ...] = (1, 8, 8),
                num_classes: int = 10) -> int:
    """Trainable parameters of the architecture's network."""
    model = space.build(arch, input_shape, num_classes)
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def make_constraint(
    constraints: dict[str, Any], space: Any, input_shape: tuple[int, ...] | None = None,
    num_classes: int = 10,
) -> Callable[[dict[str, Any]], bool] | None:
    """A predicate ``arch -> bool`` for the pre-trial constraints, or None when there are none."""
    if not constraints:
        return None
    unknown = [m for m in constraints if m not in PRE_TRIAL_METRICS]
    if unknown:
        raise ValueError(
            f"constraints on {unknown} cannot be checked before a trial runs; "
            f"supported: {list(PRE_TRIAL_METRICS)}"
        )
    shape = input_shape or DEFAULT_INPUT.get(space.name, (1, 8, 8))

    cache: dict[str, int] = {}
    bound = constraints["params"]

    def check(arch: dict[str, Any]) -> bool:
        key = space.key(arch)
        if key not in cache:
            cache[key] = arch_params(space, arch, shape, num_classes)
        value = cache[key]
        return ("max" not in bound or value <= bound["max"]) and (
            "min" not in bound or value >= bound["min"])

    return check
