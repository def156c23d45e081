"""The predictor of BANANAS: an ensemble of small ReLU MLPs trained as one batched model.

White, Neiswanger & Savani, "BANANAS: Bayesian Optimization with Neural Architectures for
Neural Architecture Search", AAAI 2021, section 3: an ensemble of feed-forward networks
whose spread is the uncertainty of the acquisition. Here every member is trained at once
(weights ``(E, in, out)``), in numpy, with full-batch Adam (Kingma & Ba, ICLR 2015).
"""

from __future__ import annotations

import math
import statistics

import numpy as np

ADAM_BETAS = (0.9, 0.999)
#: The predictors' number type: single precision halves the work of a training step and
#: is ample for ranking candidates.
DTYPE = np.float32

def normal_scores(y: np.ndarray) -> np.ndarray:
    """The ranks of ``y`` as normal scores, ``Phi^-1((rank - 0.5) / n)`` (ties share
    their mean rank): targets that keep the order of the values but not their scale, so
    that a few very bad results do not dominate a squared error (an output warping, as
    in HEBO: Cowen-Rivers et al., JAIR 2022).

    Example:
        >>> normal_scores(np.array([3.0, 10.0, 1.0, 3.0])).round(3).tolist()
        [0.0, 1.15, -1.15, 0.0]
    """
    y = np.asarray(y, dtype=float)
    if len(y) == 0:
        return y.copy()
    _, inverse = np.unique(y, return_inverse=True)
    order = np.argsort(y, kind="stable")
    ranks = np.empty(len(y))
    ranks[order] = np.arange(1, len(y) + 1)
    ranks = (np.bincount(inverse, ranks) / np.bincount(inverse))[inverse]  # ties: mean rank
    dist = statistics.NormalDist()
    return np.array([dist.inv_cdf((r - 0.5) / len(y)) for r in ranks])


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
        rng = np.random.default_rng(seed)  # drawn in float64, kept in float32 (DTYPE)
        sizes = [n_in] + [hidden] * layers + [1]
        shapes = [(ensemble, a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
        shapes += [(ensemble, 1, b) for b in sizes[1:]]
        self.theta = np.zeros(sum(math.prod(sh) for sh in shapes), dtype=DTYPE)
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
        target = ((y - self.y_mean) / self.y_std).astype(DTYPE)[None, :, None]  # (1, n, 1)
        x = x.astype(DTYPE, copy=False)
        xt = x.T[None]  # (1, d, n)
        m1, m2, tmp = (np.zeros_like(self.theta) for _ in range(3))
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
            m1 *= b1  # Adam, in place
            np.multiply(self.grad, 1 - b1, out=tmp)
            m1 += tmp
            m2 *= b2
            np.multiply(self.grad, self.grad, out=tmp)
            tmp *= 1 - b2
            m2 += tmp
            np.sqrt(m2, out=tmp)
            tmp += 1e-8
            np.divide(m1, tmp, out=tmp)
            tmp *= lr * math.sqrt(1 - b2 ** step) / (1 - b1 ** step)
            self.theta -= tmp
        return self

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation over the members, in the targets' units."""
        out = self._forward(x.astype(DTYPE, copy=False))[-1][:, :, 0].astype(float)
        out = out * self.y_std + self.y_mean  # (E, m)
        sd = out.std(axis=0, ddof=1) if len(out) > 1 else np.zeros(out.shape[1])
        return out.mean(axis=0), sd
