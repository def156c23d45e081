"""A visual search-space editor: an anywidget that draws the space's DAG as SVG.

Python is the source of truth. The browser edits a copy of ``space_json`` and sends the
whole new dict back; Python validates it with :meth:`SearchSpace.from_dict`, keeps the
undo history, and reports a bad edit in ``errors`` (message, "how to fix" hint, culprit
nodes and edges, which the browser draws red) while the invalid dict stays on screen.

Node positions live in the ``positions`` trait (``{node: [x, y]}``, node centres).
It is not called ``layout`` because every ipywidgets ``DOMWidget`` already has a
``layout`` trait (its CSS ``Layout`` model) that the front end relies on.

Example:
    >>> from nasbench_ui import spaces
    >>> ed = GraphEditor(spaces.nb201())
    >>> ed.size, ed.valid
    (15625, True)
    >>> d = ed.space_json
    >>> ed.space_json = {**d, "edges": [e for e in d["edges"] if e["label"] != "3<-2"]}
    >>> ed.valid, ed.errors["nodes"], ed.errors["hint"]
    (False, ['2'], 'connect it to a later node or delete it')
    >>> ed.undo(), ed.space.size()
    (True, 15625)
    >>> ed.warnings  # a hyperparameter that nothing reads would be named here, in red
    []
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from ..estimators.trainer import RESERVED
from ..space.presets import blank
from ..space.spec import SearchSpace
from .graph_errors import explain
from .graph_layout import compute_layout, merge_positions
from .op_offer import offer_note, offered_groups

HERE = Path(__file__).parent
MAX_HISTORY = 100

SpaceCallback = Callable[[SearchSpace], Any]


def _read(name: str) -> str:
    return (HERE / name).read_text(encoding="utf-8")


def _no_errors() -> dict[str, Any]:
    return {"message": "", "hint": "", "nodes": [], "edges": []}


class GraphEditor(anywidget.AnyWidget):
    """Draw and edit a search space in the notebook.

    Traits (synced as JSON): ``space_json`` (the space's ``to_dict()``, possibly
    invalid while being edited), ``positions`` (``{node: [x, y]}``), ``errors``
    (``{"message", "hint", "nodes", "edges"}``), ``warnings`` (notes on a valid space,
    shown in red: a hyperparameter that nothing reads, with the reserved labels the
    trainer reads), ``space_valid``, ``size`` (the last
    valid space's number of architectures), ``op_groups`` (the operations offered an
    edge, by group: those that fit the space, ``ui/op_offer.py``) with ``op_note`` (why
    the list is shorter than the registry, "" when it is not), ``selected``
    (``{"kind": "node"|"edge"|None, "id": ...}``), ``can_undo``, ``can_redo``, ``mode``.

    Example:
        >>> from nasbench_ui import spaces
        >>> ed = GraphEditor(spaces.mlp())
        >>> ed.space.name, ed.size
        ('mlp', 20736)
        >>> ed.load_json("{not json"), ed.errors["message"].startswith("Import failed")
        (False, True)
    """

    _esm = _read("graph_editor.js")
    _css = _read("graph_editor.css")

    space_json = traitlets.Dict().tag(sync=True)
    positions = traitlets.Dict().tag(sync=True)
    errors = traitlets.Dict(_no_errors()).tag(sync=True)
    warnings = traitlets.List(traitlets.Unicode()).tag(sync=True)
    space_valid = traitlets.Bool(True).tag(sync=True)
    size = traitlets.Int(0).tag(sync=True)
    op_groups = traitlets.Dict().tag(sync=True)
    op_note = traitlets.Unicode("").tag(sync=True)
    selected = traitlets.Dict({"kind": None, "id": None}).tag(sync=True)
    can_undo = traitlets.Bool(False).tag(sync=True)
    can_redo = traitlets.Bool(False).tag(sync=True)
    mode = traitlets.Unicode("edit").tag(sync=True)

    def __init__(self, space: SearchSpace | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._history: list[tuple[dict[str, Any], dict[str, list[float]]]] = []
        self._pos = -1
        self._valid_space: SearchSpace | None = None
        self._callbacks: list[SpaceCallback] = []
        self._busy = False
        self.observe(self._on_space_json, names="space_json")
        self.on_msg(self._on_msg)
        self.space = blank() if space is None else space

    # ---------------------------------------------------------------- public API
    @property
    def space(self) -> SearchSpace:
        """The current space; ValueError with the model's message while it is invalid."""
        if not self.space_valid or self._valid_space is None:
            raise ValueError(f"the edited search space is invalid: {self.errors.get('message')}")
        return self._valid_space

    @space.setter
    def space(self, space: SearchSpace) -> None:
        if not isinstance(space, SearchSpace):
            raise ValueError(f"GraphEditor.space takes a SearchSpace, got {type(space).__name__}")
        d = space.to_dict()
        self._accept(d, compute_layout(d), record=True)

    @property
    def valid(self) -> bool:
        """Whether the dict on screen is a valid search space."""
        return bool(self.space_valid)

    def undo(self) -> bool:
        """Go back one edit; False when there is nothing to undo."""
        if self._pos <= 0:
            return False
        self._pos -= 1
        self._restore()
        return True

    def redo(self) -> bool:
        """Re-apply an undone edit; False when there is nothing to redo."""
        if self._pos >= len(self._history) - 1:
            return False
        self._pos += 1
        self._restore()
        return True

    def relayout(self) -> None:
        """Recompute every node position (columns by longest path)."""
        self.positions = compute_layout(self.space_json)

    def to_json(self) -> str:
        """The dict on screen (valid or not) plus ``"layout"`` (the positions) as JSON."""
        return json.dumps({**self.space_json, "layout": self.positions}, indent=2)

    def load_json(self, text: str | bytes) -> bool:
        """Load a space exported by :meth:`to_json` or ``SearchSpace.to_json``.

        Never raises: on bad input, ``errors`` says why, the current space stays and
        False is returned.
        """
        try:
            space = SearchSpace.from_json(text)
            raw = json.loads(text)
        except Exception as e:  # noqa: BLE001 - shown to the user, never raised
            self.errors = {**_no_errors(), "message": f"Import failed: {e}",
                           "hint": "paste the JSON of a search space (Export JSON gives one)"}
            return False
        d = space.to_dict()
        self._accept(d, merge_positions(d, raw.get("layout")), record=True)
        return True

    def observe_space(self, callback: SpaceCallback) -> None:
        """Call ``callback(space)`` after each edit that leaves a valid space."""
        if not callable(callback):
            raise ValueError(f"observe_space takes a callable, got {callback!r}")
        self._callbacks.append(callback)

    def unobserve_space(self, callback: SpaceCallback) -> None:
        """Stop calling ``callback``; ValueError if it was not registered."""
        if callback not in self._callbacks:
            raise ValueError(f"{callback!r} is not observing this editor")
        self._callbacks.remove(callback)

    # ---------------------------------------------------------------- internals
    def _on_msg(self, _widget: Any, content: Any, _buffers: Any = None) -> None:
        """Custom messages from the browser: undo, redo, import, relayout."""
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "undo":
            self.undo()
        elif kind == "redo":
            self.redo()
        elif kind == "import":
            self.load_json(content.get("text") if isinstance(content.get("text"), str) else "")
        elif kind == "relayout":
            self.relayout()

    def _on_space_json(self, change: dict[str, Any]) -> None:
        if self._busy:
            return
        new = change["new"]
        self._accept(new, merge_positions(new, self.positions), record=True)

    def _accept(self, d: dict[str, Any], positions: dict[str, list[float]], record: bool) -> None:
        """Validate ``d``, show it (normalised when valid) and record it in the history."""
        try:
            space: SearchSpace | None = SearchSpace.from_dict(d)
            errors = _no_errors()
        except Exception as e:  # noqa: BLE001 - any bad dict becomes a message, no traceback
            space = None
            message = str(e) if isinstance(e, ValueError) else f"invalid search space: {e!r}"
            errors = explain(message, d)
        shown = space.to_dict() if space is not None else copy.deepcopy(d)
        self._busy = True
        try:
            with self.hold_sync():
                self.space_json = shown
                self.positions = positions
                self.errors = errors
                note = space.unused_hparams_note(RESERVED) if space is not None else None
                self.warnings = [note] if note else []
                self.op_groups = offered_groups(d)
                self.op_note = offer_note(d)
                self.space_valid = space is not None
                if space is not None:
                    self._valid_space = space
                    self.size = space.size()
                if record:
                    self._record(shown, positions)
        finally:
            self._busy = False
        if space is not None:
            for cb in list(self._callbacks):
                cb(space)

    def _record(self, d: dict[str, Any], positions: dict[str, list[float]]) -> None:
        del self._history[self._pos + 1:]
        self._history.append((copy.deepcopy(d), dict(positions)))
        if len(self._history) > MAX_HISTORY:
            del self._history[0]
        self._pos = len(self._history) - 1
        self._sync_history()

    def _sync_history(self) -> None:
        self.can_undo = self._pos > 0
        self.can_redo = self._pos < len(self._history) - 1

    def _restore(self) -> None:
        d, saved = self._history[self._pos]
        d = copy.deepcopy(d)
        self._accept(d, merge_positions(d, self.positions, saved), record=False)
        self._sync_history()


__all__ = ["GraphEditor"]
