"""Local search with random restarts: first improvement (the default) or steepest ascent.

White, Nolen, Ravi & Savani, "Local Search is State of the Art for Neural
Architecture Search Benchmarks", 2020 (arXiv:2005.02960). A *descent* starts at a
random architecture; its neighbours (every architecture one decision away,
``space.neighbors``) are evaluated in random order and the search moves to the first
one that beats the current architecture. When every neighbour has been evaluated
and none is better, the current architecture is a local optimum and, with
``restarts=True``, a new descent starts at a random architecture (with
``restarts=False`` the strategy is then ``finished``). Within a descent no
architecture is evaluated twice.

Asynchronous use: ``ask`` hands out queued neighbours before their results are
known; any result of the current descent that beats the current architecture
becomes the current one (first improvement in order of arrival). When the queue is
empty but neighbours are still pending, asks are random "explore" architectures; the
best explored one (or a late result of an earlier descent) becomes the start of the
next descent instead of a fresh random one. After :data:`WAIT_LIMIT` such explore
asks the pending results of the descent are taken as lost and the descent (with
``move="best"``: the step) ends; a late result then only competes to seed the next
descent, and never holds a later step back. Failed trials (None) never improve.
Neighbours that violate the constraint are skipped. ``ask_meta()`` of a neighbour is
``{"parent": trial number of the current architecture, "mutation": changed label}``.

Two options change the walk:

- ``move="best"`` is steepest ascent, the simplest version in White et al.: every
  neighbour of the current architecture is evaluated, then the search moves to the best
  of them if it beats the current one (else the current one is a local optimum).
  ``move="first"`` (the default) moves at the first improving result.
- ``start="prior"`` starts the first descent at a zero-cost guess instead of a random
  architecture: from a random architecture, steepest ascent on the parameter count
  (:meth:`.params_prior.ParamsPrior.ascend`; Abdelfattah et al., "Zero-Cost Proxies for
  Lightweight NAS", ICLR 2021, warm-start a search with such a proxy) to a local maximum,
  without a trial: usually the largest network, though where dead edges make every
  single change add no parameters the ascent stops earlier. Later descents start at
  random. The ascent builds a network per neighbour it weighs (about 0.3 s on
  NAS-Bench-201's cell, some 15 s on the DARTS space), once per search. It bets that the
  largest network is near good ones: on NAS-Bench-201 the largest cell (all
  ``nor_conv_3x3``) is one edge from the table's second-best cell by the 12-epoch signal;
  where the bet is wrong, the first descent starts somewhere poor and costs its
  neighbourhood.

Example:
    >>> from nasbench_ui import spaces
    >>> space = spaces.keras_cnn()
    >>> ls = LocalSearch(space, seed=0, restarts=False)
    >>> while not ls.finished:
    ...     a = ls.ask(); ls.tell(a, a["filters"] + a["units"] - 100 * a["dropout"])
    >>> ls.current["arch"]["filters"], ls.current["arch"]["units"], ls.current["arch"]["dropout"]
    (128, 128, 0.1)
    >>> steep = LocalSearch(space, seed=0, restarts=False, move="best", start="prior")
    >>> steep.ask()["filters"]  # the largest network first, before any result
    128
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..options import Option
from .base import StrategyBase, StrategyExhausted, clean_value, copy_arch
from .params_prior import ParamsPrior

if TYPE_CHECKING:
    from ..storage.trial import Trial

WAIT_LIMIT = 32
LOST = -1  # the descent of a pending ask given up on (it no longer holds a step back)


def _member(m: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if m is None else dict(m, arch=copy_arch(m["arch"]))


class LocalSearch(StrategyBase):
    """Local search (White et al. 2020) over one-decision neighbourhoods: first improvement
    or steepest ascent, from a random or a zero-cost start."""

    NAME = "local_search"
    SNAPSHOT_DEFAULTS = {"move": "first", "start": "random"}  # how older snapshots ran
    OPTIONS = {
        "restarts": Option(bool, True, help="restart at a random architecture at a local optimum"),
        "move": Option(str, "first", choices=("first", "best"),
                       help="first: move at the first improving neighbour; best: evaluate "
                            "every neighbour, then move to the best (steepest ascent)"),
        "start": Option(str, "random", choices=("random", "prior"),
                        help="random: the first descent starts at random; prior: at a local "
                             "maximum of the parameter count, found without a trial"),
    }

    def __init__(self, space: Any, seed: int = 0, constraint: Any = None, **options: Any) -> None:
        super().__init__(space, seed, constraint, **options)
        self._descent = 0
        self._current: dict[str, Any] | None = None  # {"arch", "key", "value", "number"}
        self._queue: list[dict[str, Any]] = []
        self._seen: set[str] = set()
        self._pending: list[list[Any]] = []  # [key, descent, kind]
        self._candidate: dict[str, Any] | None = None
        self._done = False
        self._optima = 0
        self._explores = 0  # explore asks while waiting at the end of this descent
        self._best_neighbour: dict[str, Any] | None = None  # move="best": the step's best
        self._prior = ParamsPrior(space) if self.options["start"] == "prior" else None
        self._guessed = False  # start="prior": the guess has been made

    @property
    def current(self) -> dict[str, Any] | None:
        """The architecture the current descent stands on, with its value and trial number."""
        return _member(self._current)

    @property
    def local_optima(self) -> int:
        """How many local optima have been reached so far."""
        return self._optima

    @property
    def finished(self) -> bool:
        """True with ``restarts=False`` once the descent has reached a local optimum."""
        self._conclude()
        return self._done

    def _filter_queue(self) -> None:
        self._queue = [a for a in self._queue
                       if self.space.key(a) not in self._seen and self.allowed(a)]

    def _conclude(self) -> None:
        """At a local optimum (nothing queued, nothing of this descent pending): restart."""
        if self._done or self._current is None:
            return
        self._filter_queue()
        waiting = any(d == self._descent and kind != "explore" for _, d, kind in self._pending)
        if self._queue or (waiting and self._explores < WAIT_LIMIT):
            return
        step = self._best_neighbour
        if step is not None and step["value"] > self._current["value"]:
            for p in self._pending:  # given up on: a late result seeds a later descent
                if p[1] == self._descent and p[2] != "explore":
                    p[1] = LOST
            self._move(step)  # steepest ascent: every neighbour is in, the best one wins
            return
        self._optima += 1
        if not self.options["restarts"]:
            self._done = True
            return
        self._descent += 1
        self._current, self._queue, self._seen, self._explores = None, [], set(), 0
        if self._candidate is not None:
            self._move(self._candidate)
            self._candidate = None

    def _move(self, member: dict[str, Any]) -> None:
        self._current, self._best_neighbour, self._explores = member, None, 0
        self._seen.add(member["key"])
        neighbours = self.space.neighbors(member["arch"])
        self.rng.shuffle(neighbours)
        self._queue = [a for a in neighbours if self.space.key(a) not in self._seen]

    def _start(self) -> dict[str, Any]:
        """The start of a descent: random, or for the first start with ``start="prior"``
        the local maximum of the parameter count above a random architecture (once: a
        failed guess is not asked again, and further starts are random). The first start
        is the search's first ask, so nothing has been seen that the guess could repeat."""
        arch = self._random()
        if self._prior is not None and not self._guessed:  # once: an ascent builds networks
            self._guessed = True
            return self._prior.ascend(arch, self.allowed)
        return arch

    def _random(self) -> dict[str, Any]:
        """A random allowed architecture, unseen in this descent when possible."""
        return self._random_unseen(self._seen)

    def ask(self) -> dict[str, Any]:
        """The next queued neighbour, or a random start / explore architecture."""
        self._conclude()
        if self._done:
            where = self._current["key"] if self._current else ""
            raise StrategyExhausted(
                f"local_search: reached a local optimum ({where}) and restarts=False; the "
                "search is finished (check `finished` before asking)"
            )
        self._meta = {}
        if self._current is None and self._candidate is not None:
            self._move(self._candidate)  # a late or explored result starts this descent
            self._candidate = None
            self._filter_queue()
        if self._current is None:
            arch, kind = self._start(), "start"
        elif self._queue:
            arch, kind = self._queue.pop(0), "neighbor"
            base = self._current["arch"]
            label = next((lb for lb in self.space.labels if arch[lb] != base[lb]), None)
            self._meta = {"parent": self._current["number"], "mutation": label}
        else:
            arch, kind = self._random(), "explore"
            self._explores += 1
        key = self.space.key(arch)
        if kind != "explore":
            self._seen.add(key)
        self._pending.append([key, self._descent, kind])
        return copy_arch(arch)

    def tell(self, arch: dict[str, Any], value: float | None, trial: Trial | None = None) -> None:
        """Move to ``arch`` if it beats the current architecture of its descent (with
        ``move="best"``: remember it if it is the step's best neighbour so far)."""
        key = self.space.key(arch)
        # this descent's own ask first: an older ask of the same cell (lost, or an
        # explore) must not take the result a step waits for
        entry = next((p for p in self._pending if p[0] == key and p[1] == self._descent
                      and p[2] != "explore"), None) or \
            next((p for p in self._pending if p[0] == key), None)
        if entry is not None:
            self._pending.remove(entry)
        descent, kind = (entry[1], entry[2]) if entry else (self._descent, "start")
        v = clean_value(value)
        member = None if v is None else {
            "arch": self.space.canonical(arch), "key": key, "value": v,
            "number": trial.number if trial is not None else None,
        }
        if kind == "explore" or descent != self._descent:
            if member and (self._candidate is None or v > self._candidate["value"]):
                self._candidate = member
        else:
            self._seen.add(key)
            if member is None:
                pass
            elif self._current is None:
                self._move(member)
            elif self.options["move"] == "first":
                if v > self._current["value"]:
                    self._move(member)
            elif self._best_neighbour is None or v > self._best_neighbour["value"]:
                self._best_neighbour = member  # move="best": weighed when the step is in
        self._conclude()

    def state_dict(self) -> dict[str, Any]:
        return {
            **self._base_state(),
            "descent": self._descent,
            "current": _member(self._current),
            "queue": [copy_arch(a) for a in self._queue],
            "seen": sorted(self._seen),
            "pending": [list(p) for p in self._pending],
            "candidate": _member(self._candidate),
            "done": self._done,
            "optima": self._optima,
            "explores": self._explores,
            "best_neighbour": _member(self._best_neighbour),
            "guessed": self._guessed,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        keys = ("descent", "current", "queue", "seen", "pending", "candidate", "done", "optima",
                "explores")
        self._load_base(state, keys)
        self._descent = int(state["descent"])
        self._current = _member(state["current"])
        self._queue = [self.space.canonical(a) for a in state["queue"]]
        self._seen = set(state["seen"])
        self._pending = [[str(k), int(d), str(kind)] for k, d, kind in state["pending"]]
        self._candidate = _member(state["candidate"])
        self._done = bool(state["done"])
        self._optima = int(state["optima"])
        self._explores = int(state["explores"])
        # absent from snapshots taken before move and start existed
        self._best_neighbour = _member(state.get("best_neighbour"))
        self._guessed = bool(state.get("guessed", False))
