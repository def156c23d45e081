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

from .checks import (
    Check,
    check_estimator_choice,
    check_limit,
    check_seeds,
    check_skip_counts,
    check_space_size,
    skip_count,
    without_op,
)
from .comparison import Scores, compare, explain, noise_band, score
from .waiting import distinct_front, progress, progress_text, wait

__all__ = [
    "Check", "Scores", "check_estimator_choice", "check_limit", "check_seeds",
    "check_skip_counts", "check_space_size", "compare", "distinct_front", "explain",
    "noise_band", "progress", "progress_text", "score", "skip_count", "wait", "without_op",
]
