"""Functional equivalence of cell architectures: which edges matter, and one key per function.

In a cell whose nodes *sum* their inputs, an edge contributes nothing when its operation
is a zero operation (``none``) or when it lies on no input-to-output path of such
non-zero edges (its source is not computed from the input, or its result never reaches
the output). Two architectures that differ only on such *dead* edges, or only by a
renumbering of interchangeable intermediate nodes, or by identity edges (``skip[e]`` is
``e``), compute the same function. NAS-Bench-201 (Dong & Yang, ICLR 2020) counts 6,466
unique cells among its 15,625 by graph isomorphism; NAS-Bench-101 (Ying et al., ICML
2019) hashes graphs for the same purpose. The key below also folds identity edges and
gives 5,773 classes on NAS-Bench-201 (tests/space/test_canonical.py).

:func:`functional_key` gives one string per function: the expression of the output
node, built from the input by each live edge's operation, with the terms of every sum
sorted (sums commute), followed by the values of the other decisions. It looks only at
the space's structure, never at any result. Where it cannot judge equivalence (a node
that concatenates, or input choices), the key is ``space.key(arch)``: no two
architectures are merged. :func:`pruned` gives the architecture with every dead edge
that can be dropped set to its zero operation, a representative of the same function.

Example:
    >>> from nasbench_ui import spaces
    >>> space = spaces.nb201()
    >>> a = dict.fromkeys(space.labels, "nor_conv_3x3")
    >>> b = {**a, "1<-0": "none"}           # node 1 gets nothing: 2<-1 and 3<-1 are dead
    >>> c = {**b, "2<-1": "avg_pool_3x3", "3<-1": "skip_connect"}
    >>> functional_key(space, b) == functional_key(space, c) != functional_key(space, a)
    True
    >>> pruned(space, c) == {**b, "2<-1": "none", "3<-1": "none"}
    True
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from .decisions import OpDecision

ZERO_OPS = frozenset({"none"})
"""Operations whose output is zeros: an edge carrying one is dropped from the cell."""
IDENTITY_OPS = frozenset({"skip_connect", "skip"})
"""Operations that pass their input unchanged: ``skip[e]`` is ``e``."""
KEY_PART_LIMIT = 4096
"""The longest expression a node keeps written out in a key; a longer one stands as
``#`` and a digest of itself. Written out, a node's expression repeats its inputs' (a
DAG unfolded into a tree): a 6 KB space whose nodes each sum the two before doubled
it at every node, past any machine's memory at 45 nodes."""


def _compact(expr: str) -> str:
    """``expr``, or ``#`` and 24 hex digits of its SHA-256 when it is longer than
    :data:`KEY_PART_LIMIT`: one expression always reads the same, and two differ."""
    if len(expr) <= KEY_PART_LIMIT:
        return expr
    return "#" + hashlib.sha256(expr.encode("utf-8", "surrogatepass")).hexdigest()[:24]


class Equivalence:
    """The functional equivalence of one space's architectures, with its structure
    (edge order, topological node order) worked out once.

    Example:
        >>> from nasbench_ui import spaces
        >>> eq = Equivalence(spaces.nb201())
        >>> a = {**dict.fromkeys(eq.space.labels, "skip_connect"), "2<-1": "none"}
        >>> b = {**a, "1<-0": "nor_conv_3x3"}   # nodes 1 and 2 are interchangeable:
        >>> eq.key(b) == eq.key({**a, "2<-0": "nor_conv_3x3"}) != eq.key(a)
        True
        >>> eq.key(b)
        '(nor_conv_3x3[x]+x+x)'

    """

    def __init__(self, space: Any) -> None:
        self.space = space
        self.judgeable = not space.input_choices and all(n.merge == "sum" for n in space.nodes)
        self._order = list(space.topological_nodes())
        self._edges = list(space.edges)
        self._zero = [next((o for o in e.ops if o in ZERO_OPS), None) for e in self._edges]
        self._tag = [(json.dumps(dict(e.params), sort_keys=True) if e.params else "")
                     + (json.dumps(dict(e.bind), sort_keys=True) if e.bind else "")
                     for e in self._edges]
        self._rest = [d.label for d in space.decisions if not isinstance(d, OpDecision)]

    def _ops(self, arch: dict[str, Any]) -> list[str]:
        return [arch[e.label] if e.is_decision else e.ops[0] for e in self._edges]

    def live(self, arch: dict[str, Any]) -> list[int]:
        """Indices (in ``space.edges``) of the edges carrying a non-zero operation on an
        input-output path."""
        ops = self._ops(arch)
        edges = [i for i, op in enumerate(ops) if op not in ZERO_OPS]
        # each node's kept successors and predecessors, once: walking every edge for
        # every node took 4.7 s a call at 500 nodes and 18,000 edges
        after: dict[str, list[str]] = {}
        before: dict[str, list[str]] = {}
        for i in edges:
            e = self._edges[i]
            after.setdefault(e.src, []).append(e.dst)
            before.setdefault(e.dst, []).append(e.src)
        fwd, back = {self.space.input}, {self.space.output}
        for name in self._order:  # sources first
            if name in fwd:
                fwd.update(after.get(name, ()))
        for name in reversed(self._order):
            if name in back:
                back.update(before.get(name, ()))
        return [i for i in edges if self._edges[i].src in fwd and self._edges[i].dst in back]

    def key(self, arch: dict[str, Any]) -> str:
        """One string per function computed by ``arch`` (see the module docstring); a
        node's expression past :data:`KEY_PART_LIMIT` characters is its digest."""
        if not self.judgeable:
            return str(self.space.key(arch))
        ops = self._ops(arch)
        incoming: dict[str, list[int]] = {}
        for i in self.live(arch):
            incoming.setdefault(self._edges[i].dst, []).append(i)
        expr: dict[str, str] = {self.space.input: "x"}
        for name in self._order:
            if name != self.space.input:
                terms = sorted(self._term(ops[i], i, expr) for i in incoming.get(name, []))
                expr[name] = _compact("(" + "+".join(terms) + ")" if len(terms) > 1
                                      else terms[0] if terms else "0")
        rest = {lb: arch[lb] for lb in self._rest}
        return expr[self.space.output] + (json.dumps(rest, sort_keys=True) if rest else "")

    def _term(self, op: str, i: int, expr: dict[str, str]) -> str:
        src = expr[self._edges[i].src]
        if op in IDENTITY_OPS and not self._tag[i]:
            return src
        return f"{op}{self._tag[i]}[{src}]"

    def pruned_rows(self, rows: np.ndarray, labels: Sequence[str],
                    choices: Sequence[Sequence[Any]]) -> np.ndarray:
        """:meth:`pruned` of many architectures at once, as rows of choice indices
        (``rows[n, k]`` indexes ``choices[k]``, decision ``labels[k]``): a new array.

        The same reachability as :meth:`live`, with one boolean column per node over
        all rows, so a predictor can prune thousands of candidates per ask.

        Example:
            >>> from nasbench_ui import spaces
            >>> space = spaces.nb201()
            >>> eq, ch = Equivalence(space), [d.choices() for d in space.decisions]
            >>> arch = {**dict.fromkeys(space.labels, "nor_conv_3x3"), "1<-0": "none"}
            >>> row = np.array([[c.index(arch[lb]) for lb, c in zip(space.labels, ch)]])
            >>> out = eq.pruned_rows(row, space.labels, ch)[0]
            >>> {lb: c[i] for lb, c, i in zip(space.labels, ch, out)} == eq.pruned(arch)
            True
        """
        out = np.array(rows, dtype=np.int64, copy=True)
        if not self.judgeable or out.size == 0:
            return out
        col = {lb: k for k, lb in enumerate(labels)}
        node = {name: j for j, name in enumerate(self._order)}
        n = out.shape[0]
        nonzero = np.empty((n, len(self._edges)), dtype=bool)
        for i, e in enumerate(self._edges):
            if e.is_decision:
                k = col[e.label]
                is_zero = np.array([c in ZERO_OPS for c in choices[k]], dtype=bool)
                nonzero[:, i] = ~is_zero[out[:, k]]
            else:
                nonzero[:, i] = e.ops[0] not in ZERO_OPS
        fwd = np.zeros((n, len(self._order)), dtype=bool)
        back = np.zeros_like(fwd)
        fwd[:, node[self.space.input]] = True
        back[:, node[self.space.output]] = True
        src = [node[e.src] for e in self._edges]
        dst = [node[e.dst] for e in self._edges]
        for name in self._order:  # sources first: a node's inputs are final when it is
            j = node[name]
            for i in range(len(self._edges)):
                if src[i] == j:
                    fwd[:, dst[i]] |= fwd[:, j] & nonzero[:, i]
        for name in reversed(self._order):
            j = node[name]
            for i in range(len(self._edges)):
                if dst[i] == j:
                    back[:, src[i]] |= back[:, j] & nonzero[:, i]
        for i, e in enumerate(self._edges):
            zero = self._zero[i]
            if e.is_decision and zero is not None:
                k = col[e.label]
                dead = ~(nonzero[:, i] & fwd[:, src[i]] & back[:, dst[i]])
                out[dead, k] = list(choices[k]).index(zero)
        return out

    def pruned(self, arch: dict[str, Any]) -> dict[str, Any]:
        """``arch`` with each dead decision edge set to a zero operation it offers (a copy)."""
        out = dict(arch)
        if not self.judgeable:
            return out
        live = set(self.live(arch))
        for i, e in enumerate(self._edges):
            if e.is_decision and i not in live and self._zero[i] is not None:
                out[e.label] = self._zero[i]
        return out


def live_edges(space: Any, arch: dict[str, Any]) -> list[Any]:
    """The edges of ``arch`` that carry a non-zero operation on an input-output path.

    Example:
        >>> from nasbench_ui import spaces
        >>> space = spaces.nb201()
        >>> arch = {**dict.fromkeys(space.labels, "none"), "3<-0": "skip_connect"}
        >>> [e.label for e in live_edges(space, arch)]
        ['3<-0']
    """
    return [space.edges[i] for i in Equivalence(space).live(arch)]


def functional_key(space: Any, arch: dict[str, Any]) -> str:
    """One string per function computed by ``arch`` (:meth:`Equivalence.key`)."""
    return Equivalence(space).key(arch)


def pruned(space: Any, arch: dict[str, Any]) -> dict[str, Any]:
    """``arch`` with its dead decision edges set to zero operations
    (:meth:`Equivalence.pruned`)."""
    return Equivalence(space).pruned(arch)
