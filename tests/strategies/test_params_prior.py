"""The zero-cost prior: parameters counted from the space, dead edges dropped, cached."""

from __future__ import annotations

import math
from typing import Any

from nasbench_ui import spaces
from nasbench_ui.strategies.params_prior import ParamsPrior


def test_more_convolutions_score_higher_and_dead_edges_do_not_count() -> None:
    space = spaces.nb201()
    prior = ParamsPrior(space)
    conv = dict.fromkeys(space.labels, "nor_conv_3x3")
    one = {**dict.fromkeys(space.labels, "skip_connect"), "3<-0": "nor_conv_3x3"}
    assert prior.score(conv) > prior.score(one) > prior.score(dict.fromkeys(space.labels,
                                                                             "skip_connect"))
    cut = {**conv, "1<-0": "none"}  # 2<-1 and 3<-1 are dead: their convolutions never run
    same = {**cut, "2<-1": "none", "3<-1": "none"}
    assert prior.score(cut) == prior.score(same) < prior.score(conv)
    assert prior.best([one, cut, conv, conv]) == 2  # the first of the largest


def test_an_architecture_the_space_cannot_build_scores_minus_infinity() -> None:
    space = spaces.nb201()
    prior = ParamsPrior(space)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("cannot build")

    prior.space = type("Unbuildable", (), {"build": staticmethod(refuse),
                                           "key": staticmethod(space.key)})()
    archs = [dict.fromkeys(space.labels, op) for op in ("nor_conv_3x3", "skip_connect")]
    assert prior.score(archs[0]) == -math.inf
    assert prior.best(archs) == 0  # nothing builds: the first draw, as uniform sampling
