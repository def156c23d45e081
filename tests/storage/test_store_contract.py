"""The TrialStore contract, checked on both stores (memory, and SQLite in tmp_path)."""

from __future__ import annotations

import math
import threading
import time

import numpy as np
import pytest

from nasbench_ui.storage import (
    MemoryStore,
    SQLiteStore,
    StoreError,
    Trial,
    TrialState,
    TrialStore,
    open_store,
)


@pytest.fixture(params=["memory", "sqlite"])
def store(request, tmp_path):
    s = MemoryStore() if request.param == "memory" else SQLiteStore(tmp_path / "runs" / "t.db")
    yield s
    s.close()


def test_both_stores_follow_the_protocol(store):
    assert isinstance(store, TrialStore)
    assert open_store(store) is store


def test_round_trip_of_every_field(store):
    config = {"space": {"name": "nb201"}, "trials": 30, "lr": 1e-3, "tags": ["a", "b"], "x": None}
    name = store.create_experiment("demo", config)
    assert name == "demo"
    arch = {"1<-0": "nor_conv_3x3", "n3.inputs": ["in", "n1"], "dropout": 0.25, "units": 64}
    meta = {"parent": 3, "mutation": {"edge": "1<-0", "from": "skip_connect"}}
    n = store.create_trial(name, arch, started_at=100.0, worker="w-1", meta=meta)
    store.append_curve(name, n, {"epoch": 0, "valid_acc": 0.5})
    store.append_curve(name, n, {"epoch": 1, "valid_acc": 0.625})
    store.finish_trial(
        name,
        n,
        TrialState.COMPLETE,
        value=0.625,
        metrics={"valid_acc": 0.625, "params": 1234, "latency_ms": 1.5},
        finished_at=112.5,
        strategy_state={"population": [[0, 0.625]], "rng": [1, 2, 3]},
        counters={"spent_s": 12.5},
    )
    t = store.trial(name, n)
    assert t == Trial(
        number=0,
        state=TrialState.COMPLETE,
        arch=arch,
        value=0.625,
        metrics={"valid_acc": 0.625, "params": 1234, "latency_ms": 1.5},
        curve=[{"epoch": 0, "valid_acc": 0.5}, {"epoch": 1, "valid_acc": 0.625}],
        error=None,
        started_at=100.0,
        finished_at=112.5,
        worker="w-1",
        meta=meta,
    )
    assert t.duration_s == 12.5
    exp = store.load_experiment(name)
    assert exp["name"] == "demo"
    assert exp["config"] == config
    assert exp["strategy_state"] == {"population": [[0, 0.625]], "rng": [1, 2, 3]}
    assert exp["counters"] == {"spent_s": 12.5}
    assert abs(exp["created_at"] - time.time()) < 60


def test_failed_trial_keeps_error_and_defaults_times(store):
    name = store.create_experiment("e", {})
    before = time.time()
    n = store.create_trial(name, {"op": "conv"})
    store.finish_trial(name, n, "FAILED", error="RuntimeError: out of memory")
    t = store.trial(name, n)
    assert t.state is TrialState.FAILED and t.value is None
    assert t.error == "RuntimeError: out of memory"
    assert before <= t.started_at <= t.finished_at <= time.time()
    assert t.metrics == {} and t.curve == [] and t.meta == {} and t.worker is None


def test_experiment_settings_are_replaced(store):
    name = store.create_experiment(None, {"a": 1})
    store.update_config(name, {"a": 2})
    store.save_strategy_state(name, {"step": 5})
    store.save_counters(name, {"spent_s": 1.5, "trials": 2})
    exp = store.load_experiment(name)
    assert (exp["config"], exp["strategy_state"], exp["counters"]) == (
        {"a": 2},
        {"step": 5},
        {"spent_s": 1.5, "trials": 2},
    )
    # finish_trial without strategy_state/counters leaves them alone
    n = store.create_trial(name, {})
    store.finish_trial(name, n, TrialState.PRUNED, value=0.1)
    assert store.load_experiment(name)["strategy_state"] == {"step": 5}


def test_generated_names_and_creation_order(store):
    assert store.experiment_names() == []
    assert store.create_experiment(None, {}) == "exp-1"
    assert store.create_experiment("exp-3", {}) == "exp-3"
    assert store.create_experiment(None, {}) == "exp-4"  # exp-3 is taken
    assert store.create_experiment("b", {}) == "b"
    assert store.experiment_names() == ["exp-1", "exp-3", "exp-4", "b"]
    assert store.load_experiment()["name"] == "b"  # most recent


def test_duplicate_and_unknown_experiment_names(store):
    store.create_experiment("a", {})
    store.create_experiment("b", {})
    with pytest.raises(ValueError, match=r"experiment 'a' already exists in .*; pick another name"):
        store.create_experiment("a", {})
    with pytest.raises(ValueError, match=r"no experiment 'zz' in .*; it holds: 'a', 'b'"):
        store.load_experiment("zz")
    for call in (
        lambda: store.create_trial("zz", {}),
        lambda: store.trials("zz"),
        lambda: store.changes("zz"),
        lambda: store.save_counters("zz", {}),
        lambda: store.interrupt_running("zz"),
    ):
        with pytest.raises(ValueError, match="no experiment 'zz'"):
            call()
    with pytest.raises(ValueError, match="experiment name must be a non-empty str"):
        store.create_experiment("", {})
    with pytest.raises(ValueError, match="experiment name must be a non-empty str"):
        store.create_experiment(3, {})


def test_empty_store_has_nothing_to_load(store):
    with pytest.raises(ValueError, match="holds no experiments yet; create one first"):
        store.load_experiment()


def test_numbering_is_per_experiment_and_in_order(store):
    a = store.create_experiment("a", {})
    b = store.create_experiment("b", {})
    assert [store.create_trial(a, {"i": i}) for i in range(3)] == [0, 1, 2]
    assert store.create_trial(b, {"i": 0}) == 0
    store.finish_trial(a, 1, TrialState.COMPLETE, value=1.0)
    assert store.create_trial(a, {"i": 3}) == 3
    assert [t.number for t in store.trials(a)] == [0, 1, 2, 3]
    assert [t.arch["i"] for t in store.trials(a)] == [0, 1, 2, 3]
    assert [t.number for t in store.trials(b)] == [0]
    with pytest.raises(ValueError, match=r"experiment 'a' has no trial 9 \(its trials: 0..3\)"):
        store.trial(a, 9)
    c = store.create_experiment("c", {})
    with pytest.raises(ValueError, match=r"experiment 'c' has no trial 0 \(its trials: none yet\)"):
        store.trial(c, 0)
    with pytest.raises(ValueError, match="trial number must be an int, got str"):
        store.trial(a, "0")


def test_trials_filtered_by_state(store):
    name = store.create_experiment("e", {})
    for i in range(5):
        store.create_trial(name, {"i": i})
    store.finish_trial(name, 0, TrialState.COMPLETE, value=0.5)
    store.finish_trial(name, 2, TrialState.FAILED, error="boom")
    store.finish_trial(name, 3, TrialState.COMPLETE, value=0.7)
    assert [t.number for t in store.trials(name, [TrialState.COMPLETE])] == [0, 3]
    got = store.trials(name, {TrialState.RUNNING, TrialState.FAILED})
    assert [t.number for t in got] == [1, 2, 4]
    assert [t.number for t in store.trials(name, ["complete"])] == [0, 3]
    assert store.trials(name, []) == []
    with pytest.raises(ValueError, match="'DONE' is not a trial state; use one of"):
        store.trials(name, ["DONE"])
    summary = store.experiments()
    assert summary[0]["name"] == "e" and summary[0]["n_trials"] == 5
    assert summary[0]["states"] == {
        "RUNNING": 2,
        "COMPLETE": 2,
        "PRUNED": 0,
        "FAILED": 1,
        "INTERRUPTED": 0,
    }


def test_experiment_summaries(store):
    store.create_experiment("empty", {})
    store.create_experiment("one", {})
    store.create_trial("one", {})
    rows = store.experiments()
    assert [r["name"] for r in rows] == ["empty", "one"]
    assert [r["n_trials"] for r in rows] == [0, 1]
    assert rows[0]["states"]["RUNNING"] == 0 and rows[1]["states"]["RUNNING"] == 1
    assert rows[0]["created_at"] <= rows[1]["created_at"]


def test_finish_rules(store):
    name = store.create_experiment("e", {})
    n = store.create_trial(name, {})
    with pytest.raises(ValueError, match="needs a final state .* not RUNNING"):
        store.finish_trial(name, n, TrialState.RUNNING)
    store.finish_trial(name, n, TrialState.COMPLETE, value=1.0)
    with pytest.raises(
        ValueError, match="trial 0 of experiment 'e' is already COMPLETE; only a RUNNING"
    ):
        store.finish_trial(name, n, TrialState.FAILED)
    with pytest.raises(
        ValueError, match="already COMPLETE; curve points go to RUNNING trials only"
    ):
        store.append_curve(name, n, {"epoch": 9})
    assert store.trial(name, n).value == 1.0  # unchanged by the refused calls
    n2 = store.create_trial(name, {})
    with pytest.raises(ValueError, match="value must be a number or None, got str"):
        store.finish_trial(name, n2, TrialState.COMPLETE, value="high")
    with pytest.raises(ValueError, match="finished_at must be a finite number of seconds"):
        store.finish_trial(name, n2, TrialState.COMPLETE, finished_at=float("nan"))
    assert store.trial(name, n2).state is TrialState.RUNNING  # nothing was half-written


def test_nan_and_inf_become_null_in_value_metrics_and_curve(store):
    name = store.create_experiment("e", {})
    n = store.create_trial(name, {})
    store.append_curve(name, n, {"epoch": 0, "loss": float("nan"), "acc": float("-inf")})
    store.finish_trial(
        name,
        n,
        TrialState.COMPLETE,
        value=float("nan"),
        metrics={"a": float("inf"), "b": [1.0, math.nan]},
    )
    t = store.trial(name, n)
    assert t.value is None
    assert t.metrics == {"a": None, "b": [1.0, None]}
    assert t.curve == [{"epoch": 0, "loss": None, "acc": None}]


def test_json_rules_elsewhere_give_clear_errors(store):
    with pytest.raises(ValueError, match=r"config\['lr'\] is nan; JSON cannot hold NaN"):
        store.create_experiment("e", {"lr": float("nan")})
    with pytest.raises(ValueError, match=r"config must be a dict, got list"):
        store.create_experiment("e", [1, 2])
    with pytest.raises(
        ValueError,
        match=r"config\['f'\] holds a builtin_function_or_method .*stores keep JSON only",
    ):
        store.create_experiment("e", {"f": print})
    assert store.experiment_names() == []
    name = store.create_experiment("e", {})
    with pytest.raises(ValueError, match=r"arch has the key 3 of type int; keys must be strings"):
        store.create_trial(name, {3: "conv"})
    with pytest.raises(ValueError, match=r"strategy_state\['best'\] is -inf"):
        store.save_strategy_state(name, {"best": float("-inf")})
    with pytest.raises(ValueError, match=r"meta\['obj'\] holds a object"):
        store.create_trial(name, {}, meta={"obj": object()})
    with pytest.raises(ValueError, match=r"worker must be a str or None, got int"):
        store.create_trial(name, {}, worker=3)
    assert store.trials(name) == []


def test_numpy_scalars_and_tuples_are_stored_as_plain_json(store):
    name = store.create_experiment("e", {"sizes": (32, 64)})
    n = store.create_trial(name, {"units": np.int64(64), "ops": ("a", "b")})
    store.finish_trial(
        name,
        n,
        TrialState.COMPLETE,
        value=np.float32(0.5),
        metrics={"acc": np.float64(0.25), "ok": np.bool_(True), "arr0": np.array(2.0)},
    )
    t = store.trial(name, n)
    assert t.arch == {"units": 64, "ops": ["a", "b"]} and type(t.arch["units"]) is int
    assert t.value == 0.5 and type(t.value) is float
    assert t.metrics == {"acc": 0.25, "ok": True, "arr0": 2.0}
    assert store.load_experiment(name)["config"] == {"sizes": [32, 64]}


def test_returned_trials_are_copies(store):
    name = store.create_experiment("e", {})
    arch = {"op": "conv"}
    n = store.create_trial(name, arch)
    arch["op"] = "changed"  # the caller's dict is not the stored one
    t = store.trial(name, n)
    t.arch["op"] = "mutated"  # nor is the returned one
    assert store.trial(name, n).arch == {"op": "conv"}


def test_changes_polls_only_what_is_new(store):
    name = store.create_experiment("e", {})
    other = store.create_experiment("other", {})
    assert store.changes(name) == (0, [])
    a = store.create_trial(name, {"i": 0})
    b = store.create_trial(name, {"i": 1})
    v1, got = store.changes(name)
    assert [t.number for t in got] == [a, b] and v1 > 0
    assert store.changes(name, since=v1) == (v1, [])
    store.create_trial(other, {})  # another experiment's writes are not ours
    assert store.changes(name, since=v1) == (v1, [])
    store.append_curve(name, b, {"epoch": 0})
    v2, got = store.changes(name, since=v1)
    assert v2 > v1 and [(t.number, t.curve) for t in got] == [(b, [{"epoch": 0}])]
    store.set_worker(name, a, "w-2")
    v3, got = store.changes(name, since=v2)
    assert v3 > v2 and [(t.number, t.worker) for t in got] == [(a, "w-2")]
    store.finish_trial(name, a, TrialState.COMPLETE, value=0.3)
    store.append_curve(name, b, {"epoch": 1})
    v4, got = store.changes(name, since=v3)
    assert v4 > v3 and [t.number for t in got] == [a, b]
    assert got[0].state is TrialState.COMPLETE and len(got[1].curve) == 2
    assert store.changes(name, since=v4) == (v4, [])
    with pytest.raises(ValueError, match="since must be an int >= 0"):
        store.changes(name, since=-1)


def test_interrupt_running_marks_leftovers(store):
    name = store.create_experiment("e", {})
    for _ in range(4):
        store.create_trial(name, {})
    store.finish_trial(name, 1, TrialState.COMPLETE, value=0.5)
    version, _ = store.changes(name)
    assert store.interrupt_running(name) == [0, 2, 3]
    after, changed = store.changes(name, since=version)
    assert after > version and [t.number for t in changed] == [0, 2, 3]
    for t in changed:
        assert t.state is TrialState.INTERRUPTED
        assert t.error == "interrupted: the process stopped mid-trial"
        assert t.finished_at is not None
    assert store.trial(name, 1).state is TrialState.COMPLETE and store.trial(name, 1).error is None
    assert store.interrupt_running(name) == []


def test_closed_store_refuses_calls(store):
    store.create_experiment("e", {})
    store.close()
    with pytest.raises(StoreError, match="is closed"):
        store.experiment_names()
    with pytest.raises(StoreError, match="is closed"):
        store.create_trial("e", {})


def test_context_manager_closes(tmp_path):
    for s in (MemoryStore(), SQLiteStore(tmp_path / "c.db")):
        with s as inside:
            assert inside is s
            inside.create_experiment("e", {})
        with pytest.raises(StoreError, match="is closed"):
            s.trials("e")


def test_writer_and_reader_threads_at_once(store):
    """The search thread writes while the UI thread polls; every snapshot is whole."""
    name = store.create_experiment("e", {})
    n_trials, epochs = 60, 3
    errors: list[BaseException] = []
    done = threading.Event()

    def writer():
        try:
            for i in range(n_trials):
                n = store.create_trial(name, {"i": i})
                for e in range(epochs):
                    store.append_curve(name, n, {"epoch": e})
                store.finish_trial(
                    name, n, TrialState.COMPLETE, value=i / 100, strategy_state={"told": i + 1}
                )
                time.sleep(0.002)  # a trial takes a while; lets the reader see the run go by
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            done.set()

    seen: dict[int, Trial] = {}
    polls = 0

    def reader():
        version = 0
        try:
            while True:
                finished = done.is_set()
                new_version, changed = store.changes(name, since=version)
                assert new_version >= version
                version = new_version
                for t in changed:
                    if t.state is TrialState.COMPLETE:
                        assert t.value == t.number / 100
                        assert t.curve == [{"epoch": e} for e in range(epochs)]
                    else:
                        assert [p["epoch"] for p in t.curve] == list(range(len(t.curve)))
                    seen[t.number] = t
                nonlocal polls
                polls += 1
                complete = store.trials(name, [TrialState.COMPLETE])
                assert [t.number for t in complete] == list(range(len(complete)))
                if finished:
                    return
                time.sleep(0.001)  # a UI polls on a timer, not in a tight loop
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert polls > 1
    assert sorted(seen) == list(range(n_trials))
    assert all(t.state is TrialState.COMPLETE for t in seen.values())
    assert store.load_experiment(name)["strategy_state"] == {"told": n_trials}
