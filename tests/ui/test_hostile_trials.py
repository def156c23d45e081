"""A stored trial that this workbench's space cannot draw, or whose parent is no trial
number, is shown as text instead of breaking Workbench.load or Compare (a store may
come from someone else: found by an attacker's pass)."""

from __future__ import annotations

import json
import sqlite3

import nasbench_ui as nb


def _tampered_store(tmp_path, arch_change=None, meta=None):
    db = tmp_path / "shared.db"
    nb.Experiment("nb201", strategy="random", estimator="zero_cost", trials=3, seed=0,
                  storage=db, name="shared").run()
    con = sqlite3.connect(db)
    with con:
        arch = json.loads(con.execute("SELECT arch FROM trials WHERE number = 2").fetchone()[0])
        arch.update(arch_change or {})
        con.execute("UPDATE trials SET arch = ?, meta = ? WHERE number = 2",
                    (json.dumps(arch), json.dumps(meta or {})))
    con.close()
    return db


def test_a_stored_architecture_the_space_cannot_draw_is_named_not_raised(tmp_path):
    db = _tampered_store(tmp_path, arch_change={"evil<b>": "<script>1</script>"})
    wb = nb.Workbench.load(db)  # shows the latest trial: raised ValueError before
    try:
        title = wb.arch_view.title
        assert "trial 2: its architecture does not fit this space" in title, title
        assert "unknown decision" in title and wb.arch_view.arch is None
        wb.select(1)  # the others still draw
        assert wb.arch_view.arch is not None
    finally:
        wb.close_search()


def test_compare_takes_a_parent_only_when_it_is_a_trial_number(tmp_path):
    db = _tampered_store(tmp_path, meta={"parent": [0, 1]})
    wb = nb.Workbench.load(db)
    try:
        diff = wb.diff
        diff.set_selected(2)
        diff.compare_selected()  # raised TypeError (unhashable list) before
        assert diff.a.value == 2
    finally:
        wb.close_search()
