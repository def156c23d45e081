"""A one-shot supernet: every edge holds all its candidate operations at once.

Used by weight sharing (single-path forward: Pham et al., "Efficient Neural
Architecture Search via Parameter Sharing", ICML 2018; Li & Talwalkar, "Random Search
and Reproducibility for Neural Architecture Search", UAI 2019) and by DARTS (mixed
operations: Liu, Simonyan & Yang, "DARTS: Differentiable Architecture Search", ICLR
2019).

* Every edge of the space is present, with every candidate operation that accepts the
  edge's input shape (a candidate that rejects it is left out; an architecture that
  picks it raises ValueError). ``none`` is never built: it contributes zeros.
* Candidates of one edge that give different shapes are projected to the shape of the
  edge's first candidate (:func:`~.build.projection`), and node merges follow
  :func:`~.build.build`: ``sum`` projects to the first incoming edge's shape,
  ``concat`` concatenates every incoming edge. An edge that an architecture drops
  gives zeros in its ``concat`` slot (the builder would shrink the concatenation
  instead), so the classifier always sees one shape.
* ``forward(x, arch=...)`` runs the chosen operation of each kept edge (single path);
  ``forward(x, weights={label: w})`` runs the mixed operation ``sum_i w_i * op_i(x)``
  on every edge whose label is in :attr:`Supernet.mixed` (DARTS).
* :func:`derive` turns mixture weights into an architecture as DARTS does: per edge
  the strongest operation other than ``none``; per input choice the ``k``
  predecessors whose edges hold the strongest such weights; every hyperparameter takes
  its first choice (DARTS searches no hyperparameters).
* Operation widths bound to hyperparameters (``Edge(bind=...)``) cannot share weights,
  so such spaces raise ValueError; unbound hyperparameters (``learning_rate``) are
  ignored by the supernet.
* Batch normalisation uses the statistics of the current batch in training *and*
  evaluation (``batch_stats=True``, as NAS-Bench-201's weight-sharing baselines do):
  running statistics averaged over many different paths describe none of them.
  With it, evaluate on batches of more than one sample.

Example:
    >>> import torch
    >>> from nasbench_ui import spaces
    >>> net = Supernet(spaces.nb201(8), input_shape=(1, 8, 8), num_classes=10)
    >>> arch = {lb: "nor_conv_3x3" for lb in net.mixed}
    >>> net(torch.zeros(2, 1, 8, 8), arch=arch).shape
    torch.Size([2, 10])
    >>> w = {lb: torch.full((5,), 0.2) for lb in net.mixed}
    >>> net(torch.zeros(2, 1, 8, 8), weights=w).shape
    torch.Size([2, 10])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from . import ops
from .build import _concat_shape, active_edges, classifier_head, projection
from .decisions import InputChoice, OpDecision

if TYPE_CHECKING:
    from .spec import SearchSpace

Shape = tuple[int, ...]


def check_space(space: SearchSpace) -> None:
    """ValueError when ``space`` binds operation keywords to hyperparameters.

    Example:
        >>> from nasbench_ui import spaces
        >>> check_space(spaces.nb201())
        >>> try:
        ...     check_space(spaces.keras_cnn())
        ... except ValueError as e:
        ...     print(str(e)[:48])
        the supernet needs every edge's op to keep one s
    """
    bound = [f"edge {e.label!r}: " + ", ".join(f"{k} -> {v}" for k, v in e.bind)
             for e in space.edges if e.bind]
    if bound:
        raise ValueError(
            f"the supernet needs every edge's op to keep one shape; space {space.name!r} binds "
            f"op widths to hyperparameters ({'; '.join(bound)}). Weight sharing and DARTS need "
            "a cell space such as nb201 or darts_cell: fix those keywords with Edge(params=...) "
            "or use a multi-trial estimator such as 'train'"
        )


def derive(space: SearchSpace, weights: Mapping[str, Mapping[str, float]] | None) -> dict[str, Any]:
    """The architecture DARTS derives from softmax weights (None: a uniform mixture).

    Example:
        >>> from nasbench_ui import spaces
        >>> w = {lb: {"none": .9, "skip_connect": .05, "nor_conv_1x1": .01,
        ...           "nor_conv_3x3": .03, "avg_pool_3x3": .01} for lb in spaces.nb201().labels}
        >>> derive(spaces.nb201(), w)["3<-2"]  # "none" is never derived
        'skip_connect'
    """
    arch: dict[str, Any] = {}
    strength: dict[tuple[str, str], float] = {}
    for e in space.edges:
        w = (weights or {}).get(e.label) if e.is_decision else None
        ops = [op for op in e.ops if op != "none"] or list(e.ops)
        if w:
            ops = [op for op in ops if op in w] or ops
            best = max(ops, key=lambda op: (float(w.get(op, 0.0)), -ops.index(op)))
            strength[(e.src, e.dst)] = float(w.get(best, 0.0)) if best != "none" else 0.0
        else:
            best = ops[0]
            strength[(e.src, e.dst)] = 0.0 if best == "none" else 1.0 / len(e.ops)
        if e.is_decision:
            arch[e.label] = best
    for d in space.decisions:
        if isinstance(d, InputChoice):
            order = sorted(d.candidates)
            ranked = sorted(order, key=lambda c: (-strength.get((c, d.node), 0.0), order.index(c)))
            arch[d.label] = sorted(ranked[: d.k])
        elif not isinstance(d, OpDecision):
            arch[d.label] = d.choices()[0]
    return space.canonical(arch)


def batch_stat_norms(module: nn.Module) -> nn.Module:
    """Make every BatchNorm of ``module`` use batch statistics, also in eval mode."""
    for m in module.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.track_running_stats = False
            m.running_mean = None
            m.running_var = None
            m.num_batches_tracked = None
    return module


class Supernet(nn.Module):
    """All candidate operations of ``space`` in one module (see the module docstring).

    Attributes: ``candidates`` maps every edge label to the operations kept on it (in
    the edge's order, ``none`` included); ``mixed`` lists the labels of edges with two
    or more of them (the ones a ``weights`` dict must cover, in the space's order).
    """

    def __init__(self, space: SearchSpace, input_shape: Sequence[int], num_classes: int,
                 batch_stats: bool = True) -> None:
        super().__init__()
        check_space(space)
        shape: Shape = tuple(int(v) for v in input_shape)
        if not 1 <= len(shape) <= 3 or any(v < 1 for v in shape):
            raise ValueError(f"input_shape must be (F,), (T, F) or (C, H, W) of positive ints, got {input_shape}")
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
        self.space = space
        self.stem: nn.Module = nn.Identity()
        if space.stem is not None:
            if len(shape) != 3:
                raise ValueError(f"space {space.name!r} has a conv stem, which needs an image input (C, H, W); got {shape}")
            self.stem = nn.Sequential(nn.Conv2d(shape[0], space.stem, 3, padding=1, bias=False),
                                      nn.BatchNorm2d(space.stem))
            shape = (space.stem, *shape[1:])
        self.order = space.topological_nodes()
        self.merges = {n.name: n.merge for n in space.nodes}
        self.shapes: dict[str, Shape] = {self.order[0]: shape}
        self.incoming: dict[str, list[int]] = {n: [] for n in self.order}
        for i, e in enumerate(space.edges):
            self.incoming[e.dst].append(i)
        self.candidates: dict[str, tuple[str, ...]] = {}
        self.edge_shape: dict[int, Shape] = {}
        self.target: dict[int, Shape] = {}  # shape of an edge's slot after its projection
        self.op_keys: dict[int, dict[str, str]] = {}
        self.edge_ops = nn.ModuleDict()
        self.projections = nn.ModuleDict()
        for name in self.order[1:]:
            for i in self.incoming[name]:
                self._build_edge(i)
            outs = [self.edge_shape[i] for i in self.incoming[name]]
            if self.merges[name] == "concat" and len(outs) > 1:
                self.shapes[name], targets = _concat_shape(outs)
            else:
                self.shapes[name], targets = outs[0], [outs[0]] * len(outs)
            for i, t in zip(self.incoming[name], targets, strict=True):
                self.target[i] = t
                p = projection(self.edge_shape[i], t)
                if p is not None:
                    self.projections[f"e{i}"] = p
        self.mixed = tuple(e.label for e in space.edges if len(self.candidates[e.label]) > 1)
        self.head = classifier_head(space, self.shapes[self.order[-1]], num_classes)
        if batch_stats:
            batch_stat_norms(self)

    def _build_edge(self, i: int) -> None:
        e = self.space.edges[i]
        in_shape = self.shapes[e.src]
        built: dict[str, tuple[nn.Module, Shape]] = {}
        errors = []
        for op in e.ops:
            if op == "none":
                continue
            try:
                built[op] = ops.build_op(op, in_shape, **dict(e.params))
            except ValueError as err:
                errors.append(f"{op}: {err}")
        kept = tuple(op for op in e.ops if op == "none" or op in built)
        if not kept:
            raise ValueError(f"edge {e.label!r} ({e.src} -> {e.dst}): no candidate operation takes "
                             f"its input shape {in_shape} ({'; '.join(errors)})")
        self.candidates[e.label] = kept
        shape = next((out for _m, out in built.values()), in_shape)
        self.edge_shape[i] = shape
        self.op_keys[i] = {}
        for j, (op, (module, out)) in enumerate(built.items()):
            key = f"e{i}_o{j}"
            self.op_keys[i][op] = key
            p = projection(out, shape)
            self.edge_ops[key] = module if p is None else nn.Sequential(module, p)

    # ------------------------------------------------------------------ forward
    def _run_op(self, i: int, op: str, x: torch.Tensor) -> torch.Tensor | None:
        if op == "none":
            return None
        key = self.op_keys[i].get(op)
        if key is None:
            e = self.space.edges[i]
            raise ValueError(f"edge {e.label!r}: operation {op!r} does not take the edge's input "
                             f"shape {self.shapes[e.src]}; choose one of {list(self.candidates[e.label])}")
        return self.edge_ops[key](x)

    def _mixed(self, i: int, w: torch.Tensor, x: torch.Tensor) -> torch.Tensor | None:
        out = None
        for j, op in enumerate(self.candidates[self.space.edges[i].label]):
            y = self._run_op(i, op, x)
            if y is not None:
                out = w[j] * y if out is None else out + w[j] * y
        return out

    def forward(self, x: torch.Tensor, arch: Mapping[str, Any] | None = None,
                weights: Mapping[str, torch.Tensor] | None = None) -> torch.Tensor:
        """Logits of ``x`` through one architecture (``arch``) or the mixture (``weights``)."""
        if (arch is None) == (weights is None):
            raise ValueError("Supernet.forward takes exactly one of arch= (single path) or "
                             "weights= ({edge label: weights over its candidates}, DARTS)")
        chosen: dict[int, str] = {}
        if arch is not None:
            index = {id(e): i for i, e in enumerate(self.space.edges)}
            chosen = {index[id(e)]: op for e, op in active_edges(self.space, self.space.canonical(dict(arch)))}
        else:
            self._check_weights(weights)
        values = {self.order[0]: self.stem(x)}
        for name in self.order[1:]:
            parts: list[torch.Tensor | None] = []
            for i in self.incoming[name]:
                e = self.space.edges[i]
                src = values[e.src]
                if arch is not None:
                    y = self._run_op(i, chosen[i], src) if i in chosen else None
                elif e.label in self.mixed:
                    y = self._mixed(i, weights[e.label], src)  # type: ignore[index]
                else:
                    y = self._run_op(i, self.candidates[e.label][0], src)
                if y is not None and f"e{i}" in self.projections:
                    y = self.projections[f"e{i}"](y)
                parts.append(y)
            values[name] = self._merge(name, parts, x)
        return self.head(values[self.order[-1]])

    def _merge(self, name: str, parts: list[torch.Tensor | None], x: torch.Tensor) -> torch.Tensor:
        if self.merges[name] == "concat" and len(parts) > 1:
            full = [p if p is not None else x.new_zeros((x.shape[0], *self.target[i]))
                    for p, i in zip(parts, self.incoming[name], strict=True)]
            dim = 1 if len(self.shapes[name]) in (1, 3) else 2
            return torch.cat(full, dim)
        kept = [p for p in parts if p is not None]
        if not kept:
            return x.new_zeros((x.shape[0], *self.shapes[name]))
        return kept[0] if len(kept) == 1 else torch.stack(kept).sum(0)

    def _check_weights(self, weights: Any) -> None:
        if not isinstance(weights, Mapping):
            raise ValueError(f"weights must be a dict {{edge label: tensor}}, got {type(weights).__name__}")
        missing = [lb for lb in self.mixed if lb not in weights]
        extra = sorted(str(lb) for lb in weights if lb not in self.mixed)
        if missing or extra:
            raise ValueError(f"weights must cover exactly the mixed edges {list(self.mixed)}; "
                             f"missing {missing}, unknown {extra}")
        for lb in self.mixed:
            n = len(self.candidates[lb])
            if not isinstance(weights[lb], torch.Tensor) or tuple(weights[lb].shape) != (n,):
                raise ValueError(f"weights[{lb!r}] must be a tensor of shape ({n},), one weight "
                                 f"per candidate {list(self.candidates[lb])}")

    def fixed(self, arch: Mapping[str, Any] | None = None,
              weights: Mapping[str, torch.Tensor] | None = None) -> nn.Module:
        """A module ``x -> self(x, arch=arch, weights=weights)`` sharing these weights."""
        return _Fixed(self, arch, weights)

    # -------------------------------------------------------------------- sizes
    def path_params(self, arch: Mapping[str, Any]) -> int:
        """Trainable parameters on the path of ``arch`` (stem, kept ops, projections, head)."""
        index = {id(e): i for i, e in enumerate(self.space.edges)}
        mods: list[nn.Module] = [self.stem, self.head]
        for e, op in active_edges(self.space, self.space.canonical(dict(arch))):
            i = index[id(e)]
            if op in self.op_keys[i]:
                mods.append(self.edge_ops[self.op_keys[i][op]])
                if f"e{i}" in self.projections:
                    mods.append(self.projections[f"e{i}"])
        return sum(p.numel() for m in mods for p in m.parameters() if p.requires_grad)


class _Fixed(nn.Module):
    """The supernet with a fixed ``arch`` or mixture ``weights`` (see :meth:`Supernet.fixed`)."""

    def __init__(self, net: Supernet, arch: Mapping[str, Any] | None,
                 weights: Mapping[str, torch.Tensor] | None) -> None:
        super().__init__()
        self.net, self.arch, self.weights = net, arch, weights

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x, arch=self.arch, weights=self.weights)
