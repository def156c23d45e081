"""Background searches in the workshop: a live progress bar, a bounded wait, a distinct front.

Example:
    >>> progress_text(2, 8, 10.0, "running")
    'running: 2 of 8 trials, about 30 s left'
"""

from __future__ import annotations

import json
import math
import threading
import time
from typing import Any

from .checks import _is_number


def _eta(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return ""
    return f"about {max(int(seconds), 1)} s left" if seconds < 120 else \
        f"about {int(seconds // 60)} min left"


def progress_text(done: int, total: int | None, elapsed: float, status: str) -> str:
    """The line under a progress bar.

    Example:
        >>> progress_text(2, 8, 10.0, "running")
        'running: 2 of 8 trials, about 30 s left'
        >>> progress_text(8, 8, 40.0, "done")
        'done: 8 of 8 trials in 40 s'
    """
    of = f" of {total}" if total else ""
    if status == "running":
        left = (elapsed / done * (total - done)) if done and total else None
        eta = _eta(left)
        return f"{status}: {done}{of} trials" + (f", {eta}" if eta else ", estimating time left")
    return f"{status}: {done}{of} trials in {elapsed:.0f} s"


def progress(experiment: Any) -> Any:
    """A live progress bar with an ETA for ``experiment`` (call it before or after
    ``start()``); it follows the search from a background thread until it ends.

    Example:
        >>> import nasbench_ui as nb
        >>> bar = progress(nb.Experiment("digits_cell", estimator="tabular",
        ...                              estimator_options={"table": "digits"}, trials=2))
        >>> bar.children[0].max
        2
    """
    import ipywidgets as w

    total = experiment.config.trials
    bar = w.IntProgress(value=experiment.n_done(), min=0, max=total or 1,
                        layout=w.Layout(width="320px"))
    label = w.Label()
    box = w.HBox([bar, label])
    box.add_class("nbui-progress")
    t0 = time.monotonic()
    start_done = experiment.n_done()

    def refresh() -> None:
        done = experiment.n_done()
        bar.value = min(done, bar.max)
        status = "running" if experiment.running else experiment.status
        label.value = progress_text(done - start_done if status == "running" else done,
                                    (total - start_done) if status == "running" and total
                                    else total, time.monotonic() - t0, status)

    def follow() -> None:
        while experiment.running or experiment.status == "idle" and time.monotonic() - t0 < 5:
            refresh()
            time.sleep(0.5)
        refresh()

    refresh()
    threading.Thread(target=follow, name="nbui-teaching-progress", daemon=True).start()
    return box


def wait(experiment: Any, timeout: float = 15.0) -> Any:
    """Wait for a background ``experiment`` at most ``timeout`` seconds, then return it,
    printing whether the results that follow are final or the trials so far.

    Example:
        >>> import nasbench_ui as nb
        >>> exp = nb.Experiment("digits_cell", estimator="tabular",
        ...                     estimator_options={"table": "digits"}, trials=2).start()
        >>> wait(exp, 30).status
        done: 2 trials, the results below are final.
        'done'
    """
    if not _is_number(timeout) or timeout < 0:
        raise ValueError(f"timeout must be a number of seconds >= 0, got {timeout!r}")
    experiment.wait(timeout)
    n = experiment.n_done()
    if experiment.running:
        print(f"still running after {timeout:g} s: the results below are the {n} trials "
              "so far; run this cell again later for more.")
    else:
        print(f"{experiment.status}: {n} trials, the results below are final.")
    return experiment


def distinct_front(results: Any, value: str = "value", cost: str = "params") -> Any:
    """The Pareto front of ``results`` (max ``value``, min ``cost``), one row per distinct
    point: a search that met the same architecture twice lists it once.

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"value": [0.9, 0.9, 0.8, 0.95, 0.7],
        ...                    "params": [100, 100, 50, 400, 60]})
        >>> distinct_front(df)[["value", "params"]].values.tolist()
        [[0.8, 50.0], [0.9, 100.0], [0.95, 400.0]]
    """
    if "arch" in results.columns:
        keys = results["arch"].map(lambda a: json.dumps(a, sort_keys=True))
        results = results.assign(_key=keys).drop_duplicates("_key").drop(columns="_key")
    df = results.dropna(subset=[value, cost]).drop_duplicates([value, cost])
    df = df.sort_values([cost, value], ascending=[True, False])
    keep, best = [], -math.inf
    for i, v in zip(df.index, df[value], strict=True):
        if v > best:
            keep.append(i)
            best = v
    return df.loc[keep]
