"""``teaching.comparison``: one row per estimator setting, never two merged."""

from __future__ import annotations

import pandas as pd
import pytest

import nasbench_ui as nb
from nasbench_ui import teaching
from nasbench_ui.quality import GroundTruth
from nasbench_ui.teaching.comparison import Scores


def test_two_proxies_of_zero_cost_are_two_rows():
    """The workshop scores synflow and naswot (and the exercise grad_norm and snip) with
    one estimator; each must keep its own row and tau."""
    space, table = nb.spaces.digits_cell(), nb.benchmarks.digits()
    truth = GroundTruth(space, table, metric="valid_acc")
    scores = [teaching.score(space, "zero_cost", {"proxy": p}, cells=6)
              for p in ("synflow", "naswot")]
    assert [s.name for s in scores] == ["zero_cost (proxy=synflow)", "zero_cost (proxy=naswot)"]
    df = teaching.compare(truth, scores, table)
    assert list(df.index[-2:]) == [s.name for s in scores]
    assert not df.loc[[s.name for s in scores]].reference.any()


def test_a_name_given_is_kept_and_an_estimator_without_options_is_its_name():
    s = teaching.score("digits_cell", "tabular", {"table": "digits"}, cells=2, name="table")
    assert s.name == "table"
    assert teaching.score("digits_cell", "zero_cost", cells=2).name == "zero_cost"


def test_two_scores_of_one_name_are_refused_not_merged():
    space, table = nb.spaces.digits_cell(), nb.benchmarks.digits()
    truth = GroundTruth(space, table, metric="valid_acc")
    one = teaching.score(space, "zero_cost", {"proxy": "synflow"}, cells=3, name="proxy")
    other = Scores("proxy", one.trials, 1.0)
    with pytest.raises(ValueError, match="two rows would be named 'proxy'"):
        teaching.compare(truth, [one, other], table)
    with pytest.raises(ValueError, match="'full training'"):
        teaching.compare(truth, [Scores("full training", one.trials, 1.0)], table)


def _table(taus: list[float], ns: list[int]) -> pd.DataFrame:
    names = [f"est{i}" for i in range(len(taus))]
    return pd.DataFrame({"kendall_tau": taus, "n": ns, "s_per_cell": [0.1] * len(taus),
                         "x_cheaper": [10.0] * len(taus), "reference": [False] * len(taus)},
                        index=names)


def test_explain_states_the_noise_band_even_when_no_tau_falls_inside_it():
    """The workshop reads "a tau closer to zero than the band printed above": explain()
    must print the band whatever the taus, not only for a tau inside it."""
    text = teaching.explain(_table([0.8, 0.5, -0.6], [24, 24, 24]))
    assert "within ±" not in "\n".join(text.splitlines()[:-1]), "no tau here is inside the band"
    band = f"±{teaching.noise_band(24):.2f}"
    assert text.splitlines()[-1] == (f"Noise band: a tau within {band} of 0 is not told apart "
                                     "from chance on 24 cells.")


def test_explain_states_one_band_per_sample_size_and_none_without_one():
    text = teaching.explain(_table([0.8, 0.1], [24, 12]))
    last = text.splitlines()[-1]
    assert f"±{teaching.noise_band(24):.2f} of 0 on 24 cells" in last
    assert f"±{teaching.noise_band(12):.2f} on 12" in last
    assert "Noise band" not in teaching.explain(_table([float("nan")], [1]))


def test_the_workshop_comparison_ends_with_the_band():
    space, table = nb.spaces.digits_cell(), nb.benchmarks.digits()
    truth = GroundTruth(space, table, metric="valid_acc")
    s = teaching.score(space, "tabular", {"table": "digits"}, cells=6)
    text = teaching.explain(teaching.compare(truth, [s], table))
    assert text.splitlines()[-1].startswith(f"Noise band: a tau within "
                                            f"±{teaching.noise_band(6):.2f} of 0")
