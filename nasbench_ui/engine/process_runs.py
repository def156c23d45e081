"""``ProcessRuns``: an experiment's searches in their own process (``start(process=True)``).

The experiment holds one and hands it the calls that differ when the search runs in
another process (:mod:`.child_run` is the protocol, :mod:`.child` the process):
:meth:`~ProcessRuns.start` checks that it can, takes nothing itself (the process takes
the lease) and starts the process with what this one trusts; :meth:`~ProcessRuns.steer`
sends a steering call there and reads the config back from the store; the process's end
sets ``last_error`` (and the error ``wait()`` raises), reads counters, config and
strategy back (``Runs.reload``) and sets the final status.

Example (what refuses a process, before anything starts):
    >>> import nasbench_ui as nb
    >>> exp = nb.Experiment("nb201", estimator="zero_cost", trials=1)
    >>> exp.process_problems()
    ["a file store (storage='runs/x.db'), which the process reopens"]
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, Protocol

from ..config import ExperimentConfig
from ..storage import SQLiteStore
from ..trust import trusted, untrusted
from .building import stored_config
from .by_value import Packed, pack, pack_registered
from .child_run import ChildRun, SearchProcessError, process_problems
from .lifecycle import DONE, FAILED, Lifecycle
from .ownership import Ownership
from .parts import own_modules

__all__ = ["ProcessRuns"]

log = logging.getLogger(__name__)


class ProcessOwner(Protocol):
    """What :class:`ProcessRuns` reads and sets of its experiment."""

    name: str
    store: Any
    config: ExperimentConfig
    callbacks: Any
    executor: Any
    pace: float | None


class ProcessRuns:
    """See the module docstring. ``emit`` receives the process's events, ``reload``
    reads the strategy and counters back when it ends."""

    def __init__(self, owner: ProcessOwner, life: Lifecycle, ownership: Ownership,
                 emit: Any, reload: Any) -> None:
        self.owner, self.life, self.ownership = owner, life, ownership
        self.emit, self.reload = emit, reload
        self.child: ChildRun | None = None

    def problems(self) -> list[str]:
        """Why the search cannot run in its own process ([] when it can)."""
        return self._check()[1]

    def _check(self) -> tuple[Packed, list[str]]:
        """The parts sent by value (:mod:`.by_value`) and what refuses a process."""
        exp = self.owner
        packed = pack(exp.config.imports or {})
        return packed, process_problems(
            file_store=isinstance(exp.store, SQLiteStore), unsent=packed.problems,
            callbacks=bool(exp.callbacks), executor=exp.executor is not None)

    def start(self) -> None:
        """Start the search in its own process (ValueError: what refuses it; LeaseHeld:
        another live process runs it); returns at once."""
        packed, problems = self._check()
        if problems:
            raise ValueError("a search in its own process needs " + "; ".join(problems))
        exp, life = self.owner, self.life
        life.begin()
        self.ownership.ensure_writable()  # LeaseHeld when another live process runs it
        run = ChildRun(exp.name, emit=self.emit, on_status=life.reported,
                       on_end=self._ended)
        self.child, life.remote = run, run.request
        # the process trusts what this one trusts, and the modules of the parts that
        # this process registered from the paths the config names (it runs them already);
        # the parts without a path (a notebook cell's) go by value
        run.start({"storage": os.path.abspath(exp.store.path), "name": exp.name,
                   "trust": [*trusted(), *own_modules(exp.config.imports or {})],
                   "parts": packed.parts,
                   "sys_path": [p for p in sys.path if p], "pace": exp.pace})
        life.enter()
        life.start(run.follow)

    def remote(self) -> ChildRun | None:
        """The search's own process while it runs, else None."""
        run = self.child
        return run if run is not None and self.life.remote is not None \
            and self.life.running else None

    def steer(self, call: str, reread: bool = True, **kwargs: Any) -> bool:
        """Send ``call`` to the search's process, if one runs (False: none does); then
        read the config back as it stored it (``reread``)."""
        run = self.remote()
        if run is None:
            return False
        # from an observer of its events the reply comes later: the config is read then
        run.call(call, after=self.reload_config if reread else None, **kwargs)
        return True

    def switch_strategy(self, strategy: Any, options: dict | None) -> bool:
        """Switch the search's process to the registered ``strategy`` (a notebook cell's
        goes by value with the request); False when no process runs the search."""
        if self.remote() is None:
            return False
        if not isinstance(strategy, str):
            raise ValueError("a search in its own process switches to a strategy by its "
                             f"registered name, not {type(strategy).__name__} objects")
        packed = pack_registered("strategy", strategy)
        if packed.problems:
            raise ValueError("the search's own process cannot switch to it: "
                             + "; ".join(packed.problems))
        return self.steer("switch_strategy", strategy=strategy, options=options,
                          parts=packed.parts)

    def reload_config(self) -> None:
        """The config as the search's process stored it (its steering)."""
        exp = self.owner
        with untrusted(f"the stored experiment {exp.name!r}"):
            exp.config = stored_config(exp.store.load_experiment(exp.name)["config"])

    def _ended(self, end: dict[str, Any]) -> None:
        """The process ended: its error, then what it stored, then its final status."""
        failed = end.get("status") == FAILED
        self.life.last_error = end.get("last_error")
        if failed:
            self.life.error = SearchProcessError(end.get("last_error") or "it failed")
        try:
            self.reload_config()
            self.reload()
        except Exception:  # noqa: BLE001 - the status below must still come
            log.warning("could not read back the search of %r", self.owner.name,
                        exc_info=True)
        self.life.remote = None
        self.life.end(FAILED if failed else DONE)
