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

from .darts_genotype import (
    CELLS,
    DARTS_SPACE_OPS,
    N_NODES,
    from_genotype,
    genotype,
    is_darts,
    structure,
)
from .spec import SearchSpace

__all__ = ["CELLS", "DARTS_SPACE_OPS", "N_NODES", "darts", "from_genotype", "genotype", "is_darts"]


def darts(channels: int = 16) -> SearchSpace:
    """The DARTS search space: normal and reduction cells, 4 nodes of 2 inputs, 8 ops."""
    if isinstance(channels, bool) or not isinstance(channels, int) or channels < 1:
        raise ValueError(f"channels must be a positive int, got {channels!r}")
    nodes, edges, choices = structure()
    return SearchSpace("darts", nodes=nodes, edges=edges, input_choices=choices,
                       output="reduce.out", stem=channels, head="gap")
