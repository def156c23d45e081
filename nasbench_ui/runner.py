"""``nasbench_ui.runner``: the old home of the search loop, kept as re-exports.

The loop is :class:`nasbench_ui.engine.loop.Loop` (one ``step()`` for every executor);
one run's bookkeeping is :class:`~nasbench_ui.engine.ledger.RunLedger` (``Search`` here);
the reruns and retries a run owes are
:func:`~nasbench_ui.engine.jobs.unfinished_jobs` (``owed_jobs`` here, with the old
signature). :func:`run_loop` runs an experiment-like object's search on this thread.

Example:
    >>> import nasbench_ui as nb
    >>> exp = nb.Experiment("keras_cnn", strategy="random", estimator="early_stop",
    ...                     estimator_options={"epochs": 1, "subset": 0.2}, trials=1)
    >>> exp.run().results()["state"].tolist()
    ['COMPLETE']
    >>> Search is RunLedger
    True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .engine.events import Control, Event, error_text, pace_wait, timeout_text
from .engine.jobs import LINEAGE_KEYS, Job, Outcome, estimate_outcome, judge, unfinished_jobs
from .engine.ledger import Budget, RunLedger
from .engine.loop import Loop, LoopCallbacks, LoopParts

Search = RunLedger  # the old name of one run's bookkeeping

__all__ = ["LINEAGE_KEYS", "Control", "Event", "Job", "Loop", "Outcome", "RunLedger", "Search",
           "error_text", "estimate_outcome", "judge", "owed_jobs", "pace_wait", "run_loop",
           "timeout_text", "unfinished_jobs"]


def owed_jobs(exp: Any) -> list[Job]:
    """The reruns and retries ``exp`` (``store``, ``name``, ``space``, ``retries``) still
    owes: :func:`~nasbench_ui.engine.jobs.unfinished_jobs` of its stored trials."""
    return unfinished_jobs(exp.store.trials(exp.name), exp.space.key, exp.retries)


def run_loop(exp: Any, control: Control, emit: Callable[[Event], None]) -> None:
    """Run ``exp``'s search on this thread, one trial at a time, until the budget is
    spent, a stop is asked, or the strategy is done. ``exp`` provides the parts of a
    :class:`~nasbench_ui.engine.loop.LoopParts` (``name``, ``store``, ``space``,
    ``strategy``, ``estimator``, ``dataset``, ``config``...); its ``counters`` and
    ``last_error`` are set from the loop's at the end. An
    :class:`~nasbench_ui.Experiment` runs through ``run()`` instead."""
    parts = LoopParts(
        exp.name, exp.store, exp.space, exp.strategy, exp.estimator, dataset=exp.dataset,
        strategy_label=exp.strategy_label, device=exp.device, seed=exp.config.seed,
        budget=Budget(exp.config.trials, exp.config.seconds), retries=exp.retries,
        max_failures=exp.max_failures, trial_timeout=exp.trial_timeout, pace=exp.pace,
        worker_name=exp.worker_name, counters=dict(exp.counters))
    loop = Loop(parts, LoopCallbacks(emit=emit, keep_model=exp.keep_model,
                                     history=exp.finished_trials), control=control)
    try:
        loop.run()
    finally:
        exp.counters, exp.last_error = loop.counters, loop.last_error
