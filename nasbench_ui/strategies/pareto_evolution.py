"""Multi-objective aging evolution with NSGA-II ranking.

Deb, Pratap, Agarwal & Meyarivan, "A Fast and Elitist Multiobjective Genetic
Algorithm: NSGA-II", IEEE Trans. Evolutionary Computation 6(2), 2002 (non-dominated
sorting and crowding distance), applied to the tournament of regularized (aging)
evolution (Real, Aggarwal, Huang & Le, AAAI 2019). The first ``population``
architectures are random. Each later ask draws ``sample_size`` members of the
population; the parent is the one with the lowest non-domination rank (rank 0 is
the population's Pareto front), ties broken by the larger crowding distance (members
in sparse parts of the front win), then by draw order. The child is the parent with
one decision changed (``space.mutation``). When a child is told it joins the
population and the *oldest* member dies, as in aging evolution.

``objectives`` is a list of ``[metric, "max" | "min"]``: ``"value"`` is the told value,
any other metric is read from ``trial.metrics`` in ``tell``. ``"params"`` missing from
the metrics is computed from the architecture (``nasbench_ui.constraints.arch_params``
with the input shape the constraints use). Another missing metric raises ValueError;
a metric that is None or not finite leaves the trial out, like a failed trial
(value None). Asynchronous use as in ``evolution``. ``ask_meta()``:
``{"parent": trial number or None, "mutation": label}``.

Example:
    >>> from nasbench_ui import spaces
    >>> from nasbench_ui.storage.trial import Trial, TrialState
    >>> space = spaces.keras_cnn()
    >>> s = ParetoEvolution(space, seed=0, population=4, sample_size=2,
    ...                     objectives=[["value", "max"], ["units", "min"]])
    >>> for i in range(10):
    ...     a = s.ask(); v = a["filters"] / 128
    ...     s.tell(a, v, Trial(i, TrialState.COMPLETE, a, v, {"units": a["units"]}))
    >>> len(s.population), all(m["rank"] == 0 for m in s.front)
    (4, True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..options import Option
from ..viz.pareto import pareto_front
from .base import (
    StrategyBase,
    clean_value,
    copy_arch,
    drop_pending,
    objective_value,
)

if TYPE_CHECKING:
    from ..storage.trial import Trial

DEFAULT_OBJECTIVES = [["value", "max"], ["params", "min"]]


def nondominated_ranks(points: Sequence[Sequence[float]], directions: Sequence[str]) -> list[int]:
    """Each point's non-domination rank: 0 on the Pareto front, 1 on the next front...

    Fronts are peeled off one after another with :func:`nasbench_ui.viz.pareto.pareto_front`.

    Example:
        >>> nondominated_ranks([(0.9, 300), (0.8, 100), (0.7, 200), (0.6, 400)], ["max", "min"])
        [0, 0, 1, 2]
    """
    remaining = list(range(len(points)))
    ranks = [0] * len(points)
    rank = 0
    while remaining:
        front = pareto_front([points[i] for i in remaining], directions)
        if not front:  # only points with missing coordinates remain
            break
        on = {remaining[j] for j in front}
        for i in on:
            ranks[i] = rank
        remaining = [i for i in remaining if i not in on]
        rank += 1
    for i in remaining:
        ranks[i] = rank
    return ranks


def crowding_distances(points: Sequence[Sequence[float]], ranks: Sequence[int]) -> list[float]:
    """NSGA-II crowding distance of each point within its front (inf at the ends).

    Per objective, a front is sorted; its two extreme points get infinity and every
    inner point adds the gap between its two neighbours, divided by the front's range.

    Example:
        >>> crowding_distances([(0, 4), (1, 3), (3, 1), (4, 0)], [0, 0, 0, 0])
        [inf, 1.5, 1.5, inf]
    """
    dist = [0.0] * len(points)
    for r in set(ranks):
        members = [i for i, k in enumerate(ranks) if k == r]
        for m in range(len(points[members[0]]) if members else 0):
            order = sorted(members, key=lambda i, m=m: points[i][m])
            lo, hi = float(points[order[0]][m]), float(points[order[-1]][m])
            dist[order[0]] = dist[order[-1]] = math.inf
            if hi <= lo:
                continue
            for j in range(1, len(order) - 1):
                gap = float(points[order[j + 1]][m]) - float(points[order[j - 1]][m])
                dist[order[j]] += gap / (hi - lo)
    return dist


def check_objectives(objectives: Any, where: str = "pareto_evolution") -> list[list[str]]:
    """``objectives`` as a list of ``[metric, direction]``; ValueError names a bad entry."""
    if not isinstance(objectives, (list, tuple)) or not objectives:
        raise ValueError(
            f"{where}: option 'objectives' must be a non-empty list of [metric, 'max' | 'min'] "
            f"pairs, e.g. {DEFAULT_OBJECTIVES}; got {objectives!r}")
    out: list[list[str]] = []
    for o in objectives:
        if (not isinstance(o, (list, tuple)) or len(o) != 2 or not isinstance(o[0], str)
                or not o[0] or o[1] not in ("max", "min")):
            raise ValueError(
                f"{where}: each objective is [metric, 'max' | 'min'], e.g. ['value', 'max']; "
                f"got {o!r}")
        out.append([o[0], o[1]])
    names = [m for m, _ in out]
    if len(set(names)) != len(names):
        raise ValueError(f"{where}: objectives name a metric twice: {names}; list each once")
    return out


class ParetoEvolution(StrategyBase):
    """Aging evolution whose tournament ranks by Pareto rank and crowding (NSGA-II)."""

    NAME = "pareto_evolution"
    OPTIONS = {
        "population": Option(int, 20, low=2, help="number of live members (P)"),
        "sample_size": Option(int, 5, low=1, help="tournament size (S), at most population"),
        "objectives": Option(list, DEFAULT_OBJECTIVES,
                             help='[[metric, "max" | "min"], ...]; "value" is the told value'),
    }

    def __init__(self, space: Any, seed: int = 0, constraint: Any = None, **options: Any) -> None:
        super().__init__(space, seed, constraint, **options)
        self.options["objectives"] = check_objectives(self.options["objectives"])
        if self.options["sample_size"] > self.options["population"]:
            raise ValueError(
                f"pareto_evolution: option 'sample_size' ({self.options['sample_size']}) must "
                f"be <= 'population' ({self.options['population']}); lower sample_size or "
                "raise population")
        self.objectives = [tuple(o) for o in self.options["objectives"]]
        # live members, oldest first: {"arch", "key", "value", "objectives", "number"}
        self._pop: list[dict[str, Any]] = []
        self._pending: list[list[str]] = []  # [key, "random" | "child"]
        self._params: dict[str, int] = {}

    def _ranked(self) -> list[dict[str, Any]]:
        points = [m["objectives"] for m in self._pop]
        ranks = nondominated_ranks(points, [d for _, d in self.objectives])
        crowd = crowding_distances(points, ranks)
        return [dict(m, arch=copy_arch(m["arch"]), objectives=list(m["objectives"]),
                     rank=r, crowding=c) for m, r, c in zip(self._pop, ranks, crowd, strict=True)]

    @property
    def population(self) -> list[dict[str, Any]]:
        """Live members, oldest first, with their ``rank`` and ``crowding`` (copies)."""
        return self._ranked()

    @property
    def front(self) -> list[dict[str, Any]]:
        """The members of rank 0: the population's Pareto front."""
        return [m for m in self._ranked() if m["rank"] == 0]

    def ask(self) -> dict[str, Any]:
        """Random while the population fills, then a mutated NSGA-II tournament winner."""
        size = self.options["population"]
        pending_random = sum(1 for _, kind in self._pending if kind == "random")
        if not self._pop or len(self._pop) + pending_random < size:
            arch = self._propose(lambda: self.space.sample(self.rng))
            kind, self._meta = "random", {"parent": None, "mutation": None}
        else:
            ranked = self._ranked()
            picks = self.rng.sample(range(len(ranked)), min(self.options["sample_size"],
                                                            len(ranked)))
            parent = min((ranked[i] for i in picks), key=lambda m: (m["rank"], -m["crowding"]))
            arch, label = self._allowed_mutation(parent["arch"])
            kind, self._meta = "child", {"parent": parent["number"], "mutation": label}
        self._pending.append([self.space.key(arch), kind])
        return arch

    def _metric(self, name: str, arch: dict[str, Any], key: str, value: float,
                trial: Trial | None) -> float | None:
        return objective_value("pareto_evolution", name, self.space, arch, key, value, trial,
                               self._params)

    def tell(self, arch: dict[str, Any], value: float | None, trial: Trial | None = None) -> None:
        """Add a told architecture with its objective vector; the oldest member dies."""
        key = self.space.key(arch)
        drop_pending(self._pending, key)
        value = clean_value(value)
        if value is None:
            return
        arch = self.space.canonical(arch)
        vec = [self._metric(m, arch, key, value, trial) for m, _ in self.objectives]
        if any(v is None for v in vec):
            return
        self._pop.append({"arch": arch, "key": key, "value": value, "objectives": vec,
                          "number": trial.number if trial is not None else None})
        while len(self._pop) > self.options["population"]:
            self._pop.pop(0)

    def state_dict(self) -> dict[str, Any]:
        members = [{k: m[k] for k in ("arch", "key", "value", "objectives", "number")}
                   for m in self._ranked()]
        return {**self._base_state(), "population": members,
                "pending": [list(p) for p in self._pending]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._load_base(state, ("population", "pending"))
        self._pop = [
            {"arch": self.space.canonical(m["arch"]), "key": str(m["key"]),
             "value": float(m["value"]), "objectives": [float(v) for v in m["objectives"]],
             "number": m["number"]}
            for m in state["population"]
        ]
        self._pending = [[str(k), str(kind)] for k, kind in state["pending"]]
