"""Estimator quality for the workshop: score estimators on the same cells, compare, explain.

Example:
    >>> round(noise_band(24), 2)
    0.29
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..quality import GroundTruth, rank_quality
from .checks import _is_number


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
    same cells. The row's ``name`` is the estimator's with its options, unless given:
    two proxies of ``zero_cost`` are two rows.

    Example:
        >>> s = score("digits_cell", "tabular", {"table": "digits"}, cells=3)
        >>> s.name, len(s.trials)
        ('tabular (table=digits)', 3)
    """
    from ..experiment import Experiment

    if isinstance(cells, bool) or not isinstance(cells, int) or cells < 2:
        raise ValueError(f"cells must be an integer >= 2, got {cells!r}")
    exp = Experiment(space, strategy="random", estimator=estimator,
                     estimator_options=options or {}, trials=cells, seed=seed)
    t0 = time.perf_counter()
    exp.run()
    seconds = time.perf_counter() - t0
    shown = ", ".join(f"{k}={v}" for k, v in (options or {}).items())
    return Scores(name or (f"{estimator} ({shown})" if shown else estimator),
                  exp.finished_trials(), seconds)


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
        >>> list(df.index), float(round(df.loc["tabular (table=digits)", "kendall_tau"], 3))
        (['full training', 'full training, seed 1', 'tabular (table=digits)'], 1.0)

    Two scores of one name would be one row: refused (ValueError), as is a name of the
    reference rows.
    """
    import pandas as pd

    if not scores:
        raise ValueError("compare needs at least one Scores from score()")
    names = [s.name for s in scores]
    twice = sorted({n for n in names if names.count(n) > 1 or n.startswith("full training")})
    if twice:
        raise ValueError(f"two rows would be named {twice[0]!r} (or it names a reference "
                         "row): give each score(..., name=...) a name of its own")
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


def band_line(ns: Sequence[int]) -> str:
    """The noise band for the sample sizes ``ns`` (the ``n`` of a :func:`compare` table's
    rows), in one sentence; empty when no size has a band (fewer than 2 cells).

    Example:
        >>> band_line([24, 24])
        'Noise band: a tau within ±0.29 of 0 is not told apart from chance on 24 cells.'
        >>> band_line([24, 12])
        'Noise band: a tau within ±0.29 of 0 on 24 cells (±0.44 on 12) is not told apart from chance.'
    """
    sizes = sorted({int(n) for n in ns if _is_number(n) and n >= 2}, reverse=True)
    if not sizes:
        return ""
    first = f"±{noise_band(sizes[0]):.2f} of 0"
    if len(sizes) == 1:
        return (f"Noise band: a tau within {first} is not told apart from chance "
                f"on {sizes[0]} cells.")
    others = ", ".join(f"±{noise_band(n):.2f} on {n}" for n in sizes[1:])
    return (f"Noise band: a tau within {first} on {sizes[0]} cells ({others}) is not told "
            "apart from chance.")


def explain(comparison: Any) -> str:
    """One sentence per estimator of a :func:`compare` table on what its numbers mean,
    then the noise band at the table's sample size (always: the workshop's text refers
    to it, whether or not some tau falls inside it).

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"kendall_tau": [-0.2], "n": [24], "s_per_cell": [0.2],
        ...                    "x_cheaper": [5.0], "reference": [False]}, index=["ws"])
        >>> print(explain(df))
        - ws: tau -0.20, within ±0.29 of zero, so no better than a random order ...
        Noise band: a tau within ±0.29 of 0 is not told apart from chance on 24 cells.
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
    band = band_line([row["n"] for name, row in comparison.iterrows()
                      if not (row.get("reference", False) and name == "full training")])
    return "\n".join([*lines, band] if band else lines)
