"""The pace of a search in the workbench: the speed choices, the watchable pace learnt
from the trials' simulated costs, and the time left in words (``ui/controls.py`` shows
them; its names re-export these).

Example:
    >>> default_speed("tabular"), auto_pace([0.8, 1.0, 1.2]), fmt_eta(719)
    ('auto', 2.0, 'about 12 min left')
"""

from __future__ import annotations

__all__ = ["PACED_ESTIMATORS", "SPEEDS", "WATCHABLE_RATE", "auto_pace", "default_speed",
           "fmt_eta"]


def fmt_eta(seconds: float | None) -> str:
    """The time left in words: "about 12 min left" ("" when unknown).

    Example:
        >>> fmt_eta(40), fmt_eta(719), fmt_eta(2 * 3600 + 300), fmt_eta(None)
        ('about 40 s left', 'about 12 min left', 'about 2 h 5 min left', '')
    """
    if seconds is None or seconds != seconds or seconds < 0:
        return ""
    s = int(round(seconds))
    if s < 60:
        return f"about {max(s, 1)} s left"
    m = int(round(s / 60))
    if m < 60:
        return f"about {m} min left"
    h, m = divmod(m, 60)
    return f"about {h} h {m} min left" if m else f"about {h} h left"


#: the speed choices: label -> pace (simulated seconds per real second); "auto" picks
#: the pace that shows about WATCHABLE_RATE trials per second from the trials' own cost
SPEEDS: tuple[tuple[str, str | float], ...] = (
    ("watchable (~2 trials/s)", "auto"), ("full speed", "full"), ("real time ×1", 1.0),
    ("real time ×10", 10.0), ("real time ×100", 100.0), ("real time ×1000", 1000.0))
WATCHABLE_RATE = 2.0
#: estimators whose trials are charged a simulated cost (``cost_s``): pace slows them
PACED_ESTIMATORS = ("tabular",)


def default_speed(estimator: str) -> str:
    """The speed a workbench starts with: watchable for a table look-up (a search of
    hundreds of trials would be over in seconds), full speed for real training.

    Example:
        >>> default_speed("tabular"), default_speed("early_stop")
        ('auto', 'full')
    """
    return "auto" if estimator in PACED_ESTIMATORS else "full"


def auto_pace(costs: list[float], rate: float = WATCHABLE_RATE) -> float | None:
    """The pace that shows about ``rate`` trials per second, from the simulated costs of
    the trials so far (their median); None (full speed) before any cost is known.

    Example:
        >>> auto_pace([0.8, 1.0, 1.2]), auto_pace([])
        (2.0, None)
    """
    known = sorted(c for c in costs if c is not None and c > 0)
    if not known:
        return None
    return known[len(known) // 2] * rate
