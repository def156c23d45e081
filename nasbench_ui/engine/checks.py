"""Checks of an experiment's arguments, made before anything is written.

Example:
    >>> check_new_name("evolution-keras_cnn-3")
    >>> check_policy(retries=1, trial_timeout=None, max_failures=0)
    >>> check_seed(-1)
    Traceback (most recent call last):
    ...
    ValueError: seed must be an integer >= 0, got -1
"""

from __future__ import annotations

import math
import re
from typing import Any

from ..space import SearchSpace, presets

_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")


def check_new_name(name: Any) -> None:
    """A new experiment's name: 1 to 100 of ``A-Z a-z 0-9 _ . -``, not ``.`` or ``..``.

    (Stores written before this rule may hold other names; they still open.)

    Example:
        >>> check_new_name("evolution-keras_cnn-3")
        >>> check_new_name("../x")
        Traceback (most recent call last):
        ...
        ValueError: experiment name '../x' is not allowed: use 1 to 100 letters, digits, '_', '.' or '-' (not '.' or '..')
    """
    if name is None:
        return
    if not isinstance(name, str) or not _NAME.fullmatch(name) or name in (".", ".."):
        raise ValueError(f"experiment name {name!r:.120} is not allowed: use 1 to 100 letters, "
                         "digits, '_', '.' or '-' (not '.' or '..')")


def check_pace(pace: Any) -> None:
    """A pace: a positive number, or None for full speed.

    Example:
        >>> check_pace(60); check_pace(None)
    """
    if pace is not None and (isinstance(pace, bool) or not isinstance(pace, (int, float))
                             or not math.isfinite(pace) or pace <= 0):
        raise ValueError(f"pace must be a positive number (simulated seconds per real second, "
                         f"e.g. 60 for 'real time x60'), or None for full speed; got {pace!r}")


def check_seed(seed: Any) -> None:
    """A seed: an integer >= 0 (see the module example)."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")


def as_space(space: Any) -> SearchSpace:
    """A :class:`SearchSpace` from a space, a preset name or a space dict.

    Example:
        >>> as_space("nb201").size()
        15625
    """
    if isinstance(space, SearchSpace):
        return space
    if isinstance(space, str):
        return presets.get(space)
    if isinstance(space, dict):
        return SearchSpace.from_dict(space)
    raise ValueError(f"space must be a SearchSpace, a preset name or a space dict, got {type(space).__name__}")


def check_policy(retries: Any, trial_timeout: Any, max_failures: Any) -> None:
    """The fault policy: ``retries`` >= 0, ``trial_timeout`` > 0 or None,
    ``max_failures`` >= 0 (see the module example)."""
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValueError(f"retries must be an integer >= 0 (how often a FAILED trial's "
                         f"architecture runs again), got {retries!r}")
    if trial_timeout is not None and (
        isinstance(trial_timeout, bool) or not isinstance(trial_timeout, (int, float))
        or not math.isfinite(trial_timeout) or trial_timeout <= 0
    ):
        raise ValueError(f"trial_timeout must be a positive number of seconds (or None), "
                         f"got {trial_timeout!r}")
    if isinstance(max_failures, bool) or not isinstance(max_failures, int) or max_failures < 0:
        raise ValueError(f"max_failures must be an integer >= 0 (0: never stop on failures), "
                         f"got {max_failures!r}")
