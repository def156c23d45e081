"""``optuna``: Optuna's samplers as a search strategy, through Optuna's ask/tell interface.

Optuna: Akiba, Sano, Yanase, Ohta & Koyama, "Optuna: A Next-generation Hyperparameter
Optimization Framework", KDD 2019. The samplers (option ``sampler``) and their sources:

- ``"tpe"``: Tree-structured Parzen Estimator (Bergstra, Bardenet, Bengio & Kegl,
  "Algorithms for Hyper-Parameter Optimization", NeurIPS 2011); ``{"multivariate": true}``
  in ``sampler_options`` models the decisions jointly (Falkner, Klein & Hutter, "BOHB:
  Robust and Efficient Hyperparameter Optimization at Scale", ICML 2018).
- ``"gp"``: Gaussian-process Bayesian optimisation with expected improvement (Jones,
  Schonlau & Welch, "Efficient Global Optimization of Expensive Black-Box Functions",
  J. Global Optimization 13, 1998; Snoek, Larochelle & Adams, "Practical Bayesian
  Optimization of Machine Learning Algorithms", NeurIPS 2012).
- ``"cmaes"``: CMA-ES (Hansen & Ostermeier, "Completely Derandomized Self-Adaptation in
  Evolution Strategies", Evolutionary Computation 9(2), 2001). Needs the ``cmaes`` package.
- ``"nsga2"``: NSGA-II (Deb, Pratap, Agarwal & Meyarivan, "A Fast and Elitist
  Multiobjective Genetic Algorithm: NSGA-II", IEEE Trans. Evol. Comput. 6(2), 2002).
- ``"qmc"``: quasi-Monte Carlo sequences (Sobol', "On the distribution of points in a cube
  and the approximate evaluation of integrals", 1967; Halton, 1960), as in Bergstra &
  Bengio, "Random Search for Hyper-Parameter Optimization", JMLR 13, 2012.
- ``"random"``: uniform random sampling (Bergstra & Bengio, JMLR 2012).

``sampler_options`` are passed to the sampler's constructor (JSON values only; ``seed``
is the strategy's seed). Each decision is one Optuna parameter named by its label: an
operation decision, an input choice (its sorted list of node names as a JSON string) and a
``Categorical`` hyperparameter are ``CategoricalDistribution``; ``IntRange`` and
``FloatRange`` are ``IntDistribution`` / ``FloatDistribution`` with their step.

**Categorical decisions and samplers that do not model them.** CMA-ES (and QMC before
Optuna 5.1) samples categorical parameters with Optuna's independent (random) sampler.
On a space with categorical decisions such a strategy is created with a ``UserWarning``
that names them (on a space of categorical decisions only, like ``nb201``, it is random
search); it is never refused, and Optuna's per-trial notices of it are turned off.

**Protocol.** Several asks may precede their tells (each ask is an Optuna trial left
RUNNING) and tells may come in any order; a told architecture that was never asked
(``exp.tell_history`` after ``switch_strategy``) is added to the study as a finished
trial. ``value=None`` (and NaN) is told to Optuna as FAIL.

**Constraints.** A proposal the constraint rejects is told to Optuna as PRUNED (TPE then
counts it among its bad trials and moves away; the other samplers ignore it) and the
sampler is asked again. After :data:`SAMPLER_TRIES` rejected proposals in one ask, the
strategy draws uniformly random architectures instead (``space.sample``, like
``random``) and enqueues the first allowed one into the study (``ask_meta()["random"]``
is then True); after :data:`~nasbench_ui.strategies.base.MAX_TRIES` draws in all it
raises the usual ValueError. A hard constraint thus never leaves a sampler stuck in a
region it likes.

**Several objectives.** ``objectives`` is a list of ``[metric, "max" | "min"]`` as in
``pareto_evolution``: ``"value"`` is the told value, another metric is read from
``trial.metrics`` in ``tell`` (``"params"`` is computed from the architecture when the
estimator does not report it); a metric that is None or not finite makes the trial FAIL
for Optuna. Every sampler but ``cmaes`` takes several objectives; ``nsga2`` is made for it.

**Snapshots.** ``state_dict()`` is JSON: the seed and the events, a JSON array held as
one string (``["ask", arch]``, ``["ask", arch, "random"]``, ``["tell", optuna trial
number, "complete" | "fail" | "rejected", values]``, ``["add", arch, values]``; asks
without a tell are pending). One string, because the history grows with every trial and
the experiment stores the state after each ask and tell: a string costs the store one
value to check where a nested list costs one per number. Nothing is pickled: ``load_state_dict`` replays the events into a new in-memory study with a sampler
seeded alike, so where the sampler is deterministic for its seed (``tpe``, ``random``...)
the resumed strategy proposes exactly what the uninterrupted one would have. If a replayed
ask differs from the recorded one, the study is rebuilt from the recorded architectures
instead (Optuna's ``enqueue_trial``): the same history, continued with a fresh generator.
Optuna's own log is set to warnings.

Example:
    >>> from nasbench_ui import spaces
    >>> space = spaces.nb201()
    >>> s = OptunaSampler(space, seed=0, sampler="tpe", sampler_options={"n_startup_trials": 3})
    >>> for _ in range(5):
    ...     a = s.ask(); s.tell(a, float(list(a.values()).count("nor_conv_3x3")))
    >>> len(s.study.trials), s.ask_meta()["optuna_trial"]
    (5, 4)
"""

from __future__ import annotations

import json
import math
import warnings
from typing import TYPE_CHECKING, Any

from ..options import Option
from .base import MAX_TRIES, StrategyBase, clean_value, no_arch_error, objective_value
from .optuna_bridge import (
    SAMPLERS,
    categorical_labels,
    decode,
    distributions,
    encode,
    falls_back_on_categorical,
    load_optuna,
    make_sampler,
)
from .pareto_evolution import check_objectives

if TYPE_CHECKING:
    from ..storage.trial import Trial

SAMPLER_TRIES = 20
"""Proposals of the sampler that the constraint may reject in one ask before random ones."""


class _Diverged(Exception):
    """A replayed ask proposed another architecture than the recorded one."""


class OptunaSampler(StrategyBase):
    """Optuna's samplers (TPE, GP, CMA-ES, NSGA-II, QMC, random) through its ask/tell API."""

    NAME = "optuna"
    OPTIONS = {
        "sampler": Option(str, "tpe", choices=SAMPLERS, help="Optuna's sampler"),
        "sampler_options": Option(dict, {}, help="keyword arguments of the sampler "
                                  '(JSON values), e.g. {"multivariate": true} for tpe'),
        "objectives": Option(list, [["value", "max"]],
                             help='[[metric, "max" | "min"], ...]; "value" is the told value'),
    }

    def __init__(self, space: Any, seed: int = 0, constraint: Any = None, **options: Any) -> None:
        super().__init__(space, seed, constraint, **options)
        optuna = load_optuna()
        self.options["objectives"] = check_objectives(self.options["objectives"], "optuna")
        self.objectives = [tuple(o) for o in self.options["objectives"]]
        name = self.options["sampler"]
        if name == "cmaes" and len(self.objectives) > 1:
            raise ValueError(f"optuna: the 'cmaes' sampler optimises one objective, got "
                             f"{len(self.objectives)} ({self.options['objectives']}); use "
                             "'nsga2', 'tpe', 'gp', 'qmc' or 'random' for several")
        categorical = categorical_labels(space)
        if categorical and falls_back_on_categorical(name, optuna.__version__):
            whole = " (all of them: this is random search)" if len(categorical) == len(
                space.decisions) else ""
            warnings.warn(
                f"optuna: the {name!r} sampler does not model categorical decisions; "
                f"{categorical}{whole} are sampled at random by Optuna's independent "
                "sampler. Use 'tpe', 'gp' or 'nsga2' for operation and input choices.",
                UserWarning, stacklevel=2)
        self._dists = distributions(space)
        self._params: dict[str, int] = {}  # arch key -> parameter count (objective "params")
        self._reset()

    # --------------------------------------------------------------- study
    def _reset(self) -> None:
        """A new empty study, with a sampler seeded with ``self.seed``."""
        optuna = load_optuna()
        sampler = make_sampler(self.options["sampler"], self.seed,
                               self.options["sampler_options"])
        self.study = optuna.create_study(
            directions=["maximize" if d == "max" else "minimize" for _, d in self.objectives],
            sampler=sampler)
        self._log: list[str] = []  # the events, each as compact JSON text
        self._pending: dict[int, str] = {}  # optuna trial number -> arch key, asked order

    def _record(self, event: list[Any]) -> None:
        self._log.append(json.dumps(event, separators=(",", ":")))

    def _tell_optuna(self, number: int, values: list[float] | None,
                     rejected: bool = False) -> None:
        from optuna.trial import TrialState

        if rejected:
            self.study.tell(number, state=TrialState.PRUNED)
        elif values is None:
            self.study.tell(number, state=TrialState.FAIL)
        else:
            self.study.tell(number, values if len(values) > 1 else values[0])

    def _add(self, arch: dict[str, Any], values: list[float]) -> int:
        from optuna.trial import create_trial

        self.study.add_trial(create_trial(params=encode(self.space, arch),
                                          distributions=self._dists,
                                          values=values))
        return len(self.study.trials) - 1

    # ------------------------------------------------------------ protocol
    def ask(self) -> dict[str, Any]:
        """The sampler's next allowed architecture (see the module's notes on constraints)."""
        for tries in range(MAX_TRIES):
            if tries < SAMPLER_TRIES:
                t = self.study.ask(self._dists)
                arch = decode(self.space, t.params)
                self._record(["ask", arch])
                if self.allowed(arch):
                    return self._asked(t.number, arch, tries, fallback=False)
                self._tell_optuna(t.number, None, rejected=True)
                self._record(["tell", t.number, "rejected", None])
            else:
                arch = self.space.sample(self.rng)
                if self.allowed(arch):
                    self.study.enqueue_trial(encode(self.space, arch))
                    t = self.study.ask(self._dists)
                    self._record(["ask", arch, "random"])
                    return self._asked(t.number, arch, tries, fallback=True)
        raise no_arch_error(self.NAME, MAX_TRIES)

    def _asked(self, number: int, arch: dict[str, Any], rejected: int,
               fallback: bool) -> dict[str, Any]:
        self._pending[number] = self.space.key(arch)
        self._meta = {"sampler": self.options["sampler"], "optuna_trial": number,
                      "rejected": rejected, "random": fallback}
        return arch

    def _objective(self, name: str, arch: dict[str, Any], key: str, value: float,
                   trial: Trial | None) -> float | None:
        return objective_value("optuna", name, self.space, arch, key, value, trial,
                               self._params)

    def _values(self, arch: dict[str, Any], key: str, value: Any,
                trial: Trial | None) -> list[float] | None:
        v = clean_value(value)
        if v is None:
            return None
        out = [self._objective(m, arch, key, v, trial) for m, _ in self.objectives]
        return None if any(x is None for x in out) else [float(x) for x in out]  # type: ignore

    def tell(self, arch: dict[str, Any], value: float | None, trial: Trial | None = None) -> None:
        """Tell Optuna the trial asked for ``arch`` (FAIL for None); add it if never asked."""
        key = self.space.key(arch)  # validates the architecture
        arch = self.space.canonical(arch)
        values = self._values(arch, key, value, trial)
        number = next((n for n, k in self._pending.items() if k == key), None)
        if number is None:
            if values is not None:  # told, never asked (history of another strategy)
                self._add(arch, values)
                self._record(["add", arch, values])
            return
        del self._pending[number]
        self._tell_optuna(number, values)
        self._record(["tell", number, "fail" if values is None else "complete", values])

    # ------------------------------------------------------------ snapshots
    def state_dict(self) -> dict[str, Any]:
        return {**self._base_state(), "seed": self.seed, "events": "[" + ",".join(self._log) + "]"}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._load_base(state, ("seed", "events"))
        seed, events = state["seed"], state["events"]
        if isinstance(events, str):
            try:
                events = json.loads(events)
            except ValueError as e:
                raise ValueError(f"optuna: the snapshot's events are not JSON text ({e})") from None
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f"optuna: the snapshot's seed must be an int, got {seed!r}")
        if not isinstance(events, list) or any(
                not isinstance(e, list) or not e or e[0] not in ("ask", "tell", "add")
                for e in events):
            raise ValueError("optuna: the snapshot's events must be a list of ['ask', arch], "
                             "['tell', number, state, values] and ['add', arch, values]")
        self.seed = seed
        try:
            self._replay(events, exact=True)
        except _Diverged:
            self._replay(events, exact=False)

    def _replay(self, events: list[list[Any]], exact: bool) -> None:
        """Rebuild the study from ``events``: by asking the sampler again (``exact``, raises
        :class:`_Diverged` on a different proposal) or by enqueuing the recorded archs."""
        self._reset()
        for e in events:
            if e[0] == "ask":
                arch = self.space.canonical(e[1])
                if not exact or e[2:] == ["random"]:
                    self.study.enqueue_trial(encode(self.space, arch))
                t = self.study.ask(self._dists)
                if exact and decode(self.space, t.params) != arch:
                    raise _Diverged()
                self._pending[t.number] = self.space.key(arch)
                self._record(["ask", arch, *e[2:3]])
            elif e[0] == "tell":
                number, kind, values = int(e[1]), str(e[2]), e[3]
                if number not in self._pending:
                    raise ValueError(f"optuna: the snapshot tells trial {number}, which is not "
                                     "pending at that point")
                del self._pending[number]
                vals = None if values is None else [float(v) for v in values]
                if vals is not None and not all(math.isfinite(v) for v in vals):
                    raise ValueError(f"optuna: the snapshot tells trial {number} non-finite "
                                     f"values {values}")
                self._tell_optuna(number, vals, rejected=kind == "rejected")
                self._record(["tell", number, kind, vals])
            else:
                arch, vals = self.space.canonical(e[1]), [float(v) for v in e[2]]
                self._add(arch, vals)
                self._record(["add", arch, vals])
