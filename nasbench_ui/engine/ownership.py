"""``Ownership``: one process runs an experiment at a time (a lease in its store).

The experiment takes the lease before a search (:meth:`Ownership.take`), keeps it
alive from a heartbeat thread, and releases it at the end; a steering change made
while nobody runs it opens the store for writing only when no other live process
holds the lease (:meth:`Ownership.ensure_writable`). A lost lease calls ``on_lost``
on the heartbeat's thread (the experiment stops its loop through the loop's
:class:`~.events.Control` flags).

Example:
    >>> from nasbench_ui.storage import MemoryStore
    >>> store = MemoryStore(); name = store.create_experiment("e", {})
    >>> own = Ownership(store, name)
    >>> own.owner() is None, own.held
    (True, False)
    >>> own.take(on_lost=print); own.held, own.owner()["pid"] > 0
    (True, True)
    >>> own.release(); own.held
    False
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ..storage.lease import DEFAULT_TTL, Lease, live_holder

log = logging.getLogger(__name__)


class Ownership:
    """The lease of experiment ``name`` in ``store`` (``ttl`` seconds without a
    heartbeat and it expires)."""

    def __init__(self, store: Any, name: str, ttl: float = DEFAULT_TTL) -> None:
        self.store, self.name, self.ttl = store, name, ttl
        self._lease: Lease | None = None

    @property
    def held(self) -> bool:
        """True while this object holds the lease."""
        return self._lease is not None and self._lease.held

    def owner(self) -> dict[str, Any] | None:
        """The lease record of the live process that runs the experiment, or None."""
        return live_holder(self.store, self.name, ttl=self.ttl)

    def ensure_writable(self) -> None:
        """Open the store for writing, unless another live process runs the experiment
        (then :class:`~nasbench_ui.storage.LeaseHeld` names it)."""
        if self.held:
            return
        if self.owner() is not None:
            Lease(self.store, self.name, ttl=self.ttl).acquire()  # raises LeaseHeld
        self.store.open_for_writing()

    def take(self, on_lost: Callable[[str], None]) -> None:
        """Become the experiment's one owner (or raise ``LeaseHeld``), then end the trials
        a dead owner left RUNNING, and start the heartbeat."""
        if self.held:
            return
        if self.owner() is not None:  # refuse before anything is written
            Lease(self.store, self.name, ttl=self.ttl).acquire()
        self.store.open_for_writing()
        lease = Lease(self.store, self.name, ttl=self.ttl)
        lease.acquire()
        self._lease = lease
        self.store.interrupt_running(self.name)
        lease.start_heartbeat(on_lost=on_lost)

    def release(self) -> None:
        """Give the lease back (a locked store: it expires by itself)."""
        lease, self._lease = self._lease, None
        if lease is not None:
            try:
                lease.release()
            except Exception:  # noqa: BLE001 - a locked store: the lease expires by itself
                log.warning("could not release the lease of %r; it expires in %.0f s",
                            self.name, self.ttl)
