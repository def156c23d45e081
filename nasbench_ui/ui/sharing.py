"""Sharing a workbench: Export / Import of its state and "Copy as Python", plus the
names of the parts a teacher can hide or lock (``Workbench(hide=[...], lock=[...])``).

The state is the experiment-config JSON (:class:`~nasbench_ui.config.ExperimentConfig`),
the same document the store keeps and ``nasbench-ui run --config FILE`` reads.
:class:`SharedState` is the object a workbench holds for it (``wb.shared``): it reads and
restores the state from the control panel and the editor it is given, applies ``hide`` /
``lock``, and owns the Share tab, a :class:`StatePanel`. The panel only calls back through
two callables: ``get_state() -> dict`` and ``set_state(text)`` (which raises ValueError on
bad input; the panel shows it).

Part names for ``lock=`` (disabled for good; Import may not change them either):
``editor`` (preset, graph editor -- shown as a read-only drawing -- and hyperparameter
form), ``dataset``, ``strategy`` (dropdown and its options form), ``estimator`` (the
same), ``budget`` (trials and minutes), ``seed``, ``device``, ``import`` (the Import
button and file upload). ``hide=`` takes those and ``controls`` (the whole search
panel), ``buttons`` (Start / Pause / Resume / Stop), ``charts``, ``table``, ``diff``
(Compare) and ``sharing`` (Share) tabs, ``arch_view`` and ``replay``.

Example:
    >>> from nasbench_ui import spaces
    >>> from nasbench_ui.config import ExperimentConfig
    >>> cfg = ExperimentConfig(space=spaces.nb201().to_dict(), trials=3).to_dict()
    >>> got = []
    >>> p = StatePanel(lambda: cfg, got.append)
    >>> p.export_button.click(); p.import_button.click()
    >>> got[0] == p.text.value
    True
    >>> check_names(["charts"], HIDEABLE, "hide")
    ['charts']
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import ipywidgets as w

from ..config import MAX_CONFIG_BYTES, ExperimentConfig, to_python
from .controls import LOCKABLE as _CONTROL_LOCKS
from .text import SafeHTML, error_html, markup

#: the colour of a message that says an export or import went well
OK_COLOR = "#2e7d32"
#: parts that ``lock=`` accepts: locked = disabled, not changeable through the UI
LOCKABLE: tuple[str, ...] = ("editor", *_CONTROL_LOCKS, "import")
#: parts that ``hide=`` accepts
HIDEABLE: tuple[str, ...] = (*LOCKABLE, "controls", "buttons", "charts", "table", "arch_view",
                             "replay", "diff", "sharing")


def check_names(names: Iterable[str] | None, valid: tuple[str, ...], what: str) -> list[str]:
    """``names`` as a list; ValueError lists the valid names for an unknown one."""
    if names is None:
        return []
    if isinstance(names, str):
        names = [names]
    out = list(names)
    bad = [n for n in out if n not in valid]
    if bad:
        raise ValueError(f"unknown {what} name(s) {bad}; valid: {list(valid)}")
    return out


#: the config keys each lockable part governs
LOCK_KEYS: dict[str, tuple[str, ...]] = {
    "editor": ("space",), "dataset": ("dataset", "dataset_options"),
    "strategy": ("strategy", "strategy_options"), "estimator": ("estimator", "estimator_options"),
    "budget": ("trials", "seconds"), "seed": ("seed",), "device": ("device",), "import": (),
}


def _normal(cfg: dict[str, Any]) -> dict[str, Any]:
    """``cfg`` with its space normalised and its options filled with their defaults, so
    that two configs that mean the same compare equal."""
    from .. import estimators, options, strategies

    out = dict(cfg)
    out["space"] = ExperimentConfig.from_dict(cfg).search_space.to_dict()
    for key, registry in (("strategy", strategies), ("estimator", estimators)):
        if cfg.get(key) in registry.names():
            out[f"{key}_options"] = options.resolve(registry.get(cfg[key]), cfg.get(f"{key}_options"))
    return out


def lock_conflicts(old: dict[str, Any], new: dict[str, Any], locked: Iterable[str]) -> list[str]:
    """The locked parts whose config keys differ between configs ``old`` and ``new``."""
    old, new = _normal(old), _normal(new)
    return [n for n in locked if any(old.get(k) != new.get(k) for k in LOCK_KEYS.get(n, ()))]


def parse_config(source: Any) -> ExperimentConfig:
    """An ExperimentConfig from a config, its dict, its JSON text or a path to a JSON file."""
    if isinstance(source, ExperimentConfig):
        return source
    if isinstance(source, dict):
        return ExperimentConfig.from_dict(source)
    if isinstance(source, (str, Path)):
        text = str(source)
        if not text.lstrip().startswith("{"):
            try:
                text = Path(text).read_text(encoding="utf-8")
            except OSError as e:
                raise ValueError(f"cannot read experiment config {str(source)!r}: {e}") from None
        return ExperimentConfig.from_json(text)
    raise ValueError(f"an experiment config is a dict, JSON text or a path, got {type(source).__name__}")


def disable_tree(widget: Any, disabled: bool = True) -> None:
    """Disable ``widget`` and everything inside it that can be disabled."""
    if hasattr(widget, "disabled"):
        widget.disabled = disabled
    for child in getattr(widget, "children", ()):
        disable_tree(child, disabled)


class SharedState:
    """What a workbench shares: its state (the experiment-config dict), the parts it
    hides and locks, and the Share tab (``panel``, a :class:`StatePanel`).

    Composed from explicit inputs: the ``controls`` (a
    :class:`~nasbench_ui.ui.controls.ControlPanel`: settings, dropdowns, buttons), the
    ``editor`` (any object with a settable ``space``), ``busy()`` (True while a search
    runs: no state is loaded then) and the ``hide`` / ``lock`` part names (ValueError
    for an unknown one). ``extra`` holds the config parts without a widget
    (``dataset_options``, ``objectives``, ``constraints``).

    Example:
        >>> from nasbench_ui import spaces
        >>> from nasbench_ui.ui.controls import ControlPanel
        >>> class Editor:
        ...     space = spaces.nb201()
        >>> shared = SharedState(ControlPanel(), Editor(), busy=lambda: False, lock=["seed"])
        >>> shared.state["space"]["name"], shared.locked
        ('nb201', ('seed',))
        >>> shared.load_state({**shared.state, "seed": 7}).seed, shared.controls.seed.value
        (7, 7)
        >>> shared.load_state({**shared.state, "seed": 8}, ui=True)
        Traceback (most recent call last):
        ...
        ValueError: this workbench locks ['seed']; the imported config changes them
    """

    def __init__(self, controls: Any, editor: Any, *, busy: Callable[[], bool],
                 hide: Iterable[str] | None = None, lock: Iterable[str] | None = None) -> None:
        self.controls, self.editor, self._busy = controls, editor, busy
        self.hidden: tuple[str, ...] = tuple(check_names(hide, HIDEABLE, "hide"))
        self.locked: tuple[str, ...] = tuple(check_names(lock, LOCKABLE, "lock"))
        self.extra: dict[str, Any] = {"dataset_options": {}, "objectives": [], "constraints": {}}
        #: the Share tab: Export / Import / Copy as Python
        self.panel = StatePanel(lambda: self.state, lambda text: self.load_state(text, ui=True))

    def shows_page(self, name: str) -> bool:
        """Whether the tab page ``name`` is shown: not hidden, and no Runs page (it opens
        other runs) where Import is locked."""
        return name not in self.hidden and not (name == "runs" and "import" in self.locked)

    def apply(self, *, space_panel: Any, view_panel: Any, replay: Any, preset: Any,
              hparams: Any) -> None:
        """Hide and lock the parts named (tab pages are left out through ``shows_page``):
        ``space_panel`` holds the ``preset`` dropdown, the editor and the ``hparams`` form,
        ``view_panel`` the architecture view, ``replay`` is the scrubber."""
        c = self.controls
        parts: dict[str, list[Any]] = {
            "editor": [space_panel], "dataset": [c.dataset],
            "strategy": [c.strategy, c.strategy_box], "estimator": [c.estimator, c.estimator_box],
            "budget": [c.budget], "seed": [c.seed], "device": [c.device, c.device_label],
            "import": [self.panel.import_button, self.panel.upload], "controls": [c],
            "buttons": [c.start_button, c.pause_button, c.resume_button, c.stop_button],
            "arch_view": [view_panel], "replay": [replay]}
        for name in self.hidden:
            for widget in parts.get(name, []):
                widget.layout.display = "none"
        c.lock([n for n in self.locked if n in c.LOCKS])
        if "import" in self.locked:
            self.panel.lock()
        if "editor" in self.locked:
            preset.disabled = True
            disable_tree(hparams)

    @property
    def state(self) -> dict[str, Any]:
        """The experiment-config dict shown (``ExperimentConfig.to_dict()``)."""
        settings = {**self.controls.settings(), **self.extra}
        return ExperimentConfig(space=self.editor.space.to_dict(), **settings).to_dict()

    def keep_extra(self, cfg: dict[str, Any]) -> None:
        """Take the parts of config dict ``cfg`` that have no widget (into ``extra``)."""
        self.extra = {k: json.loads(json.dumps(cfg[k])) for k in self.extra}

    def load_state(self, source: Any, ui: bool = False) -> ExperimentConfig:
        """Restore the controls and the editor from a config dict, JSON text, an
        ExperimentConfig or a path to a ``.json`` file. ``ui=True`` (the Import button)
        refuses to change a locked part. Returns the config loaded; ValueError for a bad
        config or while a search runs (nothing changes)."""
        if self._busy():
            raise ValueError("stop the search before loading another state")
        cfg = parse_config(source)
        d = cfg.to_dict()
        if ui:
            check_imported(cfg)
        if ui and self.locked:
            bad = lock_conflicts(self.state, d, self.locked)
            if bad:
                raise ValueError(f"this workbench locks {bad}; the imported config changes them")
        self.controls.load_settings(d, strict=True)
        self.editor.space = cfg.search_space
        self.keep_extra(d)
        return cfg


def check_imported(cfg: ExperimentConfig) -> None:
    """Build an imported config's estimator as data from someone else: a path or module
    it names must be trusted first (``nb.trust``), so an Import never reads a file on the
    config's word alone (``UntrustedError``, a PermissionError, names how to trust it)."""
    from .. import estimators
    from ..trust import untrusted

    with untrusted("the imported config"):
        estimators.create(cfg.estimator, cfg.estimator_options)


class StatePanel(w.VBox):
    """Export / Import / Copy as Python buttons over a text area (works headless).

    Export writes the state's JSON into ``text``; Import reads ``text`` (or an uploaded
    ``.json`` file) and hands it to ``set_state``; Copy as Python writes
    :func:`~nasbench_ui.config.to_python` of the state into ``code``.
    """

    def __init__(self, get_state: Callable[[], dict[str, Any]],
                 set_state: Callable[[str], Any]) -> None:
        self._get, self._set = get_state, set_state
        self.export_button = w.Button(description="Export", icon="download",
                                      tooltip="show the workbench state as JSON")
        self.import_button = w.Button(description="Import", icon="upload",
                                      tooltip="restore the workbench from the JSON below")
        self.python_button = w.Button(description="Copy as Python", icon="code",
                                      tooltip="a script that runs this experiment headless")
        for b in (self.export_button, self.import_button, self.python_button):
            b.layout = w.Layout(width="auto", min_width="110px")  # never "Copy as Pyth…"
        # ipywidgets writes its count of files beside the description ("Import file (0)"
        # before any): the page shows the words only (text.WORKBENCH_STYLE, .nbui-upload)
        # and the message line names the file imported
        self.upload = w.FileUpload(accept=".json", multiple=False, description="Import file",
                                   tooltip="restore the workbench from a .json file")
        self.upload.add_class("nbui-upload")
        self.text = w.Textarea(placeholder="experiment JSON (Export fills it; paste one and Import)",
                               layout=w.Layout(width="100%", height="140px"))
        self.code = w.Textarea(layout=w.Layout(width="100%", height="200px", display="none"))
        self.message = SafeHTML("")
        self.message.add_class("nbui-share-message")
        self.text.add_class("nbui-share-text")
        self.import_button.add_class("nbui-state-import")
        self.export_button.on_click(lambda _: self.export())
        self.import_button.on_click(lambda _: self.import_text(self.text.value))
        self.python_button.on_click(lambda _: self.copy_python())
        self.upload.observe(self._on_upload, "value")
        super().__init__([
            w.HBox([self.export_button, self.import_button, self.upload, self.python_button]),
            self.text, self.code, self.message,
        ])

    def export(self) -> str:
        """Write the state's JSON into ``text`` and return it."""
        try:
            self.text.value = json.dumps(self._get(), indent=2)
            self._say(f"exported ({len(self.text.value)} characters): copy it, or save it as a .json file")
        except ValueError as e:
            self._say(str(e), error=True)
        return self.text.value

    def import_text(self, text: str, source: str | None = None) -> bool:
        """Restore the workbench from ``text``, an experiment's JSON (read from the file
        ``source``, when given: the message names it); False (and a message) on bad input.

        Only JSON text is read, never a path: a pasted text or an uploaded file may come
        from someone else, and a path in it would make the kernel read that file (its
        names in the error, /dev/zero all of memory). A text longer than
        :data:`~nasbench_ui.config.MAX_CONFIG_BYTES` is refused before it is read.

        Example:
            >>> panel = StatePanel(dict, lambda text: None)
            >>> panel.import_text("/etc/passwd"), "not an experiment" in panel.message.value
            (False, True)
        """
        what = f" {source}" if source else ""
        problem = _not_json_config(text)
        if problem:
            self._say(f"import{what} failed: {problem}", error=True)
            return False
        try:
            self._set(text)
        except (ValueError, PermissionError) as e:  # PermissionError: an untrusted path
            self._say(f"import{what} failed: {e}", error=True)
            return False
        self._say(f"imported{what}")
        return True

    def copy_python(self) -> str:
        """Write a runnable script for the state into ``code`` and return it."""
        try:
            code = to_python(ExperimentConfig.from_dict(self._get()))
        except ValueError as e:
            self._say(str(e), error=True)
            return ""
        self.code.value = code
        self.code.layout.display = None
        self._say("copy the script below into a .py file or a cell")
        return code

    def lock(self) -> None:
        """Make Import unusable (a locked workbench cannot be replaced wholesale)."""
        self.import_button.disabled = self.upload.disabled = True

    def _on_upload(self, change: dict[str, Any]) -> None:
        files = change["new"]
        if not files:
            return
        content, name = files[0]["content"], str(files[0].get("name") or "") or None
        if len(content) > MAX_CONFIG_BYTES:  # not shown in the page, not decoded
            self._say(f"import {name or 'file'} failed: it is {len(content)} bytes; an "
                      f"experiment's JSON is at most {MAX_CONFIG_BYTES}", error=True)
            return
        text = bytes(content).decode("utf-8", errors="replace")
        self.text.value = text
        self.import_text(text, source=name)

    def _say(self, message: str, error: bool = False) -> None:
        self.message.value = (error_html(message) if error else
                              markup("<span style='color:{}'>{}</span>", OK_COLOR, message))


def _not_json_config(text: str) -> str:
    """Why ``text`` is not an experiment's JSON to import ("" when it may be)."""
    if len(text) > MAX_CONFIG_BYTES:
        return (f"it is {len(text)} characters; an experiment's JSON is at most "
                f"{MAX_CONFIG_BYTES}")
    if not text.lstrip().startswith("{"):
        return ("this is not an experiment's JSON (it starts with '{'): paste what Export "
                "shows, or use Import file")
    return ""


__all__ = ["HIDEABLE", "LOCKABLE", "LOCK_KEYS", "SharedState", "StatePanel", "check_names", "disable_tree",
           "lock_conflicts", "parse_config"]
