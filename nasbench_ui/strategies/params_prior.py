"""A zero-cost prior for the initial design: the parameter count of an architecture.

Abdelfattah, Mehrotra, Dudziak & Lane, "Zero-Cost Proxies for Lightweight NAS", ICLR 2021,
score untrained networks by proxies computed without any training, the number of
parameters among their baselines, and use them to warm up a search (its first samples).
:class:`ParamsPrior` is that baseline: the trainable parameters of the network the space
builds for an architecture (``space.build``, with the input shape the pre-trial
constraints use, :data:`nasbench_ui.constraints.DEFAULT_INPUT`), counted after the dead
edges of a cell are dropped (:mod:`nasbench_ui.space.canonical`), so that a convolution
whose result never reaches the output does not count. It reads the space alone, never a
result. An architecture the space cannot build scores ``-inf``: where nothing builds,
:meth:`ParamsPrior.best` falls back to the first draw, i.e. to uniform sampling.
:meth:`ParamsPrior.ascend` climbs the prior itself (steepest ascent over
``space.neighbors``) to a local maximum, at no cost in trials: the zero-cost start of
``local_search``'s ``start="prior"``.

Example:
    >>> from nasbench_ui import spaces
    >>> space = spaces.nb201()
    >>> prior = ParamsPrior(space)
    >>> conv = dict.fromkeys(space.labels, "nor_conv_3x3")
    >>> pool = dict.fromkeys(space.labels, "avg_pool_3x3")
    >>> prior.best([pool, conv]), prior.score(conv) > prior.score(pool)
    (1, True)
    >>> prior.ascend(pool) == conv
    True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from ..space.canonical import Equivalence


class ParamsPrior:
    """The log parameter count of an architecture's network (dead edges dropped), cached."""

    def __init__(self, space: Any, input_shape: tuple[int, ...] | None = None) -> None:
        from ..constraints import DEFAULT_INPUT

        self.space = space
        self.input_shape = input_shape or DEFAULT_INPUT.get(space.name, (1, 8, 8))
        self._eq = Equivalence(space)
        self._cache: dict[str, float] = {}

    def score(self, arch: dict[str, Any]) -> float:
        """``log(1 + parameters)`` of the architecture with its dead edges dropped;
        ``-inf`` where the space cannot build it."""
        from ..constraints import arch_params

        pruned = self._eq.pruned(arch)
        key = str(self.space.key(pruned))
        if key not in self._cache:
            try:
                self._cache[key] = math.log1p(arch_params(self.space, pruned, self.input_shape))
            except (ValueError, RuntimeError, TypeError):
                self._cache[key] = -math.inf
        return self._cache[key]

    def best(self, archs: Sequence[dict[str, Any]]) -> int:
        """The index of the architecture with the most parameters (the first on ties)."""
        scores = [self.score(a) for a in archs]
        return max(range(len(archs)), key=lambda i: (scores[i], -i))

    def ascend(self, arch: dict[str, Any],
               allowed: Callable[[dict[str, Any]], bool] | None = None,
               max_steps: int = 1000) -> dict[str, Any]:
        """Steepest ascent on the prior from ``arch``: move to the neighbour
        (``space.neighbors``) with the most parameters while it has strictly more than the
        current architecture; return the local maximum reached. Neighbours ``allowed``
        refuses are skipped; ties go to the first neighbour in the space's order, so the
        result depends on ``arch`` alone. No trial is run."""
        current, value = arch, self.score(arch)
        for _ in range(max_steps):
            best, best_value = None, value
            for n in self.space.neighbors(current):
                v = self.score(n)
                if v > best_value and (allowed is None or allowed(n)):
                    best, best_value = n, v
            if best is None:
                break
            current, value = best, best_value
        return current
