"""The structure of the DARTS space (normal and reduction cells) and its genotypes.

Liu, Simonyan & Yang, "DARTS: Differentiable Architecture Search", ICLR 2019. The
nodes, edges and input choices of the ``darts`` preset (:mod:`.darts_space`, which
builds the :class:`~.spec.SearchSpace` from them), :func:`is_darts` to recognise that
graph, and the genotype conversions. This module imports no space class, so the builders
(:mod:`.stacked`, :mod:`.darts_net`) can read it without an import cycle.

Example:
    >>> g = [("sep_conv_3x3", 0), ("skip_connect", 1)] * 4
    >>> from_genotype(g, g)["reduce.n2<-c0"]
    'sep_conv_3x3'
"""

from __future__ import annotations

from typing import Any

from .decisions import Edge, InputChoice, Node

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


def structure() -> tuple[list[Node], list[Edge], list[InputChoice]]:
    """The nodes, edges and input choices of the DARTS space (see :mod:`.darts_space`)."""
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
    return nodes, edges, choices


def is_darts(space: Any) -> bool:
    """True when ``space`` has the graph of :func:`darts` (any name, any stem).

    Example:
        >>> from nasbench_ui import spaces
        >>> is_darts(spaces.darts(8)), is_darts(spaces.darts_cell())
        (True, False)
    """
    nodes, edges, choices = structure()
    return (tuple(space.nodes) == tuple(nodes) and tuple(space.edges) == tuple(edges)
            and tuple(space.input_choices) == tuple(choices) and not space.hparams)


def genotype(space: Any, arch: dict[str, Any]) -> dict[str, CellGenotype]:
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
        >>> from nasbench_ui import spaces
        >>> spaces.darts().validate(arch)
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
