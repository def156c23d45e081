"""Custom parts survive a reload (issue 15 point 5): a custom operation, data set,
estimator and strategy, and a data set given as arrays, reload in a fresh process from
the stored config's import paths, only from modules the user trusts.

The parts live in ``tests/helpers/custom_parts.py`` (an importable module, as a user's
package would be); the fresh process has ``tests/`` on ``PYTHONPATH`` and registers
nothing by itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import custom_parts as cp

import nasbench_ui as nb
from nasbench_ui.engine.parts import collect_imports, import_stored, part_name
from nasbench_ui.trust import UntrustedError, untrust_all, untrusted

TESTS = Path(__file__).resolve().parents[1]
FIRST, TOTAL = 3, 6

# Loads every experiment in the store, continues each to TOTAL trials and prints them.
SCRIPT = textwrap.dedent("""
    import json, sys
    import nasbench_ui as nb
    from nasbench_ui import estimators
    assert "toy_probe" not in estimators.names()  # a fresh process: nothing registered
    if sys.argv[2] == "trust":
        nb.trust("helpers")
    out = {}
    for name in sys.argv[3:]:
        exp = nb.Experiment.load(sys.argv[1], name=name)
        exp.set_budget(trials=%d)
        exp.run()
        out[name] = {"values": [t.value for t in exp.trials],
                     "keys": [exp.space.key(t.arch) for t in exp.trials],
                     "dataset": exp.dataset.name, "n_train": len(exp.dataset.y_train),
                     "config": exp.config.to_dict()}
    print(json.dumps(out))
""") % TOTAL


@pytest.fixture
def parts() -> Iterator[None]:
    cp.register()
    yield
    cp.unregister()
    untrust_all()


def _by_name(storage: str | Path, trials: int) -> nb.Experiment:
    return nb.Experiment(cp.space(), strategy=cp.STRATEGY, estimator=cp.ESTIMATOR,
                         dataset=cp.DATASET, trials=trials, storage=storage, seed=3,
                         name="by_name")


def _as_objects(storage: str | Path, trials: int) -> nb.Experiment:
    return nb.Experiment(cp.space(), strategy=cp.ToyRandom, estimator=cp.ProbeEstimator(),
                         dataset=cp.blobs(seed=1), trials=trials, storage=storage, seed=4,
                         name="as_objects")


def _fresh(db: Path, trust: bool, *names: str) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(TESTS), "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-c", SCRIPT, str(db), "trust" if trust else "no",
                           *names], capture_output=True, text=True, timeout=300, env=env,
                          cwd=db.parent)


def _reference(make) -> dict:  # noqa: ANN001 - one of the two builders above
    exp = make(":memory:", TOTAL).run()
    return {"values": [t.value for t in exp.trials],
            "keys": [exp.space.key(t.arch) for t in exp.trials]}


def test_custom_parts_reload_in_a_fresh_process_with_trust(parts: None, tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    configs = {}
    for make in (_by_name, _as_objects):
        exp = make(db, FIRST).run()
        configs[exp.name] = exp.config.to_dict()
    stored = configs["by_name"]["imports"]
    assert stored == {"operation": {cp.OP: "helpers.custom_parts:scaled_tanh"},
                      "dataset": {cp.DATASET: "helpers.custom_parts:blobs"},
                      "estimator": {cp.ESTIMATOR: "helpers.custom_parts:ProbeEstimator"},
                      "strategy": {cp.STRATEGY: "helpers.custom_parts:ToyRandom"}}
    npz = configs["as_objects"]["dataset_file"]
    assert (tmp_path / npz).is_file() and npz.endswith(".npz")

    done = _fresh(db, True, "by_name", "as_objects")
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    for name, make in (("by_name", _by_name), ("as_objects", _as_objects)):
        ref = _reference(make)  # the same search, uninterrupted, in this process
        assert got[name]["keys"] == ref["keys"], name
        assert got[name]["values"] == pytest.approx(ref["values"], abs=1e-9), name
        assert got[name]["dataset"] == cp.DATASET
        assert {k: v for k, v in got[name]["config"].items() if k != "trials"} == \
               {k: v for k, v in configs[name].items() if k != "trials"}
    assert got["as_objects"]["n_train"] == len(cp.blobs(seed=1).y_train)


def test_without_trust_a_fresh_process_fails_clearly_and_changes_nothing(
        parts: None, tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    _by_name(db, FIRST).run()
    before = db.read_bytes()
    done = _fresh(db, False, "by_name")
    assert done.returncode != 0
    message = done.stderr.strip().splitlines()[-1]
    assert "UntrustedError" in message
    assert "'helpers.custom_parts:scaled_tanh'" in message  # the operation comes first
    assert "nb.trust('helpers')" in message and "--trust helpers" in message
    assert db.read_bytes() == before


def test_cli_resume_takes_trust(parts: None, tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    _by_name(db, FIRST).run()
    env = {"PYTHONPATH": str(TESTS), "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "nasbench_ui.cli", "run", "--resume", "--storage", str(db),
           "--no-progress", "--json"]
    refused = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert refused.returncode == 2
    assert "--trust helpers" in refused.stderr and "Traceback" not in refused.stderr
    done = subprocess.run([*cmd, "--trust", "helpers"], capture_output=True, text=True,
                          timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["trials"] == FIRST  # its budget was spent already


def test_a_part_without_import_path_says_how_to_fix(tmp_path: Path) -> None:
    class Local(cp.ProbeEstimator):  # defined in a function: no import path
        NAME = "local_probe"

    nb.space.ops.register(cp.OP, cp.scaled_tanh, replace=True)
    try:
        exp = nb.Experiment(cp.space(), estimator=Local(), dataset=cp.blobs(), trials=1,
                            storage=tmp_path / "a.db")
        assert exp.config.imports["estimator"] == {"local_probe": None}
        exp.run()
        with pytest.raises(ValueError, match=r"estimator 'local_probe' named by the stored "
                           r"experiment .* no import path.*nb\.estimators\.register"
                           r"\('local_probe', YourEstimator\).*nb\.trust"):
            nb.Experiment.load(tmp_path / "a.db")
        nb.estimators.register("local_probe", Local)  # the fix the message gives
        try:
            assert nb.Experiment.load(tmp_path / "a.db").n_done() == 1
        finally:
            nb.estimators.unregister("local_probe")
    finally:
        nb.space.ops.unregister(cp.OP)


def test_a_name_may_be_an_import_path(tmp_path: Path) -> None:
    path = "helpers.custom_parts:ProbeEstimator"
    nb.space.ops.register(cp.OP, cp.scaled_tanh, replace=True)
    try:
        with untrusted("the config file c.json"), pytest.raises(UntrustedError, match="helpers"):
            nb.Experiment(cp.space(), estimator=path, dataset=cp.blobs(), trials=1)
        exp = nb.Experiment(cp.space(), estimator=path, dataset=cp.blobs(), trials=1)
        assert exp.config.estimator == path and exp.config.imports["estimator"] == {path: path}
        assert exp.run().best().value is not None
    finally:
        nb.space.ops.unregister(cp.OP)
        if path in nb.estimators.names():
            nb.estimators.unregister(path)


def test_builtin_parts_store_no_imports() -> None:
    assert collect_imports(strategy="evolution", estimator="zero_cost", dataset="mnist",
                           space=nb.spaces.nb201()) == {}
    assert part_name("strategy", nb.strategies.RandomSearch) == ("random", None)
    assert nb.Experiment("nb201", estimator="zero_cost", trials=1).config.to_dict().keys() \
        .isdisjoint({"imports", "dataset_file"})


def test_import_stored_refuses_a_bad_table() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        import_stored({"module": {"x": "os:system"}})
    with untrusted("the stored experiment 'x' in a.db"), pytest.raises(UntrustedError):
        import_stored({"strategy": {"evil": "os:system"}})
    assert "evil" not in nb.strategies.names()


def test_cli_config_file_with_custom_parts_and_saved_data(parts: None, tmp_path: Path) -> None:
    exp = _as_objects(tmp_path / "runs.db", 1)
    config = tmp_path / "c.json"
    config.write_text(exp.config.to_json())  # its data set file lies next to it
    out = tmp_path / "other" / "new.db"
    env = {"PYTHONPATH": str(TESTS), "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "nasbench_ui.cli", "run", "--config", str(config),
           "--storage", str(out), "--trials", "2", "--no-progress", "--json"]
    refused = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert refused.returncode == 2 and "--trust helpers" in refused.stderr
    assert not out.exists()  # refused before anything was written
    done = subprocess.run([*cmd, "--trust", "helpers"], capture_output=True, text=True,
                          timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["trials"] == 2
    assert (out.parent / exp.config.dataset_file.replace("runs.", "new.", 1)).is_file()


def test_switching_to_a_custom_strategy_stores_its_import_path(parts: None,
                                                              tmp_path: Path) -> None:
    exp = nb.Experiment(cp.space(), estimator=cp.ESTIMATOR, dataset=cp.DATASET, trials=2,
                        storage=tmp_path / "a.db")
    assert "strategy" not in exp.config.imports
    exp.switch_strategy(cp.STRATEGY)
    stored = _stored_config(tmp_path / "a.db")
    assert stored["strategy"] == cp.STRATEGY
    assert stored["imports"]["strategy"] == {cp.STRATEGY: "helpers.custom_parts:ToyRandom"}


def _stored_config(db: Path) -> dict:
    from nasbench_ui.storage import SQLiteStore

    store = SQLiteStore(db, readonly=True)
    try:
        return store.load_experiment(None)["config"]
    finally:
        store.close()


def test_copy_as_python_registers_the_custom_parts(parts: None, tmp_path: Path) -> None:
    from nasbench_ui.config import to_python

    exp = _as_objects(tmp_path / "runs.db", 2)
    by_name = _by_name(tmp_path / "runs.db", 2)
    for e in (exp, by_name):
        script = tmp_path / f"{e.name}.py"
        script.write_text(to_python(e.config))
        env = {"PYTHONPATH": str(TESTS), "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"}
        done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                              timeout=300, env=env, cwd=tmp_path)  # the store's folder
        assert done.returncode == 0, done.stderr
        assert "best:" in done.stdout
    assert "nb.data.load_npz(" in to_python(exp.config)
    assert "nb.data.register('toy_blobs', helpers.custom_parts.blobs" in to_python(by_name.config)
