"""BANANAS: Bayesian optimisation with an ensemble of neural-network predictors.

White, Neiswanger & Savani, "BANANAS: Bayesian Optimization with Neural Architectures
for Neural Architecture Search", AAAI 2021. The first ``initial`` asks are random.
Then every ask:

1. trains an ensemble of ``ensemble`` small MLPs (numpy, full-batch Adam, each from
   its own random initialisation) on the told architectures, encoded one-hot with
   ``space.encode`` (the paper's path encoding is not used: it is specific to cell
   spaces, the one-hot encoding works for every space), to predict the value;
2. builds candidates: ``candidates`` mutations (1 to ``mutations`` one-decision
   steps, ``space.mutation``) of the ``parents`` best architectures so far, plus
   ``random_candidates`` random ones, dropping every architecture already asked
   (told or pending) and every one the constraint rejects;
3. picks the candidate with the best acquisition over the ensemble's mean ``mu`` and
   standard deviation ``sd``: ``its`` (independent Thompson sampling, the paper's
   choice: one draw from N(mu, sd) per candidate), ``ucb`` (``mu + beta * sd``) or
   ``mean`` (``mu``, pure exploitation).

The ensemble is retrained only when a new result arrives; its random seed is drawn
from the strategy's generator and kept in the snapshot, so a loaded strategy retrains
the same predictors from its history and continues exactly. Asynchronous use: asks
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

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ..options import Option
from .base import (
    StrategyBase,
    clean_value,
    copy_arch,
    drop_pending,
)

if TYPE_CHECKING:
    from ..storage.trial import Trial

ADAM_BETAS = (0.9, 0.999)


class MLPEnsemble:
    """``ensemble`` ReLU MLP regressors trained at once (numpy; weights ``(E, in, out)``).

    Targets are standardised; each member starts from its own He initialisation and is
    trained on all the data with full-batch Adam on the mean squared error. All
    weights live in one flat vector (``theta``) so that an Adam step is a few numpy
    operations, whatever the depth.

    Example:
        >>> x = np.eye(4); y = np.array([0.0, 1.0, 2.0, 3.0])
        >>> m = MLPEnsemble(4, ensemble=3, hidden=16, layers=1, seed=0).fit(x, y, 300, 0.02)
        >>> mu, sd = m.predict(x)
        >>> bool(np.allclose(mu, y, atol=0.1)), sd.shape
        (True, (4,))
    """

    def __init__(self, n_in: int, ensemble: int = 5, hidden: int = 32, layers: int = 2,
                 seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        sizes = [n_in] + [hidden] * layers + [1]
        shapes = [(ensemble, a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
        shapes += [(ensemble, 1, b) for b in sizes[1:]]
        self.theta = np.zeros(sum(math.prod(sh) for sh in shapes))
        self.grad = np.zeros_like(self.theta)
        self.weights, self.biases, self._gw, self._gb = [], [], [], []
        offset = 0
        for i, sh in enumerate(shapes):
            n = math.prod(sh)
            p, g = self.theta[offset:offset + n].reshape(sh), self.grad[offset:offset + n].reshape(sh)
            offset += n
            if i < len(shapes) // 2:
                p[...] = rng.normal(0.0, math.sqrt(2.0 / sh[1]), sh)
                self.weights.append(p)
                self._gw.append(g)
            else:
                self.biases.append(p)
                self._gb.append(g)
        self.y_mean, self.y_std = 0.0, 1.0

    def _forward(self, x: np.ndarray) -> list[np.ndarray]:
        acts = [x]  # (n, d), then (E, n, h) per layer
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            z = acts[-1] @ w
            z += b
            if i < last:
                np.maximum(z, 0.0, out=z)
            acts.append(z)
        return acts

    def fit(self, x: np.ndarray, y: np.ndarray, epochs: int, lr: float) -> MLPEnsemble:
        """Train every member on ``(x, y)``; returns ``self``."""
        self.y_mean = float(y.mean())
        self.y_std = float(y.std()) or 1.0
        target = ((y - self.y_mean) / self.y_std)[None, :, None]  # (1, n, 1)
        xt = x.T[None]  # (1, d, n)
        m1, m2 = np.zeros_like(self.theta), np.zeros_like(self.theta)
        b1, b2 = ADAM_BETAS
        n, k = len(y), len(self.weights)
        for step in range(1, epochs + 1):
            acts = self._forward(x)
            delta = acts[-1] - target
            delta *= 2.0 / n  # d loss / d output, (E, n, 1)
            for i in range(k - 1, -1, -1):
                np.matmul(xt if i == 0 else acts[i].transpose(0, 2, 1), delta, out=self._gw[i])
                delta.sum(axis=1, keepdims=True, out=self._gb[i])
                if i:
                    delta = delta @ self.weights[i].transpose(0, 2, 1)
                    delta *= acts[i] > 0
            m1 *= b1
            m1 += (1 - b1) * self.grad
            m2 *= b2
            m2 += (1 - b2) * self.grad * self.grad
            corr = lr * math.sqrt(1 - b2 ** step) / (1 - b1 ** step)
            self.theta -= corr * m1 / (np.sqrt(m2) + 1e-8)
        return self

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation over the members, in the targets' units."""
        out = self._forward(x)[-1][:, :, 0] * self.y_std + self.y_mean  # (E, m)
        sd = out.std(axis=0, ddof=1) if len(out) > 1 else np.zeros(out.shape[1])
        return out.mean(axis=0), sd


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
    }

    def __init__(self, space: Any, seed: int = 0, constraint: Any = None, **options: Any) -> None:
        super().__init__(space, seed, constraint, **options)
        self._history: list[dict[str, Any]] = []  # told, in order: arch, key, value, number
        self._pending: list[list[str]] = []  # asked, not told: [key, kind]
        self._seen: set[str] = set()
        self._fit: list[int] | None = None  # [successes trained on, seed] of the ensemble
        self._model: MLPEnsemble | None = None

    @property
    def history(self) -> list[dict[str, Any]]:
        """Told results in order (copies): ``{"arch", "key", "value", "number"}``."""
        return [dict(h, arch=copy_arch(h["arch"])) for h in self._history]

    def _successes(self) -> list[dict[str, Any]]:
        return [h for h in self._history if h["value"] is not None]

    def _random(self) -> dict[str, Any]:
        """A random allowed architecture, not asked before when possible."""
        return self._random_unseen(self._seen)

    def _ensemble(self, data: list[dict[str, Any]]) -> MLPEnsemble:
        """The predictors trained on ``data`` (retrained only when it grew)."""
        if self._fit is None or self._fit[0] != len(data):
            self._fit, self._model = [len(data), self.rng.getrandbits(32)], None
        if self._model is None:
            o = self.options
            x = np.array([self.space.encode(h["arch"]) for h in data])
            y = np.array([h["value"] for h in data])
            self._model = MLPEnsemble(x.shape[1], o["ensemble"], o["hidden"], o["layers"],
                                      seed=self._fit[1]).fit(x, y, o["epochs"], o["learning_rate"])
        return self._model

    def _candidates(self, data: list[dict[str, Any]]) -> list[tuple[dict[str, Any], Any]]:
        """Unseen allowed mutations of the best results, and random ones: (arch, parent)."""
        o = self.options
        top = sorted(data, key=lambda h: -h["value"])[: o["parents"]]
        out: dict[str, tuple[dict[str, Any], Any]] = {}
        for i in range(o["candidates"]):
            parent = top[i % len(top)]
            arch = parent["arch"]
            for _ in range(self.rng.randint(1, o["mutations"])):
                arch, _label = self.space.mutation(arch, self.rng)
            key = self.space.key(arch)
            if key not in self._seen and key not in out and self.allowed(arch):
                out[key] = (arch, parent)
        for _ in range(o["random_candidates"]):
            arch = self.space.sample(self.rng)
            key = self.space.key(arch)
            if key not in self._seen and key not in out and self.allowed(arch):
                out[key] = (arch, None)
        return list(out.values())

    def _score(self, mu: np.ndarray, sd: np.ndarray) -> list[float]:
        kind = self.options["acquisition"]
        if kind == "its":
            return [self.rng.gauss(float(m), float(s)) if s > 0 else float(m)
                    for m, s in zip(mu, sd, strict=True)]
        if kind == "ucb":
            return [float(m + self.options["beta"] * s) for m, s in zip(mu, sd, strict=True)]
        return [float(m) for m in mu]

    def ask(self) -> dict[str, Any]:
        """A random architecture at first, then the best candidate by the acquisition."""
        data = self._successes()
        pending_random = sum(1 for _, kind in self._pending if kind == "random")
        cands = []
        if len(data) >= 2 and len(data) + pending_random >= self.options["initial"]:
            cands = self._candidates(data)
        if not cands:
            arch = self._random()
            kind, self._meta = "random", {"parent": None, "mutation": None, "predicted": None}
        else:
            model = self._ensemble(data)
            mu, sd = model.predict(np.array([self.space.encode(a) for a, _ in cands]))
            scores = self._score(mu, sd)
            best = max(range(len(cands)), key=scores.__getitem__)
            arch, parent = cands[best]
            kind = "model"
            changed = [] if parent is None else [
                lb for lb in self.space.labels if arch[lb] != parent["arch"][lb]]
            self._meta = {"parent": parent["number"] if parent else None,
                          "mutation": ",".join(changed) or None,
                          "predicted": round(float(mu[best]), 6)}
        key = self.space.key(arch)
        self._seen.add(key)
        self._pending.append([key, kind])
        return copy_arch(arch)

    def tell(self, arch: dict[str, Any], value: float | None, trial: Trial | None = None) -> None:
        """Record a result; the predictors retrain on the next ask."""
        key = self.space.key(arch)
        drop_pending(self._pending, key)
        self._seen.add(key)
        self._history.append({"arch": self.space.canonical(arch), "key": key,
                              "value": clean_value(value),
                              "number": trial.number if trial is not None else None})

    def state_dict(self) -> dict[str, Any]:
        return {**self._base_state(), "history": self.history,
                "pending": [list(p) for p in self._pending],
                "fit": list(self._fit) if self._fit else None}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._load_base(state, ("history", "pending", "fit"))
        self._history = [
            {"arch": self.space.canonical(h["arch"]), "key": str(h["key"]),
             "value": clean_value(h["value"]), "number": h["number"]}
            for h in state["history"]
        ]
        self._pending = [[str(k), str(kind)] for k, kind in state["pending"]]
        self._seen = {h["key"] for h in self._history} | {k for k, _ in self._pending}
        fit = state["fit"]
        self._fit = [int(fit[0]), int(fit[1])] if fit else None
        self._model = None  # retrained from the history with the same seed on the next ask
