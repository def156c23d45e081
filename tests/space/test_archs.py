"""Sampling, mutation, neighbours, encoding, enumeration and keys."""

import random

import pytest

from nasbench_ui import spaces
from nasbench_ui.space import Edge, InputChoice, IntRange, SearchSpace


@pytest.mark.parametrize("name", ["keras_cnn", "rnn", "blank"])
def test_size_matches_enumeration(name):
    s = spaces.get(name)
    archs = list(s.enumerate())
    assert len(archs) == s.size()
    assert len({s.key(a) for a in archs}) == s.size()


def test_size_with_input_choice_matches_enumeration():
    s = SearchSpace("ic", ["in", "a", "b", "out"],
                    [Edge("in", "a", ["relu", "tanh"]), Edge("in", "b", ["relu"]),
                     Edge("a", "b", ["relu"]), Edge("a", "out", ["relu"]), Edge("b", "out", ["relu"]),
                     Edge("in", "out", ["skip", "none"])],
                    input_choices=[InputChoice("out", 2)], hparams=[IntRange("u", 1, 3)])
    assert s.size() == 2 * 2 * 3 * 3
    assert len(list(s.enumerate())) == s.size()


def test_enumerate_refuses_large_space():
    with pytest.raises(ValueError, match="786,432 architectures; enumeration allows at most 100,000"):
        next(spaces.darts_cell().enumerate())


def test_sample_is_seeded_and_valid():
    s = spaces.darts_cell()
    a = [s.sample(random.Random(3)) for _ in range(2)]
    assert a[0] == a[1]
    s.validate(a[0])


@pytest.mark.parametrize("name", ["keras_cnn", "mlp", "nb201", "darts_cell", "rnn"])
def test_mutate_changes_exactly_one_decision(name):
    s = spaces.get(name)
    rng = random.Random(0)
    for _ in range(30):
        a = s.sample(rng)
        b, label = s.mutation(a, rng)
        diff = [k for k in a if a[k] != b[k]]
        assert diff == [label]
        s.validate(b)


def test_neighbors_nb201():
    s = spaces.nb201()
    a = s.sample(random.Random(0))
    nbrs = s.neighbors(a)
    assert len(nbrs) == 6 * 4
    assert all(sum(a[k] != n[k] for k in a) == 1 for n in nbrs)
    assert len({s.key(n) for n in nbrs}) == 24


def test_encode_fixed_length_and_distinct():
    s = spaces.keras_cnn()
    vecs = {tuple(s.encode(a)) for a in s.enumerate()}
    assert len(vecs) == s.size()
    assert all(len(v) == s.encoding_size for v in vecs)
    assert all(0.0 <= x <= 1.0 for v in vecs for x in v)


def test_arch_id_stable():
    s = spaces.nb201()
    a = spaces.nb201_arch("|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|")
    assert s.arch_id(a) == s.arch_id(dict(reversed(list(a.items()))))
    assert len(s.arch_id(a)) == 12


def test_float_values_canonicalised():
    s = spaces.keras_cnn()
    a = s.sample(random.Random(0))
    a["dropout"] = 0.1 + 0.2  # 0.30000000000000004
    assert s.canonical(a)["dropout"] == 0.3


def test_an_nb201_key_names_an_edge_left_with_one_operation():
    """Unticking all but one operation of an edge (the workshop's first exercise) makes
    it no decision; the NAS-Bench-201 string still names its operation, so a table of
    the full space (``nb.benchmarks.digits()``) still finds the cell."""
    d = spaces.digits_cell().to_dict()
    (edge,) = [e for e in d["edges"] if e.get("label", f"{e['dst']}<-{e['src']}") == "1<-0"]
    edge["ops"] = ["nor_conv_3x3"]
    fixed = SearchSpace.from_dict(d)
    assert "1<-0" not in fixed.labels and fixed.size() * 4 == spaces.digits_cell().size()
    arch = fixed.sample(random.Random(0))
    assert fixed.key(arch) == spaces.digits_cell().key({**arch, "1<-0": "nor_conv_3x3"})


def test_a_tabular_search_runs_on_a_space_with_a_one_operation_edge():
    import nasbench_ui as nb

    d = spaces.digits_cell().to_dict()
    d["edges"][0]["ops"] = [d["edges"][0]["ops"][-1]]
    exp = nb.Experiment(SearchSpace.from_dict(d), strategy="random", estimator="tabular",
                        estimator_options={"table": "digits"}, trials=4, seed=0)
    exp.run()
    assert exp.status == "done" and exp.last_error is None
    assert [t.state.name for t in exp.trials] == ["COMPLETE"] * 4


def test_an_architecture_of_a_large_space_is_checked_in_linear_time():
    """canonical (behind key, validate, mutate and encode: every trial) looked each label
    of the architecture up in the tuple of the space's labels: 8.5 s a call for a space of
    18,000 decisions (0.9 MB of JSON, under from_json's limit), so each trial of a shared
    space's search held the kernel that long.

    Counted, not timed: the Python lines validate and key run, the space's labels
    :class:`~helpers.work.Label` strings (their ``==`` is Python, so a lookup in a tuple
    of them counts each comparison) and the architecture's keys plain strings, as read
    from a store. The lines a decision must not grow with the decisions: 35 at 1,000 and
    at 2,000; with the tuple's ``in`` back, 1,034 and 2,034."""
    import random

    from helpers.work import Label, lines_run

    from nasbench_ui.space import Categorical, Edge, Node, SearchSpace

    def wide(n: int) -> SearchSpace:
        return SearchSpace("wide", [Node("in"), Node("out")], [Edge("in", "out", ("linear",))],
                           hparams=[Categorical(Label(f"h{i}"), (1, 2)) for i in range(n)])

    def checked(space: SearchSpace):
        arch = {str(k): v for k, v in space.sample(random.Random(0)).items()}
        return lambda: (space.validate(arch), space.key(arch))

    assert type(wide(2).labels[0]) is Label
    lines_run(checked(wide(10)))  # first-call work
    per_decision = lines_run(checked(wide(1000))) / 1000
    per_decision_2x = lines_run(checked(wide(2000)), limit=int(3 * per_decision * 2000)) / 2000
    assert per_decision_2x <= 1.1 * per_decision, (per_decision, per_decision_2x)
    # the 18,000 decisions themselves: checked, keyed, an unknown one named
    space = SearchSpace("wide", [Node("in"), Node("out")], [Edge("in", "out", ("linear",))],
                        hparams=[Categorical(f"h{i}", (1, 2)) for i in range(18_000)])
    arch = space.sample(random.Random(0))
    space.validate(arch)
    assert len(space.key(arch)) > 18_000
    with pytest.raises(ValueError, match=r"unknown decision\(s\) \['nope'\]"):
        space.validate({**arch, "nope": 1})
