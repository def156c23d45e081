"""LiveTables gives the same columns as the batch functions of viz.tables, incrementally."""

from __future__ import annotations

import math
import random

import pytest

from nasbench_ui.storage.trial import Trial, TrialState
from nasbench_ui.viz import tables
from nasbench_ui.viz.live_tables import LiveTables

S = TrialState


def _random_trials(n: int, seed: int, ties: bool = False) -> list[Trial]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        state = rng.choices([S.COMPLETE, S.PRUNED, S.FAILED, S.RUNNING], [8, 1, 1, 1])[0]
        grid = 5 if ties else 10**6
        v = rng.randrange(grid) / grid
        params = rng.randrange(grid) if rng.random() > 0.05 else None  # some miss the cost
        value = None if (state is S.FAILED or rng.random() < 0.03) else v
        out.append(Trial(i, state, {"b<-a": rng.choice(["relu", "tanh", "skip"])}, value,
                         {"params": params, "acc": v}))
    return out


def _same_cols(a: dict, b: dict) -> None:
    assert list(a) == list(b)
    for k in a:
        assert len(a[k]) == len(b[k]), k
        for x, y in zip(a[k], b[k], strict=True):
            assert x == y or (isinstance(x, float) and math.isnan(x) and math.isnan(y)), k


def _sorted_rows(cols: dict) -> list[tuple]:
    rows = list(zip(*cols.values(), strict=True))
    return sorted(rows, key=lambda r: (r[0], repr(r)))


@pytest.mark.parametrize("maximize", [True, False])
@pytest.mark.parametrize("ties", [False, True])
def test_in_order_batches_equal_the_batch_functions(maximize: bool, ties: bool) -> None:
    trials = _random_trials(400, seed=3 + ties, ties=ties)
    lt = LiveTables(maximize=maximize, top_k=7)
    rng = random.Random(1)
    i = 0
    while i < len(trials):  # the full list so far, as a poller passes it
        i += rng.randint(1, 30)
        lt.feed(trials[:i])
        seen = trials[:i]
        _same_cols(lt.history, tables.history_data(seen, maximize=maximize))
        sc = tables.scatter_data(seen, maximize_y=maximize)
        _same_cols(lt.points, sc["points"])
        _same_cols(lt.front, sc["front"])
        _same_cols(tables.op_frequency(lt.top, _space(), 7, maximize),
                   tables.op_frequency(seen, _space(), 7, maximize))


def test_out_of_order_finishes_give_the_same_rows() -> None:
    """Trials finish out of number order (parallel workers): history rows stay by number,
    best-so-far is recomputed, and the scatter holds the same set of points and front."""
    trials = [t for t in _random_trials(300, seed=9) if t.state is not S.RUNNING]
    order = list(trials)
    random.Random(2).shuffle(order)
    lt = LiveTables(top_k=5)
    for k in range(0, len(order), 13):
        lt.feed(order[k:k + 13])  # only the changed trials this time
    _same_cols(lt.history, tables.history_data(trials))
    sc = tables.scatter_data(trials)
    assert _sorted_rows(lt.points) == _sorted_rows(sc["points"])
    assert sorted(lt.front["number"]) == sorted(sc["front"]["number"])
    assert lt.front["x"] == sorted(lt.front["x"])
    assert [t.number for t in lt.top] == [t.number for t in sorted(
        (t for t in trials if t.state is S.COMPLETE and t.value is not None),
        key=lambda t: (-t.value, t.number))[:5]]


def test_all_points_on_the_front_and_duplicates() -> None:
    """Cost rising with value puts every point on the front (the UI benchmark's estimator);
    equal points are all kept, as pareto_front keeps them."""
    pts = [(0.5, 50), (0.2, 20), (0.9, 90), (0.5, 50), (0.4, 60)]
    trials = [Trial(i, S.COMPLETE, {}, v, {"params": p}) for i, (v, p) in enumerate(pts)]
    lt = LiveTables()
    for t in trials:
        lt.feed([t])
    assert lt.points["pareto"] == [True, True, True, True, False]
    assert lt.front["number"] == [1, 0, 3, 2]
    assert lt.front_version == 4  # the dominated point left the front as it was


def test_running_trials_wait_and_seen_trials_are_skipped() -> None:
    lt = LiveTables()
    running = Trial(0, S.RUNNING, {})
    assert lt.feed([running]) == 0 and lt.history["number"] == []
    done = Trial(0, S.COMPLETE, {}, 0.3, {"params": 1})
    assert lt.feed([done]) == 1
    again = Trial(0, S.COMPLETE, {}, 0.3, {"params": 1})  # a re-read of the same trial
    assert lt.feed([done, again]) == 0 and lt.history["number"] == [0]


def test_bad_input_is_refused_clearly() -> None:
    lt = LiveTables()
    lt.feed([Trial(0, S.COMPLETE, {}, 0.3)])
    with pytest.raises(ValueError, match="changed after it finished"):
        lt.feed([Trial(0, S.COMPLETE, {}, 0.9)])
    with pytest.raises(ValueError, match="not a Trial"):
        lt.feed([{"number": 1}])
    with pytest.raises(ValueError, match="top_k"):
        LiveTables(top_k=0)
    with pytest.raises(ValueError, match="metric names"):
        LiveTables(x=None)  # type: ignore[arg-type]


def _space():
    from nasbench_ui.space import Edge, SearchSpace

    return SearchSpace("t", ["a", "b"], [Edge("a", "b", ["relu", "tanh", "skip"])])


def _finishing_run(n: int, seed: int) -> list[list[Trial]]:
    """Snapshots of a run's sorted trial list as a poller sees it: trials start RUNNING
    and finish later, some out of order (several in flight)."""
    rng = random.Random(seed)
    final = _random_trials(n, seed)
    current: list[Trial] = []
    snaps = []
    for t in final:
        current = list(current)
        current.append(Trial(t.number, S.RUNNING, t.arch))
        for i in range(len(current)):  # finish a few of those in flight
            if current[i].state is S.RUNNING and rng.random() < 0.4:
                done = final[i] if final[i].state is not S.RUNNING else final[i]
                current[i] = done if done.state is not S.RUNNING else current[i]
        snaps.append(current)
    snaps.append([t if t.state is not S.RUNNING else t for t in final])
    return snaps


@pytest.mark.parametrize("seed", [0, 1])
def test_feed_sorted_equals_feed_of_the_whole_list(seed: int) -> None:
    whole, tail = LiveTables(top_k=5), LiveTables(top_k=5)
    for snap in _finishing_run(300, seed):
        whole.feed(snap)
        new = tail.feed_sorted(snap)
        assert all(t.state.finished for t in new)
        assert [t.number for t in new] == sorted(t.number for t in new)
        _same_cols(tail.history, whole.history)
        _same_cols(tail.points, whole.points)
        _same_cols(tail.front, whole.front)
        assert tail.folded <= len(snap)
        assert all(t.state.finished for t in snap[:tail.folded])


def test_feed_sorted_checks_a_list_read_afresh() -> None:
    lt = LiveTables()
    lt.feed_sorted([Trial(0, S.COMPLETE, {}, 0.3), Trial(1, S.COMPLETE, {}, 0.4)])
    with pytest.raises(ValueError, match="changed after it finished"):  # new objects, new value
        lt.feed_sorted([Trial(0, S.COMPLETE, {}, 0.9), Trial(1, S.COMPLETE, {}, 0.4)])


@pytest.mark.parametrize("seed", [2, 3])
def test_sync_with_the_changed_rows_equals_a_full_sync(seed: int) -> None:
    from bokeh.models import ColumnDataSource

    from nasbench_ui.viz.figures import sync_source

    lt = LiveTables()
    hinted = {role: ColumnDataSource({k: [] for k in cols}) for role, cols in
              (("history", lt.history), ("points", lt.points))}
    full = {role: ColumnDataSource({k: [] for k in cols}) for role, cols in
            (("history", lt.history), ("points", lt.points))}
    for snap in _finishing_run(250, seed):
        lt.feed_sorted(snap)
        for role, cols in (("history", lt.history), ("points", lt.points)):
            sync_source(hinted[role], cols, changed=lt.changes(role))
            sync_source(full[role], cols)
            _same_cols(dict(hinted[role].data), cols)
            _same_cols(dict(full[role].data), cols)
        lt.clear_changes()


def test_tables_without_texts_format_them_for_the_rows_asked() -> None:
    """``texts=False`` (the live charts): the same columns but the texts, which
    ``texts_of`` formats for the rows a chart draws."""
    ts = [Trial(i, S.COMPLETE, {"a": "b"}, i / 10, {"params": 10 - i}) for i in range(4)]
    with_texts, without = LiveTables(), LiveTables(texts=False)
    with_texts.feed(ts)
    without.feed(ts)
    for table in ("history", "points"):
        full, lean = getattr(with_texts, table), getattr(without, table)
        assert set(lean) == set(full) - {"arch_text", "metrics_text"}
        for k, v in lean.items():
            assert v == full[k], (table, k)
    assert not without.memo  # nothing formatted yet
    for i in range(4):
        assert without.texts_of(i, "COMPLETE") == (with_texts.history["arch_text"][i],
                                                  with_texts.history["metrics_text"][i])
