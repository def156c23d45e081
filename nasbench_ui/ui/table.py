"""The trials table: sortable, from ``results()``, with an export to CSV.

Example:
    >>> import pandas as pd

from .text import Markup, SafeHTML, error_html, join, markup
    >>> t = TrialsTable()
    >>> t.show(pd.DataFrame({"number": [0, 1], "value": [0.5, 0.9]}))
    >>> "0.9" in t.html.value
    True
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd

from .text import Markup, SafeHTML, error_html, join, markup

_HIDDEN = ("arch",)


class TrialsTable(w.VBox):
    """Shows a results frame sorted by a chosen column; ``export(path)`` writes CSV."""

    def __init__(self, max_rows: int = 200) -> None:
        self.max_rows = max_rows
        self.frame = pd.DataFrame()
        self.sort_by = w.Dropdown(options=["number"], value="number", description="sort by",
                                  layout=w.Layout(width="220px"))
        self.descending = w.ToggleButton(value=True, description="descending",
                                         layout=w.Layout(width="110px"))
        self.export_button = w.Button(description="Export CSV", icon="download",
                                      layout=w.Layout(width="120px"))
        self.export_path = w.Text(value="runs/trials.csv", layout=w.Layout(width="200px"))
        self.message = SafeHTML()
        self.html = SafeHTML(layout=w.Layout(max_height="320px", overflow="auto"))
        self.sort_by.observe(lambda _: self._render(), "value")
        self.descending.observe(lambda _: self._render(), "value")
        self.export_button.on_click(lambda _: self._export_clicked())
        super().__init__([
            w.HBox([self.sort_by, self.descending, self.export_button, self.export_path]),
            self.message, self.html,
        ])

    def show(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        cols = [c for c in frame.columns if c not in _HIDDEN]
        if list(self.sort_by.options) != cols and cols:
            keep = self.sort_by.value if self.sort_by.value in cols else "number"
            self.sort_by.options = cols
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
        head = join("", (markup("<th>{}</th>", c) for c in shown.columns))
        rows = []
        for _, r in shown.iterrows():
            cells = join("", (markup("<td>{}</td>", _fmt(v)) for v in r.tolist()))
            rows.append(markup("<tr>{}</tr>", cells))
        more = markup("<i>{} more rows</i>", len(df) - len(shown)) if len(df) > len(shown) else ""
        self.html.value = markup(
            "<table class='nbui-trials' style='border-collapse:collapse;font-size:12px'>"
            "<thead><tr>{}</tr></thead><tbody>{}</tbody></table>{}", head, join("", rows), more)

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


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "" if v != v else f"{v:.4g}"
    if v is None:
        return ""
    return str(v)
