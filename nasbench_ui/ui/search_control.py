"""``SearchControl``: what the workbench's Start, Pause, Resume and Stop buttons do.

It turns the control panel's settings into an :class:`~nasbench_ui.experiment.Experiment`
in the workbench's store (a new run, or the attached one resumed while its settings and
space are unchanged and its budget lasts), starts it in the background and the live
view's poller with it, and sets the watchable pace: with the speed on "auto", from the
simulated costs of the first ``AUTO_PACE_TRIALS`` trials. User errors are shown in the
control panel, never raised; one about a control (a ``FieldError``: the budget, a
component's options, the space) goes as soon as that control holds a valid value.

Its inputs are explicit: the control panel, the live view (the attached run), the
shared state (locks and the config keys the widgets do not show), the space panel, the
run picker, the store (a path or an open store) and ``attach(experiment)``, the
workbench's way of showing a run.

The buttons always follow the search's real state (``LiveView.button_state``), never the
button pressed: a Stop, Pause or Resume that reaches the kernel after the search ended
(the page had not yet disabled it) changes nothing, and a Start that fails shows why and
leaves Start enabled, or the previous run steerable, or the workbench following another
process's search. A Start while the shown run is stopping waits for its end (up to
``ENDING_WAIT_S``), so its own lease never refuses the next run.

Example:
    >>> import nasbench_ui as nb
    >>> wb = nb.Workbench(space="nb201", storage=":memory:")
    >>> isinstance(wb.search, SearchControl), wb.search.storage
    (True, ':memory:')
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..cpus import usable_cpus
from ..experiment import Experiment
from ..storage import open_store
from .forms import FieldError
from .live_view import AUTO_PACE_TRIALS, LiveView
from .run_picker import run_name

__all__ = ["ENDING_WAIT_S", "SearchControl"]

log = logging.getLogger(__name__)
ENDING_WAIT_S = 30.0  # how long a Start waits for the shown run's search to end
_ENDING = ("stopping", "done", "failed")  # a search that still runs with these is ending


class SearchControl:
    """Start, pause, resume, stop and pace the search of a workbench (see the module
    docstring)."""

    def __init__(self, *, controls: Any, live: LiveView, shared: Any, space_panel: Any,
                 runs: Any, storage: Any, attach: Callable[[Experiment], Any],
                 process: bool | None = None) -> None:
        if process is not None and not isinstance(process, bool):
            raise ValueError(f"process must be True, False or None (auto), got {process!r}")
        self.process = process  # each search in its own process (Experiment.start)
        self.controls, self.live, self.shared = controls, live, shared
        self.space_panel, self.runs, self.attach = space_panel, runs, attach
        self.storage = storage  # a path until the first run opens it, then the store
        self.costs: list[float] = []  # simulated costs of the first trials (auto speed)

    @property
    def experiment(self) -> Experiment | None:
        """The attached experiment (None before the first Start or load)."""
        return self.live.experiment

    def new_experiment(self) -> Experiment:
        """A new run of the shown settings and space, named from the store's counter."""
        s = self.controls.settings()
        if isinstance(self.storage, (str, Path)):
            self.storage = open_store(self.storage)
        else:
            # the store of a loaded run was opened read-only (to follow it); a new run
            # in it needs it writable (a no-op for a store that already is)
            self.storage.open_for_writing()
        space = self.space_panel.space
        # the counter comes from the store: a re-run cell never repeats a name
        name = run_name(self.storage, s["strategy"], space.name)
        return Experiment(space, storage=self.storage, name=name, **{**s, **self.shared.extra})

    def start(self) -> Experiment | None:
        """Start (or resume) a search from what the widgets show (errors are shown).
        While the shown run's search runs, nothing: a double-click sends the second
        click before the page has disabled the button, and it must not start a second
        search that the workbench would no longer show nor stop. While it is ending (a
        Stop, or its end not yet complete), wait for it first: its lease is its own."""
        shown = self.experiment
        if shown is not None and shown.running and (
                shown.status not in _ENDING or not self._wait_for_end(shown)):
            return shown
        try:
            hparams = self.space_panel.hparams
            if "editor" not in self.shared.locked and not hparams.commit():
                what = "the hyperparameters" if hparams.error_in_row else "the search space"
                raise FieldError(f"fix {what} first: {hparams.error}", "space")
            self.controls.check()
            exp = self.experiment
            settings = self.controls.settings()
            same = exp is not None and not exp.running and not exp.budget_spent() and (
                {k: v for k, v in settings.items() if k != "dataset_options"}
                == {k: exp.config.to_dict()[k] for k in settings if k != "dataset_options"}
                and exp.space == self.space_panel.space)
            if not same:
                exp = self.new_experiment()
                speed = self.controls.speed.value
                self.attach(exp)  # shows the new run's settings, the speed its default
                self.controls.speed.value = speed  # the pace picked here is no setting of it
            assert exp is not None
            exp.set_pace(self.controls.pace(self.costs))
            # buttons first: a search that ends at once (or dies) then has the last word
            self.controls.set_running_state("running")
            exp.start(process=self.in_process(exp))
        except Exception as e:  # noqa: BLE001 - a button's failure is shown, never raised
            if not isinstance(e, (ValueError, RuntimeError)):
                log.exception("Start failed")
            # the buttons follow what runs now: Start again, the previous run still
            # steerable, or another process's search followed until it ends
            self.controls.set_running_state(self.live.recheck())
            self.controls.show_error(str(e) if isinstance(e, (ValueError, RuntimeError))
                                     else f"{type(e).__name__}: {e}",
                                     field=e.field if isinstance(e, FieldError) else None)
            return None
        self.live.start_polling()
        self.live.update_widgets()  # "running" now, not "ready" until the first poll
        return exp

    def in_process(self, exp: Experiment) -> bool:
        """Whether ``exp``'s search runs in its own process: as told, or by default
        (None) when it can (``Experiment.process_problems``), this kernel may use two
        CPUs or more (on one, the two would only take turns; Binder gives one), and the
        speed is not the watchable one (``auto``: its pace is learnt from the first trials
        as they finish, on the search's thread, and two trials a second leave the kernel's
        threads nothing to wait for)."""
        if self.process is not None:
            return self.process
        return (usable_cpus() >= 2 and self.controls.speed.value != "auto"
                and not exp.process_problems())

    def _wait_for_end(self, exp: Experiment) -> bool:
        """Wait up to ``ENDING_WAIT_S`` for ``exp``'s ending search; False (and said so)
        when it still runs."""
        try:
            exp.wait(ENDING_WAIT_S)
        except Exception:  # noqa: BLE001 - its error is on the status line already
            log.debug("the last search of %r ended with an error", exp.name, exc_info=True)
        if exp.running:
            self.controls.show_error(f"the search of {exp.name} is still stopping; press "
                                     "Start again once it has stopped")
            return False
        return True

    def pause(self) -> None:
        """Pause the search (the status line says so at once; nothing once it ended)."""
        exp = self.experiment
        if exp is not None and exp.running:
            exp.pause()
        self.live.update_widgets()  # "paused" now, not at the next trial

    def resume(self) -> None:
        """Resume a paused search (nothing once it ended or was stopped)."""
        exp = self.experiment
        if exp is not None and exp.running:
            exp.resume()
        self.live.update_widgets()

    def stop(self, wait: bool = True) -> None:
        """Stop the search (the running trial ends INTERRUPTED); the buttons then show
        "stopping" until it has ended, or at once what a search that ended already
        left (a click that raced its end)."""
        exp = self.experiment
        if exp is not None and exp.running:
            exp.stop(wait=wait)
        self.live.update_widgets()

    def close(self) -> None:
        """Stop the search and the poller (a re-run cell)."""
        if self.experiment is not None and self.experiment.running:
            self.experiment.stop(wait=True, timeout=30)
        self.live.stop_polling()

    def open_run(self, name: str) -> None:
        """Show the stored run ``name`` of this store (read-only until Start)."""
        if self.experiment is not None and self.experiment.running:
            self.runs.say("stop the search before opening another run", error=True)
            return
        try:
            self.attach(Experiment.load(self.storage, name=name))
        except (ValueError, PermissionError) as e:
            self.runs.say(f"cannot open {name}: {e}", error=True)

    # --------------------------------------------------------------- pace
    def apply_pace(self) -> None:
        """Hand the speed control's pace to the search (safe while it runs)."""
        if self.experiment is not None and not self.live.following:
            self.experiment.set_pace(self.controls.pace(self.costs))

    def on_event(self, event: Any) -> None:
        """The run's events: the first trials teach the auto speed their costs."""
        if event.kind == "trial_finish" and self.controls.speed.value == "auto" \
                and len(self.costs) < AUTO_PACE_TRIALS:
            self.learn_cost(event.number)

    def learn_cost(self, number: int) -> None:
        """Note a finished trial's simulated cost and set the watchable pace from the
        costs so far (called in the search's thread, before it waits out the trial)."""
        exp = self.experiment
        if exp is None:
            return
        cost = (exp.store.trial(exp.name, number).metrics or {}).get("cost_s")
        if isinstance(cost, (int, float)) and cost > 0:
            self.costs.append(float(cost))
            exp.set_pace(self.controls.pace(self.costs))
