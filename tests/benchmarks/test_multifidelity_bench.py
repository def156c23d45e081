"""``benchmarks/multifidelity.py``: a one-seed run writes its anytime table, and the
simulated early-stopping baseline prunes by the median rule on the table's curves."""

from __future__ import annotations

import json
import sys

import pytest
from helpers import REPO_ROOT

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks import multifidelity as mf  # noqa: E402
from nasbench_ui.storage import TrialState  # noqa: E402
from nasbench_ui.tables import digits  # noqa: E402


def test_one_seed_writes_the_anytime_table(tmp_path) -> None:
    out = tmp_path / "mf.json"
    result = mf.main(["--seeds", "1", "--seconds", "16", "--out", str(out)])
    stored = json.loads(out.read_text())
    assert stored == json.loads(json.dumps(result))
    assert set(stored["methods"]) == {"random", "early_stop", "hyperband", "bohb"}
    best = stored["table_best"]["test_acc"]
    for method, r in stored["methods"].items():
        assert list(r["anytime_test_acc"]) == ["2", "4", "8", "16"], method
        means = [s["mean"] for s in r["anytime_test_acc"].values() if s["mean"] is not None]
        assert means and all(0.0 < m <= best for m in means)
    assert stored["methods"]["random"]["vs_random"]["test_acc_gap_at_end"] == 0.0
    # the schedulers made more (cheaper) queries than random search in the same seconds
    assert stored["methods"]["hyperband"]["queries_mean"] > \
        stored["methods"]["random"]["queries_mean"]


def test_curve_early_stop_prunes_and_charges_the_epochs_it_ran() -> None:
    exp = mf.experiment("early_stop", seed=0, seconds=20.0).run()
    costs = digits().set_index("arch_str")["cost_s"]
    pruned = [t for t in exp.trials if t.state is TrialState.PRUNED]
    assert pruned, "some trials stop early"
    for t in exp.trials:
        if t.state in (TrialState.PRUNED, TrialState.COMPLETE):
            epochs = len(t.curve)
            assert t.metrics["epochs"] == epochs
            assert t.metrics["cost_s"] == \
                pytest.approx(costs[exp.space.key(t.arch)] * epochs / 8)
