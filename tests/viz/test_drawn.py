"""viz.drawn.DrawnSource: a source kept equal to the drawn rows of a growing table."""

from __future__ import annotations

import random

import numpy as np
from bokeh.models import ColumnDataSource

from nasbench_ui.viz.drawn import DrawnSource


def _expected(cols, rows):
    rows = range(len(cols["number"])) if rows is None else rows
    return {k: [v[i] for i in rows] for k, v in cols.items()}


def test_appended_rows_are_streamed_and_a_changed_cell_patched(monkeypatch):
    src = ColumnDataSource({"number": [], "v": []})
    drawn = DrawnSource(src)
    cols = {"number": [0, 1, 2], "v": [1.0, 2.0, 3.0]}
    assert drawn.sync(cols, None, (0, set())) == "replace"
    cols = {"number": [0, 1, 2, 3], "v": [1.0, 9.0, 3.0, 4.0]}
    calls = []
    patch, stream = ColumnDataSource.patch, ColumnDataSource.stream
    monkeypatch.setattr(ColumnDataSource, "patch",
                        lambda self, p, **kw: calls.append(("patch", p)) or patch(self, p, **kw))
    monkeypatch.setattr(ColumnDataSource, "stream",
                        lambda self, d, **kw: calls.append(("stream", d)) or stream(self, d, **kw))
    assert drawn.sync(cols, None, (None, {1})) == "patch"
    assert src.data == cols
    assert calls == [("patch", {"v": [(1, 9.0)]}), ("stream", {"number": [3], "v": [4.0]})]
    assert drawn.sync(cols, None, (None, set())) == "none"


def test_a_row_no_longer_drawn_replaces_the_data():
    src = ColumnDataSource({"number": [], "v": []})
    drawn = DrawnSource(src)
    cols = {"number": list(range(6)), "v": list(range(6))}
    drawn.sync(cols, np.array([0, 1, 2, 3]), (0, set()))
    assert drawn.sync(cols, np.array([0, 2, 4]), (None, set())) == "replace"
    assert src.data["number"] == [0, 2, 4]


def test_extra_columns_are_computed_for_the_drawn_rows_only():
    asked = []

    def extra(rows):
        asked.extend(rows)
        return {"text": [f"t{r}" for r in rows]}

    src = ColumnDataSource({"number": [], "text": []})
    drawn = DrawnSource(src, extra)
    cols = {"number": list(range(100))}
    drawn.sync(cols, np.arange(0, 100, 10), (0, set()))
    assert asked == list(range(0, 100, 10)) and src.data["text"][-1] == "t90"


def test_random_inserts_and_changes_end_equal_to_the_drawn_rows():
    """Rows inserted in the middle (out-of-order trials), single changed cells and a
    drawn set that grows or is thinned anew: the source always ends equal to them."""
    rng = random.Random(7)
    src = ColumnDataSource({"number": [], "v": []})
    drawn = DrawnSource(src)
    cols: dict[str, list] = {"number": [], "v": []}
    kinds = set()
    for _ in range(300):
        start, single = None, set()
        for _ in range(rng.randint(1, 4)):
            n = len(cols["number"])
            if n and rng.random() < 0.2:  # insert a row in the middle
                i = rng.randrange(n)
                cols["number"].insert(i, -1)
                cols["v"].insert(i, rng.random())
                start = i if start is None else min(start, i)
            else:
                cols["number"].append(n)
                cols["v"].append(rng.random())
            if n and rng.random() < 0.3:  # change one cell in place
                j = rng.randrange(n)
                cols["v"][j] = rng.random()
                single.add(j)
        n = len(cols["number"])
        step = 1 if n < 40 else 4
        rows = None if step == 1 else np.flatnonzero(np.arange(n) % step == 0)
        kinds.add(drawn.sync(cols, rows, (start, single)))
        assert src.data == _expected(cols, rows)
    assert {"stream", "patch", "replace"} <= kinds
