"""Where a store keeps its trials' weights (``nasbench_ui/weights.py``)."""

from __future__ import annotations

import os

import pytest

from nasbench_ui.weights import weights_dir


def test_a_weights_folder_that_is_a_symbolic_link_is_refused(tmp_path):
    """A shared folder shipping runs.db.weights as a link to elsewhere made saving
    write (and replace) weights there (found by an attacker's pass)."""
    victim = tmp_path / "victim"
    victim.mkdir()
    shared = tmp_path / "shared"
    shared.mkdir()
    os.symlink(victim, shared / "runs.db.weights")
    with pytest.raises(ValueError, match=r"runs\.db\.weights is a symbolic link .*victim"):
        weights_dir(shared / "runs.db", "exp-1")
    assert list(victim.iterdir()) == []
    real = weights_dir(tmp_path / "own.db", "exp-1")
    assert real == tmp_path / "own.db.weights" / "exp-1"


def test_a_shared_stores_space_never_builds_more_than_the_weights_file_holds(
        tmp_path, monkeypatch):
    """best_model() of a loaded store rebuilds the best trial's network from the store's
    space and the trial's architecture, both from the file: a shared store could name a
    dense layer of ten million units (tens of GB) beside a small weights file. The
    network is laid out on torch's meta device first and built only when its tensors are
    those of the weights file; a clear ValueError otherwise, nothing allocated."""
    import json
    import sqlite3
    from typing import Any

    import torch

    import nasbench_ui as nb

    db = tmp_path / "m.db"
    exp = nb.Experiment("keras_cnn", strategy="random", estimator="train",
                        estimator_options={"epochs": 1, "latency_runs": 0}, trials=1, seed=0,
                        storage=str(db)).run()
    best = exp.best().number
    assert nb.Experiment.load(db).best_model() is not None  # its own weights: built
    con = sqlite3.connect(db)
    config = json.loads(con.execute("SELECT config FROM experiments").fetchone()[0])
    for h in config["space"]["hparams"]:
        if h["label"] == "units":
            h["high"] = 8192
    arch = json.loads(con.execute("SELECT arch FROM trials WHERE number = ?",
                                  (best,)).fetchone()[0])
    with con:
        con.execute("UPDATE experiments SET config = ?", (json.dumps(config),))
        con.execute("UPDATE trials SET arch = ? WHERE number = ?",
                    (json.dumps({**arch, "units": 8192}), best))
    con.close()
    built: list[Any] = []
    real_build = type(exp.space).build

    def build(space: Any, *args: Any, **kwargs: Any) -> Any:
        if torch.empty(0).device.type != "meta":
            built.append(args[0])
        return real_build(space, *args, **kwargs)

    monkeypatch.setattr(type(exp.space), "build", build)
    with pytest.raises(ValueError, match=f"{best}.pt .*does not hold the tensors"):
        nb.Experiment.load(db).best_model()
    assert built == []
