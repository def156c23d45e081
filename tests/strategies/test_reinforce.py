"""REINFORCE: learning, exact log-probabilities and their gradients, baseline."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from strategy_helpers import drive, fan_in_space

from nasbench_ui import spaces
from nasbench_ui.strategies import Reinforce, reinforce


def conv3_count(arch: dict) -> float:
    return float(list(arch.values()).count("nor_conv_3x3"))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reinforce_raises_its_reward(seed: int) -> None:
    rl = Reinforce(spaces.nb201(), seed=seed)
    rewards = [conv3_count(a) for a in drive(rl, conv3_count, 300)]
    first, last = sum(rewards[:50]) / 50, sum(rewards[-50:]) / 50
    assert last > first + 0.5, (first, last)  # random policy: 1.2 conv3 edges of 6
    assert rl.probabilities()["1<-0"]["nor_conv_3x3"] > 0.3


def test_reinforce_learns_sequential_input_choices() -> None:
    space = fan_in_space(10, 3)  # C(10, 3) = 120 sets: drawn one input after another
    rl = Reinforce(space, seed=0, learning_rate=0.5)

    def reward(arch: dict) -> float:
        return float(len({"a0", "a1", "a2"} & set(arch["m.inputs"])))

    rewards = [reward(a) for a in drive(rl, reward, 300)]
    assert sum(rewards[-50:]) / 50 > sum(rewards[:50]) / 50 + 0.5  # random: 0.9 of 3
    assert len(rl.state_dict()["logits"]["m.inputs"]) == 10


def test_small_input_choices_are_one_category_per_set() -> None:
    rl = Reinforce(fan_in_space(4, 2), seed=0)
    logits = rl.state_dict()["logits"]
    assert len(logits["m.inputs"]) == math.comb(4, 2) and len(logits["out<-m"]) == 3


@pytest.mark.parametrize("sample", [2, [3, 0, 1], [1], [4, 2, 0, 3, 1]])
def test_log_prob_gradient_matches_finite_differences(sample: int | list[int]) -> None:
    logits = np.array([0.3, -1.2, 0.8, 0.0, 2.0])
    g = reinforce.grad_log_prob(logits, sample)
    eps = 1e-6
    for i in range(len(logits)):
        up, down = logits.copy(), logits.copy()
        up[i] += eps
        down[i] -= eps
        fd = (reinforce.log_prob(up, sample) - reinforce.log_prob(down, sample)) / (2 * eps)
        assert g[i] == pytest.approx(fd, abs=1e-6)


def test_entropy_gradient_matches_finite_differences() -> None:
    logits = np.array([0.5, -0.7, 1.5, 0.1])

    def entropy(z: np.ndarray) -> float:
        p = reinforce.softmax(z)
        return float(-(p * np.log(p)).sum())

    g = reinforce.grad_entropy(logits)
    for i in range(len(logits)):
        d = np.zeros(len(logits))
        d[i] = 1e-6
        assert g[i] == pytest.approx((entropy(logits + d) - entropy(logits - d)) / 2e-6, abs=1e-6)


def test_sequential_draws_follow_the_log_probability_used_in_the_gradient(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reinforce, "COMBINATION_LIMIT", 1)  # force the sequential draw
    space = fan_in_space(4, 2)
    rl = Reinforce(space, seed=0)
    state = rl.state_dict()
    logits = [1.0, 0.0, -1.0, 0.5]
    state["logits"]["m.inputs"] = logits
    rl.load_state_dict(state)
    n = 4000
    counts: dict[tuple[str, ...], int] = {}
    for _ in range(n):
        s = tuple(rl.ask()["m.inputs"])
        counts[s] = counts.get(s, 0) + 1
    names = ["a0", "a1", "a2", "a3"]
    for pair in itertools.combinations(range(4), 2):
        p = sum(math.exp(reinforce.log_prob(np.array(logits), list(o)))
                for o in itertools.permutations(pair))
        observed = counts.get(tuple(names[i] for i in pair), 0) / n
        assert abs(observed - p) < 4 * math.sqrt(p * (1 - p) / n) + 1e-3, (pair, observed, p)


def test_baseline_is_a_moving_average_starting_at_the_first_reward() -> None:
    rl = Reinforce(spaces.nb201(), seed=0, baseline_decay=0.8)
    a = rl.ask()
    rl.tell(a, 2.0)
    assert rl.baseline == pytest.approx(2.0)
    logits = rl.state_dict()["logits"].values()
    assert max(abs(x) for row in logits for x in row) < 1e-12  # advantage 0, uniform entropy
    b = rl.ask()
    rl.tell(b, 7.0)
    assert rl.baseline == pytest.approx(0.8 * 2.0 + 0.2 * 7.0)
    probs = rl.probabilities()
    assert all(probs[lb][b[lb]] > 0.2 for lb in spaces.nb201().labels)  # rewarded above b


def test_told_history_updates_categories_but_not_unrecorded_sequential_draws() -> None:
    space = spaces.nb201()
    rl = Reinforce(space, seed=0)
    arch = {lb: "skip_connect" for lb in space.labels}
    rl.tell(arch, 1.0)  # baseline
    rl.tell(arch, 3.0)  # never asked: its categories are known, so the policy learns
    assert rl.probabilities()["1<-0"]["skip_connect"] > 0.2
    seq = Reinforce(fan_in_space(10, 3), seed=0)
    other = {"m.inputs": ["a0", "a1", "a2"], "out<-m": "relu"}
    seq.tell(other, 1.0)
    seq.tell(other, 3.0)
    assert seq.baseline is None  # skipped: the draw order is unknown
