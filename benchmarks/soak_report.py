"""The soak benchmark's plan and verdict (``soak.py``): when to kill the search, the
wall and busy time of each block of trials, the audit of the final store for lost and
duplicated trials, and the markdown table of the headline figures. Pure functions of
what the run recorded.

Example:
    >>> [k.after for k in kill_plan(10, 3, 0)]
    [1, 7, 9]
"""

from __future__ import annotations

import math
import random
import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any

__all__ = ["Kill", "audit", "block_times", "kill_plan", "markdown"]


@dataclass(frozen=True)
class Kill:
    """Kill the CLI ``delay_s`` seconds after ``after`` trials are COMPLETE."""

    after: int
    delay_s: float


def kill_plan(trials: int, kills: int, seed: int) -> list[Kill]:
    """``kills`` distinct moments in ``1..trials-1`` finished trials, in order, each with
    a random delay below 50 ms so the kill lands anywhere in a trial.

    Example:
        >>> [k.after for k in kill_plan(10, 9, 1)]
        [1, 2, 3, 4, 5, 6, 7, 8, 9]
    """
    rng = random.Random(seed)
    afters = sorted(rng.sample(range(1, trials), kills))
    return [Kill(a, round(rng.uniform(0.0, 0.05), 4)) for a in afters]


def block_times(finishes: list[float], start: float, kill_times: list[float],
                block: int) -> list[dict[str, Any]]:
    """Wall seconds of each successive ``block`` of finishes (in time order).

    ``wall_s`` runs from the block before's last finish (``start`` for the first);
    ``busy_s`` leaves out each interval between two finishes that holds a kill (the
    downtime of the kill and of the resume's start).

    Example:
        >>> block_times([1.0, 2.0, 3.0, 10.0, 11.0], 0.0, [5.0], 2)
        [{'trials': 2, 'wall_s': 2.0, 'busy_s': 2.0}, {'trials': 2, 'wall_s': 8.0, 'busy_s': 1.0}, {'trials': 1, 'wall_s': 1.0, 'busy_s': 1.0}]
    """
    out: list[dict[str, Any]] = []
    prev = start
    for i in range(0, len(finishes), block):
        chunk = finishes[i:i + block]
        busy, last = 0.0, prev
        for f in chunk:
            if not any(last <= k < f for k in kill_times):
                busy += f - last
            last = f
        out.append({"trials": len(chunk), "wall_s": round(chunk[-1] - prev, 3),
                    "busy_s": round(busy, 3)})
        prev = chunk[-1]
    return out


def audit(trials: list[Any], budget: int, key: Any, expected: Any) -> dict[str, Any]:
    """Lost and duplicated trials in the final store.

    ``key(arch)`` names an architecture; ``expected(arch)`` is the value the estimator
    must have stored. Lost: a gap in the trial numbers, a trial left RUNNING, FAILED or
    PRUNED, an INTERRUPTED trial no later trial reruns (``meta["rerun_of"]``), or fewer
    COMPLETE trials than the budget. Duplicated: an architecture COMPLETE more than
    once (an INTERRUPTED trial and its rerun are one evaluation), or COMPLETE trials
    beyond the budget.
    """
    numbers = [t.number for t in trials]
    by_number = {t.number: t for t in trials}
    states = Counter(t.state.name for t in trials)
    complete = [t for t in trials if t.state.name == "COMPLETE"]
    rerun_of = {t.meta.get("rerun_of"): t for t in trials if t.meta.get("rerun_of") is not None}
    interrupted = [t for t in trials if t.state.name == "INTERRUPTED"]
    not_rerun = [t.number for t in interrupted if t.number not in rerun_of]
    bad_lineage = [t.number for n, t in rerun_of.items()
                   if n not in by_number or key(by_number[n].arch) != key(t.arch)]
    counts = Counter(key(t.arch) for t in complete)
    dup_archs = {k: c for k, c in counts.items() if c > 1}
    # distinct architectures COMPLETE beyond the budget (two owners sharing one search)
    over = max(0, len(complete) - budget - sum(c - 1 for c in dup_archs.values()))
    gaps = sorted(set(range(max(numbers) + 1)) - set(numbers)) if numbers else []
    wrong = [t.number for t in complete if not math.isclose(t.value, expected(t.arch))]
    lost_parts = {"number_gaps": len(gaps), "left_running": states.get("RUNNING", 0),
                  "failed": states.get("FAILED", 0), "pruned": states.get("PRUNED", 0),
                  "interrupted_not_rerun": len(not_rerun),
                  "complete_short_of_budget": max(0, budget - len(complete))}
    return {
        "states": dict(states), "complete": len(complete), "budget": budget,
        "trials_lost": sum(lost_parts.values()), "lost_parts": lost_parts,
        "duplicated_evaluations": sum(c - 1 for c in dup_archs.values()),
        "complete_over_budget": over,
        "duplicated_archs": sorted(dup_archs)[:10],
        "interrupted_then_rerun": len(interrupted) - len(not_rerun),
        "lineage_mismatches": bad_lineage, "wrong_values": wrong[:10],
        "interrupted_not_rerun_numbers": not_rerun[:10], "number_gaps": gaps[:10],
    }


def _ratio(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def markdown(r: dict[str, Any]) -> str:
    """The headline figures as a markdown table.

    Example:
        >>> print(markdown({"trials": 2, "estimator": "tabular", "kills": 1,
        ...     "blocks": [{"trials": 2, "wall_s": 1.0, "busy_s": 0.5}],
        ...     "block_ratio_last_first": None, "cpu_blocks_s": [0.4],
        ...     "cpu_ratio_last_first": None, "total_wall_s": 9.0, "cli_peak_rss_mb": 300.0,
        ...     "trials_lost": 0, "duplicated_evaluations": 0,
        ...     "reader": {"reads": 5, "errors": 0, "read_s_max": 0.1},
        ...     "resume_first_trial_s": [2.5], "first_start_first_trial_s": 2.4,
        ...     "first_trial_cpu_s": [2.0, 2.1], "loadavg_1min": {"start": 1.0, "end": 1.0},
        ...     "interrupted_then_rerun": 1, "refused_resumes": 0}).splitlines()[4])
        | kills (SIGKILL, each resumed at once) | 1 |
    """
    blocks = " / ".join(f"{b['busy_s']:.1f}" for b in r["blocks"])
    walls = " / ".join(f"{b['wall_s']:.1f}" for b in r["blocks"])
    resumes = r["resume_first_trial_s"]
    cpus = [c for c in r["first_trial_cpu_s"] if c is not None]
    ratio = r["block_ratio_last_first"]
    rows = [
        ("trials (instant, through the CLI)", f"{r['trials']:,} ({r['estimator']})"),
        ("total wall time", f"{r['total_wall_s']:.1f} s"),
        ("kills (SIGKILL, each resumed at once)", r["kills"]),
        (f"s per block of {r['blocks'][0]['trials'] if r['blocks'] else 0} trials, "
         "without kill downtime", blocks),
        ("s per block, wall (with kills and restarts)", walls),
        ("CLI CPU s per block (after each start)",
         " / ".join(f"{c:.1f}" for c in r["cpu_blocks_s"]) or "n/a"),
        ("last / first block: wall without downtime, CPU",
         f"{_ratio(ratio)}, {_ratio(r['cpu_ratio_last_first'])}"),
        ("peak RSS of a CLI process", f"{r['cli_peak_rss_mb']:.0f} MB"),
        ("trials lost", r["trials_lost"]),
        ("duplicated evaluations", r["duplicated_evaluations"]),
        ("interrupted trials rerun (rerun_of)", r["interrupted_then_rerun"]),
        ("reader: reads / errors / slowest read",
         f"{r['reader']['reads']} / {r['reader']['errors']} / {r['reader']['read_s_max']} s"),
        ("resume refused", r["refused_resumes"]),
        ("start to first trial, wall: first start / resumes (max, median)",
         f"{r['first_start_first_trial_s']} s / "
         + (f"{max(resumes):.2f} s, {statistics.median(resumes):.2f} s" if resumes else "n/a")),
        ("start to first trial, CPU of the process: first start / resumes (max)",
         f"{_ratio(cpus[0] if cpus else None)} s / {_ratio(max(cpus[1:], default=None))} s"),
        ("machine load (1-min average, start / end)",
         f"{r['loadavg_1min']['start']} / {r['loadavg_1min']['end']}"),
    ]
    lines = ["| soak | result |", "|---|---|"]
    lines += [f"| {a} | {b} |" for a, b in rows]
    return "\n".join(lines)
