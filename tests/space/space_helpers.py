"""A small space the space tests build variants of."""

from __future__ import annotations

from typing import Any

from nasbench_ui.space import Edge, SearchSpace


def tiny(**kw: Any) -> SearchSpace:
    """in -> a -> b -> out with a skip in -> b; ``kw`` replaces any constructor argument."""
    base: dict[str, Any] = dict(
        name="tiny",
        nodes=["in", "a", "b", "out"],
        edges=[
            Edge("in", "a", ["conv_3x3", "skip"]),
            Edge("in", "b", ["relu"]),
            Edge("a", "b", ["none", "skip"]),
            Edge("b", "out", ["relu"]),
        ],
    )
    base.update(kw)
    return SearchSpace(**base)
