"""The workbench's export button: the best model of the shown run, written to a folder.

It calls the experiment's public :meth:`~nasbench_ui.experiment.Experiment.export_best`
(``model.py``, ``weights.pt``, ``arch.json``, TorchScript and, with the ``onnx`` package,
ONNX) on a background thread, so the kernel stays free, and shows what it wrote or why
it could not (a DARTS supernet, an estimator that keeps no model) as text.

Example:
    >>> p = ExportPanel()
    >>> p.button.disabled, p.folder.value
    (True, '')
    >>> p.message.value
    ''
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import ipywidgets as w

from ..weights import safe_name
from .text import SafeHTML, error_html, markup


class ExportPanel(w.HBox):
    """A folder field, an "Export best" button and a message; ``attach(experiment)``."""

    def __init__(self) -> None:
        self.folder = w.Text(value="", placeholder="folder", description="export to",
                             layout=w.Layout(width="340px"),
                             style={"description_width": "initial"})
        self.button = w.Button(description="Export best", icon="download", disabled=True,
                               tooltip="write model.py, weights.pt, arch.json, TorchScript "
                                       "and ONNX of the best trial",
                               layout=w.Layout(width="auto"))
        self.message = SafeHTML(layout=w.Layout(width="100%"))
        self.experiment: Any = None
        self._thread: threading.Thread | None = None
        self.button.on_click(lambda _: self.export())
        super().__init__([self.folder, self.button],
                         layout=w.Layout(flex_flow="row wrap", align_items="center"))

    def attach(self, experiment: Any) -> None:
        """Export from ``experiment`` (its folder defaults to ``exports/<name>``, the name
        as :func:`~nasbench_ui.weights.safe_name` writes it: a stored run's name may come
        from someone else's store, and '../..' or '/home/you' would put the folder
        anywhere, its model.py and weights.pt overwritten by Export best)."""
        self.experiment = experiment
        self.folder.value = str(Path("exports") / safe_name(str(experiment.name)))
        self.button.disabled = False
        self.message.value = ""

    def export(self, wait: bool = False) -> None:
        """Write the best model to the folder on a background thread (``wait``: join it)."""
        if self.experiment is None or (self._thread and self._thread.is_alive()):
            return
        folder = self.folder.value.strip()
        if not folder:
            self.message.value = error_html("give a folder to export to")
            return
        self.button.disabled = True
        self.message.value = markup("exporting to <code>{}</code>…", folder)
        self._thread = threading.Thread(target=self._run, args=(self.experiment, folder),
                                        name="nasbench-export", daemon=True)
        self._thread.start()
        if wait:
            self._thread.join()

    def _run(self, experiment: Any, folder: str) -> None:
        try:
            paths = experiment.export_best(folder)
        except Exception as e:  # shown to the user as text; the workbench goes on
            self.message.value = error_html(f"export failed: {e}")
        else:
            names = ", ".join(p.name for p in paths.values())
            self.message.value = markup("wrote {} to <code>{}</code>", names, folder)
        finally:
            self.button.disabled = False
