"""The trials table: sortable, from ``results()``, with an export to CSV.

Made to be read on a projector: every row has the same height (``ROW_HEIGHT`` px); a
long cell (a prune reason, an error, an architecture) is cut to one line with an
ellipsis and shows its whole text on hover (``title``); headers are words
(``parameters``, ``FLOPs``, ``input → n1``); parameters and FLOPs read 135 k, 1.2 M;
the state is a coloured tag in the charts' colours. Columns that lie right of the
table's box are hinted at: a shadow at its right edge and a note above it, "scroll for
more columns →", both gone once it is scrolled to its end (``MORE_TEXT``).

Example:
    >>> import pandas as pd
    >>> t = TrialsTable()
    >>> t.show(pd.DataFrame({"number": [0, 1], "value": [0.5, 0.9], "params": [1500, 2e6]}))
    >>> "0.9" in t.html.value and "2 M" in t.html.value
    True
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd

from ..viz.labels import edge_text, human_value, metric_label
from ..viz.trials import STATE_COLORS, cut
from .text import Markup, SafeHTML, error_html, join, markup

_HIDDEN = ("arch",)
ROW_HEIGHT = 24
CELL_WIDTH = 220  # px: a longer cell is cut to one line (whole text on hover)
#: what a cell sends to the page: CSS cuts a long one to one line anyway, and a stored
#: metric (a store may be someone else's) may be megabytes; its hover text is cut too
CELL_CHARS = 200
TITLE_CHARS = 2000
#: columns shown (a store's trials may carry thousands of metric names); the CSV has all
MAX_COLUMNS = 60
_HEADERS = {"number": "trial", "value": "objective", "duration_s": "time (s)"}
_STYLE = Markup(
    "<style>"
    ".nbui-trials{border-collapse:collapse;font-size:12px;table-layout:auto}"
    ".nbui-trials th,.nbui-trials td{height:" + str(ROW_HEIGHT) + "px;max-height:"
    + str(ROW_HEIGHT) + "px;padding:0 8px;white-space:nowrap;overflow:hidden;"
    "text-overflow:ellipsis;max-width:" + str(CELL_WIDTH) + "px;box-sizing:border-box;"
    "line-height:" + str(ROW_HEIGHT - 2) + "px;text-align:left;vertical-align:middle}"
    ".nbui-trials th{position:sticky;top:0;background:#f3f4f6;font-weight:600;"
    "border-bottom:1px solid #d1d5db}"
    # see-through, so the box's edge shadow (``_MORE_STYLE``) shows on these rows too
    ".nbui-trials tbody tr:nth-child(even){background:rgba(0,0,0,.02)}"
    ".nbui-trials td.nbui-num{text-align:right;font-variant-numeric:tabular-nums}"
    ".nbui-state-tag{display:inline-block;padding:0 6px;border-radius:8px;color:#fff;"
    "line-height:17px;font-size:11px}"
    "</style>"
)
#: the hint at columns right of the table's scroll box (it scrolled sideways with
#: nothing to say so): a shadow fixed at the box's right edge, covered by a background
#: that scrolls with the content and sits at its end (so the shadow shows only while
#: columns lie right of the box), and a note above the box that the box's scroll timeline
#: shows only while it can scroll right (an inactive timeline, no overflow, leaves it
#: hidden; browsers without scroll timelines show the shadow only)
MORE_TEXT = "scroll for more columns →"
_MORE_STYLE = Markup(
    "<style>"
    ".nbui-trials-box{timeline-scope:--nbui-trials-x}"
    ".nbui-trials-scroll{scroll-timeline:--nbui-trials-x x;background:"
    "linear-gradient(to left,var(--jp-layout-color0,#fff) 40%,transparent)"
    " right/32px 100% no-repeat local,"
    "radial-gradient(farthest-side at 100% 50%,rgba(0,0,0,.28),rgba(0,0,0,0))"
    " right/14px 100% no-repeat scroll,var(--jp-layout-color0,#fff)}"
    ".nbui-trials-more{align-self:flex-end;visibility:hidden;font-size:12px;color:#4b5563;"
    "margin:0 4px}"
    "@supports (animation-timeline:scroll()){.nbui-trials-more{"
    "animation:nbui-trials-more linear both;animation-timeline:--nbui-trials-x}}"
    "@keyframes nbui-trials-more{0%,90%{visibility:visible;opacity:1}"
    "100%{visibility:hidden;opacity:0}}"
    "</style>"
)


def header_text(column: str) -> str:
    """A column's header as a person reads it.

    Example:
        >>> header_text("number"), header_text("flops"), header_text("3<-1")
        ('trial', 'FLOPs', '1 → 3')
        >>> header_text("n3.inputs")
        'inputs of n3'
    """
    if column in _HEADERS:
        return _HEADERS[column]
    if column.endswith(".inputs"):  # an input choice's stored label (InputChoice)
        return f"inputs of {column[:-len('.inputs')]}"
    label = metric_label(column)
    return edge_text(label) if label == column else label


def cell_text(column: str, value: Any) -> str:
    """A cell's text: parameters and FLOPs in k / M, milliseconds with "ms", floats to 4
    digits, a list (an input choice's nodes) as its items, nothing for a missing value.

    Example:
        >>> cell_text("params", 135012), cell_text("value", 0.91234), cell_text("error", None)
        ('135 k', '0.9123', '')
        >>> cell_text("n3.inputs", ["in", "n2"])
        'in, n2'
    """
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if column in ("number", "worker", "rung"):
        return str(value)
    if column == "value":
        return f"{value:.4g}"
    return human_value(column, value)


def _cell(column: str, value: Any) -> Markup:
    text = cell_text(column, value)
    if len(text) > CELL_CHARS:  # a long text: cut here, its hover text at TITLE_CHARS
        return markup("<td title='{}'>{}</td>", cut(text, TITLE_CHARS),
                      cut(text, CELL_CHARS))
    if column == "state" and text:
        color = STATE_COLORS.get(text.upper(), "#6b7280")
        return markup("<td><span class='nbui-state-tag' style='background:{}' title='{}'>"
                      "{}</span></td>", color, text, text.lower())
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    cls = " class='nbui-num'" if numeric else ""
    return markup("<td" + cls + " title='{0}'>{0}</td>", text) if text else Markup("<td></td>")


class TrialsTable(w.VBox):
    """Shows a results frame sorted by a chosen column; ``export(path)`` writes CSV."""

    def __init__(self, max_rows: int = 200) -> None:
        self.max_rows = max_rows
        self.frame = pd.DataFrame()
        self._cols: list[str] = ["number"]
        self.sort_by = w.Dropdown(options=["number"], value="number", description="sort by",
                                  layout=w.Layout(width="220px"))
        self.descending = w.ToggleButton(value=True, description="descending",
                                         layout=w.Layout(width="110px"))
        self.export_button = w.Button(description="Export CSV", icon="download",
                                      layout=w.Layout(width="120px"))
        self.export_path = w.Text(value="runs/trials.csv", layout=w.Layout(width="200px"))
        self.message = SafeHTML()
        self.html = SafeHTML(layout=w.Layout(max_height="320px", overflow="auto"))
        self.html.add_class("nbui-trials-scroll")
        #: "scroll for more columns →", seen only while the table can scroll right
        self.more_note = SafeHTML(_MORE_STYLE + markup("<span>{}</span>", MORE_TEXT))
        self.more_note.add_class("nbui-trials-more")
        self.sort_by.observe(lambda _: self._render(), "value")
        self.descending.observe(lambda _: self._render(), "value")
        self.export_button.on_click(lambda _: self._export_clicked())
        # the controls wrap in a narrow panel (at 1024 px with the file browser open,
        # 556 px, 'descending' and 'Export CSV' were cut to an ellipsis)
        bar = w.HBox([self.sort_by, self.descending, self.export_button, self.export_path],
                     layout=w.Layout(flex_flow="row wrap"))
        super().__init__([bar, self.message, self.more_note, self.html])
        self.add_class("nbui-trials-box")

    def show(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        cols = [c for c in frame.columns if c not in _HIDDEN][:MAX_COLUMNS]
        if self._cols != cols and cols:
            keep = self.sort_by.value if self.sort_by.value in cols else "number"
            self._cols = cols
            self.sort_by.options = [(header_text(c), c) for c in cols]
            self.sort_by.value = keep if keep in cols else cols[0]
        self._render()

    def sorted_frame(self) -> pd.DataFrame:
        df = self.frame.drop(columns=[c for c in _HIDDEN if c in self.frame.columns])
        if df.empty or self.sort_by.value not in df.columns:
            return df
        return df.sort_values(self.sort_by.value, ascending=not self.descending.value,
                              na_position="last", kind="stable")

    def _render(self) -> None:
        df = self.sorted_frame()
        if df.empty:
            self.html.value = Markup("<i>no trials yet</i>")
            return
        shown = df.head(self.max_rows)
        hidden = max(0, len(shown.columns) - MAX_COLUMNS)
        shown = shown.iloc[:, :MAX_COLUMNS]
        head = join("", (markup("<th title='{}'>{}</th>", c, header_text(c))
                         for c in shown.columns))
        cols = list(shown.columns)
        rows = []
        for values in shown.itertuples(index=False, name=None):
            cells = join("", (_cell(c, v) for c, v in zip(cols, values, strict=True)))
            rows.append(markup("<tr>{}</tr>", cells))
        more = markup("<i>{} more rows</i>", len(df) - len(shown)) if len(df) > len(shown) else ""
        if hidden:
            more = markup("{}<br><i>{} more columns: Export CSV writes them all</i>", more,
                          hidden)
        self.html.value = _STYLE + markup(
            "<table class='nbui-trials'><thead><tr>{}</tr></thead><tbody>{}</tbody></table>{}",
            head, join("", rows), more)

    def export(self, path: str | Path) -> Path:
        """Write every row (unsorted columns included) to CSV and return the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.frame.to_csv(path, index=False)
        return path

    def _export_clicked(self) -> None:
        try:
            p = self.export(self.export_path.value)
            self.message.value = markup("wrote {} rows to <code>{}</code>", len(self.frame), p)
        except OSError as e:
            self.message.value = error_html(f"could not write: {e}")
