"""Helpers for the workshop (``notebooks/04_workshop.ipynb``): checks, comparisons, waiting.

* **Checks.** Each ``check_…()`` takes a student's answer and returns a :class:`Check`
  that says whether it is right and why (shown as a green or red line in a notebook).
  An answer left as ``None`` is "not answered yet", never a failure. The solutions are
  collapsed markdown in the notebook: Run All never executes them.
* **Estimator quality.** :func:`score` runs an estimator on the first ``cells`` cells of a
  seeded random search (the same cells for every estimator with the same seed) and times
  it; :func:`compare` puts the Kendall tau, Spearman rho, top-k overlap and the cost of
  several estimators side by side, against a ground truth; :func:`explain` says in
  words what the numbers mean, with the band within which a tau is noise.
* **Background searches.** :func:`progress` is a live progress bar with an ETA for an
  experiment that runs in the background; :func:`wait` waits for it at most ``timeout``
  seconds (so that no cell blocks for long) and says what it shows when the search has
  not ended yet.
* :func:`distinct_front`: a Pareto front with one row per distinct architecture.

Example:
    >>> check_space_size(144)
    ✓ Right: 144 cells. Each edge keeps its other operations ...
    >>> bool(check_space_size(1296)), bool(check_space_size(None))
    (False, False)
"""

from __future__ import annotations

import html
import json
import math
import numbers
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .quality import GroundTruth, rank_quality
from .space import SearchSpace, presets

__all__ = [
    "Check", "Scores", "check_estimator_choice", "check_limit", "check_seeds",
    "check_skip_counts", "check_space_size", "compare", "distinct_front", "explain",
    "noise_band", "progress", "score", "wait",
]

_MARK = {True: "✓ Right", False: "✗ Not yet", None: "… Not answered yet"}
_COLOR = {True: "#1e7b34", False: "#b03a2e", None: "#7a6a00"}


@dataclass(frozen=True)
class Check:
    """The verdict of a ``check_…()``: ``ok`` (True right, False wrong, None not answered)
    and ``message`` (why). Truthy only when right.

    Example:
        >>> c = Check(False, "the space still has 'none'")
        >>> bool(c), c
        (False, ✗ Not yet: the space still has 'none')
    """

    ok: bool | None
    message: str

    def __bool__(self) -> bool:
        return self.ok is True

    def __repr__(self) -> str:
        return f"{_MARK[self.ok]}: {self.message}"

    def _repr_html_(self) -> str:
        return (f"<div class='nbui-check' style='color:{_COLOR[self.ok]};font-weight:600'>"
                f"{html.escape(_MARK[self.ok])}: "
                f"<span style='font-weight:400'>{html.escape(self.message)}</span></div>")


def _unanswered(what: str) -> Check:
    return Check(None, f"set {what} in the cell above, then run it again")


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(x)


# ------------------------------------------------------------------ exercise 1
def without_op(space: SearchSpace, op: str = "none") -> SearchSpace:
    """``space`` with ``op`` removed from every edge that has another operation.

    Example:
        >>> without_op(presets.digits_cell()).size()
        144
    """
    d = space.to_dict()
    for edge in d["edges"]:
        kept = [o for o in edge["ops"] if o != op]
        edge["ops"] = kept or edge["ops"]
    return SearchSpace.from_dict(d)


def check_space_size(answer: Any, space: SearchSpace | None = None) -> Check:
    """Exercise 1: the number of cells of ``space`` (default ``digits_cell``) once no edge
    may choose ``none``.

    Example:
        >>> check_space_size(36)
        ✗ Not yet: 36 is not it. Count the operations each edge keeps ...
    """
    space = space or presets.digits_cell()
    if answer is None:
        return _unanswered("answer = <number of cells>")
    right = without_op(space).size()
    per_edge = " x ".join(str(len([o for o in e.ops if o != "none"]) or len(e.ops))
                          for e in space.edges)
    if isinstance(answer, SearchSpace):
        answer = answer.size()
    if not _is_number(answer):
        return Check(False, f"give a number (or the SearchSpace you built), got {answer!r}")
    if answer == right:
        return Check(True, f"{right} cells. Each edge keeps its other operations "
                           f"({per_edge} = {right}), one ninth of the {space.size():,}: "
                           "a space shrinks multiplicatively, edge by edge.")
    if answer == space.size():
        return Check(False, f"{answer:,} is the whole space, 'none' included. Remove 'none' "
                            "from every edge and count again.")
    return Check(False, f"{answer} is not it. Count the operations each edge keeps once "
                        "'none' is gone, and multiply the counts (one decision per edge).")


# ------------------------------------------------------------------ exercise 2
def check_seeds(results: Any, winner: Any) -> Check:
    """Exercise 2: ``results`` is a DataFrame with columns ``strategy``, ``seed`` and
    ``best`` (one row per strategy and seed); ``winner`` the strategy with the highest
    mean ``best``.

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"strategy": ["random", "random", "evolution", "evolution"],
        ...                    "seed": [0, 1, 0, 1], "best": [0.95, 0.97, 0.98, 0.99]})
        >>> bool(check_seeds(df, "evolution")), bool(check_seeds(df, "random"))
        (True, False)
    """
    if results is None or winner is None:
        return _unanswered("results = <DataFrame strategy/seed/best> and winner = '<name>'")
    cols = getattr(results, "columns", None)
    if cols is None or not {"strategy", "seed", "best"} <= set(cols):
        return Check(False, "results must be a DataFrame with the columns strategy, seed and "
                            "best (one row per strategy and seed)")
    seeds = results.groupby("strategy")["seed"].nunique()
    if len(seeds) < 2:
        return Check(False, "compare at least two strategies")
    if int(seeds.min()) < 2:
        return Check(False, f"{seeds.idxmin()!r} ran with one seed only: one seed proves "
                            "nothing, run every strategy with several seeds")
    stats = results.groupby("strategy")["best"].agg(["mean", "std"])
    stats = stats.sort_values("mean", ascending=False)
    best, second = stats.index[0], stats.index[1]
    gap = float(stats["mean"].iloc[0] - stats["mean"].iloc[1])
    spread = float(stats["std"].max())
    table = ", ".join(f"{s} {m:.4f} ± {sd:.4f}" for s, (m, sd) in stats.iterrows())
    if winner != best:
        return Check(False, f"by your own table the highest mean is {best!r}, not {winner!r} "
                            f"({table})")
    verdict = ("larger than the spread between seeds: a real lead" if gap > spread else
               "smaller than the spread between seeds: with this budget the two are "
               "not clearly apart, more seeds would tell")
    return Check(True, f"{best!r} leads {second!r} by {gap:.4f} on average, {verdict} "
                       f"({table}).")


# ------------------------------------------------------------------ exercise 3
def check_estimator_choice(answer: Any, comparison: Any) -> Check:
    """Exercise 3: the estimator (a row of :func:`compare`'s table, not a reference row)
    that ranks the cells best (highest Kendall tau).

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"kendall_tau": [0.9, 0.5, -0.1], "reference": [True, False, False],
        ...                    "s_per_cell": [1.0, 0.1, 0.2]}, index=["full", "a", "b"])
        >>> check_estimator_choice("a", df)
        ✓ Right: 'a' ranks the cells best (tau 0.50) at 0.1 s a cell...
    """
    if answer is None:
        return _unanswered("answer = '<estimator name>' (a row of the comparison table)")
    if comparison is None or "kendall_tau" not in getattr(comparison, "columns", ()):
        return Check(False, "pass the table that compare() returned as the second argument")
    rows = comparison[~comparison["reference"]] if "reference" in comparison.columns \
        else comparison
    if answer not in rows.index:
        return Check(False, f"{answer!r} is not an estimator of the table; its rows are "
                            f"{list(rows.index)}")
    ranked = rows.sort_values("kendall_tau", ascending=False)
    best = ranked.index[0]
    tau = float(ranked.loc[best, "kendall_tau"])
    if answer != best:
        mine = float(rows.loc[answer, "kendall_tau"])
        return Check(False, f"{answer!r} has tau {mine:.2f}, but {best!r} has {tau:.2f}: "
                            "the higher the tau, the closer its order is to full training")
    cost = float(ranked.loc[best, "s_per_cell"]) if "s_per_cell" in rows.columns else math.nan
    return Check(True, f"{best!r} ranks the cells best (tau {tau:.2f}) at {cost:.2g} s a cell. "
                       "Whether it is worth it depends on that cost: compare it with a full "
                       "training.")


# ------------------------------------------------------------------ exercise 4
def skip_count(arch: Mapping[str, Any], op: str = "skip_connect") -> int:
    """How many decisions of ``arch`` chose ``op``.

    Example:
        >>> skip_count({"a": "skip_connect", "b": "none", "c": "skip_connect"})
        2
    """
    return sum(1 for v in arch.values() if v == op)


def check_skip_counts(counts: Any, experiment: Any) -> Check:
    """Exercise 4: ``counts`` maps each finished trial number of the DARTS ``experiment`` to
    the number of ``skip_connect`` operations in its derived cell. While the search still
    runs, the trials finished so far are enough.

    Example:
        >>> from nasbench_ui.storage import Trial, TrialState
        >>> class Exp:
        ...     running = False
        ...     trials = [Trial(0, TrialState.COMPLETE, {"a": "skip_connect"}, 0.5)]
        >>> bool(check_skip_counts({0: 1}, Exp())), bool(check_skip_counts({0: 0}, Exp()))
        (True, False)
    """
    if counts is None:
        return _unanswered("counts = {trial number: skip_connect count}")
    if not isinstance(counts, Mapping):
        return Check(False, f"counts must be a dict {{trial number: count}}, got "
                            f"{type(counts).__name__}")
    done = {t.number: skip_count(t.arch) for t in experiment.trials if t.state.counted}
    if not done:
        return Check(None, "no DARTS epoch has finished yet: wait a little and run again")
    wrong = {n: c for n, c in counts.items() if n not in done or done[n] != c}
    if wrong:
        n = next(iter(wrong))
        why = (f"trial {n} has not finished" if n not in done else
               f"trial {n} derived {done[n]} skip_connect, not {counts[n]}")
        return Check(False, f"{why}; count the values equal to 'skip_connect' in each "
                            "trial's arch")
    missing = sorted(set(done) - set(counts))
    if missing and not experiment.running:
        return Check(False, f"trials {missing} are missing: count every finished epoch")
    trend = [done[n] for n in sorted(done)]
    drift = ("it grows: the drift toward parameter-free operations" if trend[-1] > trend[0]
             else "no growth yet over so few epochs; DARTS drifts over longer searches")
    return Check(True, f"skip_connect per epoch: {trend}; {drift}.")


# ------------------------------------------------------------------ exercise 5
def check_limit(best: Any, loss: Any, table: Any, limit: int = 10_000,
                metric: str = "valid_acc") -> Check:
    """Exercise 5: ``best``, the highest ``metric`` of a cell with at most ``limit``
    parameters in ``table``, and ``loss``, what the limit costs against the best overall.

    Example:
        >>> import pandas as pd
        >>> t = pd.DataFrame({"valid_acc": [0.9, 0.95], "params": [5_000, 20_000]})
        >>> check_limit(0.9, 0.05, t)
        ✓ Right: the best cell with at most 10,000 parameters reaches 0.9000, 0.0500 below ...
    """
    if best is None or loss is None:
        return _unanswered("best = <accuracy> and loss = <best overall - best>")
    if not (_is_number(best) and _is_number(loss)):
        return Check(False, f"best and loss must be numbers (fractions), got {best!r}, {loss!r}")
    small = table[table["params"] <= limit]
    right = float(small[metric].max())
    overall = float(table[metric].max())
    if best > 1.0:
        return Check(False, f"{best} looks like a percentage: the table holds fractions")
    if abs(best - right) > 5e-4:
        hint = ("that is the best of the whole table: keep only the rows with params <= "
                f"{limit:,} first" if abs(best - overall) <= 5e-4 else
                f"filter table.params <= {limit:,} and take the highest {metric}")
        return Check(False, f"{best:.4f} is not it: {hint}")
    if abs(loss - (overall - right)) > 5e-4:
        return Check(False, f"best is right; loss is the best overall ({overall:.4f}) minus "
                            "your best")
    share = len(small) / len(table)
    return Check(True, f"the best cell with at most {limit:,} parameters reaches {right:.4f}, "
                       f"{overall - right:.4f} below the best overall; {share:.0%} of the "
                       "cells fit the limit.")


# -------------------------------------------------------------- estimator quality
@dataclass
class Scores:
    """What :func:`score` measured: the estimator's ``name``, its finished ``trials`` and
    the wall ``seconds`` it took."""

    name: str
    trials: list[Any]
    seconds: float


def score(space: Any, estimator: str, options: dict | None = None, cells: int = 24,
          seed: int = 0, name: str | None = None) -> Scores:
    """Score the first ``cells`` cells of a seeded random search with ``estimator`` and
    time it. With the same ``space``, ``cells`` and ``seed`` every estimator sees the
    same cells.

    Example:
        >>> s = score("digits_cell", "tabular", {"table": "digits"}, cells=3)
        >>> s.name, len(s.trials)
        ('tabular', 3)
    """
    from .experiment import Experiment

    if isinstance(cells, bool) or not isinstance(cells, int) or cells < 2:
        raise ValueError(f"cells must be an integer >= 2, got {cells!r}")
    exp = Experiment(space, strategy="random", estimator=estimator,
                     estimator_options=options or {}, trials=cells, seed=seed)
    t0 = time.perf_counter()
    exp.run()
    seconds = time.perf_counter() - t0
    return Scores(name or estimator, exp.finished_trials(), seconds)


def compare(truth: GroundTruth, scores: Sequence[Scores], table: Any = None,
            k: int = 5) -> Any:
    """A DataFrame, one row per estimator: ``kendall_tau``, ``spearman``,
    ``top_k_overlap`` and ``n`` against ``truth``, ``s_per_cell`` (wall seconds per
    cell) and ``x_cheaper`` (a full training's cost over that).

    With the shipped digits ``table`` two reference rows come first, on the same cells:
    ``full training`` (the truth itself: tau 1, at the table's measured ``cost_s``) and
    ``full training, seed 1`` (the same training with another seed, scored against the
    seed-0 run: how far even full training is from a perfect order).

    Example:
        >>> import nasbench_ui as nb
        >>> space, table = nb.spaces.digits_cell(), nb.benchmarks.digits()
        >>> truth = GroundTruth(space, table, metric="valid_acc")
        >>> s = score(space, "tabular", {"table": "digits"}, cells=8)
        >>> df = compare(truth, [s], table)
        >>> list(df.index), float(round(df.loc["tabular", "kendall_tau"], 3))
        (['full training', 'full training, seed 1', 'tabular'], 1.0)
    """
    import pandas as pd

    if not scores:
        raise ValueError("compare needs at least one Scores from score()")
    rows: dict[str, dict[str, Any]] = {}
    cells = [t for t in scores[0].trials if t.value is not None]
    full_cost = math.nan
    if table is not None:
        by_key = table.set_index("arch_str")
        keys = [truth.space.key(t.arch) for t in cells]
        known = [k_ for k_ in keys if k_ in by_key.index]
        if known:
            full_cost = float(by_key.loc[known, "cost_s"].mean())
            truths = [truth(t.arch) for t in cells if truth.space.key(t.arch) in by_key.index]
            rows["full training"] = {**rank_quality(truths, truths, k), "s_per_cell": full_cost}
            if {"valid_acc_s0", "valid_acc_s1"} <= set(by_key.columns):
                q = rank_quality(by_key.loc[known, "valid_acc_s1"].tolist(),
                                 by_key.loc[known, "valid_acc_s0"].tolist(), k)
                rows["full training, seed 1"] = {**q, "s_per_cell": full_cost}
    for s in scores:
        done = [t for t in s.trials if t.value is not None]
        q = rank_quality([t.value for t in done], [truth(t.arch) for t in done], k)
        rows[s.name] = {**q, "s_per_cell": s.seconds / max(len(s.trials), 1)}
    df = pd.DataFrame.from_dict(rows, orient="index")
    df["x_cheaper"] = full_cost / df["s_per_cell"]
    df["reference"] = [name.startswith("full training") for name in df.index]
    return df[["kendall_tau", "spearman", "top_k_overlap", "n", "s_per_cell", "x_cheaper",
               "reference"]]


def noise_band(n: int) -> float:
    """Two standard deviations of Kendall's tau between ``n`` pairs in random order: a
    |tau| below this is not told apart from chance.

    Example:
        >>> round(noise_band(24), 2)
        0.29
    """
    if n < 2:
        return math.nan
    return 2 * math.sqrt(2 * (2 * n + 5) / (9 * n * (n - 1)))


def explain(comparison: Any) -> str:
    """One sentence per estimator of a :func:`compare` table on what its numbers mean.

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"kendall_tau": [-0.2], "n": [24], "s_per_cell": [0.2],
        ...                    "x_cheaper": [5.0], "reference": [False]}, index=["ws"])
        >>> print(explain(df))
        - ws: tau -0.20, within ±0.29 of zero, so no better than a random order ...
    """
    lines = []
    for name, row in comparison.iterrows():
        tau, n = float(row["kendall_tau"]), int(row["n"])
        band = noise_band(n)
        if row.get("reference", False) and name == "full training":
            lines.append(f"- {name}: the truth itself (tau 1 by definition), "
                         f"{row['s_per_cell']:.2g} s a cell: the cost every estimator saves.")
            continue
        if math.isnan(tau):
            what = "no tau: too few cells, or every estimate was the same"
        elif tau < -band:
            what = ("clearly negative: it prefers the worse cells, and searching by it "
                    "would steer away from the good ones")
        elif abs(tau) <= band:
            what = (f"within ±{band:.2f} of zero, so no better than a random order on "
                    f"{n} cells" + (" (negative, but not beyond chance)" if tau < 0 else ""))
        elif tau < 0.6:
            what = "a rough order: it separates bad from good, not the best from the good"
        else:
            what = "a good order, close to full training's own"
        cheaper = row.get("x_cheaper", math.nan)
        cost = (f"{cheaper:.1f}x cheaper than a full training" if _is_number(cheaper)
                else f"{row['s_per_cell']:.2g} s a cell")
        if row.get("reference", False):
            lines.append(f"- {name}: tau {tau:.2f}, the same training with another seed: "
                         "no estimator can be trusted beyond this.")
        else:
            lines.append(f"- {name}: tau {tau:.2f}, {what}; {cost}.")
    return "\n".join(lines)


# ------------------------------------------------------------- background searches
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
