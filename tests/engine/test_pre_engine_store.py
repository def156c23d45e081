"""A store written before the engine package (commit 3424a49, tag pre-engine) still opens
read-only, unchanged, and its searches continue where they stopped (issue 13: "Experiment.load
of a store written before the change works as before").

``data/pre_engine.db`` holds three searches of 12 trials on the shipped digits table
(bananas, evolution, random, seed 1), each stopped after 6; ``pre_engine_reference.json``
holds the architectures the old code asked in an uninterrupted run of 12.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import nasbench_ui as nb

DATA = Path(__file__).parent / "data"
REFERENCE = json.loads((DATA / "pre_engine_reference.json").read_text())["uninterrupted_keys"]


@pytest.fixture
def old_store(tmp_path: Path) -> Path:
    path = tmp_path / "pre_engine.db"
    shutil.copy(DATA / "pre_engine.db", path)
    return path


def test_reading_an_old_store_changes_nothing(old_store: Path) -> None:
    before = old_store.read_bytes()
    for name in REFERENCE:
        exp = nb.Experiment.load(old_store, name=name)
        assert [t.state.name for t in exp.trials] == ["COMPLETE"] * 6
        assert [exp.space.key(t.arch) for t in exp.trials] == REFERENCE[name][:6]
        assert len(exp.results()) == 6
    assert old_store.read_bytes() == before


@pytest.mark.parametrize("name", ["old-evolution", "old-random"])
def test_an_old_search_continues_exactly_where_it_stopped(old_store: Path, name: str) -> None:
    exp = nb.Experiment.load(old_store, name=name)
    exp.run()
    assert [exp.space.key(t.arch) for t in exp.trials] == REFERENCE[name]


def test_an_old_bananas_snapshot_loads_and_its_search_goes_on(old_store: Path) -> None:
    # its snapshot is the older format (a history of dicts); the predictors now train in
    # single precision, so later picks may differ from the old code's
    exp = nb.Experiment.load(old_store, name="old-bananas")
    exp.run()
    keys = [exp.space.key(t.arch) for t in exp.trials]
    assert len(keys) == 12 and len(set(keys)) == 12
    assert keys[:6] == REFERENCE["old-bananas"][:6]
    assert all(t.state.name == "COMPLETE" for t in exp.trials)
