"""The MLP ensemble of BANANAS: it fits, its members disagree away from the data, seeds repeat."""

from __future__ import annotations

import numpy as np

from nasbench_ui.strategies.mlp_ensemble import MLPEnsemble, normal_scores


def test_the_ensemble_fits_and_disagrees_away_from_the_data() -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, (60, 8)).astype(float)
    y = x @ np.arange(8.0) + 5.0
    m = MLPEnsemble(8, ensemble=5, hidden=32, layers=2, seed=1).fit(x, y, 400, 0.02)
    mu, sd = m.predict(x)
    assert np.abs(mu - y).mean() < 0.5 * np.abs(y - y.mean()).mean() / 4
    far_mu, far_sd = m.predict(np.full((1, 8), 6.0))  # far outside the training inputs
    assert far_sd[0] > 5 * sd.mean()
    again = MLPEnsemble(8, ensemble=5, hidden=32, layers=2, seed=1).fit(x, y, 400, 0.02)
    assert np.array_equal(again.predict(x)[0], mu)  # same seed, same predictors
    single = MLPEnsemble(8, ensemble=1, seed=0).fit(x, y, 10, 0.01)
    assert not single.predict(x)[1].any()  # one member: no spread


def test_normal_scores_keep_the_order_share_ties_and_ignore_the_scale() -> None:
    y = np.array([84.0, 10.0, 83.5, 84.0, 60.0])
    z = normal_scores(y)
    assert z[0] == z[3] and z[1] < z[4] < z[2] < z[0]  # the order, ties equal
    w = normal_scores(np.array([3.0, 1.0, 2.0, 7.0]))
    assert np.allclose(np.sort(w), -np.sort(w)[::-1])  # without ties: symmetric about 0
    assert np.array_equal(normal_scores(y * 10 - 3), z)  # the scale does not matter
    assert normal_scores(np.array([])).shape == (0,)
    assert normal_scores(np.array([5.0])).tolist() == [0.0]
