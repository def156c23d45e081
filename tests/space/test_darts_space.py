"""The ``darts`` preset (space/darts_space.py): the published DARTS space in the space
model; sampling, mutation by the strategies and JSON round trips."""

from __future__ import annotations

import random

import pytest

from nasbench_ui import spaces, strategies
from nasbench_ui.space.darts_space import DARTS_SPACE_OPS, genotype, is_darts
from nasbench_ui.space.spec import SearchSpace


def test_the_space_has_the_papers_structure():
    s = spaces.get("darts")
    assert set(DARTS_SPACE_OPS) == {"none", "max_pool_3x3", "avg_pool_3x3", "skip_connect",
                                    "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5"}
    ops = [lb for lb in s.labels if "<-" in lb]
    assert len(ops) == 2 * (2 + 3 + 4 + 5)  # two cells, node i has i + 2 candidate inputs
    assert all(s.decision(lb).choices() == DARTS_SPACE_OPS for lb in ops)
    choices = [lb for lb in s.labels if lb.endswith(".inputs")]
    assert choices == [f"{c}.n{i}.inputs" for c in ("normal", "reduce") for i in (1, 2, 3)]
    assert s.decision("reduce.n3.inputs").candidates == (
        "reduce.c0", "reduce.c1", "reduce.n0", "reduce.n1", "reduce.n2")
    assert s.node("normal.out").merge == "concat"


def test_sampled_archs_pick_two_distinct_inputs_per_node_and_round_trip():
    s = spaces.darts()
    rng = random.Random(3)
    for _ in range(20):
        a = s.sample(rng)
        g = genotype(s, a)
        for cell in ("normal", "reduce"):
            for i, ((_, x), (_, y)) in enumerate(g[cell]):
                assert x < y < i + 2
    t = SearchSpace.from_json(s.to_json())
    assert t == s and is_darts(t)
    assert t.key(a) == s.key(a)


@pytest.mark.parametrize("name", ["random", "evolution"])
def test_strategies_sample_and_mutate_it(name):
    s = spaces.darts()
    strat = strategies.create(name, s, seed=0, options={"population": 4, "sample_size": 2}
                              if name == "evolution" else {})
    seen = []
    for i in range(8):
        a = strat.ask()
        s.validate(a)
        seen.append(s.key(a))
        strat.tell(a, 0.1 * (i % 3), None)
    assert len(set(seen)) >= 6


def test_mutation_changes_one_decision():
    s = spaces.darts()
    a = s.sample(random.Random(0))
    b, label = s.mutation(a, random.Random(1))
    assert [k for k in a if a[k] != b[k]] == [label]
