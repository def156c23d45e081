"""viz.drawn_rows.DrawnRows: the rows a chart draws, kept push to push, equal the rule
of viz.thinning.drawn_rows applied to the whole table."""

from __future__ import annotations

import math
import random

import numpy as np

from nasbench_ui.viz.drawn_rows import DrawnRows
from nasbench_ui.viz.thinning import drawn_rows


def _from_scratch(cols, limit, selected, improvements):
    numbers = np.asarray(cols["number"], dtype=np.int64)
    if len(numbers) <= limit:
        return None
    must = numbers == (-1 if selected is None else selected)
    must[-1] = True
    if improvements:
        best = np.asarray(cols["best_so_far"], dtype=float)
        same = (best[1:] == best[:-1]) | (np.isnan(best[1:]) & np.isnan(best[:-1]))
        must[1:] |= ~same
        must[:-1] |= ~same
    return drawn_rows(numbers, limit, 0, must)[0]


def _running_best(values):
    best, out = math.nan, []
    for v in values:
        if not math.isnan(v):
            best = v if math.isnan(best) else max(best, v)
        out.append(best)
    return out


def test_kept_rows_equal_the_rule_on_the_whole_table_through_inserts_and_selections():
    """Trials finish out of order (an earlier number is inserted among the rows, and the
    best so far of every later row may change), the selection moves, the step doubles:
    after every push the kept rows are the rule applied to the whole table."""
    rng = random.Random(3)
    total = 600
    value = [rng.random() if rng.random() < 0.9 else math.nan for _ in range(total)]
    for improvements in (True, False):
        order = sorted(range(total), key=lambda n: n + rng.uniform(0, 25))  # finish order
        kept = DrawnRows(limit=40, improvements=improvements)
        owner, done, selected, pushes = object(), [], None, 0
        while order:
            batch = order[:rng.randint(1, 9)]
            del order[:len(batch)]
            before = sorted(done)
            done = sorted(done + batch)
            # the first row that differs from the last push: where a new trial landed
            since = min(done.index(n) for n in batch)
            assert done[:since] == before[:since]
            if rng.random() < 0.05:
                selected = rng.choice(done)
            cols = {"number": done, "best_so_far": _running_best([value[n] for n in done])}
            got, _ = kept.update(cols, owner, since, selected)
            want = _from_scratch(cols, 40, selected, improvements)
            pushes += 1
            if want is None:
                assert got is None
            else:
                assert got is not None and got.tolist() == want.tolist(), pushes
        assert kept.step == 16  # 600 rows into 40: the step doubled on the way


def test_a_push_of_new_rows_decides_only_them():
    """O(new rows): with the same table, an update looks at rows from just before the new
    ones (a table whose old rows would say otherwise is not read there)."""
    rows = DrawnRows(limit=10)
    cols = {"number": list(range(30)), "best_so_far": [0.5] * 30}
    first, step = rows.update(cols, cols, 0, None)
    assert step == 4 and first.tolist() == [0, 4, 8, 12, 16, 20, 24, 28, 29]
    cols["number"] += [30, 31]
    cols["best_so_far"] += [0.5, 0.5]
    cols["number"][0] = 999  # an old row, untouched: not read again
    again, _ = rows.update(cols, cols, 30, None)
    assert again.tolist() == [0, 4, 8, 12, 16, 20, 24, 28, 31]  # 29 no longer the newest
