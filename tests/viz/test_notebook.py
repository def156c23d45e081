"""viz/notebook.py: the echo-free BokehModel, on jupyter_bokeh's public API but one
private name. These tests fail loudly when a jupyter_bokeh upgrade breaks that name."""

from __future__ import annotations

import threading

import pytest
from bokeh.models import ColumnDataSource
from bokeh.plotting import figure
from jupyter_bokeh import BokehModel

from nasbench_ui.viz import notebook
from nasbench_ui.viz.notebook import JUPYTER_BOKEH_HANDLER, check_jupyter_bokeh, echo_free_model


def _chart():
    src = ColumnDataSource({"x": [1, 2], "y": [3, 4]}, name="src")
    fig = figure()
    fig.scatter("x", "y", source=src)
    return fig, src


def _sent(model):
    """The comm messages the model sends, recorded in a list."""
    sent = []
    model.send = lambda msg, buffers=None: sent.append(msg)
    return sent


def test_jupyter_bokeh_still_has_the_handler_it_replaces():
    """The one private member used: if this fails, jupyter_bokeh renamed its page-message
    handler and viz/notebook.py must follow (page messages would be applied twice)."""
    assert callable(getattr(BokehModel, JUPYTER_BOKEH_HANDLER, None)), (
        f"jupyter_bokeh.BokehModel.{JUPYTER_BOKEH_HANDLER} is gone: update viz/notebook.py")
    assert check_jupyter_bokeh(BokehModel) is vars(BokehModel)[JUPYTER_BOKEH_HANDLER]


def test_a_missing_handler_is_a_clear_error():
    class Renamed:
        pass

    with pytest.raises(RuntimeError, match=f"no {JUPYTER_BOKEH_HANDLER}.*needs updating"):
        check_jupyter_bokeh(Renamed)


def test_page_messages_are_applied_once_by_the_echo_free_model_only():
    """Through ipywidgets' message dispatch (what a page message takes): jupyter_bokeh's
    own handler is unregistered, so an echo of a stream does not double the rows, and a
    page change reaches each callback once."""
    fig, src = _chart()
    model = echo_free_model(fig, threading.RLock())
    echo = {"event": "jsevent", "kind": "ColumnsStreamed", "model": {"id": src.id},
            "attr": "data", "data": {"x": [9], "y": [9]}, "rollover": None}
    model._handle_custom_msg(dict(echo), [])
    assert src.data["x"] == [1, 2]
    calls = []
    fig.x_range.on_change("start", lambda attr, old, new: calls.append(new))
    page = {"event": "jsevent", "kind": "ModelChanged", "model": {"id": fig.x_range.id},
            "attr": "start", "new": 0.5}
    model._handle_custom_msg(dict(page), [])
    assert fig.x_range.start == 0.5 and calls == [0.5]


def test_kernel_changes_reach_the_page_and_page_changes_do_not_come_back():
    fig, src = _chart()
    lock = threading.RLock()
    synced = []
    model = echo_free_model(fig, lock, after_sync=lambda: synced.append(lock._is_owned()))
    sent = _sent(model)
    src.data = {"x": [5], "y": [6]}
    assert len(sent) == 3 and all(m["msg"] == "patch" for m in sent)  # header, meta, content
    sent.clear()
    model._handle_custom_msg({"event": "jsevent", "kind": "ModelChanged",
                              "model": {"id": fig.x_range.id}, "attr": "end", "new": 7.0}, [])
    assert fig.x_range.end == 7.0 and sent == []  # the page's own change is not echoed
    assert synced == [False]  # after_sync runs with the lock released


def test_batch_sends_one_patch_and_discard_drops_it():
    fig, src = _chart()
    model = echo_free_model(fig, threading.RLock())
    sent = _sent(model)
    with model.batch():
        src.data = {"x": [1], "y": [1]}
        fig.title.text = "t"
        assert sent == []
    assert len(sent) == 3
    sent.clear()
    with model.batch():
        src.data = {"x": [2], "y": [2]}
        model.discard_batch()
    assert sent == []


def test_echoes_go_to_on_echo_and_close_stops_sending():
    fig, src = _chart()
    echoes = []
    model = echo_free_model(fig, threading.RLock(), on_echo=echoes.append)
    tags = {"event": "jsevent", "kind": "ModelChanged", "model": {"id": fig.id},
            "attr": "tags", "new": [1]}
    model._handle_custom_msg(dict(tags), [])
    assert [e["attr"] for e in echoes] == ["tags"]
    sent = _sent(model)
    model.close()
    model.close()  # twice: no error
    src.data = {"x": [3], "y": [3]}
    assert sent == []


def test_document_ready_from_the_page_reaches_on_event():
    from bokeh.events import DocumentReady

    fig, _ = _chart()
    model = echo_free_model(fig, threading.RLock())
    seen = []
    fig.document.on_event(DocumentReady, seen.append)
    model._handle_custom_msg({"event": "jsevent", "kind": "MessageSent", "msg_type": "bokeh_event",
                              "msg_data": {"type": "event", "name": "document_ready",
                                           "values": {"type": "map"}}}, [])
    assert len(seen) == 1 and isinstance(seen[0], DocumentReady)


def test_is_echo_tells_kernel_attributes_from_page_ones():
    fig, src = _chart()
    doc_model = echo_free_model(fig, threading.RLock())
    doc = doc_model.document
    assert notebook.is_echo(doc, {"kind": "ColumnsPatched"})
    assert notebook.is_echo(doc, {"kind": "ModelChanged", "attr": "data"})
    assert not notebook.is_echo(doc, {"kind": "ModelChanged", "attr": "start"})
    sel = {"kind": "ModelChanged", "attr": "indices", "model": {"id": src.selected.id}}
    assert notebook.is_echo(doc, {**sel, "new": []})  # equal to the kernel's selection
    assert not notebook.is_echo(doc, {**sel, "new": [1]})  # a tap



def test_a_push_of_arrays_is_three_messages_that_decode_to_the_arrays():
    """Arrays travel inline (3 comm messages per push, not 3 plus 2 per array), and
    Bokeh's own decoder reads them back unchanged."""
    import json

    import numpy as np
    from bokeh.core.serialization import Deserializer
    from bokeh.models import IndexFilter

    fig, src = _chart()
    flt = IndexFilter(indices=[0])
    fig.renderers[0].view.filter = flt
    model = echo_free_model(fig, threading.RLock())
    sent = _sent(model)
    with model.batch():
        src.data = {"x": np.arange(5.0), "y": np.arange(5.0) * 2}
        flt.indices = np.array([0, 3, 4], dtype=np.int64)
    assert len(sent) == 3 and all(m["msg"] == "patch" for m in sent)
    header, content = json.loads(sent[0]["payload"]), json.loads(sent[2]["payload"])
    assert header["msgtype"] == "PATCH-DOC" and header.get("num_buffers", 0) == 0
    new = {e["attr"]: e["new" if e["kind"] == "ModelChanged" else "data"]
           for e in content["events"]}
    assert Deserializer().decode(new["indices"]).tolist() == [0, 3, 4]
    data = Deserializer().decode(new["data"])
    assert data["y"].tolist() == [0.0, 2.0, 4.0, 6.0, 8.0]
