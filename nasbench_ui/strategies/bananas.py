"""BANANAS: Bayesian optimisation with an ensemble of neural-network predictors.

White, Neiswanger & Savani, "BANANAS: Bayesian Optimization with Neural Architectures
for Neural Architecture Search", AAAI 2021. The first ``initial`` asks are random.
Then every ask:

1. trains an ensemble of ``ensemble`` small MLPs (numpy, all members as one batched
   model, full-batch Adam, each from its own random initialisation) on the told
   architectures to predict the value. ``encoding="onehot"`` (default) is
   ``space.encode``; ``encoding="path"`` adds the paper's path encoding where the space
   is a cell of operation edges: a one-hot of the operations along each input-output
   path (left out above :data:`PATH_FEATURES` features);
2. builds candidates: ``candidates`` mutations (1 to ``mutations`` one-decision
   steps) of the ``parents`` best architectures so far, plus ``random_candidates``
   random ones, as numpy arrays of choice indices (:class:`ArchCodec`);
3. picks the candidate with the best acquisition over the ensemble's mean ``mu`` and
   standard deviation ``sd``: ``its`` (independent Thompson sampling, the paper's
   choice: one draw from N(mu, sd) per candidate), ``ucb`` (``mu + beta * sd``) or
   ``mean`` (``mu``, pure exploitation), skipping every architecture already asked
   (told or pending) and every one the constraint rejects. With
   ``equivalence="function"`` (default) it also skips every architecture that computes
   the same function as one asked before (dead edges, interchangeable nodes, identity
   edges: :mod:`nasbench_ui.space.canonical`, from the space's structure alone), random
   asks included, and the predictor sees each cell with its dead edges dropped. On
   NAS-Bench-201 (CIFAR-10 columns, 150 seeds) this raised the picked cells' test
   accuracy at 6,000 simulated seconds from 90.96 to 91.02 (12,000 s: 91.10 to 91.11).

Three options (off by default) change the data the search starts from and learns on:
``prior="params"`` makes every random ask (the initial design) the architecture with the
most parameters among ``prior_draws`` random ones, a zero-cost proxy computed from the
space (:mod:`.params_prior`; Abdelfattah et al., ICLR 2021); ``target="rank"`` trains the
predictors on the normal scores of the values' ranks (:func:`.mlp_ensemble.normal_scores`,
so ``ask_meta()["predicted"]`` is then in those units); ``prune_asks=True`` asks every
architecture with its dead edges set to the zero operation, the same function but cheaper
to train where a dead edge still runs.

Training cost: the ensemble is trained from scratch (``epochs`` steps, a seed drawn
from the strategy's generator) once ``retrain_every`` new results have arrived since
the last such training; in between, each new result may continue the current weights
for ``warm_epochs`` steps on all the data (default 0: no update; on NAS-Bench-201 the
warm steps cost 40 % of a run's time and did not change the picked cells' accuracy at
12,000 s over 300 seeds: 91.08 with 10 steps, 91.11 with none). The snapshot keeps
that schedule (``fit``: ``[n0, seed, n1, n2, ...]``, the numbers of results trained
on), so a loaded strategy replays the same trainings from its history and continues
exactly; ``retrain_every=1, warm_epochs=0`` is the paper's retraining on every result.
Asynchronous use: asks
may be pending; a pending architecture is never proposed again. While fewer than
``initial`` results (counting pending random asks) or fewer than two are known, asks
are random. Failed trials (value None) are never proposed again and are not
trained on. ``ask_meta()``: ``{"parent", "mutation", "predicted"}`` (the parent's
trial number, the changed labels and the ensemble's mean for the chosen candidate).

Example:
    >>> from nasbench_ui import spaces
    >>> space = spaces.nb201()
    >>> s = Bananas(space, seed=0, initial=5, epochs=50)
    >>> for _ in range(8):
    ...     a = s.ask(); s.tell(a, float(list(a.values()).count("nor_conv_3x3")))
    >>> sorted(s.ask_meta()), len(s.history)
    (['mutation', 'parent', 'predicted'], 8)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..options import Option
from ..space.canonical import Equivalence
from .arch_codec import ArchCodec
from .base import (
    StrategyBase,
    clean_value,
    copy_arch,
    drop_pending,
)
from .mlp_ensemble import MLPEnsemble, normal_scores
from .params_prior import ParamsPrior

if TYPE_CHECKING:
    from ..storage.trial import Trial

RANDOM_TRIES = 100
"""Random draws made to find an architecture whose function was not asked before."""


class Bananas(StrategyBase):
    """Neural-ensemble Bayesian optimisation with mutated candidates (White et al. 2021)."""

    NAME = "bananas"
    OPTIONS = {
        "initial": Option(int, 10, low=1, help="random architectures before the predictor"),
        "ensemble": Option(int, 5, low=1, high=64, help="number of MLP predictors"),
        "candidates": Option(int, 100, low=1, help="mutated candidates scored per ask"),
        "parents": Option(int, 10, low=1, help="best architectures the candidates mutate"),
        "mutations": Option(int, 2, low=1, help="most one-decision steps per candidate"),
        "random_candidates": Option(int, 100, low=0, help="random candidates added per ask"),
        "acquisition": Option(str, "its", choices=("its", "ucb", "mean"),
                              help="its (Thompson), ucb (mean + beta * sd) or mean"),
        "beta": Option(float, 1.0, low=0.0, help="ucb exploration weight"),
        "epochs": Option(int, 50, low=1, help="full-batch Adam steps per training"),
        "hidden": Option(int, 32, low=1, high=1024, help="units per hidden layer"),
        "layers": Option(int, 2, low=1, high=8, help="hidden layers per MLP"),
        "learning_rate": Option(float, 0.03, low=1e-6, high=1.0, help="Adam step size"),
        "encoding": Option(str, "onehot", choices=("path", "onehot"),
                           help="onehot (space.encode) or path (one-hot plus the operations "
                                "along each input-output path of a cell)"),
        "retrain_every": Option(int, 10, low=1,
                                help="new results between two trainings from scratch"),
        "equivalence": Option(str, "function", choices=("function", "none"),
                              help="function: never ask an architecture that computes the same "
                                   "function as one asked before (space/canonical.py), and "
                                   "encode each cell with its dead edges dropped; none: off"),
        "warm_epochs": Option(int, 0, low=0,
                              help="Adam steps from the current weights on each new result "
                                   "(0: the ensemble only changes at a retraining)"),
        "prior": Option(str, "none", choices=("none", "params"),
                        help="random asks: none (uniform) or params: the one with the most "
                             "parameters among prior_draws random ones (a zero-cost proxy, "
                             "strategies/params_prior.py)"),
        "prior_draws": Option(int, 4, low=1, high=1000,
                              help="random architectures a random ask chooses among (prior)"),
        "target": Option(str, "value", choices=("value", "rank"),
                         help="what the predictors fit: the values, or their ranks as normal "
                              "scores (a few very bad results do not dominate the fit)"),
        "prune_asks": Option(bool, False,
                             help="ask each architecture with its dead edges set to the zero "
                                  "operation: the same function, cheaper where dead edges "
                                  "still run (needs equivalence='function')"),
    }

    def __init__(self, space: Any, seed: int = 0, constraint: Any = None, **options: Any) -> None:
        super().__init__(space, seed, constraint, **options)
        self._codec = ArchCodec(space, paths=self.options["encoding"] == "path")
        self._history: list[dict[str, Any]] = []  # told, in order: arch, key, value, number
        self._rows: list[np.ndarray] = []  # the choice indices of each told architecture
        self._row_lists: list[list[int]] = []  # the same, as lists (for the snapshot)
        self._pending: list[list[str]] = []  # asked, not told: [key, kind]
        self._seen: set[str] = set()
        self._codes: set[Any] = set()  # codes of architectures known to be in _seen
        self._fit: list[int] | None = None  # [successes trained on, seed] of the ensemble
        self._model: MLPEnsemble | None = None
        self._eq = Equivalence(space) if self.options["equivalence"] == "function" else None
        self._functions: set[str] = set()  # functional keys of the told and pending archs
        self._pending_rows: dict[str, list[int]] = {}  # key -> row of each pending ask
        self._prior = ParamsPrior(space) if self.options["prior"] == "params" else None

    @property
    def history(self) -> list[dict[str, Any]]:
        """Told results in order (copies): ``{"arch", "key", "value", "number"}``."""
        return [dict(h, arch=copy_arch(h["arch"])) for h in self._history]

    def _successes(self) -> list[int]:
        return [i for i, h in enumerate(self._history) if h["value"] is not None]

    def _ensemble(self, data: list[int]) -> MLPEnsemble:
        """The predictors. ``fit`` is ``[n0, seed, n1, n2, ...]``: trained from scratch
        (seed ``seed``, ``epochs`` steps) on the first ``n0`` successes, then warm-started
        for ``warm_epochs`` steps on the first ``n1``, ``n2``... successes. A new result
        adds a warm step (or, with ``warm_epochs=0``, nothing); ``retrain_every`` results
        after ``n0`` the ensemble is trained from scratch again."""
        o = self.options
        fit = self._fit
        if fit is None or len(data) >= fit[0] + o["retrain_every"]:
            fit, self._model = [len(data), self.rng.getrandbits(32)], None
        elif o["warm_epochs"] and len(data) > fit[-1 if len(fit) > 2 else 0]:
            fit = [*fit, len(data)]
        if self._model is None or fit != self._fit:
            self._train(fit, data)
        self._fit = fit
        assert self._model is not None
        return self._model

    def _train(self, fit: list[int], data: list[int]) -> None:
        """Bring the model to ``fit``, reusing it when ``fit`` extends the current one."""
        o = self.options
        done = 0 if self._model is None or self._fit is None else len(self._fit)
        if done < 2 or fit[:done] != self._fit:
            done = 0
        for i in range(max(done, 1), len(fit)):
            used = data[: fit[0] if i == 1 else fit[i]]
            x = self._encode(np.array([self._rows[j] for j in used]))
            y = np.array([self._history[j]["value"] for j in used])
            if o["target"] == "rank":
                y = normal_scores(y)
            if i == 1:
                self._model = MLPEnsemble(x.shape[1], o["ensemble"], o["hidden"], o["layers"],
                                          seed=fit[1]).fit(x, y, o["epochs"], o["learning_rate"])
            else:
                assert self._model is not None
                self._model.fit(x, y, o["warm_epochs"], o["learning_rate"])

    def _encode(self, rows: np.ndarray) -> np.ndarray:
        """The predictor's features: each row with its dead edges dropped, encoded."""
        if self._eq is None or not self._eq.judgeable:
            return self._codec.encode(rows)
        return self._codec.encode(self._eq.pruned_rows(rows, self._codec.labels,
                                                       self._codec.choices))

    def _function(self, arch: dict[str, Any]) -> str | None:
        return None if self._eq is None else self._eq.key(arch)

    def _candidates(self, data: list[int], gen: np.random.Generator
                    ) -> tuple[np.ndarray, np.ndarray]:
        """Rows of ``candidates`` mutations (1 to ``mutations`` steps) of the ``parents``
        best results, then ``random_candidates`` random rows; and each one's parent (an
        index into the history, -1 for a random one). May hold seen architectures."""
        o, sizes = self.options, self._codec.sizes
        top = sorted(data, key=lambda i: -self._history[i]["value"])[: o["parents"]]
        n = o["candidates"]
        parent = np.array(top, dtype=np.int64)[np.arange(n) % len(top)]
        rows = np.array([self._rows[i] for i in top])[np.arange(n) % len(top)]
        movable = np.flatnonzero(sizes > 1)
        steps = gen.integers(1, o["mutations"] + 1, n)
        for step in range(o["mutations"] if len(movable) else 0):
            d = movable[gen.integers(0, len(movable), n)]
            shift = gen.integers(1, sizes[d])  # to another value, uniformly
            at = np.flatnonzero(steps > step)
            rows[at, d[at]] = (rows[at, d[at]] + shift[at]) % sizes[d[at]]
        randoms = gen.integers(0, sizes, (o["random_candidates"], len(sizes)))
        return (np.concatenate([rows, randoms]),
                np.concatenate([parent, np.full(len(randoms), -1, dtype=np.int64)]))

    def _score(self, mu: np.ndarray, sd: np.ndarray, gen: np.random.Generator) -> np.ndarray:
        kind = self.options["acquisition"]
        if kind == "its":
            return mu + sd * gen.standard_normal(len(mu))
        if kind == "ucb":
            return mu + self.options["beta"] * sd
        return mu

    def _choose(self, rows: np.ndarray, parents: np.ndarray, scores: np.ndarray
                ) -> tuple[dict[str, Any], int] | None:
        """The best-scored candidate not asked before that the constraint allows."""
        codes = self._codec.codes(rows)
        for i in np.argsort(-scores, kind="stable").tolist():
            if codes[i] in self._codes:
                continue
            arch = self._codec.arch(rows[i])
            if self.space.key(arch) in self._seen or self._function(arch) in self._functions:
                self._codes.add(codes[i])
                continue
            if self.allowed(arch):
                return arch, i
        return None

    def ask(self) -> dict[str, Any]:
        """A random architecture at first, then the best candidate by the acquisition."""
        data = self._successes()
        pending_random = sum(1 for _, kind in self._pending if kind == "random")
        chosen = None
        if len(data) >= 2 and len(data) + pending_random >= self.options["initial"]:
            model = self._ensemble(data)
            gen = np.random.default_rng(self.rng.getrandbits(64))
            rows, parents = self._candidates(data, gen)
            mu, sd = model.predict(self._encode(rows))
            chosen = self._choose(rows, parents, self._score(mu, sd, gen))
        if chosen is None:
            arch = self._random_ask()
            kind, self._meta = "random", {"parent": None, "mutation": None, "predicted": None}
        else:
            arch, i = self._pruned(chosen[0]), chosen[1]
            kind = "model"
            parent = self._history[int(parents[i])] if parents[i] >= 0 else None
            changed = [] if parent is None else [
                lb for lb in self.space.labels if arch[lb] != parent["arch"][lb]]
            self._meta = {"parent": parent["number"] if parent else None,
                          "mutation": ",".join(changed) or None,
                          "predicted": round(float(mu[i]), 6)}
        key = self.space.key(arch)
        self._seen.add(key)
        self._codes.update(self._codec.codes(self._codec.row(arch)[None]))
        self._pending.append([key, kind])
        if self._eq is not None:
            self._functions.add(self._eq.key(arch))
            self._pending_rows[key] = self._codes_row(arch)
        return copy_arch(arch)

    def _random_function(self) -> dict[str, Any]:
        """A random allowed architecture, unseen, whose function was not asked before
        (when one is found in :data:`RANDOM_TRIES` draws)."""
        arch = self._random_unseen(self._seen)
        for _ in range(RANDOM_TRIES if self._eq is not None else 0):
            if self._function(arch) not in self._functions:
                break  # else another draw: the same function was asked before
            arch = self._random_unseen(self._seen)
        return arch

    def _random_ask(self) -> dict[str, Any]:
        """A random ask: uniform, or with ``prior="params"`` the largest of
        ``prior_draws`` random ones (dead edges dropped with ``prune_asks``)."""
        if self._prior is None:
            return self._pruned(self._random_function())
        draws = [self._pruned(self._random_function())
                 for _ in range(self.options["prior_draws"])]
        return draws[self._prior.best(draws)]

    def _pruned(self, arch: dict[str, Any]) -> dict[str, Any]:
        """With ``prune_asks``: ``arch`` with its dead edges set to the zero operation,
        unless that one was asked before or the constraint rejects it."""
        if not self.options["prune_asks"] or self._eq is None:
            return arch
        pruned = self._eq.pruned(arch)
        if pruned == arch or self.space.key(pruned) in self._seen or not self.allowed(pruned):
            return arch
        return pruned

    def _codes_row(self, arch: dict[str, Any]) -> list[int]:
        return self._codec.row(arch).tolist()

    def _record(self, arch: dict[str, Any], key: str, value: Any, number: Any) -> None:
        self._history.append({"arch": arch, "key": key, "value": clean_value(value),
                              "number": number})
        self._rows.append(self._codec.row(arch))
        self._row_lists.append(self._rows[-1].tolist())
        self._seen.add(key)
        self._codes.update(self._codec.codes(self._rows[-1][None]))
        if self._eq is not None:
            self._functions.add(self._eq.key(arch))

    def tell(self, arch: dict[str, Any], value: float | None, trial: Trial | None = None) -> None:
        """Record a result; the predictors retrain on a later ask."""
        key = self.space.key(arch)
        drop_pending(self._pending, key)
        self._pending_rows.pop(key, None)
        self._record(self.space.canonical(arch), key, value,
                     trial.number if trial is not None else None)

    def state_dict(self) -> dict[str, Any]:
        """The snapshot: the base, the told results as columns (each architecture as its
        row of choice indices, see :class:`ArchCodec`), the pending asks and ``fit``.

        Saved at every ask and tell, so it is kept compact: no architecture dicts.
        """
        return {**self._base_state(), "rows": list(self._row_lists),
                "values": [h["value"] for h in self._history],
                "numbers": [h["number"] for h in self._history],
                "pending": [list(p) for p in self._pending],
                "pending_rows": dict(self._pending_rows),
                "fit": list(self._fit) if self._fit else None}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a snapshot; one with a ``history`` of dicts (before the compact
        columns) loads too."""
        self._load_base(state, ("pending", "fit"))
        self._history, self._rows, self._row_lists = [], [], []
        self._seen, self._codes, self._functions = set(), set(), set()
        self._pending_rows = {}
        if "history" in state:
            told = [(self.space.canonical(h["arch"]), h["value"], h["number"])
                    for h in state["history"]]
        elif all(k in state for k in ("rows", "values", "numbers")):
            rows, values, numbers = state["rows"], state["values"], state["numbers"]
            if not len(rows) == len(values) == len(numbers):
                raise ValueError("bananas: a snapshot's rows, values and numbers differ in "
                                 f"length ({len(rows)}, {len(values)}, {len(numbers)})")
            told = [(self._codec.arch(self._codec.check_row(r)), v, n)
                    for r, v, n in zip(rows, values, numbers, strict=True)]
        else:
            raise ValueError("bananas: a snapshot needs 'rows', 'values' and 'numbers' "
                             "(or an older 'history')")
        for arch, value, number in told:
            self._record(arch, self.space.key(arch), value, number)
        self._pending = [[str(k), str(kind)] for k, kind in state["pending"]]
        self._seen |= {k for k, _ in self._pending}
        for k, row in (state.get("pending_rows") or {}).items():  # absent before 'equivalence'
            arch = self._codec.arch(self._codec.check_row(row))
            self._pending_rows[str(k)] = row
            if self._eq is not None:
                self._functions.add(self._eq.key(arch))
        fit = state["fit"]
        self._fit = [int(f) for f in fit] if fit else None
        self._model = None  # retrained from the history with the same seed on the next ask
