"""Regularized (aging) evolution.

Real, Aggarwal, Huang & Le, "Regularized Evolution for Image Classifier Architecture
Search", AAAI 2019 (Algorithm 1). The first ``population`` architectures are random.
Then each ask runs a tournament: ``sample_size`` members are drawn (without
replacement) from the population, the best is the parent, and the child is the
parent with one decision changed (``space.mutation``). When a child is told it joins
the population and the *oldest* member dies (aging), whatever its value.

Asynchronous use: ``ask`` may be called while earlier asks are pending; the
population changes only on ``tell``. While the population is still filling, asks
are random as long as (members + pending random asks) < ``population``. A failed
trial (value None) does not join the population. ``ask_meta()`` gives the lineage of
the last ask: ``{"parent": trial number of the parent or None, "mutation": label}``.

Example:
    >>> from nasbench_ui import spaces
    >>> space = spaces.nb201()
    >>> evo = RegularizedEvolution(space, seed=0, population=3, sample_size=2)
    >>> for _ in range(4):
    ...     arch = evo.ask()
    ...     evo.tell(arch, float(list(arch.values()).count("nor_conv_3x3")))
    >>> evo.ask_meta()["parent"] is None, evo.ask_meta()["mutation"] in space.labels
    (True, True)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..options import Option
from .base import (
    StrategyBase,
    clean_value,
    copy_arch,
    drop_pending,
)

if TYPE_CHECKING:
    from ..storage.trial import Trial


class RegularizedEvolution(StrategyBase):
    """Aging evolution with tournament selection (Real et al., AAAI 2019)."""

    NAME = "evolution"
    OPTIONS = {
        "population": Option(int, 20, low=2, help="number of live members (P)"),
        "sample_size": Option(int, 5, low=1, help="tournament size (S), at most population"),
    }

    def __init__(self, space: Any, seed: int = 0, constraint: Any = None, **options: Any) -> None:
        super().__init__(space, seed, constraint, **options)
        if self.options["sample_size"] > self.options["population"]:
            raise ValueError(
                f"evolution: option 'sample_size' ({self.options['sample_size']}) must be <= "
                f"'population' ({self.options['population']}); lower sample_size or raise "
                "population"
            )
        # live members, oldest first: {"arch", "key", "value", "number"}
        self._pop: list[dict[str, Any]] = []
        # asked, not yet told: [key, kind] with kind "random" or "child"
        self._pending: list[list[str]] = []

    @property
    def population(self) -> list[dict[str, Any]]:
        """The live members, oldest first (copies): ``{"arch", "key", "value", "number"}``."""
        return [dict(m, arch=copy_arch(m["arch"])) for m in self._pop]

    def ask(self) -> dict[str, Any]:
        """A random architecture while the population fills, then a mutated tournament winner."""
        size = self.options["population"]
        pending_random = sum(1 for _, kind in self._pending if kind == "random")
        if not self._pop or len(self._pop) + pending_random < size:
            arch = self._propose(lambda: self.space.sample(self.rng))
            kind, self._meta = "random", {"parent": None, "mutation": None}
        else:
            picks = self.rng.sample(range(len(self._pop)), min(self.options["sample_size"],
                                                              len(self._pop)))
            parent = max((self._pop[i] for i in picks), key=lambda m: m["value"])
            arch, label = self._allowed_mutation(parent["arch"])
            kind, self._meta = "child", {"parent": parent["number"], "mutation": label}
        self._pending.append([self.space.key(arch), kind])
        return arch

    def tell(self, arch: dict[str, Any], value: float | None, trial: Trial | None = None) -> None:
        """Add a told architecture to the population (unless it failed); the oldest dies."""
        key = self.space.key(arch)
        drop_pending(self._pending, key)
        value = clean_value(value)
        if value is None:
            return
        number = trial.number if trial is not None else None
        self._pop.append({"arch": self.space.canonical(arch), "key": key, "value": value,
                          "number": number})
        while len(self._pop) > self.options["population"]:
            self._pop.pop(0)

    def state_dict(self) -> dict[str, Any]:
        return {**self._base_state(), "population": self.population,
                "pending": [list(p) for p in self._pending]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._load_base(state, ("population", "pending"))
        self._pop = [
            {"arch": self.space.canonical(m["arch"]), "key": str(m["key"]),
             "value": float(m["value"]), "number": m["number"]}
            for m in state["population"]
        ]
        self._pending = [[str(k), str(kind)] for k, kind in state["pending"]]
