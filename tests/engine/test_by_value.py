"""``engine/by_value.py``: a notebook cell's parts, serialised for a search's own process
and registered there under their names."""

from __future__ import annotations

import numpy as np
import pytest
from torch import nn

import nasbench_ui as nb
from nasbench_ui.engine import by_value
from nasbench_ui.engine.parts import collect_imports
from nasbench_ui.space import Edge, SearchSpace, ops


def _in_a_cell():
    """Parts as a notebook cell defines them: no import path (local to this function)."""

    def halve(in_shape, factor=0.5):
        return nn.Identity(), in_shape

    def blobs(seed=0):
        x = np.arange(24.0).reshape(12, 2)
        return nb.data.from_arrays(x, np.arange(12) % 2, name="bv_blobs", seed=seed)

    class Firsts(nb.strategies.RandomSearch):
        NAME = "bv_firsts"

    return halve, blobs, Firsts


@pytest.fixture
def cell_parts():
    halve, blobs, firsts = _in_a_cell()
    ops.register("bv_halve", halve, group="linear", doc="keeps its input",
                 params=("factor",), replace=True)
    nb.data.register("bv_blobs", blobs, replace=True)
    nb.strategies.register("bv_firsts", firsts, replace=True)
    yield halve, blobs, firsts
    ops.unregister("bv_halve")
    nb.data.unregister("bv_blobs")
    nb.strategies.unregister("bv_firsts")


def test_parts_without_an_import_path_are_packed_and_registered_again(cell_parts):
    space = SearchSpace("bv", nodes=["input", "output"],
                        edges=[Edge("input", "output", ["bv_halve", "skip"])])
    imports = collect_imports(strategy="bv_firsts", estimator="train",
                              dataset="bv_blobs", space=space)
    assert imports == {"operation": {"bv_halve": None}, "dataset": {"bv_blobs": None},
                       "strategy": {"bv_firsts": None}}
    packed = by_value.pack(imports)
    assert packed.problems == []
    assert [(p["kind"], p["name"]) for p in packed.parts] == [
        ("operation", "bv_halve"), ("dataset", "bv_blobs"), ("strategy", "bv_firsts")]
    # a fresh process knows none of them: take them away, then unpack
    ops.unregister("bv_halve")
    nb.data.unregister("bv_blobs")
    nb.strategies.unregister("bv_firsts")
    by_value.unpack(packed.parts)
    info = ops.info("bv_halve")
    assert (info["group"], info["doc"], info["params"]) == ("linear", "keeps its input",
                                                              ["factor"])
    assert ops.build_op("bv_halve", (3,), factor=0.1)[1] == (3,)
    assert nb.data.load("bv_blobs").input_shape == (2,)
    firsts = nb.strategies.get("bv_firsts")
    assert firsts.NAME == "bv_firsts"  # (in the same process cloudpickle gives the class)
    assert issubclass(firsts, nb.strategies.RandomSearch)


def test_unpacking_replaces_what_the_name_means_in_the_process(cell_parts):
    packed = by_value.pack({"dataset": {"bv_blobs": None}})
    nb.data.register("bv_blobs", lambda seed=0: None, replace=True)  # another loader
    by_value.unpack(packed.parts)
    assert nb.data.load("bv_blobs").input_shape == (2,)


def test_a_part_that_cannot_be_sent_gets_its_reason(cell_parts, monkeypatch):
    import threading

    lock = threading.Lock()

    def locked(seed=0):
        with lock:
            return None

    nb.data.register("bv_locked", locked, replace=True)
    try:
        problems = by_value.pack({"dataset": {"bv_locked": None, "bv_blobs": None},
                                  "estimator": {"bv_gone": None, "train": None}}).problems
    finally:
        nb.data.unregister("bv_locked")
    assert problems == [
        "the data set 'bv_locked' was defined in a notebook cell or script (__main__), and "
        "another process cannot have a copy of it (TypeError: cannot pickle "
        "'_thread.lock' object): put it in a module",
        "the estimator 'bv_gone' has no import path and is not registered in this kernel: "
        "register it again"]
    monkeypatch.setattr(by_value, "LIMIT", 100)
    [big] = by_value.pack({"dataset": {"bv_blobs": None}}).problems
    assert "its copy for another process would be 0 MiB (at most 0)" in big
    assert by_value.pack({"dataset": {"bv_blobs": "mypkg.parts:blobs"}}) == by_value.Packed()


def test_a_large_notebook_loader_reaches_the_searchs_process_whole(tmp_path):
    """A part's copy larger than the pipe's buffer (1 MiB here): the spec goes on a
    thread of its own, the process reads it whole and the search runs to its end."""
    weights = np.random.default_rng(0).random(2**17)  # 1 MiB the loader closes over

    def heavy(seed=0):
        x = np.stack([weights[:60], weights[60:120]], axis=1)
        return nb.data.from_arrays(x, np.arange(60) % 2, name="bv_heavy", seed=seed)

    nb.data.register("bv_heavy", heavy, replace=True)
    try:
        exp = nb.Experiment("nb201", strategy="random", estimator="zero_cost", trials=2,
                            dataset="bv_heavy", storage=tmp_path / "h.db")
        [part] = by_value.pack(exp.config.imports).parts
        assert len(part["value"]) > 2**20
        exp.start(process=True)
        exp.wait(120)
    finally:
        nb.data.unregister("bv_heavy")
    assert exp.status == "done", exp.last_error
    assert len(exp.finished_trials()) == 2
