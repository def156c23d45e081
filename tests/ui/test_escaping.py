"""Issue 16, point 1: every string from a store, a config, an error or a user reaches the
page as text. Each field gets script payloads; the rendered widget value must hold no
tag or event attribute of them, and its visible text must still read the payload.

Also point 6 (UI side): a search that died shows "failed" in red with its
``last_error``, in the workbench's status line and in a race view.
"""

from __future__ import annotations

import html
import json
import sqlite3
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from helpers import wait_for

import nasbench_ui as nb
from nasbench_ui.engine.loop import Loop
from nasbench_ui.race import Race
from nasbench_ui.runner import Event
from nasbench_ui.space import Categorical, Edge, Node, SearchSpace
from nasbench_ui.storage.trial import Trial, TrialState
from nasbench_ui.ui.controls import ControlPanel
from nasbench_ui.ui.diff_view import DiffView
from nasbench_ui.ui.forms import HyperparameterForm
from nasbench_ui.ui.live_view import shown_status
from nasbench_ui.ui.race_view import RaceView
from nasbench_ui.ui.sharing import StatePanel
from nasbench_ui.ui.table import TrialsTable
from nasbench_ui.ui.text import SafeHTML, bokeh_text, markup, status_html
from nasbench_ui.viz.arch_svg import arch_svg

IMG = '<img src=x onerror="window.__x=1">'
SCRIPT = "<script>window.__x=1</script>"
QUOTES = "q' onmouseover='window.__x=1' x=\"y\" onfocus=\"window.__x=1"
PAYLOADS = [IMG, SCRIPT, QUOTES]
UI_DIR = Path(nb.__file__).parent / "ui"


class _Page(HTMLParser):
    """What a browser would build from a widget value: its tags, attributes and text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)

    handle_startendtag = handle_starttag

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(value: str) -> _Page:
    page = _Page()
    page.feed(value)
    page.close()
    return page


def assert_shown_as_text(value: str, payload: str) -> None:
    """``value`` runs nothing of ``payload`` and shows it as text."""
    page = parse(value)
    assert "img" not in page.tags and "script" not in page.tags, value
    assert not [a for a, _ in page.attrs if a.lower().startswith("on")], value
    assert "<img" not in value and "<script" not in value, value
    # every attribute a value puts on the page is one of the package's own
    assert {a for a, _ in page.attrs} <= {"class", "style", "data-label", "data-edge", "data-node",
                                          "xmlns", "width", "height", "viewbox", "font-family",
                                          "id", "refx", "refy", "markerwidth", "markerheight",
                                          "orient", "d", "fill", "x", "y", "font-size",
                                          "font-weight", "stroke", "stroke-width", "marker-end",
                                          "text-anchor", "paint-order", "rx", "r", "cx", "cy",
                                          "x1", "y1", "x2", "y2", "data-parent", "data-child",
                                          "data-trial", "title"}, page.attrs
    text = "".join(page.text)
    assert payload in text or repr(payload)[1:-1] in text, (payload, value)  # errors use !r


# ------------------------------------------------------------------ the helper
@pytest.mark.parametrize("payload", PAYLOADS)
def test_safe_html_escapes_any_plain_value(payload):
    box = SafeHTML(payload)
    assert_shown_as_text(box.value, payload)
    box.value = "before " + payload
    assert_shown_as_text(box.value, payload)
    box.value = markup("<b>{}</b>", payload)
    assert_shown_as_text(box.value, payload)
    assert parse(box.value).tags == ["b"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markup_escapes_every_field_and_keeps_markup(payload):
    m = markup("<i>{a}</i> {b:.2f} {c!r}", a=payload, b=1.5, c=payload)
    assert_shown_as_text(m, payload)
    assert "1.50" in m and parse(m).tags == ["i"]
    nested = markup("<b>{}</b>", markup("<i>{}</i>", payload))
    assert parse(nested).tags == ["b", "i"] and payload in "".join(parse(nested).text)
    glued = markup("<br>") + payload
    assert_shown_as_text(glued, payload)
    assert_shown_as_text(payload + markup("<br>"), payload)


def test_status_html_shows_failed_in_red_and_any_status_as_text():
    failed = status_html("failed")
    assert "nbui-state-failed" in failed and "#c0392b" in failed and ">failed<" in failed
    assert "#c0392b" not in status_html("done")
    for payload in PAYLOADS:
        assert_shown_as_text(status_html(payload), payload)


def test_bokeh_text_leaves_no_tag_and_no_field_reference():
    text = bokeh_text("evo@lution$x" + IMG)
    assert "@" not in text and "$" not in text
    assert_shown_as_text(text, "evo@lution$x" + IMG)


def test_no_raw_html_widget_in_the_package():
    """Every HTML widget of the package is a SafeHTML (text.py is the one place that
    subclasses ipywidgets' HTML); a raw ``w.HTML(`` would bypass the escaping."""
    offenders = []
    for path in sorted(UI_DIR.glob("*.py")) + sorted((UI_DIR.parent / "viz").glob("*.py")):
        if path.name == "text.py":
            continue
        src = path.read_text(encoding="utf-8")
        for needle in ("w.HTML(", "widgets.HTML(", "HTMLMath(", "Div(", "Paragraph("):
            if needle in src:
                offenders.append(f"{path.name}: {needle}")
    assert offenders == []


def test_graph_editor_js_never_parses_model_strings_as_html():
    js = (UI_DIR / "graph_editor.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in js, sink
    assert "textContent" in js  # how it writes names, labels and errors


# ------------------------------------------------------------ experiment name / path
def _store_with_name(folder: Path, name: str) -> Path:
    """A store with a finished 2-trial experiment, renamed in SQLite to ``name`` (a name
    that ``Experiment(name=...)`` may refuse, as a shared ``.db`` can hold anything)."""
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "runs.db"
    exp = nb.Experiment("nb201", estimator="zero_cost", trials=2, storage=str(db), name="victim")
    exp.run()
    exp.close()
    con = sqlite3.connect(db)
    with con:
        con.execute("UPDATE experiments SET name = ? WHERE name = 'victim'", (name,))
    con.close()
    return db


@pytest.mark.parametrize("payload", [IMG, SCRIPT])
def test_run_label_shows_name_and_path_as_text(tmp_path, payload):
    folder = tmp_path / payload.replace("/", "|")  # a folder named with the payload
    db = _store_with_name(folder, payload)
    wb = nb.Workbench.load(db)
    assert wb.experiment.name == payload
    assert_shown_as_text(wb.run_label.value, payload)
    assert str(db) in "".join(parse(wb.run_label.value).text)
    assert_shown_as_text(wb.controls.status.value, payload)  # "<name>: done · ..."
    assert_shown_as_text(wb.steer.message.value, payload)


# ------------------------------------------------------------------------ device
@pytest.mark.parametrize("payload", PAYLOADS)
def test_imported_device_is_text_in_label_status_and_message(payload):
    wb = nb.Workbench(space="nb201", storage=":memory:")
    state = wb.state
    state["device"] = payload
    wb.sharing.text.value = json.dumps(state)
    wb.sharing.import_button.click()  # the Share -> Import path
    assert "imported" in wb.sharing.message.value
    assert wb.controls.device.value == payload
    assert_shown_as_text(wb.controls.device_label.value, payload)
    assert wb.start() is None  # the device cannot run here: the error names it, as text
    assert_shown_as_text(wb.controls.status.value, payload)


# ------------------------------------------------------- errors, last_error, status
@pytest.mark.parametrize("payload", PAYLOADS)
def test_show_error_and_show_progress_escape_every_string(payload):
    panel = ControlPanel()
    panel.show_error(payload)
    assert_shown_as_text(panel.status.value, payload)
    panel.show_progress(1, 3, {"COMPLETE": 1}, "running", payload, message=payload,
                        running=[(2, payload)])
    assert_shown_as_text(panel.status.value, payload)
    assert "".join(parse(panel.status.value).text).count(payload) == 3
    panel.show_progress(1, 3, {}, payload, "run", None)  # an unknown status: shown as text
    assert_shown_as_text(panel.status.value, payload)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hyperparameter_form_error_is_text(payload):
    form = HyperparameterForm()
    form._add_row({"type": "int", "label": payload, "low": 1, "high": 4, "step": 1})
    form._rows[-1]["spec"].value = "not a range"
    assert form.commit() is False
    assert_shown_as_text(form.message.value, payload)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_sharing_import_error_is_text(payload):
    panel = StatePanel(lambda: {}, lambda text: (_ for _ in ()).throw(ValueError(text)))
    assert panel.import_text("{" + payload) is False  # JSON-like: it reaches the setter
    assert_shown_as_text(panel.message.value, payload)
    assert panel.import_text(payload) is False  # not JSON: refused before it
    assert_shown_as_text(panel.message.value, "not an experiment's JSON")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_steering_error_and_events_are_text(payload):
    wb = nb.Workbench(space="nb201", storage=":memory:")
    wb.steer._guard(lambda: (_ for _ in ()).throw(ValueError(payload)))
    assert_shown_as_text(wb.steer.message.value, payload)
    wb.steer._on_event(Event("steer", "x", None, {"at": payload, "change": payload,
                                                            "new": {"k": payload}}))
    assert_shown_as_text(wb.steer.message.value, payload)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_trials_table_cells_columns_and_export_error_are_text(tmp_path, payload):
    table = TrialsTable()
    table.show(pd.DataFrame({"number": [0], payload: [payload]}))
    assert_shown_as_text(table.html.value, payload)
    assert "".join(parse(table.html.value).text).count(payload) == 2
    name = payload.replace("/", "|")
    (tmp_path / name).write_text("x")  # a file named with the payload, not a folder
    table.export_path.value = str(tmp_path / name / "trials.csv")
    table.export_button.click()
    assert "could not write" in table.message.value
    assert_shown_as_text(table.message.value, name)


# -------------------------------------------------------------- space labels
def _payload_space(payload: str) -> SearchSpace:
    return SearchSpace("s" + payload, [Node("in"), Node(payload), Node("out")],
                       [Edge("in", payload, ("nor_conv_3x3", "skip_connect"),
                             label="e" + payload),
                        Edge(payload, "out", ("skip_connect", "avg_pool_3x3"))],
                       hparams=(Categorical("h" + payload, [payload, "b"]),))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_space_labels_are_text_in_svg_diff_and_lineage(payload):
    space = _payload_space(payload)
    a = {lb: space.decisions[i].choices()[0] for i, lb in enumerate(space.labels)}
    b = {lb: space.decisions[i].choices()[1] for i, lb in enumerate(space.labels)}
    svg = arch_svg(space, a, title=payload, highlight={"e" + payload, payload})
    assert_shown_as_text(svg, payload)
    view = DiffView(space)
    view.set_trials([Trial(0, TrialState.COMPLETE, a, 0.1),
                     Trial(1, TrialState.COMPLETE, b, 0.2,
                           meta={"parent": 0, "mutation": "e" + payload})])
    assert set(view.compare(0, 1)) == set(space.labels)
    for widget in (view.left, view.right, view.table):
        assert_shown_as_text(widget.value, payload)
    view.set_selected(1)
    assert_shown_as_text(view.lineage_html.value, payload)
    assert_shown_as_text(view.tree.value, payload)
    # a store can hold a parent that is no number: still text
    view.set_trials([Trial(0, TrialState.COMPLETE, a, 0.1),
                     Trial(1, TrialState.COMPLETE, b, 0.2, meta={"parent": payload})])
    view.set_selected(1)
    assert_shown_as_text(view.lineage_html.value, payload)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_imported_space_with_payload_labels_renders_as_text(payload):
    wb = nb.Workbench(space="nb201", storage=":memory:")
    state = wb.state
    state["space"] = _payload_space(payload).to_dict()
    assert wb.sharing.import_text(json.dumps(state)), wb.sharing.message.value
    assert wb.space.labels[0] == "e" + payload
    row = wb.hparams._rows[-1]  # the imported hyperparameter row, made bad
    row["type"].value, row["spec"].value = "int", "1..x"
    assert wb.hparams.commit() is False
    assert_shown_as_text(wb.hparams.message.value, payload)


def test_quality_panel_source_is_text():
    from nasbench_ui.quality import GroundTruth
    from nasbench_ui.ui.quality_panel import QualityPanel

    space = nb.spaces.nb201()
    truth = GroundTruth(space, {space.key(space.sample(__import__("random").Random(0))): 0.5})
    truth.source = IMG
    panel = QualityPanel(space, truth)
    try:
        panel.flush()
        assert_shown_as_text(panel.numbers.value, IMG)
    finally:
        panel.close()


# ------------------------------------------------------------- point 6: failed
def _die_with(payload: str):
    def boom(*args, **kwargs):
        raise RuntimeError(f"database is locked {payload}")
    return boom


@pytest.mark.parametrize("payload", [IMG, SCRIPT])
def test_workbench_shows_a_failed_search_in_red_with_its_error(monkeypatch, payload):
    monkeypatch.setattr(Loop, "step", _die_with(payload))  # the search's loop dies
    wb = nb.Workbench(space="nb201", storage=":memory:", estimator="zero_cost", trials=3)
    exp = wb.start()
    assert exp is not None, wb.controls.status.value
    assert wait_for(lambda: not exp.running, 30)
    assert exp.status == "failed" and payload in (exp.last_error or "")
    assert wait_for(lambda: "nbui-state-failed" in wb.controls.status.value, 30), \
        wb.controls.status.value
    value = wb.controls.status.value
    assert_shown_as_text(value, payload)
    text = "".join(parse(value).text)
    assert "failed" in text and "done" not in text and exp.last_error in text
    assert "#c0392b" in value  # the status word and the error are red
    assert wb.controls.start_button.disabled is False  # it can be started again
    assert wb.controls.stop_button.disabled is True


def test_shown_status_keeps_failed_and_unknown_statuses():
    assert shown_status("failed", False, True) == "failed"
    assert shown_status("exotic", False, False) == "exotic"
    assert shown_status("done", False, True) == "done"
    assert shown_status("done", False, True, spent=False) == "stopped"
    assert shown_status("failed", False, True, spent=False) == "failed"
    assert shown_status("running", False, False) == "ready"
    assert shown_status("paused", True, True) == "paused"


def test_race_view_shows_a_failed_strategy_in_red_with_its_error(monkeypatch):
    real = Loop.step

    def dies_for_random(loop: Loop) -> bool:
        if loop.strategy_label == "random":
            raise RuntimeError(f"disk full {IMG}")
        return real(loop)

    monkeypatch.setattr(Loop, "step", dies_for_random)
    view = RaceView(Race("nb201", ["random", "evolution"], estimator="zero_cost", trials=2,
                         strategy_options={"evolution": {"population": 3, "sample_size": 2}}),
                    interval=0.05)
    try:
        view.race.run()
        view.flush()
        assert view.race.experiments["random"].status == "failed"
        value = view.status.value
        assert_shown_as_text(value, IMG)
        parts = value.split(" · ")
        random_part = next(p for p in parts if "<b>random</b>" in p)
        evolution_part = next(p for p in parts if "<b>evolution</b>" in p)
        assert "nbui-state-failed" in random_part and "disk full" in html.unescape(random_part)
        assert "nbui-state-failed" not in evolution_part and "2 trials" in evolution_part
    finally:
        view.close()


def test_race_hover_names_the_strategy_as_a_literal():
    view = RaceView(Race("nb201", ["random"], estimator="zero_cost", trials=1))
    try:
        from bokeh.models import HoverTool

        tips = [t for t in view.figure.tools if isinstance(t, HoverTool)][0].tooltips
        assert tips[0] == ("strategy", bokeh_text("random"))
    finally:
        view.close()
