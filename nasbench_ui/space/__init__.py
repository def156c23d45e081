"""Search spaces: the spec (a DAG of tensors and choices), operations, building, presets.

Example:
    >>> from nasbench_ui.space import SearchSpace, Edge
    >>> s = SearchSpace("two", nodes=["in", "out"], edges=[Edge("in", "out", ["relu", "tanh"])])
    >>> s.size()
    2
"""

from . import ops, presets
from .build import build
from .decisions import Categorical, Edge, FloatRange, InputChoice, IntRange, Node, OpDecision
from .presets import nb201_arch, nb201_str
from .spec import SearchSpace, UnusedHyperparameterWarning

__all__ = [
    "Categorical", "Edge", "FloatRange", "InputChoice", "IntRange", "Node", "OpDecision",
    "SearchSpace", "UnusedHyperparameterWarning", "build", "nb201_arch", "nb201_str", "ops", "presets",
]
