"""A data set given as arrays is saved with its experiment as an ``.npz`` of arrays and
reloads by itself; the stored file name is checked (nothing out of the store's folder)
and the file is read without pickle (issue 15 point 5)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import nasbench_ui as nb
from nasbench_ui.data import DatasetFile, from_arrays, load_npz, save_npz
from nasbench_ui.storage import SQLiteStore
from nasbench_ui.trust import UntrustedError, trust, untrust_all


def _data(seed: int = 0) -> nb.data.Dataset:
    rng = np.random.default_rng(seed)
    y = np.arange(60) % 3
    return from_arrays(rng.normal(size=(60, 5)) + y[:, None], y, name="toy/../x", seed=seed)


def _experiment(db: Path) -> nb.Experiment:
    return nb.Experiment("mlp", estimator="zero_cost", dataset=_data(), trials=2, storage=db)


def _tamper(db: Path, **changes: object) -> None:
    store = SQLiteStore(db)
    rec = store.load_experiment(None)
    store.update_config(rec["name"], {**rec["config"], **changes})
    store.close()


def test_round_trip_keeps_every_array_and_fact(tmp_path: Path) -> None:
    d = _data()
    name = save_npz(d, tmp_path, "runs")
    assert "/" not in name and ".." not in name  # the data set's name cannot make a path
    back = DatasetFile(d.name, name, tmp_path).load()
    for key in ("x_train", "y_train", "x_valid", "y_valid", "x_test", "y_test"):
        assert getattr(back, key).dtype == getattr(d, key).dtype
        assert bool((getattr(back, key) == getattr(d, key)).all()), key
    assert (back.name, back.input_shape, back.num_classes, back.meta) == \
           (d.name, d.input_shape, d.num_classes, d.meta)
    assert save_npz(d, tmp_path, "runs") == name  # the same data: the same file, once
    assert save_npz(_data(1), tmp_path, "runs") != name  # other data: another file


def test_an_experiment_saves_its_arrays_and_reloads_them(tmp_path: Path) -> None:
    exp = _experiment(tmp_path / "runs.db").run()
    file = exp.config.dataset_file
    assert file is not None and (tmp_path / file).is_file()
    moved = tmp_path / "moved"
    moved.mkdir()
    for p in tmp_path.iterdir():  # the store and its data set move together
        if p.is_file():
            os.replace(p, moved / p.name)
    back = nb.Experiment.load(moved / "runs.db")
    assert not back.dataset_by_name and back.config == exp.config
    assert bool((back.dataset.x_test == exp.dataset.x_test).all())
    back.set_budget(trials=3)
    assert len(back.run().trials) == 3


def test_memory_store_writes_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    exp = nb.Experiment("mlp", estimator="zero_cost", dataset=_data(), trials=1)
    assert exp.config.dataset_file is None and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("bad", ["../outside.npz", "/etc/passwd", "sub/../../outside.npz",
                                 "~/outside.npz", "..\\outside.npz"])
def test_a_stored_path_out_of_the_folder_is_refused(tmp_path: Path, bad: str) -> None:
    db = tmp_path / "store" / "runs.db"
    db.parent.mkdir()
    _experiment(db)
    (tmp_path / "outside.npz").write_bytes(b"")
    _tamper(db, dataset_file=bad)
    with pytest.raises(ValueError, match="must be a file name inside the store's folder"):
        nb.Experiment.load(db)


def test_a_link_out_of_the_folder_needs_trust(tmp_path: Path) -> None:
    db = tmp_path / "store" / "runs.db"
    db.parent.mkdir()
    exp = _experiment(db)
    real = db.parent / exp.config.dataset_file
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.replace(real, elsewhere / "d.npz")
    real.symlink_to(elsewhere / "d.npz")
    with pytest.raises(UntrustedError, match="the data set file .* named by the stored"):
        nb.Experiment.load(db)
    trust(elsewhere)
    try:
        assert nb.Experiment.load(db).dataset.num_classes == 3
    finally:
        untrust_all()


class _Bomb:
    """Unpickling this writes a file: the proof that pickle ran."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (Path.write_text, (Path(self.marker), "unpickled"))


def test_a_pickled_array_is_refused_and_never_unpickled(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    exp = _experiment(db)
    file = db.parent / exp.config.dataset_file
    marker = tmp_path / "pwned"
    with np.load(file) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["x_train"] = np.array([_Bomb(str(marker))], dtype=object)
    with open(file, "wb") as f:
        np.savez(f, **arrays)  # numpy pickles an object array
    with pytest.raises(ValueError, match="never pickled"):
        nb.Experiment.load(db).dataset  # noqa: B018 - read on first use
    assert not marker.exists()


@pytest.mark.parametrize("content", [b"not a zip at all", b""])
def test_a_damaged_file_is_a_clear_error(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "d.npz"
    bad.write_bytes(content)
    with pytest.raises(ValueError, match="cannot be read as a data set"):
        load_npz(bad)


def test_a_missing_file_says_keep_it_with_the_store(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    exp = _experiment(db)
    (tmp_path / exp.config.dataset_file).unlink()
    with pytest.raises(ValueError, match="keep it next to the store"):
        nb.Experiment.load(db)
