"""Counting work instead of timing it: complexity guards that hold on a loaded machine.

A bound on wall time flakes where CI is 2-core and busy, and it does not say what it
checks (the project keeps performance targets in ``benchmarks/``). :func:`lines_run`
counts the Python lines a call executes (``sys.settrace``, this thread only, the
collector off): the same input runs the same lines on any machine, so a test can
assert that the count grows with the input as it should (``n`` and ``2n`` inputs: about
twice the lines, not four times).

Work done in C runs no Python line: ``list.count``, ``tuple.index`` or ``in`` on a
list of strings compare each item in C. A test hands the code :class:`Label` strings,
whose ``==`` is a Python method, so that each such comparison counts as a line too.

Example:
    >>> labels = [Label(f"h{i}") for i in range(100)]
    >>> lines_run(lambda: [x for x in labels if labels.count(x) > 1]) > 99 * 100
    True
    >>> from collections import Counter
    >>> lines_run(lambda: [x for x, n in Counter(labels).items() if n > 1]) < 500
    True
    >>> lines_run(lambda: [x for x in labels if labels.count(x) > 1], limit=1000)
    Traceback (most recent call last):
    ...
    AssertionError: the call ran more than 1000 Python lines
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any


class Label(str):
    """A ``str`` whose ``==`` is Python code: each comparison of it, even from C
    (``list.count``, ``tuple.index``, ``in`` on a list or tuple), runs a line that
    :func:`lines_run` counts. Hashes as a ``str`` (in C), so a set or dict of them costs
    no line per item; ``str(label)`` is a plain ``str``."""

    __hash__ = str.__hash__

    def __eq__(self, other: object) -> bool:
        return str.__eq__(self, other)  # type: ignore[no-any-return]

    def __ne__(self, other: object) -> bool:
        return str.__ne__(self, other)  # type: ignore[no-any-return]


class _TooMuchWork(BaseException):
    """Raised by the tracer past the limit; a BaseException, so that no ``except
    Exception`` in the code under test can swallow it."""


def lines_run(call: Callable[[], Any], limit: int | None = None) -> int:
    """The number of Python lines ``call()`` executes on this thread (its own frames and
    every frame they start, C-called ones included). Past ``limit`` lines the call is cut
    and an AssertionError raised: a quadratic or exponential regression fails at once
    instead of running for minutes."""
    count = 0

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        if event == "line":
            count += 1
            if limit is not None and count > limit:
                raise _TooMuchWork
        return local

    def start(frame: FrameType, event: str, arg: Any) -> Any:
        return local

    old, collecting = sys.gettrace(), gc.isenabled()
    gc.disable()  # a collection's callbacks and finalizers would run lines of their own
    sys.settrace(start)
    try:
        call()
    except _TooMuchWork:
        raise AssertionError(f"the call ran more than {limit} Python lines") from None
    finally:
        sys.settrace(old)
        if collecting:
            gc.enable()
    return count
