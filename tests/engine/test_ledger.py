"""The run's bookkeeping (``engine/ledger.py``): restoring a stored strategy state."""

from __future__ import annotations

import json
import sqlite3

import pytest

import nasbench_ui as nb


@pytest.mark.parametrize(("field", "bad"), [
    ("population", {"x": "<bad>"}),   # a TypeError inside evolution's loader
    ("meta", ["<bad>"]),              # "dictionary update sequence element #0 ..."
    ("pending", ["<bad>"]),           # "not enough values to unpack"
])
def test_a_stored_strategy_state_that_does_not_load_is_one_clear_error(tmp_path, field, bad):
    """A store from someone else holds the strategy's snapshot: one whose parts have the
    wrong shape raised a bare TypeError (a traceback from 'nasbench-ui run --resume') or
    a ValueError that named nothing the user knows. It is now a ValueError naming the
    strategy and the experiment, with the loader's words, and the store stays usable."""
    db = tmp_path / "runs.db"
    exp = nb.Experiment(nb.spaces.nb201(), strategy="evolution", estimator="zero_cost",
                        strategy_options={"population": 3, "sample_size": 2}, trials=4,
                        storage=db, seed=0).run()
    exp.close()
    exp.store.close()
    con = sqlite3.connect(db)
    good = con.execute("SELECT strategy_state FROM experiments").fetchone()[0]
    con.execute("UPDATE experiments SET strategy_state = ?",
                (json.dumps({**json.loads(good), field: bad}),))
    con.commit()
    again = nb.Experiment.load(db)
    again.set_budget(trials=6)
    with pytest.raises(ValueError, match="the stored state of strategy 'evolution' of "
                                         "experiment 'exp-1' does not load"):
        again.run()
    again.close()
    again.store.close()
    con.execute("UPDATE experiments SET strategy_state = ?", (good,))
    con.commit()
    con.close()
    assert len(nb.Experiment.load(db).run().trials) == 6  # no lease left held, nothing lost
