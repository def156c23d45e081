"""Forms generated from declared options, and the hyperparameter form of a space.

No component has a hand-written form: :func:`options_form` builds one from a
component's ``OPTIONS`` (see :mod:`nasbench_ui.options`). An empty text box's grey
placeholder fits its box in the search panel (:func:`placeholder`); the whole help is
the field's tooltip.

Example:
    >>> from nasbench_ui.options import Option
    >>> form = OptionsForm({"population": Option(int, 10, low=2)})
    >>> form.values()
    {'population': 10}
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as w

from ..options import Option
from ..options import check as check_option
from ..space import SearchSpace
from ..space.parts_json import hparam_from_dict
from .option_fields import NamesText, PairRows, field_kind
from .text import Markup, SafeHTML, error_html

#: an option row's width: its container's less the row's own margins (ipywidgets gives
#: each row 2 px on either side), so a row at "100%" no longer ends 2 px past the panel
#: (the input's right edge was cut off by the Advanced fold)
ROW_MARGINS_PX = 4
_LAYOUT_WIDTH = f"calc(100% - {ROW_MARGINS_PX}px)"
#: the grey text of an empty list-of-names box (names separated by commas)
NAMES_HINT = "names, separated by commas"


class FieldError(ValueError):
    """A refused setting and the control it is about (``field``: ``"budget"``,
    ``"strategy"``, ``"estimator"`` or ``"space"``), so the red line a failed Start
    leaves can go once that control holds a valid value again.

    Example:
        >>> e = FieldError("trials must be 1 or more, got -5", "budget")
        >>> str(e), e.field, isinstance(e, ValueError)
        ('trials must be 1 or more, got -5', 'budget', True)
    """

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field
#: shown labels of options whose plain name would be ambiguous beside the estimator's own
#: fields (the stored option keys stay as they are)
OPTION_LABELS: dict[str, dict[str, str]] = {
    "bananas": {"epochs": "predictor epochs", "learning_rate": "predictor learning rate",
                "hidden": "predictor hidden units", "layers": "predictor layers",
                "ensemble": "predictor ensemble"},
    "reinforce": {"learning_rate": "controller learning rate"},
    "local_search": {"move": "move to which neighbour", "start": "first descent starts at"},
}


#: short placeholders of text boxes whose help is longer than the box (the whole help is
#: the field's tooltip: JupyterLab shows it on the label)
OPTION_PLACEHOLDERS: dict[str, dict[str, str]] = {
    "tabular": {"table": 'CSV path, or "digits"', "curve": "curve column (digits: curve)",
                "extra_metrics": "columns, separated by commas"},
}
#: the width of an option row in the search panel (its 400 px column less the Advanced
#: fold's padding; 364 px in JupyterLab), the label's and the box's margins and padding
#: beside it (26 px), and a character of a text box at most (13 px Arial: about 6 px)
FORM_WIDTH_PX = 364
BOX_PADDING_PX = 26
CHAR_PX = 7
_EMPTY_MEANS = re.compile(r"\(empty: ([^)]*)\)")


def box_chars(label_px: str, width_px: int = FORM_WIDTH_PX) -> int:
    """How many characters a text box shows beside a label ``label_px`` wide.

    Example:
        >>> box_chars("122px")
        30
    """
    return max((width_px - int(label_px.removesuffix("px")) - BOX_PADDING_PX) // CHAR_PX, 8)


def placeholder(owner: str, name: str, opt: Option, chars: int) -> str:
    """The grey text of an empty box for option ``name`` of ``owner``, at most ``chars``
    characters: a short text of :data:`OPTION_PLACEHOLDERS`, what an empty optional box
    means (a help's "(empty: ...)"), else the help, cut after a word with "…" when longer.
    A box of names gets its short text or :data:`NAMES_HINT`, whole.

    Example:
        >>> from nasbench_ui.options import Option
        >>> placeholder("train", "threads", Option(int, None, optional=True,
        ...             help="torch threads for each trial (empty: chosen per trial)"), 27)
        'empty: chosen per trial'
        >>> placeholder("x", "y", Option(str, "", help="a help text far longer than its box"), 20)
        'a help text far…'
    """
    short = OPTION_PLACEHOLDERS.get(owner, {}).get(name)
    if opt.type is list and field_kind(opt.default) == "names":  # a box of names, whole
        return short or NAMES_HINT
    empty = _EMPTY_MEANS.search(opt.help) if opt.optional else None
    text = short or (f"empty: {empty.group(1)}" if empty else opt.help)
    if len(text) <= chars:
        return text
    cut = text[:chars - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" ,;:(") + "…"


def option_label(owner: str, name: str) -> str:
    """The label shown for option ``name`` of component ``owner``.

    Example:
        >>> option_label("bananas", "epochs"), option_label("evolution", "sample_size")
        ('predictor epochs', 'sample size')
    """
    return OPTION_LABELS.get(owner, {}).get(name, name.replace("_", " "))


def label_width(labels: list[str]) -> str:
    """A description width that shows every label whole (about 8 px a character).

    Example:
        >>> label_width(["epochs", "predictor learning rate"])
        '194px'
    """
    return f"{max([len(t) for t in labels] + [6]) * 8 + 10:.0f}px"


def _widget(desc: str, opt: Option, value: Any, width: str, hint: str) -> w.Widget:
    style = {"description_width": width}
    layout = w.Layout(width=_LAYOUT_WIDTH)
    tip = opt.help or desc
    kind = field_kind(opt.default) if opt.type in (dict, list) else None
    if opt.choices is not None:
        return w.Dropdown(options=list(opt.choices), value=value, description=desc,
                          tooltip=tip, style=style, layout=layout)
    if opt.type is bool:
        return w.Checkbox(value=bool(value), description=desc, tooltip=tip, indent=False)
    if opt.type is int and not (opt.optional and value is None):
        lo = int(opt.low) if opt.low is not None else -(10**9)
        hi = int(opt.high) if opt.high is not None else 10**9
        return w.BoundedIntText(value=value, min=lo, max=hi, description=desc, tooltip=tip,
                                style=style, layout=layout)
    if opt.type is float and not (opt.optional and value is None):
        lo = opt.low if opt.low is not None else -1e300
        hi = opt.high if opt.high is not None else 1e300
        return w.BoundedFloatText(value=value, min=lo, max=hi, description=desc, tooltip=tip,
                                  style=style, layout=layout)
    if kind == "names":
        return NamesText(value=list(value or []), description=desc, tooltip=tip, style=style,
                         layout=layout, placeholder=hint, continuous_update=False)
    if kind in ("objectives", "weights"):
        return PairRows(value, kind=kind, description=f"{desc}:")
    text = json.dumps(value) if opt.type in (dict, list) else ("" if value is None else str(value))
    return w.Text(value=text, description=desc, tooltip=tip, style=style, layout=layout,
                  placeholder=hint, continuous_update=False)


class OptionsForm(w.VBox):
    """A form for a ``{name: Option}`` mapping; ``values()`` returns checked values.

    ``owner`` names the component (labels from :data:`OPTION_LABELS`). Every edit is
    checked at once: a bad field turns red and ``error`` says why (``on_change``
    callbacks run after each edit).
    """

    def __init__(self, options: Mapping[str, Option], values: Mapping[str, Any] | None = None,
                 owner: str = "") -> None:
        self.options = dict(options)
        self.owner = owner
        values = dict(values or {})
        self.labels = {n: option_label(owner, n) for n in self.options}
        width = label_width(list(self.labels.values()))
        chars = box_chars(width)
        self.fields = {n: _widget(self.labels[n], o, values.get(n, o.default), width,
                                  placeholder(owner, n, o, chars))
                       for n, o in self.options.items()}
        self.message = SafeHTML()
        self.message.add_class("nbui-form-message")
        self.error: str | None = None
        self._callbacks: list[Callable[[], Any]] = []
        for f in self.fields.values():
            if isinstance(f, PairRows):
                f.on_change(self._check)
            else:
                f.observe(lambda _c: self._check(), "value")
        children = list(self.fields.values()) or [SafeHTML(Markup("<i>no options</i>"))]
        super().__init__(children=[*children, self.message])

    def on_change(self, callback: Callable[[], Any]) -> None:
        """Call ``callback()`` after each edit (valid or not)."""
        self._callbacks.append(callback)

    def _check(self) -> None:
        self.validate()
        for cb in self._callbacks:
            cb()

    def validate(self) -> str | None:
        """Check every field; mark the bad one red; return the reason (None when valid)."""
        self.error = None
        for name, field in self.fields.items():
            field.remove_class("nbui-bad")
            try:
                check_option(name, self.options[name], self._value(name, field))
            except ValueError as e:
                field.add_class("nbui-bad")
                self.error = self.error or f"{self.labels[name]}: {e}"
        self.message.value = error_html(self.error) if self.error else ""
        return self.error

    def _value(self, name: str, field: w.Widget) -> Any:
        opt = self.options[name]
        v = field.value
        if isinstance(field, NamesText):
            v = field.names
        elif isinstance(field, w.Text):
            if opt.type in (dict, list):
                try:
                    v = json.loads(v or ("{}" if opt.type is dict else "[]"))
                except json.JSONDecodeError:
                    raise ValueError(f"option {name!r}: not valid JSON: {v!r}") from None
            elif v.strip() == "" and opt.optional:
                v = None
            elif opt.type in (int, float):  # an optional number's box (empty: None)
                try:
                    v = opt.type(v.strip())
                except ValueError:
                    what = "a whole number" if opt.type is int else "a number"
                    raise ValueError(f"option {name!r}: write {what} (or leave it empty), "
                                     f"got {v!r}") from None
        return v

    def values(self, only_changed: bool = False) -> dict[str, Any]:
        """The form's values as an options dict (ValueError names a bad field)."""
        out: dict[str, Any] = {}
        for name, field in self.fields.items():
            opt = self.options[name]
            v = self._value(name, field)
            check_option(name, opt, v)
            if only_changed and v == opt.default:
                continue
            out[name] = v
        return out

    def set_values(self, values: Mapping[str, Any]) -> None:
        for name, v in values.items():
            if name in self.fields:
                f = self.fields[name]
                plain = isinstance(f, w.Text) and not isinstance(f, NamesText)
                f.value = json.dumps(v) if plain and not isinstance(v, str) else v

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
        "label": w.Text(value=d.get("label", ""), layout=w.Layout(width="120px"),
                        continuous_update=False),
        "type": w.Dropdown(options=["int", "float", "categorical"], value=kind,
                           layout=w.Layout(width="110px")),
        "spec": w.Text(value=spec, layout=w.Layout(width="200px"), continuous_update=False,
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

    Every edit counts as soon as it is valid (a field sends its text on Tab, Enter or a
    click elsewhere): ``on_change(callback)`` receives the new list of hyperparameter
    dicts. An invalid row turns red with the reason in ``message`` (and ``error``) and
    changes nothing; Start refuses with that reason. "Check" re-checks the rows.
    """

    def __init__(self, space: SearchSpace | None = None) -> None:
        self._rows: list[dict[str, w.Widget]] = []
        self._callbacks: list[Callable[[list[dict[str, Any]]], None]] = []
        self.error: str | None = None
        #: whether ``error`` is a row's own (else the space the rows went into refused)
        self.error_in_row = False
        self.message = SafeHTML()
        self.message.add_class("nbui-hp-message")
        self.add = w.Button(description="+ hyperparameter", layout=w.Layout(width="160px"))
        self.apply = w.Button(description="Check", layout=w.Layout(width="80px"),
                              tooltip="edits count as you make them; this checks every row")
        self.add.on_click(lambda _: self._add_row({"type": "int", "label": f"h{len(self._rows) + 1}",
                                                   "low": 1, "high": 4, "step": 1}))
        self.apply.on_click(lambda _: self.commit())
        self.add.add_class("nbui-hp-add")
        self.apply.add_class("nbui-hp-apply")
        super().__init__()
        self.set_space(space)

    def set_space(self, space: SearchSpace | None) -> None:
        """Show ``space``'s hyperparameters (rows that already say the same are kept, so
        a field being edited keeps its focus)."""
        new = [h.to_dict() for h in (space.hparams if space is not None else ())]
        if self._rows and self.error is None and self._parsed() == new:
            return
        self._rows = []
        for h in new:
            self._add_row(h, redraw=False)
        self._redraw()

    def _parsed(self) -> list[dict[str, Any]] | None:
        try:
            return [hparam_from_dict(d).to_dict() for d in self.hparams()]
        except ValueError:
            return None

    def _add_row(self, d: dict[str, Any], redraw: bool = True) -> None:
        row = _hparam_row(d)
        row["remove"].on_click(lambda _b, r=row: self._remove(r))
        for key in ("label", "type", "spec"):
            row[key].observe(lambda _c: self.commit(), "value")
        self._rows.append(row)
        if redraw:
            self._redraw()
            self.commit()

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
        """Check every row and hand the hyperparameters on; False (the row red, the
        reason in ``message``) when one is invalid."""
        bad: dict[str, w.Widget] | None = None
        try:
            hps = []
            for r in self._rows:
                bad = r
                hps.append(parse_hparam(r["label"].value, r["type"].value, r["spec"].value))
            bad = None
            self.error = None  # valid rows: set_space (called back) keeps them as they are
            for r in self._rows:
                r["spec"].remove_class("nbui-bad")
            for cb in self._callbacks:
                cb(hps)
        except ValueError as e:
            self.error, self.error_in_row = str(e), bad is not None
            self.message.value = error_html(e)
            for r in self._rows:
                r["spec"].remove_class("nbui-bad")
            if bad is not None:
                bad["spec"].add_class("nbui-bad")
            return False
        self.message.value = ""
        return True
