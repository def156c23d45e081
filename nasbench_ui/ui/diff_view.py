"""Compare two trials' architectures side by side, and see where a trial came from.

Pick two trials (two dropdowns, or "compare with selected": the workbench's selected
trial against its parent when it has one). Both architectures are drawn with
``viz.arch_svg`` with the differing decisions' edges and nodes in red, above a table of
every decision with the differing rows marked (``viz.diff.arch_diff``). The two drawings
sit side by side when both fit the panel, else one under the other, each shrunk to the
panel's width when wider (a 7-layer keras_cnn drawing is 980 px: B was off to the right
and A cut). Below, the
selected trial's lineage (its parent and the mutation that made it, from the meta that
evolution records) and the family tree of the trials so far (``viz.diff.lineage_svg``).

The view is plain HTML (no ``ArchView``), and only knows what the workbench hands it:
``set_space``, ``set_trials`` (the trials to offer, e.g. those of a replay position)
and ``set_selected``.

Example:
    >>> from nasbench_ui import spaces
    >>> from nasbench_ui.storage.trial import Trial, TrialState as S
    >>> s = spaces.nb201()
    >>> a = {lb: "skip_connect" for lb in s.labels}
    >>> v = DiffView(s)
    >>> v.set_trials([Trial(0, S.COMPLETE, a, 0.1),
    ...               Trial(1, S.COMPLETE, {**a, "2<-1": "none"}, 0.2, meta={"parent": 0, "mutation": "2<-1"})])
    >>> v.compare(0, 1)
    {'2<-1': ('skip_connect', 'none')}
    >>> v.set_selected(1); "changed <b>the edge 1 → 2</b>" in v.lineage_html.value
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ipywidgets as w

from ..space import SearchSpace
from ..viz.arch_svg import arch_svg
from ..viz.diff import arch_diff, highlight_of, lineage_svg
from ..viz.labels import change_text, decision_text
from .text import Markup, SafeHTML, error_html, join, markup

CHOICES = 200
"""The newest trials the dropdowns offer (plus the chosen, the selected, and the 10
highest and 10 lowest values, the best in either direction):
a list of every trial of a long search was a 100 KB message per refresh, to the page."""


def _fmt(v: Any) -> str:
    return ", ".join(map(str, v)) if isinstance(v, list) else str(v)


class DiffView(w.VBox):
    """Two trials side by side with their differences marked; see the module docstring."""

    def __init__(self, space: SearchSpace) -> None:
        self.space = space
        self.trials: dict[int, Any] = {}
        self.selected: int | None = None
        self.diff: dict[str, tuple[Any, Any]] = {}
        self.a = w.Dropdown(options=[], description="trial A", layout=w.Layout(width="200px"))
        self.b = w.Dropdown(options=[], description="trial B", layout=w.Layout(width="200px"))
        self.with_selected = w.Button(description="compare with selected", icon="random",
                                      layout=w.Layout(width="190px"),
                                      tooltip="A = the selected trial, B = its parent (if any)")
        self.left, self.right = SafeHTML(), SafeHTML()
        for graph in (self.left, self.right):  # shrunk to fit: text.WORKBENCH_STYLE
            graph.add_class("nbui-diff-graph")
        # side by side when both fit the panel's width, else one under the other
        graphs = w.Box([self.left, self.right], layout=w.Layout(flex_flow="row wrap",
                                                                width="100%"))
        graphs.add_class("nbui-diff-graphs")
        self.table = SafeHTML(Markup("<i>pick two trials</i>"))
        self.lineage_html = SafeHTML("")
        self.tree = SafeHTML("")
        self.a.observe(lambda _: self._redraw(), "value")
        self.b.observe(lambda _: self._redraw(), "value")
        self.with_selected.on_click(lambda _: self.compare_selected())
        super().__init__([
            w.HBox([self.a, self.b, self.with_selected]),
            graphs, self.table,
            SafeHTML(Markup("<b>Lineage</b>")), self.lineage_html,
            w.Box([self.tree], layout=w.Layout(max_height="320px", overflow="auto")),
        ])
        self.add_class("nbui-diff")

    def set_space(self, space: SearchSpace) -> None:
        """Switch space (forgets the trials)."""
        self.space = space
        self.set_trials([])

    def set_trials(self, trials: Sequence[Any]) -> None:
        """Offer ``trials`` in the dropdowns and draw their family tree."""
        self.trials = {t.number: t for t in trials if t.arch}
        keep = self.a.value, self.b.value
        self._offer(keep)
        for field, v in zip((self.a, self.b), keep, strict=True):
            if v in self.trials:
                field.value = v
        self._draw_lineage()

    def _offer(self, extra: Sequence[Any] = ()) -> None:
        """The dropdowns' options: the ``CHOICES`` newest trials, the 10 highest and 10
        lowest values, the selected one and ``extra`` (numbers to keep offering), in
        number order."""
        numbers = sorted(self.trials)
        picked = set(numbers[-CHOICES:])
        valued = sorted((t for t in self.trials.values() if isinstance(t.value, (int, float))),
                        key=lambda t: t.value)
        picked.update(t.number for t in valued[:10] + valued[-10:])  # either direction
        picked.update(n for n in (self.selected, *extra) if n in self.trials)
        opts = [(f"#{n}" + (f" · {self.trials[n].value:.3f}"
                            if self.trials[n].value is not None else ""), n)
                for n in sorted(picked)]
        if opts != list(self.a.options):
            self.a.options, self.b.options = opts, opts

    def set_selected(self, number: int | None) -> None:
        """The workbench's selected trial (its lineage is shown)."""
        self.selected = number
        self._draw_lineage()

    def compare(self, a: int, b: int) -> dict[str, tuple[Any, Any]]:
        """Show trials ``a`` and ``b``; returns their :func:`arch_diff`."""
        for n in (a, b):
            if n not in self.trials:
                raise ValueError(f"no trial {n!r} to compare; trials: {sorted(self.trials)}")
        offered = {v for _, v in self.a.options}
        if a not in offered or b not in offered:
            self._offer((a, b, self.a.value, self.b.value))
        self.a.value, self.b.value = a, b
        self._redraw()
        return self.diff

    def compare_selected(self) -> None:
        """A = the selected trial, B = its parent (else B stays)."""
        n = self.selected
        if n not in self.trials:
            return
        parent = (self.trials[n].meta or {}).get("parent")  # from the store: any JSON
        known = type(parent) is int and parent in self.trials
        self.compare(n, parent if known else (self.b.value if self.b.value is not None else n))

    def _redraw(self) -> None:
        ta, tb = self.trials.get(self.a.value), self.trials.get(self.b.value)
        if ta is None or tb is None:
            self.diff = {}
            return
        try:
            self.diff = arch_diff(self.space, ta.arch, tb.arch)
        except ValueError as e:
            self.table.value = error_html(e)
            return
        hl = highlight_of(self.space, self.diff)
        # arch_svg escapes every name, label and title it draws (tests/viz/test_arch_svg.py)
        self.left.value = Markup(arch_svg(self.space, ta.arch, title=f"trial {ta.number}", highlight=hl))
        self.right.value = Markup(arch_svg(self.space, tb.arch, title=f"trial {tb.number}", highlight=hl))
        ca, cb = self.space.canonical(ta.arch), self.space.canonical(tb.arch)
        rows = []
        for lb in self.space.labels:
            mark = lb in self.diff
            style = " style='background:#fde2e1;font-weight:bold'" if mark else ""
            rows.append(markup("<tr class='{}' data-label='{}'{}><td>{}</td><td>{}</td><td>{}</td></tr>",
                               "nbui-diff" if mark else "nbui-same", lb, Markup(style),
                               decision_text(lb),
                               _fmt(ca[lb]), _fmt(cb[lb])))
        self.table.value = markup(
            "<div>{} of {} decisions differ</div>"
            "<table class='nbui-diff-table' style='border-collapse:collapse;font-size:12px'>"
            "<thead><tr><th>decision</th><th>#{}</th><th>#{}</th></tr></thead>"
            "<tbody>{}</tbody></table>", len(self.diff), len(self.space.labels), ta.number,
            tb.number, join("", rows))

    def _draw_lineage(self) -> None:
        t = self.trials.get(self.selected) if self.selected is not None else None
        if t is None:
            self.lineage_html.value = Markup("<i>no trial selected</i>")
        else:
            meta = t.meta or {}
            if meta.get("parent") is not None:
                self.lineage_html.value = markup(
                    "trial {}: child of trial <b>{}</b>, changed <b>{}</b>",
                    t.number, meta["parent"], change_text(meta.get("mutation")))
            else:
                self.lineage_html.value = markup("trial {}: no parent (sampled at random)", t.number)
        has_tree = any((x.meta or {}).get("parent") is not None for x in self.trials.values())
        # lineage_svg escapes the mutation texts it draws (tests/viz/test_diff.py)
        self.tree.value = Markup(lineage_svg(list(self.trials.values()), self.selected)) if has_tree \
            else Markup("<i>no lineage: no trial here has a parent (evolution's children "
                        "do, once its first population has been sampled at random)</i>")


__all__ = ["DiffView"]
