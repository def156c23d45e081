"""How the peer benchmark (``peers.py``) names its entries and reports them: a readable
label and a group per entry (this project, the ``optuna`` strategy, plain Optuna), the
statistics of each cell (mean, std, a Mann-Whitney U test against the best peer,
queries, wall and CPU time), issue 14's half-budget verdict and the markdown table.

Example:
    >>> label("plain:tpe"), group("optuna:gp"), group("bananas")
    ('Optuna TPE (multivariate)', 'optuna', 'ours')
"""

from __future__ import annotations

import statistics
from typing import Any

__all__ = ["LABELS", "cell_stats", "group", "half_budget", "label", "mann_whitney",
           "markdown", "strategy_of"]

LABELS = {"random": "random search", "evolution": "regularized evolution",
          "local_search": "local search", "bananas": "BANANAS",
          "tpe": "TPE (multivariate)", "gp": "GP", "random_sampler": "random"}


def label(entry: str) -> str:
    """A readable name: ``"plain:tpe"`` -> ``"Optuna TPE (multivariate)"``.

    Example:
        >>> label("bananas"), label("plain:gp"), label("optuna:tpe")
        ('this project, BANANAS', 'Optuna GP', 'optuna strategy, TPE (multivariate)')
        >>> label("local_search#steep")
        'this project, local search (steep)'
    """
    kind, _, sampler = entry.partition(":")
    name = LABELS.get("random_sampler" if sampler == "random" else sampler, sampler)
    if kind == "plain":
        return f"Optuna {name}"
    if kind == "optuna":
        return f"optuna strategy, {name}"
    base, _, tag = entry.partition("#")
    return f"this project, {LABELS.get(base, base)}" + (f" ({tag})" if tag else "")


def strategy_of(entry: str) -> str:
    """The strategy an entry of this project runs: ``"local_search#steep"`` ->
    ``"local_search"``.

    Example:
        >>> strategy_of("local_search#steep"), strategy_of("bananas")
        ('local_search', 'bananas')
    """
    return entry.partition("#")[0]


def group(entry: str) -> str:
    """``"plain"``, ``"optuna"`` (Optuna through this project) or ``"ours"``."""
    kind = entry.partition(":")[0]
    return kind if kind in ("plain", "optuna") else "ours"


def mann_whitney(a: list[float], b: list[float]) -> float | None:
    """Two-sided Mann-Whitney U p-value of two samples (None when it is undefined).

    Example:
        >>> mann_whitney([1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]) < 0.05
        True
        >>> mann_whitney([1.0, 1.0], [1.0, 1.0]) is None
        True
    """
    from scipy.stats import mannwhitneyu

    if len(a) < 2 or len(b) < 2 or len(set(a) | set(b)) < 2:
        return None
    p = float(mannwhitneyu(a, b, alternative="two-sided").pvalue)
    return None if p != p else p  # NaN


def _mean_std(xs: list[float]) -> tuple[float, float]:
    return statistics.fmean(xs), statistics.stdev(xs) if len(xs) > 1 else 0.0


def cell_stats(runs: dict[str, list[dict[str, Any]]], budget: str) -> dict[str, dict[str, Any]]:
    """Per entry at one budget: mean, std, the test against the best peer, queries, times."""
    scores = {e: [r["picks"][budget]["score"] for r in rs] for e, rs in runs.items()}
    means = {e: statistics.fmean(s) for e, s in scores.items()}

    def best_of(kind: str) -> str | None:
        cands = [e for e in runs if group(e) == kind]
        return max(cands, key=lambda e: means[e]) if cands else None

    best = {"plain": best_of("plain"), "ours": best_of("ours")}
    out: dict[str, dict[str, Any]] = {}
    for e, rs in runs.items():
        peer = best["ours"] if group(e) == "plain" else best["plain"]
        mean, std = _mean_std(scores[e])
        p = mann_whitney(scores[e], scores[peer]) if peer and peer != e else None
        out[e] = {
            "label": label(e), "group": group(e), "runs": len(rs),
            "score_mean": round(mean, 4), "score_std": round(std, 4),
            "signal_mean": round(statistics.fmean(r["picks"][budget]["signal"] for r in rs), 4),
            "best_peer": peer, "delta_vs_best_peer": (round(mean - means[peer], 4)
                                                      if peer else None),
            "p_mann_whitney": None if p is None else round(p, 5),
            "queries_mean": round(statistics.fmean(r["picks"][budget]["queries"] for r in rs),
                                  2),
            "wall_s_per_run": round(statistics.fmean(r["wall_s"] for r in rs), 4),
            "cpu_s_per_run": round(statistics.fmean(r["cpu_s"] for r in rs), 4),
            "score_per_run": scores[e],
        }
    return out


def markdown(cells: dict[str, dict[str, dict[str, Any]]], colset: str,
             budgets: list[str]) -> str:
    """A markdown table of one column set at ``budgets`` (wall and CPU at the largest run)."""
    head = ["", *(f"{colset} {float(b):,.0f} s" for b in budgets),
            f"p vs best peer ({float(budgets[-1]):,.0f} s)", "queries", "wall / run",
            "CPU / run"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    last = cells[budgets[-1]]
    order = sorted(last, key=lambda e: ({"ours": 0, "optuna": 1, "plain": 2}[group(e)], e))
    for e in order:
        s = last[e]
        p = "n/a" if s["p_mann_whitney"] is None else f"{s['p_mann_whitney']:.3f}"
        row = [s["label"],
               *(f"{cells[b][e]['score_mean']:.2f} ± {cells[b][e]['score_std']:.2f}"
                 for b in budgets),
               f"{p} ({label(s['best_peer']) if s['best_peer'] else '-'})",
               f"{s['queries_mean']:.1f}", f"{s['wall_s_per_run']:.2f} s",
               f"{s['cpu_s_per_run']:.2f} s"]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def half_budget(cells: dict[str, dict[str, dict[str, Any]]]) -> dict[str, Any] | None:
    """Issue 14's target: the best of this project's entries at half the largest budget
    against the best plain Optuna entry at the full budget; None without both budgets or
    both sides. ``met`` compares the means. ``p_mann_whitney`` is a two-sided
    Mann-Whitney U test of the two samples: unpaired (the runs share their seeds) and not
    corrected for picking the best entry by its mean, so read it as a rough guide.

    Example:
        >>> cell = lambda e, xs: {e: {"group": group(e), "score_per_run": xs}}
        >>> half_budget({"6000": cell("bananas", [91.1, 91.2]),
        ...              "12000": cell("plain:tpe", [91.0, 91.1])})["met"]
        True
    """
    budgets = sorted(cells, key=float)
    full = budgets[-1] if budgets else None
    half = next((b for b in budgets if full and float(b) == float(full) / 2), None)
    if half is None:
        return None
    ours = {e: s["score_per_run"] for e, s in cells[half].items() if s["group"] == "ours"}
    plain = {e: s["score_per_run"] for e, s in cells[full].items() if s["group"] == "plain"}
    if not ours or not plain:
        return None
    best = max(ours, key=lambda e: statistics.fmean(ours[e]))
    peer = max(plain, key=lambda e: statistics.fmean(plain[e]))
    mean, target = statistics.fmean(ours[best]), statistics.fmean(plain[peer])
    p = mann_whitney(ours[best], plain[peer])
    return {"half_s": float(half), "full_s": float(full), "ours": best,
            "ours_mean_at_half": round(mean, 4), "peer": peer,
            "peer_mean_at_full": round(target, 4), "delta": round(mean - target, 4),
            "p_mann_whitney": None if p is None else round(p, 5), "met": mean >= target}
