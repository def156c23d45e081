"""The graph editor shows a red note for a hyperparameter that nothing reads (issue 15
point 6), naming the reserved labels; the label reaches the page as text, never HTML."""

from __future__ import annotations

from typing import Any

import pytest
from test_graph_editor_js import _mount, _wait

from nasbench_ui import spaces
from nasbench_ui.estimators.trainer import RESERVED
from nasbench_ui.space import Categorical
from nasbench_ui.ui.graph_editor import GraphEditor

EVIL = "<img src=x onerror=window.pwned=1>"


def _with_hparam(label: str) -> dict[str, Any]:
    """mlp with ``label`` in place of its ``learning_rate``."""
    d = spaces.mlp().to_dict()
    d["hparams"] = [h for h in d["hparams"] if h["label"] != "learning_rate"]
    d["hparams"].append(Categorical(label, [1e-2, 1e-3]).to_dict())
    return d


def test_an_unread_hyperparameter_is_noted_until_it_is_read() -> None:
    ed = GraphEditor(spaces.mlp())
    assert ed.warnings == []
    ed.space_json = _with_hparam("lr")
    assert ed.valid and len(ed.warnings) == 1
    assert "'lr' is read by nothing" in ed.warnings[0]
    assert all(label in ed.warnings[0] for label in RESERVED)
    ed.space_json = _with_hparam("learning_rate")  # renamed to a reserved label: it goes
    assert ed.valid and ed.warnings == []
    assert ed.undo() and len(ed.warnings) == 1  # undo brings it back
    d = _with_hparam("lr")  # bound to an operation's keyword instead: it goes too
    d["edges"] = [{**e, "bind": {"units": "lr"}} if e["label"] == "h1<-input" else e
                  for e in d["edges"]]
    d["hparams"] = [Categorical("lr", [8, 16]).to_dict() if h["label"] == "lr" else h
                    for h in d["hparams"] if h["label"] != "units_1"]
    ed.space_json = d
    assert ed.valid, ed.errors
    assert ed.warnings == []


@pytest.mark.browser
def test_the_note_is_red_text_in_the_page(browser: Any) -> None:
    ed = GraphEditor(spaces.nb201())
    ed.space_json = _with_hparam(EVIL)
    assert ed.valid and ed.warnings
    page = _mount(browser, ed)
    box = page.locator(".nbui-warnings")
    _wait(page, lambda: box.is_visible(), "the red note")
    text = box.inner_text()
    assert f"hyperparameter '{EVIL}' is read by nothing" in text
    assert "learning_rate, optimizer, batch_size, epochs" in text
    assert page.locator(".nbui-warnings img").count() == 0  # shown as text, not HTML
    assert page.evaluate("window.pwned === undefined")
    red = box.evaluate("el => getComputedStyle(el).color")
    assert red == "rgb(180, 35, 24)", red
    ed.space_json = spaces.mlp().to_dict()  # a space without it: the note goes
    page.evaluate("s => window.model.apply(s)", {"warnings": ed.warnings,
                                                  "space_json": ed.space_json})
    _wait(page, lambda: not box.is_visible(), "the note to go")
    assert page._nbui_errors == []
