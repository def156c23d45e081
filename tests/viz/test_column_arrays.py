"""Tests of viz.column_arrays: arrays kept from the first changed row equal a conversion
from scratch, and a new owner starts over."""

from __future__ import annotations

import numpy as np
import pytest

from nasbench_ui.viz.column_arrays import ColumnArrays


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
