"""Inputs for structured options: no raw JSON in a form.

An option whose value is a list of names (``extra_metrics``) is one text box of names
separated by commas (:class:`NamesText`: an ipywidgets tag input read as a tiny empty
square, and in JupyterLab its Enter never made a tag: the notebook took the key); a list of
``[name, "max" | "min"]`` pairs (``objectives``) is one row per pair with a direction
dropdown; a ``{name: value}`` dict (tabular ``cost``, optuna's ``sampler_options``) is
one row per key with its value. Each field has a ``value`` property (get and set, in
the option's own shape) and ``disabled``, like a plain ipywidget, and calls
``on_change`` callbacks after an edit.

Example:
    >>> n = NamesText(["test_acc"], description="extra metrics")
    >>> n.value = "test_acc, params,, params "
    >>> n.names
    ['test_acc', 'params']
    >>> n.value = ["flops"]; n.value
    'flops'
    >>> f = PairRows([["value", "max"], ["params", "min"]], kind="objectives")
    >>> f.value
    [['value', 'max'], ['params', 'min']]
    >>> f.rows[1]["second"].value = "max"
    >>> f.value[1]
    ['params', 'max']
    >>> g = PairRows({"train_time_s": 12}, kind="weights")
    >>> g.value
    {'train_time_s': 12}
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import traitlets

__all__ = ["DIRECTIONS", "NamesText", "PairRows", "field_kind"]

#: the directions of an objective
DIRECTIONS = ("max", "min")


def field_kind(default: Any) -> str | None:
    """Which structured input an option's default calls for: ``"names"`` (a list of
    str), ``"objectives"`` (a list of ``[name, "max" | "min"]``), ``"weights"`` (a dict)
    or None (a plain input).

    Example:
        >>> field_kind([]), field_kind([["value", "max"]]), field_kind({}), field_kind(3)
        ('names', 'objectives', 'weights', None)
    """
    if isinstance(default, dict):
        return "weights"
    if isinstance(default, list):
        if all(isinstance(x, str) for x in default):
            return "names"
        if all(isinstance(x, (list, tuple)) and len(x) == 2 and x[1] in DIRECTIONS
               for x in default):
            return "objectives"
    return None


def _scalar(text: str) -> Any:
    """A typed value: a JSON number, true/false or null, else the text itself."""
    try:
        v = json.loads(text)
    except json.JSONDecodeError:
        return text
    return v if isinstance(v, (int, float, bool)) or v is None else text


class _Names(traitlets.Unicode):
    """A text trait that takes a list of names from code, written with commas."""

    def validate(self, obj: Any, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            value = ", ".join(str(v) for v in value)
        return super().validate(obj, value)


class NamesText(w.Text):
    """A list of names typed into one box, separated by commas; ``names`` is the list
    (spaces trimmed, empty and repeated names dropped). A list set as ``value`` from code
    is written with commas."""

    value = _Names("", help="the names typed, separated by commas").tag(sync=True)

    @property
    def names(self) -> list[str]:
        return list(dict.fromkeys(n.strip() for n in self.value.split(",") if n.strip()))


class PairRows(w.VBox):
    """Rows of (name, second) with + and ✕: objectives (second = direction) or
    weights (second = a value). See the module docstring."""

    def __init__(self, value: Any, kind: str = "weights", description: str = "") -> None:
        if kind not in ("objectives", "weights"):
            raise ValueError(f"kind must be 'objectives' or 'weights', got {kind!r}")
        self.kind = kind
        self.description = description
        self.rows: list[dict[str, w.Widget]] = []
        self._callbacks: list[Callable[[], Any]] = []
        self._disabled = False
        self.add = w.Button(description="+ " + ("objective" if kind == "objectives" else "entry"),
                            layout=w.Layout(width="120px"))
        self.add.on_click(lambda _: self._add_row("", "max" if kind == "objectives" else "1"))
        super().__init__()
        self.add_class("nbui-pair-rows")
        self.value = value

    @property
    def value(self) -> Any:
        """The option's value: a list of ``[name, direction]`` or a ``{name: value}`` dict."""
        pairs = [(r["first"].value.strip(), r["second"].value) for r in self.rows
                 if r["first"].value.strip()]
        if self.kind == "objectives":
            return [[a, b] for a, b in pairs]
        return {a: _scalar(b) for a, b in pairs}

    @value.setter
    def value(self, value: Any) -> None:
        if isinstance(value, str):
            value = json.loads(value)
        items = value.items() if isinstance(value, dict) else value
        self.rows = []
        for a, b in items:
            self._add_row(str(a), b if self.kind == "objectives" else json.dumps(b), redraw=False)
        self._redraw()

    @property
    def disabled(self) -> bool:
        return self._disabled

    @disabled.setter
    def disabled(self, on: bool) -> None:
        self._disabled = bool(on)
        self.add.disabled = self._disabled
        for r in self.rows:
            for x in r.values():
                x.disabled = self._disabled

    def on_change(self, callback: Callable[[], Any]) -> None:
        """Call ``callback()`` after each edit."""
        self._callbacks.append(callback)

    def _changed(self, *_: Any) -> None:
        for cb in self._callbacks:
            cb()

    def _add_row(self, first: str, second: str, redraw: bool = True) -> None:
        name = w.Text(value=first, placeholder="metric" if self.kind == "objectives" else "column",
                      continuous_update=False, layout=w.Layout(width="130px"))
        if self.kind == "objectives":
            other: w.Widget = w.Dropdown(options=list(DIRECTIONS), value=second,
                                         layout=w.Layout(width="70px"))
        else:
            other = w.Text(value=second, continuous_update=False, layout=w.Layout(width="70px"))
        remove = w.Button(description="✕", tooltip="remove", layout=w.Layout(width="34px"))
        row = {"first": name, "second": other, "remove": remove}
        remove.on_click(lambda _b, r=row: self._remove(r))
        name.observe(self._changed, "value")
        other.observe(self._changed, "value")
        self.rows.append(row)
        if redraw:
            self._redraw()
            self._changed()

    def _remove(self, row: dict[str, w.Widget]) -> None:
        self.rows.remove(row)
        self._redraw()
        self._changed()

    def _redraw(self) -> None:
        title = w.Label(self.description, layout=w.Layout(width="auto"))
        self.children = [title, *(w.HBox(list(r.values())) for r in self.rows), self.add]
