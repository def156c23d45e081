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

import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..options import Option
from .base import MAX_TRIES, StrategyBase, copy_arch, no_arch_error, rng_state

if TYPE_CHECKING:
    from ..storage.trial import Trial

ENUMERATE_LIMIT = 100_000
REDRAWS = 64  # draws of already-seen architectures before enumerating the unseen ones
_SKIP_CHUNK = 1 << 20  # words skipped per call when a state is restored


class CountingRandom(random.Random):
    """The stdlib Mersenne Twister, counting the 32-bit words it has drawn.

    Its state is then one int (``words``) on top of the state it started from: the
    strategy saves its state with every trial, and the generator's own 625 words cost
    more to encode than the rest of a trial. The numbers drawn are exactly those of
    ``random.Random`` with the same seed.

    Example:
        >>> r, plain = CountingRandom(7), random.Random(7)
        >>> [r.choice("abc") for _ in range(5)] == [plain.choice("abc") for _ in range(5)]
        True
        >>> again = CountingRandom(7); again.skip(r.words)
        >>> again.random() == r.random()
        True
        >>> import copy; twin = copy.deepcopy(r)
        >>> (twin.words, twin.random()) == (r.words, r.random())
        True
    """

    def __init__(self, seed: Any = None) -> None:
        self.words = 0
        super().__init__(seed)

    def seed(self, a: Any = None, version: int = 2) -> None:
        super().seed(a, version)
        self.words = 0

    def random(self) -> float:
        x = super().random()
        self.words += 2  # 53 bits from two words
        return x

    def getrandbits(self, k: int) -> int:
        bits = super().getrandbits(k)  # raises before counting for a bad k
        self.words += (k + 31) // 32
        return bits

    def __reduce__(self) -> tuple[Any, ...]:  # a copy keeps the count
        return type(self), (), (self.getstate(), self.words)

    def __setstate__(self, state: tuple[Any, int]) -> None:
        self.setstate(state[0])
        self.words = state[1]

    def skip(self, words: int) -> None:
        """Draw and drop ``words`` words (to restore a counted state)."""
        if isinstance(words, bool) or not isinstance(words, int) or words < 0:
            raise ValueError(f"the count of drawn words must be an int >= 0, got {words!r}")
        left = words
        while left > 0:
            step = min(left, _SKIP_CHUNK)
            super().getrandbits(32 * step)
            left -= step
        self.words += words


class RandomSearch(StrategyBase):
    """Uniform random sampling (Bergstra & Bengio 2012; Li & Talwalkar 2019)."""

    NAME = "random"
    OPTIONS = {
        "dedupe": Option(bool, False, help="avoid proposing an architecture twice while possible"),
    }

    def __init__(self, space: Any, seed: int = 0, constraint: Any = None, **options: Any) -> None:
        super().__init__(space, seed, constraint, **options)
        self._seen: set[str] = set()
        self.rng: CountingRandom = CountingRandom(seed)
        # the generator state the count starts from: None is the seed's (a state saved
        # before the count existed holds the full state; a resume of it counts from there)
        self._rng_from: list[Any] | None = None
        self._rng_seed = seed

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
        """Options, meta, the architectures seen, and the generator as the seed it started
        from (``rng_seed``, or the full state ``rng_from`` of a search saved before the
        count) and the words drawn since (``rng_words``).

        Example:
            >>> from nasbench_ui import spaces
            >>> s = RandomSearch(spaces.nb201(), seed=3); _ = s.ask()
            >>> again = RandomSearch(spaces.nb201(), seed=99)
            >>> again.load_state_dict(s.state_dict()); again.ask() == s.ask()
            True
        """
        return {
            "strategy": self.NAME, "space": self.space.name, "options": dict(self.options),
            "rng_seed": self._rng_seed, "rng_from": self._rng_from, "rng_words": self.rng.words,
            "meta": dict(self._meta), "seen": sorted(self._seen),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if not isinstance(state, Mapping):
            self._load_base(state)  # raises its error
            return
        start, words, seed = state.get("rng"), 0, self.seed  # saved before the count: full
        if "rng_words" in state:
            start, words, seed = state.get("rng_from"), state["rng_words"], state.get("rng_seed")
            if start is None:
                if isinstance(seed, bool) or not isinstance(seed, int):
                    raise ValueError(f"{self.NAME}: the snapshot's rng_seed must be an int, "
                                     f"got {seed!r}")
                start_state = rng_state(random.Random(seed))
            else:
                start_state = start
            state = {**state, "rng": start_state}
        # the base checks strategy, space, options and keys, and restores the generator
        self._load_base(state, ("seen",))
        self.rng.words = 0
        self.rng.skip(words)
        self._rng_from = None if start is None else list(start)
        self._rng_seed = seed
        self._seen = set(state["seen"])
