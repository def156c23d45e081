"""ASHA's promotion rule (Li et al., MLSys 2020, Algorithm 2), checked step by step."""

from __future__ import annotations

from nasbench_ui import spaces, strategies
from nasbench_ui.storage import Trial, TrialState


def test_asha_promotes_the_top_1_over_eta_without_waiting() -> None:
    space = spaces.nb201()
    s = strategies.create("asha", space, seed=0,
                          options={"eta": 2, "min_budget": 1, "max_budget": 4})
    assert s.levels == [1, 2, 4]
    number = [0]

    def run(value: float) -> dict:
        arch = s.ask()
        meta = s.ask_meta()
        s.tell(arch, value, Trial(number[0], TrialState.COMPLETE, arch, value, meta=meta))
        number[0] += 1
        return meta

    m = [run(v) for v in (0.2, 0.6)]
    assert [x["rung"] for x in m] == [0, 0]
    # 2 results at rung 0: the top floor(2/2) = 1 (trial 1, 0.6) goes to rung 1
    m2 = run(0.7)
    assert (m2["rung"], m2["promoted_from"], m2["budget"]) == (1, 1, {"epochs": 2})
    # rung 1 has 1 result (floor(1/2) = 0 promotable); rung 0's top 1 is promoted already
    m3 = run(0.9)
    assert m3["rung"] == 0 and "promoted_from" not in m3
    # rung 0 now 0.2, 0.6, 0.9: top floor(3/2) = 1 is trial 3 (0.9): promoted
    m4 = run(0.95)
    assert (m4["rung"], m4["promoted_from"]) == (1, 3)
    # rung 1: 0.7 (trial 2), 0.95 (trial 4): top 1 is trial 4, promoted to the top rung
    m5 = run(0.99)
    assert (m5["rung"], m5["promoted_from"], m5["budget"]) == (2, 4, {"epochs": 4})
    # configs keep their identity through the rungs
    assert m5["config"] == m4["config"] == m3["config"]


def test_asha_with_data_fraction_budgets() -> None:
    s = strategies.create("asha", spaces.nb201(), seed=0, options={
        "eta": 3, "fidelity": "data_fraction", "min_budget": 0.1, "max_budget": 1.0})
    s.ask()
    assert s.ask_meta()["budget"] == {"data_fraction": 0.111111}
