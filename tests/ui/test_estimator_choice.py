"""Which estimators the search panel offers (``ui/estimator_choice.py``): ``tabular`` only
for a space a benchmark table can hold, one whose keys are NAS-Bench-201 strings."""

from __future__ import annotations

import pytest

from nasbench_ui.space import SearchSpace, presets
from nasbench_ui.ui.estimator_choice import has_table, no_table_note, offered_estimators


@pytest.mark.parametrize(("name", "table"), [("nb201", True), ("digits_cell", True),
                                             ("keras_cnn", False), ("mlp", False),
                                             ("rnn", False), ("darts_cell", False)])
def test_a_table_serves_the_nas_bench_201_cells_only(name, table):
    space = presets.get(name)
    assert has_table(space) is table
    assert ("tabular" in offered_estimators(space)) is table
    assert {"train", "early_stop", "zero_cost"} <= set(offered_estimators(space))


def test_an_nb201_cell_edited_out_of_its_strings_has_no_table():
    d = presets.nb201().to_dict()
    d["edges"][0]["ops"] = ["conv_3x3", "skip"]  # no NAS-Bench-201 operations any more
    edited = SearchSpace.from_dict(d)
    assert edited.key_format == "nb201" and not has_table(edited)
    for ops in (["nor_conv_3x3", "sep_conv_5x5"], ["sep_conv_5x5", "nor_conv_3x3"]):
        d["edges"][0]["ops"] = ops  # one foreign operation: half its architectures lack a key
        assert not has_table(SearchSpace.from_dict(d)), ops
    one_op = presets.digits_cell().to_dict()
    one_op["edges"][0]["ops"] = one_op["edges"][0]["ops"][-1:]  # an edge left with one op
    assert has_table(SearchSpace.from_dict(one_op))  # still named in the string


def test_every_estimator_is_offered_while_no_space_is_known():
    assert "tabular" in offered_estimators(None)


def test_the_note_says_why_and_what_happens():
    mlp = presets.mlp()
    assert no_table_note("tabular", mlp, "early_stop").endswith("the estimator is now early_stop")
    assert "digits_cell preset" in no_table_note("tabular", mlp, None)
    assert no_table_note("tabular", mlp, None).endswith("so each trial will fail")
