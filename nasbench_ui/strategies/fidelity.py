"""The shared core of the multi-fidelity schedulers: budget levels, a proposer, rungs.

The schedulers of :mod:`.successive_halving` (Jamieson and Talwalkar, AISTATS 2016; Li
et al., "Hyperband", JMLR 2018), :mod:`.hyperband` (Li et al., JMLR 2018; BOHB: Falkner,
Klein and Hutter, ICML 2018) and :mod:`.asha` (Li et al., "A System for Massively
Parallel Hyperparameter Tuning", MLSys 2020) are strategies that **wrap a proposer**:
another strategy (``random``, ``bananas``, ``optuna``...) created by name proposes each
new configuration; the scheduler decides at which budget each configuration runs and
which ones are promoted to the next budget. A scheduler is a
:class:`~nasbench_ui.strategies.base.Strategy` like any other, so it is chosen where
every strategy is: the workbench's strategy dropdown, the CLI's ``--strategy hyperband``
(options through ``--strategy-options '{"eta": 2, "max_budget": 8}'``) and the
config's ``"strategy": "hyperband"`` with ``"strategy_options"``.

**Budgets.** ``fidelity`` is ``"epochs"`` (ints) or ``"data_fraction"`` (in (0, 1]).
The budget levels (rungs) are ``budgets`` when given, else ``max_budget * eta**-k``
for ``k = s_max..0`` with ``s_max = floor(log_eta(max_budget / min_budget))``
(:func:`budget_levels`). Rung ``k`` is the ``k``-th level (0-based).

**What a trial says.** :meth:`FidelityScheduler.ask_meta` gives ``rung`` (int),
``budget`` (``{"epochs": 4}`` or ``{"data_fraction": 0.5}``), ``config`` (the
configuration's id inside the scheduler) and, for a promotion, ``promoted_from`` (the
trial number it continues; -1 when that result was told without a trial) and
``from_budget`` (the budget that trial ran at). Hyperband's trials also hold ``bracket``. The loop
stores it as the trial's meta and hands it to the estimator as ``ctx.meta``: ``train``
trains to the budget (warm-started from ``promoted_from``'s weights when it holds
them), ``tabular`` looks the budget up in per-epoch columns and charges that rung only.
Other estimators ignore the budget (``early_stop``, ``lce`` and ``zero_cost`` keep their
own fidelity), so pair a scheduler with ``train`` or ``tabular``.

**The proposer** hears each configuration once, at its first evaluation (its value at
its first budget), so a model-based proposer (``bananas``, ``optuna``'s TPE) learns
from cheap evaluations, BOHB's point; values of later rungs stay with the scheduler.

Example:
    >>> budget_levels("epochs", eta=2, min_budget=1, max_budget=8)
    [1, 2, 4, 8]
    >>> budget_levels("data_fraction", eta=3, min_budget=0.1, max_budget=1.0)
    [0.111111, 0.333333, 1.0]
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ..options import Option
from .base import Constraint, StrategyBase, copy_arch
from .catalog import build

if TYPE_CHECKING:
    from ..space.spec import SearchSpace
    from ..storage.trial import Trial

FIDELITIES = ("epochs", "data_fraction")

#: The options every scheduler shares.
FIDELITY_OPTIONS: dict[str, Option] = {
    "eta": Option(int, 3, low=2, high=100,
                  help="keep the best 1/eta of a rung; budgets grow eta-fold"),
    "fidelity": Option(str, "epochs", choices=FIDELITIES,
                       help="what a budget counts: training epochs or the fraction of the "
                            "training data"),
    "min_budget": Option(float, 1.0, low=1e-6, help="the smallest budget (rung 0)"),
    "max_budget": Option(float, 9.0, low=1e-6, help="the largest budget (the top rung)"),
    "budgets": Option(list, [], help="explicit budget levels, increasing (e.g. [12, 200] for "
                                     "NAS-Bench-201's two columns); empty: from eta and "
                                     "min/max_budget"),
    "proposer": Option(str, "random", help="the strategy that proposes new configurations "
                                           "(random, bananas, optuna, evolution...)"),
    "proposer_options": Option(dict, {}, help="options of the proposer"),
}


def budget_levels(fidelity: str, eta: int, min_budget: float, max_budget: float,
                  budgets: list[Any] | None = None) -> list[Any]:
    """The budgets of the rungs, smallest first (ints for epochs, rounded fractions).

    Example:
        >>> budget_levels("epochs", 3, 1, 9)
        [1, 3, 9]
        >>> budget_levels("epochs", 2, 1, 200, budgets=[12, 200])
        [12, 200]
        >>> budget_levels("epochs", 2, 4, 2)
        Traceback (most recent call last):
        ...
        ValueError: multi-fidelity: min_budget (4) must not exceed max_budget (2)
    """
    if fidelity not in FIDELITIES:
        raise ValueError(f"multi-fidelity: fidelity must be one of {list(FIDELITIES)}, "
                         f"got {fidelity!r}")
    if budgets:
        levels = list(budgets)
        if not all(isinstance(b, (int, float)) and not isinstance(b, bool) and b > 0
                   for b in levels) or levels != sorted(set(levels)):
            raise ValueError(f"multi-fidelity: budgets must be positive numbers, strictly "
                             f"increasing, got {budgets!r}")
    else:
        if min_budget > max_budget:
            raise ValueError(f"multi-fidelity: min_budget ({min_budget:g}) must not exceed "
                             f"max_budget ({max_budget:g})")
        s_max = int(math.floor(math.log(max_budget / min_budget) / math.log(eta) + 1e-9))
        levels = [max_budget * float(eta) ** -(s_max - k) for k in range(s_max + 1)]
    if fidelity == "epochs":
        out = [max(1, int(round(b))) for b in levels]
        out = sorted(set(out))
    else:
        if levels[-1] > 1.0 + 1e-9:
            raise ValueError(f"multi-fidelity: a data_fraction budget must be at most 1, got "
                             f"{levels[-1]!r}")
        out = sorted({round(float(b), 6) for b in levels})
    return out


class FidelityScheduler(StrategyBase):
    """The base of the schedulers: the proposer, the configurations and their rungs.

    A subclass implements :meth:`_next`: the ``(config, rung)`` to run next, or None
    for a new configuration at the rung :meth:`_first_rung` names. Results land in
    ``self.results[rung]`` as ``{config id (str): [trial number, value]}``.
    """

    NAME = ""
    OPTIONS = FIDELITY_OPTIONS

    def __init__(self, space: SearchSpace, seed: int = 0, constraint: Constraint | None = None,
                 **options: Any) -> None:
        super().__init__(space, seed, None, **options)
        o = self.options
        self.levels = budget_levels(o["fidelity"], o["eta"], o["min_budget"], o["max_budget"],
                                    o["budgets"])
        if o["proposer"] in _SCHEDULER_NAMES:
            raise ValueError(f"{self.NAME}: the proposer must be a plain strategy, not the "
                             f"scheduler {o['proposer']!r}")
        self.proposer = build(o["proposer"], space, seed=seed,
                              options=dict(o["proposer_options"]))
        self.set_constraint(constraint)
        self.configs: list[dict[str, Any]] = []  # {"arch", "key", "told"}
        self.results: list[dict[str, list[Any]]] = [{} for _ in self.levels]
        self.pending: list[list[Any]] = []  # asked, not told: [config, rung, key]
        self.told_log: list[list[Any]] = []  # [arch, value] told to a replaying proposer

    # ------------------------------------------------------------ protocol
    def set_constraint(self, fn: Constraint | None) -> None:
        """The proposer honours the constraint (promotions reuse allowed architectures)."""
        super().set_constraint(fn)
        if "proposer" in self.__dict__:
            self.proposer.set_constraint(fn)

    def ask(self) -> dict[str, Any]:
        nxt = self._next()
        if nxt is None:
            arch = self.proposer.ask()
            cid = len(self.configs)
            self.configs.append({"arch": copy_arch(arch), "key": self.space.key(arch),
                                 "told": False})
            rung = self._first_rung(cid)
            self._meta = {"rung": rung, "budget": self.budget(rung), "config": cid}
        else:
            cid, rung = nxt
            number = self._best_result_below(cid, rung)
            self._meta = {"rung": rung, "budget": self.budget(rung), "config": cid,
                          "promoted_from": number[0], "from_budget": self.budget(number[1])}
        self._meta.update(self._extra_meta(cid))
        self.pending.append([cid, rung, self.configs[cid]["key"]])
        return copy_arch(self.configs[cid]["arch"])

    def tell(self, arch: dict[str, Any], value: float | None, trial: Trial | None = None) -> None:
        meta = trial.meta if trial is not None else {}
        entry = self._match(arch, meta)
        if entry is None:  # not one of ours (another strategy's trial): the proposer learns
            self.proposer.tell(arch, value, trial)
            return
        cid, rung = entry[0], entry[1]
        number = trial.number if trial is not None else -1
        self.results[rung][str(cid)] = [number, value]
        config = self.configs[cid]
        if not config["told"]:
            config["told"] = True
            self.proposer.tell(arch, value, trial)
            self.told_log.append([copy_arch(arch), value])
        self._told(cid, rung, value)

    # --------------------------------------------------------------- rungs
    def budget(self, rung: int) -> dict[str, Any]:
        """The budget of ``rung`` as the trial's meta holds it, e.g. ``{"epochs": 4}``."""
        return {self.options["fidelity"]: self.levels[rung]}

    def value(self, cid: int, rung: int) -> float | None:
        """The value configuration ``cid`` reached at ``rung`` (None: failed or not run)."""
        got = self.results[rung].get(str(cid))
        return None if got is None else got[1]

    def done_at(self, rung: int) -> list[tuple[int, float | None]]:
        """``(config, value)`` of the finished evaluations at ``rung``, best first (failed
        ones last, ties by config id)."""
        rows = [(int(c), v[1]) for c, v in self.results[rung].items()]
        return sorted(rows, key=lambda r: (r[1] is None, -(r[1] or 0.0), r[0]))

    def _best_result_below(self, cid: int, rung: int) -> tuple[int, int]:
        """``(trial number, rung)`` of the highest rung below ``rung`` that ran ``cid``."""
        for r in range(rung - 1, -1, -1):
            got = self.results[r].get(str(cid))
            if got is not None:
                return int(got[0]), r
        raise ValueError(f"{self.NAME}: configuration {cid} has no result below rung {rung}")

    def _match(self, arch: dict[str, Any], meta: dict[str, Any]) -> list[Any] | None:
        """Remove and return the pending entry this tell answers (None: not ours)."""
        cid, rung = meta.get("config"), meta.get("rung")
        key = None
        for i, entry in enumerate(self.pending):
            if cid is not None and rung is not None:
                if entry[0] == cid and entry[1] == rung:
                    return self.pending.pop(i)
                continue
            key = key or self.space.key(arch)
            if entry[2] == key:
                return self.pending.pop(i)
        if isinstance(cid, int) and isinstance(rung, int) and 0 <= cid < len(self.configs) \
                and 0 <= rung < len(self.levels):
            return [cid, rung, self.configs[cid]["key"]]  # a replayed history: not pending
        return None

    # ------------------------------------------------------------ subclass
    def _next(self) -> tuple[int, int] | None:
        """The promotion (or pending work) to run next; None: a new configuration."""
        raise NotImplementedError

    def _first_rung(self, cid: int) -> int:
        """The rung a new configuration starts at."""
        return 0

    def _extra_meta(self, cid: int) -> dict[str, Any]:
        return {}

    def _told(self, cid: int, rung: int, value: float | None) -> None:
        """A result arrived (after it is stored in ``results``)."""

    def _sub_state(self) -> dict[str, Any]:
        return {}

    def _load_sub_state(self, state: dict[str, Any]) -> None:
        pass

    # ------------------------------------------------------------ snapshot
    def state_dict(self) -> dict[str, Any]:
        return {**self._base_state(), "levels": list(self.levels),
                "configs": [dict(c, arch=copy_arch(c["arch"])) for c in self.configs],
                "results": [{k: list(v) for k, v in r.items()} for r in self.results],
                "pending": [list(p) for p in self.pending],
                "proposer": self.proposer.state_dict(),
                "told_log": [[copy_arch(a), v] for a, v in self.told_log],
                "sub": self._sub_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._load_base(state, ("levels", "configs", "results", "pending", "proposer", "sub"))
        if list(state["levels"]) != list(self.levels):
            raise ValueError(f"{self.NAME}: the snapshot's budgets {state['levels']} differ "
                             f"from {self.levels}")
        self.configs = [dict(c, arch=copy_arch(c["arch"])) for c in state["configs"]]
        self.results = [{k: list(v) for k, v in r.items()} for r in state["results"]]
        self.pending = [list(p) for p in state["pending"]]
        self.told_log = [[copy_arch(a), v] for a, v in state.get("told_log", [])]
        proposer = state["proposer"]
        if self.replays_history(proposer):  # a proposer without a snapshot hears it all again
            for arch, value in self.told_log:
                self.proposer.tell(arch, value, None)
        else:
            self.proposer.load_state_dict(proposer)
        self._load_sub_state(dict(state["sub"]))


#: Registry names of the schedulers: never a proposer of another scheduler.
_SCHEDULER_NAMES = ("successive_halving", "hyperband", "bohb", "asha")
