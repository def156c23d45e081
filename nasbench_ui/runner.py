"""The search loop: ask, estimate, tell, store — one trial at a time, on one thread.

The loop is the only writer of an experiment's trials in the kernel's process. It
honours pause (between epochs and between trials), stop (the running trial ends
INTERRUPTED), the budget (trials and/or seconds) and the fault policy (an exception in a
trial marks it FAILED and the search goes on; ``max_failures`` consecutive failures stop
the search with a clear message).

Example:
    >>> import nasbench_ui as nb
    >>> exp = nb.Experiment("keras_cnn", strategy="random", estimator="early_stop",
    ...                     estimator_options={"epochs": 1, "subset": 0.2}, trials=1)
    >>> exp.run().results()["state"].tolist()
    ['COMPLETE']
"""

from __future__ import annotations

import math
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .estimators.base import EstimateContext, Interrupted, Pruned
from .storage import Trial, TrialState

if TYPE_CHECKING:
    from .experiment import Experiment


@dataclass(frozen=True)
class Event:
    """What observers receive: ``kind`` is trial_start, curve, trial_finish or status."""

    kind: str
    experiment: str
    number: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


class BudgetExhausted(Exception):
    """The next query would overrun the budget; the search ends without making it."""


def _is_oom(err: BaseException) -> bool:
    return "out of memory" in str(err).lower() or type(err).__name__ == "OutOfMemoryError"


def error_text(err: BaseException) -> str:
    """A one-line error and a short traceback summary (the last frames)."""
    head = f"{type(err).__name__}: {err}"
    if _is_oom(err):
        head = f"out of memory: {err}"
    frames = traceback.extract_tb(err.__traceback__)[-4:]
    tb = " | ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} in {f.name}" for f in frames)
    return f"{head}\n  at {tb}" if tb else head


class Control:
    """Pause / stop flags shared by the loop and the caller's thread."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.running = threading.Event()
        self.running.set()  # set = not paused

    def wait_if_paused(self) -> None:
        while not self.running.wait(0.05):
            if self.stop.is_set():
                return


def run_loop(exp: Experiment, control: Control, emit: Callable[[Event], None]) -> None:
    """Run trials until the budget is spent, a stop is asked, or the strategy is done."""
    store, name = exp.store, exp.name
    consecutive_failures = 0
    while not control.stop.is_set():
        control.wait_if_paused()
        if control.stop.is_set() or exp.budget_spent() or getattr(exp.strategy, "finished", False):
            break
        try:
            arch = exp.strategy.ask()
        except Exception as err:  # a strategy that cannot propose ends the search
            exp.last_error = f"the strategy could not propose an architecture: {err}"
            break
        meta = dict(getattr(exp.strategy, "ask_meta", lambda: {})() or {})
        cost_fn = getattr(exp.estimator, "cost", None)
        if cost_fn is not None and exp.config.seconds is not None:
            cost = cost_fn(arch, exp.space)
            if cost is not None and exp.spent_s() + cost > exp.config.seconds + 1e-9:
                break  # the query would overrun the budget: it is not made
        started = time.time()
        number = store.create_trial(name, arch, started_at=started, worker=exp.worker_name, meta=meta)
        emit(Event("trial_start", name, number, {"arch": arch}))

        def report(point: dict[str, Any], _n: int = number) -> None:
            store.append_curve(name, _n, point)
            emit(Event("curve", name, _n, {"point": point}))
            control.wait_if_paused()

        ctx = EstimateContext(
            space=exp.space, dataset=exp.dataset, device=exp.device, seed=exp.config.seed,
            number=number, report_fn=report, stop_fn=control.stop.is_set,
            history_fn=exp.finished_trials, budget_left_fn=exp.budget_left_s,
        )
        state, value, metrics, error, model = TrialState.COMPLETE, None, {}, None, None
        try:
            est = exp.estimator.estimate(arch, ctx)
            value, metrics, model = est.value, dict(est.metrics), est.model
            if value is None or not math.isfinite(float(value)):
                state, error = TrialState.FAILED, f"the estimator returned a non-finite value ({value})"
        except Pruned as p:
            state, value, metrics, error = TrialState.PRUNED, p.value, dict(p.metrics), str(p)
        except Interrupted as i:
            state, error = TrialState.INTERRUPTED, str(i)
        except KeyboardInterrupt:
            store.finish_trial(name, number, TrialState.INTERRUPTED,
                               error="interrupted: KeyboardInterrupt in the kernel")
            emit(Event("trial_finish", name, number, {"state": "INTERRUPTED"}))
            raise
        except Exception as err:
            if type(err).__name__ == "BudgetExhausted":
                store.finish_trial(name, number, TrialState.INTERRUPTED, error=f"not made: {err}")
                emit(Event("trial_finish", name, number, {"state": "INTERRUPTED"}))
                break
            state, error = TrialState.FAILED, error_text(err)
        finished = time.time()
        metrics.setdefault("duration_s", round(finished - started, 4))
        if state is TrialState.INTERRUPTED:
            # the strategy never hears of it: its stored state (saved before this ask)
            # proposes the same architecture again when the search resumes
            store.finish_trial(name, number, state, error=error, finished_at=finished)
            emit(Event("trial_finish", name, number, {"state": state.name}))
            break
        trial = Trial(number, state, arch, value, metrics, ctx.curve, error, started, finished,
                      exp.worker_name, meta)
        exp.strategy.tell(arch, value if state is not TrialState.FAILED else None, trial)
        spent = exp.spent_s() + float(metrics.get("cost_s", metrics["duration_s"]))
        store.finish_trial(
            name, number, state, value=value, metrics=metrics, error=error, finished_at=finished,
            strategy_state=exp.strategy.state_dict(), counters={"spent_s": spent},
        )
        exp.counters["spent_s"] = spent
        if model is not None and state is TrialState.COMPLETE:
            exp.keep_model(number, value, model)
        del model
        emit(Event("trial_finish", name, number, {"state": state.name, "value": value}))
        consecutive_failures = consecutive_failures + 1 if state is TrialState.FAILED else 0
        if exp.max_failures and consecutive_failures >= exp.max_failures:
            exp.last_error = (
                f"stopped after {consecutive_failures} consecutive failed trials; the last "
                f"error was: {error.splitlines()[0] if error else '?'}. Fix the cause and resume"
            )
            break
