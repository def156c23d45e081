"""The workbench's export button writes the best model and says what it wrote, as text."""

from __future__ import annotations

from pathlib import Path

import nasbench_ui as nb
from nasbench_ui.ui.export_panel import ExportPanel


def _search() -> nb.Experiment:
    exp = nb.Experiment("digits_cell", strategy="random", estimator="train",
                        estimator_options={"epochs": 1, "latency_runs": 0}, trials=1, seed=0)
    return exp.run()


def test_the_button_exports_the_best_model_of_the_attached_run(tmp_path):
    panel = ExportPanel()
    panel.attach(_search())
    assert not panel.button.disabled and panel.folder.value.startswith("exports")
    panel.folder.value = str(tmp_path / "out")
    panel.export(wait=True)
    assert "model.py" in panel.message.value and "weights.pt" in panel.message.value
    assert (tmp_path / "out" / "model.py").exists() and not panel.button.disabled


def test_a_failed_export_is_shown_as_escaped_text(tmp_path):
    exp = nb.Experiment("digits_cell", strategy="random", estimator="zero_cost", trials=1, seed=0)
    panel = ExportPanel()
    panel.attach(exp.run())
    panel.folder.value = str(tmp_path / "<b>x")
    panel.export(wait=True)
    assert "export failed" in panel.message.value and "keeps no trained model" in panel.message.value
    assert "<b>x" not in panel.message.value
    panel.folder.value = " "
    panel.export(wait=True)
    assert "give a folder" in panel.message.value


def test_the_workbench_shows_the_export_under_the_architecture(tmp_path):
    exp = _search()
    wb = nb.Workbench(storage=":memory:")
    wb.attach(exp)
    assert wb.export in wb.view_panel.children and wb.export.experiment is exp


def test_a_stored_runs_name_never_puts_the_default_folder_outside_exports():
    """A run's name comes from the store, which may be someone else's: '../..' or an
    absolute path put the default folder anywhere, and Export best overwrote the
    model.py and weights.pt there."""
    from types import SimpleNamespace

    panel = ExportPanel()
    for name in ("../../../tmp/x", "/home/you/project", "..", "a/../../b"):
        panel.attach(SimpleNamespace(name=name))
        folder = Path(panel.folder.value)
        assert folder.parent == Path("exports") and folder.name not in ("", ".", ".."), folder
    panel.attach(SimpleNamespace(name="random-nb201-3"))
    assert panel.folder.value == str(Path("exports") / "random-nb201-3")  # plain names kept
