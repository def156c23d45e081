"""``asha``: asynchronous successive halving, for many parallel (Dask) workers.

ASHA (Li, Jamieson, Rostamizadeh, Gonina, Ben-Tzur, Hardt, Recht and Talwalkar, "A
System for Massively Parallel Hyperparameter Tuning", MLSys 2020, Algorithm 2) never
waits for a rung to fill: whenever a worker is free it looks from the top rung down
for a configuration in the best ``floor(n_k / eta)`` of the ``n_k`` finished at rung
``k`` that has not been promoted yet, and promotes it to rung ``k + 1``; if there is
none, a new configuration starts at the smallest budget. Promotions may be a little
wrong early on (a rung holds few results) and are never undone; in exchange no
worker idles, which suits :mod:`nasbench_ui.engine.executors.dask_trials`.

Where it lives and how to choose it: the strategy ``"asha"`` (wrapping a proposer, see
:mod:`.fidelity`), listed in the workbench's strategy dropdown; CLI: ``nasbench-ui run
--strategy asha --workers 4 --strategy-options '{"eta": 3, "max_budget": 9}'``; config:
``"strategy": "asha"``. Each trial's meta holds ``rung``, ``budget`` and, for a
promotion, ``promoted_from``.

Example:
    >>> from nasbench_ui import spaces
    >>> asha = Asha(spaces.nb201(), seed=0, eta=2, min_budget=1, max_budget=4)
    >>> a = asha.ask(); asha.tell(a, 0.9)
    >>> b = asha.ask(); asha.ask_meta()["rung"]   # 1 result at rung 0: floor(1/2) = 0 promotable
    0
    >>> asha.tell(b, 0.5)
    >>> c = asha.ask(); m = asha.ask_meta()
    >>> m["rung"], m["budget"], m["promoted_from"], c == a
    (1, {'epochs': 2}, -1, True)
"""

from __future__ import annotations

from typing import Any

from .fidelity import FidelityScheduler


class Asha(FidelityScheduler):
    """Asynchronous successive halving (module docstring)."""

    NAME = "asha"

    def __init__(self, space: Any, seed: int = 0, constraint: Any = None, **options: Any) -> None:
        super().__init__(space, seed, constraint, **options)
        self.promoted: list[list[int]] = [[] for _ in self.levels]  # configs promoted from rung k

    def _next(self) -> tuple[int, int] | None:
        eta = self.options["eta"]
        for k in range(len(self.levels) - 2, -1, -1):
            ranked = self.done_at(k)
            top = ranked[:len(ranked) // eta]
            for cid, value in top:
                if value is not None and cid not in self.promoted[k]:
                    self.promoted[k].append(cid)
                    return cid, k + 1
        return None

    def _sub_state(self) -> dict[str, Any]:
        return {"promoted": [list(p) for p in self.promoted]}

    def _load_sub_state(self, state: dict[str, Any]) -> None:
        self.promoted = [list(p) for p in state.get("promoted", [[] for _ in self.levels])]
