"""Multi-fidelity rungs: read from trial.meta, a promoted curve continues its parent's."""

from __future__ import annotations

from nasbench_ui.storage.trial import Trial, TrialState
from nasbench_ui.viz import rungs, tables

S = TrialState


def _curve(epochs: range, start: float) -> list[dict]:
    return [{"epoch": e, "valid_acc": start + 0.01 * e} for e in epochs]


def _ladder() -> list[Trial]:
    """Trial 0 at rung 0 (epochs 1-2), promoted as trial 2 (rung 1, epochs 3-4, resumed)
    and as trial 3 (rung 2, epochs 5-8); trial 1 a rung-0 trial never promoted; trial 4
    promoted from 1 but trained from scratch (epochs 1-4)."""
    def t(n: int, meta: dict, epochs: range) -> Trial:
        return Trial(n, S.COMPLETE, {"op": n}, 0.5, {"valid_acc": 0.5}, curve=_curve(epochs, 0.4),
                     meta=meta)
    return [t(0, {"rung": 0, "budget": {"epochs": 2}}, range(1, 3)),
            t(1, {"rung": 0, "budget": {"epochs": 2}}, range(1, 3)),
            t(2, {"rung": 1, "budget": {"epochs": 4}, "promoted_from": 0}, range(3, 5)),
            t(3, {"rung": 2, "budget": {"epochs": 8}, "promoted_from": 2}, range(5, 9)),
            t(4, {"rung": 1, "budget": {"epochs": 4}, "promoted_from": 1}, range(1, 5))]


def test_rung_fields_are_read_strictly() -> None:
    bad = [{"rung": True}, {"rung": -1}, {"rung": "1"}, {"rung": 1.0}, {}]
    for meta in bad:
        assert rungs.rung_of(Trial(0, S.COMPLETE, {}, meta=meta)) is None
    assert rungs.parent_of(Trial(3, S.COMPLETE, {}, meta={"promoted_from": 3})) is None  # itself
    t = _ladder()[3]
    assert (rungs.rung_of(t), rungs.parent_of(t)) == (2, 2)
    assert rungs.rung_text(t) == "rung 2 · epochs 8 · from trial 2"
    assert not rungs.has_rungs([Trial(0, S.COMPLETE, {})]) and rungs.has_rungs(_ladder())


def test_a_promoted_curve_continues_its_ancestors() -> None:
    trials = _ladder()
    d = tables.curves_data(trials, lineage=lambda n: trials[n])
    by = {n: i for i, n in enumerate(d["number"])}
    # trial 3 climbs from rung 0: epochs 1..8, 4 points from its ancestors (0 and 2)
    assert d["xs"][by[3]] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    assert (d["joined_at"][by[3]], d["rung"][by[3]], d["parent_rung"][by[3]]) == (4, 2, 1)
    # trial 4 restarted from scratch: its own curve only
    assert d["xs"][by[4]] == [1.0, 2.0, 3.0, 4.0] and d["joined_at"][by[4]] == 0
    assert d["rung_text"][by[2]] == "rung 1 · epochs 4 · from trial 0"
    # without a lineage, each trial draws its own points
    plain = tables.curves_data(trials)
    assert plain["xs"][plain["number"].index(3)] == [5.0, 6.0, 7.0, 8.0]


def test_rung_marks_label_each_rung_on_the_lines() -> None:
    trials = _ladder()
    marks = rungs.rung_marks(tables.curves_data(trials, lineage=lambda n: trials[n]))
    got = sorted(zip(marks["number"], marks["x"], marks["label"], strict=True))
    assert (3, 4.0, "r1") in got and (3, 8.0, "r2") in got  # the join and the end
    assert (4, 4.0, "r1") in got and not any(n == 4 and lab == "r0" for n, _, lab in got)
    assert rungs.rung_marks(tables.curves_data([Trial(0, S.COMPLETE, {}, curve=_curve(
        range(1, 3), 0.1))]))["x"] == []  # no rung, no marker


def test_a_cycle_in_bad_data_ends() -> None:
    a = Trial(0, S.COMPLETE, {}, curve=_curve(range(3, 4), 0.1), meta={"rung": 1, "promoted_from": 1})
    b = Trial(1, S.COMPLETE, {}, curve=_curve(range(1, 3), 0.1), meta={"rung": 0, "promoted_from": 0})
    xs, _, joined = rungs.joined_curve(a, [3.0], [0.1], lambda t: ([1.0, 2.0], [0.1, 0.1]),
                                       {0: a, 1: b}.get)
    assert xs == [1.0, 2.0, 3.0] and joined == 2
