"""Tests of viz.column_arrays: arrays kept from the first changed row equal a conversion
from scratch, and a new owner starts over."""

from __future__ import annotations

import random

import numpy as np
import pytest

from nasbench_ui.storage.trial import Trial, TrialState
from nasbench_ui.viz.column_arrays import ColumnArrays
from nasbench_ui.viz.live_tables import LiveTables


def test_rows_changed_from_since_are_converted_again() -> None:
    ca, owner = ColumnArrays({"n": np.int64, "v": float}), object()
    cols = {"n": [0, 1, 2], "v": [0.5, 0.6, 0.7]}
    ca.update(cols, owner, since=0)
    cols["v"][1:] = [0.9, 0.8, 0.1]  # row 1 changed, one row added
    cols["n"].append(3)
    out = ca.update(cols, owner, since=1)
    assert out["n"].tolist() == [0, 1, 2, 3] and out["v"].tolist() == [0.5, 0.9, 0.8, 0.1]
    # a wrong promise (row 0 changed, since=1) keeps the old row 0: since is a contract
    cols["v"][0] = 7.0
    assert ca.update(cols, owner, since=1)["v"][0] == 0.5
    # another owner (new tables) converts everything
    assert ca.update(cols, object(), since=4)["v"][0] == 7.0
    assert ca.update(cols, None, since=4)["v"][0] == 7.0


def test_bad_since_is_refused() -> None:
    with pytest.raises(ValueError, match="since"):
        ColumnArrays({"n": np.int64}).update({"n": []}, None, since=-1)


@pytest.mark.parametrize("seed", [0, 1])
def test_the_front_kept_from_take_front_change_equals_the_front(seed: int) -> None:
    rng = random.Random(seed)
    lt, ca = LiveTables(), ColumnArrays({"x": float, "y": float, "number": np.int64})
    for i in range(300):
        v = rng.random()
        x = v * 100 if rng.random() < 0.7 else rng.random() * 100  # a front of many points
        lt.feed([Trial(i, TrialState.COMPLETE, {}, v, {"params": x})])
        if rng.random() < 0.3:
            out = ca.update(lt.front, lt, lt.take_front_change())
            for k in ("x", "y", "number"):
                assert out[k].tolist() == lt.front[k], k
