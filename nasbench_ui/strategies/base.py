"""The multi-trial (ask/tell) strategy protocol and small helpers shared by strategies.

A strategy proposes architectures (plain dicts) with :meth:`Strategy.ask` and learns
from their objective values with :meth:`Strategy.tell`. Higher values are better;
``value=None`` means the trial FAILED or was INTERRUPTED and every strategy copes
with it. ``ask`` may be called several times before the matching ``tell`` (parallel
workers keep trials pending), and tells may arrive in any order.

``state_dict()`` is JSON-able (``json.dumps`` works) and holds everything, random
generator included, so that ``load_state_dict`` on a fresh instance continues
*exactly* as the uninterrupted strategy would have.

A *constraint* (``Callable[[dict], bool]``, passed as the ``constraint`` keyword or
with ``set_constraint``) restricts proposals: a strategy resamples or re-mutates up
to :data:`MAX_TRIES` times and then raises ``ValueError("... no architecture satisfies
the constraint after N tries ...")``. It is not an option: it is not JSON.

:class:`StrategyBase` is an optional one-level helper (options, seed, generator,
constraint, ``ask_meta``, ``finished``); a strategy only has to satisfy the protocol.

Example:
    >>> import random
    >>> from nasbench_ui import spaces
    >>> class FirstChoice(StrategyBase):
    ...     NAME = "first"
    ...     def ask(self):
    ...         return self._propose(lambda: self.space.sample(self.rng))
    ...     def tell(self, arch, value, trial=None):
    ...         pass
    ...     def state_dict(self):
    ...         return self._base_state()
    ...     def load_state_dict(self, state):
    ...         self._load_base(state)
    >>> s = FirstChoice(spaces.nb201(), seed=1)
    >>> isinstance(s, Strategy), sorted(s.ask()) == sorted(spaces.nb201().labels)
    (True, True)
"""

from __future__ import annotations

import random
from abc import abstractmethod
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from ..options import Option, resolve
from ..storage.base import clean_value as clean_value  # one definition: a told value

if TYPE_CHECKING:
    from ..space.spec import SearchSpace
    from ..storage.trial import Trial

MAX_TRIES = 1000
"""How many proposals a strategy draws before giving up on a constraint."""

Constraint = Callable[[dict[str, Any]], bool]


class Strategy:
    """The base of every multi-trial (ask/tell) strategy: the whole contract in one place.

    Required (two methods, listed in ``REQUIRED`` and marked abstract): :meth:`ask` and
    :meth:`tell`. Everything else is an optional hook with a default body here, so the
    loop calls it without probing:

    * ``NAME`` (stored in the config), ``OPTIONS`` (declared options), ``options`` (the
      resolved ones; ``{}``), ``ESTIMATOR`` (a one-shot strategy names the estimator it
      runs with; None), ``ACCEPTS_CONSTRAINTS`` (False);
    * :attr:`finished` (nothing more to propose; False), :meth:`ask_meta` (facts about
      the last asked architecture; ``{}``), :meth:`set_constraint` (refuses a
      constraint unless overridden);
    * :meth:`state_dict` / :meth:`load_state_dict`: by default the state is a marker
      that makes the experiment replay the finished trials into a fresh strategy
      (:meth:`replays_history`); a strategy that can snapshot itself overrides both.

    Constructed as ``cls(space, seed=0, constraint=None, **options)``. The class is not
    an ``abc.ABC``: a bare ``Strategy()`` stays constructible (a placeholder in tests and
    examples); its ``ask`` and ``tell`` raise NotImplementedError. An object written to
    the protocol without this base is wrapped by :mod:`.adapter`.
    """

    NAME: ClassVar[str] = "custom"
    OPTIONS: ClassVar[dict[str, Option]] = {}
    ESTIMATOR: ClassVar[str | None] = None
    ACCEPTS_CONSTRAINTS: ClassVar[bool] = False  # True where set_constraint is honoured
    REQUIRED: ClassVar[tuple[str, ...]] = ("ask", "tell")
    options: dict[str, Any] = {}  # the resolved options (set by StrategyBase)

    @abstractmethod
    def ask(self) -> dict[str, Any]:
        """The next architecture to evaluate (a canonical dict)."""
        raise NotImplementedError(f"{type(self).__name__} must implement ask()")

    @abstractmethod
    def tell(self, arch: dict[str, Any], value: float | None, trial: Trial | None = None) -> None:
        """The objective of ``arch`` (higher is better; None for a failed trial)."""
        raise NotImplementedError(f"{type(self).__name__} must implement tell()")

    @property
    def finished(self) -> bool:
        """True when there is nothing more to propose."""
        return False

    def ask_meta(self) -> dict[str, Any]:
        """Facts about the last asked architecture, e.g. ``{"parent": 3}``."""
        return {}

    def set_constraint(self, fn: Constraint | None) -> None:
        """Only propose architectures with ``fn(arch)`` true (None: any)."""
        if fn is not None:
            raise ValueError(f"the strategy {self.NAME!r} cannot take a constraint")

    def state_dict(self) -> dict[str, Any]:
        """A JSON-able snapshot; by default a marker asking for a replay of the history."""
        return {"strategy": self.NAME, "replay": True}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a snapshot of :meth:`state_dict` (the default: nothing to restore)."""

    @staticmethod
    def replays_history(state: Mapping[str, Any]) -> bool:
        """Whether ``state`` is the default marker: the experiment then tells a fresh
        strategy every finished trial instead of loading a snapshot.

        Example:
            >>> Strategy.replays_history(Strategy().state_dict())
            True
        """
        return bool(state.get("replay"))


class StrategyExhausted(RuntimeError):
    """Raised by ``ask`` when a strategy has nothing more to propose (see ``finished``)."""


def rng_state(rng: random.Random) -> list[Any]:
    """``rng.getstate()`` as JSON-able lists.

    Example:
        >>> r = random.Random(0); s = rng_state(r); a = r.random()
        >>> set_rng_state(r, s); r.random() == a
        True
    """
    version, internal, gauss = rng.getstate()
    return [version, list(internal), gauss]


def set_rng_state(rng: random.Random, state: Any) -> None:
    """Restore a state made by :func:`rng_state`; ValueError if it is malformed."""
    try:
        version, internal, gauss = state
        rng.setstate((version, tuple(internal), gauss))
    except (TypeError, ValueError) as e:
        raise ValueError(f"malformed random generator state in a strategy snapshot ({e})") from None


def objective_value(owner: str, name: str, space: Any, arch: dict[str, Any], key: str,
                    value: float | None, trial: Trial | None,
                    params_cache: dict[str, float]) -> float | None:
    """One objective of a told trial for a multi-objective strategy: ``"value"``, a
    metric the trial reports, or ``"params"`` counted from the architecture (cached by
    ``key`` in ``params_cache``) when the estimator reports none.

    Example:
        >>> objective_value("s", "value", None, {}, "k", 0.5, None, {})
        0.5
    """
    if name == "value":
        return value
    metrics = trial.metrics if trial is not None else {}
    if name in metrics:
        return clean_value(metrics[name])
    if name == "params":
        if key not in params_cache:
            from ..constraints import DEFAULT_INPUT, arch_params

            shape = DEFAULT_INPUT.get(space.name, (1, 8, 8))
            params_cache[key] = arch_params(space, arch, shape)
        return float(params_cache[key])
    raise ValueError(
        f"{owner}: objective metric {name!r} is not among the trial's metrics "
        f"{sorted(metrics)}; choose objectives among 'value', 'params' and the metrics "
        "your estimator reports")


def drop_pending(pending: list[Any], key: str) -> None:
    """Remove the first ``[key, kind]`` entry of ``pending`` asked for ``key`` (if any).

    Example:
        >>> p = [["a", "random"], ["b", "child"]]
        >>> drop_pending(p, "b"); p
        [['a', 'random']]
    """
    for i, (k, _) in enumerate(pending):
        if k == key:
            del pending[i]
            return


def copy_arch(arch: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of an architecture whose list values (input choices) are copied too."""
    return {k: list(v) if isinstance(v, list) else v for k, v in arch.items()}


def no_arch_error(name: str, tries: int) -> ValueError:
    """The error every strategy raises when its constraint rejects every proposal."""
    return ValueError(
        f"{name}: no architecture satisfies the constraint after {tries} tries; "
        "loosen the constraint (or check that it returns True for some architectures)"
    )


class StrategyBase(Strategy):
    """Optional helper base: options, seed, ``rng``, constraint, meta and snapshots.

    Sets ``self.space``, ``self.seed``, ``self.rng`` (a ``random.Random``),
    ``self.options`` (resolved) and ``self.constraint``.
    """

    NAME: str = ""
    OPTIONS: dict[str, Option] = {}
    ACCEPTS_CONSTRAINTS = True
    #: options added after snapshots of this strategy were first taken, with the value
    #: those older snapshots ran with: a snapshot that lacks one of them loads as if it
    #: had that value; a snapshot that lacks any other option is refused
    SNAPSHOT_DEFAULTS: ClassVar[dict[str, Any]] = {}

    def __init__(
        self,
        space: SearchSpace,
        seed: int = 0,
        constraint: Constraint | None = None,
        **options: Any,
    ) -> None:
        if not hasattr(space, "decisions") or not hasattr(space, "sample"):
            raise ValueError(
                f"{self.NAME}: space must be a nasbench_ui SearchSpace, got {type(space).__name__}"
            )
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f"{self.NAME}: seed must be an int, got {seed!r}")
        self.options: dict[str, Any] = resolve(type(self), options)
        self.space = space
        self.seed = seed
        self.rng = random.Random(seed)
        self.constraint: Constraint | None = None
        self.set_constraint(constraint)
        self._meta: dict[str, Any] = {}

    def set_constraint(self, fn: Constraint | None) -> None:
        """Only propose architectures with ``fn(arch)`` true from now on (None: any)."""
        if fn is not None and not callable(fn):
            raise ValueError(
                f"{self.NAME}: constraint must be a function arch -> bool or None, "
                f"got {type(fn).__name__}"
            )
        self.constraint = fn

    def allowed(self, arch: dict[str, Any]) -> bool:
        """Whether ``arch`` satisfies the constraint (always, without one)."""
        return self.constraint is None or bool(self.constraint(copy_arch(arch)))

    def _propose(
        self, make: Callable[[], dict[str, Any]], tries: int = MAX_TRIES
    ) -> dict[str, Any]:
        """Call ``make()`` until its architecture is allowed; ValueError after ``tries``."""
        for _ in range(tries):
            arch = make()
            if self.allowed(arch):
                return arch
        raise no_arch_error(self.NAME, tries)

    def _allowed_mutation(self, parent: dict[str, Any]) -> tuple[dict[str, Any], str]:
        """A one-decision mutation of ``parent`` that the constraint allows, with the label
        of the decision it changed; ValueError after ``MAX_TRIES`` refused ones."""
        for _ in range(MAX_TRIES):
            arch, label = self.space.mutation(parent, self.rng)
            if self.allowed(arch):
                return arch, label
        raise no_arch_error(self.NAME, MAX_TRIES)

    def _random_unseen(self, seen: set[str]) -> dict[str, Any]:
        """A random allowed architecture whose key is not in ``seen`` when possible (else
        an allowed one seen before); ValueError when none is allowed."""
        fallback = None
        for _ in range(MAX_TRIES):
            arch = self.space.sample(self.rng)
            if self.allowed(arch):
                if self.space.key(arch) not in seen:
                    return arch
                fallback = fallback or arch
                if len(seen) >= self.space.size():
                    break
        if fallback is None:
            raise no_arch_error(self.NAME, MAX_TRIES)
        return fallback

    def ask_meta(self) -> dict[str, Any]:
        """Facts about the last asked architecture (``{}`` when there are none)."""
        return dict(self._meta)

    @property
    def finished(self) -> bool:
        """True when there is nothing more to propose."""
        return False

    def _base_state(self) -> dict[str, Any]:
        return {
            "strategy": self.NAME,
            "space": self.space.name,
            "options": dict(self.options),
            "rng": rng_state(self.rng),
            "meta": dict(self._meta),
        }

    def _load_base(self, state: Any, keys: tuple[str, ...] = ()) -> None:
        """Check a snapshot (strategy, space, options, required keys) and restore the base."""
        if not isinstance(state, Mapping):
            raise ValueError(f"{self.NAME}: a state must be a dict, got {type(state).__name__}")
        if state.get("strategy") != self.NAME:
            raise ValueError(
                f"{self.NAME}: this snapshot belongs to strategy {state.get('strategy')!r}, "
                f"not {self.NAME!r}"
            )
        if state.get("space") != self.space.name:
            raise ValueError(
                f"{self.NAME}: this snapshot was taken on space {state.get('space')!r}, "
                f"not {self.space.name!r}"
            )
        missing = [k for k in ("options", "rng", "meta", *keys) if k not in state]
        if missing:
            raise ValueError(f"{self.NAME}: the snapshot lacks {missing}")
        # an option added since the snapshot was taken: the value the snapshot ran with
        taken = {**self.SNAPSHOT_DEFAULTS, **dict(state["options"])}
        if taken != self.options:
            absent = "<absent>"
            diff = sorted(k for k in {*self.options, *taken}
                          if taken.get(k, absent) != self.options.get(k, absent))
            raise ValueError(
                f"{self.NAME}: the snapshot was taken with other options {diff} "
                f"({ {k: taken.get(k, absent) for k in diff} }); create the strategy "
                "with the same options before loading it"
            )
        set_rng_state(self.rng, state["rng"])
        self._meta = dict(state["meta"])
