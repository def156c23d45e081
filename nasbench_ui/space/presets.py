"""Preset search spaces and NAS-Bench-201 string conversion.

* ``keras_cnn``: the classic Keras-Tuner style CNN (conv filters 32-128 step 32, kernel
  3 or 5, max-pool, dense units 32-128 step 32, dropout 0.1-0.5 step 0.1, learning rate
  1e-2 or 1e-3).
* ``mlp``: two dense layers with a choice of activation and an optional skip.
* ``rnn``: GRU or LSTM, hidden size and layers, for ``digits_seq``.
* ``nb201``: the NAS-Bench-201 cell (Dong & Yang, ICLR 2020): 4 nodes, 6 edges, 5 ops,
  edges in the official order 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2.
* ``darts_cell``: a small DARTS-like cell (Liu et al., ICLR 2019): 3 intermediate nodes,
  the DARTS operations, an input choice, outputs concatenated.
* ``digits_cell``: the NAS-Bench-201 cell cut down to 1,296 cells (3 or 4 ops per edge),
  every one of them trained on digits in the table that ships
  (``nb.benchmarks.digits()``; use it with ``estimator_options={"table": "digits"}``).

Example:
    >>> s = nb201()
    >>> a = nb201_arch("|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|")
    >>> s.key(a) == nb201_str(a), s.size()
    (True, 15625)
"""

from __future__ import annotations

from collections.abc import Callable

from .darts_space import darts
from .decisions import Categorical, Edge, FloatRange, InputChoice, IntRange, Node
from .nb201_strings import NB201_EDGES as NB201_EDGES
from .nb201_strings import NB201_OPS as NB201_OPS
from .nb201_strings import nb201_arch as nb201_arch
from .nb201_strings import nb201_str as nb201_str
from .spec import SearchSpace

DARTS_OPS = ("none", "skip_connect", "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3",
             "dil_conv_5x5", "max_pool_3x3", "avg_pool_3x3")


def blank() -> SearchSpace:
    """The smallest space: input -> output through one fixed ``skip``."""
    return SearchSpace("blank", nodes=["input", "output"], edges=[Edge("input", "output", ["skip"])])


def keras_cnn() -> SearchSpace:
    """The classic CNN example as a space of 320 architectures."""
    return SearchSpace(
        "keras_cnn",
        nodes=["input", "conv", "act1", "pool", "dense", "act2", "output"],
        edges=[
            Edge("input", "conv", ["conv"], bind={"filters": "filters", "kernel_size": "kernel_size"}),
            Edge("conv", "act1", ["relu"]),
            Edge("act1", "pool", ["max_pool_2x2"]),
            Edge("pool", "dense", ["linear"], bind={"units": "units"}),
            Edge("dense", "act2", ["relu"]),
            Edge("act2", "output", ["dropout"], bind={"rate": "dropout"}),
        ],
        hparams=[
            IntRange("filters", 32, 128, 32),
            Categorical("kernel_size", [3, 5]),
            IntRange("units", 32, 128, 32),
            FloatRange("dropout", 0.1, 0.5, 0.1),
            Categorical("learning_rate", [1e-2, 1e-3]),
        ],
    )


def mlp() -> SearchSpace:
    """Two dense layers, an activation choice each, dropout and an optional skip."""
    acts = ["relu", "tanh", "gelu"]
    return SearchSpace(
        "mlp",
        nodes=["input", "h1", "a1", "h2", "a2", "output"],
        edges=[
            Edge("input", "h1", ["linear"], bind={"units": "units_1"}),
            Edge("h1", "a1", acts, label="act_1"),
            Edge("a1", "h2", ["linear"], bind={"units": "units_2"}),
            Edge("h2", "a2", acts, label="act_2"),
            Edge("a2", "output", ["dropout"], bind={"rate": "dropout"}),
            Edge("a1", "output", ["skip", "none"], label="skip_1"),
        ],
        hparams=[
            IntRange("units_1", 16, 128, 16),
            IntRange("units_2", 16, 128, 16),
            FloatRange("dropout", 0.0, 0.5, 0.1),
            Categorical("learning_rate", [1e-2, 3e-3, 1e-3]),
        ],
    )


def rnn() -> SearchSpace:
    """A recurrent classifier: GRU or LSTM, hidden size, layers (input: sequences)."""
    return SearchSpace(
        "rnn",
        nodes=["input", "recurrent", "output"],
        edges=[
            Edge("input", "recurrent", ["gru", "lstm"], label="cell",
                 bind={"units": "hidden", "layers": "layers"}),
            Edge("recurrent", "output", ["dropout"], bind={"rate": "dropout"}),
        ],
        hparams=[
            IntRange("hidden", 16, 64, 16),
            IntRange("layers", 1, 2),
            FloatRange("dropout", 0.0, 0.3, 0.1),
            Categorical("learning_rate", [1e-2, 3e-3]),
        ],
    )


def nb201(channels: int = 16) -> SearchSpace:
    """The NAS-Bench-201 cell; ``space.key(arch)`` is the official string."""
    pairs = [(int(lb[0]), int(lb[-1])) for lb in NB201_EDGES]
    return SearchSpace(
        "nb201",
        nodes=["0", "1", "2", "3"],
        edges=[Edge(str(s), str(d), NB201_OPS) for d, s in pairs],
        stem=channels,
        head="gap",
        key_format="nb201",
    )


#: The operations of each edge of ``digits_cell``: every edge may drop itself (``none``),
#: pass its input (``skip_connect``) or convolve (``nor_conv_3x3``); the first edge may
#: also average-pool and the input's edge to the output a 1x1 conv.
DIGITS_OPS: dict[str, tuple[str, ...]] = {
    "1<-0": ("none", "skip_connect", "nor_conv_3x3", "avg_pool_3x3"),
    "2<-0": ("none", "skip_connect", "nor_conv_3x3"),
    "2<-1": ("none", "skip_connect", "nor_conv_3x3"),
    "3<-0": ("none", "skip_connect", "nor_conv_3x3", "nor_conv_1x1"),
    "3<-1": ("none", "skip_connect", "nor_conv_3x3"),
    "3<-2": ("none", "skip_connect", "nor_conv_3x3"),
}


def digits_cell(channels: int = 16) -> SearchSpace:
    """The space of the shipped digits table: NAS-Bench-201 cells with :data:`DIGITS_OPS`
    (4 x 3 x 3 x 4 x 3 x 3 = 1,296); its keys are official NAS-Bench-201 strings."""
    if isinstance(channels, bool) or not isinstance(channels, int) or channels < 1:
        raise ValueError(f"channels must be a positive int, got {channels!r}")
    return SearchSpace(
        "digits_cell",
        nodes=["0", "1", "2", "3"],
        edges=[Edge(label[-1], label[0], list(ops)) for label, ops in DIGITS_OPS.items()],
        stem=channels,
        head="gap",
        key_format="nb201",
    )


def darts_cell(channels: int = 16) -> SearchSpace:
    """A small DARTS-like cell: 3 nodes, 8 ops per edge, node n3 keeps 2 of 3 inputs."""
    op_edges = [("in", "n1"), ("in", "n2"), ("n1", "n2"), ("in", "n3"), ("n1", "n3"), ("n2", "n3")]
    return SearchSpace(
        "darts_cell",
        nodes=[Node("in"), Node("n1"), Node("n2"), Node("n3"), Node("out", merge="concat")],
        edges=[Edge(s, d, DARTS_OPS) for s, d in op_edges]
        + [Edge(n, "out", ["skip"]) for n in ("n1", "n2", "n3")],
        input_choices=[InputChoice("n3", 2)],
        stem=channels,
        head="gap",
    )


PRESETS: dict[str, Callable[[], SearchSpace]] = {
    "blank": blank,
    "keras_cnn": keras_cnn,
    "mlp": mlp,
    "rnn": rnn,
    "nb201": nb201,
    "darts_cell": darts_cell,
    "darts": darts,
    "digits_cell": digits_cell,
}


def names() -> list[str]:
    """Names of the preset spaces."""
    return list(PRESETS)


def get(name: str) -> SearchSpace:
    """A preset by name; ValueError lists the presets."""
    if name not in PRESETS:
        raise ValueError(f"unknown space {name!r}; presets are {names()}")
    return PRESETS[name]()


# which data set fits each preset by default
DEFAULT_DATASET = {"rnn": "digits_seq"}
# the estimator (and its options) the workbench switches to when a preset is picked:
# digits_cell is the space of the shipped digits table, so it is searched instantly
SUGGESTED_ESTIMATOR: dict[str, tuple[str, dict]] = {"digits_cell": ("tabular", {"table": "digits"})}
