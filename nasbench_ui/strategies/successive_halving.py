"""``successive_halving``: run many configurations cheaply, promote the best 1/eta.

Successive halving (Jamieson and Talwalkar, "Non-stochastic Best Arm Identification and
Hyperparameter Optimization", AISTATS 2016; as the inner loop of Hyperband in Li et al.,
"Hyperband: A Novel Bandit-Based Approach to Hyperparameter Optimization", JMLR 2018):
a *bracket* evaluates ``n`` new configurations at the smallest budget, keeps the best
``floor(n / eta)``, evaluates them at an ``eta``-fold budget, and so on up to the
largest budget. A rung is *synchronous*: its promotions are chosen once every
evaluation of the rung below has finished. When a bracket waits on trials still
running (parallel workers), the next bracket opens, so workers never idle.

Where it lives and how to choose it: a strategy (registry name
``"successive_halving"``) that wraps a proposer strategy (see :mod:`.fidelity`); pick it
in the workbench's strategy dropdown, on the CLI with ``--strategy
successive_halving --strategy-options '{"eta": 2, "min_budget": 1, "max_budget": 8}'``,
or in a config with ``"strategy": "successive_halving"``. Each trial's meta holds
``rung``, ``budget`` and, for a promotion, ``promoted_from``.

Example:
    >>> from nasbench_ui import spaces
    >>> sh = SuccessiveHalving(spaces.nb201(), seed=0, eta=2, min_budget=1, max_budget=4)
    >>> metas = []
    >>> for value in [0.1, 0.4, 0.3, 0.2]:
    ...     arch = sh.ask(); metas.append(sh.ask_meta())
    ...     sh.tell(arch, value)
    >>> [m["budget"]["epochs"] for m in metas]
    [1, 1, 1, 1]
    >>> arch = sh.ask(); sh.ask_meta()["rung"], sh.ask_meta()["budget"], sh.ask_meta()["config"]
    (1, {'epochs': 2}, 1)
"""

from __future__ import annotations

from typing import Any

from .fidelity import FidelityScheduler


class Bracket:
    """One run of successive halving from rung ``base`` with ``sizes[i]`` evaluations at
    its ``i``-th rung; JSON-able through :meth:`to_dict`.

    Example:
        >>> Bracket.sized(s=2, s_max=2, eta=3).sizes
        [9, 3, 1]
        >>> Bracket.sized(s=0, s_max=2, eta=3).sizes
        [3]
    """

    def __init__(self, s: int, base: int, sizes: list[int], members: list[list[int]] | None = None,
                 promote: list[list[int] | None] | None = None) -> None:
        self.s, self.base, self.sizes = s, base, list(sizes)
        self.members = members or [[] for _ in sizes]  # configs handed out, per rung
        self.promote: list[list[int] | None] = promote or [None for _ in sizes]

    @classmethod
    def sized(cls, s: int, s_max: int, eta: int) -> Bracket:
        """Hyperband's bracket ``s``: ``n = ceil((s_max+1)/(s+1) * eta**s)`` configurations at
        rung ``s_max - s``, ``floor(n / eta**i)`` at its ``i``-th rung (Li et al., Alg. 1)."""
        n = -(-(s_max + 1) * eta ** s // (s + 1))
        return cls(s, s_max - s, [max(1, n // eta ** i) for i in range(s + 1)])

    def next(self, sched: FidelityScheduler) -> tuple[str, int | None, int]:
        """``("new", None, rung)``, ``("promote", config, rung)``, ``("wait", None, -1)``
        (the next rung waits on running trials) or ``("done", None, -1)``."""
        for i, size in enumerate(self.sizes):
            rung = self.base + i
            if i == 0:
                if len(self.members[0]) < size:
                    return "new", None, rung
                continue
            if self.promote[i] is None:
                below = self.members[i - 1]
                if any(sched.results[rung - 1].get(str(c)) is None for c in below):
                    return "wait", None, -1
                ranked = [c for c, v in sched.done_at(rung - 1) if c in below and v is not None]
                self.promote[i] = ranked[:size]
            queue = self.promote[i] or []
            if len(self.members[i]) < len(queue):
                return "promote", queue[len(self.members[i])], rung
        last = self.base + len(self.sizes) - 1
        members = self.members[-1]
        if any(sched.results[last].get(str(c)) is None for c in members):
            return "wait", None, -1
        return "done", None, -1

    def take(self, cid: int, rung: int) -> None:
        """Hand ``cid`` out at ``rung`` (a rung of this bracket)."""
        self.members[rung - self.base].append(cid)

    def to_dict(self) -> dict[str, Any]:
        return {"s": self.s, "base": self.base, "sizes": list(self.sizes),
                "members": [list(m) for m in self.members],
                "promote": [None if p is None else list(p) for p in self.promote]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Bracket:
        return cls(int(d["s"]), int(d["base"]), list(d["sizes"]),
                   [list(m) for m in d["members"]],
                   [None if p is None else list(p) for p in d["promote"]])


class SuccessiveHalving(FidelityScheduler):
    """Successive halving over the budget levels: brackets of ``eta**s_max`` configurations
    from the smallest budget, the best 1/eta promoted at each rung (module docstring)."""

    NAME = "successive_halving"

    def __init__(self, space: Any, seed: int = 0, constraint: Any = None, **options: Any) -> None:
        super().__init__(space, seed, constraint, **options)
        self.brackets: list[Bracket] = []
        self.opened = 0  # brackets opened so far (their order: :meth:`_bracket_s`)
        self._opening: int | None = None

    @property
    def s_max(self) -> int:
        return len(self.levels) - 1

    def _bracket_s(self, index: int) -> int:
        """Which bracket the ``index``-th one opened is: always the full one here."""
        return self.s_max

    def _next(self) -> tuple[int, int] | None:
        self.brackets = [b for b in self.brackets if b.next(self)[0] != "done"]
        for i, b in enumerate(self.brackets):
            kind, cid, rung = b.next(self)
            if kind == "promote":
                assert cid is not None
                b.take(cid, rung)
                return cid, rung
            if kind == "new":
                self._opening = i
                return None
        s = self._bracket_s(self.opened)
        self.brackets.append(Bracket.sized(s, self.s_max, self.options["eta"]))
        self.opened += 1
        self._opening = len(self.brackets) - 1
        return None

    def _first_rung(self, cid: int) -> int:
        b = self.brackets[self._opening if self._opening is not None else -1]
        b.take(cid, b.base)
        return b.base

    def _extra_meta(self, cid: int) -> dict[str, Any]:
        for b in self.brackets:
            if any(cid in m for m in b.members):
                return {"bracket": b.s}
        return {}

    def _sub_state(self) -> dict[str, Any]:
        return {"brackets": [b.to_dict() for b in self.brackets], "opened": self.opened}

    def _load_sub_state(self, state: dict[str, Any]) -> None:
        self.brackets = [Bracket.from_dict(b) for b in state.get("brackets", [])]
        self.opened = int(state.get("opened", 0))
