"""Grid search: every architecture of a (small) space, once, in a fixed order.

Exhaustive enumeration, the oldest hyperparameter search method (see the discussion
in Bergstra & Bengio, "Random Search for Hyper-Parameter Optimization", JMLR 13,
2012, which compares it with random search). The order is ``space.enumerate`` (or a
seeded shuffle of it with ``shuffle=True``). A space with more than ``limit``
architectures is refused at construction. With a constraint, architectures that do
not satisfy it when the grid reaches them are skipped (and not revisited if the
constraint later changes). ``finished`` turns True once the grid is exhausted; asking
again raises :class:`~.base.StrategyExhausted`.

Example:
    >>> from nasbench_ui import spaces
    >>> g = GridSearch(spaces.keras_cnn())
    >>> g.ask()
    {'filters': 32, 'kernel_size': 3, 'units': 32, 'dropout': 0.1, 'learning_rate': 0.01}
    >>> g.finished
    False
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from ..options import Option
from .base import (
    StrategyBase,
    StrategyExhausted,
    copy_arch,
    no_arch_error,
    rng_state,
    set_rng_state,
)

if TYPE_CHECKING:
    from ..storage.trial import Trial


class GridSearch(StrategyBase):
    """Every architecture once, in enumeration order (or shuffled)."""

    NAME = "grid"
    OPTIONS = {
        "limit": Option(int, 100_000, low=1, help="refuse spaces with more architectures"),
        "shuffle": Option(bool, False, help="visit the grid in a seeded random order"),
    }

    def __init__(self, space: Any, seed: int = 0, constraint: Any = None, **options: Any) -> None:
        super().__init__(space, seed, constraint, **options)
        n, limit = space.size(), self.options["limit"]
        if n > limit:
            raise ValueError(
                f"grid: space {space.name!r} has {n:,} architectures, more than "
                f"limit={limit:,}; raise the 'limit' option, shrink the space, or use a "
                "sampling strategy such as 'random' or 'evolution'"
            )
        self._shuffle_state = rng_state(self.rng)
        self._archs = self._order()
        self._pos = 0
        self._asked = 0

    def _order(self) -> list[dict[str, Any]]:
        archs = list(self.space.enumerate(self.options["limit"]))
        if self.options["shuffle"]:
            r = random.Random()
            set_rng_state(r, self._shuffle_state)
            r.shuffle(archs)
        return archs

    def _skip(self) -> None:
        """Move past architectures that do not satisfy the constraint."""
        while self._pos < len(self._archs) and not self.allowed(self._archs[self._pos]):
            self._pos += 1

    @property
    def finished(self) -> bool:
        """True once every (allowed) architecture has been asked."""
        self._skip()
        return self._pos >= len(self._archs)

    @property
    def total(self) -> int:
        """The number of architectures in the grid."""
        return len(self._archs)

    def ask(self) -> dict[str, Any]:
        """The next architecture of the grid; StrategyExhausted when there is none."""
        self._skip()
        if self._pos >= len(self._archs):
            if self._asked == 0 and self.constraint is not None:
                raise no_arch_error(self.NAME, self._pos)
            raise StrategyExhausted(
                f"grid: all {len(self._archs):,} architectures of space {self.space.name!r} "
                f"have been visited ({self._asked:,} asked); the search is finished, check "
                "`finished` before asking"
            )
        arch = self._archs[self._pos]
        self._pos += 1
        self._asked += 1
        self._meta = {"grid_index": self._pos - 1}
        return copy_arch(arch)

    def tell(self, arch: dict[str, Any], value: float | None, trial: Trial | None = None) -> None:
        """The grid's order does not depend on results; the architecture is only checked."""
        self.space.validate(arch)

    def state_dict(self) -> dict[str, Any]:
        return {
            **self._base_state(),
            "shuffle_state": self._shuffle_state,
            "pos": self._pos,
            "asked": self._asked,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._load_base(state, ("shuffle_state", "pos", "asked"))
        if state["shuffle_state"] != self._shuffle_state:
            self._shuffle_state = state["shuffle_state"]
            self._archs = self._order()
        self._pos = int(state["pos"])
        self._asked = int(state["asked"])
