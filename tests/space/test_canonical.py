"""Functional equivalence of cells: dead edges, interchangeable nodes, identity edges, and
spaces where no two architectures are merged."""

from __future__ import annotations

import itertools

from nasbench_ui import spaces
from nasbench_ui.space.canonical import Equivalence, functional_key, live_edges, pruned
from nasbench_ui.space.decisions import Edge, Node
from nasbench_ui.space.spec import SearchSpace


def _all(space: SearchSpace) -> list[dict[str, str]]:
    choices = [d.choices() for d in space.decisions]
    return [dict(zip(space.labels, c, strict=True)) for c in itertools.product(*choices)]


def test_nb201_classes_and_their_members() -> None:
    space = spaces.nb201()
    eq = Equivalence(space)
    archs = _all(space)
    keys = [eq.key(a) for a in archs]
    assert len(archs) == 15_625 and len(set(keys)) == 5_773
    # every member of a class prunes to a cell of the same class, and pruning is idempotent
    for a, k in zip(archs[::97], keys[::97], strict=True):
        p = eq.pruned(a)
        assert eq.key(p) == k and eq.pruned(p) == p
    # the cells with no input-output path are one class: the zero function
    zero = [a for a, k in zip(archs, keys, strict=True) if k == "0"]
    assert all(not eq.live(a) for a in zero) and len(zero) > 1


def test_dead_edges_are_those_off_every_live_path() -> None:
    space = spaces.nb201()
    conv = dict.fromkeys(space.labels, "nor_conv_3x3")
    assert [e.label for e in live_edges(space, conv)] == list(space.labels)
    cut = {**conv, "3<-2": "none", "3<-1": "none"}  # nodes 1 and 2 no longer reach the output
    assert [e.label for e in live_edges(space, cut)] == ["3<-0"]
    assert pruned(space, cut) == {**dict.fromkeys(space.labels, "none"), "3<-0": "nor_conv_3x3"}
    assert functional_key(space, cut) == "nor_conv_3x3[x]"


def test_sums_commute_and_identity_edges_pass_their_input() -> None:
    space = spaces.nb201()
    base = {**dict.fromkeys(space.labels, "none"), "3<-1": "nor_conv_3x3",
            "3<-2": "nor_conv_1x1"}
    a = {**base, "1<-0": "nor_conv_3x3", "2<-0": "avg_pool_3x3"}
    swapped = {**base, "1<-0": "avg_pool_3x3", "2<-0": "nor_conv_3x3",
               "3<-1": "nor_conv_1x1", "3<-2": "nor_conv_3x3"}
    assert functional_key(space, a) == functional_key(space, swapped)
    direct = {**dict.fromkeys(space.labels, "none"), "3<-0": "nor_conv_3x3"}
    through = {**dict.fromkeys(space.labels, "none"), "1<-0": "skip_connect",
               "3<-1": "nor_conv_3x3"}
    assert functional_key(space, direct) == functional_key(space, through)
    twice = {**direct, "1<-0": "nor_conv_3x3", "3<-1": "skip_connect"}  # conv(x) + conv(x)
    assert functional_key(space, twice) != functional_key(space, direct)


def test_concatenating_cells_are_not_merged() -> None:
    ops = ("none", "skip_connect", "nor_conv_3x3")

    def cell(merge: str) -> SearchSpace:
        return SearchSpace(merge, nodes=["0", "1", Node("2", merge=merge)],
                           edges=[Edge("0", "1", ops, label="a"), Edge("0", "2", ops, label="b"),
                                  Edge("1", "2", ops, label="c")])

    x = {"a": "skip_connect", "b": "none", "c": "nor_conv_3x3"}  # conv(x)
    y = {"a": "none", "b": "nor_conv_3x3", "c": "skip_connect"}  # conv(x), c is dead
    summed = cell("sum")
    assert functional_key(summed, x) == functional_key(summed, y) == "nor_conv_3x3[x]"
    assert pruned(summed, y) == {**y, "c": "none"}
    cat = cell("concat")  # a zero input still widens a concatenation: nothing is merged
    eq = Equivalence(cat)
    assert not eq.judgeable
    assert eq.key(x) == cat.key(x) != eq.key(y) and eq.pruned(y) == y


def test_pruned_rows_is_pruned_of_every_nb201_cell() -> None:
    """The vectorised pruning (BANANAS's predictor input) equals the per-architecture one
    on all 15,625 cells, and leaves a space it cannot judge unchanged."""
    import itertools

    import numpy as np

    from nasbench_ui import spaces
    from nasbench_ui.space.canonical import Equivalence

    space = spaces.nb201()
    eq, choices = Equivalence(space), [d.choices() for d in space.decisions]
    rows = np.array(list(itertools.product(*(range(len(c)) for c in choices))))
    assert len(rows) == 15_625
    out = eq.pruned_rows(rows, space.labels, choices)
    changed = 0
    for row, got in zip(rows, out, strict=True):
        arch = {lb: c[i] for lb, c, i in zip(space.labels, choices, row, strict=True)}
        want = eq.pruned(arch)
        assert {lb: c[i] for lb, c, i in zip(space.labels, choices, got, strict=True)} == want
        changed += want != arch
    assert changed > 1000  # many cells have dead edges: the test compares real work
    mlp = spaces.mlp()
    mch = [d.choices() for d in mlp.decisions]
    mrows = np.zeros((3, len(mch)), dtype=np.int64)
    assert (Equivalence(mlp).pruned_rows(mrows, mlp.labels, mch) == mrows).all()


def _ladder(n: int) -> SearchSpace:
    """A cell where each node sums the two before it: its expression written out doubles
    at every node (a Fibonacci tree of 2^(n/1.44) terms)."""
    ops = ("nor_conv_3x3", "skip_connect")
    edges = [Edge("n0", "n1", ops)]
    for i in range(2, n):
        edges += [Edge(f"n{i - 1}", f"n{i}", ops), Edge(f"n{i - 2}", f"n{i}", ops)]
    return SearchSpace("ladder", [Node(f"n{i}") for i in range(n)], edges, input="n0",
                       output=f"n{n - 1}")


def test_a_small_space_whose_expression_doubles_at_every_node_keys_in_bounded_memory(
        monkeypatch) -> None:
    """A 6 KB space of 60 nodes (a shared config, BANANAS' default equivalence): its key
    was the output's expression written out, 34 MB at 30 nodes and past any machine's
    memory at 45 (the process was killed). A node's expression longer than
    ``KEY_PART_LIMIT`` now stands as a digest of itself, so the key stays short and
    still tells functions apart exactly as before.

    Counted, not timed: each node's expression goes through ``_compact`` once, and none
    is longer than its two terms written at the limit (the work of the strings is
    linear in the nodes; written out, node 12's already is not, and the wrapper fails
    there, before the memory runs out); the Python lines a node do not grow from 30
    nodes to 60 (45 a node)."""
    from helpers.work import lines_run

    from nasbench_ui.space import canonical
    from nasbench_ui.space.canonical import KEY_PART_LIMIT

    longest_term = len("nor_conv_3x3[]") + KEY_PART_LIMIT
    bound = 2 * longest_term + len("(+)")  # two terms, each at most the limit
    seen: list[int] = []
    compact = canonical._compact

    def counted(expr: str) -> str:
        seen.append(len(expr))
        assert len(expr) <= bound, f"node {len(seen)}'s expression is {len(expr)} characters"
        return compact(expr)

    monkeypatch.setattr(canonical, "_compact", counted)
    per_node = {}
    for n in (30, 60):
        space = _ladder(n)
        eq = Equivalence(space)
        conv = dict.fromkeys(space.labels, "nor_conv_3x3")
        seen.clear()
        per_node[n] = lines_run(lambda: eq.key(conv), limit=200 * n) / n  # noqa: B023
        assert len(seen) == n - 1 and max(seen) > KEY_PART_LIMIT  # each node once, some cut
    assert per_node[60] <= 1.1 * per_node[30], per_node
    key = eq.key(conv)
    assert len(key) <= 3 * KEY_PART_LIMIT
    other = {**conv, "n30<-n29": "skip_connect"}  # another function, deep in the cell
    assert eq.key(other) != key and eq.key(dict(conv)) == key
    # a small cell keeps its readable key
    assert Equivalence(_ladder(4)).key(dict.fromkeys(_ladder(4).labels, "skip_connect")) == \
        "((x+x)+x)"


def test_the_live_edges_of_a_large_space_are_found_in_linear_time() -> None:
    """live (behind every functional key: BANANAS keys each candidate) walked every edge
    for every node: 4.7 s a call on a space of 500 nodes and 18,000 edges (0.9 MB of
    JSON, under from_json's limit).

    Counted, not timed: the Python lines live and key run an edge must not grow with the
    space (16.6 at 100 nodes and 2,934 edges, at 200 and 6,534, at 500 and 17,334);
    walking every edge for every node, they double with the nodes."""
    import random

    from helpers.work import lines_run

    def wide(n: int, back: int = 36) -> SearchSpace:
        edges = [Edge(f"n{s}", f"n{d}", ("nor_conv_3x3", "none"))
                 for d in range(1, n) for s in range(max(0, d - back), d)]
        return SearchSpace("wide", [Node(f"n{i}") for i in range(n)], edges, input="n0",
                           output=f"n{n - 1}")

    def per_edge(space: SearchSpace, limit_per_edge: float | None = None) -> float:
        eq = Equivalence(space)
        arch = space.sample(random.Random(0))
        limit = None if limit_per_edge is None else int(limit_per_edge * len(space.edges))
        return lines_run(lambda: (eq.live(arch), eq.key(arch)), limit=limit) / len(space.edges)

    per_edge(wide(10))  # first-call work
    small = per_edge(wide(100))
    larger = per_edge(wide(200), limit_per_edge=3 * small)
    assert larger <= 1.1 * small, (small, larger)
    space = wide(500)
    eq = Equivalence(space)
    arch = space.sample(random.Random(0))
    largest = per_edge(space, limit_per_edge=3 * small)
    assert largest <= 1.1 * small, (small, largest)
    live = eq.live(arch)
    import networkx as nx

    kept = nx.DiGraph([(e.src, e.dst, {"i": i}) for i, e in enumerate(space.edges)
                       if arch[e.label] != "none"])
    fwd = nx.descendants(kept, "n0") | {"n0"}
    back = nx.ancestors(kept, space.output) | {space.output}
    assert live == sorted(d["i"] for s, t, d in kept.edges(data=True) if s in fwd and t in back)
    assert len(live) > 1000
    assert eq.live(dict.fromkeys(space.labels, "none")) == []
