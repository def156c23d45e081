"""The trial-store contract, its error type, and the JSON rules both stores share.

A *store* holds named experiments (config, strategy state, counters such as spent
budget) and their trials. It is the one object shared by the search thread (or Dask
workers) and the UI, so every method is safe to call from several threads.

Values are stored as JSON text and numbers only, never pickle. The JSON rules:

* dict keys must be strings; tuples come back as lists; numpy scalars become
  plain ``int`` / ``float``;
* in a trial's ``value``, ``metrics`` and curve points, NaN and +-inf are stored
  as ``null`` (JSON cannot hold them): a diverged loss reads back as ``None``;
* everywhere else (config, arch, strategy state, counters, meta) NaN and inf are
  refused with a ``ValueError`` naming where they sit.

Example:
    >>> from nasbench_ui.storage import MemoryStore, TrialState
    >>> with MemoryStore() as store:
    ...     name = store.create_experiment("demo", {"trials": 2})
    ...     n = store.create_trial(name, {"op": "skip"})
    ...     store.append_curve(name, n, {"epoch": 0, "loss": float("nan")})
    ...     store.finish_trial(name, n, TrialState.COMPLETE, value=0.9)
    ...     t = store.trial(name, n)
    >>> t.state.name, t.value, t.curve
    ('COMPLETE', 0.9, [{'epoch': 0, 'loss': None}])
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any, Protocol, runtime_checkable

from nasbench_ui.storage.trial import Trial, TrialState

INTERRUPTED_ERROR = "interrupted: the process stopped mid-trial"


class StoreError(ValueError):
    """A store file that cannot be used: not SQLite, foreign, newer, not writable."""


class RowError(StoreError):
    """A row no store of this package writes (a JSON text that is no object, a number
    column holding text): raised where the row is read, without the file's name, which
    the SQLite store's transaction puts in front (a :class:`StoreError` then)."""


@runtime_checkable
class TrialStore(Protocol):
    """What every store offers. ``MemoryStore`` and ``SQLiteStore`` implement it.

    Experiments are identified by a unique ``name`` within a store. Trials are
    numbered 0, 1, 2, ... per experiment in creation order; a number is never
    reused. Every write to a trial (create, curve point, worker, finish) bumps a
    store-wide, strictly increasing *version* kept on the trial, which
    :meth:`changes` uses so that charts poll only what is new.

    Example:
        >>> from nasbench_ui.storage import open_store
        >>> store = open_store(":memory:")
        >>> isinstance(store, TrialStore)
        True
    """

    path: str

    def create_experiment(self, name: str | None, config: dict) -> str:
        """Add an experiment and return its name (``None`` picks one like ``exp-3``).

        An existing name raises ``ValueError``; ``config`` must be JSON-able.
        """
        ...

    def experiment_names(self) -> list[str]:
        """Names in creation order."""
        ...

    def experiments(self) -> list[dict]:
        """Summaries in creation order: name, created_at, n_trials, states (count per state name)."""
        ...

    def load_experiment(self, name: str | None = None) -> dict:
        """``{name, config, strategy_state, counters, created_at}``; ``None`` = the latest."""
        ...

    def save_strategy_state(self, name: str, state: dict) -> None:
        """Replace the experiment's strategy state (a JSON-able dict)."""
        ...

    def save_counters(self, name: str, counters: dict) -> None:
        """Replace the experiment's counters, e.g. ``{"spent_s": 12.5}``."""
        ...

    def update_config(self, name: str, config: dict) -> None:
        """Replace the experiment's config."""
        ...

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
        """Append a RUNNING trial and return its number. ``started_at`` defaults to now.
        ``strategy_state`` (the state that holds this trial's architecture as asked) is
        saved in the same transaction: a kill can never leave one without the other."""
        ...

    def append_curve(self, name: str, number: int, point: dict) -> None:
        """Append one per-epoch dict to a RUNNING trial's curve."""
        ...

    def set_worker(self, name: str, number: int, worker: str | None) -> None:
        """Record which worker runs the trial."""
        ...

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
        """End a RUNNING trial, and in the same transaction save the strategy state
        and counters when given. ``finished_at`` defaults to now; NaN/inf in
        ``value`` or ``metrics`` are stored as ``None``."""
        ...

    def trial(self, name: str, number: int) -> Trial:
        """One trial."""
        ...

    def trials(self, name: str, states: Iterable[TrialState] | None = None) -> list[Trial]:
        """All trials (or those in ``states``) ordered by number."""
        ...

    def changes(self, name: str, since: int = 0) -> tuple[int, list[Trial]]:
        """``(latest version, trials written after version since)``; pass the
        returned version back as ``since`` on the next poll."""
        ...

    def interrupt_running(self, name: str) -> list[int]:
        """Mark every RUNNING trial INTERRUPTED; return their numbers."""
        ...

    def delete_experiment(self, name: str) -> None:
        """Remove an experiment with its trials (its name may then be used again). The
        caller checks that nobody runs it (:func:`~nasbench_ui.storage.lease.live_holder`)."""
        ...

    def lease(self, name: str) -> dict | None:
        """The experiment's lease record, or None (see :mod:`nasbench_ui.storage.lease`)."""
        ...

    def swap_lease(
        self, name: str, expected: str | None, new: dict | None
    ) -> tuple[bool, dict | None]:
        """Replace the lease when its owner id is ``expected`` (None: no lease), in one
        write; ``(done, the record now)``. ``new=None`` removes it."""
        ...

    def open_for_writing(self) -> None:
        """Make a store opened read-only writable (a no-op for one that is)."""
        ...

    def close(self) -> None:
        """Release the store; later calls raise ``StoreError``."""
        ...


PROTOCOL_METHODS: tuple[str, ...] = (
    "create_experiment",
    "experiment_names",
    "experiments",
    "load_experiment",
    "save_strategy_state",
    "save_counters",
    "update_config",
    "create_trial",
    "append_curve",
    "set_worker",
    "finish_trial",
    "trial",
    "trials",
    "changes",
    "interrupt_running",
    "delete_experiment",
    "lease",
    "swap_lease",
    "open_for_writing",
    "close",
)


# ---------------------------------------------------------------- JSON rules


def _plain(obj: Any, where: str, nan_to_null: bool) -> Any:
    """A copy of ``obj`` made of dict/list/str/int/float/bool/None only."""
    if obj is None or isinstance(obj, (str, bool)):
        return obj
    if isinstance(obj, numbers.Integral):
        return int(obj)
    if isinstance(obj, numbers.Real):
        x = float(obj)
        if math.isfinite(x):
            return x
        if nan_to_null:
            return None
        raise ValueError(
            f"{where} is {x!r}; JSON cannot hold NaN or infinity: store None or a string instead"
        )
    if isinstance(obj, Mapping):
        out: dict[str, Any] = {}
        for k, v in obj.items():
            if not isinstance(k, str):
                raise ValueError(
                    f"{where} has the key {k!r} of type {type(k).__name__}; "
                    "keys must be strings (JSON would turn it into a string)"
                )
            out[k] = _plain(v, f"{where}[{k!r}]", nan_to_null)
        return out
    if isinstance(obj, (list, tuple)):
        return [_plain(v, f"{where}[{i}]", nan_to_null) for i, v in enumerate(obj)]
    item = getattr(obj, "item", None)  # numpy bool_, 0-d arrays and 0-d torch tensors
    if callable(item) and getattr(obj, "ndim", None) == 0:
        return _plain(item(), where, nan_to_null)
    raise ValueError(
        f"{where} holds a {type(obj).__name__} ({obj!r:.60}); stores keep JSON only "
        "(dict, list, str, int, float, bool, None)"
    )


_LEAVES = frozenset({str, int, float, bool, type(None)})
# one encoder for every call: json.dumps with a keyword builds a new one each time, and
# the engine encodes several values per trial (the output is json.dumps's, byte for byte)
_ENCODER = json.JSONEncoder(allow_nan=False)


def _plain_already(obj: Any) -> bool:
    """True when ``obj`` is made of exact dict (str keys) / list / tuple / str / int /
    float / bool / None only, so ``json.dumps`` writes what :func:`_plain` would (a NaN
    or an infinity is caught by ``allow_nan=False``). Checked by type, not by ABC: the
    engine encodes several of these per trial."""
    t = type(obj)
    if t in _LEAVES:
        return True
    if t is dict:
        keys, values = obj.keys(), obj.values()
        return set(map(type, keys)) <= {str} and _all_plain(values)
    if t is list or t is tuple:
        return _all_plain(obj)
    return False


def _all_plain(items: Iterable[Any]) -> bool:
    kinds = set(map(type, items))
    if kinds <= _LEAVES:
        return True
    return all(map(_plain_already, items))


def encode(obj: Any, where: str, *, dict_only: bool = True, nan_to_null: bool = False) -> str:
    """JSON text for ``obj`` after the rules above; ``ValueError`` names ``where``.

    Example:
        >>> encode({"a": (1, 2)}, "config")
        '{"a": [1, 2]}'
        >>> encode({"loss": float("nan")}, "metrics", nan_to_null=True)
        '{"loss": null}'
    """
    if dict_only and type(obj) is not dict and not isinstance(obj, Mapping):
        raise ValueError(f"{where} must be a dict, got {type(obj).__name__} ({obj!r:.60})")
    if _plain_already(obj):
        try:
            return _ENCODER.encode(obj)
        except ValueError:  # a NaN or an infinity: the full walk nulls it or names it
            pass
    return _ENCODER.encode(_plain(obj, where, nan_to_null))


_DECODER = json.JSONDecoder()
_FLAT = (str, int, float, bool, type(None))
_SEEN_LIMIT = 20_000  # distinct flat dicts kept by decode(repeats=True): every nb201 cell
_seen: dict[str, dict] = {}


def decode(text: str | None, default: Any = None, *, repeats: bool = False) -> Any:
    """Inverse of :func:`encode` (``None`` text gives ``default``).

    A live workbench decodes every trial a fast search writes (four texts a trial, most
    of the poller's time in ``benchmarks/ui_responsiveness.py``), so this skips
    ``json.loads``'s whitespace checks (text this module wrote has none; anything else
    falls back to ``json.loads``, which accepts or refuses it as always). With
    ``repeats`` (an architecture, a meta: texts a search repeats) it keeps the flat dicts
    it decoded, and gives a new copy each time.

    Example:
        >>> decode('{"a": "b"}'), decode(None, {}), decode('[1, 2]')
        ({'a': 'b'}, {}, [1, 2])
        >>> decode('{"a": "b"}', repeats=True) is decode('{"a": "b"}', repeats=True)
        False
    """
    if text is None:
        return default
    got = _seen.get(text) if repeats else None
    if got is not None:
        return dict(got)
    try:
        obj, end = _DECODER.raw_decode(text)
    except (ValueError, TypeError):
        end = -1
    if end != len(text):  # whitespace around it, or not one JSON value: json's answer
        return json.loads(text)
    if repeats and type(obj) is dict and all(type(v) in _FLAT for v in obj.values()):
        if len(_seen) >= _SEEN_LIMIT:
            _seen.clear()  # a search past this many distinct ones: start again
        _seen[text] = dict(obj)
    return obj


def clean_value(value: Any, where: str = "value") -> float | None:
    """The objective as a float, NaN/inf as ``None`` (a failed trial); anything that is
    not a number is a ``ValueError``. The one definition: stores keep it, and strategies
    read told values with it.

    Example:
        >>> clean_value(float("nan")) is None, clean_value(3)
        (True, 3.0)
    """
    if value is None:
        return None
    plain = _plain(value, where, nan_to_null=True)
    if plain is None:
        return None
    if isinstance(plain, bool) or not isinstance(plain, (int, float)):
        raise ValueError(
            f"{where} must be a number or None, got {type(value).__name__} ({value!r:.60})"
        )
    return float(plain)


def clean_time(t: Any, where: str, default: float) -> float:
    """A timestamp in seconds (``None`` gives ``default``)."""
    if t is None:
        return default
    if isinstance(t, bool) or not isinstance(t, numbers.Real) or not math.isfinite(float(t)):
        raise ValueError(f"{where} must be a finite number of seconds (time.time()), got {t!r}")
    return float(t)


def clean_str(s: Any, where: str) -> str | None:
    if s is None or isinstance(s, str):
        return s
    raise ValueError(f"{where} must be a str or None, got {type(s).__name__} ({s!r:.60})")


def as_state(state: Any, where: str = "state") -> TrialState:
    """A ``TrialState`` from itself or its name."""
    if isinstance(state, TrialState):
        return state
    if isinstance(state, str) and state.upper() in TrialState.__members__:
        return TrialState[state.upper()]
    raise ValueError(
        f"{where} {state!r} is not a trial state; use one of {list(TrialState.__members__)}"
    )


def final_state(state: Any) -> TrialState:
    """A final (non-RUNNING) state, for :meth:`TrialStore.finish_trial`."""
    s = as_state(state)
    if s is TrialState.RUNNING:
        raise ValueError(
            "finish_trial needs a final state (COMPLETE, PRUNED, FAILED or INTERRUPTED), not RUNNING"
        )
    return s


def as_states(states: Iterable[Any] | None) -> set[TrialState] | None:
    if states is None:
        return None
    if isinstance(states, (str, TrialState)):
        states = [states]
    return {as_state(s, "states item") for s in states}


def check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"experiment name must be a non-empty str, got {name!r}")
    return name


def check_number(number: Any) -> int:
    if isinstance(number, bool) or not isinstance(number, numbers.Integral):
        raise ValueError(f"trial number must be an int, got {type(number).__name__} ({number!r})")
    return int(number)


def check_since(since: Any) -> int:
    if isinstance(since, bool) or not isinstance(since, numbers.Integral) or since < 0:
        raise ValueError(
            f"since must be an int >= 0 (a version returned by changes()), got {since!r}"
        )
    return int(since)


def describe_names(names: list[str]) -> str:
    return ", ".join(repr(n) for n in names) if names else "none"


def empty_state_counts() -> dict[str, int]:
    return {s.name: 0 for s in TrialState}
