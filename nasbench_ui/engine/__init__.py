"""The search engine: the loop, its executors, steering commands, the experiment and race.

Layers, from the bottom up (each imports only the ones below it):

* :mod:`.events` (``Event``, ``Control``, error texts) and :mod:`.jobs` (``Job``,
  ``Outcome``, the reruns and retries a run still owes, how an estimate ends);
* :mod:`.ledger` (``RunLedger``: one run's budget, counters, asks and recording) and
  :mod:`.commands` (steering as commands put in the loop's queue);
* :mod:`.executors` (where trials run: ``ThreadExecutor``, ``DaskTrials``);
* :mod:`.loop` (``Loop.step()``: commands, asks, submits, polls, records, tells);
* :mod:`.steering`, :mod:`.experiment` (the ``Experiment`` façade) and :mod:`.race`.

This package imports nothing of its own at import time, so that any of its modules can
be imported alone.

Example:
    >>> from nasbench_ui.engine.loop import Loop
    >>> Loop.step.__doc__.split(":")[0]
    'One round of the search'
"""
