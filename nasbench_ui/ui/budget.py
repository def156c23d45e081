"""The budget fields of the search panel: the number of trials and the minutes, checked
as they are typed.

A number of trials below 1 is refused: the box turns red, the reason shows right under
it, and :meth:`BudgetFields.budget` (so Start) raises a ValueError with that reason. The
trials box is a text box (:class:`TrialsText`) read here, not an ``IntText``: ipywidgets'
integer box drops what is no digit as it is typed (a typed "2.5" became 25 without a
word), and its bounded box clamps what the page sends (a typed -5 became its minimum 0,
and 0 trials with minutes set is a search without a trial limit). What is typed stays as
typed; what is no whole number is refused with "trials must be a whole number". 0
trials stays valid only beside a time budget (minutes > 0): it is how a stored
seconds-only run shows, and the line under the fields says what it means. Minutes below
0 are refused the same way (0: no time limit).

Example:
    >>> b = BudgetFields(trials=30)
    >>> b.budget()
    (30, None)
    >>> b.trials.value = -5
    >>> b.error
    'trials must be 1 or more, got -5'
    >>> b.trials.value = "2.5"
    >>> b.error
    'trials must be a whole number, got 2.5'
    >>> b.trials.value, b.minutes.value = 0, 1.5
    >>> b.budget(), b.error
    ((None, 90.0), None)
"""

from __future__ import annotations

import math
import re
from typing import Any

import ipywidgets as w
import traitlets

from .forms import FieldError
from .text import SafeHTML, error_html, markup

__all__ = ["MAX_MINUTES", "MAX_TRIALS", "BudgetFields", "TrialsText", "budget_problem",
           "whole_number"]

#: the largest budget the fields take (as the bounded boxes before them)
MAX_TRIALS = 10**7
MAX_MINUTES = 10**6
#: what the trials box says on hover
TRIALS_TIP = "number of trials, 1 or more (0: no trial limit, only with minutes set)"
MINUTES_TIP = "0 = no time limit (simulated seconds for tabular)"


_WHOLE = re.compile(r"[+-]?\d+")


def whole_number(text: Any) -> int | None:
    """The whole number typed in ``text`` (spaces and ``_``/``,`` thousands separators
    allowed), None when it is none: "2.5", "2e3" and "" are refused, never read as
    another number.

    Example:
        >>> whole_number(" 12 "), whole_number("1,000"), whole_number("2.5"), whole_number("")
        (12, 1000, None, None)
    """
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    t = str(text).strip().replace(",", "").replace("_", "")
    return int(t) if _WHOLE.fullmatch(t) else None


class _Typed(traitlets.Unicode):
    """A text trait that takes an int from code as its digits."""

    def validate(self, obj: Any, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        return super().validate(obj, value)


class TrialsText(w.Text):
    """The trials box: a text box whose value is what was typed (an int set from code is
    written as its digits), read by :func:`whole_number`."""

    value = _Typed("", help="the text typed").tag(sync=True)


def budget_problem(trials: int, minutes: float) -> tuple[str, str] | None:
    """Which box (``"trials"`` or ``"minutes"``) holds no budget a search can start with,
    and why; None when the two make a budget.

    Example:
        >>> budget_problem(0, 0.0)
        ('trials', 'trials must be 1 or more (0 means no trial limit, only with minutes > 0)')
        >>> budget_problem(0, 2.0) is None, budget_problem(12, 0.0) is None
        (True, True)
    """
    if trials < 0:
        return "trials", f"trials must be 1 or more, got {trials}"
    if trials > MAX_TRIALS:
        return "trials", f"trials must be at most {MAX_TRIALS:,}, got {trials:,}"
    if not math.isfinite(minutes) or minutes < 0:
        return "minutes", f"minutes must be 0 (no time limit) or more, got {minutes:g}"
    if minutes > MAX_MINUTES:
        return "minutes", f"minutes must be at most {MAX_MINUTES:,}, got {minutes:g}"
    if trials == 0 and minutes == 0:
        return "trials", "trials must be 1 or more (0 means no trial limit, only with minutes > 0)"
    return None


class BudgetFields(w.VBox):
    """The trials and minutes boxes side by side, with the line under them that says
    what is wrong (or what 0 trials means). See the module docstring.

    ``error`` holds the reason the budget shown is refused (None when it is valid);
    it is checked at every edit of either box.
    """

    def __init__(self, trials: int = 30, minutes: float = 0.0,
                 style: dict[str, str] | None = None) -> None:
        self.trials = TrialsText(value=str(trials), description="trials", tooltip=TRIALS_TIP,
                                 continuous_update=False, style=style or {},
                                 layout=w.Layout(width="175px"))
        self.minutes = w.FloatText(value=minutes, description="minutes", tooltip=MINUTES_TIP,
                                   style={"description_width": "55px"},
                                   layout=w.Layout(width="160px"))
        self.trials.add_class("nbui-trials")
        self.minutes.add_class("nbui-minutes")
        self.message = SafeHTML("")
        self.message.add_class("nbui-budget-message")  # wraps: text.WORKBENCH_STYLE
        self.message.layout = w.Layout(width="auto")
        self.error: str | None = None
        self.trials.observe(lambda _c: self.check(), "value")
        self.minutes.observe(lambda _c: self.check(), "value")
        super().__init__([w.HBox([self.trials, self.minutes]), self.message])
        self.check()

    def check(self) -> str | None:
        """Check the boxes: mark the bad one red, say why under them; return the reason
        (None when the budget is valid)."""
        t, m = whole_number(self.trials.value), self.minutes.value
        typed = self.trials.value.strip()
        problem = (("trials", f"trials must be a whole number, got {typed}" if typed else
                    "write the number of trials (1 or more)")
                   if t is None else budget_problem(t, m))
        self.error = problem[1] if problem is not None else None
        for name, box in (("trials", self.trials), ("minutes", self.minutes)):
            if problem is not None and problem[0] == name:
                box.add_class("nbui-bad")
            else:
                box.remove_class("nbui-bad")
        if self.error is not None:
            self.message.value = error_html(self.error)
        elif t == 0:
            self.message.value = markup(
                "<small>0 trials: no trial limit, the search runs for the {} min set</small>",
                f"{m:g}")
        else:
            self.message.value = ""
        # an empty line takes no room: Start stays where it was
        self.message.layout.display = None if self.message.value else "none"
        return self.error

    def budget(self) -> tuple[int | None, float | None]:
        """``(trials, seconds)`` of the budget shown, None for no limit; ValueError with
        the reason shown under the boxes when it is refused (a ``FieldError`` of
        ``"budget"``)."""
        problem = self.check()
        if problem is not None:
            raise FieldError(problem, "budget")
        return (whole_number(self.trials.value) or None), (self.minutes.value * 60 or None)

    def show(self, trials: int | None, seconds: float | None) -> None:
        """Show a stored budget (None: no limit; a seconds-only budget shows 0 trials)."""
        self.trials.value = str(trials or 0)
        self.minutes.value = (seconds or 0) / 60
