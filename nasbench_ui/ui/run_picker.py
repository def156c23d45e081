"""The runs of a store: names that mean something, and a picker to open or delete one.

A new run is named ``<strategy>-<space>-<n>`` (``evolution-keras_cnn-3``), ``n`` one more
than the highest number of that prefix in the store, so a re-run cell (a new widget)
never repeats a name. :class:`RunPicker` lists a store's runs (name, strategy, trials,
best value, date), opens one through the ``on_open(name)`` callback and deletes one
after a second click; a run that a live process holds (``storage.lease.live_holder``)
or that the workbench shows is never deleted.

Example:
    >>> from nasbench_ui.storage import MemoryStore
    >>> store = MemoryStore()
    >>> run_name(store, "evolution", "keras_cnn")
    'evolution-keras_cnn-1'
    >>> _ = store.create_experiment("evolution-keras_cnn-1", {})
    >>> run_name(store, "evolution", "keras_cnn")
    'evolution-keras_cnn-2'
    >>> picker = RunPicker(lambda name: None)
    >>> picker.show_store(store); [name for _, name in picker.runs.options]
    ['evolution-keras_cnn-1']
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as w

from ..experiment import Experiment
from ..storage import TrialState
from ..storage.lease import live_holder
from .text import SafeHTML, error_html, markup

__all__ = ["RunPicker", "latest_run", "run_name", "run_summaries"]

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def latest_run(storage: Any) -> tuple[Any, str | None]:
    """The latest run of a store file that exists, opened read-only, and why it could not
    be opened: ``(experiment, None)``, ``(None, None)`` when there is none (no file, an
    in-memory store, no experiment yet), ``(None, reason)`` when opening failed.

    Example:
        >>> latest_run(":memory:")
        (None, None)
    """
    if not isinstance(storage, (str, Path)) or str(storage) == ":memory:" \
            or not Path(storage).is_file():
        return None, None
    try:
        return Experiment.load(storage), None
    except (ValueError, PermissionError, OSError) as e:
        if "no experiments" in str(e):
            return None, None
        return None, f"could not open the latest run: {e}"


def run_name(store: Any, strategy: str, space: str) -> str:
    """A new run's name in ``store``: ``<strategy>-<space>-<n>`` (only the characters an
    experiment name allows; at most 100)."""
    prefix = _UNSAFE.sub("_", f"{strategy}-{space}")[:90].strip(".") or "run"
    taken = {e["name"] for e in store.experiments()}
    pattern = re.compile(re.escape(prefix) + r"-(\d+)")
    numbers = [int(m.group(1)) for n in taken if (m := pattern.fullmatch(n))]
    n = max(numbers, default=0) + 1
    while f"{prefix}-{n}" in taken:
        n += 1
    return f"{prefix}-{n}"


def run_summaries(store: Any) -> list[dict[str, Any]]:
    """Each run of ``store``, newest first: name, strategy, trials, best value, date.

    Example:
        >>> from nasbench_ui.storage import MemoryStore
        >>> store = MemoryStore(); name = store.create_experiment("a", {"strategy": "random"})
        >>> n = store.create_trial(name, {}); store.finish_trial(name, n, TrialState.COMPLETE, value=0.5)
        >>> [(r["name"], r["strategy"], r["trials"], r["best"]) for r in run_summaries(store)]
        [('a', 'random', 1, 0.5)]
    """
    out = []
    for e in reversed(store.experiments()):
        try:
            config = store.load_experiment(e["name"])["config"] or {}
        except (ValueError, KeyError):
            config = {}
        values = [t.value for t in store.trials(e["name"])
                  if t.state is TrialState.COMPLETE and t.value is not None]
        out.append({"name": e["name"], "strategy": config.get("strategy", "?"),
                    "estimator": config.get("estimator", "?"), "trials": e["n_trials"],
                    "best": max(values) if values else None, "created_at": e["created_at"]})
    return out


def _label(r: dict[str, Any]) -> str:
    best = f"best {r['best']:.4g}" if r["best"] is not None else "no result"
    when = dt.datetime.fromtimestamp(r["created_at"]).strftime("%Y-%m-%d %H:%M")
    return f"{r['name']} · {r['strategy']} · {r['trials']} trials · {best} · {when}"


class RunPicker(w.VBox):
    """A list of a store's runs with Open and Delete; see the module docstring.

    ``current`` is the run the workbench shows (never deleted from here).
    """

    def __init__(self, on_open: Callable[[str], Any]) -> None:
        self._on_open = on_open
        self.store: Any = None
        self.current: str | None = None
        self._armed: str | None = None  # the run a first click on Delete picked
        self.runs = w.Select(options=[], rows=4, layout=w.Layout(width="100%"))
        self.runs.add_class("nbui-runs")
        self.open_button = w.Button(description="Open", icon="folder-open",
                                    layout=w.Layout(width="90px"), tooltip="show this run")
        self.delete_button = w.Button(description="Delete", icon="trash",
                                      layout=w.Layout(width="90px"),
                                      tooltip="delete this run and its trials (asks again)")
        self.refresh_button = w.Button(description="Refresh", icon="refresh",
                                       layout=w.Layout(width="100px"))
        self.open_button.add_class("nbui-run-open")
        self.delete_button.add_class("nbui-run-delete")
        self.message = SafeHTML("")
        self.message.add_class("nbui-runs-message")
        self.open_button.on_click(lambda _: self.open_run(self.runs.value))
        self.delete_button.on_click(lambda _: self.delete(self.runs.value))
        self.refresh_button.on_click(lambda _: self.refresh())
        self.runs.observe(lambda _: self._disarm(), "value")
        super().__init__([self.runs, w.HBox([self.open_button, self.delete_button,
                                             self.refresh_button]), self.message])
        self.add_class("nbui-run-picker")

    def show_store(self, store: Any, current: str | None = None) -> None:
        """List the runs of ``store``; ``current`` is the one shown in the workbench."""
        self.store, self.current = store, current
        self.refresh()

    def refresh(self) -> None:
        """Read the store's runs again."""
        self._disarm()
        if self.store is None:
            self.runs.options = []
            return
        rows = run_summaries(self.store)
        self.runs.options = [(_label(r), r["name"]) for r in rows]
        if self.current in [r["name"] for r in rows]:
            self.runs.value = self.current

    def open_run(self, name: str | None) -> None:
        """Show run ``name`` in the workbench (``open`` is the widget's own)."""
        if not name:
            self.say("pick a run in the list first", error=True)
            return
        self._on_open(name)
        self.current = name
        self.say(f"showing {name}")

    def delete(self, name: str | None) -> bool:
        """Delete run ``name`` on the second call in a row (the first asks); never the run
        shown or one a live process runs. True once deleted."""
        if not name or self.store is None:
            self.say("pick a run in the list first", error=True)
            return False
        if name == self.current:
            self.say(f"{name} is the run shown here: open another run before deleting it",
                      error=True)
            return False
        holder = live_holder(self.store, name)
        if holder is not None:
            self.say(f"{name} is running (pid {holder.get('pid', '?')} on "
                      f"{holder.get('host', '?')}): stop it before deleting it", error=True)
            return False
        if self._armed != name:
            self._armed = name
            self.say(f"click Delete again to delete {name} and all its trials")
            return False
        self.store.open_for_writing()
        self.store.delete_experiment(name)
        self.refresh()
        self.say(f"deleted {name}")
        return True

    def _disarm(self) -> None:
        self._armed = None

    def say(self, text: str, error: bool = False) -> None:
        """Show ``text`` under the list (in red when ``error``)."""
        self.message.value = error_html(text) if error else markup("<small>{}</small>", text)

