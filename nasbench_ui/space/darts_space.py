"""The published DARTS search space as a preset: ``darts`` (normal and reduction cells).

Liu, Simonyan & Yang, "DARTS: Differentiable Architecture Search", ICLR 2019, section
2.1 and appendix A.1. A cell has two input nodes, the outputs of the two previous cells
(``c0`` = cell k-2, ``c1`` = cell k-1), and four intermediate nodes ``n0``..``n3``; each
intermediate node keeps **two** inputs among the nodes before it and applies one of eight
operations to each (:data:`DARTS_SPACE_OPS`); the cell's output concatenates the four
intermediate nodes. A network has **normal** cells and **reduction** cells (stride 2 on
the operations that read the cell's inputs), each type with its own choices.

In this package's space model one graph holds both cells, so both sets of choices are
ordinary decisions of one architecture dict (sampling, mutation, the strategies and JSON
all work unchanged):

* nodes ``normal.c0``, ``normal.c1``, ``normal.n0``..``normal.n3``, ``normal.out`` and the
  same under ``reduce.``; the graph's input feeds ``normal.c0`` and ``normal.c1``; the
  reduction cell reads the normal cell's ``c1`` and its output, as DARTS wires them;
* an operation decision on every candidate edge, labelled ``"<cell>.n<i><-<src>"``
  (``src`` is ``c0``, ``c1`` or ``n<j>``);
* an input choice ``"<cell>.n<i>.inputs"`` keeping 2 of the node's candidates for
  ``n1``..``n3`` (``n0`` has exactly two candidates and keeps both).

A decision on an edge that the node's input choice drops does not change the network
(the edge is not built), as in ``darts_cell``. ``space.build(arch, shape, classes)``
builds the flat graph (one normal then one reduction cell without strides, a stem and a
head); ``space.build(..., stack=Stack(cells, stages, channels))`` builds the DARTS
network itself (:mod:`nasbench_ui.space.darts_net`): ``Stack(cells=2, channels=16)`` is
the 8-cell search network of the paper, ``Stack(cells=6, channels=36)`` its 20-cell
CIFAR-10 network.

Example:
    >>> import random
    >>> s = darts()
    >>> len(s.labels), s.size() == (8 ** 14 * 3 * 6 * 10) ** 2
    (34, True)
    >>> [src for _, src in genotype(s, s.sample(random.Random(0)))["normal"][0]]
    [0, 1]
"""

from __future__ import annotations

from typing import Any

from .decisions import Edge, InputChoice, Node
from .spec import SearchSpace

#: The eight operations of the DARTS space, in the paper's order.
DARTS_SPACE_OPS = ("none", "max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3",
                   "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5")
CELLS = ("normal", "reduce")
N_NODES = 4  # intermediate nodes per cell
INPUTS = ("c0", "c1")

#: A cell's choices: per intermediate node, two ``(op, source index)`` pairs; index 0 and
#: 1 are the cell's inputs (c0, c1), ``j + 2`` is intermediate node ``n<j>``.
CellGenotype = list[tuple[tuple[str, int], tuple[str, int]]]


def _sources(i: int) -> list[str]:
    return [*INPUTS, *(f"n{j}" for j in range(i))]


def darts(channels: int = 16) -> SearchSpace:
    """The DARTS search space: normal and reduction cells, 4 nodes of 2 inputs, 8 ops."""
    if isinstance(channels, bool) or not isinstance(channels, int) or channels < 1:
        raise ValueError(f"channels must be a positive int, got {channels!r}")
    nodes: list[Node] = [Node("input")]
    edges: list[Edge] = [Edge("input", "normal.c0", ["skip"]), Edge("input", "normal.c1", ["skip"])]
    choices: list[InputChoice] = []
    for cell in CELLS:
        p = f"{cell}."
        nodes += [Node(p + "c0"), Node(p + "c1"), *(Node(f"{p}n{i}") for i in range(N_NODES)),
                  Node(p + "out", merge="concat")]
        for i in range(N_NODES):
            edges += [Edge(p + src, f"{p}n{i}", DARTS_SPACE_OPS, label=f"{p}n{i}<-{src}")
                      for src in _sources(i)]
            if i:
                choices.append(InputChoice(f"{p}n{i}", 2, [p + src for src in _sources(i)]))
        edges += [Edge(f"{p}n{i}", p + "out", ["skip"]) for i in range(N_NODES)]
    edges += [Edge("normal.c1", "reduce.c0", ["skip"]), Edge("normal.out", "reduce.c1", ["skip"])]
    return SearchSpace("darts", nodes=nodes, edges=edges, input_choices=choices,
                       output="reduce.out", stem=channels, head="gap")


def is_darts(space: Any) -> bool:
    """True when ``space`` has the graph of :func:`darts` (any name, any stem).

    Example:
        >>> from nasbench_ui import spaces
        >>> is_darts(darts(8)), is_darts(spaces.darts_cell())
        (True, False)
    """
    ref = darts()
    return (tuple(space.nodes) == ref.nodes and tuple(space.edges) == ref.edges
            and tuple(space.input_choices) == ref.input_choices and not space.hparams)


def genotype(space: SearchSpace, arch: dict[str, Any]) -> dict[str, CellGenotype]:
    """Each cell's choices as DARTS writes a genotype: ``{"normal": [((op, src), (op,
    src)), ...4 nodes], "reduce": [...]}``; ValueError for an arch not in the space."""
    arch = space.canonical(arch)
    out: dict[str, CellGenotype] = {}
    for cell in CELLS:
        p = f"{cell}."
        nodes: CellGenotype = []
        for i in range(N_NODES):
            names = _sources(i)
            kept = (list(INPUTS) if i == 0 else
                    [name[len(p):] for name in arch[f"{p}n{i}.inputs"]])
            pair = [(arch[f"{p}n{i}<-{src}"], names.index(src)) for src in kept]
            pair.sort(key=lambda e: e[1])
            nodes.append((pair[0], pair[1]))
        out[cell] = nodes
    return out


def from_genotype(normal: list[tuple[str, int]], reduce: list[tuple[str, int]],
                  fill: str = "skip_connect") -> dict[str, Any]:
    """The arch of a DARTS genotype written as the paper's code writes one: eight
    ``(op, source index)`` pairs per cell, two per node. Edges no node keeps get ``fill``.

    Example:
        >>> g = [("sep_conv_3x3", 0), ("sep_conv_3x3", 1)] * 4
        >>> arch = from_genotype(g, g); arch["normal.n3.inputs"]
        ['normal.c0', 'normal.c1']
        >>> darts().validate(arch)
    """
    arch: dict[str, Any] = {}
    for cell, pairs in (("normal", normal), ("reduce", reduce)):
        if len(pairs) != 2 * N_NODES:
            raise ValueError(f"{cell}: a DARTS genotype has {2 * N_NODES} (op, input) pairs, "
                             f"got {len(pairs)}")
        p = f"{cell}."
        for i in range(N_NODES):
            names = _sources(i)
            for src in names:
                arch[f"{p}n{i}<-{src}"] = fill
            kept = []
            for op, j in pairs[2 * i: 2 * i + 2]:
                if not 0 <= j < len(names):
                    raise ValueError(f"{cell} node {i}: input index {j} is not in 0..{len(names) - 1}")
                arch[f"{p}n{i}<-{names[j]}"] = op
                kept.append(p + names[j])
            if len(set(kept)) != 2:
                raise ValueError(f"{cell} node {i}: its two inputs must differ, got {kept}")
            if i:
                arch[f"{p}n{i}.inputs"] = sorted(kept)
    return arch
