"""The search space: a DAG whose nodes are tensors and whose edges carry operation choices.

The spec is frozen and JSON round-trips. Validation happens at construction
(:mod:`.checks`) and in :meth:`SearchSpace.validate`; every ValueError names the node,
edge or decision at fault. Sampling, mutation, encoding and enumeration live in :mod:`.archs`; building a
``torch.nn.Module`` lives in :mod:`.build`.

Example:
    >>> import random
    >>> space = SearchSpace(
    ...     name="tiny",
    ...     nodes=[Node("in"), Node("h"), Node("out")],
    ...     edges=[Edge("in", "h", ["conv_3x3", "skip"]), Edge("h", "out", ["relu"])],
    ... )
    >>> space.size(), space.labels
    (2, ('h<-in',))
    >>> arch = space.sample(random.Random(0)); space.validate(arch)
    >>> SearchSpace.from_json(space.to_json()) == space
    True
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from . import archs
from .checks import HEADS, KEY_FORMATS, check_space
from .decisions import (
    Categorical,
    Decision,
    Edge,
    FloatRange,
    Hyperparameter,
    InputChoice,
    IntRange,
    Node,
    OpDecision,
)
from .parts_json import (
    describe,
    edge_from_dict,
    expect_int,
    expect_list,
    expect_str,
    hparam_from_dict,
    input_choice_from_dict,
    node_from_dict,
)

FORMAT = "nasbench_ui.space"
VERSION = 1
MAX_JSON_BYTES = 1_000_000
MAX_JSON_DEPTH = 32
#: The fields of the space JSON (``layout`` holds the graph editor's node positions).
FIELDS = ("format", "version", "name", "input", "output", "nodes", "edges", "input_choices",
          "hparams", "stem", "head", "key_format", "layout")


def json_depth(obj: Any, limit: int) -> int:
    """Nesting depth of a JSON value (a scalar is 1, ``[1]`` is 2), iteratively (no
    recursion limit to hit); the walk stops at the first level past ``limit``.

    Example:
        >>> json_depth({"a": [1, [2]]}, 32), json_depth([[[[]]]], 2)
        (4, 3)
    """
    deepest, stack = 0, [(obj, 1)]
    while stack:
        cur, d = stack.pop()
        deepest = max(deepest, d)
        if deepest > limit:
            return deepest
        if isinstance(cur, dict):
            stack.extend((v, d + 1) for v in cur.values())
        elif isinstance(cur, list):
            stack.extend((v, d + 1) for v in cur)
    return deepest


class UnusedHyperparameterWarning(UserWarning):
    """A hyperparameter of the space is read by nothing (see
    :meth:`SearchSpace.unused_hparams`): an experiment built on it warns with this class.

    Example:
        >>> issubclass(UnusedHyperparameterWarning, UserWarning)
        True
    """


@dataclass(frozen=True)
class SearchSpace:
    """A frozen search-space spec. See the module docstring and ``docs/ARCHITECTURE.md``."""

    name: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    input_choices: tuple[InputChoice, ...] = ()
    hparams: tuple[Hyperparameter, ...] = ()
    input: str = ""
    output: str = ""
    stem: int | None = None
    head: str = "flatten"
    key_format: str = "json"
    _decisions: tuple[Decision, ...] = field(default=(), compare=False, repr=False)

    def __init__(
        self,
        name: str,
        nodes: Sequence[Node | str],
        edges: Sequence[Edge],
        input_choices: Sequence[InputChoice] = (),
        hparams: Sequence[Hyperparameter] = (),
        input: str | None = None,
        output: str | None = None,
        stem: int | None = None,
        head: str = "flatten",
        key_format: str = "json",
    ) -> None:
        nodes_t = tuple(Node(n) if isinstance(n, str) else n for n in nodes)
        if not nodes_t:
            raise ValueError("a search space needs at least an input and an output node")
        s = object.__setattr__
        s(self, "name", str(name))
        s(self, "nodes", nodes_t)
        s(self, "edges", tuple(edges))
        s(self, "hparams", tuple(hparams))
        s(self, "input", input or nodes_t[0].name)
        s(self, "output", output or nodes_t[-1].name)
        s(self, "stem", stem)
        s(self, "head", head)
        s(self, "key_format", key_format)
        s(self, "input_choices", self._complete_input_choices(tuple(input_choices)))
        check_space(self)
        decisions: list[Decision] = [OpDecision(e.label, e) for e in self.edges if e.is_decision]
        decisions += list(self.input_choices)
        decisions += list(self.hparams)
        s(self, "_decisions", tuple(decisions))

    # ----------------------------------------------------------------- checks
    def _complete_input_choices(self, ics: tuple[InputChoice, ...]) -> tuple[InputChoice, ...]:
        out = []
        for ic in ics:
            if not ic.candidates:
                preds = tuple(e.src for e in self.edges if e.dst == ic.node)
                ic = InputChoice(ic.node, ic.k, preds, ic.label)
            out.append(ic)
        return tuple(out)

    # ------------------------------------------------------------- structure
    def graph(self) -> nx.DiGraph:
        """A networkx view: nodes with ``merge``, edges with ``ops`` and ``label``."""
        g = nx.DiGraph(name=self.name)
        for n in self.nodes:
            g.add_node(n.name, merge=n.merge)
        for e in self.edges:
            g.add_edge(e.src, e.dst, ops=e.ops, label=e.label)
        return g

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise ValueError(f"no node named {name!r}")

    def topological_nodes(self) -> list[str]:
        """Node names in a topological order that keeps the declared order on ties."""
        order = {n.name: i for i, n in enumerate(self.nodes)}
        return list(nx.lexicographical_topological_sort(self.graph(), key=order.__getitem__))

    @property
    def decisions(self) -> tuple[Decision, ...]:
        return self._decisions

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(d.label for d in self._decisions)

    def unused_hparams(self, reserved: Sequence[str] = ()) -> list[str]:
        """Hyperparameters that nothing reads: bound to no edge's operation and not one of
        the ``reserved`` labels a trainer reads (``learning_rate``, ``batch_size``...).

        Example:
            >>> from nasbench_ui.space import IntRange
            >>> s = SearchSpace("t", nodes=["a", "b"], edges=[Edge("a", "b", ("linear",),
            ...     bind={"units": "units"})], hparams=[IntRange("units", 8, 16, 8),
            ...     IntRange("lr", 1, 3)])
            >>> s.unused_hparams(reserved=("learning_rate",))
            ['lr']
        """
        bound = {ref for e in self.edges for _kw, ref in e.bind}
        return [h.label for h in self.hparams if h.label not in bound and h.label not in reserved]

    def unused_hparams_note(self, reserved: Sequence[str] = ()) -> str | None:
        """What to tell the user about :meth:`unused_hparams` (None when there are none):
        each label that nothing reads, and the ``reserved`` labels it may have meant.

        Example:
            >>> from nasbench_ui.space import IntRange
            >>> s = SearchSpace("t", nodes=["a", "b"], edges=[Edge("a", "b", ("relu",))],
            ...                 hparams=[IntRange("lr", 1, 3)])
            >>> print(s.unused_hparams_note(reserved=("learning_rate", "epochs")))
            hyperparameter 'lr' is read by nothing: no operation is bound to it and it is not a reserved label (learning_rate, epochs); bind it to an operation's keyword or rename it to a reserved label
        """
        unused = self.unused_hparams(reserved)
        if not unused:
            return None
        names = ", ".join(repr(u) for u in unused)
        one = len(unused) == 1
        return (f"hyperparameter{'' if one else 's'} {names} {'is' if one else 'are'} read by "
                f"nothing: no operation is bound to {'it' if one else 'them'} and "
                f"{'it is' if one else 'they are'} not a reserved label "
                f"({', '.join(reserved) or 'none'}); bind {'it' if one else 'them'} to an "
                "operation's keyword or rename "
                f"{'it to a reserved label' if one else 'them to reserved labels'}")

    def decision(self, label: str) -> Decision:
        for d in self._decisions:
            if d.label == label:
                return d
        raise ValueError(f"no decision labelled {label!r}; decisions: {list(self.labels)}")

    # ---------------------------------------------------------- architectures
    def validate(self, arch: Any) -> None:
        """Raise ValueError naming the decision if ``arch`` is not in this space."""
        archs.canonical(self, arch)

    def canonical(self, arch: Any) -> dict[str, Any]:
        """A validated copy with input choices sorted and floats on their grid."""
        return archs.canonical(self, arch)

    def key(self, arch: dict[str, Any]) -> str:
        """A canonical string (the official string for NAS-Bench-201 spaces)."""
        return archs.key(self, arch)

    def arch_id(self, arch: dict[str, Any]) -> str:
        """A stable 12-hex-digit id of an architecture."""
        return archs.arch_id(self, arch)

    def size(self) -> int:
        """The exact number of architectures."""
        return archs.size(self)

    def sample(self, rng: Any) -> dict[str, Any]:
        """A uniformly random architecture (``rng`` is a ``random.Random``)."""
        return archs.sample(self, rng)

    def mutate(self, arch: dict[str, Any], rng: Any) -> dict[str, Any]:
        """A copy with one decision changed to another value."""
        return archs.mutation(self, arch, rng)[0]

    def mutation(self, arch: dict[str, Any], rng: Any) -> tuple[dict[str, Any], str | None]:
        """Like :meth:`mutate`, also returning the label that changed."""
        return archs.mutation(self, arch, rng)

    def neighbors(self, arch: dict[str, Any]) -> list[dict[str, Any]]:
        """Every architecture that differs from ``arch`` in exactly one decision."""
        return archs.neighbors(self, arch)

    def encode(self, arch: dict[str, Any]) -> list[float]:
        """A fixed-length numeric vector (one-hot / multi-hot / scaled index)."""
        return archs.encode(self, arch)

    @property
    def encoding_size(self) -> int:
        return archs.encoding_size(self)

    def enumerate(self, limit: int = 100_000) -> Iterator[dict[str, Any]]:
        """Every architecture, in a fixed order; ValueError above ``limit``."""
        return archs.enumerate_archs(self, limit)

    def build(self, arch: dict[str, Any], input_shape: Sequence[int], num_classes: int,
              stack: Any = None) -> Any:
        """A ``torch.nn.Module`` for ``arch`` (see :func:`nasbench_ui.space.build.build`).

        ``stack`` (a :class:`~nasbench_ui.space.stacked.Stack` or a dict such as
        ``{"cells": 5}``) stacks the cell into NAS-Bench-201's macro skeleton instead
        (see :mod:`nasbench_ui.space.stacked`).
        """
        if stack is not None:
            from .stacked import build_stacked

            return build_stacked(self, arch, input_shape, num_classes, stack)
        from .build import build

        return build(self, arch, input_shape, num_classes)

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "name": self.name,
            "input": self.input,
            "output": self.output,
            "nodes": [n.to_dict() for n in self.nodes],
            "edges": [e.to_dict() for e in self.edges],
            "input_choices": [ic.to_dict() for ic in self.input_choices],
            "hparams": [h.to_dict() for h in self.hparams],
            "stem": self.stem,
            "head": self.head,
            "key_format": self.key_format,
        }

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, d: Any) -> SearchSpace:
        """Build a space from its JSON dict (the format of ``docs/ARCHITECTURE.md``).

        A ValueError's message starts with the path of the field at fault.

        Example:
            >>> SearchSpace.from_dict({"nodes": ["in", "out"], "edges": [], "hparams": 5})
            Traceback (most recent call last):
            ...
            ValueError: space.hparams: expected a list or null, got int (5)
        """
        if not isinstance(d, dict):
            raise ValueError(f"space: expected an object, got {describe(d)}")
        if json_depth(d, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
            raise ValueError(f"space: the JSON is nested deeper than {MAX_JSON_DEPTH} levels")
        fmt = expect_str(d.get("format", FORMAT), "space.format")
        if fmt != FORMAT:
            raise ValueError(f"space.format: not a search space: expected {FORMAT!r}, got "
                             f"{describe(fmt)}")
        version = expect_int(d.get("version", VERSION), "space.version")
        if version > VERSION:
            raise ValueError(f"space.version: {version} is newer than this nasbench_ui reads "
                             f"({VERSION}); upgrade nasbench_ui")
        if version < 1:
            raise ValueError(f"space.version: expected 1 to {VERSION}, got {version}")
        unknown = sorted(str(k) for k in set(d) - set(FIELDS))
        if unknown:
            raise ValueError(f"space: unknown field(s) {unknown}; known: {sorted(FIELDS)}")
        name = expect_str(d.get("name", "space"), "space.name")
        ends = {k: expect_str(d.get(k), f"space.{k}", optional=True) for k in ("input", "output")}
        stem = expect_int(d.get("stem"), "space.stem", optional=True)
        if stem is not None and stem < 1:
            raise ValueError(f"space.stem: expected null or a positive channel count, got {stem}")
        head = expect_str(d.get("head", "flatten"), "space.head")
        key_format = expect_str(d.get("key_format", "json"), "space.key_format")
        for key, value, allowed in (("head", head, HEADS), ("key_format", key_format, KEY_FORMATS)):
            if value not in allowed:
                raise ValueError(f"space.{key}: expected one of {list(allowed)}, got "
                                 f"{describe(value)}")
        for req in ("nodes", "edges"):
            if not isinstance(d.get(req), list):
                got = f"expected a list, got {describe(d[req])}" if req in d else "missing"
                raise ValueError(f"space.{req}: {got}; a search space JSON needs a list {req!r}")
        nodes = [node_from_dict(n, f"space.nodes[{i}]") for i, n in enumerate(d["nodes"])]
        edges = [edge_from_dict(e, f"space.edges[{i}]") for i, e in enumerate(d["edges"])]
        # Checks of the whole graph (a cycle, an unknown operation) raise from the
        # constructor with messages that name their node or edge (the graph editor
        # finds its culprits from them), not a field path.
        ics = [input_choice_from_dict(c, f"space.input_choices[{i}]") for i, c in
               enumerate(expect_list(d.get("input_choices"), "space.input_choices", True))]
        hps = [hparam_from_dict(h, f"space.hparams[{i}]")
               for i, h in enumerate(expect_list(d.get("hparams"), "space.hparams", True))]
        return cls(name=name or "", nodes=nodes, edges=edges, input_choices=ics, hparams=hps,
                   input=ends["input"], output=ends["output"], stem=stem, head=head or "flatten",
                   key_format=key_format or "json")

    @classmethod
    def from_json(cls, text: str | bytes) -> SearchSpace:
        """Parse JSON text (at most 1 MB, nested at most 32 deep) into a space."""
        if isinstance(text, bytes):
            text = text.decode("utf-8", errors="replace")
        if not isinstance(text, str):
            raise ValueError(f"space: from_json takes a str, got {type(text).__name__}")
        if len(text) > MAX_JSON_BYTES:
            raise ValueError(
                f"space: the JSON is {len(text)} characters; the limit is {MAX_JSON_BYTES}"
            )
        try:
            d = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"malformed search space JSON: {e.msg} at line {e.lineno} "
                             f"column {e.colno}") from None
        except RecursionError:
            raise ValueError(f"space: the JSON is nested deeper than {MAX_JSON_DEPTH} "
                             "levels") from None
        return cls.from_dict(d)


__all__ = [
    "Categorical", "Edge", "FloatRange", "InputChoice", "IntRange", "Node", "OpDecision",
    "SearchSpace",
]
