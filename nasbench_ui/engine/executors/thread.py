"""``ThreadExecutor``: one trial at a time, on the loop's own thread (the default).

:meth:`~ThreadExecutor.submit` only takes the work; :meth:`~ThreadExecutor.poll` runs
the estimator there and then, so a search without workers runs in the thread that
steps its loop (the kernel's for ``run()``, a background thread for ``start()``).
Curve points go live to the loop (:attr:`LoopHooks.on_point`); after each point a
pause holds the trial (the pause does not count against ``trial_timeout``), and the
estimator sees ``ctx.should_stop()`` turn True on a stop or past the deadline (one
that never checks it cannot be timed out here).

Example:
    >>> from nasbench_ui.estimators import Estimate
    >>> class Half:
    ...     def estimate(self, arch, ctx):
    ...         ctx.report({"epoch": 1})
    ...         return Estimate(0.5)
    >>> points = []
    >>> ex = ThreadExecutor(Half(), space=None, dataset=None)
    >>> ex.bind(LoopHooks(on_point=lambda n, p: points.append((n, p))))
    >>> ex.submit(Work(7, Job({"op": "a"}), 0.0)); ex.free_slots()
    0
    >>> [(f.number, f.outcome.value) for f in ex.poll(0.1)], points
    ([(7, 0.5)], [(7, {'epoch': 1})])
"""

from __future__ import annotations

import time
from typing import Any

from ...estimators.base import EstimateContext
from ..jobs import Job, Outcome, estimate_outcome
from .base import Executor, Finished, LoopHooks, Work

__all__ = ["Job", "LoopHooks", "Outcome", "ThreadExecutor", "Work"]


class ThreadExecutor(Executor):
    """Run ``estimator`` on the calling thread, one work at a time (module docstring)."""

    def __init__(self, estimator: Any, space: Any, dataset: Any, device: str = "cpu",
                 seed: int = 0, trial_timeout: float | None = None,
                 callbacks: tuple[Any, ...] = ()) -> None:
        self.estimator, self.space, self.dataset = estimator, space, dataset
        self.callbacks = tuple(callbacks)
        self.device, self.seed, self.trial_timeout = device, seed, trial_timeout
        self._work: Work | None = None

    def free_slots(self) -> int:
        return 0 if self._work is not None else 1

    def submit(self, work: Work) -> None:
        if self._work is not None:
            raise RuntimeError("ThreadExecutor runs one trial at a time; poll() it first")
        self._work = work

    def poll(self, timeout: float) -> list[Finished]:
        work, self._work = self._work, None
        if work is None:
            return []
        return [Finished(work.number, self._estimate(work))]

    def close(self) -> None:
        self._work = None

    def _estimate(self, work: Work) -> Outcome:
        """Run the estimator here, with the stop flag and the per-trial deadline."""
        hooks = self.hooks or LoopHooks()
        control, number, timeout = hooks.control, work.number, self.trial_timeout
        deadline = [time.monotonic() + timeout] if timeout else None

        def timed_out() -> bool:
            return deadline is not None and time.monotonic() > deadline[0]

        def report(point: dict[str, Any]) -> None:
            hooks.on_point(number, point)
            paused_at = time.monotonic()
            control.wait_if_paused()
            if deadline is not None:  # a pause does not count against the timeout
                deadline[0] += time.monotonic() - paused_at

        ctx = EstimateContext(
            space=self.space, dataset=self.dataset, device=self.device, seed=self.seed,
            number=number, report_fn=report,
            stop_fn=lambda: control.stop.is_set() or timed_out(),
            history_fn=hooks.history, budget_left_fn=hooks.budget_left,
            meta=dict(work.job.meta), callbacks=self.callbacks,
        )
        return estimate_outcome(self.estimator, work.job.arch, ctx, control.stop.is_set,
                                timed_out, timeout)
