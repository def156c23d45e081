"""The workshop's checks: each takes a student's answer and returns a :class:`Check`.

Example:
    >>> bool(check_space_size(144)), bool(check_space_size(None))
    (True, False)
"""

from __future__ import annotations

import html
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..space import SearchSpace, presets

_MARK = {True: "✓ Right", False: "✗ Not yet", None: "… Not answered yet"}
_COLOR = {True: "#1e7b34", False: "#b03a2e", None: "#7a6a00"}
#: a verdict wraps at the output area's width, however long its message or any word in it
_WRAP = ("display:block;max-width:100%;box-sizing:border-box;white-space:normal;"
         "overflow-wrap:anywhere;line-height:1.4")


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
        """The verdict as one block that wraps within the output area (the message
        escaped). Its class is not ``nbui-check``: the graph editor's stylesheet, on the
        page once a workbench is shown, makes that class one unwrapped line."""
        return (f"<div class='nbui-verdict' style='{_WRAP};color:{_COLOR[self.ok]};"
                f"font-weight:600'>{html.escape(_MARK[self.ok])}: "
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
