"""``Race``: several search strategies on the same problem, side by side.

Comparing NAS strategies is only meaningful under one protocol (Lindauer and Hutter,
"Best Practices for Scientific Research on Neural Architecture Search", JMLR 2020;
Yang et al., "NAS Evaluation is Frustratingly Hard", ICLR 2020): the same space,
estimator, data set, budget and seed, with random search as the baseline. A ``Race``
makes one :class:`~nasbench_ui.experiment.Experiment` per strategy, named
``"{name}-{strategy}"`` (``race-random``, ``race-evolution``, ...), all in one store,
and runs them.

Scheduling: one thread opens a run of every experiment
(:meth:`Experiment.session() <nasbench_ui.engine.experiment.Experiment.session>`) and
steps their loops **round-robin**, one :meth:`~nasbench_ui.engine.loop.Loop.step` (one
trial) each in turn (``interleave=False``: one after another, each to its budget). The
loops are independent, so every experiment makes exactly the trials a standalone
``Experiment`` with the same arguments would make, and a race stopped half-way leaves
runs of (nearly) equal length. On a 2-core machine the trials of one race never run at
once. The race imports no UI: :class:`~nasbench_ui.ui.race_view.RaceView` shows one.

Example:
    >>> import pandas as pd
    >>> from nasbench_ui import spaces
    >>> space = spaces.nb201()
    >>> keys = [space.key(a) for a in space.enumerate()]  # all 15,625 cells
    >>> df = pd.DataFrame({"arch_str": keys, "acc": [i / len(keys) for i in range(len(keys))]})
    >>> race = Race(space, ["random", "evolution"], estimator="tabular",
    ...             estimator_options={"metric": "acc"}, estimator_frame=df, trials=3)
    >>> sorted(race.experiments)
    ['evolution', 'random']
    >>> race.run().best_so_far().groupby("strategy").size().tolist()
    [3, 3]
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .. import strategies as strategies_mod
from ..storage import TrialState, open_store
from .events import Event
from .experiment import Experiment
from .loop import Loop

log = logging.getLogger(__name__)

__all__ = ["Race", "best_curve"]

IDLE, RUNNING, STOPPING, DONE = "idle", "running", "stopping", "done"


def _check_strategies(strategies: Any) -> list[str]:
    if isinstance(strategies, str) or not isinstance(strategies, Sequence):
        raise ValueError(f"strategies must be a list of strategy names, e.g. "
                         f"['random', 'evolution'], got {strategies!r}")
    names = list(strategies)
    if not names:
        raise ValueError(f"a race needs at least one strategy; strategies are "
                         f"{strategies_mod.names()}")
    known = strategies_mod.names()
    for s in names:
        if not isinstance(s, str) or s not in known:
            raise ValueError(f"unknown strategy {s!r} in the race; strategies are {known}")
    dups = sorted({s for s in names if names.count(s) > 1})
    if dups:
        raise ValueError(f"strategy {dups[0]!r} appears more than once in the race; "
                         "each strategy runs once (use another Race for other options)")
    return names


def _free_prefix(store: Any, name: str, strategies: list[str]) -> str:
    """``name``, or ``name-2``, ``name-3``... so that no experiment name is taken."""
    taken = set(store.experiment_names())
    prefix, i = name, 1
    while any(f"{prefix}-{s}" in taken for s in strategies):
        i += 1
        prefix = f"{name}-{i}"
    return prefix


class Race:
    """Run ``strategies`` on the same problem under the same budget and seed.

    ``estimator`` is a registered name (each experiment builds its own) or an object
    (shared by every experiment: keep it stateless). ``estimator_frame`` is passed as
    ``frame=`` to the ``tabular`` estimator (a table in memory instead of a CSV).
    ``strategy_options`` maps a strategy name to its options. The budget (``trials``
    and/or ``seconds``; 20 trials when neither is given) applies to each strategy.

    Example:
        >>> Race("nb201", ["random", "random"])
        Traceback (most recent call last):
        ...
        ValueError: strategy 'random' appears more than once in the race; each strategy runs once (use another Race for other options)
    """

    def __init__(
        self,
        space: Any,
        strategies: Sequence[str] = ("random", "evolution", "reinforce"),
        estimator: str | Any = "train",
        estimator_options: dict | None = None,
        strategy_options: dict[str, dict] | None = None,
        dataset: str | Any = "digits",
        trials: int | None = None,
        seconds: float | None = None,
        seed: int = 0,
        storage: str | Path | Any = ":memory:",
        device: str = "auto",
        name: str = "race",
        interleave: bool = True,
        max_failures: int = 10,
        estimator_frame: Any = None,
    ) -> None:
        self.strategies = _check_strategies(strategies)
        strategy_options = dict(strategy_options or {})
        extra = sorted(set(strategy_options) - set(self.strategies))
        if extra:
            raise ValueError(f"strategy_options names {extra}, which are not in the race "
                             f"{self.strategies}")
        if trials is None and seconds is None:
            trials = 20
        if isinstance(max_failures, bool) or not isinstance(max_failures, int) or max_failures < 0:
            raise ValueError(f"max_failures must be an integer >= 0, got {max_failures!r}")
        if estimator_frame is not None:
            if estimator != "tabular":
                raise ValueError("estimator_frame is for the 'tabular' estimator only")
            from ..estimators.tabular import TabularEstimator

            estimator = TabularEstimator(frame=estimator_frame, **(estimator_options or {}))
            estimator_options = None
        self.trials, self.seconds, self.seed = trials, seconds, seed
        self.interleave, self.max_failures = bool(interleave), max_failures
        self.store = open_store(storage)
        self.name = _free_prefix(self.store, name, self.strategies)
        self.experiments: dict[str, Experiment] = {}
        for s in self.strategies:
            self.experiments[s] = Experiment(
                space, strategy=s, estimator=estimator, dataset=dataset, trials=trials,
                seconds=seconds, storage=self.store, device=device, seed=seed,
                strategy_options=strategy_options.get(s), estimator_options=estimator_options,
                name=f"{self.name}-{s}", max_failures=max_failures,
            )
        self.space = next(iter(self.experiments.values())).space
        self.errors: dict[str, str] = {}
        self._finished: set[str] = set()
        self._status = IDLE
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._observers: list[Callable[[Event], None]] = []

    # -------------------------------------------------------------- events
    def observe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``callback(event)`` on every event of every experiment, and on the race's
        own status changes (``Event("status", self.name, None, {"status": ...})``).
        Callbacks run on the race thread. Returns a function that removes them all."""
        removers = [exp.observe(callback) for exp in self.experiments.values()]
        self._observers.append(callback)

        def remove() -> None:
            for r in removers:
                r()
            if callback in self._observers:
                self._observers.remove(callback)

        return remove

    def _set_status(self, status: str) -> None:
        self._status = status
        for cb in list(self._observers):
            try:
                cb(Event("status", self.name, None, {"status": status}))
            except Exception:  # an observer never stops the race
                log.exception("race observer %r failed", cb)

    @property
    def status(self) -> str:
        """idle, running, stopping or done."""
        return self._status

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # ------------------------------------------------------------ running
    def _open(self, s: str) -> tuple[Any, Loop] | None:
        """Open a run of strategy ``s``'s experiment (None: it could not start)."""
        session = self.experiments[s].session()
        try:
            return session, session.__enter__()
        except Exception as err:  # a broken experiment leaves the others running
            self._fail(s, f"{type(err).__name__}: {err}")
            return None

    def _fail(self, s: str, error: str) -> None:
        self.errors[s] = error
        self._finished.add(s)

    def _turn(self, s: str, session: Any, loop: Loop) -> bool:
        """Step ``s``'s loop once (one trial); False when its run is over (and closed)."""
        try:
            more = loop.step()
        except Exception as err:  # its session ends it "failed"; the others go on
            session.__exit__(type(err), err, err.__traceback__)
            self._fail(s, f"{type(err).__name__}: {err}")
            return False
        if more:
            return True
        failures = loop.consecutive_failures
        session.__exit__(None, None, None)
        exp = self.experiments[s]
        if self.max_failures and failures >= self.max_failures:
            self._fail(s, f"stopped after {self.max_failures} failed trials in a row; "
                          "see the trials' errors")
        elif exp.last_error:
            self._fail(s, exp.last_error)
        elif not self._stop.is_set():
            self._finished.add(s)  # budget spent, strategy done, or nothing more possible
        return False

    def _loop(self) -> None:
        self._set_status(RUNNING)
        open_runs: dict[str, tuple[Any, Loop]] = {}
        try:
            todo = [s for s in self.strategies if s not in self._finished]
            for group in ([todo] if self.interleave else [[s] for s in todo]):
                for s in group:
                    if not self._stop.is_set() and (run := self._open(s)) is not None:
                        open_runs[s] = run
                while open_runs and not self._stop.is_set():
                    for s in list(open_runs):
                        if self._stop.is_set():
                            break
                        if not self._turn(s, *open_runs[s]):
                            del open_runs[s]
        finally:
            for session, _loop in open_runs.values():  # stopped: the runs end here
                with contextlib.suppress(Exception):
                    session.__exit__(None, None, None)
            self._set_status(DONE if not self.unfinished() else IDLE)

    def _prepare(self) -> None:
        if self.running:
            raise RuntimeError(f"race {self.name!r} is already running; stop() it first")
        self._stop.clear()
        self._finished = {s for s in self._finished if s in self.errors}

    def unfinished(self) -> list[str]:
        """The strategies that still have budget (and no error)."""
        return [s for s in self.strategies if s not in self._finished]

    def run(self) -> Race:
        """Run every strategy to its budget, blocking. Returns ``self``."""
        self._prepare()
        self._loop()
        return self

    def start(self) -> Race:
        """Run the race in a background thread and return at once."""
        self._prepare()
        self._thread = threading.Thread(target=self._loop, name=f"nasbench-{self.name}",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self, wait: bool = True, timeout: float | None = 60) -> None:
        """Stop after the running trial (it ends INTERRUPTED and runs again on start())."""
        self._stop.set()
        for exp in self.experiments.values():  # the trial running now ends INTERRUPTED
            exp.stop(wait=False)
        if self.running:
            self._set_status(STOPPING)
            if wait:
                self.wait(timeout)

    def wait(self, timeout: float | None = None) -> Race:
        """Block until the background race ends (or ``timeout`` seconds pass)."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self

    # ------------------------------------------------------------ results
    def best_so_far(self) -> Any:
        """A DataFrame (strategy, trial, number, best): for each strategy, after its
        ``trial``-th finished trial (1-based; FAILED and PRUNED count, as in the budget)
        the best value of its COMPLETE trials so far (NaN before the first)."""
        import pandas as pd

        rows = [{"strategy": s, "trial": i, "number": n, "best": b}
                for s in self.strategies for i, n, b in best_curve(self.experiments[s].trials)]
        return pd.DataFrame(rows, columns=["strategy", "trial", "number", "best"])

    def summary(self) -> Any:
        """A DataFrame with one row per strategy: experiment, finished trials, best value,
        the best trial's number, and the error that ended it (if any); best first."""
        import pandas as pd

        rows = []
        for s in self.strategies:
            exp = self.experiments[s]
            curve = best_curve(exp.trials)
            best = curve[-1][2] if curve else math.nan
            best_trial = exp.best().number if not math.isnan(best) else None
            rows.append({"strategy": s, "experiment": exp.name, "trials": len(curve),
                         "best": best, "best_trial": best_trial,
                         "error": self.errors.get(s)})
        df = pd.DataFrame(rows, columns=["strategy", "experiment", "trials", "best",
                                         "best_trial", "error"])
        return df.sort_values("best", ascending=False, na_position="last", kind="stable") \
                 .reset_index(drop=True)

    def __repr__(self) -> str:
        return f"Race({self.name!r}, strategies={self.strategies}, status={self.status!r})"


def best_curve(trials: Sequence[Any]) -> list[tuple[int, int, float]]:
    """``(i, number, best)`` after each finished trial, in number order (best: NaN
    until a COMPLETE trial has a value).

    Example:
        >>> from nasbench_ui.storage import Trial
        >>> best_curve([Trial(0, TrialState.COMPLETE, {}, 0.5),
        ...             Trial(1, TrialState.FAILED, {}, None),
        ...             Trial(2, TrialState.COMPLETE, {}, 0.7)])
        [(1, 0, 0.5), (2, 1, 0.5), (3, 2, 0.7)]
    """
    out: list[tuple[int, int, float]] = []
    best = math.nan
    for t in sorted(trials, key=lambda t: t.number):
        if not t.state.counted:
            continue
        if t.state is TrialState.COMPLETE and t.value is not None and not math.isnan(t.value) \
                and (math.isnan(best) or t.value > best):
            best = float(t.value)
        out.append((len(out) + 1, t.number, best))
    return out
