"""Estimator quality (nasbench_ui.quality): rank correlations, top-k overlap, ground truth."""

from __future__ import annotations

import math
import random

import pandas as pd
import pytest
from scipy import stats

from nasbench_ui import spaces
from nasbench_ui.quality import GroundTruth, rank_quality, top_k_overlap


def test_matches_scipy_on_random_data_with_ties():
    rng = random.Random(0)
    est = [rng.randint(0, 20) / 20 for _ in range(60)]  # ties on purpose
    tru = [e + rng.gauss(0, 0.2) for e in est]
    q = rank_quality(est, tru, k=10)
    assert q["kendall_tau"] == pytest.approx(stats.kendalltau(est, tru).statistic, abs=1e-12)
    assert q["spearman"] == pytest.approx(stats.spearmanr(est, tru).statistic, abs=1e-12)
    assert (q["n"], q["k"], q["dropped"]) == (60, 10, 0)


def test_hand_computed_values():
    est, tru = [0.1, 0.4, 0.3, 0.9], [0.2, 0.5, 0.6, 0.8]
    q = rank_quality(est, tru, k=2)
    assert q["kendall_tau"] == pytest.approx((5 - 1) / 6)  # one discordant pair of six
    assert q["spearman"] == pytest.approx(1 - 6 * 2 / (4 * 15))
    assert q["top_k_overlap"] == 0.5  # estimated top 2: #3, #1; true top 2: #3, #2
    assert rank_quality(est, tru, k=3)["top_k_overlap"] == 1.0
    assert rank_quality(tru, tru)["kendall_tau"] == pytest.approx(1.0)
    assert rank_quality(tru, [-t for t in tru])["spearman"] == pytest.approx(-1.0)


def test_top_k_overlap_by_hand():
    est = [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]
    tru = [0, 8, 9, 1, 7, 2, 3, 4, 5, 6]
    # estimated top 3: 0, 1, 2; true top 3: 2 (9), 1 (8), 4 (7) -> {1, 2} shared
    assert top_k_overlap(est, tru, 3) == pytest.approx(2 / 3)
    assert top_k_overlap(est, tru, 100) == 1.0  # k is capped at n
    assert math.isnan(top_k_overlap([], [], 5))


def test_nan_and_none_pairs_are_dropped():
    est = [0.1, None, 0.3, float("nan"), 0.5, 0.7]
    tru = [1.0, 2.0, float("nan"), 4.0, 3.0, 5.0]
    q = rank_quality(est, tru, k=2)
    assert (q["n"], q["dropped"]) == (3, 3)
    kept = ([0.1, 0.5, 0.7], [1.0, 3.0, 5.0])
    assert q["kendall_tau"] == pytest.approx(stats.kendalltau(*kept).statistic)
    assert q["top_k_overlap"] == 1.0


def test_too_few_pairs_or_constant_sides_give_nan():
    for est, tru in (([], []), ([1.0], [2.0]), ([1.0, 1.0, 1.0], [1.0, 2.0, 3.0])):
        q = rank_quality(est, tru)
        assert math.isnan(q["kendall_tau"]) and math.isnan(q["spearman"])
    assert rank_quality([], [])["n"] == 0


def test_bad_input():
    with pytest.raises(ValueError, match=r"differ in length \(3 vs 2\)"):
        rank_quality([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="k must be an integer"):
        rank_quality([1, 2], [1, 2], k=0)
    with pytest.raises(ValueError, match="must hold numbers"):
        rank_quality(["a", 2], [1, 2])


@pytest.fixture
def space():
    return spaces.nb201()


def sample(space, n, seed=0):
    rng = random.Random(seed)
    return [space.sample(rng) for _ in range(n)]


def test_ground_truth_from_a_frame_a_csv_and_a_dict(space, tmp_path):
    archs = sample(space, 5)
    df = pd.DataFrame({"arch_str": [space.key(a) for a in archs],
                       "valid_acc_200ep": [90.0, 91.0, 92.0, float("nan"), 94.0],
                       "other": [1, 2, 3, 4, 5]})
    by_frame = GroundTruth(space, df, scale=0.01)
    assert by_frame.values(archs) == [pytest.approx(v) for v in (0.9, 0.91, 0.92)] + [
        None, pytest.approx(0.94)]
    path = tmp_path / "truth.csv"
    df.to_csv(path, index=False)
    by_csv = GroundTruth(space, str(path), metric="other")
    assert by_csv(archs[3]) == 4.0 and len(by_csv) == 5
    by_dict = GroundTruth(space, {space.key(archs[0]): 0.5})
    assert by_dict(archs[0]) == 0.5 and by_dict(archs[1]) is None
    assert by_dict({"not": "an arch"}) is None


def test_ground_truth_bad_input(space):
    with pytest.raises(ValueError, match=r"column\(s\) \['acc'\] not in"):
        GroundTruth(space, pd.DataFrame({"arch_str": ["x"]}), metric="acc")
    with pytest.raises(ValueError, match="cannot read the table"):
        GroundTruth(space, "/no/such/table.csv")
    with pytest.raises(ValueError, match="dict"):
        GroundTruth(space, 42)
    with pytest.raises(ValueError, match="must hold numbers"):
        GroundTruth(space, pd.DataFrame({"arch_str": ["x"], "valid_acc_200ep": ["high"]}))
