"""Random search: architectures sampled uniformly from the space.

The baseline every NAS method must beat: Bergstra & Bengio, "Random Search for
Hyper-Parameter Optimization", JMLR 13, 2012; Li & Talwalkar, "Random Search and
Reproducibility for Neural Architecture Search", UAI 2019.

With ``dedupe=True`` the strategy avoids proposing an architecture twice (asked or
told) while unseen ones remain: after 64 draws of seen ones it
picks uniformly among the remaining ones by enumeration (spaces of at most 100,000
architectures); once every allowed architecture has been seen, repeats are allowed.

Example:
    >>> from nasbench_ui import spaces
    >>> s = RandomSearch(spaces.keras_cnn(), seed=0, dedupe=True)
    >>> archs = [s.ask() for _ in range(5)]
    >>> len({spaces.keras_cnn().key(a) for a in archs})
    5
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..options import Option
from .base import MAX_TRIES, StrategyBase, copy_arch, no_arch_error

if TYPE_CHECKING:
    from ..storage.trial import Trial

ENUMERATE_LIMIT = 100_000
REDRAWS = 64  # draws of already-seen architectures before enumerating the unseen ones


class RandomSearch(StrategyBase):
    """Uniform random sampling (Bergstra & Bengio 2012; Li & Talwalkar 2019)."""

    NAME = "random"
    OPTIONS = {
        "dedupe": Option(bool, False, help="avoid proposing an architecture twice while possible"),
    }

    def __init__(self, space: Any, seed: int = 0, constraint: Any = None, **options: Any) -> None:
        super().__init__(space, seed, constraint, **options)
        self._seen: set[str] = set()

    def ask(self) -> dict[str, Any]:
        """A uniformly random (allowed, and with ``dedupe`` unseen if possible) architecture."""
        self._meta = {}
        if not self.options["dedupe"]:
            return self._propose(lambda: self.space.sample(self.rng))
        fallback, repeats = None, 0
        for _ in range(MAX_TRIES):
            arch = self.space.sample(self.rng)
            if not self.allowed(arch):
                continue
            key = self.space.key(arch)
            if key not in self._seen:
                self._seen.add(key)
                return arch
            fallback = fallback or arch
            repeats += 1
            if repeats >= REDRAWS:
                break
        arch = self._unseen_by_enumeration()
        if arch is not None:
            self._seen.add(self.space.key(arch))
            return arch
        if fallback is None:
            raise no_arch_error(self.NAME, MAX_TRIES)
        return fallback

    def _unseen_by_enumeration(self) -> dict[str, Any] | None:
        if self.space.size() > ENUMERATE_LIMIT:
            return None
        unseen = [
            a for a in self.space.enumerate(ENUMERATE_LIMIT)
            if self.space.key(a) not in self._seen and self.allowed(a)
        ]
        return copy_arch(self.rng.choice(unseen)) if unseen else None

    def tell(self, arch: dict[str, Any], value: float | None, trial: Trial | None = None) -> None:
        """Random search does not learn; with ``dedupe`` a told architecture counts as seen."""
        key = self.space.key(arch)  # validates the architecture
        if self.options["dedupe"]:
            self._seen.add(key)

    def state_dict(self) -> dict[str, Any]:
        return {**self._base_state(), "seen": sorted(self._seen)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._load_base(state, ("seen",))
        self._seen = set(state["seen"])
