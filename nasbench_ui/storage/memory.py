"""An in-memory trial store: fast, for tests and throw-away searches.

It follows the same rules as :class:`~nasbench_ui.storage.sqlite.SQLiteStore`
(values are kept as JSON text, so what you read back is exactly what the SQLite
store would give), guarded by one lock. Nothing survives the process.

Example:
    >>> store = MemoryStore()
    >>> name = store.create_experiment(None, {"trials": 3})
    >>> name, store.create_trial(name, {"op": "skip"}), store.create_trial(name, {"op": "conv"})
    ('exp-1', 0, 1)
    >>> version, changed = store.changes(name)
    >>> [t.number for t in changed], store.changes(name, since=version)[1]
    ([0, 1], [])
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from nasbench_ui.storage import base
from nasbench_ui.storage.base import StoreError
from nasbench_ui.storage.trial import Trial, TrialState


@dataclass
class _TrialRow:
    number: int
    state: TrialState
    arch: str
    started_at: float
    worker: str | None
    meta: str
    version: int
    value: float | None = None
    metrics: str = "{}"
    curve: list[str] = field(default_factory=list)
    error: str | None = None
    finished_at: float | None = None

    def to_trial(self) -> Trial:
        return Trial(
            number=self.number,
            state=self.state,
            arch=base.decode(self.arch),
            value=self.value,
            metrics=base.decode(self.metrics),
            curve=[base.decode(p) for p in self.curve],
            error=self.error,
            started_at=self.started_at,
            finished_at=self.finished_at,
            worker=self.worker,
            meta=base.decode(self.meta),
        )


@dataclass
class _Experiment:
    name: str
    config: str
    created_at: float
    strategy_state: str = "{}"
    counters: str = "{}"
    trials: list[_TrialRow] = field(default_factory=list)
    # one entry per write, versions increasing: what changes() bisects
    log_versions: list[int] = field(default_factory=list)
    log_numbers: list[int] = field(default_factory=list)


class MemoryStore:
    """A :class:`~nasbench_ui.storage.base.TrialStore` kept in this process's memory.

    Example:
        >>> with MemoryStore() as store:
        ...     store.create_experiment("a", {"seed": 0})
        ...     store.load_experiment()["config"]
        'a'
        {'seed': 0}
    """

    path = ":memory:"

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._experiments: dict[str, _Experiment] = {}
        self._version = 0
        self._closed = False
        self._leases: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"MemoryStore({len(self._experiments)} experiments)"

    def __enter__(self) -> MemoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._closed = True

    # ------------------------------------------------------------ helpers

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"the store {self.path} is closed; open a new one")

    def _exp(self, name: Any) -> _Experiment:
        self._check_open()
        exp = self._experiments.get(base.check_name(name))
        if exp is None:
            raise ValueError(
                f"no experiment {name!r} in {self.path}; it holds: "
                f"{base.describe_names(list(self._experiments))}"
            )
        return exp

    def _row(self, exp: _Experiment, number: Any) -> _TrialRow:
        n = base.check_number(number)
        if not 0 <= n < len(exp.trials):
            have = f"0..{len(exp.trials) - 1}" if exp.trials else "none yet"
            raise ValueError(f"experiment {exp.name!r} has no trial {n} (its trials: {have})")
        return exp.trials[n]

    def _bump(self, exp: _Experiment, row: _TrialRow) -> None:
        self._version += 1
        row.version = self._version
        exp.log_versions.append(self._version)
        exp.log_numbers.append(row.number)

    # ------------------------------------------------------------ experiments

    def create_experiment(self, name: str | None, config: dict) -> str:
        """See :meth:`TrialStore.create_experiment`."""
        text = base.encode(config, "config")
        with self._lock:
            self._check_open()
            if name is None:
                i = len(self._experiments) + 1
                while f"exp-{i}" in self._experiments:
                    i += 1
                name = f"exp-{i}"
            base.check_name(name)
            if name in self._experiments:
                raise ValueError(
                    f"experiment {name!r} already exists in {self.path}; "
                    "pick another name or use Experiment.load"
                )
            self._experiments[name] = _Experiment(name, text, time.time())
            return name

    def experiment_names(self) -> list[str]:
        with self._lock:
            self._check_open()
            return list(self._experiments)

    def experiments(self) -> list[dict]:
        with self._lock:
            self._check_open()
            out = []
            for exp in self._experiments.values():
                states = base.empty_state_counts()
                for row in exp.trials:
                    states[row.state.name] += 1
                out.append(
                    {
                        "name": exp.name,
                        "created_at": exp.created_at,
                        "n_trials": len(exp.trials),
                        "states": states,
                    }
                )
            return out

    def load_experiment(self, name: str | None = None) -> dict:
        with self._lock:
            self._check_open()
            if name is None:
                if not self._experiments:
                    raise ValueError(f"{self.path} holds no experiments yet; create one first")
                name = list(self._experiments)[-1]
            exp = self._exp(name)
            return {
                "name": exp.name,
                "config": base.decode(exp.config),
                "strategy_state": base.decode(exp.strategy_state),
                "counters": base.decode(exp.counters),
                "created_at": exp.created_at,
            }

    def save_strategy_state(self, name: str, state: dict) -> None:
        text = base.encode(state, "strategy_state")
        with self._lock:
            self._exp(name).strategy_state = text

    def save_counters(self, name: str, counters: dict) -> None:
        text = base.encode(counters, "counters")
        with self._lock:
            self._exp(name).counters = text

    def update_config(self, name: str, config: dict) -> None:
        text = base.encode(config, "config")
        with self._lock:
            self._exp(name).config = text

    # ------------------------------------------------------------ trials

    def create_trial(
        self,
        name: str,
        arch: dict,
        *,
        started_at: float | None = None,
        worker: str | None = None,
        meta: dict | None = None,
        strategy_state: dict | None = None,
    ) -> int:
        arch_text = base.encode(arch, "arch")
        meta_text = base.encode({} if meta is None else meta, "meta")
        state_text = (
            None if strategy_state is None else base.encode(strategy_state, "strategy_state")
        )
        started = base.clean_time(started_at, "started_at", time.time())
        worker = base.clean_str(worker, "worker")
        with self._lock:
            exp = self._exp(name)
            if state_text is not None:
                exp.strategy_state = state_text
            row = _TrialRow(
                number=len(exp.trials),
                state=TrialState.RUNNING,
                arch=arch_text,
                started_at=started,
                worker=worker,
                meta=meta_text,
                version=0,
            )
            exp.trials.append(row)
            self._bump(exp, row)
            return row.number

    def append_curve(self, name: str, number: int, point: dict) -> None:
        text = base.encode(point, "curve point", nan_to_null=True)
        with self._lock:
            exp = self._exp(name)
            row = self._row(exp, number)
            if row.state is not TrialState.RUNNING:
                raise ValueError(
                    f"trial {row.number} of experiment {exp.name!r} is already "
                    f"{row.state.name}; curve points go to RUNNING trials only"
                )
            row.curve.append(text)
            self._bump(exp, row)

    def set_worker(self, name: str, number: int, worker: str | None) -> None:
        worker = base.clean_str(worker, "worker")
        with self._lock:
            exp = self._exp(name)
            row = self._row(exp, number)
            row.worker = worker
            self._bump(exp, row)

    def finish_trial(
        self,
        name: str,
        number: int,
        state: TrialState,
        *,
        value: float | None = None,
        metrics: dict | None = None,
        error: str | None = None,
        finished_at: float | None = None,
        strategy_state: dict | None = None,
        counters: dict | None = None,
    ) -> None:
        final = base.final_state(state)
        clean = base.clean_value(value)
        metrics_text = base.encode({} if metrics is None else metrics, "metrics", nan_to_null=True)
        error = base.clean_str(error, "error")
        finished = base.clean_time(finished_at, "finished_at", time.time())
        state_text = (
            None if strategy_state is None else base.encode(strategy_state, "strategy_state")
        )
        counters_text = None if counters is None else base.encode(counters, "counters")
        with self._lock:
            exp = self._exp(name)
            row = self._row(exp, number)
            if row.state is not TrialState.RUNNING:
                raise ValueError(
                    f"trial {row.number} of experiment {exp.name!r} is already "
                    f"{row.state.name}; only a RUNNING trial can be finished"
                )
            row.state, row.value, row.metrics = final, clean, metrics_text
            row.error, row.finished_at = error, finished
            self._bump(exp, row)
            if state_text is not None:
                exp.strategy_state = state_text
            if counters_text is not None:
                exp.counters = counters_text

    def trial(self, name: str, number: int) -> Trial:
        with self._lock:
            exp = self._exp(name)
            return self._row(exp, number).to_trial()

    def trials(self, name: str, states: Iterable[TrialState] | None = None) -> list[Trial]:
        wanted = base.as_states(states)
        with self._lock:
            exp = self._exp(name)
            rows = [r for r in exp.trials if wanted is None or r.state in wanted]
            return [r.to_trial() for r in rows]

    def changes(self, name: str, since: int = 0) -> tuple[int, list[Trial]]:
        since = base.check_since(since)
        with self._lock:
            exp = self._exp(name)
            latest = exp.log_versions[-1] if exp.log_versions else 0
            if latest <= since:
                return latest, []
            start = bisect.bisect_right(exp.log_versions, since)
            numbers = sorted(set(exp.log_numbers[start:]))
            return latest, [exp.trials[n].to_trial() for n in numbers]

    def interrupt_running(self, name: str) -> list[int]:
        with self._lock:
            exp = self._exp(name)
            now = time.time()
            done = []
            for row in exp.trials:
                if row.state is TrialState.RUNNING:
                    row.state, row.error, row.finished_at = (
                        TrialState.INTERRUPTED,
                        base.INTERRUPTED_ERROR,
                        now,
                    )
                    self._bump(exp, row)
                    done.append(row.number)
            return done

    def delete_experiment(self, name: str) -> None:
        """See :meth:`TrialStore.delete_experiment`."""
        with self._lock:
            self._exp(name)
            del self._experiments[name]
            self._leases.pop(name, None)

    # ------------------------------------------------------------ leases

    def open_for_writing(self) -> None:
        """A memory store is always writable."""

    def lease(self, name: str) -> dict | None:
        """See :mod:`nasbench_ui.storage.lease`."""
        with self._lock:
            self._exp(name)
            text = self._leases.get(name)
            return None if text is None else base.decode(text)

    def swap_lease(self, name: str, expected: str | None, new: dict | None) -> tuple[bool, dict | None]:
        """See :mod:`nasbench_ui.storage.lease`."""
        text = None if new is None else base.encode(new, "lease")
        with self._lock:
            self._exp(name)
            current = self._leases.get(name)
            cur = None if current is None else base.decode(current)
            if (cur or {}).get("owner") != expected:
                return False, cur
            if text is None:
                self._leases.pop(name, None)
            else:
                self._leases[name] = text
            return True, new
