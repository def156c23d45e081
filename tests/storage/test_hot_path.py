"""The per-trial write path (issue 14): the fast JSON check writes what the full walk
writes, and the stores' merged trial writes keep every rule of the contract."""

from __future__ import annotations

import json
import math
import random

import numpy as np
import pytest

from nasbench_ui.storage import MemoryStore, SQLiteStore, TrialState
from nasbench_ui.storage.base import _plain, encode

PLAIN = [
    {},
    {"a": 1, "b": 2.5, "c": "x", "d": True, "e": None},
    {"rng": [3, [random.Random(0).getrandbits(32) for _ in range(625)], None]},
    {"nested": {"list": [[1, 2], ("t", 3)], "deep": [{"k": [None, False, -0.0]}]}},
    {"unicode": "é ü \u2603", "big": 2**70, "neg": -1e-300},
]


@pytest.mark.parametrize("obj", PLAIN)
def test_plain_values_are_written_as_the_full_walk_writes_them(obj):
    assert encode(obj, "x") == json.dumps(_plain(obj, "x", False), allow_nan=False)
    assert json.loads(encode(obj, "x")) == json.loads(json.dumps(obj))


def test_values_that_are_not_plain_still_follow_every_rule():
    assert encode({"n": np.int64(4), "f": np.float32(0.5), "b": np.bool_(True)}, "m") == \
        '{"n": 4, "f": 0.5, "b": true}'
    assert encode({"a": [1.0, math.nan], "b": {"c": -math.inf}}, "metrics", nan_to_null=True) \
        == '{"a": [1.0, null], "b": {"c": null}}'
    with pytest.raises(ValueError, match=r"config\['a'\]\[1\] is nan"):
        encode({"a": [1.0, math.nan]}, "config")
    with pytest.raises(ValueError, match=r"arch\['x'\]\[0\] has the key 3 of type int"):
        encode({"x": [{3: "conv"}]}, "arch")
    with pytest.raises(ValueError, match=r"meta\['s'\] holds a set"):
        encode({"s": {1, 2}}, "meta")
    with pytest.raises(ValueError, match="config must be a dict, got list"):
        encode([1], "config")


@pytest.fixture(params=["memory", "sqlite"])
def store(request, tmp_path):
    s = MemoryStore() if request.param == "memory" else SQLiteStore(tmp_path / "h.db")
    yield s
    s.close()


def test_a_refused_finish_writes_nothing(store):
    name = store.create_experiment("e", {})
    n = store.create_trial(name, {"op": "a"}, strategy_state={"k": 1})
    store.finish_trial(name, n, TrialState.COMPLETE, value=0.5, strategy_state={"k": 2},
                       counters={"spent_s": 1.0})
    version, _ = store.changes(name)
    for number in (n, 7):  # already COMPLETE; no such trial
        with pytest.raises(ValueError, match="already COMPLETE|has no trial 7"):
            store.finish_trial(name, number, TrialState.FAILED, strategy_state={"k": 3},
                               counters={"spent_s": 9.0})
    rec = store.load_experiment(name)
    assert (rec["strategy_state"], rec["counters"]) == ({"k": 2}, {"spent_s": 1.0})
    assert store.changes(name, since=version) == (version, [])
    assert store.trial(name, n).value == 0.5


def test_finish_saves_the_state_and_the_counters_given_and_keeps_the_others(store):
    name = store.create_experiment("e", {})
    versions = []
    for i, (state, counters) in enumerate([({"s": 1}, {"c": 1}), (None, {"c": 2}),
                                           ({"s": 3}, None), (None, None)]):
        n = store.create_trial(name, {"i": i})
        store.finish_trial(name, n, TrialState.COMPLETE, value=float(i),
                           strategy_state=state, counters=counters)
        rec = store.load_experiment(name)
        versions.append(store.changes(name)[0])
        assert (rec["strategy_state"], rec["counters"]) == (
            [{"s": 1}, {"s": 1}, {"s": 3}, {"s": 3}][i], [{"c": 1}, {"c": 2}, {"c": 2}, {"c": 2}][i])
    assert versions == sorted(set(versions))  # every create and finish moved the version
    assert [t.number for t in store.changes(name, since=versions[1])[1]] == [2, 3]


def test_create_takes_the_next_number_and_version_in_one_write(store):
    names = [store.create_experiment(x, {}) for x in ("a", "b")]
    seen = []
    for i in range(6):
        name = names[i % 2]
        n = store.create_trial(name, {"i": i}, strategy_state={"asked": i})
        assert n == i // 2
        version, changed = store.changes(name, since=max(seen, default=0))
        assert [t.number for t in changed] == [n] and version not in seen
        seen.append(version)
        assert store.load_experiment(name)["strategy_state"] == {"asked": i}


@pytest.mark.parametrize("obj", PLAIN)
def test_the_read_path_decodes_what_json_decodes(obj):
    from nasbench_ui.storage.base import decode

    text = encode(obj, "x")
    for repeats in (False, True):
        assert decode(text, repeats=repeats) == json.loads(text)
        assert decode(text, repeats=repeats) == json.loads(text)  # a kept one too


def test_repeated_texts_give_new_equal_dicts_and_odd_text_gets_jsons_answer():
    from nasbench_ui.storage.base import decode

    arch = '{"1<-0": "nor_conv_3x3", "2<-0": "none"}'
    first, second = decode(arch, repeats=True), decode(arch, repeats=True)
    assert first == second and first is not second
    first["1<-0"] = "changed"  # a caller's change reaches no later reader
    assert decode(arch, repeats=True)["1<-0"] == "nor_conv_3x3"
    assert decode('  {"a": 1}\n') == {"a": 1}  # whitespace around: as json.loads
    assert decode("NaN") != decode("NaN")  # json's NaN, as json.loads gives it
    for bad in ('{"a": 1} junk', '{"a": ', "", "[1] [2]"):
        with pytest.raises(json.JSONDecodeError):
            decode(bad)
