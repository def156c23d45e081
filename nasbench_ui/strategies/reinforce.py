"""REINFORCE policy gradient over architecture decisions.

Zoph & Le, "Neural Architecture Search with Reinforcement Learning", ICLR 2017, with
the REINFORCE estimator of Williams, Machine Learning 8, 1992. Simplified controller:
no RNN; the policy is an *independent categorical distribution per decision*, one
vector of logits each (numpy). Update after each told reward ``R``::

    logits += learning_rate * ((R - b) * grad log p(sample) + entropy_weight * grad H)
    b = baseline_decay * b + (1 - baseline_decay) * R      # b starts at the first R

Input choices (keep ``k`` of ``n`` inputs): with at most 64 combinations every
combination is one category (exact ``log p`` of the set). Above that, ``k`` inputs are
drawn one after another without replacement, each from a softmax over the remaining
candidates; the log-probability used is that of the *ordered draw* that produced the
set (the sum of the step log-softmaxes), which keeps the estimator unbiased; the draw
order is remembered per pending ask. The entropy bonus of such a decision is that of
its first-step softmax.

Rewards are the told values as given (scale them to a range like 0..1 or 0..10 for
the default learning rate). A failed trial (value None, NaN) is skipped: no update.
An architecture told without a matching ask (history) updates the policy when all its
decisions are plain categories, and is skipped otherwise. With a constraint,
rejected draws are redrawn; the gradient is that of the unconstrained policy.

Example:
    >>> from nasbench_ui import spaces
    >>> rl = Reinforce(spaces.nb201(), seed=0, learning_rate=0.5)
    >>> for _ in range(30):
    ...     a = rl.ask(); rl.tell(a, float(list(a.values()).count("nor_conv_3x3")))
    >>> rl.probabilities()["1<-0"]["nor_conv_3x3"] > 0.2
    True
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ..options import Option
from ..space.decisions import InputChoice
from .base import MAX_TRIES, StrategyBase, clean_value, no_arch_error

if TYPE_CHECKING:
    from ..storage.trial import Trial

COMBINATION_LIMIT = 64


def softmax(logits: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Softmax of ``logits``; entries where ``mask`` is False get probability 0."""
    z = np.where(mask, logits, -np.inf) if mask is not None else logits
    e = np.exp(z - np.max(z))
    return e / e.sum()


def draw(p: np.ndarray, u: float) -> int:
    """The index whose cumulative probability first exceeds ``u`` in [0, 1)."""
    c = np.cumsum(p)
    return min(int(np.searchsorted(c, u * c[-1], side="right")), len(p) - 1)


def log_prob(logits: np.ndarray, sample: int | list[int]) -> float:
    """``log p`` of a category (int) or of an ordered draw without replacement (list)."""
    if isinstance(sample, int):
        return float(np.log(softmax(logits)[sample]))
    mask, total = np.ones(len(logits), dtype=bool), 0.0
    for j in sample:
        total += float(np.log(softmax(logits, mask)[j]))
        mask[j] = False
    return total


def grad_log_prob(logits: np.ndarray, sample: int | list[int]) -> np.ndarray:
    """The gradient of :func:`log_prob` with respect to ``logits``."""
    steps = [sample] if isinstance(sample, int) else list(sample)
    mask, g = np.ones(len(logits), dtype=bool), np.zeros(len(logits))
    for j in steps:
        g -= softmax(logits, mask)
        g[j] += 1.0
        mask[j] = False
    return g


def grad_entropy(logits: np.ndarray) -> np.ndarray:
    """The gradient of the entropy ``-sum p log p`` of ``softmax(logits)``."""
    p = softmax(logits)
    logp = np.log(np.maximum(p, 1e-300))
    return -p * (logp + float(-(p * logp).sum()))


def _copy_record(record: list[Any]) -> list[Any]:
    return [list(s) if isinstance(s, list) else int(s) for s in record]


class Reinforce(StrategyBase):
    """REINFORCE with a moving-average baseline (Zoph & Le, ICLR 2017), per-decision logits."""

    NAME = "reinforce"
    OPTIONS = {
        "learning_rate": Option(float, 0.1, low=0.0, help="step size of the policy update"),
        "baseline_decay": Option(float, 0.9, low=0.0, high=1.0,
                                 help="decay of the moving-average reward baseline"),
        "entropy_weight": Option(float, 1e-3, low=0.0, help="weight of the entropy bonus"),
    }

    def __init__(self, space: Any, seed: int = 0, constraint: Any = None, **options: Any) -> None:
        super().__init__(space, seed, constraint, **options)
        self._heads: list[tuple[str, str, tuple[Any, ...]]] = []  # (label, mode, values)
        for d in space.decisions:
            if isinstance(d, InputChoice) and math.comb(len(d.candidates), d.k) > COMBINATION_LIMIT:
                self._heads.append((d.label, "seq", tuple(sorted(d.candidates))))
            else:
                self._heads.append((d.label, "cat", tuple(d.choices())))
        self._k = {d.label: d.k for d in space.decisions if isinstance(d, InputChoice)}
        self._logits = [np.zeros(len(values)) for _, _, values in self._heads]
        self._baseline: float | None = None
        self._updates = 0
        self._pending: dict[str, list[list[Any]]] = {}

    def _draw(self) -> tuple[dict[str, Any], list[Any]]:
        arch: dict[str, Any] = {}
        record: list[Any] = []
        for (label, mode, values), logits in zip(self._heads, self._logits, strict=True):
            if mode == "cat":
                i = draw(softmax(logits), self.rng.random())
                v = values[i]
                arch[label] = list(v) if isinstance(v, list) else v
                record.append(i)
            else:
                mask, order = np.ones(len(values), dtype=bool), []
                for _ in range(self._k[label]):
                    j = draw(softmax(logits, mask), self.rng.random())
                    order.append(j)
                    mask[j] = False
                arch[label] = sorted(values[j] for j in order)
                record.append(order)
        return arch, record

    def ask(self) -> dict[str, Any]:
        """An architecture drawn from the current policy (redrawn until allowed)."""
        for _ in range(MAX_TRIES):
            arch, record = self._draw()
            if self.allowed(arch):
                break
        else:
            raise no_arch_error(self.NAME, MAX_TRIES)
        self._pending.setdefault(self.space.key(arch), []).append(record)
        self._meta = {}
        return arch

    def _record_of(self, arch: dict[str, Any]) -> list[Any] | None:
        """Category indices of an architecture that was not asked (None with a seq head)."""
        arch = self.space.canonical(arch)
        out = []
        for label, mode, values in self._heads:
            if mode != "cat":
                return None
            out.append(list(values).index(arch[label]))
        return out

    def tell(self, arch: dict[str, Any], value: float | None, trial: Trial | None = None) -> None:
        """One policy-gradient step on a told reward (none for a failed trial)."""
        key = self.space.key(arch)
        records = self._pending.get(key)
        record = records.pop(0) if records else None
        if records is not None and not records:
            del self._pending[key]
        reward = clean_value(value)
        if reward is None:
            return
        if record is None:
            record = self._record_of(arch)
            if record is None:
                return
        if self._baseline is None:
            self._baseline = reward
        advantage = reward - self._baseline
        lr, ent = self.options["learning_rate"], self.options["entropy_weight"]
        for i, sample in enumerate(record):
            logits = self._logits[i]
            step = advantage * grad_log_prob(logits, sample) + ent * grad_entropy(logits)
            self._logits[i] = logits + lr * step
        decay = self.options["baseline_decay"]
        self._baseline = decay * self._baseline + (1.0 - decay) * reward
        self._updates += 1

    def probabilities(self) -> dict[str, dict[str, float]]:
        """``{label: {str(choice): probability}}`` of the current policy (first draw for seq)."""
        out = {}
        for (label, _, values), logits in zip(self._heads, self._logits, strict=True):
            p = softmax(logits)
            out[label] = {str(v): float(q) for v, q in zip(values, p, strict=True)}
        return out

    @property
    def baseline(self) -> float | None:
        """The moving-average reward baseline (None before the first reward)."""
        return self._baseline

    def state_dict(self) -> dict[str, Any]:
        return {
            **self._base_state(),
            "logits": {
                h[0]: row.tolist() for h, row in zip(self._heads, self._logits, strict=True)
            },
            "baseline": self._baseline,
            "updates": self._updates,
            "pending": {k: [_copy_record(r) for r in v] for k, v in self._pending.items()},
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._load_base(state, ("logits", "baseline", "updates", "pending"))
        logits = []
        for label, _, values in self._heads:
            row = state["logits"].get(label)
            if row is None or len(row) != len(values):
                raise ValueError(
                    f"reinforce: the snapshot's logits for decision {label!r} do not match this "
                    f"space ({len(values)} choices)"
                )
            logits.append(np.asarray(row, dtype=float))
        self._logits = logits
        self._baseline = None if state["baseline"] is None else float(state["baseline"])
        self._updates = int(state["updates"])
        self._pending = {str(k): [_copy_record(r) for r in v] for k, v in state["pending"].items()}
