"""Trials and their states: the records every part of nasbench_ui exchanges.

Example:
    >>> t = Trial(number=0, state=TrialState.COMPLETE, arch={"op": "skip"}, value=0.9)
    >>> t.state.name, t.finished
    ('COMPLETE', True)
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Any


class TrialState(enum.Enum):
    """The life of a trial: RUNNING, then one of the four final states."""

    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    PRUNED = "PRUNED"
    FAILED = "FAILED"
    INTERRUPTED = "INTERRUPTED"

    @property
    def finished(self) -> bool:
        return self is not TrialState.RUNNING

    @property
    def counted(self) -> bool:
        """Whether a trial in this state counts toward a ``trials`` budget: COMPLETE,
        PRUNED or FAILED (an INTERRUPTED trial is run again)."""
        return self in DONE_STATES


#: The states a trial ends in that count toward a ``trials`` budget (the one definition).
DONE_STATES = frozenset({TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAILED})


@dataclass(frozen=True)
class Trial:
    """One evaluated architecture.

    ``number`` is 0-based in creation order within an experiment; ``value`` is the
    objective (higher is better unless the experiment says otherwise); ``curve`` is
    the list of per-epoch dicts reported along the way; ``meta`` carries extra facts
    such as the parent trial and mutation of an evolved architecture.
    """

    number: int
    state: TrialState
    arch: dict[str, Any]
    value: float | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    curve: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    worker: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.state.finished

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at

    def with_(self, **changes: Any) -> Trial:
        """A copy with some fields changed (trials are frozen)."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (state by name)."""
        return {
            "number": self.number,
            "state": self.state.name,
            "arch": self.arch,
            "value": self.value,
            "metrics": self.metrics,
            "curve": self.curve,
            "error": self.error,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "worker": self.worker,
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Trial:
        return cls(
            number=int(d["number"]),
            state=TrialState[d["state"]],
            arch=dict(d.get("arch") or {}),
            value=d.get("value"),
            metrics=dict(d.get("metrics") or {}),
            curve=list(d.get("curve") or []),
            error=d.get("error"),
            started_at=d.get("started_at"),
            finished_at=d.get("finished_at"),
            worker=d.get("worker"),
            meta=dict(d.get("meta") or {}),
        )
