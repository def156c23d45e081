"""The trials table: sortable, from ``results()``, with an export to CSV.

Example:
    >>> import pandas as pd
    >>> t = TrialsTable()
    >>> t.show(pd.DataFrame({"number": [0, 1], "value": [0.5, 0.9]}))
    >>> "0.9" in t.html.value
    True
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd

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
        self.message = w.HTML()
        self.html = w.HTML(layout=w.Layout(max_height="320px", overflow="auto"))
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
            self.html.value = "<i>no trials yet</i>"
            return
        shown = df.head(self.max_rows)
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
        rows = []
        for _, r in shown.iterrows():
            cells = "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in r.tolist())
            rows.append(f"<tr>{cells}</tr>")
        more = f"<i>{len(df) - len(shown)} more rows</i>" if len(df) > len(shown) else ""
        self.html.value = (
            "<table class='nbui-trials' style='border-collapse:collapse;font-size:12px'>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{more}"
        )

    def export(self, path: str | Path) -> Path:
        """Write every row (unsorted columns included) to CSV and return the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.frame.to_csv(path, index=False)
        return path

    def _export_clicked(self) -> None:
        try:
            p = self.export(self.export_path.value)
            self.message.value = f"wrote {len(self.frame)} rows to <code>{html.escape(str(p))}</code>"
        except OSError as e:
            self.message.value = f"<span style='color:#c0392b'>could not write: {html.escape(str(e))}</span>"


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "" if v != v else f"{v:.4g}"
    if v is None:
        return ""
    return str(v)
