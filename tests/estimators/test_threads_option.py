"""The ``threads`` option of the estimators that run torch: checked, used, restored.

The module's autouse fixture (conftest) sets one torch thread, an explicit choice, so
each trial here trains with its ``threads`` option or with that one thread.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

from nasbench_ui import estimators, spaces
from nasbench_ui.estimators import zero_cost
from nasbench_ui.estimators.base import EstimateContext

TRAINING = ("train", "early_stop", "lce", "zero_cost", "weight_sharing")


@pytest.mark.parametrize("name", TRAINING)
def test_threads_is_an_optional_positive_int(name: str) -> None:
    opt = estimators.get(name).OPTIONS["threads"]
    assert opt.type is int and opt.default is None and opt.optional and opt.low == 1
    assert estimators.create(name, {"threads": 2}).threads == 2
    assert estimators.create(name, {}).threads is None
    with pytest.raises(ValueError, match="option 'threads' must be >= 1, got 0"):
        estimators.create(name, {"threads": 0})
    with pytest.raises(ValueError, match="option 'threads' must be of type int, got '2'"):
        estimators.create(name, {"threads": "2"})


def _seen_in_curve(est: Any, space: Any, arch: dict[str, Any], data: Any) -> list[int]:
    seen: list[int] = []
    ctx = EstimateContext(space=space, dataset=data,
                          report_fn=lambda point: seen.append(torch.get_num_threads()))
    est.estimate(arch, ctx)
    return seen


def test_lce_trains_with_its_threads_option(tiny: Any, small_digits: Any) -> None:
    before = torch.get_num_threads()
    est = estimators.create("lce", {"epochs": 3, "latency_runs": 0, "threads": before + 2})
    seen = _seen_in_curve(est, tiny, {"units": 16, "act": "relu"}, small_digits)
    assert seen == [before + 2] * 3 and torch.get_num_threads() == before
    plain = estimators.create("lce", {"epochs": 2, "latency_runs": 0})
    assert _seen_in_curve(plain, tiny, {"units": 16, "act": "relu"}, small_digits) == [before] * 2


def test_weight_sharing_trains_with_its_threads_option(small_digits: Any) -> None:
    before = torch.get_num_threads()
    space = spaces.nb201(4)
    est = estimators.create("weight_sharing", {"steps": 2, "warmup_steps": 1, "chunks": 2,
                                               "threads": before + 1})
    seen = _seen_in_curve(est, space, {lb: "skip_connect" for lb in space.labels}, small_digits)
    assert seen == [before + 1] * 2 and torch.get_num_threads() == before


def test_zero_cost_scores_with_its_threads_option(small_digits: Any,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    before = torch.get_num_threads()
    seen: list[int] = []

    def recording(model: Any, x: Any, y: Any) -> float:
        seen.append(torch.get_num_threads())
        return 1.0

    monkeypatch.setitem(zero_cost.SCORERS, "snip", recording)
    space = spaces.nb201(4)
    est = estimators.create("zero_cost", {"proxy": "snip", "threads": before + 1})
    est.estimate({lb: "nor_conv_1x1" for lb in space.labels},
                 EstimateContext(space=space, dataset=small_digits))
    assert seen == [before + 1] and torch.get_num_threads() == before
