"""Where trials run: the :class:`~.base.Executor` contract and its implementations.

* :mod:`.base`: the contract (``submit``, ``poll``, ``close``; ``cancel``,
  ``free_slots`` and ``bind`` have default bodies) and the records that cross it.
* :mod:`.thread`: :class:`~.thread.ThreadExecutor`, one trial at a time on the loop's
  own thread (the default).
* :mod:`.dask`: :class:`~.dask.DaskExecutor` (the client holder users pass as
  ``executor=``) and :class:`~.dask_trials.DaskTrials`, one trial per Dask worker.

Example:
    >>> from nasbench_ui.engine.executors.base import Executor
    >>> Executor.REQUIRED
    ('submit', 'poll', 'close')
"""
