"""Jobs (what to evaluate), outcomes (how an evaluation ended), and the work a run owes.

* A :class:`Job` is an architecture to evaluate: asked from the strategy, or a
  *retry* of a FAILED trial (``meta["retry_of"]``, up to ``retries`` times), or a
  *rerun* of an INTERRUPTED one (``meta["rerun_of"]``).
* :func:`unfinished_jobs` lists the retries and reruns that earlier runs of a search
  still owe; a new run does them before it asks the strategy.
* :func:`estimate_outcome` runs an estimator and turns every way it can end into an
  :class:`Outcome` (on the loop's thread and on Dask workers alike).

Example:
    >>> from nasbench_ui.storage import Trial, TrialState
    >>> trials = [Trial(0, TrialState.INTERRUPTED, {"op": "a"}, None)]
    >>> [(j.kind, j.meta) for j in unfinished_jobs(trials, lambda a: a["op"], retries=0)]
    [('rerun', {'rerun_of': 0, 'attempt': 0})]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..estimators.base import BudgetExhausted, EstimateContext, Interrupted, Pruned
from ..storage import Trial, TrialState
from .events import error_text, timeout_text

LINEAGE_KEYS = ("retry_of", "rerun_of", "attempt")


@dataclass(frozen=True)
class Job:
    """An architecture to evaluate. ``kind``: ask (from the strategy), retry or rerun.

    Example:
        >>> Job({"op": "a"}).kind
        'ask'
    """

    arch: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)
    kind: str = "ask"
    attempt: int = 0  # how many earlier attempts of this evaluation FAILED


@dataclass
class Outcome:
    """How a trial ended, before it is recorded (``model`` stays in memory only).

    Example:
        >>> Outcome(TrialState.COMPLETE, 0.5).not_made
        False
    """

    state: TrialState
    value: float | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    curve: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    model: Any = None
    not_made: bool = False  # the query was refused by the budget: the search ends


def plain_meta(meta: dict[str, Any]) -> dict[str, Any]:
    """``meta`` without the lineage keys (``retry_of``, ``rerun_of``, ``attempt``).

    Example:
        >>> plain_meta({"parent": 1, "retry_of": 0, "attempt": 1})
        {'parent': 1}
    """
    return {k: v for k, v in meta.items() if k not in LINEAGE_KEYS}


def unfinished_jobs(trials: Sequence[Trial], key: Callable[[dict[str, Any]], Any],
                    retries: int) -> list[Job]:
    """Reruns of INTERRUPTED trials and retries of FAILED ones that a past run still owes.

    ``key`` names an architecture (``space.key``). An INTERRUPTED trial is owed a rerun
    unless a later trial has its architecture; a FAILED trial with attempts left under
    ``retries`` is owed a retry unless one exists. Budget refusals (``error`` "not
    made: ...") are owed nothing.

    Example:
        >>> failed = Trial(0, TrialState.FAILED, {"op": "a"}, None)
        >>> [j.meta for j in unfinished_jobs([failed], lambda a: a["op"], retries=1)]
        [{'retry_of': 0, 'attempt': 1}]
    """
    retried = {t.meta.get("retry_of") for t in trials}
    keys = [key(t.arch) for t in trials]
    last = {k: i for i, k in enumerate(keys)}
    jobs: list[Job] = []
    for i, t in enumerate(trials):
        if last[keys[i]] > i:  # a later trial ran this architecture again
            continue
        attempt = int(t.meta.get("attempt", 0))
        if t.state is TrialState.INTERRUPTED and not (t.error or "").startswith("not made"):
            meta = {**plain_meta(t.meta), "rerun_of": t.number, "attempt": attempt}
            jobs.append(Job(dict(t.arch), meta, "rerun", attempt))
        elif (t.state is TrialState.FAILED and attempt < retries
              and t.number not in retried):
            meta = {**plain_meta(t.meta), "retry_of": t.number, "attempt": attempt + 1}
            jobs.append(Job(dict(t.arch), meta, "retry", attempt + 1))
    return jobs


def judge(value: Any) -> tuple[TrialState, str | None]:
    """COMPLETE, or FAILED when the estimator returned no finite value.

    Example:
        >>> judge(0.5), judge(float("nan"))[0].name
        ((<TrialState.COMPLETE: 'COMPLETE'>, None), 'FAILED')
    """
    if value is None or not math.isfinite(float(value)):
        return TrialState.FAILED, f"the estimator returned a non-finite value ({value})"
    return TrialState.COMPLETE, None


def estimate_outcome(estimator: Any, arch: dict[str, Any], ctx: EstimateContext,
                     stopped: Callable[[], bool], timed_out: Callable[[], bool],
                     timeout: float | None) -> Outcome:
    """Run ``estimator.estimate`` and turn every way it can end into an :class:`Outcome`.

    Used on the loop's thread and on Dask workers alike. An :class:`Interrupted` raised
    after the deadline (and without a stop request) is a timeout: FAILED. A
    :class:`BudgetExhausted` is a query not made: INTERRUPTED, and the search ends.

    Example:
        >>> class Boom:
        ...     def estimate(self, arch, ctx):
        ...         raise RuntimeError("boom")
        >>> out = estimate_outcome(Boom(), {}, EstimateContext(None, None),
        ...                        lambda: False, lambda: False, None)
        >>> out.state.name, out.error.splitlines()[0]
        ('FAILED', 'RuntimeError: boom')
    """
    try:
        est = estimator.estimate(arch, ctx)
        state, error = judge(est.value)
        return Outcome(state, est.value, dict(est.metrics), ctx.curve, error, est.model)
    except Pruned as p:
        return Outcome(TrialState.PRUNED, p.value, dict(p.metrics), ctx.curve, str(p))
    except Interrupted as i:
        if timed_out() and not stopped():
            return Outcome(TrialState.FAILED, curve=ctx.curve, error=timeout_text(timeout or 0))
        return Outcome(TrialState.INTERRUPTED, curve=ctx.curve, error=str(i))
    except BudgetExhausted as err:
        return Outcome(TrialState.INTERRUPTED, error=f"not made: {err}", not_made=True)
    except Exception as err:
        return Outcome(TrialState.FAILED, curve=ctx.curve, error=error_text(err))
