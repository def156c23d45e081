"""Forms generated from declared options, and the hyperparameter form of a space.

No component has a hand-written form: :func:`options_form` builds one from a
component's ``OPTIONS`` (see :mod:`nasbench_ui.options`).

Example:
    >>> from nasbench_ui.options import Option
    >>> form = OptionsForm({"population": Option(int, 10, low=2)})
    >>> form.values()
    {'population': 10}
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as w

from ..options import Option
from ..space import SearchSpace
from ..space.decisions import hparam_from_dict
from .text import Markup, SafeHTML, error_html

_STYLE = {"description_width": "140px"}
_LAYOUT = w.Layout(width="320px")


def _widget(name: str, opt: Option, value: Any) -> w.Widget:
    desc = name.replace("_", " ")
    tip = opt.help or name
    if opt.choices is not None:
        return w.Dropdown(options=list(opt.choices), value=value, description=desc,
                          tooltip=tip, style=_STYLE, layout=_LAYOUT)
    if opt.type is bool:
        return w.Checkbox(value=bool(value), description=desc, tooltip=tip, indent=False)
    if opt.type is int and not (opt.optional and value is None):
        lo = int(opt.low) if opt.low is not None else -(10**9)
        hi = int(opt.high) if opt.high is not None else 10**9
        return w.BoundedIntText(value=value, min=lo, max=hi, description=desc, tooltip=tip,
                                style=_STYLE, layout=_LAYOUT)
    if opt.type is float and not (opt.optional and value is None):
        lo = opt.low if opt.low is not None else -1e300
        hi = opt.high if opt.high is not None else 1e300
        return w.BoundedFloatText(value=value, min=lo, max=hi, description=desc, tooltip=tip,
                                  style=_STYLE, layout=_LAYOUT)
    text = json.dumps(value) if opt.type in (dict, list) else ("" if value is None else str(value))
    return w.Text(value=text, description=desc, tooltip=tip, style=_STYLE, layout=_LAYOUT,
                  placeholder=opt.help[:40])


class OptionsForm(w.VBox):
    """A form for a ``{name: Option}`` mapping; ``values()`` returns checked values."""

    def __init__(self, options: Mapping[str, Option], values: Mapping[str, Any] | None = None) -> None:
        self.options = dict(options)
        values = dict(values or {})
        self.fields = {n: _widget(n, o, values.get(n, o.default)) for n, o in self.options.items()}
        children = list(self.fields.values()) or [SafeHTML(Markup("<i>no options</i>"))]
        super().__init__(children=children)

    def values(self, only_changed: bool = False) -> dict[str, Any]:
        """The form's values as an options dict (ValueError names a bad field)."""
        out: dict[str, Any] = {}
        for name, field in self.fields.items():
            opt = self.options[name]
            v = field.value
            if isinstance(field, w.Text):
                if opt.type in (dict, list):
                    try:
                        v = json.loads(v or ("{}" if opt.type is dict else "[]"))
                    except json.JSONDecodeError:
                        raise ValueError(f"option {name!r}: not valid JSON: {v!r}") from None
                elif v == "" and opt.optional:
                    v = None
            if only_changed and v == opt.default:
                continue
            out[name] = v
        return out

    def set_values(self, values: Mapping[str, Any]) -> None:
        for name, v in values.items():
            if name in self.fields:
                f = self.fields[name]
                f.value = json.dumps(v) if isinstance(f, w.Text) and not isinstance(v, str) else v

    def set_disabled(self, disabled: bool) -> None:
        for f in self.fields.values():
            f.disabled = disabled


def _hparam_row(d: dict[str, Any]) -> dict[str, w.Widget]:
    kind = d.get("type", "int")
    if kind == "categorical":
        spec = ", ".join(json.dumps(c) for c in d.get("choices", []))
    else:
        spec = f"{d.get('low')}..{d.get('high')} step {d.get('step', 1)}"
    row = {
        "label": w.Text(value=d.get("label", ""), layout=w.Layout(width="120px")),
        "type": w.Dropdown(options=["int", "float", "categorical"], value=kind,
                           layout=w.Layout(width="110px")),
        "spec": w.Text(value=spec, layout=w.Layout(width="200px"),
                       placeholder="32..128 step 32  or  3, 5"),
        "remove": w.Button(description="✕", layout=w.Layout(width="34px"), tooltip="remove"),
    }
    for name, widget in row.items():
        widget.add_class(f"nbui-hp-{name}")
    return row


def parse_hparam(label: str, kind: str, spec: str) -> dict[str, Any]:
    """Parse a form row into a hyperparameter dict; ValueError says what to type."""
    label = label.strip()
    if kind == "categorical":
        try:
            choices = json.loads(f"[{spec}]")
        except json.JSONDecodeError:
            choices = [c.strip() for c in spec.split(",") if c.strip()]
        d: dict[str, Any] = {"type": "categorical", "label": label, "choices": choices}
    else:
        try:
            rng, _, step = spec.partition("step")
            low, high = (x.strip() for x in rng.split(".."))
            num = int if kind == "int" else float
            d = {"type": kind, "label": label, "low": num(low), "high": num(high),
                 "step": num(step.strip()) if step.strip() else num(1)}
        except ValueError:
            raise ValueError(
                f"hyperparameter {label!r}: write the range like '32..128 step 32', got {spec!r}"
            ) from None
    hparam_from_dict(d)
    return d


class HyperparameterForm(w.VBox):
    """Edit the hyperparameter decisions of a space (beside the graph editor).

    ``on_change(callback)`` receives the new list of hyperparameter dicts after a valid
    edit; an invalid row shows its message in red and changes nothing.
    """

    def __init__(self, space: SearchSpace | None = None) -> None:
        self._rows: list[dict[str, w.Widget]] = []
        self._callbacks: list[Callable[[list[dict[str, Any]]], None]] = []
        self.message = SafeHTML()
        self.message.add_class("nbui-hp-message")
        self.add = w.Button(description="+ hyperparameter", layout=w.Layout(width="160px"))
        self.apply = w.Button(description="Apply", button_style="info", layout=w.Layout(width="80px"))
        self.add.on_click(lambda _: self._add_row({"type": "int", "label": f"h{len(self._rows) + 1}",
                                                   "low": 1, "high": 4, "step": 1}))
        self.apply.on_click(lambda _: self.commit())
        self.add.add_class("nbui-hp-add")
        self.apply.add_class("nbui-hp-apply")
        super().__init__()
        self.set_space(space)

    def set_space(self, space: SearchSpace | None) -> None:
        self._rows = []
        for h in (space.hparams if space is not None else ()):
            self._add_row(h.to_dict(), redraw=False)
        self._redraw()

    def _add_row(self, d: dict[str, Any], redraw: bool = True) -> None:
        row = _hparam_row(d)
        row["remove"].on_click(lambda _b, r=row: self._remove(r))
        self._rows.append(row)
        if redraw:
            self._redraw()

    def _remove(self, row: dict[str, w.Widget]) -> None:
        self._rows.remove(row)
        self._redraw()
        self.commit()

    def _redraw(self) -> None:
        header = SafeHTML(Markup("<b>Hyperparameters</b> (label, type, range or choices)"))
        lines = [w.HBox(list(r.values())) for r in self._rows]
        self.children = [header, *lines, w.HBox([self.add, self.apply]), self.message]

    def hparams(self) -> list[dict[str, Any]]:
        return [parse_hparam(r["label"].value, r["type"].value, r["spec"].value) for r in self._rows]

    def on_change(self, callback: Callable[[list[dict[str, Any]]], None]) -> None:
        self._callbacks.append(callback)

    def commit(self) -> bool:
        try:
            hps = self.hparams()
            for cb in self._callbacks:
                cb(hps)
        except ValueError as e:
            self.message.value = error_html(e)
            return False
        self.message.value = ""
        return True
